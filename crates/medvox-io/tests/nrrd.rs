//! NRRD reader and writer: round trips, hand-written headers, malformed input,
//! and consistency checks on the real files in `shared/data/real` (skipped when absent).

mod common;

use std::path::Path;

use common::{
    assert_rewrites_keep, assert_same, compressed, expect_err, header_with_data as nrrd, put,
    real_data, Spread,
};
use medvox_core::{AnyVolume, Geometry, PixelType};
use medvox_io::nrrd::Nrrd;
use medvox_io::{IoError, ReadOptions, VolumeReader, VolumeWriter, WriteOptions};

/// An oblique, anisotropic, left-handed-free geometry.
fn oblique() -> Geometry {
    let (a, b) = (0.3f64, -0.7f64);
    let rz = [
        [a.cos(), -a.sin(), 0.0],
        [a.sin(), a.cos(), 0.0],
        [0.0, 0.0, 1.0],
    ];
    let rx = [
        [1.0, 0.0, 0.0],
        [0.0, b.cos(), -b.sin()],
        [0.0, b.sin(), b.cos()],
    ];
    let d = medvox_core::geometry::mat_mul(&rz, &rx);
    Geometry::new([0.7, 1.3, 2.9], [-12.5, 33.25, 7.125], d).unwrap()
}

/// The values of [`sample`].
const SPREAD: Spread = Spread {
    step: 7919,
    modulus: 200,
    signed_shift: 100.0,
    float_shift: 0.375,
};

/// A volume of `pt` whose values cover the type's extremes and a spread in between.
fn sample(pt: PixelType, size: [usize; 3], g: Geometry) -> AnyVolume {
    common::sample(pt, size, g, &SPREAD)
}

fn read_one(path: &Path) -> AnyVolume {
    common::read_one_of(path, Some("nrrd"))
}

fn read_err(path: &Path) -> IoError {
    expect_err(path, Nrrd.read(path, &ReadOptions::default()))
}

const VARIANTS: [(&str, bool); 4] = [
    ("a.nrrd", false),
    ("b.nrrd", true),
    ("c.nhdr", false),
    ("d.nhdr", true),
];

#[test]
fn round_trip_every_type_and_variant() {
    let dir = tempfile::tempdir().unwrap();
    for pt in PixelType::ALL {
        let v = sample(pt, [5, 4, 3], oblique());
        for (name, compress) in VARIANTS {
            let p = dir.path().join(format!("{pt}_{name}"));
            let opts = compressed(compress);
            medvox_io::write_with(&p, &v, &opts).unwrap();
            assert_same(&read_one(&p), &v, 1e-9);
            let text = std::fs::read(&p).unwrap();
            let head = String::from_utf8_lossy(&text[..text.len().min(600)]);
            assert!(head.contains("space: left-posterior-superior"), "{head}");
            assert!(head.contains("kinds: domain domain domain"));
            assert!(head.contains("endian: little"));
            assert!(head.contains(if compress {
                "encoding: gzip"
            } else {
                "encoding: raw"
            }));
            if name.ends_with(".nhdr") {
                let data = p.with_file_name(format!(
                    "{pt}_{}.{}",
                    &name[..1],
                    if compress { "raw.gz" } else { "raw" }
                ));
                assert!(data.exists(), "{} missing", data.display());
                assert!(head.contains(&format!(
                    "data file: {}",
                    data.file_name().unwrap().to_string_lossy()
                )));
            }
        }
    }
    // Nothing but the outputs: no temporary files left behind.
    let n = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(n, PixelType::ALL.len() * 6);
}

#[test]
fn one_voxel_and_2d() {
    let dir = tempfile::tempdir().unwrap();
    for (name, compress) in VARIANTS {
        let opts = compressed(compress);
        // One voxel, oblique: stays 3D.
        let v = sample(PixelType::F32, [1, 1, 1], oblique());
        let p = dir.path().join(format!("one_{name}"));
        Nrrd.write(&p, &v, &opts).unwrap();
        assert_same(&read_one(&p), &v, 1e-9);
        // A 2D image (in-plane rotation, z untouched): written as dimension 2.
        let t = 0.4f64;
        let g = Geometry::new(
            [0.5, 2.0, 1.0],
            [3.0, -4.0, 0.0],
            [
                [t.cos(), -t.sin(), 0.0],
                [t.sin(), t.cos(), 0.0],
                [0.0, 0.0, 1.0],
            ],
        )
        .unwrap();
        let v = sample(PixelType::I16, [7, 3, 1], g);
        let p = dir.path().join(format!("flat_{name}"));
        Nrrd.write(&p, &v, &opts).unwrap();
        let head = std::fs::read(&p).unwrap();
        let head = String::from_utf8_lossy(&head[..200.min(head.len())]);
        assert!(
            head.contains("dimension: 2\nspace dimension: 2\nsizes: 7 3\n"),
            "{head}"
        );
        assert_same(&read_one(&p), &v, 1e-9);
    }
}

