//! NRRD: `.nrrd` (header and data in one file) and `.nhdr` (detached header).
//!
//! # Reading
//!
//! Versions `NRRD0001`–`NRRD0005`. Fields: `type` (every teem name of 8/16/32-bit
//! integers, `float`, `double`; 64-bit integers and `block` are unsupported),
//! `dimension` 1–4, `sizes`, `encoding` (`raw`, `gzip`/`gz`, `ascii`/`text`/`txt`,
//! `hex`, `bzip2`/`bz2`; `zrl` is unsupported), `endian` (required for multi-byte
//! binary data, as teem requires), `line skip`, `byte skip` (-1 = data at the end
//! of the file, raw only; after decompression for gzip, as teem does), `data file`
//! (one name, `LIST [subdim]` with the names on the following lines, or
//! `pattern%d min max step [subdim]`, relative to the header's folder; the data
//! are split evenly over the files), `space`, `space dimension`, `space
//! directions` (`none` for non-spatial axes), `space origin`, `spacings`,
//! `axis mins`, `axis maxs`, `centers`/`centerings`, `kinds`. Key/value pairs
//! (`key:=value`), comments and other fields are ignored; a field given twice is an error.
//!
//! A 4th axis, or any axis whose `kinds` is not a domain kind (`list`, `vector`,
//! `RGB-color`…), is the non-spatial axis: the reader returns one volume per
//! index along it (de-interleaved when it is the fastest axis). Only one such
//! axis is supported, and it must be the first or the last one.
//!
//! # Geometry (matches ITK 5.4 `NrrdImageIO`, checked against SimpleITK 2.5.7)
//!
//! * With `space directions`, the spacing of an axis is the length of its vector
//!   and the direction column its unit vector; `none` on a spatial axis gives
//!   spacing 1 and the identity column.
//! * `space` values `right-anterior-superior` / `RAS` and `left-anterior-superior` /
//!   `LAS` are converted to LPS (x and y, resp. y, negated in directions and
//!   origin); every other space (`LPS`, `scanner-xyz`,
//!   `3D-right-handed`, `3D-left-handed`, or a bare `space dimension`) is taken as
//!   is, as ITK does. A space with a time coordinate (`left-posterior-superior-time`,
//!   or the bare `space dimension: 4` SimpleITK writes for 4D images) is read as
//!   its 3D space; the axis along time
//!   is the non-spatial axis.
//! * `space origin` is the origin (all-NaN = unknown = 0).
//! * Without a space: spacing from `spacings` (NaN = unknown = 1; a negative value
//!   flips the axis), identity direction, and the origin from `axis mins`
//!   (`min + spacing/2` for cell centering, the default; `min` for node
//!   centering; spacing from `axis maxs` when `spacings` is absent) when every
//!   spatial axis has one, else 0.
//! * `spacings` together with a `space` is invalid (teem and ITK reject it), which
//!   is why VTK's `headsq/quarter.nhdr` is refused while `quarter_fixed.nhdr` reads.
//! * Beyond ITK, which refuses these: a 2D image in a 3D space (its normal
//!   completes the direction), and a 4D image whose 4th axis has no space direction.
//!
//! # Writing
//!
//! `.nrrd` writes an attached header; `.nhdr` writes the header and a data file
//! beside it (`name.raw`, or `name.raw.gz` when compressing). `encoding: gzip`
//! when [`WriteOptions::compress`] is set (parallel gzip, see [`crate::gz`]),
//! else `raw`; always `endian: little`, `space: left-posterior-superior`,
//! `space directions` (direction × spacing), `space origin` and `kinds: domain
//! domain domain`. A single-slice volume with 2D geometry is written as a 2D
//! image (`dimension: 2`, `space dimension: 2`), which ITK reads back as 2D.
//! A series of volumes ([`VolumeWriter::write_series`]) is written as SimpleITK
//! writes a 4D image: `dimension: 4`, `space dimension: 4`, the 4th axis along time.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use medvox_core::{with_volume, AnyVolume, Geometry, Pixel, PixelType, Volume};

