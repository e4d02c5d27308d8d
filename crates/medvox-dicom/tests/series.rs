//! Series assembly on synthetic objects built in memory with dicom-object:
//! sorting along an oblique normal, spacing from positions (not SliceThickness),
//! 4D splitting, stacks, warnings, stored bits and the pixel type rule, and
//! independence from the thread count. Expected values are computed from the
//! construction, never from medvox's own output.

mod common;

use common::{slice, write, Slice, NX, NY};
use medvox_core::{AnyVolume, PixelType};

fn f64s(v: &AnyVolume) -> Vec<f64> {
    medvox_core::with_volume!(v, v => v.as_slice().iter().map(|x| medvox_core::Pixel::to_f64(*x)).collect())
}

/// An oblique orientation: rows along (cos a, sin a, 0), columns along z.
fn oblique() -> ([f64; 6], [f64; 3]) {
    let (c, s) = (0.6f64, 0.8f64);
    // row × column = (s, -c, 0)
    ([c, s, 0.0, 0.0, 0.0, 1.0], [s, -c, 0.0])
}

#[test]
fn shuffled_oblique_slices_sort_along_the_normal_with_spacing_from_positions() {
    let dir = tempfile::tempdir().unwrap();
    let (iop, n) = oblique();
    let p0 = [10.0, -5.0, 3.0];
    // Slice k at p0 + 2.5 k n, written in a shuffled order with shuffled names.
    for (name, k) in [("a", 2), ("b", 0), ("c", 3), ("d", 1)] {
        let pos = std::array::from_fn(|i| p0[i] + 2.5 * k as f64 * n[i]);
        let mut s = slice(pos, iop, 100 * k as u16);
        s.instance = 10 - k as i64; // instance numbers disagree with positions on purpose
        write(dir.path(), name, &s);
    }
    let r = medvox_dicom::read(dir.path(), None).unwrap();
    assert!(r.series.warnings.is_empty(), "{:?}", r.series.warnings);
    let v = &r.image.volumes[0];
    assert_eq!(v.size(), [NX, NY, 4]);
    let g = v.geometry();
    for i in 0..3 {
        assert!((g.origin[i] - p0[i]).abs() < 1e-9);
        assert!((g.direction[i][0] - iop[i]).abs() < 1e-9);
        assert!((g.direction[i][1] - iop[3 + i]).abs() < 1e-9);
        assert!((g.direction[i][2] - n[i]).abs() < 1e-9);
    }
    assert_eq!(g.spacing, [0.75, 0.5, 2.5]); // x = column spacing, y = row spacing; z not SliceThickness (9)
    let expect: Vec<f64> = (0..4)
        .flat_map(|k| (0..(NX * NY)).map(move |i| (100 * k + i) as f64))
        .collect();
    assert_eq!(f64s(v), expect);
}

#[test]
fn repeated_positions_give_a_4d_series_ordered_by_temporal_position() {
    let dir = tempfile::tempdir().unwrap();
    let iop = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
    for t in 0..3 {
        for z in 0..2 {
            let mut s = slice([0.0, 0.0, 4.0 * z as f64], iop, (1000 * t + 10 * z) as u16);
            s.temporal = 3 - t as i64; // temporal order reversed w.r.t. file names
            s.instance = (t * 2 + z) as i64;
            write(dir.path(), &format!("f{t}{z}"), &s);
        }
    }
    let r = medvox_dicom::read(dir.path(), None).unwrap();
    assert_eq!(r.image.volumes.len(), 3);
    for (i, v) in r.image.volumes.iter().enumerate() {
        let t = 2 - i; // volume 0 = temporal position 1 = files f2*
        assert_eq!(v.size(), [NX, NY, 2]);
        assert_eq!(f64s(v)[0], (1000 * t) as f64);
        assert_eq!(f64s(v)[NX * NY], (1000 * t + 10) as f64);
        assert_eq!(v.geometry().spacing[2], 4.0);
    }
}

#[test]
fn two_orientations_split_into_stacks_and_gaps_warn() {
    let dir = tempfile::tempdir().unwrap();
    let axial = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
    let (obl, _) = oblique();
    for (k, z) in [0.0, 1.0, 2.0, 4.0, 5.0].iter().enumerate() {
        write(
            dir.path(),
            &format!("ax{k}"),
            &slice([0.0, 0.0, *z], axial, 0),
        );
    }
    for k in 0..2 {
        write(
            dir.path(),
            &format!("ob{k}"),
            &slice([0.0, 0.0, 0.0], obl, k).clone_at(k as f64 * 3.0),
        );
    }
    let (series, _) = medvox_dicom::list(dir.path()).unwrap();
    assert_eq!(series.len(), 2);
    let ax = series.iter().find(|s| s.size[2] == 5).unwrap();
    assert!(
        ax.warnings.iter().any(|w| w.contains("missing slices")),
        "{:?}",
        ax.warnings
    );
    assert!((ax.geometry.spacing[2] - 1.25).abs() < 1e-12); // (5 - 0) / 4, as ITK
    assert!(series
        .iter()
        .all(|s| s.warnings.iter().any(|w| w.contains("several stacks"))));
    // No series chosen: an error that lists both.
    let e = medvox_dicom::read(dir.path(), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("2 series") && e.contains("#1") && e.contains("#2"),
        "{e}"
    );
    assert!(medvox_dicom::read(dir.path(), Some("2")).is_ok());
}

