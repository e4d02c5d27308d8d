//! DICOM export round trips: write a volume as a series, read it back with medvox.

use medvox_core::{AnyVolume, Geometry, Pixel, Volume};
use medvox_dicom::export::{export, ExportOptions, Modality};

fn rot(a: f64, b: f64) -> [[f64; 3]; 3] {
    // Rotation about z by a, then about x by b (right-handed, orthonormal).
    let (ca, sa, cb, sb) = (a.cos(), a.sin(), b.cos(), b.sin());
    let rz = [[ca, -sa, 0.0], [sa, ca, 0.0], [0.0, 0.0, 1.0]];
    let rx = [[1.0, 0.0, 0.0], [0.0, cb, -sb], [0.0, sb, cb]];
    medvox_core::geometry::mat_mul(&rx, &rz)
}

fn volume<T: Pixel>(size: [usize; 3], g: Geometry, f: impl Fn(usize) -> f64) -> AnyVolume
where
    AnyVolume: From<Volume<T>>,
{
    let n = size.iter().product();
    let v: Vec<T> = (0..n).map(|i| T::from_f64(f(i))).collect();
    Volume::from_vec(size, v, g).unwrap().into()
}

fn values(v: &AnyVolume) -> Vec<f64> {
    medvox_core::with_volume!(v, x => x.as_slice().iter().map(|p| p.to_f64()).collect())
}

fn assert_geometry(a: &Geometry, b: &Geometry, tol: f64) {
    for i in 0..3 {
        assert!((a.spacing[i] - b.spacing[i]).abs() < tol, "{a:?} {b:?}");
        assert!((a.origin[i] - b.origin[i]).abs() < tol, "{a:?} {b:?}");
        for j in 0..3 {
            assert!(
                (a.direction[i][j] - b.direction[i][j]).abs() < tol,
                "{a:?} {b:?}"
            );
        }
    }
}

/// Exports, reads back, checks geometry and values within `tol` (0 = exact).
fn round_trip(v: &AnyVolume, opts: &ExportOptions, tol: f64) -> medvox_dicom::Read {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("series");
    let sum = export(v, &out, opts).unwrap();
    assert_eq!(sum.files, v.size()[2]);
    assert!(sum.max_error <= tol, "{} > {tol}", sum.max_error);
    let files = std::fs::read_dir(&out).unwrap().count();
    assert_eq!(files, v.size()[2]);
    let read = medvox_dicom::read(&out, None).unwrap();
    assert!(
        read.series.warnings.is_empty(),
        "{:?}",
        read.series.warnings
    );
    let back = &read.image.volumes[0];
    assert_eq!(back.size(), v.size());
    assert_geometry(back.geometry(), v.geometry(), 1e-6);
    let (a, b) = (values(v), values(back));
    let err = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    assert!(err <= tol, "max error {err} > {tol}");
    assert!(
        (err - sum.max_error).abs() <= 1e-9 * (1.0 + err),
        "{err} vs {}",
        sum.max_error
    );
    // Nothing but the series folder is left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    read
}

#[test]
fn i16_ct_oblique_anisotropic_is_exact() {
    let g = Geometry::new([0.7, 0.9, 2.5], [-120.5, 33.25, 400.0], rot(0.3, -0.2)).unwrap();
    let v = volume::<i16>([7, 5, 4], g, |i| (i as f64 * 37.0) % 4000.0 - 1024.0);
    let read = round_trip(&v, &ExportOptions::default(), 0.0);
    assert_eq!(read.series.modality, "CT");
    assert_eq!(
        read.image.volumes[0].pixel_type(),
        medvox_core::PixelType::I16
    );
}

#[test]
fn u8_single_slice_is_exact() {
    let g = Geometry::new([0.5, 0.25, 3.0], [1.0, 2.0, 3.0], Geometry::IDENTITY).unwrap();
    let v = volume::<u8>([6, 4, 1], g, |i| (i * 11 % 256) as f64);
    let read = round_trip(&v, &ExportOptions::default(), 0.0);
    assert_eq!(read.series.modality, "OT");
}