use crate::error::WithPath;
use crate::header_text::{
    bad_header, data_file_for, data_files, itk_geometry, nums, parse_all, parse_num, parse_vectors,
    planar_dims, read_header, series_bytes, unsupported, write_files, DataSource, Encoding, Flow,
    HeaderEnd, Skip,
};
use crate::raw::decode_volumes;
use crate::{gz, Format, Image, ReadOptions, Result, VolumeReader, VolumeWriter, WriteOptions};

const FORMAT: &str = "nrrd";

/// The NRRD format (teem's "nearly raw raster data").
#[derive(Debug, Clone, Copy, Default)]
pub struct Nrrd;

impl Format for Nrrd {
    fn name(&self) -> &'static str {
        FORMAT
    }
    fn extensions(&self) -> &'static [&'static str] {
        &[".nrrd", ".nhdr"]
    }
    fn sniff(&self, head: &[u8]) -> bool {
        head.starts_with(b"NRRD000")
    }
}

/// A NRRD `space`: its dimension and which coordinates to negate to reach LPS.
#[derive(Debug, Clone, Copy)]
struct Space {
    dim: usize,
    flip: [bool; 3],
}

fn parse_space(name: &str) -> Option<Space> {
    let none = [false; 3];
    let (dim, flip) = match name.to_ascii_lowercase().as_str() {
        "right-anterior-superior" | "ras" => (3, [true, true, false]),
        "left-anterior-superior" | "las" => (3, [false, true, false]),
        "left-posterior-superior"
        | "lps"
        | "scanner-xyz"
        | "3d-right-handed"
        | "3d-left-handed" => (3, none),
        "right-anterior-superior-time" | "rast" => (4, [true, true, false]),
        "left-anterior-superior-time" | "last" => (4, [false, true, false]),
        "left-posterior-superior-time"
        | "lpst"
        | "scanner-xyz-time"
        | "3d-right-handed-time"
        | "3d-left-handed-time" => (4, none),
        _ => return None,
    };
    Some(Space { dim, flip })
}

/// The pixel type of a teem type name; `Err` holds why it is not supported.
fn parse_type(name: &str) -> Option<std::result::Result<PixelType, &'static str>> {
    use PixelType::*;
    Some(Ok(match name {
        "signed char" | "int8" | "int8_t" => I8,
        "uchar" | "unsigned char" | "uint8" | "uint8_t" => U8,
        "short" | "short int" | "signed short" | "signed short int" | "int16" | "int16_t" => I16,
        "ushort" | "unsigned short" | "unsigned short int" | "uint16" | "uint16_t" => U16,
        "int" | "signed int" | "int32" | "int32_t" => I32,
        "uint" | "unsigned int" | "uint32" | "uint32_t" => U32,
        "float" => F32,
        "double" => F64,
        "longlong"
        | "long long"
        | "long long int"
        | "signed long long"
        | "signed long long int"
        | "int64"
        | "int64_t"
        | "ulonglong"
        | "unsigned long long"
        | "unsigned long long int"
        | "uint64"
        | "uint64_t" => return Some(Err("64-bit integer voxels")),
        "block" => return Some(Err("`block` voxels")),
        _ => return None,
    }))
}

fn type_name(pt: PixelType) -> &'static str {
    match pt {
        PixelType::U8 => "unsigned char",
        PixelType::I8 => "signed char",
        PixelType::U16 => "unsigned short",
        PixelType::I16 => "short",
        PixelType::U32 => "unsigned int",
        PixelType::I32 => "int",
        PixelType::F32 => "float",
        PixelType::F64 => "double",
    }
}

/// Whether an axis kind is a domain kind (teem counts unknown kinds as domain).
fn kind_is_domain(kind: &str) -> bool {
    matches!(
        kind.to_ascii_lowercase().as_str(),
        "domain" | "space" | "time" | "???" | "none" | "unknown"
    )
}

