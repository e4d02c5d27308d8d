//! NIfTI and Analyze 7.5: round trips, hand-written headers (both byte orders,
//! scaling, the qform/sform rules SimpleITK 2.5.7 applies), malformed input, and
//! consistency checks on the real files in `shared/data/real` (skipped when absent).
//!
//! The expected geometries of the hand-written headers below were obtained by
//! reading the same headers with SimpleITK 2.5.7.

mod common;

use std::path::{Path, PathBuf};

use common::{expect_err, put, read, real_data};

use medvox_core::geometry::mat_mul;
use medvox_core::{for_pixel_type, AnyVolume, Geometry, Mat3, Pixel, PixelType, Volume};
use medvox_io::{nifti, Image, IoError, Limits, ReadOptions, WriteOptions};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Rotation by `angle` about the unit vector `axis` (Rodrigues).
fn rotation(axis: [f64; 3], angle: f64) -> Mat3 {
    let n = (axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2]).sqrt();
    let [x, y, z] = axis.map(|v| v / n);
    let (s, c) = angle.sin_cos();
    let t = 1.0 - c;
    [
        [t * x * x + c, t * x * y - s * z, t * x * z + s * y],
        [t * x * y + s * z, t * y * y + c, t * y * z - s * x],
        [t * x * z - s * y, t * y * z + s * x, t * z * z + c],
    ]
}

/// An oblique, anisotropic geometry; `proper = false` mirrors the third axis.
fn oblique(proper: bool) -> Geometry {
    let mut d = rotation([1.0, 2.0, 3.0], 0.4);
    if !proper {
        d = mat_mul(&d, &[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]]);
    }
    Geometry::new([0.7, 1.3, 2.5], [-100.5, 20.25, 33.125], d).unwrap()
}

/// `n` values of `T` including its extremes (or large floats) and a spread in between.
fn pattern<T: Pixel>(n: usize) -> Vec<T> {
    let (lo, hi) = if T::TYPE.is_float() {
        (-123456.75, 98765.5)
    } else {
        (T::MIN, T::MAX)
    };
    (0..n)
        .map(|i| match i {
            0 => T::from_f64(lo),
            1 => T::from_f64(hi),
            _ => T::from_f64(lo + (hi - lo) * ((i * 7919) % n) as f64 / n as f64),
        })
        .collect()
}

fn volume<T: Pixel>(size: [usize; 3], g: Geometry) -> AnyVolume
where
    AnyVolume: From<Volume<T>>,
{
    Volume::from_vec(size, pattern::<T>(size.iter().product()), g)
        .unwrap()
        .into()
}

fn assert_geometry_close(a: &Geometry, b: &Geometry, tol: f64) {
    let close = |x: &[f64], y: &[f64]| x.iter().zip(y).all(|(p, q)| (p - q).abs() <= tol);
    assert!(
        close(&a.spacing, &b.spacing)
            && close(&a.origin, &b.origin)
            && close(&a.direction_row_major(), &b.direction_row_major()),
        "geometries differ:\n{a:?}\n{b:?}"
    );
}

fn read_err(path: &Path) -> IoError {
    expect_err(path, medvox_io::read(path))
}

/// A hand-written 348-byte NIfTI-1 or Analyze header (+4 extension bytes), either byte order.
#[derive(Clone, Debug)]
struct Hdr {
    big: bool,
    magic: [u8; 4],
    sizeof_hdr: i32,
    dim: [i16; 8],
    datatype: i16,
    bitpix: i16,
    pixdim: [f32; 8],
    vox_offset: f32,
    slope: f32,
    inter: f32,
    units: u8,
    qcode: i16,
    scode: i16,
    quatern: [f32; 6],
    srow: [[f32; 4]; 3],
}

impl Hdr {
    fn nifti(dims: &[i16], datatype: i16, bitpix: i16) -> Hdr {
        let mut dim = [1i16; 8];
        dim[0] = dims.len() as i16;
        dim[1..=dims.len()].copy_from_slice(dims);
        Hdr {
            big: false,
            magic: *b"n+1\0",
            sizeof_hdr: 348,
            dim,
            datatype,
            bitpix,
            pixdim: [1.0; 8],
            vox_offset: 352.0,
            slope: 0.0,
            inter: 0.0,
            units: 2,
            qcode: 0,
            scode: 0,
            quatern: [0.0; 6],
            srow: [
                [1.0, 0.0, 0.0, 0.0],
                [0.0, 1.0, 0.0, 0.0],
                [0.0, 0.0, 1.0, 0.0],
            ],
        }
    }

    fn analyze(dims: &[i16], datatype: i16, bitpix: i16) -> Hdr {
        Hdr {
            magic: [0; 4],
            vox_offset: 0.0,
            ..Hdr::nifti(dims, datatype, bitpix)
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut h = vec![0u8; 352];
        let big = self.big;
        let mut put = |off: usize, b: &[u8]| {
            let mut b = b.to_vec();
            if big {
                b.reverse();
            }
            h[off..off + b.len()].copy_from_slice(&b);
        };
        put(0, &self.sizeof_hdr.to_le_bytes());
        for (i, d) in self.dim.iter().enumerate() {
            put(40 + 2 * i, &d.to_le_bytes());
        }
        put(70, &self.datatype.to_le_bytes());
        put(72, &self.bitpix.to_le_bytes());
        for (i, p) in self.pixdim.iter().enumerate() {
            put(76 + 4 * i, &p.to_le_bytes());
        }
        put(108, &self.vox_offset.to_le_bytes());
        put(112, &self.slope.to_le_bytes());
        put(116, &self.inter.to_le_bytes());
        put(123, &[self.units]);
        put(252, &self.qcode.to_le_bytes());
        put(254, &self.scode.to_le_bytes());
        for (i, q) in self.quatern.iter().enumerate() {
            put(256 + 4 * i, &q.to_le_bytes());
        }
        for (r, row) in self.srow.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                put(280 + 16 * r + 4 * c, &v.to_le_bytes());
            }
        }
        h[344..348].copy_from_slice(&self.magic);
        h
    }
}

