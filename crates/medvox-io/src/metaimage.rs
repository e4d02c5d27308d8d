//! MetaImage (ITK's MetaIO): `.mha` (header and data in one file) and `.mhd`
//! (header beside a data file).
//!
//! # Reading
//!
//! The header is `Key = Value` lines (keys case-sensitive, as in MetaIO) ending
//! with `ElementDataFile`; `ObjectType` is optional and other keys are ignored.
//! * `NDims` 1–4: a 4th axis gives one volume per index along it (ITK reads a
//!   4D image); more is unsupported.
//! * `DimSize`; `ElementType` `MET_UCHAR`, `MET_CHAR`, `MET_USHORT`, `MET_SHORT`,
//!   `MET_UINT`, `MET_INT`, `MET_ULONG`/`MET_LONG` (32-bit in MetaIO), `MET_FLOAT`,
//!   `MET_DOUBLE`. Multi-component pixels (`MET_*_ARRAY`,
//!   `ElementNumberOfChannels` > 1, e.g. complex images) and 64-bit integers are
//!   unsupported, with an error naming the field.
//! * Byte order: `BinaryDataByteOrderMSB`, else `ElementByteOrderMSB` (MetaIO's
//!   precedence); booleans are true when they start with `T`, `t` or `1`.
//! * `BinaryData = False`: decimal text (ITK itself cannot read it).
//! * `CompressedData = True`: a zlib stream (`CompressedDataSize` is not needed:
//!   the stream ends itself).
//! * `ElementDataFile`: `LOCAL` (data after the header), a file name relative to
//!   the header, `LIST [nD]` (names on the following lines) or the
//!   `pattern%d min max step [subdim]` form; the data are split evenly over the files.
//! * `HeaderSize` n > 0 skips n bytes at the start of each data file — for
//!   `LOCAL`, from the start of the file, as MetaIO does; -1 means the data are
//!   the last bytes of the file (uncompressed only).
//!
//! # Geometry (matches ITK 5.4 `MetaImageIO`, checked against SimpleITK 2.5.7)
//!
//! * Spacing: `ElementSpacing`, else `ElementSize`, else 1; a negative spacing
//!   flips its axis (ITK's `ImageFileReader`); zero or NaN is an error.
//! * Origin: `Origin`, else `Offset`, else `Position` (MetaIO's precedence).
//! * Direction: `TransformMatrix`, else `Rotation`, else `Orientation`; MetaIO
//!   stores it axis by axis, so element `c·N + r` is row r of column c (the
//!   direction of index axis c). `*DirectionPlus30.mhd` (`0.866 0.5 -0.5 0.866`)
//!   thus reads as SimpleITK's `(0.866, -0.5, 0.5, 0.866)`. It is used as
//!   written (not re-normalised); `AnatomicalOrientation` and
//!   `CenterOfRotation` are ignored, as ITK does.
//! * A 2D image is one slice with z spacing 1, z origin 0 and `+z` direction.
//!
//! # Writing
//!
//! `.mha` writes the data after the header (`ElementDataFile = LOCAL`); `.mhd`
//! writes `name.raw` beside it, or `name.zraw` when compressing. With
//! [`WriteOptions::compress`] the data are zlib-compressed (`CompressedData =
//! True` and `CompressedDataSize`). The header carries `TransformMatrix`,
//! `Offset`, `CenterOfRotation 0 0 0`, `AnatomicalOrientation` (ITK's letters:
//! the side each axis comes *from*, `RAI` for identity), `ElementSpacing`,
//! `DimSize`, `ElementType` and `ElementByteOrderMSB = False`. A single-slice
//! volume with 2D geometry is written with `NDims = 2`.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use medvox_core::{AnyVolume, Geometry, PixelType};

use crate::header_text::{
    bad_header, data_file_for, data_files, itk_geometry, nums, parse_all, parse_num, planar_dims,
    read_header, series_bytes, take_n, unsupported, write_files, DataSource, Encoding, Flow, Skip,
};
use crate::raw::decode_volumes;
use crate::{
    gz, Format, Image, IoError, ReadOptions, Result, VolumeReader, VolumeWriter, WriteOptions,
};

const FORMAT: &str = "metaimage";

/// The MetaImage format.
#[derive(Debug, Clone, Copy, Default)]
pub struct MetaImage;

/// Keys that may open a MetaImage header (for sniffing).
const FIRST_KEYS: &[&str] = &[
    "ObjectType",
    "NDims",
    "Comment",
    "ObjectSubType",
    "TransformType",
    "Name",
    "ID",
    "ParentID",
    "FormTypeName",
];