trait At {
    fn clone_at(&self, d: f64) -> Slice;
}
impl At for Slice {
    fn clone_at(&self, d: f64) -> Slice {
        let (_, n) = oblique();
        let mut s = self.clone();
        s.pos = std::array::from_fn(|i| self.pos[i] + d * n[i]);
        s
    }
}

#[test]
fn uneven_spacing_warns() {
    let dir = tempfile::tempdir().unwrap();
    let axial = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
    for (k, z) in [0.0, 1.0, 2.2, 3.0].iter().enumerate() {
        write(
            dir.path(),
            &format!("s{k}"),
            &slice([0.0, 0.0, *z], axial, 0),
        );
    }
    let (series, _) = medvox_dicom::list(dir.path()).unwrap();
    assert!(
        series[0].warnings.iter().any(|w| w.contains("uneven")),
        "{:?}",
        series[0].warnings
    );
}

#[test]
fn stored_bits_sign_and_rescale_choose_the_pixel_type() {
    let axial = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
    // 12-bit signed with garbage in the top 4 bits: 0xF801 -> 0x801 -> -2047; 0x07FF -> 2047.
    let dir = tempfile::tempdir().unwrap();
    let mut s = slice([0.0; 3], axial, 0);
    s.bits_stored = 12;
    s.signed = true;
    s.raw = vec![0xF801, 0x07FF, 0xA000, 0x0FFF, 0x0001, 0x0800];
    s.intercept = -1024.0;
    write(dir.path(), "x", &s);
    let r = medvox_dicom::read(dir.path(), None).unwrap();
    let v = &r.image.volumes[0];
    assert_eq!(v.pixel_type(), PixelType::I16);
    assert_eq!(
        f64s(v),
        [-2047.0, 2047.0, 0.0, -1.0, 1.0, -2048.0].map(|x| x - 1024.0)
    );
    // A non-integral slope gives f32 with the exact product.
    let dir = tempfile::tempdir().unwrap();
    let mut s = slice([0.0; 3], axial, 0);
    s.slope = 0.5;
    s.raw = vec![1, 2, 3, 4, 5, 65535];
    write(dir.path(), "x", &s);
    let v = medvox_dicom::read(dir.path(), None)
        .unwrap()
        .image
        .into_first();
    assert_eq!(v.pixel_type(), PixelType::F32);
    assert_eq!(f64s(&v), [0.5, 1.0, 1.5, 2.0, 2.5, 32767.5]);
    // Unsigned 16-bit with no rescale stays u16.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x", &slice([0.0; 3], axial, 7));
    let v = medvox_dicom::read(dir.path(), None)
        .unwrap()
        .image
        .into_first();
    assert_eq!(v.pixel_type(), PixelType::U16);
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let axial = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
    for k in 0..17 {
        write(
            dir.path(),
            &format!("s{k:02}"),
            &slice([0.0, 0.0, 1.5 * k as f64], axial, 3 * k),
        );
    }
    let read = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
            .install(|| medvox_dicom::read(dir.path(), None).unwrap().image)
    };
    let one = read(1);
    for n in [2, 4] {
        assert_eq!(read(n), one);
    }
}

#[test]
fn bad_inputs_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("junk.dcm");
    std::fs::write(&p, b"not dicom at all").unwrap();
    let e = medvox_dicom::read(&p, None).unwrap_err().to_string();
    assert!(e.contains("junk.dcm"), "{e}");
    // A truncated copy of a valid file.
    let good = write(
        dir.path(),
        "good",
        &slice([0.0; 3], [1.0, 0.0, 0.0, 0.0, 1.0, 0.0], 0),
    );
    let bytes = std::fs::read(&good).unwrap();
    let t = dir.path().join("trunc.dcm");
    std::fs::write(&t, &bytes[..bytes.len() - 5]).unwrap();
    let e = medvox_dicom::read(&t, None).unwrap_err().to_string();
    assert!(e.contains("trunc.dcm"), "{e}");
    // An empty folder.
    let empty = tempfile::tempdir().unwrap();
    assert!(medvox_dicom::read(empty.path(), None).is_err());
}