/// Voxel bytes of `values` in the chosen byte order.
fn data_bytes<T: Pixel>(values: &[T], big: bool) -> Vec<u8> {
    let n = std::mem::size_of::<T>();
    let mut out: Vec<u8> = bytemuck::cast_slice(values).to_vec();
    if big == cfg!(target_endian = "little") {
        out.chunks_exact_mut(n).for_each(|c| c.reverse());
    }
    out
}

fn write_file(dir: &Path, name: &str, parts: &[&[u8]]) -> PathBuf {
    put(dir, name, &parts.concat())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    medvox_io::gz::gzip(&[bytes], 6)
}

fn f32s(img: &Image) -> Vec<f32> {
    match &img.volumes[0] {
        AnyVolume::F32(v) => v.as_slice().to_vec(),
        other => panic!("expected f32, got {}", other.pixel_type()),
    }
}

// ---------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------

fn round_trip<T: Pixel>(dir: &Path)
where
    AnyVolume: From<Volume<T>>,
{
    for proper in [true, false] {
        let v = volume::<T>([5, 4, 3], oblique(proper));
        for ext in [".nii", ".nii.gz", ".hdr", ".hdr.gz"] {
            let path = dir.join(format!("rt_{}_{proper}{ext}", T::TYPE));
            medvox_io::write(&path, &v).unwrap();
            let mut names = vec![path.clone()];
            if ext.starts_with(".hdr") {
                let name = path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .replace(".hdr", ".img");
                names.push(path.with_file_name(name));
            }
            for name in names {
                let img = read(&name);
                assert_eq!(img.format, "nifti");
                assert_eq!(img.volumes.len(), 1);
                let back = &img.volumes[0];
                assert_eq!(back.pixel_type(), T::TYPE, "{}", name.display());
                assert_eq!(back.size(), v.size());
                assert_eq!(
                    back.to_volume::<f64>().as_slice(),
                    v.to_volume::<f64>().as_slice()
                );
                assert_geometry_close(back.geometry(), v.geometry(), 1e-6);
            }
        }
    }
}

#[test]
fn round_trip_every_type_and_layout() {
    let dir = tempfile::tempdir().unwrap();
    for pt in PixelType::ALL {
        for_pixel_type!(pt, T => round_trip::<T>(dir.path()));
    }
}

#[test]
fn one_voxel_and_series() {
    let dir = tempfile::tempdir().unwrap();
    let g = oblique(true);
    let one: AnyVolume = Volume::from_vec([1, 1, 1], vec![-7i16], g).unwrap().into();
    for ext in ["nii", "nii.gz"] {
        let p = dir.path().join(format!("one.{ext}"));
        medvox_io::write(&p, &one).unwrap();
        let img = read(&p);
        assert_eq!(img.volumes[0].pixel_type(), PixelType::I16);
        assert_eq!(img.volumes[0].to_volume::<f64>().as_slice(), &[-7.0]);
        assert_geometry_close(img.volumes[0].geometry(), &g, 1e-6);
    }
    // A 4D series of three volumes.
    let vols: Vec<AnyVolume> = (0..3)
        .map(|t| {
            Volume::from_vec(
                [3, 2, 2],
                (0..12).map(|i| (i + 100 * t) as u16).collect(),
                g,
            )
            .unwrap()
            .into()
        })
        .collect();
    let p = dir.path().join("series.nii.gz");
    nifti::write_volumes(&p, &vols, &WriteOptions::default()).unwrap();
    let img = read(&p);
    assert_eq!(img.volumes.len(), 3);
    for (a, b) in img.volumes.iter().zip(&vols) {
        assert_eq!(
            a.to_volume::<f64>().as_slice(),
            b.to_volume::<f64>().as_slice()
        );
        assert_geometry_close(a.geometry(), b.geometry(), 1e-6);
    }
    // Volumes of a series must agree.
    let other: AnyVolume = Volume::from_vec([1, 1, 1], vec![0u16], g).unwrap().into();
    assert!(nifti::write_volumes(
        &dir.path().join("bad.nii"),
        &[vols[0].clone(), other],
        &WriteOptions::default()
    )
    .is_err());
    assert!(!dir.path().join("bad.nii").exists());
}

