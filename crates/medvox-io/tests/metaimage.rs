//! MetaImage reader and writer: round trips, hand-written headers, malformed
//! input, and consistency checks on the real files in `shared/data/real`
//! (skipped when absent).

mod common;

use std::path::Path;

use common::{
    assert_rewrites_keep, assert_same, compressed, expect_err, header_with_data as mha, put,
    real_data, Spread,
};
use medvox_core::{AnyVolume, Geometry, PixelType};
use medvox_io::metaimage::MetaImage;
use medvox_io::{IoError, ReadOptions, VolumeReader, VolumeWriter, WriteOptions};

/// An oblique, anisotropic geometry.
fn oblique() -> Geometry {
    let (a, b) = (-0.45f64, 0.6f64);
    let rz = [
        [a.cos(), -a.sin(), 0.0],
        [a.sin(), a.cos(), 0.0],
        [0.0, 0.0, 1.0],
    ];
    let ry = [
        [b.cos(), 0.0, b.sin()],
        [0.0, 1.0, 0.0],
        [-b.sin(), 0.0, b.cos()],
    ];
    let d = medvox_core::geometry::mat_mul(&rz, &ry);
    Geometry::new([0.45, 3.0, 1.7], [101.5, -7.75, -300.0], d).unwrap()
}

/// The values of [`sample`].
const SPREAD: Spread = Spread {
    step: 104729,
    modulus: 250,
    signed_shift: 120.0,
    float_shift: -0.625,
};

/// A volume of `pt` whose values cover the type's extremes and a spread in between.
fn sample(pt: PixelType, size: [usize; 3], g: Geometry) -> AnyVolume {
    common::sample(pt, size, g, &SPREAD)
}

fn read_one(path: &Path) -> AnyVolume {
    common::read_one_of(path, None)
}

fn read_err(path: &Path) -> IoError {
    expect_err(path, MetaImage.read(path, &ReadOptions::default()))
}

const VARIANTS: [(&str, bool); 4] = [
    ("a.mha", false),
    ("b.mha", true),
    ("c.mhd", false),
    ("d.mhd", true),
];

#[test]
fn round_trip_every_type_and_variant() {
    let dir = tempfile::tempdir().unwrap();
    for pt in PixelType::ALL {
        let v = sample(pt, [4, 5, 3], oblique());
        for (name, compress) in VARIANTS {
            let p = dir.path().join(format!("{pt}_{name}"));
            let opts = compressed(compress);
            medvox_io::write_with(&p, &v, &opts).unwrap();
            let back = medvox_io::read(&p).unwrap();
            assert_eq!(back.format, "metaimage");
            assert_same(&back.into_first(), &v, 1e-9);
            let text = std::fs::read(&p).unwrap();
            let head = String::from_utf8_lossy(&text[..text.len().min(500)]);
            for key in [
                "TransformMatrix = ",
                "Offset = ",
                "CenterOfRotation = 0 0 0",
                "AnatomicalOrientation = ",
                "ElementSpacing = ",
                "ElementByteOrderMSB = False",
                "ElementType = MET_",
            ] {
                assert!(head.contains(key), "{key} missing in {head}");
            }
            assert!(head.contains(if compress {
                "CompressedData = True"
            } else {
                "CompressedData = False"
            }));
            if name.ends_with(".mhd") {
                let data = format!(
                    "{pt}_{}.{}",
                    &name[..1],
                    if compress { "zraw" } else { "raw" }
                );
                assert!(dir.path().join(&data).exists(), "{data} missing");
                assert!(head.contains(&format!("ElementDataFile = {data}")));
            } else {
                assert!(head.contains("ElementDataFile = LOCAL"));
            }
        }
    }
    let n = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(n, PixelType::ALL.len() * 6, "stray files left behind");
}

