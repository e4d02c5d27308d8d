//! ITK's text transform files (`#Insight Transform File V1.0`, `.tfm` / `.txt`).
//!
//! The format SimpleITK's `ReadTransform`/`WriteTransform`, ITK's
//! `TransformFileReader` and ANTs (text variant) use:
//!
//! ```text
//! #Insight Transform File V1.0
//! #Transform 0
//! Transform: Euler3DTransform_double_3_3
//! Parameters: 0 0 0.0872665 4 -3 2
//! FixedParameters: 127.5 127.5 127.5 0
//! ```
//!
//! **Written**: one transform, numbers in Rust's shortest round-trip form (so a
//! file read back gives the same `f64`s).
//!
//! **Read** (3D, `double` or `float`): `AffineTransform`, `MatrixOffsetTransformBase`,
//! `Euler3DTransform`, `VersorRigid3DTransform`, `Similarity3DTransform`,
//! `ScaleTransform`, `TranslationTransform`, `IdentityTransform`, and a
//! `CompositeTransform` of these. Euler3D, affine and translation keep their kind;
//! the others become an [`Transform::Affine`] with the same mapping. A composite
//! applies its listed transforms in reverse order, as ITK does
//! (`T(x) = T₁(T₂(…Tₙ(x)))`, `T₁` the first listed after the composite line), and
//! becomes one affine. Anything else (B-spline, displacement fields, 2D) is a
//! clear error, never a panic.

use std::path::Path;

use medvox_core::geometry::{mat_mul, Mat3};

use crate::error::{RegisterError, Result};
use crate::transform::{Transform, IDENTITY};

const MAGIC: &str = "#Insight Transform File V1.0";

/// The text of a `.tfm` file holding `t`.
pub fn to_tfm_string(t: &Transform) -> String {
    let nums = |v: Vec<f64>| {
        v.iter()
            .map(|x| format!("{x:?}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "{MAGIC}\n#Transform 0\nTransform: {}\nParameters: {}\nFixedParameters: {}\n",
        t.itk_name(),
        nums(t.params()),
        nums(t.fixed_params())
    )
}

/// Writes `t` to `path` (ITK text format; written to a temporary file in the same
/// folder, then renamed, so no partial file is ever left).
pub fn write_tfm(path: &Path, t: &Transform) -> Result<()> {
    t.validate()?;
    let fail = |e: std::io::Error| RegisterError::TransformFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, to_tfm_string(t)).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

/// Reads a transform file (module docs); composites become one transform.
pub fn read_tfm(path: &Path) -> Result<Transform> {
    let bytes = std::fs::read(path).map_err(|e| RegisterError::TransformFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| RegisterError::TransformFile {
        path: path.to_path_buf(),
        reason: "not a text file (binary .mat transforms are not supported)".into(),
    })?;
    parse_tfm(&text).map_err(|reason| RegisterError::TransformFile {
        path: path.to_path_buf(),
        reason,
    })
}

struct Entry {
    line: usize,
    name: String,
    params: Option<Vec<f64>>,
    fixed: Option<Vec<f64>>,
}

fn numbers(s: &str, line: usize) -> std::result::Result<Vec<f64>, String> {
    s.split_whitespace()
        .map(|w| {
            let v: f64 = w
                .parse()
                .map_err(|_| format!("line {line}: `{w}` is not a number"))?;
            if v.is_finite() {
                Ok(v)
            } else {
                Err(format!("line {line}: parameter `{w}` is not finite"))
            }
        })
        .collect()
}

/// Parses the text of a transform file (module docs); errors name the line.
pub fn parse_tfm(text: &str) -> std::result::Result<Transform, String> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, l)) if l.trim() == MAGIC => {}
        _ => {
            return Err(format!(
                "not an ITK transform file (first line is not `{MAGIC}`)"
            ))
        }
    }
    let mut entries: Vec<Entry> = Vec::new();
    for (i, raw) in lines {
        let line = i + 1;
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let (key, value) = l
            .split_once(':')
            .ok_or_else(|| format!("line {line}: expected `Key: value`, got `{l}`"))?;
        match key.trim() {
            "Transform" => entries.push(Entry {
                line,
                name: value.trim().to_string(),
                params: None,
                fixed: None,
            }),
            "Parameters" => {
                let e = entries
                    .last_mut()
                    .ok_or_else(|| format!("line {line}: Parameters before any Transform"))?;
                e.params = Some(numbers(value, line)?);
            }
            "FixedParameters" => {
                let e = entries
                    .last_mut()
                    .ok_or_else(|| format!("line {line}: FixedParameters before any Transform"))?;
                e.fixed = Some(numbers(value, line)?);
            }
            other => return Err(format!("line {line}: unknown key `{other}`")),
        }
    }
    let mut parts = Vec::new();
    for (k, e) in entries.iter().enumerate() {
        let base = base_name(&e.name, e.line)?;
        if base == "CompositeTransform" {
            if k != 0 {
                return Err(format!("line {}: nested composite transform", e.line));
            }
            continue;
        }
        parts.push(entry_transform(base, e)?);
    }
    let composite = entries
        .first()
        .is_some_and(|e| e.name.starts_with("CompositeTransform"));
    if !composite && parts.len() > 1 {
        return Err("several transforms without a CompositeTransform line".into());
    }
    let mut it = parts.into_iter();
    let first = it.next().ok_or("no transform in the file")?;
    let t = it.fold(first, |acc, next| acc.compose(&next));
    t.validate().map_err(|e| e.to_string())?;
    Ok(t)
}