/// The fields of a NRRD header that matter for reading.
#[derive(Debug, Default)]
struct Header {
    dimension: Option<usize>,
    pixel: Option<PixelType>,
    sizes: Option<Vec<u64>>,
    encoding: Option<Encoding>,
    big_endian: Option<bool>,
    space: Option<Space>,
    space_dim: Option<usize>,
    directions: Option<Vec<Option<Vec<f64>>>>,
    origin: Option<Vec<f64>>,
    spacings: Option<Vec<f64>>,
    mins: Option<Vec<f64>>,
    maxs: Option<Vec<f64>>,
    node_centered: Option<Vec<bool>>,
    kinds: Option<Vec<String>>,
    data_file: Option<String>,
    listed: Vec<String>,
    line_skip: u64,
    byte_skip: i64,
}

impl Header {
    /// Parses one `field: value` line.
    fn field(&mut self, path: &Path, field: &str, value: &str) -> Result<()> {
        let bad = |r: String| bad_header(path, FORMAT, r);
        match field {
            "type" => {
                self.pixel = Some(match parse_type(value) {
                    Some(Ok(t)) => t,
                    Some(Err(why)) => {
                        return Err(unsupported(path, FORMAT, format!("type `{value}`: {why}")))
                    }
                    None => return Err(bad(format!("unknown type `{value}`"))),
                })
            }
            "dimension" => self.dimension = Some(parse_num(path, FORMAT, field, value)?),
            "sizes" => self.sizes = Some(parse_all(path, FORMAT, field, value)?),
            "encoding" => {
                self.encoding = Some(match value.to_ascii_lowercase().as_str() {
                    "raw" => Encoding::Raw,
                    "gzip" | "gz" => Encoding::Gzip,
                    "ascii" | "text" | "txt" => Encoding::Ascii,
                    "hex" => Encoding::Hex,
                    "bzip2" | "bz2" => Encoding::Bzip2,
                    "zrl" => {
                        return Err(unsupported(
                            path,
                            FORMAT,
                            format!(
                                "encoding `{value}` (raw, gzip, bzip2, ascii and hex are supported)"
                            ),
                        ))
                    }
                    _ => return Err(bad(format!("unknown encoding `{value}`"))),
                })
            }
            "endian" => {
                self.big_endian = Some(match value.to_ascii_lowercase().as_str() {
                    "little" => false,
                    "big" => true,
                    _ => return Err(bad(format!("unknown endian `{value}`"))),
                })
            }
            "space" => {
                self.space = Some(
                    parse_space(value).ok_or_else(|| bad(format!("unknown space `{value}`")))?,
                )
            }
            "spacedimension" => self.space_dim = Some(parse_num(path, FORMAT, field, value)?),
            "spacedirections" => self.directions = Some(parse_vectors(path, FORMAT, field, value)?),
            "spaceorigin" => {
                let v = parse_vectors(path, FORMAT, field, value)?;
                match v.as_slice() {
                    [Some(o)] => self.origin = Some(o.clone()),
                    _ => {
                        return Err(bad(format!(
                            "`space origin` must be one vector, got `{value}`"
                        )))
                    }
                }
            }
            "spacings" => self.spacings = Some(parse_all(path, FORMAT, field, value)?),
            "axismins" => self.mins = Some(parse_all(path, FORMAT, field, value)?),
            "axismaxs" => self.maxs = Some(parse_all(path, FORMAT, field, value)?),
            "centers" | "centerings" => {
                self.node_centered = Some(
                    value
                        .split_whitespace()
                        .map(|c| c.eq_ignore_ascii_case("node"))
                        .collect(),
                )
            }
            "kinds" => self.kinds = Some(value.split_whitespace().map(String::from).collect()),
            "datafile" => self.data_file = Some(value.to_string()),
            "lineskip" => self.line_skip = parse_num(path, FORMAT, field, value)?,
            "byteskip" => self.byte_skip = parse_num(path, FORMAT, field, value)?,
            _ => {}
        }
        Ok(())
    }
}