#[test]
fn f32_quantised_within_the_stated_error() {
    let g = Geometry::new([1.0, 1.0, 1.5], [0.0, 0.0, 0.0], rot(-0.5, 0.1)).unwrap();
    let v = volume::<f32>([5, 6, 3], g, |i| (i as f64 * 0.37).sin() * 3.25);
    let opts = ExportOptions {
        modality: Some(Modality::Mr),
        ..Default::default()
    };
    // Span 6.5 over 65535 steps: half a step plus f32 rounding.
    round_trip(&v, &opts, 6.5 / 65535.0 / 2.0 * 1.001 + 1e-6);
}

#[test]
fn integer_valued_f32_and_wide_i32_are_exact() {
    let g = Geometry::default();
    let v = volume::<f32>([4, 3, 2], g, |i| i as f64 * 100.0 - 1000.0);
    round_trip(&v, &ExportOptions::default(), 0.0);
    let v = volume::<i32>([4, 3, 2], g, |i| 1_000_000.0 + i as f64 * 2000.0);
    round_trip(&v, &ExportOptions::default(), 0.0);
}

#[test]
fn left_handed_direction_reads_back_reversed() {
    let mut d = Geometry::IDENTITY;
    d[2][2] = -1.0;
    let g = Geometry::new([1.0, 1.0, 2.0], [0.0, 0.0, 10.0], d).unwrap();
    let v = volume::<i16>([3, 2, 4], g, |i| i as f64);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let sum = export(&v, &out, &ExportOptions::default()).unwrap();
    assert_eq!(sum.notes.len(), 1);
    let back = medvox_dicom::read(&out, None)
        .unwrap()
        .image
        .volumes
        .remove(0);
    assert_eq!(back.geometry().direction, Geometry::IDENTITY);
    assert_eq!(back.geometry().origin, [0.0, 0.0, 4.0]);
    let (a, b) = (values(&v), values(&back));
    for z in 0..4 {
        assert_eq!(a[z * 6..z * 6 + 6], b[(3 - z) * 6..(3 - z) * 6 + 6]);
    }
}

#[test]
fn refusals_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let g = Geometry::default();
    let v = volume::<i16>([2, 2, 2], g, |i| i as f64);
    // Non-empty existing folder without force.
    let out = dir.path().join("busy");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), b"x").unwrap();
    let e = export(&v, &out, &ExportOptions::default()).unwrap_err();
    assert!(e.to_string().contains("--force"), "{e}");
    assert!(out.join("keep.txt").exists());
    // With force it is replaced.
    let opts = ExportOptions {
        force: true,
        ..Default::default()
    };
    export(&v, &out, &opts).unwrap();
    assert!(!out.join("keep.txt").exists());
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 2);
    // NaN and a sheared direction are refused with no output.
    let nan = volume::<f32>([2, 2, 2], g, |i| if i == 3 { f64::NAN } else { 1.0 });
    let e = export(&nan, &dir.path().join("nan"), &ExportOptions::default()).unwrap_err();
    assert!(e.to_string().contains("NaN"), "{e}");
    let shear = Geometry::new(
        [1.0; 3],
        [0.0; 3],
        [[1.0, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    )
    .unwrap();
    let v = volume::<i16>([2, 2, 2], shear, |i| i as f64);
    let e = export(&v, &dir.path().join("shear"), &ExportOptions::default()).unwrap_err();
    assert!(e.to_string().contains("orthonormal"), "{e}");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("busy")]);
}

#[test]
fn uid_hash_is_the_documented_sha256() {
    // int.from_bytes(hashlib.sha256(b"salt" + b"1.2.3").digest()[:16], "big"), computed in Python.
    assert_eq!(
        medvox_dicom::uid::hashed(&[b"salt", b"1.2.3"]),
        format!("2.25.{}", PY_SALT_123)
    );
}

const PY_SALT_123: &str = "312291042605091450855344227440171336093";