/// What medvox writes is a header SimpleITK and nibabel understand: ITK's codes and units.
#[test]
fn written_header_fields() {
    let dir = tempfile::tempdir().unwrap();
    let v = volume::<i16>([4, 3, 2], oblique(false));
    let p = dir.path().join("h.nii");
    medvox_io::write(&p, &v).unwrap();
    let b = std::fs::read(&p).unwrap();
    let i16_at = |o: usize| i16::from_le_bytes([b[o], b[o + 1]]);
    let f32_at = |o: usize| f32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    assert_eq!(i32::from_le_bytes([b[0], b[1], b[2], b[3]]), 348);
    assert_eq!(&b[344..348], b"n+1\0");
    assert_eq!(b.len(), 352 + 24 * 2);
    assert_eq!(f32_at(108), 352.0);
    assert_eq!((i16_at(252), i16_at(254)), (1, 1)); // NIFTI_XFORM_SCANNER_ANAT
    assert_eq!(b[123], 10); // mm + s
    assert_eq!(f32_at(76), -1.0); // qfac of an improper rotation
    assert_eq!((f32_at(112), f32_at(116)), (1.0, 0.0));
    assert_eq!((i16_at(70), i16_at(72)), (4, 16));
    // The pair variant: `ni1` magic, vox_offset 0, data alone in the .img.
    let p = dir.path().join("h.hdr");
    medvox_io::write(&p, &v).unwrap();
    let b = std::fs::read(&p).unwrap();
    assert_eq!(&b[344..348], b"ni1\0");
    assert_eq!(
        std::fs::metadata(dir.path().join("h.img")).unwrap().len(),
        48
    );
}

#[test]
fn write_errors_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let big = Volume::<u8>::zeros([40000, 1, 1], Geometry::default())
        .unwrap()
        .into();
    let p = dir.path().join("big.nii");
    let e = medvox_io::write(&p, &big).unwrap_err();
    assert!(matches!(e, IoError::Unsupported { .. }), "{e}");
    assert!(medvox_io::write(
        dir.path().join("no/such/dir/x.nii.gz"),
        &volume::<u8>([2, 2, 2], Geometry::default())
    )
    .is_err());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

// ---------------------------------------------------------------------------
// Hand-written headers: byte order, scaling, dimensions, Analyze, NIfTI-2
// ---------------------------------------------------------------------------

#[test]
fn big_endian_equals_little_endian() {
    let dir = tempfile::tempdir().unwrap();
    let vals: Vec<i16> = (0..60).map(|i| i * 517 - 15000).collect();
    let floats: Vec<f32> = (0..60).map(|i| i as f32 * -1.25).collect();
    let mut h = Hdr::nifti(&[5, 4, 3], 4, 16);
    h.qcode = 1;
    h.pixdim = [-1.0, 0.5, 0.75, 2.0, 1.0, 1.0, 1.0, 1.0];
    h.quatern = [0.1, -0.2, 0.3, 10.0, -20.0, 30.0];
    let mut images = Vec::new();
    for big in [false, true] {
        let h = Hdr { big, ..h.clone() };
        let p = write_file(
            dir.path(),
            &format!("i16_{big}.nii"),
            &[&h.bytes(), &data_bytes(&vals, big)],
        );
        images.push(read(&p));
        let hf = Hdr {
            datatype: 16,
            bitpix: 32,
            ..h.clone()
        };
        let bytes = [hf.bytes(), data_bytes(&floats, big)].concat();
        let p = write_file(dir.path(), &format!("f32_{big}.nii.gz"), &[&gzip(&bytes)]);
        images.push(read(&p));
        // Pair: .hdr + .img, both big-endian or both little-endian.
        let hp = Hdr {
            magic: *b"ni1\0",
            vox_offset: 0.0,
            ..h.clone()
        };
        write_file(dir.path(), &format!("pair_{big}.hdr"), &[&hp.bytes()]);
        write_file(
            dir.path(),
            &format!("pair_{big}.img"),
            &[&data_bytes(&vals, big)],
        );
        images.push(read(&dir.path().join(format!("pair_{big}.hdr"))));
    }
    let (le, be) = images.split_at(3);
    assert_eq!(le, be);
    assert_eq!(le[0].volumes[0], le[2].volumes[0]);
    assert_eq!(le[0].volumes[0].to_volume::<i16>().as_slice(), &vals[..]);
    assert_eq!(f32s(&le[1]), floats);
    assert_eq!(le[0].volumes[0].geometry().spacing, [0.5, 0.75, 2.0]);
}

/// A 4D series in either byte order, raw and gzipped, splits into the same volumes.
#[test]
fn big_endian_series() {
    let dir = tempfile::tempdir().unwrap();
    let vals: Vec<i32> = (0..36).map(|i| i * 1_000_003 - 7).collect();
    let mut series = Vec::new();
    for big in [false, true] {
        let h = Hdr {
            big,
            ..Hdr::nifti(&[3, 2, 2, 3], 8, 32)
        };
        let bytes = [h.bytes(), data_bytes(&vals, big)].concat();
        series.push(read(&write_file(
            dir.path(),
            &format!("s{big}.nii"),
            &[&bytes],
        )));
        series.push(read(&write_file(
            dir.path(),
            &format!("s{big}.nii.gz"),
            &[&gzip(&bytes)],
        )));
    }
    assert!(series.iter().all(|s| *s == series[0]));
    assert_eq!(series[0].volumes.len(), 3);
    let all: Vec<i32> = series[0]
        .volumes
        .iter()
        .flat_map(|v| v.to_volume::<i32>().as_slice().to_vec())
        .collect();
    assert_eq!(all, vals);
}

