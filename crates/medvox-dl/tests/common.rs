//! Helpers shared by the integration tests: the shared folder and a tiny `.npy` reader.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `../shared/<rel>` beside the repository; `None` (with a message) only when the
/// `../shared` folder itself is absent. A missing file inside it is a failure.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if !root.is_dir() {
        println!(
            "skipped: the shared data folder {} is absent",
            root.display()
        );
        return None;
    }
    let p = root.join(rel);
    assert!(
        p.exists(),
        "{} missing although {} exists",
        p.display(),
        root.display()
    );
    Some(p)
}

/// A little-endian float32 `.npy` file: (shape, values in C order; a Fortran-order
/// file is transposed on read).
pub fn read_npy_f32(path: &Path) -> (Vec<usize>, Vec<f32>) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..6], b"\x93NUMPY");
    let (hlen, start) = if b[6] == 1 {
        (u16::from_le_bytes([b[8], b[9]]) as usize, 10)
    } else {
        (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12)
    };
    let header = std::str::from_utf8(&b[start..start + hlen]).unwrap();
    assert!(header.contains("'descr': '<f4'"), "{header}");
    let fortran = header.contains("'fortran_order': True");
    let sh = header.split("'shape': (").nth(1).unwrap();
    let sh = &sh[..sh.find(')').unwrap()];
    let shape: Vec<usize> = sh
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    let data: Vec<f32> = b[start + hlen..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(data.len(), shape.iter().product::<usize>());
    if !fortran {
        return (shape, data);
    }
    // Fortran order: the first axis is fastest; rearrange to C order.
    let n = data.len();
    let mut c = vec![0f32; n];
    let mut idx = vec![0usize; shape.len()];
    for &v in &data {
        let mut off = 0;
        for (i, &s) in idx.iter().zip(&shape) {
            off = off * s + i;
        }
        c[off] = v;
        for (i, &s) in idx.iter_mut().zip(&shape) {
            *i += 1;
            if *i < s {
                break;
            }
            *i = 0;
        }
    }
    (shape, c)
}