/// Reads the header of `path`: the fields and where the header ends.
fn read_fields(path: &Path) -> Result<(Header, HeaderEnd)> {
    let mut h = Header::default();
    let mut seen = HashSet::new();
    let mut in_list = false;
    let end = read_header(path, FORMAT, |n, line| {
        if n == 1 {
            let version = line
                .strip_prefix("NRRD000")
                .and_then(|v| v.parse::<u8>().ok());
            return match version {
                Some(1..=5) => Ok(Flow::More),
                Some(_) => Err(unsupported(path, FORMAT, format!("version `{line}`"))),
                None => Err(bad_header(path, FORMAT, "missing NRRD000x magic")),
            };
        }
        if line.is_empty() {
            return Ok(Flow::End);
        }
        if in_list {
            h.listed.push(line.to_string());
            return Ok(Flow::More);
        }
        if line.starts_with('#') {
            return Ok(Flow::More);
        }
        let Some(colon) = line.find(':') else {
            return Err(bad_header(
                path,
                FORMAT,
                format!("line {n} is neither `field: value` nor `key:=value`: `{line}`"),
            ));
        };
        if line[colon + 1..].starts_with('=') {
            return Ok(Flow::More); // key:=value pair
        }
        let field: String = line[..colon]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        let value = line[colon + 1..].trim();
        if !seen.insert(field.clone()) {
            return Err(bad_header(
                path,
                FORMAT,
                format!("field `{}` given twice", &line[..colon]),
            ));
        }
        h.field(path, &field, value)?;
        in_list = field == "datafile" && value.split_whitespace().next() == Some("LIST");
        Ok(Flow::More)
    })?;
    Ok((h, end))
}

/// Everything needed to read the voxels: sizes, the non-spatial axis, geometry, data source.
struct Plan {
    pixel: PixelType,
    sizes: Vec<u64>,
    size: [usize; 3],
    /// Volumes along the non-spatial axis, and whether that axis is the fastest.
    count: usize,
    interleaved: bool,
    geometry: Geometry,
    big_endian: bool,
    source: DataSource,
}

fn plan(path: &Path) -> Result<Plan> {
    let (h, end) = read_fields(path)?;
    let bad = |r: String| bad_header(path, FORMAT, r);
    let missing = |f: &str| bad(format!("missing required field `{f}`"));
    let pixel = h.pixel.ok_or_else(|| missing("type"))?;
    let dim = h.dimension.ok_or_else(|| missing("dimension"))?;
    let sizes = h.sizes.clone().ok_or_else(|| missing("sizes"))?;
    let encoding = h.encoding.ok_or_else(|| missing("encoding"))?;
    if dim == 0 {
        return Err(bad("dimension must be at least 1".into()));
    }
    if dim > 4 {
        return Err(unsupported(
            path,
            FORMAT,
            format!("dimension {dim} (at most 4)"),
        ));
    }
    let per_axis = |key: &str, len: Option<usize>| match len {
        Some(l) if l != dim => Err(bad(format!("`{key}` has {l} entries for dimension {dim}"))),
        _ => Ok(()),
    };
    per_axis("sizes", Some(sizes.len()))?;
    per_axis("spacings", h.spacings.as_ref().map(Vec::len))?;
    per_axis("axis mins", h.mins.as_ref().map(Vec::len))?;
    per_axis("axis maxs", h.maxs.as_ref().map(Vec::len))?;
    per_axis("centers", h.node_centered.as_ref().map(Vec::len))?;
    per_axis("kinds", h.kinds.as_ref().map(Vec::len))?;
    per_axis("space directions", h.directions.as_ref().map(Vec::len))?;
    if let Some(a) = sizes.iter().position(|&s| s == 0) {
        return Err(bad(format!("size of axis {a} is 0")));
    }
    let binary = matches!(
        encoding,
        Encoding::Raw | Encoding::Gzip | Encoding::Bzip2 | Encoding::Hex
    );
    if binary && pixel.size() > 1 && h.big_endian.is_none() {
        return Err(missing("endian"));
    }

    let mut h = h;
    drop_time(path, &mut h)?;
    let space_dim = space_dim(path, &h)?;

    let extra = non_spatial_axis(path, &h, dim, &sizes)?;
    let count = extra.map_or(1, |a| sizes[a]);
    let spatial: Vec<usize> = (0..dim).filter(|&a| Some(a) != extra).collect();
    if let Some(d) = space_dim {
        if spatial.len() > d {
            return Err(bad(format!(
                "{} spatial axes in a {d}-D space",
                spatial.len()
            )));
        }
    }

    let geometry = geometry(path, &h, &spatial, space_dim)?;
    let mut size = [1usize; 3];
    for (dst, &a) in size.iter_mut().zip(&spatial) {
        *dst = sizes[a] as usize;
    }

    let source = data_source(path, &h, encoding, end)?;
    Ok(Plan {
        pixel,
        interleaved: extra == Some(0) && dim > 1,
        count: count as usize,
        size,
        sizes,
        geometry,
        big_endian: source.byte_order_big(h.big_endian.unwrap_or(false)),
        source,
    })
}