#[test]
fn scaling_like_itk() {
    let dir = tempfile::tempdir().unwrap();
    let case = |name: &str, h: Hdr, data: Vec<u8>| {
        read(&write_file(dir.path(), name, &[&h.bytes(), &data]))
    };
    // u8 with slope 0.1, intercept -3 → f32 (values as SimpleITK reads them).
    let img = case(
        "u8.nii",
        Hdr {
            slope: 0.1,
            inter: -3.0,
            ..Hdr::nifti(&[4], 2, 8)
        },
        vec![0, 1, 2, 3],
    );
    assert_eq!(f32s(&img), [-3.0, -2.9, -2.8, -2.7]);
    // Integers are converted to f32 before scaling: 16777217 → 16777216.
    let ints: Vec<i32> = (0..4).map(|i| 16777217 + i).collect();
    let img = case(
        "i32.nii",
        Hdr {
            slope: 1.0,
            inter: 0.5,
            ..Hdr::nifti(&[4], 8, 32)
        },
        data_bytes(&ints, false),
    );
    assert_eq!(f32s(&img), [16777216.0, 16777218.0, 16777220.0, 16777220.0]);
    // f64 stays f64.
    let img = case(
        "f64.nii",
        Hdr {
            slope: 2.0,
            inter: 0.5,
            ..Hdr::nifti(&[3], 64, 64)
        },
        data_bytes(&[0.0f64, 1.0, 2.5], false),
    );
    assert_eq!(
        img.volumes[0].to_volume::<f64>().as_slice(),
        &[0.5, 2.5, 5.5]
    );
    assert_eq!(img.volumes[0].pixel_type(), PixelType::F64);
    // slope 0 means 1; a non-zero intercept still rescales.
    let img = case(
        "zero.nii",
        Hdr {
            slope: 0.0,
            inter: 5.0,
            ..Hdr::nifti(&[2], 2, 8)
        },
        vec![0, 1],
    );
    assert_eq!(f32s(&img), [5.0, 6.0]);
    // slope 1, intercept 0, or NaN slope: no rescaling, type kept.
    for (i, slope) in [1.0, f32::NAN].into_iter().enumerate() {
        let img = case(
            &format!("id{i}.nii"),
            Hdr {
                slope,
                ..Hdr::nifti(&[2], 4, 16)
            },
            data_bytes(&[-2i16, 3], false),
        );
        assert_eq!(img.volumes[0].pixel_type(), PixelType::I16);
    }
    // Analyze has no scaling (SPM's funused1 scale is ignored, as by ITK).
    let p = dir.path().join("a.hdr");
    write_file(
        dir.path(),
        "a.hdr",
        &[&Hdr {
            slope: 3.0,
            ..Hdr::analyze(&[2], 4, 16)
        }
        .bytes()[..348]],
    );
    write_file(dir.path(), "a.img", &[&data_bytes(&[-2i16, 3], false)]);
    let img = read(&p);
    assert_eq!(img.format, "analyze");
    assert_eq!(img.volumes[0].to_volume::<i16>().as_slice(), &[-2, 3]);
    // NaN and inf floats are kept (as nibabel; nifti_clib reads them as 0).
    let img = case(
        "nan.nii",
        Hdr::nifti(&[3], 16, 32),
        data_bytes(&[f32::NAN, 1.5, f32::NEG_INFINITY], false),
    );
    let v = f32s(&img);
    assert!(
        v[0].is_nan() && v[1] == 1.5 && v[2] == f32::NEG_INFINITY,
        "{v:?}"
    );
}

