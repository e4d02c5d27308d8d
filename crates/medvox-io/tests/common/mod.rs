//! Helpers shared by the format tests (`mod common;` in each test file).

// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use medvox_core::{AnyVolume, Geometry, PixelType, Volume};
use medvox_io::{Image, IoError, VolumeWriter, WriteOptions};

/// How [`sample`] spreads the values between a type's extremes: value `i` (from
/// the third on) is `(i * step) % modulus`, less `signed_shift` for a signed
/// type, plus `float_shift` for a float type.
pub struct Spread {
    pub step: usize,
    pub modulus: usize,
    pub signed_shift: f64,
    pub float_shift: f64,
}

/// A volume of `pt` whose values cover the type's extremes and a spread in between.
pub fn sample(pt: PixelType, size: [usize; 3], g: Geometry, spread: &Spread) -> AnyVolume {
    let (lo, hi) = match pt {
        PixelType::U8 => (0.0, 255.0),
        PixelType::I8 => (-128.0, 127.0),
        PixelType::U16 => (0.0, 65535.0),
        PixelType::I16 => (-32768.0, 32767.0),
        PixelType::U32 => (0.0, u32::MAX as f64),
        PixelType::I32 => (i32::MIN as f64, i32::MAX as f64),
        PixelType::F32 => (-3.5e38, 3.5e38),
        PixelType::F64 => (-1e300, 1e300),
    };
    let n = size.iter().product::<usize>();
    let vals: Vec<f64> = (0..n)
        .map(|i| match i {
            0 => hi,
            1 => lo,
            _ => {
                ((i * spread.step) % spread.modulus) as f64
                    - if pt.is_signed() {
                        spread.signed_shift
                    } else {
                        0.0
                    }
                    + if pt.is_float() {
                        spread.float_shift
                    } else {
                        0.0
                    }
            }
        })
        .collect();
    AnyVolume::from(Volume::from_vec(size, vals, g).unwrap()).cast(pt)
}

/// The same pixel type, size and voxels, and geometries within `tol`.
pub fn assert_same(a: &AnyVolume, b: &AnyVolume, tol: f64) {
    assert_eq!(a.pixel_type(), b.pixel_type());
    assert_eq!(a.size(), b.size());
    assert_eq!(
        a.to_volume::<f64>().as_slice(),
        b.to_volume::<f64>().as_slice()
    );
    let (ga, gb) = (a.geometry(), b.geometry());
    for i in 0..3 {
        assert!(
            (ga.spacing[i] - gb.spacing[i]).abs() <= tol,
            "{ga:?} vs {gb:?}"
        );
        assert!(
            (ga.origin[i] - gb.origin[i]).abs() <= tol,
            "{ga:?} vs {gb:?}"
        );
        for j in 0..3 {
            assert!(
                (ga.direction[i][j] - gb.direction[i][j]).abs() <= tol,
                "{ga:?} vs {gb:?}"
            );
        }
    }
}

/// Reads `path` through the registry, panicking with the error.
pub fn read(path: &Path) -> Image {
    medvox_io::read(path).unwrap_or_else(|e| panic!("{e}"))
}

/// Reads `path`, which must hold one volume (read as `format`, when given).
pub fn read_one_of(path: &Path, format: Option<&str>) -> AnyVolume {
    let img = read(path);
    if let Some(format) = format {
        assert_eq!(img.format, format);
    }
    assert_eq!(img.volumes.len(), 1);
    img.into_first()
}

/// The error of reading `path` (`result`), which must fail.
pub fn expect_err(path: &Path, result: Result<Image, IoError>) -> IoError {
    match result {
        Ok(img) => panic!(
            "{} read although invalid: {:?}",
            path.display(),
            img.volumes[0].size()
        ),
        Err(e) => e,
    }
}

/// Writes `bytes` to `dir/name`; returns the path.
pub fn put(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A header followed by data.
pub fn header_with_data(header: &str, data: &[u8]) -> Vec<u8> {
    [header.as_bytes(), data].concat()
}

/// Default write options, compressed or not.
pub fn compressed(compress: bool) -> WriteOptions {
    WriteOptions {
        compress,
        ..Default::default()
    }
}

/// Writes `src` with `writer` under each of `variants` (file name, compressed)
/// in a temporary folder and checks that `read_one` gives it back (geometry within `tol`).
pub fn assert_rewrites_keep(
    writer: &impl VolumeWriter,
    src: &AnyVolume,
    variants: &[(&str, bool)],
    read_one: impl Fn(&Path) -> AnyVolume,
    tol: f64,
) {
    let dir = tempfile::tempdir().unwrap();
    for &(name, compress) in variants {
        let p = dir.path().join(name);
        writer.write(&p, src, &compressed(compress)).unwrap();
        assert_same(&read_one(&p), src, tol);
    }
}

/// The real-data folder, or `None` (after saying so) when it is absent.
pub fn real_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/real");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: {} absent", dir.display());
        None
    }
}