/// A space with a time coordinate (`left-posterior-superior-time`, or the bare
/// `space dimension: 4` SimpleITK writes for 4D images) becomes its 3D space: an axis whose direction is
/// along time only is the non-spatial axis (its direction becomes `none`), the
/// time components of the other directions and of the origin are dropped.
fn drop_time(path: &Path, h: &mut Header) -> Result<()> {
    let flip = match (h.space.as_ref().map(|s| (s.dim, s.flip)), h.space_dim) {
        (Some((4, flip)), _) => flip,
        // What SimpleITK writes for a 4D image: a bare `space dimension: 4`.
        (None, Some(4)) => [false; 3],
        _ => return Ok(()),
    };
    let bad = |r: String| bad_header(path, FORMAT, r);
    if h.space.is_some() {
        h.space = Some(Space { dim: 3, flip });
    }
    if h.space_dim == Some(4) {
        h.space_dim = Some(3);
    }
    for (a, d) in h.directions.iter_mut().flatten().enumerate() {
        if let Some(v) = d {
            if v.len() != 4 {
                return Err(bad(format!(
                    "space direction of axis {a} has {} components, the space has 4",
                    v.len()
                )));
            }
            if v[..3].iter().all(|x| *x == 0.0) {
                *d = None;
            } else {
                v.truncate(3);
            }
        }
    }
    if let Some(o) = &mut h.origin {
        if o.len() != 4 {
            return Err(bad(format!(
                "`space origin` has {} components, the space has 4",
                o.len()
            )));
        }
        o.truncate(3);
    }
    Ok(())
}

/// The dimension of the header's space (`None` without `space`/`space dimension`),
/// after checking that the space fields agree with each other.
fn space_dim(path: &Path, h: &Header) -> Result<Option<usize>> {
    let bad = |r: String| bad_header(path, FORMAT, r);
    let space_dim = match (h.space, h.space_dim) {
        (Some(s), Some(d)) if s.dim != d => {
            return Err(bad(format!(
                "`space dimension` {d} contradicts `space` ({}-D)",
                s.dim
            )))
        }
        (Some(s), _) => Some(s.dim),
        (None, d) => d,
    };
    if space_dim == Some(4) {
        return Err(unsupported(path, FORMAT, "a space with a time coordinate"));
    }
    if let Some(d) = space_dim {
        if !(1..=3).contains(&d) {
            return Err(bad(format!("space dimension {d} (1 to 3 expected)")));
        }
        if h.spacings.iter().flatten().any(|s| !s.is_nan()) {
            return Err(bad(
                "`spacings` given together with a space: with `space`/`space dimension`, axis spacing comes from `space directions` (NRRD spec; ITK refuses this too)".into(),
            ));
        }
        for (a, v) in h.directions.iter().flatten().enumerate() {
            match v {
                Some(v) if v.len() != d => {
                    return Err(bad(format!(
                        "space direction of axis {a} has {} components, the space has {d}",
                        v.len()
                    )))
                }
                Some(v) if v.iter().any(|x| !x.is_finite()) => {
                    return Err(bad(format!(
                        "space direction of axis {a} is not finite: {v:?}"
                    )))
                }
                _ => {}
            }
        }
        if let Some(o) = &h.origin {
            if o.len() != d {
                return Err(bad(format!(
                    "`space origin` has {} components, the space has {d}",
                    o.len()
                )));
            }
        }
    } else if h.directions.is_some() || h.origin.is_some() {
        return Err(bad(
            "`space directions` or `space origin` without `space` or `space dimension`".into(),
        ));
    }

    Ok(space_dim)
}