#[test]
fn two_d_and_one_d() {
    let dir = tempfile::tempdir().unwrap();
    // dim[0] = 2 with pixdim[3] = 0 and an sform (SimpleITK: spacing (2, 3), origin (-1, -2)).
    let mut h = Hdr::nifti(&[4, 6], 4, 16);
    h.pixdim = [1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    h.scode = 2;
    h.srow = [
        [2.0, 0.0, 0.0, 1.0],
        [0.0, 3.0, 0.0, 2.0],
        [0.0, 0.0, 4.0, 3.0],
    ];
    let vals: Vec<i16> = (0..24).collect();
    let img = read(&write_file(
        dir.path(),
        "2d.nii",
        &[&h.bytes(), &data_bytes(&vals, false)],
    ));
    let v = &img.volumes[0];
    assert_eq!(v.size(), [4, 6, 1]);
    let g = v.geometry();
    assert_eq!(g.spacing, [2.0, 3.0, 1.0]);
    assert_eq!(g.origin, [-1.0, -2.0, 3.0]);
    assert_eq!(
        g.direction,
        [[-1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]]
    );
    // A 2D sform with an empty third column still gives a valid (completed) direction.
    h.srow[2] = [0.0, 0.0, 0.0, 3.0];
    let img = read(&write_file(
        dir.path(),
        "2d_flat.nii",
        &[&h.bytes(), &data_bytes(&vals, false)],
    ));
    assert_eq!(img.volumes[0].geometry().direction[2], [0.0, 0.0, 1.0]);
    // 1D.
    let img = read(&write_file(
        dir.path(),
        "1d.nii",
        &[&Hdr::nifti(&[5], 2, 8).bytes(), &[1, 2, 3, 4, 5]],
    ));
    assert_eq!(img.volumes[0].size(), [5, 1, 1]);
}

/// Which of qform and sform wins, spacing and origin: the cases checked against SimpleITK 2.5.7.
#[test]
fn qform_sform_rules() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_bytes(&[0i16; 24], false);
    let geometry = |name: &str, h: &Hdr| {
        read(&write_file(dir.path(), name, &[&h.bytes(), &data])).volumes[0]
            .geometry()
            .to_owned()
    };
    let base = Hdr::nifti(&[4, 3, 2], 4, 16);
    let lps = |d: [f64; 3]| [[d[0], 0.0, 0.0], [0.0, d[1], 0.0], [0.0, 0.0, d[2]]];
    let srow = [
        [-2.0, 0.0, 0.0, 1.0],
        [0.0, 3.0, 0.0, 2.0],
        [0.0, 0.0, 4.0, 3.0],
    ];
    // qform with a negative pixdim: spacing positive, that axis flipped.
    let g = geometry(
        "negpix_q.nii",
        &Hdr {
            qcode: 1,
            pixdim: [1.0, -2.0, 3.0, 4.0, 0.0, 0.0, 0.0, 0.0],
            quatern: [0.0, 0.0, 0.0, 1.0, 2.0, 3.0],
            ..base.clone()
        },
    );
    assert_eq!(
        (g.spacing, g.origin, g.direction),
        ([2.0, 3.0, 4.0], [-1.0, -2.0, 3.0], lps([1.0, -1.0, 1.0]))
    );
    // sform_code 1 (scanner): the sform wins; spacing still from pixdim.
    let g = geometry(
        "negpix_s.nii",
        &Hdr {
            scode: 1,
            srow,
            pixdim: [1.0, -2.0, 3.0, 4.0, 0.0, 0.0, 0.0, 0.0],
            ..base.clone()
        },
    );
    assert_eq!(
        (g.spacing, g.origin, g.direction),
        ([2.0, 3.0, 4.0], [-1.0, -2.0, 3.0], lps([-1.0, -1.0, 1.0]))
    );
    // sform scales that disagree with pixdim: direction from the sform, spacing from pixdim.
    let g = geometry(
        "sscale.nii",
        &Hdr {
            scode: 2,
            srow: [
                [2.0, 0.0, 0.0, 1.0],
                [0.0, 3.0, 0.0, 2.0],
                [0.0, 0.0, 4.0, 3.0],
            ],
            ..base.clone()
        },
    );
    assert_eq!(
        (g.spacing, g.origin, g.direction),
        ([1.0; 3], [-1.0, -2.0, 3.0], lps([-1.0, -1.0, 1.0]))
    );
    // Both codes 2, different transforms: the qform wins.
    let q = Hdr {
        qcode: 2,
        scode: 2,
        srow,
        quatern: [0.0, 0.0, 1.0, 5.0, 6.0, 7.0],
        pixdim: [1.0, 2.0, 3.0, 4.0, 0.0, 0.0, 0.0, 0.0],
        ..base.clone()
    };
    let g = geometry("q_wins.nii", &q);
    assert_eq!(
        (g.origin, g.direction),
        ([-5.0, -6.0, 7.0], lps([1.0, 1.0, 1.0]))
    );
    // Both codes 2, same transform (180° about z): the sform (identical here) is used.
    let same = Hdr {
        srow: [
            [-2.0, 0.0, 0.0, 5.0],
            [0.0, -3.0, 0.0, 6.0],
            [0.0, 0.0, 4.0, 7.0],
        ],
        ..q.clone()
    };
    assert_eq!(geometry("same.nii", &same).direction, lps([1.0, 1.0, 1.0]));
    // sform_code 1 beats a different qform.
    let g = geometry(
        "s_wins.nii",
        &Hdr {
            scode: 1,
            ..q.clone()
        },
    );
    assert_eq!(
        (g.origin, g.direction),
        ([-1.0, -2.0, 3.0], lps([1.0, -1.0, 1.0]))
    );
    // A sheared sform is never used when there is a qform...
    let sheared = [
        [2.0, 0.0, 30.0, 1.0],
        [0.0, 3.0, 30.0, 2.0],
        [0.0, 0.0, 32.0, 3.0],
    ];
    let g = geometry(
        "shear_q.nii",
        &Hdr {
            srow: sheared,
            ..q.clone()
        },
    );
    assert_eq!(g.origin, [-5.0, -6.0, 7.0]);
    // ...and without one medvox keeps its exact affine (SimpleITK refuses the file).
    let g = geometry(
        "shear.nii",
        &Hdr {
            scode: 2,
            srow: sheared,
            ..base.clone()
        },
    );
    let m = g.index_to_physical_matrix();
    assert!(
        (m[0][2] + 30.0).abs() < 1e-9 && (m[2][2] - 32.0).abs() < 1e-9,
        "{m:?}"
    );
    // No transform at all: origin 0, identity direction, pixdim spacing (0 → 1).
    let g = geometry(
        "none.nii",
        &Hdr {
            pixdim: [1.0, 0.0, 3.0, 4.0, 0.0, 0.0, 0.0, 0.0],
            ..base.clone()
        },
    );
    assert_eq!(
        (g.spacing, g.origin, g.direction),
        ([1.0, 3.0, 4.0], [0.0; 3], Geometry::IDENTITY)
    );
    // Units: metres scale spacing and origin by 1000.
    let g = geometry(
        "metres.nii",
        &Hdr {
            units: 1,
            scode: 1,
            pixdim: [1.0, 0.002, 0.003, 0.004, 0.0, 0.0, 0.0, 0.0],
            srow: [
                [0.002, 0.0, 0.0, 0.1],
                [0.0, 0.003, 0.0, 0.2],
                [0.0, 0.0, 0.004, 0.3],
            ],
            ..base.clone()
        },
    );
    assert!(
        (g.spacing[0] - 2.0).abs() < 1e-6 && (g.origin[2] - 300.0).abs() < 1e-4,
        "{g:?}"
    );
}