impl Format for MetaImage {
    fn name(&self) -> &'static str {
        FORMAT
    }
    fn extensions(&self) -> &'static [&'static str] {
        &[".mha", ".mhd"]
    }
    fn sniff(&self, head: &[u8]) -> bool {
        let first = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
        let key = std::str::from_utf8(first)
            .ok()
            .and_then(|l| l.split_once('='))
            .map(|(k, _)| k.trim());
        key.is_some_and(|k| FIRST_KEYS.contains(&k)) && head.windows(5).any(|w| w == b"NDims")
    }
}

/// The pixel type of a MetaIO element type; `Err` holds why it is not supported.
fn parse_type(name: &str) -> Option<std::result::Result<PixelType, String>> {
    use PixelType::*;
    Some(Ok(match name {
        "MET_UCHAR" => U8,
        "MET_CHAR" => I8,
        "MET_USHORT" => U16,
        "MET_SHORT" => I16,
        "MET_UINT" | "MET_ULONG" => U32,
        "MET_INT" | "MET_LONG" => I32,
        "MET_FLOAT" => F32,
        "MET_DOUBLE" => F64,
        "MET_LONG_LONG" | "MET_ULONG_LONG" => {
            return Some(Err(format!("ElementType {name}: 64-bit integer voxels")))
        }
        n if n.starts_with("MET_") && n.ends_with("_ARRAY") => {
            return Some(Err(format!("ElementType {name}: multi-component pixels")))
        }
        "MET_STRING" | "MET_ASCII_CHAR" | "MET_NONE" | "MET_OTHER" => {
            return Some(Err(format!("ElementType {name}")))
        }
        _ => return None,
    }))
}

fn type_name(pt: PixelType) -> &'static str {
    match pt {
        PixelType::U8 => "MET_UCHAR",
        PixelType::I8 => "MET_CHAR",
        PixelType::U16 => "MET_USHORT",
        PixelType::I16 => "MET_SHORT",
        PixelType::U32 => "MET_UINT",
        PixelType::I32 => "MET_INT",
        PixelType::F32 => "MET_FLOAT",
        PixelType::F64 => "MET_DOUBLE",
    }
}

/// MetaIO booleans: true when the value starts with `T`, `t` or `1`.
fn truthy(v: &str) -> bool {
    v.starts_with(['T', 't', '1'])
}

/// A parsed header: its `Key = Value` pairs in order, the listed data files and where it ends.
struct Header {
    pairs: Vec<(String, String)>,
    listed: Vec<String>,
    data_offset: u64,
}

impl Header {
    /// The value of the last of `keys` present, trying them in order.
    fn get(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|k| {
            self.pairs
                .iter()
                .rev()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        })
    }
}

fn read_pairs(path: &Path) -> Result<Header> {
    let mut pairs = Vec::new();
    let mut listed = Vec::new();
    let mut in_list = false;
    let end = read_header(path, FORMAT, |n, line| {
        if in_list {
            listed.push(line.to_string());
            return Ok(Flow::More);
        }
        let Some((key, value)) = line.split_once('=') else {
            if n == 1 {
                return Err(bad_header(path, FORMAT, "line 1 is not `Key = Value`"));
            }
            return Ok(Flow::More);
        };
        let (key, value) = (key.trim(), value.trim());
        pairs.push((key.to_string(), value.to_string()));
        if key != "ElementDataFile" {
            return Ok(Flow::More);
        }
        in_list = value.split_whitespace().next() == Some("LIST");
        Ok(if in_list { Flow::More } else { Flow::End })
    })?;
    Ok(Header {
        pairs,
        listed,
        data_offset: end.data_offset,
    })
}

/// Everything needed to read the voxels.
struct Plan {
    pixel: PixelType,
    dims: Vec<u64>,
    size: [usize; 3],
    count: usize,
    geometry: Geometry,
    big_endian: bool,
    source: DataSource,
}

impl Header {
    /// The value of a required key.
    fn required(&self, path: &Path, key: &str) -> Result<&str> {
        self.get(&[key]).ok_or_else(|| missing(path, key))
    }

    /// The first `n` numbers of the first of `keys` present (see [`Header::get`]).
    fn numbers<T: FromStr>(&self, path: &Path, keys: &[&str], n: usize) -> Result<Option<Vec<T>>> {
        self.get(keys)
            .map(|v| {
                take_n(
                    path,
                    FORMAT,
                    keys[0],
                    parse_all(path, FORMAT, keys[0], v)?,
                    n,
                    false,
                )
            })
            .transpose()
    }
}

fn missing(path: &Path, key: &str) -> IoError {
    bad_header(path, FORMAT, format!("missing required field `{key}`"))
}

