//! A minimal NIfTI-1 reader for the tests, so they do not depend on medvox-io.

use std::io::Read;

use medvox_core::{Geometry, Volume};

/// Read a gzipped NIfTI-1 file (uint8, int16 or float32; no scaling, identity direction).
pub fn read_nifti(path: &std::path::Path) -> Volume<f64> {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut raw)
        .unwrap();
    let i16_at = |o: usize| i16::from_le_bytes([raw[o], raw[o + 1]]);
    let f32_at = |o: usize| f32::from_le_bytes([raw[o], raw[o + 1], raw[o + 2], raw[o + 3]]);
    let size = [
        i16_at(42) as usize,
        i16_at(44) as usize,
        i16_at(46) as usize,
    ];
    let datatype = i16_at(70);
    let spacing = [f32_at(80) as f64, f32_at(84) as f64, f32_at(88) as f64];
    let off = f32_at(108) as usize;
    let n = size[0] * size[1] * size[2];
    let vals: Vec<f64> = match datatype {
        2 => raw[off..off + n].iter().map(|&b| b as f64).collect(),
        4 => (0..n).map(|i| i16_at(off + 2 * i) as f64).collect(),
        16 => (0..n).map(|i| f32_at(off + 4 * i) as f64).collect(),
        d => panic!("datatype {d}"),
    };
    let g = Geometry::new(spacing, [0.0; 3], Geometry::IDENTITY).unwrap();
    Volume::from_vec(size, vals, g).unwrap()
}