#[test]
fn analyze_both_byte_orders() {
    let dir = tempfile::tempdir().unwrap();
    let vals: Vec<f32> = (0..24).map(|i| i as f32 * 0.5 - 3.0).collect();
    let mut h = Hdr::analyze(&[4, 3, 2], 16, 32);
    // A negative pixdim flips that axis (SimpleITK: spacing 1.5, direction -x).
    h.pixdim = [0.0, -1.5, 2.5, 3.5, 0.0, 0.0, 0.0, 0.0];
    h.qcode = 0x0100; // an Analyze `orient` byte where NIfTI has its qform_code: ignored
    for big in [false, true] {
        let h = Hdr { big, ..h.clone() };
        write_file(dir.path(), &format!("a{big}.hdr"), &[&h.bytes()[..348]]);
        write_file(
            dir.path(),
            &format!("a{big}.img.gz"),
            &[&gzip(&data_bytes(&vals, big))],
        );
        let img = read(&dir.path().join(format!("a{big}.hdr")));
        assert_eq!(img.format, "analyze");
        assert_eq!(f32s(&img), vals);
        let g = img.volumes[0].geometry();
        assert_eq!(
            (g.spacing, g.origin, g.direction),
            (
                [1.5, 2.5, 3.5],
                [0.0; 3],
                [[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
            )
        );
        // The .img name finds the header.
        assert_eq!(read(&dir.path().join(format!("a{big}.img.gz"))), img);
    }
}

/// A hand-written NIfTI-2 header (540 bytes + 4), little- or big-endian.
fn nifti2(big: bool, dims: [i64; 3], datatype: i16, sform: [[f64; 4]; 3]) -> Vec<u8> {
    let mut h = vec![0u8; 544];
    let mut put = |off: usize, b: &[u8]| {
        let mut b = b.to_vec();
        if big {
            b.reverse();
        }
        h[off..off + b.len()].copy_from_slice(&b);
    };
    put(0, &540i32.to_le_bytes());
    put(12, &datatype.to_le_bytes());
    for (i, d) in [3, dims[0], dims[1], dims[2], 1, 1, 1, 1]
        .iter()
        .enumerate()
    {
        put(16 + 8 * i, &d.to_le_bytes());
    }
    for (i, p) in [1.0f64, 0.5, 0.25, 2.0, 1.0, 1.0, 1.0, 1.0]
        .iter()
        .enumerate()
    {
        put(104 + 8 * i, &p.to_le_bytes());
    }
    put(168, &544i64.to_le_bytes());
    put(348, &4i32.to_le_bytes()); // sform_code MNI
    for (r, row) in sform.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            put(400 + 32 * r + 8 * c, &v.to_le_bytes());
        }
    }
    put(500, &2i32.to_le_bytes()); // mm
    h[4..12].copy_from_slice(b"n+2\0\r\n\x1a\n");
    h
}

#[test]
fn nifti2_both_byte_orders() {
    let dir = tempfile::tempdir().unwrap();
    let vals: Vec<u16> = (0..24).map(|i| i * 2500).collect();
    let sform = [
        [-0.5, 0.0, 0.0, 90.125],
        [0.0, 0.25, 0.0, -126.5],
        [0.0, 0.0, 2.0, -72.25],
    ];
    let mut images = Vec::new();
    for big in [false, true] {
        let p = write_file(
            dir.path(),
            &format!("n2_{big}.nii"),
            &[&nifti2(big, [4, 3, 2], 512, sform), &data_bytes(&vals, big)],
        );
        images.push(read(&p));
    }
    assert_eq!(images[0], images[1]);
    let v = &images[0].volumes[0];
    assert_eq!(v.to_volume::<u16>().as_slice(), &vals[..]);
    let g = v.geometry();
    assert_eq!(
        (g.spacing, g.origin),
        ([0.5, 0.25, 2.0], [-90.125, 126.5, -72.25])
    );
    assert_eq!(
        g.direction,
        [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]]
    );
}

// ---------------------------------------------------------------------------
// Malformed input: a clear error, never a panic or a huge allocation
// ---------------------------------------------------------------------------

