//! Issue 19/18, library level: crafted inputs are clean errors (never a panic,
//! a hang or an unbounded read), detached data files are confined and must be
//! regular files, and NaN, bzip2, NRRD time axes and 4D series read and write whole.

use std::io::Write;
use std::path::{Path, PathBuf};

use medvox_core::{AnyVolume, Geometry, Volume};
use medvox_io::{read, read_with, write_series_with, IoError, ReadOptions, WriteOptions};

fn put(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn err(p: &Path) -> String {
    let t = std::time::Instant::now();
    let e = read(p).expect_err("must be refused").to_string();
    assert!(t.elapsed().as_secs() < 5, "took {:?}: {e}", t.elapsed());
    e
}

const NHDR: &str = "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\n";
const MHD: &str = "ObjectType = Image\nNDims = 3\nDimSize = 2 3 4\nElementType = MET_UCHAR\n";

#[test]
fn huge_pattern_widths_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for w in ["65535", "65536", "99999999999999999999", "4294967296"] {
        let p = put(
            d,
            "w.nhdr",
            format!("{NHDR}encoding: raw\ndata file: x.%{w}d 1 2 1\n").as_bytes(),
        );
        let e = err(&p);
        assert!(e.contains("too large"), "{e}");
        assert!(e.len() < 2000, "error of {} bytes", e.len());
        let p = put(
            d,
            "w.mhd",
            format!("{MHD}ElementDataFile = x.%{w}d 1 2 1\n").as_bytes(),
        );
        let e = err(&p);
        assert!(e.contains("too large"), "{e}");
        assert!(e.len() < 2000, "error of {} bytes", e.len());
    }
}

#[test]
fn long_values_and_control_characters_are_cut_and_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let long = "A".repeat(500_000);
    let p = put(
        dir.path(),
        "l.nrrd",
        format!("NRRD0004\ntype: {long}\x1b]0;pwned\x07\n\n").as_bytes(),
    );
    let e = err(&p);
    assert!(e.len() < 2000, "error of {} bytes", e.len());
    let p = put(
        dir.path(),
        "c.nrrd",
        b"NRRD0004\ntype: \x1b[31mred\x1b]0;x\x07\n\n",
    );
    let e = err(&p);
    assert!(!e.chars().any(|c| c.is_control()), "{e:?}");
    assert!(e.contains("\\x1b"), "{e}");
}

#[cfg(unix)]
#[test]
fn data_files_must_be_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A FIFO would block the open; devices never end.
    let fifo = d.join("fifo.raw");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    std::os::unix::fs::symlink("/dev/zero", d.join("zero.raw")).unwrap();
    std::os::unix::fs::symlink("/dev/urandom", d.join("rand.raw")).unwrap();
    for enc in ["raw", "gzip", "bzip2", "ascii"] {
        for f in ["fifo.raw", "zero.raw", "rand.raw"] {
            let p = put(
                d,
                "h.nhdr",
                format!("{NHDR}encoding: {enc}\ndata file: {f}\n").as_bytes(),
            );
            let e = err(&p);
            assert!(e.contains("not a regular file"), "{enc} {f}: {e}");
        }
    }
    for f in ["fifo.raw", "zero.raw", "rand.raw"] {
        let p = put(
            d,
            "h.mhd",
            format!("{MHD}CompressedData = True\nElementDataFile = {f}\n").as_bytes(),
        );
        let e = err(&p);
        assert!(e.contains("not a regular file"), "{f}: {e}");
    }
}