/// The non-spatial axis, if any: the one whose kind is not a domain kind, else
/// (4D) the last axis without a space direction, else the 4th. It must be the
/// first or the last axis unless its size is 1.
fn non_spatial_axis(path: &Path, h: &Header, dim: usize, sizes: &[u64]) -> Result<Option<usize>> {
    let range: Vec<usize> = match &h.kinds {
        Some(k) => (0..dim).filter(|&a| !kind_is_domain(&k[a])).collect(),
        None => Vec::new(),
    };
    let extra = match range.as_slice() {
        [] if dim == 4 => Some(
            h.directions
                .as_ref()
                .and_then(|d| (0..4).rev().find(|&a| d[a].is_none()))
                .unwrap_or(3),
        ),
        [] => None,
        [a] => Some(*a),
        _ => {
            return Err(unsupported(
                path,
                FORMAT,
                format!(
                    "{} non-spatial axes (kinds {:?}); at most one",
                    range.len(),
                    h.kinds.clone().unwrap_or_default()
                ),
            ))
        }
    };
    let count = extra.map_or(1, |a| sizes[a]);
    if let Some(a) = extra {
        if count > 1 && a != 0 && a != dim - 1 {
            return Err(unsupported(
                path,
                FORMAT,
                format!("non-spatial axis {a} lies between spatial axes (only the first or last is supported)"),
            ));
        }
    }
    Ok(extra)
}

/// Where the voxel bytes are and how to read them.
fn data_source(path: &Path, h: &Header, encoding: Encoding, end: HeaderEnd) -> Result<DataSource> {
    let bad = |r: String| bad_header(path, FORMAT, r);
    let (skip, decoded_skip) = match (h.byte_skip, encoding) {
        (-1, Encoding::Raw) => (Skip::ToTail, 0),
        (s, _) if s < 0 => {
            return Err(unsupported(
                path,
                FORMAT,
                format!(
                    "byte skip {s} with encoding {encoding:?} (-1 is supported for raw data only)"
                ),
            ))
        }
        (s, Encoding::Gzip | Encoding::Bzip2) => (Skip::Bytes(0), s as u64),
        (s, _) => (Skip::Bytes(s as u64), 0),
    };
    let (files, first_offset) = match &h.data_file {
        Some(spec) => (data_files(path, FORMAT, spec, &h.listed)?, 0),
        None if end.at_eof => {
            return Err(bad(
                "no `data file` and no blank line ending the header: there are no data".into(),
            ))
        }
        None => (vec![PathBuf::from(path)], end.data_offset),
    };
    Ok(DataSource {
        files,
        first_offset,
        line_skip: h.line_skip,
        skip,
        decoded_skip,
        encoding,
    })
}