#[test]
fn one_voxel_2d_and_orientation_letters() {
    let dir = tempfile::tempdir().unwrap();
    for (name, compress) in VARIANTS {
        let opts = compressed(compress);
        let v = sample(PixelType::F64, [1, 1, 1], oblique());
        let p = dir.path().join(format!("one_{name}"));
        MetaImage.write(&p, &v, &opts).unwrap();
        assert_same(&read_one(&p), &v, 1e-9);

        let g = Geometry::new(
            [0.8, 1.25, 1.0],
            [-3.0, 9.5, 0.0],
            [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
        )
        .unwrap();
        let v = sample(PixelType::U16, [6, 2, 1], g);
        let p = dir.path().join(format!("flat_{name}"));
        MetaImage.write(&p, &v, &opts).unwrap();
        let head = String::from_utf8_lossy(&std::fs::read(&p).unwrap()[..120]).into_owned();
        assert!(head.contains("NDims = 2\n"), "{head}");
        assert!(head.contains("TransformMatrix = 0 1 -1 0\n"), "{head}");
        assert_same(&read_one(&p), &v, 1e-9);
    }
    // ITK's letters: identity is RAI; a flipped y axis comes from P.
    let g = Geometry::new(
        [1.0; 3],
        [0.0; 3],
        [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]],
    )
    .unwrap();
    let p = dir.path().join("o.mha");
    MetaImage
        .write(
            &p,
            &sample(PixelType::U8, [2, 2, 2], g),
            &WriteOptions::default(),
        )
        .unwrap();
    assert!(String::from_utf8_lossy(&std::fs::read(&p).unwrap())
        .contains("AnatomicalOrientation = RPI\n"));
}