#[test]
fn data_files_outside_the_header_folder_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let inner = root.path().join("in");
    std::fs::create_dir(&inner).unwrap();
    put(root.path(), "secret.raw", &[7u8; 24]);
    let outside = root.path().join("secret.raw");
    for spec in [
        "../secret.raw".to_string(),
        outside.display().to_string(),
        "/etc/passwd".into(),
    ] {
        let p = put(
            &inner,
            "h.nhdr",
            format!("{NHDR}encoding: raw\ndata file: {spec}\n").as_bytes(),
        );
        let e = err(&p);
        assert!(
            e.contains("outside the header's folder") && e.contains("--allow-outside-data"),
            "{e}"
        );
        let p = put(
            &inner,
            "h.mhd",
            format!("{MHD}ElementDataFile = {spec}\n").as_bytes(),
        );
        let e = err(&p);
        assert!(e.contains("outside the header's folder"), "{e}");
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&outside, inner.join("link.raw")).unwrap();
        let p = put(
            &inner,
            "s.nhdr",
            format!("{NHDR}encoding: raw\ndata file: link.raw\n").as_bytes(),
        );
        assert!(err(&p).contains("outside the header's folder"));
    }
    // Allowed on request.
    let p = put(
        &inner,
        "ok.nhdr",
        format!("{NHDR}encoding: raw\ndata file: ../secret.raw\n").as_bytes(),
    );
    let opts = ReadOptions {
        allow_outside_data: true,
        ..Default::default()
    };
    let img = read_with(&p, &opts).unwrap();
    assert_eq!(img.volumes[0].size(), [2, 3, 4]);
    // Inside the folder (also through a sub-folder) stays fine.
    std::fs::create_dir(inner.join("sub")).unwrap();
    put(&inner.join("sub"), "d.raw", &[1u8; 24]);
    let p = put(
        &inner,
        "sub.nhdr",
        format!("{NHDR}encoding: raw\ndata file: sub/d.raw\n").as_bytes(),
    );
    read(&p).unwrap();
}

#[test]
fn absurd_sizes_are_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 8 GiB declared, a few bytes present: raw, gzip, bzip2; a 16 MiB budget for bzip2.
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&[0u8; 1000]).unwrap();
        e.finish().unwrap()
    };
    for (enc, data) in [("raw", vec![0u8; 100]), ("gzip", gz)] {
        let p = put(
            d,
            "big.nrrd",
            &[
                format!("NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2048 2048 2048\nencoding: {enc}\n\n")
                    .as_bytes(),
                &data,
            ]
            .concat(),
        );
        let e = err(&p);
        assert!(e.contains("bytes"), "{e}");
    }
    let p = put(
        d,
        "big.nrrd",
        b"NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2048 2048 2048\nencoding: bzip2\n\nBZh9",
    );
    let opts = ReadOptions {
        limits: medvox_io::Limits {
            max_bytes: 16 << 20,
        },
        ..Default::default()
    };
    assert!(matches!(read_with(&p, &opts), Err(IoError::Limit { .. })));
}

fn ramp(n: usize, geometry: Geometry) -> Vec<AnyVolume> {
    (0..n)
        .map(|t| {
            let data: Vec<f32> = (0..24).map(|i| (i + 100 * t) as f32 * 0.5).collect();
            Volume::from_vec([2, 3, 4], data, geometry).unwrap().into()
        })
        .collect()
}

#[test]
fn series_round_trip_through_every_format_that_holds_them() {
    let dir = tempfile::tempdir().unwrap();
    let g = Geometry::new(
        [0.5, 2.0, 3.0],
        [1.0, -2.0, 3.5],
        [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]],
    )
    .unwrap();
    let mut vols = ramp(3, g);
    if let AnyVolume::F32(v) = &mut vols[1] {
        v.as_slice_mut()[5] = f32::NAN;
    }
    for name in ["x.nii", "x.nii.gz", "x.nrrd", "x.nhdr", "x.mha", "x.mhd"] {
        for compress in [false, true] {
            let p = dir.path().join(name);
            let opts = WriteOptions {
                compress,
                ..Default::default()
            };
            write_series_with(&p, &vols, &opts).unwrap();
            let back = read(&p).unwrap();
            assert_eq!(back.volumes.len(), 3, "{name}");
            for (a, b) in back.volumes.iter().zip(&vols) {
                assert_eq!(a.size(), b.size(), "{name}");
                let (ga, gb) = (a.geometry(), b.geometry());
                for i in 0..3 {
                    assert!((ga.origin[i] - gb.origin[i]).abs() < 1e-9, "{name}");
                    assert!((ga.spacing[i] - gb.spacing[i]).abs() < 1e-9, "{name}");
                }
                let (AnyVolume::F32(a), AnyVolume::F32(b)) = (a, b) else {
                    panic!("{name}: pixel type changed")
                };
                // Bit-exact, NaN included.
                let bits =
                    |v: &Volume<f32>| v.as_slice().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(a), bits(b), "{name}");
            }
        }
    }
}