/// The ITK geometry of the spatial axes (see the module documentation).
fn geometry(
    path: &Path,
    h: &Header,
    spatial: &[usize],
    space_dim: Option<usize>,
) -> Result<Geometry> {
    let n = spatial.len();
    let mut spacing = vec![1.0; n];
    let mut dirs: Vec<Vec<f64>> = (0..n)
        .map(|k| {
            (0..space_dim.unwrap_or(n))
                .map(|r| if r == k { 1.0 } else { 0.0 })
                .collect()
        })
        .collect();
    let mut origin = vec![0.0; space_dim.unwrap_or(n)];
    match space_dim {
        Some(_) => {
            let flip = h.space.map_or([false; 3], |s| s.flip);
            let lps = |v: &[f64]| -> Vec<f64> {
                v.iter()
                    .enumerate()
                    .map(|(i, x)| {
                        if flip.get(i).copied().unwrap_or(false) {
                            -x
                        } else {
                            *x
                        }
                    })
                    .collect()
            };
            for (k, &a) in spatial.iter().enumerate() {
                if let Some(Some(v)) = h.directions.as_ref().map(|d| &d[a]) {
                    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
                    if norm == 0.0 {
                        return Err(bad_header(
                            path,
                            FORMAT,
                            format!("space direction of axis {a} is zero"),
                        ));
                    }
                    spacing[k] = norm;
                    dirs[k] = lps(&v.iter().map(|x| x / norm).collect::<Vec<_>>());
                }
            }
            match &h.origin {
                Some(o) if o.iter().all(|x| x.is_nan()) => {}
                Some(o) if o.iter().all(|x| x.is_finite()) => origin = lps(o),
                Some(o) => {
                    return Err(bad_header(
                        path,
                        FORMAT,
                        format!("space origin is not finite: {o:?}"),
                    ))
                }
                None => {}
            }
        }
        None => {
            for (k, &a) in spatial.iter().enumerate() {
                if let Some(s) = h.spacings.as_ref().map(|s| s[a]).filter(|s| !s.is_nan()) {
                    spacing[k] = s;
                }
            }
            // teem's nrrdOriginCalculate, as ITK uses it: every spatial axis needs a min
            // and a spacing or max; cell centering unless the axis says node.
            let sizes = h.sizes.as_deref().unwrap_or(&[]);
            let per_axis: Option<Vec<f64>> = spatial
                .iter()
                .map(|&a| {
                    let min = h.mins.as_ref().map(|m| m[a]).filter(|m| m.is_finite())?;
                    let node = h.node_centered.as_ref().is_some_and(|c| c[a]);
                    let step = match h.spacings.as_ref().map(|s| s[a]).filter(|s| s.is_finite()) {
                        Some(s) => s,
                        None => {
                            let max = h.maxs.as_ref().map(|m| m[a]).filter(|m| m.is_finite())?;
                            let cells = if node {
                                sizes[a].saturating_sub(1)
                            } else {
                                sizes[a]
                            };
                            (max - min) / cells.max(1) as f64
                        }
                    };
                    Some(if node { min } else { min + step / 2.0 })
                })
                .collect();
            if let Some(o) = per_axis {
                origin = o;
            }
        }
    }
    itk_geometry(path, FORMAT, &spacing, &dirs, &origin)
}

impl VolumeReader for Nrrd {
    fn read(&self, path: &Path, opts: &ReadOptions) -> Result<Image> {
        let p = plan(path)?;
        p.source
            .check(path, FORMAT, opts, &p.sizes, p.pixel.size() as u64)?;
        let fill = |buf: &mut [u8]| p.source.read_into(path, FORMAT, p.pixel, buf);
        let volumes = if p.interleaved && p.count > 1 {
            let total = p.size.iter().product::<usize>() * p.count;
            let flat = decode_volumes(
                path,
                p.pixel,
                [total, 1, 1],
                1,
                Geometry::default(),
                p.big_endian,
                fill,
            )?;
            match flat.into_iter().next() {
                Some(v) => {
                    with_volume!(v, v => deinterleave(path, &v, p.count, p.size, p.geometry))?
                }
                None => Vec::new(),
            }
        } else {
            decode_volumes(
                path,
                p.pixel,
                p.size,
                p.count,
                p.geometry,
                p.big_endian,
                fill,
            )?
        };
        Ok(Image {
            format: FORMAT,
            volumes,
        })
    }
}