#[test]
fn hand_written_headers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bytes: Vec<u8> = (0..24).collect();
    let values = |p: &Path| read_one(p).to_volume::<f64>().as_slice().to_vec();
    let ramp = (0..24).map(f64::from).collect::<Vec<_>>();
    let le16: Vec<f64> = bytes
        .chunks(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]) as f64)
        .collect();
    let be16: Vec<f64> = bytes
        .chunks(2)
        .map(|c| i16::from_be_bytes([c[0], c[1]]) as f64)
        .collect();
    let shorts = "NDims = 3\nDimSize = 2 3 2\nElementType = MET_SHORT\n";

    // Byte order: BinaryDataByteOrderMSB wins over ElementByteOrderMSB (as in MetaIO); "1"/"true" are true.
    for (name, keys, want) in [
        ("e1", "ElementByteOrderMSB = True\n", &be16),
        ("e2", "BinaryDataByteOrderMSB = true\n", &be16),
        (
            "e3",
            "ElementByteOrderMSB = True\nBinaryDataByteOrderMSB = False\n",
            &le16,
        ),
        (
            "e4",
            "BinaryDataByteOrderMSB = 1\nElementByteOrderMSB = False\n",
            &be16,
        ),
        ("e5", "", &le16),
    ] {
        let p = put(
            d,
            &format!("{name}.mha"),
            &mha(&format!("{shorts}{keys}ElementDataFile = LOCAL\n"), &bytes),
        );
        assert_eq!(&values(&p), want, "{name}");
    }
    // MET_LONG is 32-bit in MetaIO.
    let p = put(
        d,
        "long.mha",
        &mha(
            "NDims = 1\nDimSize = 6\nElementType = MET_LONG\nElementDataFile = LOCAL\n",
            &bytes,
        ),
    );
    assert_eq!(values(&p)[1], i32::from_le_bytes([4, 5, 6, 7]) as f64);
    // Minimal header, CRLF, no spaces around `=`.
    let p = put(
        d,
        "crlf.mha",
        &mha(
            "NDims=3\r\nDimSize=2 3 4\r\nElementType  =  MET_UCHAR\r\nElementDataFile=LOCAL\r\n",
            &bytes,
        ),
    );
    assert_eq!(values(&p), ramp);
    // HeaderSize: -1 (data at the end), n > 0 for a data file, and for LOCAL (from the start of the file, as MetaIO).
    let p = put(d, "tail.mha", &mha("NDims = 3\nDimSize = 2 3 4\nElementType = MET_UCHAR\nHeaderSize = -1\nElementDataFile = LOCAL\njunk\n", &bytes));
    assert_eq!(values(&p), ramp);
    put(d, "skip.raw", &[b"12345678".as_slice(), &bytes].concat());
    let p = put(d, "skip.mhd", b"NDims = 3\nDimSize = 2 3 4\nElementType = MET_UCHAR\nHeaderSize = 8\nElementDataFile = skip.raw\n");
    assert_eq!(values(&p), ramp);
    let p = put(d, "tail.mhd", b"NDims = 3\nDimSize = 2 3 4\nElementType = MET_UCHAR\nHeaderSize = -1\nElementDataFile = skip.raw\n");
    assert_eq!(values(&p), ramp);
    let hdr = "NDims = 3\nDimSize = 2 3 4\nElementType = MET_UCHAR\nHeaderSize = 100\nElementDataFile = LOCAL\n";
    let p = put(
        d,
        "abs.mha",
        &mha(hdr, &[vec![9u8; 100 - hdr.len()], bytes.clone()].concat()),
    );
    assert_eq!(values(&p), ramp);
    // zlib, inline with a wrong CompressedDataSize (ITK ignores it too) and in a .zraw.
    let z = medvox_io::gz::zlib(&bytes, 6);
    let p = put(d, "z.mha", &mha("NDims = 3\nDimSize = 2 3 4\nElementType = MET_UCHAR\nCompressedData = True\nCompressedDataSize = 10\nElementDataFile = LOCAL\n", &[z.as_slice(), b"trailing"].concat()));
    assert_eq!(values(&p), ramp);
    put(d, "z.zraw", &z);
    let p = put(d, "z.mhd", b"NDims = 3\nDimSize = 2 3 4\nElementType = MET_UCHAR\nCompressedData = True\nElementDataFile = z.zraw\n");
    assert_eq!(values(&p), ramp);
    // ASCII data.
    let p = put(d, "txt.mha", &mha("NDims = 2\nDimSize = 3 2\nElementType = MET_FLOAT\nBinaryData = False\nElementDataFile = LOCAL\n", b"1.5 -2 3\n4e2 5 6\n"));
    assert_eq!(values(&p), vec![1.5, -2.0, 3.0, 400.0, 5.0, 6.0]);
    // LIST (with and without a file dimension) and %d patterns.
    for i in 0..4 {
        put(d, &format!("s{}.raw", i + 1), &bytes[i * 6..i * 6 + 6]);
        put(d, &format!("slice_{:03}.raw", i), &bytes[i * 6..i * 6 + 6]);
    }
    for (name, spec) in [
        ("l1", "LIST\ns1.raw\ns2.raw\ns3.raw\ns4.raw\n"),
        ("l2", "LIST 2D\ns1.raw\ns2.raw\n\ns3.raw\ns4.raw\n"),
        ("p1", "s%d.raw 1 4 1\n"),
        ("p2", "slice_%03d.raw 0 3 1 2\n"),
    ] {
        let p = put(
            d,
            &format!("{name}.mhd"),
            format!(
                "NDims = 3\nDimSize = 2 3 4\nElementType = MET_UCHAR\nElementDataFile = {spec}"
            )
            .as_bytes(),
        );
        assert_eq!(values(&p), ramp, "{name}");
    }
    // 4D: one volume per index along the 4th axis, geometry of the first three.
    let p = put(d, "4d.mha", &mha("NDims = 4\nDimSize = 2 3 2 2\nElementType = MET_UCHAR\nElementSpacing = 1 2 3 4\nOffset = 1 2 3 4\nTransformMatrix = 0 1 0 0 -1 0 0 0 0 0 1 0 0 0 0 1\nElementDataFile = LOCAL\n", &bytes));
    let vols = medvox_io::read(&p).unwrap().volumes;
    assert_eq!((vols.len(), vols[1].size()), (2, [2, 3, 2]));
    assert_eq!(vols[1].to_volume::<f64>().as_slice(), &ramp[12..]);
    let g = vols[0].geometry();
    assert_eq!((g.spacing, g.origin), ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]));
    assert_eq!(
        g.direction,
        [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    );
}