#[test]
fn hand_written_headers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bytes: Vec<u8> = (0..24).collect();
    let values = |p: &Path| read_one(p).to_volume::<f64>().as_slice().to_vec();
    let ramp = |n: usize| (0..n).map(|i| i as f64).collect::<Vec<_>>();

    // Big-endian shorts and floats.
    let p = put(
        d,
        "be.nrrd",
        &nrrd(
            "NRRD0004\ntype: short\ndimension: 3\nsizes: 2 3 2\nendian: big\nencoding: raw\n\n",
            &bytes,
        ),
    );
    let want: Vec<f64> = bytes
        .chunks(2)
        .map(|c| i16::from_be_bytes([c[0], c[1]]) as f64)
        .collect();
    assert_eq!(values(&p), want);
    let fl: Vec<u8> = [1.5f32, -2.0, 1e-3]
        .iter()
        .flat_map(|f| f.to_be_bytes())
        .collect();
    let p = put(
        d,
        "bef.nrrd",
        &nrrd(
            "NRRD0005\ntype: float\ndimension: 1\nsizes: 3\nendian: big\nencoding: raw\n\n",
            &fl,
        ),
    );
    assert_eq!(values(&p), vec![1.5, -2.0, 1e-3f32 as f64]);

    // ASCII (white space and commas), hex, gzip with byte skip after decompression, line skip, byte skip -1.
    let p = put(
        d,
        "txt.nrrd",
        &nrrd(
            "NRRD0004\ntype: short\ndimension: 2\nsizes: 3 2\nencoding: ascii\n\n",
            b"1 2 3,\n 4 -5\t6\n",
        ),
    );
    assert_eq!(values(&p), vec![1.0, 2.0, 3.0, 4.0, -5.0, 6.0]);
    let p = put(
        d,
        "hex.nrrd",
        &nrrd(
            "NRRD0004\ntype: uchar\ndimension: 1\nsizes: 3\nencoding: hex\n\n",
            b"00 7f\nFF\n",
        ),
    );
    assert_eq!(values(&p), vec![0.0, 127.0, 255.0]);
    let mut skipped = b"abc".to_vec();
    skipped.extend_from_slice(&bytes);
    let p = put(
        d,
        "gz.nrrd",
        &nrrd(
            "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nencoding: gz\nbyte skip: 3\n\n",
            &medvox_io::gz::gzip(&[&skipped], 6),
        ),
    );
    assert_eq!(values(&p), ramp(24));
    let p = put(d, "skip.nrrd", &nrrd("NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nencoding: raw\nline skip: 2\nbyte skip: 1\n\n", &[b"l1\nl2\nX".as_slice(), &bytes].concat()));
    assert_eq!(values(&p), ramp(24));
    let p = put(
        d,
        "tail.nrrd",
        &nrrd(
            "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nencoding: raw\nbyte skip: -1\n\n",
            &[b"junkjunk".as_slice(), &bytes].concat(),
        ),
    );
    assert_eq!(values(&p), ramp(24));

    // Detached: one file, LIST (gzip per file), %d pattern (descending, with subdim).
    put(d, "one.raw", &bytes);
    for i in 0..4 {
        put(d, &format!("s{}.raw", i + 1), &bytes[i * 6..i * 6 + 6]);
        put(
            d,
            &format!("t{:02}.raw.gz", i + 1),
            &medvox_io::gz::gzip(&[&bytes[i * 6..i * 6 + 6]], 1),
        );
    }
    let p = put(
        d,
        "one.nhdr",
        b"NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nencoding: raw\ndata file: one.raw\n",
    );
    assert_eq!(values(&p), ramp(24));
    let p = put(d, "list.nhdr", b"NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nencoding: gzip\ndata file: LIST\nt01.raw.gz\nt02.raw.gz\nt03.raw.gz\nt04.raw.gz\n");
    assert_eq!(values(&p), ramp(24));
    let p = put(d, "pat.nhdr", b"NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nencoding: raw\ndata file: s%d.raw 4 1 -1 2\n");
    let want: Vec<f64> = (0..4)
        .rev()
        .flat_map(|s| (s * 6..s * 6 + 6).map(|v| v as f64))
        .collect();
    assert_eq!(values(&p), want);
    let p = put(d, "pat2.nhdr", b"NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nencoding: gzip\ndata file: t%02d.raw.gz 1 4 1\n");
    assert_eq!(values(&p), ramp(24));
}