/// Splits interleaved components (the fastest axis) into one volume each.
fn deinterleave<T: Pixel>(
    path: &Path,
    flat: &Volume<T>,
    count: usize,
    size: [usize; 3],
    geometry: Geometry,
) -> Result<Vec<AnyVolume>>
where
    AnyVolume: From<Volume<T>>,
{
    let s = flat.as_slice();
    (0..count)
        .map(|c| {
            let v: Vec<T> = s.iter().skip(c).step_by(count).copied().collect();
            Ok(Volume::from_vec(size, v, geometry).at(path)?.into())
        })
        .collect()
}

impl VolumeWriter for Nrrd {
    fn write(&self, path: &Path, volume: &AnyVolume, opts: &WriteOptions) -> Result<()> {
        self.write_series(path, std::slice::from_ref(volume), opts)
    }

    /// A series is written as a 4D image: the 4th axis has no space direction
    /// and kind `list` (what SimpleITK writes for a 4D image is read back too).
    fn write_series(&self, path: &Path, volumes: &[AnyVolume], opts: &WriteOptions) -> Result<()> {
        let data_ext = if opts.compress { "raw.gz" } else { "raw" };
        let first = volumes
            .first()
            .ok_or_else(|| unsupported(path, FORMAT, "no volume to write"))?;
        let data_path = data_file_for(path, FORMAT, first, "nhdr", data_ext)?;
        let header = header_text(first, volumes.len(), opts.compress, data_path.as_deref());
        let payload = series_bytes(
            path,
            FORMAT,
            volumes,
            opts.compress
                .then_some(|b: &[&[u8]]| gz::gzip(b, opts.level)),
        )?;
        let parts: Vec<&[u8]> = payload.iter().map(|b| b.as_ref()).collect();
        write_files(path, data_path.as_deref(), &header, &parts)
    }
}

/// The header of a written file of `count` volumes (ends with the blank line
/// when the data are attached).
fn header_text(v: &AnyVolume, count: usize, gzip: bool, data_file: Option<&Path>) -> String {
    let g = v.geometry();
    let nd = if count > 1 { 3 } else { planar_dims(v) };
    let size = v.size();
    // A series is written as SimpleITK writes a 4D image (so that ITK reads it
    // back as 4D): `space dimension: 4`, a time component 0 in the spatial
    // directions and the origin, the 4th axis along time with spacing 1.
    let time = usize::from(count > 1);
    let mut dirs: Vec<String> = (0..nd)
        .map(|c| {
            let col = (0..nd).map(|r| g.direction[r][c] * g.spacing[c]);
            format!("({})", nums(col.chain(std::iter::repeat_n(0.0, time)), ","))
        })
        .collect();
    let mut sizes: Vec<String> = size[..nd].iter().map(|n| n.to_string()).collect();
    let mut kinds = vec!["domain"; nd];
    if count > 1 {
        dirs.push("(0,0,0,1)".into());
        sizes.push(count.to_string());
        kinds.push("domain");
    }
    let mut s = String::from(
        "NRRD0004\n# Complete NRRD file format specification at:\n# http://teem.sourceforge.net/nrrd/format.html\n",
    );
    s += &format!(
        "type: {}\ndimension: {}\n",
        type_name(v.pixel_type()),
        sizes.len()
    );
    s += match (nd, count > 1) {
        (_, true) => "space dimension: 4\n",
        (3, false) => "space: left-posterior-superior\n",
        _ => "space dimension: 2\n",
    };
    s += &format!(
        "sizes: {}\nspace directions: {}\nkinds: {}\nendian: little\nencoding: {}\nspace origin: ({})\n",
        sizes.join(" "),
        dirs.join(" "),
        kinds.join(" "),
        if gzip { "gzip" } else { "raw" },
        nums(
            g.origin[..nd]
                .iter()
                .copied()
                .chain(std::iter::repeat_n(0.0, time)),
            ","
        ),
    );
    match data_file.and_then(|d| d.file_name()) {
        Some(name) => s += &format!("data file: {}\n", name.to_string_lossy()),
        None => s.push('\n'),
    }
    s
}