#[test]
fn geometry_as_itk_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bytes: Vec<u8> = (0..24).collect();
    let geom = |name: &str, keys: &str| {
        let h = format!(
            "NDims = 3\nDimSize = 2 3 4\nElementType = MET_UCHAR\n{keys}ElementDataFile = LOCAL\n"
        );
        *read_one(&put(d, name, &mha(&h, &bytes))).geometry()
    };
    // TransformMatrix is stored axis by axis (values checked against SimpleITK 2.5.7).
    let g = geom(
        "tm.mha",
        "TransformMatrix = 1 0 0 0 0 1 0 -1 0\nOffset = 1 2 3\nElementSpacing = 2 3 4\n",
    );
    assert_eq!(
        g.direction,
        [[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]]
    );
    assert_eq!((g.spacing, g.origin), ([2.0, 3.0, 4.0], [1.0, 2.0, 3.0]));
    // Precedence: Origin > Offset > Position; TransformMatrix > Rotation > Orientation; ElementSpacing > ElementSize.
    let a = "0 1 0 -1 0 0 0 0 1";
    let b = "1 0 0 0 0 1 0 -1 0";
    let g = geom("p.mha", &format!("Position = 7 7 7\nOrigin = 1 2 3\nOffset = 4 5 6\nOrientation = {b}\nTransformMatrix = {a}\nRotation = {b}\nElementSize = 9 9 9\nElementSpacing = 5 6 7\n"));
    assert_eq!((g.origin, g.spacing), ([1.0, 2.0, 3.0], [5.0, 6.0, 7.0]));
    assert_eq!(
        g.direction,
        [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    );
    let g = geom("p2.mha", &format!("Position = 7 8 9\nOffset = 4 5 6\nOrientation = {a}\nRotation = {b}\nElementSize = 9 8 7\n"));
    assert_eq!((g.origin, g.spacing), ([4.0, 5.0, 6.0], [9.0, 8.0, 7.0]));
    assert_eq!(
        g.direction,
        [[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]]
    );
    let g = geom("p3.mha", &format!("Position = 7 8 9\nOrientation = {a}\n"));
    assert_eq!((g.origin, g.direction[1][0]), ([7.0, 8.0, 9.0], 1.0));
    // A negative spacing flips its axis (ITK's ImageFileReader); the matrix is used as written.
    let g = geom("neg.mha", "ElementSpacing = -2 3 4\n");
    assert_eq!((g.spacing, g.direction[0][0]), ([2.0, 3.0, 4.0], -1.0));
    let g = geom("scaled.mha", "TransformMatrix = 2 0 0 0 1 0 0 0 1\n");
    assert_eq!(g.direction[0][0], 2.0);
    // Extra values are ignored (VTK's foot.mha has 3 spacings for NDims 2).
    let g = geom("extra.mha", "ElementSpacing = 1 2 3 4 5\n");
    assert_eq!(g.spacing, [1.0, 2.0, 3.0]);
}