fn plan(path: &Path) -> Result<Plan> {
    let h = read_pairs(path)?;
    let ndims: usize = parse_num(path, FORMAT, "NDims", h.required(path, "NDims")?)?;
    match ndims {
        0 => return Err(bad_header(path, FORMAT, "NDims must be at least 1")),
        5.. => {
            return Err(unsupported(
                path,
                FORMAT,
                format!("NDims = {ndims} (at most 4)"),
            ))
        }
        _ => {}
    }
    let dims: Vec<u64> = h
        .numbers(path, &["DimSize"], ndims)?
        .ok_or_else(|| missing(path, "DimSize"))?;
    if let Some(a) = dims.iter().position(|&d| d == 0) {
        return Err(bad_header(
            path,
            FORMAT,
            format!("DimSize of axis {a} is 0"),
        ));
    }
    let pixel = pixel_type(path, &h)?;
    let geometry = geometry(path, &h, ndims)?;
    let mut size = [1usize; 3];
    for (dst, &d) in size.iter_mut().zip(&dims) {
        *dst = d as usize;
    }
    let source = data_source(path, &h)?;
    let big = h
        .get(&["BinaryDataByteOrderMSB", "ElementByteOrderMSB"])
        .is_some_and(truthy);
    Ok(Plan {
        pixel,
        count: dims.get(3).map_or(1, |&d| d as usize),
        dims,
        size,
        geometry,
        big_endian: source.byte_order_big(big),
        source,
    })
}

/// The pixel type, refusing multi-component pixels.
fn pixel_type(path: &Path, h: &Header) -> Result<PixelType> {
    let name = h.required(path, "ElementType")?;
    let pixel = match parse_type(name) {
        Some(Ok(t)) => t,
        Some(Err(why)) => return Err(unsupported(path, FORMAT, why)),
        None => {
            return Err(bad_header(
                path,
                FORMAT,
                format!("unknown ElementType `{name}`"),
            ))
        }
    };
    if let Some(c) = h.get(&["ElementNumberOfChannels"]) {
        let c: u64 = parse_num(path, FORMAT, "ElementNumberOfChannels", c)?;
        if c != 1 {
            let why = format!(
                "ElementNumberOfChannels = {c}: multi-component pixels (complex, vector, RGB)"
            );
            return Err(unsupported(path, FORMAT, why));
        }
    }
    Ok(pixel)
}

/// The geometry of the first (up to) 3 axes (see the module documentation).
fn geometry(path: &Path, h: &Header, ndims: usize) -> Result<Geometry> {
    let spacing = h.numbers(path, &["ElementSpacing", "ElementSize"], ndims)?;
    let origin = h.numbers(path, &["Origin", "Offset", "Position"], ndims)?;
    let matrix = h
        .numbers(
            path,
            &["TransformMatrix", "Rotation", "Orientation"],
            ndims * ndims,
        )?
        .unwrap_or_else(|| {
            (0..ndims * ndims)
                .map(|i| if i % (ndims + 1) == 0 { 1.0 } else { 0.0 })
                .collect()
        });
    let n = ndims.min(3);
    let dirs: Vec<Vec<f64>> = (0..n)
        .map(|c| matrix[c * ndims..c * ndims + n].to_vec())
        .collect();
    let spacing = spacing.unwrap_or_else(|| vec![1.0; n]);
    let origin = origin.unwrap_or_else(|| vec![0.0; n]);
    itk_geometry(path, FORMAT, &spacing[..n], &dirs, &origin[..n])
}

/// Where the voxel bytes are and how they are encoded.
fn data_source(path: &Path, h: &Header) -> Result<DataSource> {
    let binary = h.get(&["BinaryData"]).is_none_or(truthy);
    let compressed = h.get(&["CompressedData"]).is_some_and(truthy);
    let encoding = match (binary, compressed) {
        (false, _) => Encoding::Ascii,
        (true, true) => Encoding::Zlib,
        (true, false) => Encoding::Raw,
    };
    let header_size: i64 = match h.get(&["HeaderSize"]) {
        Some(v) => parse_num(path, FORMAT, "HeaderSize", v)?,
        None => 0,
    };
    if header_size < -1 {
        return Err(bad_header(
            path,
            FORMAT,
            format!("HeaderSize = {header_size}"),
        ));
    }
    let spec = h.required(path, "ElementDataFile")?;
    let local = spec.eq_ignore_ascii_case("LOCAL");
    let mut source = if local {
        // MetaIO seeks to HeaderSize from the start of the file, even for LOCAL data.
        let offset = if header_size > 0 {
            header_size as u64
        } else {
            h.data_offset
        };
        DataSource::single(PathBuf::from(path), offset, encoding)
    } else {
        let files = data_files(path, FORMAT, spec, &h.listed)?;
        DataSource {
            files,
            ..DataSource::single(PathBuf::new(), 0, encoding)
        }
    };
    source.skip = match header_size {
        -1 => Skip::ToTail,
        n if n > 0 && !local => Skip::Bytes(n as u64),
        _ => Skip::Bytes(0),
    };
    Ok(source)
}