#[test]
fn malformed_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = Hdr::nifti(&[4, 3, 2], 4, 16);
    let data = data_bytes(&[1i16; 24], false);
    let bad = |name: &str, h: &Hdr| read_err(&write_file(d, name, &[&h.bytes(), &data]));

    // Truncated header, truncated data (raw and gzip), corrupt gzip.
    let full = [good.bytes(), data.clone()].concat();
    let e = read_err(&write_file(d, "short_hdr.nii", &[&full[..200]]));
    assert!(
        matches!(e, IoError::Header { .. }) && e.to_string().contains("truncated"),
        "{e}"
    );
    let e = read_err(&write_file(d, "short_data.nii", &[&full[..full.len() - 5]]));
    assert!(matches!(e, IoError::Data { .. }), "{e}");
    let wide = Hdr::nifti(&[40, 30, 20], 4, 16);
    let wide = [wide.bytes(), data_bytes(&pattern::<i16>(24000), false)].concat();
    let gz = gzip(&wide);
    let e = read_err(&write_file(d, "short.nii.gz", &[&gz[..gz.len() / 2]]));
    assert!(matches!(e, IoError::Data { .. }), "{e}");
    let e = read_err(&write_file(
        d,
        "short_stream.nii.gz",
        &[&gzip(&wide[..wide.len() - 5])],
    ));
    assert!(matches!(e, IoError::Data { .. }), "{e}");
    let mut corrupt = gz.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid..mid + 20].fill(0xAB);
    assert!(medvox_io::read(write_file(d, "corrupt.nii.gz", &[&corrupt])).is_err());

    // Wrong magic / not a header at all.
    let noise: Vec<u8> = (0..1024u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let e = read_err(&write_file(d, "noise.nii", &[&noise]));
    assert!(
        matches!(e, IoError::Header { .. }) && e.to_string().contains("not a NIfTI"),
        "{e}"
    );
    let e = bad(
        "magic.nii",
        &Hdr {
            magic: *b"n+9\0",
            sizeof_hdr: 1234,
            ..good.clone()
        },
    );
    assert!(matches!(e, IoError::Header { .. }), "{e}");
    assert!(medvox_io::read(write_file(d, "empty.nii", &[])).is_err());

    // Absurd dimensions.
    let mut h = good.clone();
    h.dim[2] = -3;
    assert!(matches!(bad("neg.nii", &h), IoError::Header { .. }));
    h.dim[2] = 0;
    assert!(matches!(bad("zero.nii", &h), IoError::Header { .. }));
    h.dim = [9, 4, 3, 2, 1, 1, 1, 1];
    assert!(matches!(bad("dim0.nii", &h), IoError::Header { .. }));
    // 32767^7 voxels: far beyond any limit; checked before allocating.
    h.dim = [7, 32767, 32767, 32767, 32767, 32767, 32767, 32767];
    let e = bad("huge.nii", &h);
    assert!(
        matches!(e, IoError::Limit { .. } | IoError::Header { .. }),
        "{e}"
    );
    // Plausible dimensions, but more than the file holds (raw and gzip).
    h.dim = [3, 300, 300, 300, 1, 1, 1, 1];
    assert!(matches!(
        bad("big.nii", &h),
        IoError::Data { .. } | IoError::Limit { .. }
    ));
    let e = read_err(&write_file(
        d,
        "big.nii.gz",
        &[&gzip(&[h.bytes(), data.clone()].concat())],
    ));
    assert!(
        matches!(e, IoError::Data { .. } | IoError::Limit { .. }),
        "{e}"
    );
    // A small limit is honoured.
    let opts = ReadOptions {
        limits: Limits { max_bytes: 10 },
        ..Default::default()
    };
    let p = write_file(d, "ok.nii", &[&full]);
    assert!(matches!(
        medvox_io::read_with(&p, &opts),
        Err(IoError::Limit { .. })
    ));
    // NIfTI-2 dimensions whose product overflows.
    let mut n2 = nifti2(
        false,
        [1 << 40, 1 << 40, 1 << 40],
        4,
        [
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
        ],
    );
    n2[16 + 8 * 4..16 + 8 * 5].copy_from_slice(&(1i64 << 40).to_le_bytes());
    n2[16..24].copy_from_slice(&4i64.to_le_bytes());
    let e = read_err(&write_file(d, "overflow2.nii", &[&n2, &data]));
    assert!(
        matches!(e, IoError::Limit { .. } | IoError::Header { .. }),
        "{e}"
    );

    // Bad pixdim, vox_offset, datatype.
    let mut h = good.clone();
    h.pixdim[2] = f32::NAN;
    let e = bad("nanpix.nii", &h);
    assert!(
        matches!(e, IoError::Header { .. }) && e.to_string().contains("pixdim"),
        "{e}"
    );
    h.pixdim[2] = f32::INFINITY;
    assert!(matches!(bad("infpix.nii", &h), IoError::Header { .. }));
    for (name, off) in [
        ("off_far.nii", 1e6f32),
        ("off_nan.nii", f32::NAN),
        ("off_neg.nii", -5.0),
    ] {
        let e = bad(
            name,
            &Hdr {
                vox_offset: off,
                ..good.clone()
            },
        );
        assert!(
            matches!(e, IoError::Data { .. } | IoError::Header { .. }),
            "{name}: {e}"
        );
    }
    let e = read_err(&write_file(
        d,
        "off_far.nii.gz",
        &[&gzip(
            &[
                Hdr {
                    vox_offset: 1e6,
                    ..good.clone()
                }
                .bytes(),
                data.clone(),
            ]
            .concat(),
        )],
    ));
    assert!(matches!(e, IoError::Data { .. }), "{e}");
    // An absurd vox_offset in a small gzip file is refused before allocating it.
    let far = [
        Hdr {
            vox_offset: 1e17,
            ..good.clone()
        }
        .bytes(),
        data.clone(),
    ]
    .concat();
    let e = read_err(&write_file(d, "off_absurd.nii.gz", &[&gzip(&far)]));
    assert!(
        matches!(e, IoError::Data { .. } | IoError::Limit { .. }),
        "{e}"
    );
    let e = bad(
        "dt_unknown.nii",
        &Hdr {
            datatype: 3,
            ..good.clone()
        },
    );
    assert!(
        matches!(e, IoError::Header { .. }) && e.to_string().contains("datatype 3"),
        "{e}"
    );
    for (code, name) in [
        (32, "Complex64"),
        (128, "Rgb24"),
        (1024, "Int64"),
        (1536, "Float128"),
        (2304, "Rgba32"),
        (1, "binary"),
    ] {
        let e = bad(
            &format!("dt{code}.nii"),
            &Hdr {
                datatype: code,
                ..good.clone()
            },
        );
        assert!(
            matches!(e, IoError::Unsupported { .. }) && e.to_string().contains(name),
            "{e}"
        );
    }

    // Pairs with a missing half.
    write_file(
        d,
        "lonely.hdr",
        &[&Hdr {
            magic: *b"ni1\0",
            vox_offset: 0.0,
            ..good.clone()
        }
        .bytes()],
    );
    assert!(matches!(
        read_err(&d.join("lonely.hdr")),
        IoError::Os { .. }
    ));
    write_file(d, "orphan.img", &[&data]);
    assert!(medvox_io::read(d.join("orphan.img")).is_err());
}