#[test]
fn nrrd_bzip2_and_time_space() {
    let dir = tempfile::tempdir().unwrap();
    let raw: Vec<u8> = (0..48u8).collect();
    let bz = {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
        e.write_all(&raw).unwrap();
        e.finish().unwrap()
    };
    // What SimpleITK writes for a 4D image: a time space, 4-component directions.
    let header = "NRRD0004\ntype: uchar\ndimension: 4\nspace: left-posterior-superior-time\n\
        sizes: 2 3 4 2\nspace directions: (2,0,0,0) (0,3,0,0) (0,0,4,0) (0,0,0,1.5)\n\
        kinds: domain domain domain domain\nencoding: bzip2\nspace origin: (1,2,3,0)\n\n";
    let p = put(dir.path(), "t.nrrd", &[header.as_bytes(), &bz].concat());
    let img = read(&p).unwrap();
    assert_eq!(img.volumes.len(), 2);
    let g = img.volumes[0].geometry();
    assert_eq!((g.spacing, g.origin), ([2.0, 3.0, 4.0], [1.0, 2.0, 3.0]));
    let AnyVolume::U8(v1) = &img.volumes[1] else {
        panic!()
    };
    assert_eq!(v1.as_slice(), &raw[24..]);
    // Truncated bzip2: an error, not a hang.
    let p = put(
        dir.path(),
        "cut.nrrd",
        &[header.as_bytes(), &bz[..bz.len() / 2]].concat(),
    );
    err(&p);
}

#[test]
fn nifti_nan_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut data: Vec<f32> = (0..24).map(|i| i as f32).collect();
    data[3] = f32::NAN;
    data[4] = f32::INFINITY;
    let v: AnyVolume = Volume::from_vec([2, 3, 4], data.clone(), Geometry::default())
        .unwrap()
        .into();
    let p = dir.path().join("n.nii.gz");
    medvox_io::write(&p, &v).unwrap();
    let AnyVolume::F32(back) = read(&p).unwrap().into_first() else {
        panic!()
    };
    assert!(back.as_slice()[3].is_nan());
    assert_eq!(back.as_slice()[4], f32::INFINITY);
    assert_eq!(back.as_slice()[5], 5.0);
}

/// Replays the fuzz regression inputs (fuzz/regressions/<target>/): each must
/// read or fail cleanly, as the fuzz targets run them (64 MiB budget).
#[test]
fn fuzz_regressions_replay() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.raw"), vec![1u8; 4096]).unwrap();
    let opts = ReadOptions {
        limits: medvox_io::Limits {
            max_bytes: 64 << 20,
        },
        ..Default::default()
    };
    let mut n = 0;
    for (target, ext) in [
        ("nifti", "nii"),
        ("nrrd", "nrrd"),
        ("metaimage", "mha"),
        ("analyze", "hdr"),
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        for e in entries.flatten() {
            let data = std::fs::read(e.path()).unwrap();
            let p = dir.path().join(format!("input.{ext}"));
            if ext == "hdr" {
                let cut = data.len().min(348);
                std::fs::write(&p, &data[..cut]).unwrap();
                std::fs::write(dir.path().join("input.img"), &data[cut..]).unwrap();
            } else {
                std::fs::write(&p, &data).unwrap();
            }
            let _ = read_with(&p, &opts);
            n += 1;
        }
    }
    assert!(n >= 2, "regression inputs missing under {}", root.display());
}

/// SimpleITK writes a 4D image as NRRD with a bare `space dimension: 4`.
#[test]
fn nrrd_space_dimension_four_as_simpleitk_writes() {
    let dir = tempfile::tempdir().unwrap();
    let raw: Vec<u8> = (0..48u8).collect();
    let header = "NRRD0004\ntype: uchar\ndimension: 4\nspace dimension: 4\nsizes: 2 3 4 2\n\
        space directions: (2,0,0,0) (0,3,0,0) (0,0,4,0) (0,0,0,2000)\n\
        kinds: domain domain domain domain\nendian: little\nencoding: raw\nspace origin: (1,2,3,0)\n\n";
    let p = put(dir.path(), "s.nrrd", &[header.as_bytes(), &raw].concat());
    let img = read(&p).unwrap();
    assert_eq!(img.volumes.len(), 2);
    let g = img.volumes[1].geometry();
    assert_eq!((g.spacing, g.origin), ([2.0, 3.0, 4.0], [1.0, 2.0, 3.0]));
}