#[test]
fn geometry_as_itk_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bytes: Vec<u8> = (0..24).collect();
    let geom =
        |name: &str, header: &str| *read_one(&put(d, name, &nrrd(header, &bytes))).geometry();
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;

    // RAS → LPS (values checked against SimpleITK 2.5.7).
    let g = geom("ras.nrrd", "NRRD0004\ntype: uchar\ndimension: 3\nspace: RAS\nsizes: 2 3 4\nspace directions: (2,0,0) (0,3,0) (0,0.5,4)\nspace origin: (1,2,3)\nencoding: raw\n\n");
    let n = 0.5f64.hypot(4.0);
    assert_eq!(g.spacing, [2.0, 3.0, n]);
    assert_eq!(g.origin, [-1.0, -2.0, 3.0]);
    assert_eq!(
        g.direction,
        [[-1.0, 0.0, 0.0], [0.0, -1.0, -0.5 / n], [0.0, 0.0, 4.0 / n]]
    );
    // LAS flips y only; scanner-xyz is taken as is.
    let g = geom("las.nrrd", "NRRD0004\ntype: uchar\ndimension: 3\nspace: left-anterior-superior\nsizes: 2 3 4\nspace directions: (2,0,0) (0,3,0) (0,0,4)\nspace origin: (1,2,3)\nencoding: raw\n\n");
    assert_eq!(
        (g.origin, g.direction[0][0], g.direction[1][1]),
        ([1.0, -2.0, 3.0], 1.0, -1.0)
    );
    let g = geom("xyz.nrrd", "NRRD0004\ntype: uchar\ndimension: 3\nspace: scanner-xyz\nsizes: 2 3 4\nspace directions: (2,0,0) (0,3,0) (0,0,4)\nspace origin: (1,2,3)\nencoding: raw\n\n");
    assert_eq!(
        (g.origin, g.direction),
        ([1.0, 2.0, 3.0], Geometry::IDENTITY)
    );
    // `none` on a spatial axis: spacing 1, identity column.
    let g = geom("none.nrrd", "NRRD0004\ntype: uchar\ndimension: 3\nspace: LPS\nsizes: 2 3 4\nspace directions: (2,0,0) none (0,0,4)\nencoding: raw\n\n");
    assert_eq!((g.spacing, g.origin), ([2.0, 1.0, 4.0], [0.0; 3]));
    // No space: spacings (NaN = 1, negative flips) and axis mins (cell centering by default).
    let g = geom("mins.nrrd", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nspacings: 2 3 4\naxis mins: 1 2 3\nencoding: raw\n\n");
    assert_eq!((g.spacing, g.origin), ([2.0, 3.0, 4.0], [2.0, 3.5, 5.0]));
    let g = geom("node.nrrd", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\naxis mins: 10 20 0\naxis maxs: 18 38 4\ncenters: node cell cell\nencoding: raw\n\n");
    assert_eq!((g.spacing, g.origin), ([1.0; 3], [10.0, 23.0, 0.5]));
    let g = geom("neg.nrrd", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nspacings: -2 NaN 4\naxis mins: 1 2 3\nencoding: raw\n\n");
    assert_eq!(
        (g.spacing, g.origin, g.direction[0][0]),
        ([2.0, 1.0, 4.0], [0.0; 3], -1.0)
    );
    // 2D space: origin used, directions normalised, z completed with +1.
    let g = geom("2d.nrrd", "NRRD0004\ntype: uchar\ndimension: 2\nspace dimension: 2\nsizes: 4 6\nspace directions: (0.866025,0.5) (-0.5,0.866025)\nspace origin: (5,7)\nencoding: raw\n\n");
    assert!(close(g.spacing[0], 0.866025f64.hypot(0.5)) && g.spacing[2] == 1.0);
    assert_eq!(g.origin, [5.0, 7.0, 0.0]);
    assert_eq!(g.direction[2], [0.0, 0.0, 1.0]);
    assert!(close(g.direction[1][0], 0.5 / g.spacing[0]));
}

#[test]
fn non_spatial_axis_gives_several_volumes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bytes: Vec<u8> = (0..24).collect();
    let read = |name: &str, header: &str| {
        medvox_io::read(put(d, name, &nrrd(header, &bytes)))
            .unwrap()
            .volumes
    };
    // Last axis `list`: planar volumes.
    let v = read("list.nrrd", "NRRD0004\ntype: uchar\ndimension: 4\nspace: LPS\nsizes: 2 3 2 2\nspace directions: (2,0,0) (0,3,0) (0,0,4) none\nkinds: domain domain domain list\nspace origin: (1,2,3)\nencoding: raw\n\n");
    assert_eq!(v.len(), 2);
    assert_eq!(
        v[1].to_volume::<f64>().as_slice(),
        (12..24).map(f64::from).collect::<Vec<_>>()
    );
    assert_eq!(v[1].geometry().spacing, [2.0, 3.0, 4.0]);
    assert_eq!(v[1].geometry().origin, [1.0, 2.0, 3.0]);
    // First axis `vector`: interleaved components.
    let v = read("vec.nrrd", "NRRD0004\ntype: uchar\ndimension: 4\nspace: LPS\nsizes: 2 2 3 2\nspace directions: none (2,0,0) (0,3,0) (0,0,4)\nkinds: vector domain domain domain\nencoding: raw\n\n");
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].size(), [2, 3, 2]);
    assert_eq!(
        v[1].to_volume::<f64>().as_slice(),
        (0..12).map(|i| (2 * i + 1) as f64).collect::<Vec<_>>()
    );
    // 4D time series without kinds (ITK refuses it with a 3D space; medvox splits it).
    let v = read("time.nrrd", "NRRD0004\ntype: uchar\ndimension: 4\nspace: LPS\nsizes: 2 3 2 2\nspace directions: (2,0,0) (0,3,0) (0,0,4) none\nencoding: raw\n\n");
    assert_eq!((v.len(), v[0].size()), (2, [2, 3, 2]));
    // A non-spatial axis in the middle is not supported.
    let e = read_err(&put(d, "mid.nrrd", &nrrd("NRRD0004\ntype: uchar\ndimension: 4\nsizes: 2 2 3 2\nkinds: domain list domain domain\nencoding: raw\n\n", &bytes)));
    assert!(matches!(e, IoError::Unsupported { .. }), "{e}");
}