#[test]
fn malformed_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = vec![0u8; 48];
    let ok = "NDims = 3\nDimSize = 2 3 4\nElementType = MET_UCHAR\n";
    let cases: &[(&str, &str, &[u8], &str)] = &[
        ("no_ndims", "DimSize = 2 3 4\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n", &data, "`NDims`"),
        ("no_dimsize", "NDims = 3\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n", &data, "`DimSize`"),
        ("no_type", "NDims = 3\nDimSize = 2 3 4\nElementDataFile = LOCAL\n", &data, "`ElementType`"),
        ("no_datafile", "NDims = 3\nDimSize = 2 3 4\nElementType = MET_UCHAR\n", b"", "`ElementDataFile`"),
        ("bad_type", "NDims = 3\nDimSize = 2 3 4\nElementType = MET_QUAD\nElementDataFile = LOCAL\n", &data, "unknown ElementType"),
        ("array", "NDims = 3\nDimSize = 2 3 4\nElementType = MET_FLOAT_ARRAY\nElementDataFile = LOCAL\n", &data, "MET_FLOAT_ARRAY"),
        ("channels", &format!("{ok}ElementNumberOfChannels = 2\nElementDataFile = LOCAL\n"), &data, "ElementNumberOfChannels = 2"),
        ("int64", "NDims = 3\nDimSize = 2 3 1\nElementType = MET_LONG_LONG\nElementDataFile = LOCAL\n", &data, "64-bit"),
        ("ndims0", "NDims = 0\nDimSize = 2\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n", &data, "at least 1"),
        ("ndims5", "NDims = 5\nDimSize = 2 1 1 1 1\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n", &data, "NDims = 5"),
        ("few_sizes", "NDims = 3\nDimSize = 2 3\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n", &data, "2 values, 3 expected"),
        ("zero", "NDims = 3\nDimSize = 2 0 4\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n", &data, "is 0"),
        ("negative", "NDims = 3\nDimSize = 2 -3 4\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n", &data, "not a valid number"),
        ("overflow", "NDims = 3\nDimSize = 4294967296 4294967296 4294967296\nElementType = MET_DOUBLE\nElementDataFile = LOCAL\n", &data, "bytes"),
        ("too_big", "NDims = 3\nDimSize = 100 100 100\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n", &data, "only"),
        ("nan_spacing", &format!("{ok}ElementSpacing = 1 nan 1\nElementDataFile = LOCAL\n"), &data, "spacing of axis 1 is NaN"),
        ("zero_spacing", &format!("{ok}ElementSpacing = 0 1 1\nElementDataFile = LOCAL\n"), &data, "spacing of axis 0"),
        ("comma_spacing", &format!("{ok}ElementSpacing = 1.5,2,3\nElementDataFile = LOCAL\n"), &data, "not a valid number"),
        ("singular", &format!("{ok}TransformMatrix = 0 0 0 0 0 0 0 0 0\nElementDataFile = LOCAL\n"), &data, "direction"),
        ("nan_origin", &format!("{ok}Offset = 0 nan 0\nElementDataFile = LOCAL\n"), &data, "origin"),
        ("short_matrix", &format!("{ok}TransformMatrix = 1 0 0 1\nElementDataFile = LOCAL\n"), &data, "9 expected"),
        ("header_size", &format!("{ok}HeaderSize = -5\nElementDataFile = LOCAL\n"), &data, "HeaderSize = -5"),
        ("missing_file", &format!("{ok}ElementDataFile = nowhere.raw\n"), b"", "nowhere.raw"),
        ("empty_list", &format!("{ok}ElementDataFile = LIST\n"), b"", "names no file"),
        ("z_tail", &format!("{ok}CompressedData = True\nHeaderSize = -1\nElementDataFile = LOCAL\n"), &data, "end of the file"),
        ("bad_zlib", &format!("{ok}CompressedData = True\nElementDataFile = LOCAL\n"), &[1, 2, 3, 4, 5, 6, 7, 8], "zlib"),
        ("not_kv", "just some text\n", b"", "line 1"),
    ];
    for (name, header, payload, needle) in cases {
        let p = put(d, &format!("{name}.mha"), &mha(header, payload));
        let msg = read_err(&p).to_string();
        assert!(msg.contains(needle), "{name}: `{msg}` lacks `{needle}`");
        assert!(
            msg.contains(&format!("{name}.mha")),
            "{name}: `{msg}` names no file"
        );
    }
    // Truncated data files, inline and detached, and truncated zlib.
    let p = put(
        d,
        "short.mha",
        &mha(&format!("{ok}ElementDataFile = LOCAL\n"), &data[..20]),
    );
    assert!(matches!(read_err(&p), IoError::Data { .. }));
    put(d, "short.raw", &[0u8; 23]);
    let p = put(
        d,
        "short.mhd",
        format!("{ok}ElementDataFile = short.raw\n").as_bytes(),
    );
    assert!(matches!(read_err(&p), IoError::Data { .. }));
    let z = medvox_io::gz::zlib(&[3u8; 5000], 1);
    let p = put(d, "shortz.mha", &mha("NDims = 1\nDimSize = 5000\nElementType = MET_UCHAR\nCompressedData = True\nElementDataFile = LOCAL\n", &z[..z.len() / 2]));
    assert!(matches!(read_err(&p), IoError::Data { .. }));
    // Bad magic: not MetaImage at all, through the registry too.
    let p = put(d, "noise.mha", &[0xffu8, 0, 1, 2, 3, 0, 10, 20]);
    assert!(medvox_io::read(&p).is_err());
}