fn base_name(name: &str, line: usize) -> std::result::Result<&str, String> {
    for suffix in ["_double_3_3", "_float_3_3"] {
        if let Some(b) = name.strip_suffix(suffix) {
            return Ok(b);
        }
    }
    if name.ends_with("_2_2") {
        return Err(format!(
            "line {line}: `{name}` is 2D; only 3D transforms are supported"
        ));
    }
    Err(format!(
        "line {line}: unsupported transform `{name}` (3D linear transforms only: Affine, Euler3D, VersorRigid3D, Similarity3D, Scale, Translation, Identity, Composite)"
    ))
}

fn versor_matrix(v: &[f64]) -> std::result::Result<Mat3, String> {
    let (x, y, z) = (v[0], v[1], v[2]);
    let n2 = x * x + y * y + z * z;
    if n2 > 1.0 + 1e-12 {
        return Err(format!("versor ({x}, {y}, {z}) has norm > 1"));
    }
    let w = (1.0 - n2).max(0.0).sqrt();
    // itk::Versor::GetMatrix.
    Ok([
        [
            1.0 - 2.0 * (y * y + z * z),
            2.0 * (x * y - z * w),
            2.0 * (x * z + y * w),
        ],
        [
            2.0 * (x * y + z * w),
            1.0 - 2.0 * (x * x + z * z),
            2.0 * (y * z - x * w),
        ],
        [
            2.0 * (x * z - y * w),
            2.0 * (y * z + x * w),
            1.0 - 2.0 * (x * x + y * y),
        ],
    ])
}