impl VolumeReader for MetaImage {
    fn read(&self, path: &Path, opts: &ReadOptions) -> Result<Image> {
        let p = plan(path)?;
        p.source
            .check(path, FORMAT, opts, &p.dims, p.pixel.size() as u64)?;
        let volumes = decode_volumes(
            path,
            p.pixel,
            p.size,
            p.count,
            p.geometry,
            p.big_endian,
            |buf| p.source.read_into(path, FORMAT, p.pixel, buf),
        )?;
        Ok(Image {
            format: FORMAT,
            volumes,
        })
    }
}

impl VolumeWriter for MetaImage {
    fn write(&self, path: &Path, volume: &AnyVolume, opts: &WriteOptions) -> Result<()> {
        self.write_series(path, std::slice::from_ref(volume), opts)
    }

    /// A series is written as a 4D image (`NDims = 4`, identity 4th row and
    /// column of `TransformMatrix`, time spacing 1 and origin 0), as ITK writes one.
    fn write_series(&self, path: &Path, volumes: &[AnyVolume], opts: &WriteOptions) -> Result<()> {
        let data_ext = if opts.compress { "zraw" } else { "raw" };
        let first = volumes
            .first()
            .ok_or_else(|| unsupported(path, FORMAT, "no volume to write"))?;
        let data_path = data_file_for(path, FORMAT, first, "mhd", data_ext)?;
        let payload = series_bytes(
            path,
            FORMAT,
            volumes,
            opts.compress.then_some(|b: &[&[u8]]| {
                if b.len() == 1 {
                    gz::zlib(b[0], opts.level)
                } else {
                    gz::zlib(&b.concat(), opts.level)
                }
            }),
        )?;
        let compressed_size = opts.compress.then(|| payload.iter().map(|p| p.len()).sum());
        let header = header_text(first, volumes.len(), compressed_size, data_path.as_deref());
        let parts: Vec<&[u8]> = payload.iter().map(|b| b.as_ref()).collect();
        write_files(path, data_path.as_deref(), &header, &parts)
    }
}

/// ITK's `AnatomicalOrientation` letters: for each axis, the side it comes from.
fn itk_orientation(g: &Geometry) -> String {
    g.orientation_code()
        .chars()
        .map(|c| match c {
            'L' => 'R',
            'R' => 'L',
            'P' => 'A',
            'A' => 'P',
            'S' => 'I',
            _ => 'S',
        })
        .collect()
}

fn header_text(
    v: &AnyVolume,
    count: usize,
    compressed_size: Option<usize>,
    data_file: Option<&Path>,
) -> String {
    let g = v.geometry();
    let nd = if count > 1 { 4 } else { planar_dims(v) };
    let dir = |r: usize, c: usize| match (r < 3, c < 3) {
        (true, true) => g.direction[r][c],
        _ => f64::from(u8::from(r == c)),
    };
    let matrix = (0..nd).flat_map(move |c| (0..nd).map(move |r| dir(r, c)));
    let s3 = v.size();
    let size = [s3[0], s3[1], s3[2], count];
    let spacing = [g.spacing[0], g.spacing[1], g.spacing[2], 1.0];
    let origin = [g.origin[0], g.origin[1], g.origin[2], 0.0];
    let mut s = format!("ObjectType = Image\nNDims = {nd}\nBinaryData = True\n");
    match compressed_size {
        Some(n) => s += &format!("CompressedData = True\nCompressedDataSize = {n}\n"),
        None => s += "CompressedData = False\n",
    }
    s += &format!(
        "TransformMatrix = {}\nOffset = {}\nCenterOfRotation = {}\nAnatomicalOrientation = {}\nElementSpacing = {}\nDimSize = {}\nElementByteOrderMSB = False\nElementType = {}\nElementDataFile = {}\n",
        nums(matrix, " "),
        nums(origin[..nd].iter().copied(), " "),
        vec!["0"; nd].join(" "),
        match nd {
            3 => itk_orientation(g),
            4 => format!("{}?", itk_orientation(g)),
            _ => "??".into(),
        },
        nums(spacing[..nd].iter().copied(), " "),
        size[..nd].iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" "),
        type_name(v.pixel_type()),
        data_file
            .and_then(|d| d.file_name())
            .map_or("LOCAL".into(), |n| n.to_string_lossy().into_owned()),
    );
    s
}