// ---------------------------------------------------------------------------
// Real files (no reference needed)
// ---------------------------------------------------------------------------

#[test]
fn real_byte_orders_and_versions_agree() {
    let Some(real) = real_data() else { return };
    let js = real.join("nifti/nifti_reader_js");
    // Big- and little-endian copies of one z-stat map.
    let big = read(&js.join("big.nii.gz"));
    let little = read(&js.join("little.nii.gz"));
    assert_eq!(big, little);
    assert_eq!(read(&real.join("nifti/nimh_test_data/zstat1.nii.gz")), big);
    // NIfTI-1 and NIfTI-2 pairs of one image.
    let (air, air2) = (read(&js.join("air.hdr.gz")), read(&js.join("air2.hdr.gz")));
    assert_eq!(air, air2);
    assert_eq!(read(&js.join("air.img.gz")), air);
    // u8 NIfTI-1 and f32 NIfTI-2 of one template: same values and geometry.
    let a = read(&js.join("avg152T1_LR_nifti.nii.gz")).into_first();
    let b = read(&js.join("avg152T1_LR_nifti2.nii.gz")).into_first();
    assert_eq!(a.to_volume::<f32>(), b.to_volume::<f32>());
    // Big-endian Analyze 7.5 and the NIfTI it was converted from: same voxels.
    let analyze = read(&real.join("analyze/converted_real/anatomical_analyze75_bigendian.hdr"));
    let nii = read(&real.join("nifti/nibabel/anatomical.nii"));
    assert_eq!(analyze.format, "analyze");
    assert_eq!(
        analyze.volumes[0].to_volume::<i16>().as_slice(),
        nii.volumes[0].to_volume::<i16>().as_slice()
    );
}

/// The RL and LR copies of avg152T1 store the same anatomy mirrored: every voxel
/// of one, mapped through its geometry, lands on the voxel of the other with the same value.
#[test]
fn real_mirrored_storage_same_anatomy() {
    let Some(real) = real_data() else { return };
    let rl = read(&real.join("nifti/nimh_test_data/avg152T1_RL_nifti.hdr.gz"))
        .into_first()
        .to_volume::<u8>();
    let lr = read(&real.join("nifti/nifti_reader_js/avg152T1_LR_nifti.nii.gz"))
        .into_first()
        .to_volume::<u8>();
    assert_eq!(rl.size(), lr.size());
    let [nx, ny, nz] = rl.size();
    for k in 0..nz {
        for j in 0..ny {
            for i in 0..nx {
                let p = rl.index_to_physical([i, j, k]);
                let q = lr.geometry().physical_to_nearest_index(p);
                let q = q.map(|c| usize::try_from(c).unwrap());
                assert_eq!(rl.get([i, j, k]), lr.get(q), "at {i} {j} {k}");
            }
        }
    }
    assert_ne!(rl.as_slice(), lr.as_slice());
}

#[test]
fn real_series_and_vectors() {
    let Some(real) = real_data() else { return };
    let img = read(&real.join("nifti/nibabel/example4d.nii.gz"));
    assert_eq!(
        (img.volumes.len(), img.volumes[0].size()),
        (2, [128, 96, 24])
    );
    let img = read(&real.join("nifti/dipy/small_101D.nii.gz"));
    assert_eq!(img.volumes.len(), 102);
    assert!(img
        .volumes
        .iter()
        .all(|v| v.geometry() == img.volumes[0].geometry()));
    // 5D vector files: one volume per component.
    let img = read(&real.join("nifti/nifti_reader_js/5D_zeros.nii.gz"));
    assert_eq!(
        (img.volumes.len(), img.volumes[0].size()),
        (3, [256, 256, 170])
    );
    let img = read(&real.join("nifti/nifti_reader_js/5D_small.nii"));
    assert_eq!((img.volumes.len(), img.volumes[0].size()), (3, [1, 2, 3]));
    let e = read_err(&real.join("nifti/nifti_reader_js/not-nifti.nii"));
    assert!(matches!(e, IoError::Header { .. }), "{e}");
}

/// A real file written by medvox and read back keeps its voxels and geometry.
#[test]
fn real_round_trip() {
    let Some(real) = real_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "nifti/dipy/aniso_vox.nii.gz",
        "nifti/orientation_niivue/PIR.nii.gz",
        "nifti/dipy/S0_10slices.nii.gz",
    ] {
        let v = read(&real.join(f)).into_first();
        let p = dir.path().join("out.nii.gz");
        medvox_io::write(&p, &v).unwrap();
        let back = read(&p).into_first();
        assert_eq!(
            back.to_volume::<f64>().as_slice(),
            v.to_volume::<f64>().as_slice(),
            "{f}"
        );
        if f.contains("S0_10") {
            // Sheared: the qform written (like ITK's) is the nearest rotation; only the voxels survive exactly.
            continue;
        }
        assert_geometry_close(back.geometry(), v.geometry(), 1e-5);
    }
}