#[test]
fn malformed_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = vec![0u8; 48];
    let base = "type: uchar\ndimension: 3\nsizes: 2 3 4\nencoding: raw\n";
    let cases: &[(&str, &str, &[u8], &str)] = &[
        ("magic", "NRRX0004\ntype: uchar\n\n", &data, "magic"),
        ("version", "NRRD0009\ntype: uchar\n\n", &data, "version"),
        ("no_type", "NRRD0004\ndimension: 3\nsizes: 2 3 4\nencoding: raw\n\n", &data, "`type`"),
        ("no_dim", "NRRD0004\ntype: uchar\nsizes: 2 3 4\nencoding: raw\n\n", &data, "`dimension`"),
        ("no_sizes", "NRRD0004\ntype: uchar\ndimension: 3\nencoding: raw\n\n", &data, "`sizes`"),
        ("no_encoding", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\n\n", &data, "`encoding`"),
        ("bad_type", "NRRD0004\ntype: complex\ndimension: 3\nsizes: 2 3 4\nencoding: raw\n\n", &data, "unknown type"),
        ("int64", "NRRD0004\ntype: int64\ndimension: 3\nsizes: 2 3 4\nendian: little\nencoding: raw\n\n", &data, "64-bit"),
        ("zrl", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nencoding: zrl\n\n", &data, "zrl"),
        ("bzip2_garbage", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nencoding: bzip2\n\n", &data, "decompression failed"),
        ("dim5", "NRRD0004\ntype: uchar\ndimension: 5\nsizes: 2 3 4 1 1\nencoding: raw\n\n", &data, "dimension 5"),
        ("dim0", "NRRD0004\ntype: uchar\ndimension: 0\nsizes: 2\nencoding: raw\n\n", &data, "at least 1"),
        ("count", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3\nencoding: raw\n\n", &data, "entries"),
        ("zero", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 0 4\nencoding: raw\n\n", &data, "is 0"),
        ("negative", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 -3 4\nencoding: raw\n\n", &data, "not a valid number"),
        ("overflow", "NRRD0004\ntype: double\ndimension: 3\nsizes: 4294967296 4294967296 4294967296\nendian: little\nencoding: raw\n\n", &data, "bytes"),
        ("too_big", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 100 100 100\nencoding: raw\n\n", &data, "only"),
        ("gz_too_big", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 1000 1000 1000\nencoding: gzip\n\n", &data, "compressed"),
        ("endian", "NRRD0004\ntype: short\ndimension: 3\nsizes: 2 3 4\nencoding: raw\n\n", &data, "`endian`"),
        ("nan_dir", "NRRD0004\ntype: uchar\ndimension: 3\nspace: LPS\nsizes: 2 3 4\nspace directions: (NaN,0,0) (0,1,0) (0,0,1)\nencoding: raw\n\n", &data, "not finite"),
        ("zero_dir", "NRRD0004\ntype: uchar\ndimension: 3\nspace: LPS\nsizes: 2 3 4\nspace directions: (0,0,0) (0,1,0) (0,0,1)\nencoding: raw\n\n", &data, "zero"),
        ("singular", "NRRD0004\ntype: uchar\ndimension: 3\nspace: LPS\nsizes: 2 3 4\nspace directions: (1,0,0) (0,1,0) (2,0,0)\nencoding: raw\n\n", &data, "direction"),
        ("inf_spacing", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nspacings: inf 1 1\nencoding: raw\n\n", &data, "spacing"),
        ("zero_spacing", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nspacings: 0 1 1\nencoding: raw\n\n", &data, "spacing"),
        ("space_spacings", "NRRD0004\ntype: short\ndimension: 3\nsizes: 2 3 4\nspacings: 3.2 3.2 1.5\nendian: little\nencoding: raw\nspace: 3D-left-handed\n\n", &data, "`spacings` given together with a space"),
        ("dir_count", "NRRD0004\ntype: uchar\ndimension: 3\nspace: LPS\nsizes: 2 3 4\nspace directions: (1,0) (0,1,0) (0,0,1)\nencoding: raw\n\n", &data, "components"),
        ("origin_no_space", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nspace origin: (1,2,3)\nencoding: raw\n\n", &data, "without `space`"),
        ("unknown_space", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nspace: up-down\nencoding: raw\n\n", &data, "unknown space"),
        ("twice", "NRRD0004\ntype: uchar\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nencoding: raw\n\n", &data, "twice"),
        ("no_colon", "NRRD0004\ntype uchar\n\n", &data, "neither"),
        ("gz_skip", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nencoding: gzip\nbyte skip: 9000000000000000000\n\n", &data, "bytes"),
        ("gz_tail", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nencoding: gzip\nbyte skip: -1\n\n", &data, "byte skip -1"),
        ("missing_file", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nencoding: raw\ndata file: nowhere.raw\n", b"", "nowhere.raw"),
        ("bad_pattern", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 4\nencoding: raw\ndata file: s%d.raw 1 4 0\n", b"", "no file"),
        ("uneven", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 3 5\nencoding: raw\ndata file: x%d.raw 1 2 1\n", b"", "cannot be opened"),
        ("bad_ascii", "NRRD0004\ntype: uchar\ndimension: 1\nsizes: 3\nencoding: ascii\n\n", b"1 2 x", "not a number"),
        ("short_ascii", "NRRD0004\ntype: uchar\ndimension: 1\nsizes: 3\nencoding: ascii\n\n", b"1    2    ", "end after 2"),
    ];
    for (name, header, payload, needle) in cases {
        let p = put(d, &format!("{name}.nrrd"), &nrrd(header, payload));
        let msg = read_err(&p).to_string();
        assert!(msg.contains(needle), "{name}: `{msg}` lacks `{needle}`");
        assert!(
            msg.contains(&format!("{name}.nrrd")) || msg.contains(".raw"),
            "{name}: `{msg}` names no file"
        );
    }
    // A truncated gzip stream.
    let gz = medvox_io::gz::gzip(&[&[7u8; 1000]], 1);
    let header = "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 10 10 10\nencoding: gzip\n\n";
    let p = put(d, "truncated_gz.nrrd", &nrrd(header, &gz[..gz.len() / 2]));
    assert!(matches!(read_err(&p), IoError::Data { .. }));
    // No blank line after an attached header: no data.
    let p = put(d, "open.nrrd", format!("NRRD0004\n{base}").as_bytes());
    assert!(read_err(&p).to_string().contains("no `data file`"));
    // A header line that never ends.
    let p = put(
        d,
        "long.nrrd",
        &[b"NRRD0004\n".as_slice(), &vec![b'a'; 2 << 20]].concat(),
    );
    assert!(read_err(&p).to_string().contains("no end of header"));
    // A truncated raw data file (detached) and a data file of 0 bytes.
    put(d, "short.raw", &[0u8; 10]);
    let p = put(
        d,
        "short.nhdr",
        format!("NRRD0004\n{base}data file: short.raw\n").as_bytes(),
    );
    assert!(matches!(read_err(&p), IoError::Data { .. }));
    // Data split over files of the wrong lengths.
    put(d, "u1.raw", &[0u8; 4]);
    put(d, "u2.raw", &[0u8; 20]);
    let p = put(
        d,
        "uneven2.nhdr",
        format!("NRRD0004\n{base}data file: u%d.raw 1 2 1\n").as_bytes(),
    );
    assert!(matches!(read_err(&p), IoError::Data { .. }));
    // An odd number of bytes over two files.
    let p = put(
        d,
        "odd.nhdr",
        b"NRRD0004\ntype: uchar\ndimension: 1\nsizes: 3\nencoding: raw\ndata file: u%d.raw 1 2 1\n",
    );
    assert!(read_err(&p).to_string().contains("split evenly"));
    // Writing an unwritable place fails cleanly.
    let v = sample(PixelType::U8, [2, 2, 2], Geometry::default());
    assert!(Nrrd
        .write(&d.join("no/such/dir/x.nrrd"), &v, &WriteOptions::default())
        .is_err());
}

#[test]
fn limits_are_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let p = put(
        dir.path(),
        "x.nrrd",
        &nrrd(
            "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 10 10 10\nencoding: raw\n\n",
            &[0u8; 1000],
        ),
    );
    let opts = ReadOptions {
        limits: medvox_io::Limits { max_bytes: 999 },
        ..Default::default()
    };
    assert!(matches!(Nrrd.read(&p, &opts), Err(IoError::Limit { .. })));
    assert!(Nrrd.read(&p, &ReadOptions::default()).is_ok());
}

#[test]
fn real_files_read_consistently() {
    let Some(real) = real_data() else { return };
    // Every NRRD header in the collection reads, except the malformed quarter.nhdr.
    let mut n = 0;
    for sub in [
        "nrrd/pyradiomics",
        "nrrd/i2nii",
        "nrrd/vtk_headsq",
        "metaimage/itk_examples",
    ] {
        for e in std::fs::read_dir(real.join(sub)).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if !(name.ends_with(".nrrd") || name.ends_with(".nhdr")) {
                continue;
            }
            let r = medvox_io::read(&p);
            if name == "quarter.nhdr" {
                let msg = r.unwrap_err().to_string();
                assert!(
                    msg.contains("`spacings` given together with a space"),
                    "{msg}"
                );
            } else {
                let img = r.unwrap_or_else(|e| panic!("{e}"));
                assert_eq!((img.format, img.volumes.len()), ("nrrd", 1));
                n += 1;
            }
        }
    }
    assert!(n >= 10, "only {n} NRRD files found");

    // The %d pattern header: 93 slice files of 64×64 shorts, spacing from `spacings`.
    let q = read_one(&real.join("nrrd/vtk_headsq/quarter_fixed.nhdr"));
    assert_eq!((q.pixel_type(), q.size()), (PixelType::I16, [64, 64, 93]));
    assert_eq!(q.geometry().spacing, [3.2, 3.2, 1.5]);
    let first = std::fs::read(real.join("nrrd/vtk_headsq/quarter.1")).unwrap();
    let slice0: Vec<f64> = first
        .chunks(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]) as f64)
        .collect();
    assert_eq!(
        &q.to_volume::<f64>().as_slice()[..64 * 64],
        slice0.as_slice()
    );

    // Image and label of each pyradiomics pair share one grid.
    for (a, b) in [
        ("brain1_image", "brain1_label"),
        ("breast1_image", "breast1_label"),
        (
            "prostate_phantom_subvolume",
            "prostate_phantom_subvolume-label",
        ),
    ] {
        let a = read_one(&real.join(format!("nrrd/pyradiomics/{a}.nrrd")));
        let b = read_one(&real.join(format!("nrrd/pyradiomics/{b}.nrrd")));
        assert_eq!((a.size(), a.geometry()), (b.size(), b.geometry()));
    }

    // Writing and re-reading a real file keeps it, in every variant.
    let src = read_one(&real.join("nrrd/pyradiomics/prostate_phantom_subvolume.nrrd"));
    assert_rewrites_keep(&Nrrd, &src, &VARIANTS, read_one, 1e-12);
}