fn entry_transform(base: &str, e: &Entry) -> std::result::Result<Transform, String> {
    let p = e.params.clone().unwrap_or_default();
    let f = e.fixed.clone().unwrap_or_default();
    let need = |np: usize, nf: &[usize]| -> std::result::Result<(), String> {
        if p.len() != np || !nf.contains(&f.len()) {
            Err(format!(
                "line {}: {} needs {np} parameters and {:?} fixed parameters, got {} and {}",
                e.line,
                e.name,
                nf,
                p.len(),
                f.len()
            ))
        } else {
            Ok(())
        }
    };
    let center = |f: &[f64]| [f[0], f[1], f[2]];
    let t3 = |p: &[f64]| [p[0], p[1], p[2]];
    Ok(match base {
        "AffineTransform" | "MatrixOffsetTransformBase" => {
            need(12, &[3])?;
            let m: Mat3 = std::array::from_fn(|r| std::array::from_fn(|c| p[3 * r + c]));
            Transform::affine(m, t3(&p[9..]), center(&f))
        }
        "Euler3DTransform" => {
            need(6, &[3, 4])?;
            Transform::Euler3d {
                angles: t3(&p),
                translation: t3(&p[3..]),
                center: center(&f),
                compute_zyx: f.len() == 4 && f[3] != 0.0,
            }
        }
        "VersorRigid3DTransform" => {
            need(6, &[3])?;
            let m = versor_matrix(&p).map_err(|r| format!("line {}: {r}", e.line))?;
            Transform::affine(m, t3(&p[3..]), center(&f))
        }
        "Similarity3DTransform" => {
            need(7, &[3])?;
            let r = versor_matrix(&p).map_err(|r| format!("line {}: {r}", e.line))?;
            let s = p[6];
            let m = mat_mul(&[[s, 0.0, 0.0], [0.0, s, 0.0], [0.0, 0.0, s]], &r);
            Transform::affine(m, t3(&p[3..]), center(&f))
        }
        "ScaleTransform" => {
            need(3, &[3])?;
            let m = [[p[0], 0.0, 0.0], [0.0, p[1], 0.0], [0.0, 0.0, p[2]]];
            Transform::affine(m, [0.0; 3], center(&f))
        }
        "TranslationTransform" => {
            need(3, &[0, 3])?;
            Transform::Translation { offset: t3(&p) }
        }
        "IdentityTransform" => {
            need(0, &[0])?;
            Transform::affine(IDENTITY, [0.0; 3], [0.0; 3])
        }
        _ => {
            return Err(format!(
                "line {}: unsupported transform `{}` (3D linear transforms only)",
                e.line, e.name
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for t in [
            Transform::euler([0.0, 0.0, 0.0872665], [4.0, -3.0, 2.0], [127.5; 3]),
            Transform::affine(
                [[1.1, 0.1, 0.0], [0.0, 0.9, 0.2], [0.05, 0.0, 1.0]],
                [1.0, 2.0, 3.0],
                [5.0, 5.0, 5.0],
            ),
            Transform::Translation {
                offset: [0.1, 1e-17, -3.0],
            },
        ] {
            let s = to_tfm_string(&t);
            assert_eq!(parse_tfm(&s).unwrap(), t, "{s}");
        }
    }

    #[test]
    fn composite_order() {
        let text = "#Insight Transform File V1.0\n#Transform 0\nTransform: CompositeTransform_double_3_3\n\
            #Transform 1\nTransform: TranslationTransform_double_3_3\nParameters: 1 0 0\nFixedParameters:\n\
            #Transform 2\nTransform: ScaleTransform_double_3_3\nParameters: 2 2 2\nFixedParameters: 0 0 0\n";
        let t = parse_tfm(text).unwrap();
        // T(x) = T1(T2(x)) = 2x + (1, 0, 0)
        let y = t.apply([1.0, 1.0, 1.0]);
        assert!((y[0] - 3.0).abs() < 1e-12 && (y[1] - 2.0).abs() < 1e-12);
    }

    #[test]
    fn bad_files() {
        for text in [
            "",
            "hello",
            "#Insight Transform File V1.0\n",
            "#Insight Transform File V1.0\nTransform: Euler3DTransform_double_3_3\nParameters: 0 0 nan 0 0 0\nFixedParameters: 0 0 0\n",
            "#Insight Transform File V1.0\nTransform: Euler3DTransform_double_3_3\nParameters: 0 0 0 0 0\nFixedParameters: 0 0 0\n",
            "#Insight Transform File V1.0\nTransform: BSplineTransform_double_3_3\nParameters: 0\nFixedParameters: 0\n",
            "#Insight Transform File V1.0\nTransform: AffineTransform_double_2_2\nParameters: 1 0 0 1 0 0\nFixedParameters: 0 0\n",
            "#Insight Transform File V1.0\nTransform: AffineTransform_double_3_3\nParameters: 0 0 0 0 0 0 0 0 0 0 0 0\nFixedParameters: 0 0 0\n",
            "#Insight Transform File V1.0\nParameters: 1 2 3\n",
        ] {
            assert!(parse_tfm(text).is_err(), "{text}");
        }
    }
}