#[test]
fn real_files_read_consistently() {
    let Some(real) = real_data() else { return };
    let ex = real.join("metaimage/itk_examples");
    // The .mhd and the .nhdr over the same data give the same image (the
    // DirectionPlus30 .mhd files read a .zraw, the .nhdr files the .raw; their
    // matrices are written to 6 and 7 digits).
    for stem in [
        "BrainProtonDensitySliceBorder20",
        "BrainProtonDensitySliceShifted13x17y",
        "BrainProtonDensitySliceBorder20DirectionPlus30",
        "BrainProtonDensitySliceShifted13x17yDirectionPlus30",
        "BrainT1SliceBorder20DirectionPlus30",
    ] {
        let m = read_one(&ex.join(format!("{stem}.mhd")));
        let n = read_one(&ex.join(format!("{stem}.nhdr")));
        assert_eq!((m.pixel_type(), m.size()), (PixelType::U8, [221, 257, 1]));
        assert_same(&m, &n, 1e-6);
    }
    let g = *read_one(&ex.join("BrainT1SliceBorder20DirectionPlus30.mhd")).geometry();
    assert!((g.direction[0][1] + 0.5).abs() < 1e-12 && (g.direction[1][0] - 0.5).abs() < 1e-12);

    // Every MetaImage file reads, except the complex one (two channels).
    let mut n = 0;
    for sub in [
        "metaimage/itk_examples",
        "metaimage/vtk",
        "metaimage/i2nii",
        "metaimage/itkelastix",
    ] {
        for e in std::fs::read_dir(real.join(sub)).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if !(name.ends_with(".mha") || name.ends_with(".mhd")) {
                continue;
            }
            match medvox_io::read(&p) {
                Err(e) if name == "itkBrainSliceComplex.mha" => {
                    assert!(
                        matches!(e, IoError::Unsupported { .. })
                            && e.to_string().contains("ElementNumberOfChannels"),
                        "{e}"
                    );
                }
                r => {
                    let img = r.unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!((img.format, img.volumes.len()), ("metaimage", 1), "{name}");
                    n += 1;
                }
            }
        }
    }
    assert!(n >= 18, "only {n} MetaImage files found");

    // Minimal header without ObjectType; ElementSize and ElementSpacing agree.
    let h = read_one(&real.join("metaimage/vtk/HeadMRVolume.mhd"));
    assert_eq!(
        (h.pixel_type(), h.size(), h.geometry().spacing),
        (PixelType::U8, [48, 62, 42], [4.0; 3])
    );
    // The same EPI volume as MetaImage (zlib, LPS) and as detached NRRD (gzip, RAS).
    let a = read_one(&real.join("metaimage/i2nii/mha.mha"));
    let b = read_one(&real.join("nrrd/i2nii/nrrd.nhdr"));
    assert_eq!(
        a.to_volume::<f64>().as_slice(),
        b.to_volume::<f64>().as_slice()
    );
    assert_same(&a, &b, 1e-3);

    // Writing and re-reading a real file keeps it, in every variant.
    let src = read_one(&real.join("metaimage/vtk/frogtissue.mhd"));
    assert_rewrites_keep(&MetaImage, &src, &VARIANTS, read_one, 0.0);
}
