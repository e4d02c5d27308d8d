//! What NRRD and MetaImage share: a text header in front of (or beside) raw
//! voxel data.
//!
//! * [`read_header`] reads header lines (bounded in length and count) and says
//!   where the data start;
//! * [`parse_all`], [`parse_vectors`] parse numbers and `(x,y,z)` vectors with
//!   errors that name the field;
//! * [`data_files`] resolves a detached data-file specification — one name,
//!   `LIST` (names on the following lines) or the `pattern%d min max step
//!   [subdim]` form — relative to the header's folder;
//! * [`DataSource`] checks the voxel buffer against the [`crate::Limits`] and the bytes
//!   present (before anything is allocated), then fills it from one or several
//!   files: raw (read straight into the buffer), gzip or zlib (decompressed
//!   straight into it), ASCII or hex, with line and byte skips;
//! * [`itk_geometry`] turns per-axis spacing / direction / origin of a 1–3-D
//!   image into a 3D [`Geometry`] the way ITK's `ImageFileReader` does;
//! * [`data_file_for`], [`series_bytes`], [`planar_dims`], [`sibling`], [`num`],
//!   [`write_files`] serve the writers.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use medvox_core::{budget, for_pixel_type, AnyVolume, Geometry, Pixel, PixelType};

use crate::atomic::{write_atomic, write_bytes_atomic};
use crate::error::{IoError, Result, WithPath};
use crate::raw::le_bytes;
use crate::{gz, ReadOptions};

/// Longest header accepted (bytes up to the end of the header).
const MAX_HEADER_BYTES: u64 = 16 << 20;
/// Longest header line accepted.
const MAX_LINE_BYTES: u64 = 1 << 20;
/// Most data files one header may name.
const MAX_DATA_FILES: i64 = 1 << 20;
/// Widest field of a data-file pattern (`%0255d`).
const MAX_PATTERN_WIDTH: usize = 255;
/// Longest error reason (characters); header values quoted in it are cut.
const MAX_REASON_CHARS: usize = 600;

/// An invalid-header error.
pub(crate) fn bad_header(path: &Path, format: &'static str, reason: impl Into<String>) -> IoError {
    IoError::Header {
        path: path.to_path_buf(),
        format,
        reason: cut(reason.into()),
    }
}

/// A message about file content, made printable and cut to a sane length
/// (header values can hold anything, including terminal escape sequences).
pub(crate) fn cut(reason: String) -> String {
    match medvox_core::text::printable(&reason, MAX_REASON_CHARS) {
        std::borrow::Cow::Borrowed(_) => reason,
        std::borrow::Cow::Owned(s) => s,
    }
}

/// An unsupported-feature error.
pub(crate) fn unsupported(path: &Path, format: &'static str, reason: impl Into<String>) -> IoError {
    IoError::Unsupported {
        path: path.to_path_buf(),
        format,
        reason: cut(reason.into()),
    }
}

fn bad_data(path: &Path, reason: impl Into<String>) -> IoError {
    IoError::Data {
        path: path.to_path_buf(),
        reason: cut(reason.into()),
    }
}

/// What the line callback of [`read_header`] wants next.
pub(crate) enum Flow {
    /// Keep reading header lines.
    More,
    /// The header ends with this line; the data (if attached) follow it.
    End,
}

/// Where a header ended.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderEnd {
    /// Byte offset just after the last header line.
    pub data_offset: u64,
    /// True when the file ended before the callback said [`Flow::End`].
    pub at_eof: bool,
}

/// Reads the header lines of `path` (line terminators `\n` or `\r\n` removed,
/// invalid UTF-8 replaced) and hands each to `on_line` with its 1-based number,
/// until it returns [`Flow::End`] or the file ends.
pub(crate) fn read_header(
    path: &Path,
    format: &'static str,
    mut on_line: impl FnMut(usize, &str) -> Result<Flow>,
) -> Result<HeaderEnd> {
    let mut r = BufReader::with_capacity(64 << 10, File::open(path).at(path)?);
    let mut offset = 0u64;
    let mut buf = Vec::new();
    let mut number = 0;
    loop {
        number += 1;
        buf.clear();
        let got = (&mut r)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut buf)
            .at(path)? as u64;
        if got == 0 {
            return Ok(HeaderEnd {
                data_offset: offset,
                at_eof: true,
            });
        }
        if got > MAX_LINE_BYTES || offset + got > MAX_HEADER_BYTES {
            return Err(bad_header(
                path,
                format,
                format!("no end of header within the first {offset} bytes (line {number} is too long or the header is binary data)"),
            ));
        }
        offset += got;
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Flow::End = on_line(number, &String::from_utf8_lossy(line))? {
            return Ok(HeaderEnd {
                data_offset: offset,
                at_eof: false,
            });
        }
    }
}

/// Parses one number of field `key`.
pub(crate) fn parse_num<T: FromStr>(
    path: &Path,
    format: &'static str,
    key: &str,
    token: &str,
) -> Result<T> {
    token.trim().parse().map_err(|_| {
        bad_header(
            path,
            format,
            format!("`{key}`: `{token}` is not a valid number"),
        )
    })
}

/// Parses the whitespace-separated numbers of field `key`.
pub(crate) fn parse_all<T: FromStr>(
    path: &Path,
    format: &'static str,
    key: &str,
    value: &str,
) -> Result<Vec<T>> {
    value
        .split_whitespace()
        .map(|t| parse_num(path, format, key, t))
        .collect()
}

/// The first `n` entries of a per-axis list; an error if it has fewer (or, when
/// `exact`, a different number of) entries.
pub(crate) fn take_n<T>(
    path: &Path,
    format: &'static str,
    key: &str,
    mut v: Vec<T>,
    n: usize,
    exact: bool,
) -> Result<Vec<T>> {
    if v.len() < n || (exact && v.len() != n) {
        return Err(bad_header(
            path,
            format,
            format!("`{key}` has {} values, {n} expected", v.len()),
        ));
    }
    v.truncate(n);
    Ok(v)
}

/// Parses NRRD vectors: `(x,y,z) none (x,y,z)` → `[Some([x,y,z]), None, …]`.
pub(crate) fn parse_vectors(
    path: &Path,
    format: &'static str,
    key: &str,
    value: &str,
) -> Result<Vec<Option<Vec<f64>>>> {
    let mut out = Vec::new();
    let mut rest = value.trim_start();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("none") {
            out.push(None);
            rest = r.trim_start();
        } else if let Some(r) = rest.strip_prefix('(') {
            let close = r.find(')').ok_or_else(|| {
                bad_header(path, format, format!("`{key}`: missing `)` in `{value}`"))
            })?;
            let v = r[..close]
                .split(',')
                .map(|t| parse_num::<f64>(path, format, key, t))
                .collect::<Result<Vec<_>>>()?;
            out.push(Some(v));
            rest = r[close + 1..].trim_start();
        } else {
            return Err(bad_header(
                path,
                format,
                format!("`{key}`: expected `(x,y,…)` or `none`, found `{rest}`"),
            ));
        }
    }
    Ok(out)
}

/// Resolves a detached data-file specification (the value of NRRD `data file`
/// or MetaImage `ElementDataFile`, not `LOCAL`) into paths, relative names
/// being taken from the header's folder:
/// * `LIST [subdim]` — the names are `listed` (the header lines that follow);
/// * `pattern min max step [subdim]` — `pattern` holds one printf `%d`
///   (`%03d`, `%i`…), expanded for min, min+step, … up to max (step may be negative);
/// * anything else is one file name.
///
/// The data are split evenly over the files, whatever `subdim` says (as teem does).
pub(crate) fn data_files(
    header: &Path,
    format: &'static str,
    spec: &str,
    listed: &[String],
) -> Result<Vec<PathBuf>> {
    let dir = header.parent().unwrap_or(Path::new(""));
    let tokens: Vec<&str> = spec.split_whitespace().collect();
    let names: Vec<String> = if tokens.first() == Some(&"LIST") {
        let names: Vec<String> = listed
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        if names.is_empty() {
            return Err(bad_header(header, format, "data file `LIST` names no file"));
        }
        names
    } else if (4..=5).contains(&tokens.len())
        && tokens[0].contains('%')
        && tokens[1..4].iter().all(|t| t.parse::<i64>().is_ok())
    {
        let [min, max, step] = [1, 2, 3].map(|i| tokens[i].parse::<i64>().unwrap_or(0));
        if step == 0 || (max - min).signum() * step.signum() < 0 {
            return Err(bad_header(
                header,
                format,
                format!("data file pattern `{spec}`: no file from {min} to {max} by {step}"),
            ));
        }
        let count = (max - min) / step + 1;
        if count > MAX_DATA_FILES {
            return Err(bad_header(
                header,
                format,
                format!(
                    "data file pattern `{spec}` names {count} files (at most {MAX_DATA_FILES})"
                ),
            ));
        }
        (0..count)
            .map(|i| printf_int(tokens[0], min + i * step))
            .collect::<std::result::Result<Vec<_>, String>>()
            .map_err(|why| {
                bad_header(
                    header,
                    format,
                    format!("data file pattern `{}`: {why}", tokens[0]),
                )
            })?
    } else {
        if spec.trim().is_empty() {
            return Err(bad_header(header, format, "empty data file name"));
        }
        vec![spec.trim().to_string()]
    };
    Ok(names.into_iter().map(|n| dir.join(n)).collect())
}

/// Expands the single `%d`-like conversion (`%d`, `%i`, `%u`, `%5d`, `%05d`) of a
/// pattern; the field width is at most [`MAX_PATTERN_WIDTH`].
fn printf_int(pattern: &str, v: i64) -> std::result::Result<String, String> {
    let no_single = || "has no single `%d`".to_string();
    let start = pattern.find('%').ok_or_else(no_single)?;
    let rest = &pattern[start + 1..];
    let spec_len = rest
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(no_single)?;
    let (flags, tail) = rest.split_at(spec_len);
    let tail = tail.strip_prefix(['d', 'i', 'u']).ok_or_else(no_single)?;
    if tail.contains('%') {
        return Err(no_single());
    }
    let width: usize = if flags.is_empty() {
        0
    } else {
        flags
            .parse()
            .ok()
            .filter(|w| *w <= MAX_PATTERN_WIDTH)
            .ok_or_else(|| {
                format!(
                    "field width {} is too large (at most {MAX_PATTERN_WIDTH})",
                    medvox_core::text::printable(flags, 40)
                )
            })?
    };
    let body = if flags.starts_with('0') {
        format!("{v:0width$}")
    } else {
        format!("{v:width$}")
    };
    Ok(format!("{}{body}{tail}", &pattern[..start]))
}

/// How voxel values are stored in a data file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// Raw bytes.
    Raw,
    /// A gzip stream of the raw bytes (NRRD `gzip`).
    Gzip,
    /// A zlib stream of the raw bytes (MetaImage `CompressedData`).
    Zlib,
    /// A bzip2 stream of the raw bytes (NRRD `bzip2`), decoded by the pure-Rust
    /// libbz2-rs. Its ratio has no useful bound, so only the memory budget
    /// limits the buffer; decoding stops at the declared size.
    Bzip2,
    /// Decimal numbers separated by white space or commas.
    Ascii,
    /// Two hex digits per byte, white space ignored.
    Hex,
}

/// Where the data begin in each data file, after any line skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skip {
    /// Skip this many (stored) bytes.
    Bytes(u64),
    /// The data are the last bytes of the file (NRRD `byte skip: -1`, MetaImage `HeaderSize = -1`; raw only).
    ToTail,
}

/// The voxel data of an image: where they are and how they are encoded.
#[derive(Debug, Clone)]
pub(crate) struct DataSource {
    /// The data files; the data are split evenly over them, in order.
    pub files: Vec<PathBuf>,
    /// Bytes before the data in the first file (an attached header).
    pub first_offset: u64,
    /// Lines skipped at the start of each file (NRRD `line skip`).
    pub line_skip: u64,
    /// Stored bytes skipped after the line skip.
    pub skip: Skip,
    /// Decoded bytes skipped after decompression (NRRD `byte skip` with gzip).
    pub decoded_skip: u64,
    /// The encoding.
    pub encoding: Encoding,
}

impl DataSource {
    /// One attached or single data file starting at `offset`, no skips.
    pub fn single(file: PathBuf, offset: u64, encoding: Encoding) -> Self {
        DataSource {
            files: vec![file],
            first_offset: offset,
            line_skip: 0,
            skip: Skip::Bytes(0),
            decoded_skip: 0,
            encoding,
        }
    }

    /// The byte order of the bytes [`DataSource::read_into`] produces: the file's
    /// for binary encodings, the host's for ASCII (values are parsed, not copied).
    pub fn byte_order_big(&self, declared_big: bool) -> bool {
        match self.encoding {
            Encoding::Ascii => cfg!(target_endian = "big"),
            _ => declared_big,
        }
    }

    /// Checks a voxel buffer of `dims` × `bpv` bytes against the limits and the
    /// bytes present in the data files, before anything is allocated. Returns its size.
    ///
    /// Detached data files must be regular files (a FIFO or a device such as
    /// `/dev/zero` would block or never end) inside the header's folder, unless
    /// `opts.allow_outside_data`.
    pub fn check(
        &self,
        header: &Path,
        format: &'static str,
        opts: &ReadOptions,
        dims: &[u64],
        bpv: u64,
    ) -> Result<usize> {
        let limits = &opts.limits;
        let mut stored = 0u64;
        for (i, f) in self.files.iter().enumerate() {
            let meta = std::fs::metadata(f);
            if meta.as_ref().is_ok_and(|m| !m.is_file()) {
                return Err(bad_header(
                    header,
                    format,
                    format!(
                        "data file {} is not a regular file (a FIFO, device or folder): refused",
                        f.display()
                    ),
                ));
            }
            if f != header && !opts.allow_outside_data {
                confined(header, format, f)?;
            }
            let meta = meta.map_err(|e| cannot_open(header, format, f, &e))?;
            let len = meta.len();
            let start = if i == 0 { self.first_offset } else { 0 };
            let skip = match self.skip {
                Skip::Bytes(n) => n,
                Skip::ToTail => 0,
            };
            stored = stored.saturating_add(len.saturating_sub(start.saturating_add(skip)));
        }
        let available = match self.encoding {
            Encoding::Raw => (stored, false),
            Encoding::Gzip | Encoding::Zlib => (stored, true),
            Encoding::Bzip2 => (u64::MAX, false),
            // Each value takes at least one character and one separator.
            Encoding::Ascii => (stored.div_ceil(2).saturating_mul(bpv), false),
            Encoding::Hex => (stored / 2, false),
        };
        let n = limits.check(header, dims, bpv, Some(available))?;
        if self.decoded_skip > 0 {
            // The skipped bytes are decompressed too.
            let total = (n as u64).saturating_add(self.decoded_skip);
            limits.check(header, &[total], 1, Some(available))?;
        }
        let pieces = self.files.len();
        if n % pieces != 0 || (self.encoding == Encoding::Ascii && (n / pieces) % bpv as usize != 0)
        {
            return Err(bad_header(
                header,
                format,
                format!("{n} bytes of voxel data cannot be split evenly over {pieces} data files"),
            ));
        }
        Ok(n)
    }

    /// Fills `out` (the voxel bytes, in file order) from the data files. ASCII
    /// values are converted to `pt` in host byte order.
    pub fn read_into(
        &self,
        header: &Path,
        format: &'static str,
        pt: PixelType,
        out: &mut [u8],
    ) -> Result<()> {
        let per = out.len() / self.files.len().max(1);
        if per == 0 {
            return Ok(());
        }
        for (i, (file, chunk)) in self.files.iter().zip(out.chunks_mut(per)).enumerate() {
            let start = if i == 0 { self.first_offset } else { 0 };
            self.read_piece(header, format, file, start, pt, chunk)?;
        }
        Ok(())
    }

    fn read_piece(
        &self,
        header: &Path,
        format: &'static str,
        file: &Path,
        start: u64,
        pt: PixelType,
        out: &mut [u8],
    ) -> Result<()> {
        let mut f = File::open(file).map_err(|e| cannot_open(header, format, file, &e))?;
        let len = f.metadata().at(file)?.len();
        let mut pos = start;
        if self.line_skip > 0 {
            f.seek(SeekFrom::Start(pos)).at(file)?;
            pos += skip_lines(&mut f, self.line_skip, file)?;
        }
        pos = match self.skip {
            Skip::Bytes(n) => pos.saturating_add(n),
            Skip::ToTail => {
                if self.encoding != Encoding::Raw {
                    return Err(unsupported(
                        header,
                        format,
                        "data at the end of the file (skip -1) is only supported for raw data",
                    ));
                }
                len.checked_sub(out.len() as u64)
                    .filter(|p| *p >= pos)
                    .ok_or_else(|| short(file, len.saturating_sub(pos), out.len()))?
            }
        };
        if pos > len {
            return Err(short(file, 0, out.len()));
        }
        f.seek(SeekFrom::Start(pos)).at(file)?;
        let remaining = len - pos;
        match self.encoding {
            Encoding::Raw => f.read_exact(out).map_err(|e| {
                if e.kind() == std::io::ErrorKind::UnexpectedEof {
                    short(file, remaining, out.len())
                } else {
                    IoError::Os {
                        path: file.to_path_buf(),
                        source: e,
                    }
                }
            }),
            Encoding::Gzip | Encoding::Zlib | Encoding::Bzip2 => {
                let packed = read_bounded(&mut f, remaining, file)?;
                let inflate = |dst: &mut [u8]| match self.encoding {
                    Encoding::Gzip => gz::gunzip_into(&packed, dst),
                    Encoding::Bzip2 => gz::read_exact_or_explain(
                        bzip2::read::MultiBzDecoder::new(&packed[..]),
                        dst,
                    ),
                    _ => gz::zlib_into(&packed, dst),
                };
                if self.decoded_skip == 0 {
                    inflate(out).map_err(|e| bad_data(file, e))
                } else {
                    let total = (out.len() as u64)
                        .checked_add(self.decoded_skip)
                        .filter(|t| {
                            self.encoding == Encoding::Bzip2
                                || (*t as u128) <= gz::max_inflated_size(packed.len() as u64)
                        })
                        .ok_or_else(|| {
                            bad_data(file, format!("cannot skip {} decompressed bytes: the compressed data are too short", self.decoded_skip))
                        })?;
                    let mut tmp: Vec<u8> = budget::try_zeroed_vec(total as usize)
                        .map_err(|e| bad_data(file, e.to_string()))?;
                    inflate(&mut tmp).map_err(|e| bad_data(file, e))?;
                    out.copy_from_slice(&tmp[self.decoded_skip as usize..]);
                    Ok(())
                }
            }
            Encoding::Ascii => {
                let text = read_bounded(&mut f, remaining, file)?;
                for_pixel_type!(pt, T => parse_ascii::<T>(&text, out, file))
            }
            Encoding::Hex => {
                let text = read_bounded(&mut f, remaining, file)?;
                parse_hex(&text, out, file)
            }
        }
    }
}

/// Checks that the data file `file` lies inside the folder of `header` (after
/// resolving `..` and symbolic links).
fn confined(header: &Path, format: &'static str, file: &Path) -> Result<()> {
    let dir = match header.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let inside = match (std::fs::canonicalize(dir), std::fs::canonicalize(file)) {
        (Ok(d), Ok(f)) => f.starts_with(d),
        // A missing file: inside when its name, read lexically, stays in the folder
        // (the open then fails with "cannot be opened").
        _ => file
            .strip_prefix(header.parent().unwrap_or(Path::new("")))
            .is_ok_and(|rel| {
                let mut depth = 0i64;
                rel.components().all(|c| {
                    depth += match c {
                        std::path::Component::ParentDir => -1,
                        std::path::Component::Normal(_) => 1,
                        _ => 0,
                    };
                    depth >= 0
                })
            }),
    };
    if inside {
        Ok(())
    } else {
        Err(bad_header(
            header,
            format,
            format!(
                "data file {} lies outside the header's folder {}: refused (give --allow-outside-data to read it)",
                file.display(),
                dir.display()
            ),
        ))
    }
}

fn cannot_open(header: &Path, format: &'static str, file: &Path, e: &std::io::Error) -> IoError {
    bad_header(
        header,
        format,
        format!("data file {} cannot be opened: {e}", file.display()),
    )
}

fn short(file: &Path, have: u64, need: usize) -> IoError {
    bad_data(
        file,
        format!("{need} bytes of voxel data expected, only {have} present"),
    )
}

/// Reads at most `n` bytes (the rest of a regular file whose size was checked),
/// into a buffer reserved fallibly.
fn read_bounded(f: &mut File, n: u64, file: &Path) -> Result<Vec<u8>> {
    let n = usize::try_from(n).map_err(|_| bad_data(file, "the data file is too large"))?;
    let mut v = budget::try_vec_with_capacity::<u8>(n, "compressed or text voxel data")
        .map_err(|e| bad_data(file, e.to_string()))?;
    f.take(n as u64).read_to_end(&mut v).at(file)?;
    Ok(v)
}

/// Skips `n` lines from the current position; returns the bytes skipped.
fn skip_lines(f: &mut File, n: u64, file: &Path) -> Result<u64> {
    let mut r = BufReader::new(f);
    let (mut lines, mut bytes) = (0u64, 0u64);
    while lines < n {
        let buf = r.fill_buf().at(file)?;
        if buf.is_empty() {
            return Err(bad_data(
                file,
                format!("the file ends before the {n} lines to skip"),
            ));
        }
        let take = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                lines += 1;
                i + 1
            }
            None => buf.len(),
        };
        r.consume(take);
        bytes += take as u64;
    }
    Ok(bytes)
}

/// Parses decimal values (white space or commas between them) into `out`, host byte order.
fn parse_ascii<T: Pixel>(text: &[u8], out: &mut [u8], file: &Path) -> Result<()> {
    let size = std::mem::size_of::<T>();
    let want = out.len() / size;
    let mut tokens = text
        .split(|b| b.is_ascii_whitespace() || *b == b',')
        .filter(|t| !t.is_empty());
    for (i, dst) in out.chunks_exact_mut(size).enumerate() {
        let tok = tokens
            .next()
            .ok_or_else(|| bad_data(file, format!("ASCII data end after {i} of {want} values")))?;
        let v: f64 = std::str::from_utf8(tok)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| {
                bad_data(
                    file,
                    format!(
                        "value {}: `{}` is not a number",
                        i + 1,
                        String::from_utf8_lossy(tok)
                    ),
                )
            })?;
        dst.copy_from_slice(bytemuck::bytes_of(&T::from_f64(v)));
    }
    Ok(())
}

/// Decodes hex digit pairs (white space ignored) into `out`.
fn parse_hex(text: &[u8], out: &mut [u8], file: &Path) -> Result<()> {
    let want = out.len();
    let mut digits = text.iter().filter(|b| !b.is_ascii_whitespace());
    for (i, b) in out.iter_mut().enumerate() {
        let mut byte = 0u8;
        for _ in 0..2 {
            let d = digits
                .next()
                .ok_or_else(|| bad_data(file, format!("hex data end after {i} of {want} bytes")))?;
            let v = (*d as char)
                .to_digit(16)
                .ok_or_else(|| bad_data(file, format!("`{}` is not a hex digit", *d as char)))?;
            byte = (byte << 4) | v as u8;
        }
        *b = byte;
    }
    Ok(())
}

/// Builds the 3D ITK geometry of an image with 1–3 spatial axes from per-axis
/// `spacing`, direction columns `dirs` (each of the space's dimension, 1–3;
/// normalised as given) and `origin` (the space's dimension).
///
/// As ITK's `ImageFileReader`: a negative spacing becomes positive and flips
/// its direction column. Missing axes get spacing 1, origin 0 and a direction
/// completing the matrix: `+z` for a 2D image in a 2D space (ITK's embedding),
/// the normal of the slice for a 2D image in 3D space.
pub(crate) fn itk_geometry(
    path: &Path,
    format: &'static str,
    spacing: &[f64],
    dirs: &[Vec<f64>],
    origin: &[f64],
) -> Result<Geometry> {
    let n = spacing.len().min(3);
    let mut sp = [1.0; 3];
    let mut cols = [[0.0; 3]; 3];
    for a in 0..n {
        let s = spacing[a];
        if !s.is_finite() || s == 0.0 {
            return Err(bad_header(
                path,
                format,
                format!("spacing of axis {a} is {s}: must be finite and non-zero"),
            ));
        }
        sp[a] = s.abs();
        for (r, v) in dirs[a].iter().take(3).enumerate() {
            cols[a][r] = if s < 0.0 { -v } else { *v };
        }
    }
    let space_dim = dirs.first().map_or(n, |d| d.len().min(3));
    for c in n..3 {
        let normal = (n == 2 && space_dim == 3).then(|| cross(cols[0], cols[1]));
        let mut candidates = normal.into_iter().chain([c, 0, 1, 2].map(unit));
        cols[c] = candidates
            .find_map(|v| orthonormal_to(v, &cols[..c]))
            .unwrap_or(unit(c));
    }
    let mut o = [0.0; 3];
    for (dst, v) in o.iter_mut().zip(origin) {
        *dst = *v;
    }
    let direction = [0, 1, 2].map(|r| [cols[0][r], cols[1][r], cols[2][r]]);
    Geometry::new(sp, o, direction).map_err(|e| bad_header(path, format, e.to_string()))
}

fn unit(i: usize) -> [f64; 3] {
    let mut v = [0.0; 3];
    v[i] = 1.0;
    v
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// `v` made orthogonal to `basis` (Gram–Schmidt) and normalised; `None` if little is left.
fn orthonormal_to(mut v: [f64; 3], basis: &[[f64; 3]]) -> Option<[f64; 3]> {
    for b in basis {
        let bb: f64 = b.iter().map(|x| x * x).sum();
        if bb > 0.0 {
            let k = (0..3).map(|i| v[i] * b[i]).sum::<f64>() / bb;
            for i in 0..3 {
                v[i] -= k * b[i];
            }
        }
    }
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    (norm > 0.5).then(|| v.map(|x| x / norm))
}

/// Dimensions a writer should declare: 2 when the volume is one slice whose
/// geometry is a 2D image's (z spacing 1, z origin 0, direction block-diagonal
/// with +1 for z) — so that ITK reads it back as 2D — else 3.
pub(crate) fn planar_dims(v: &AnyVolume) -> usize {
    let g = v.geometry();
    let d = &g.direction;
    let planar = v.size()[2] == 1
        && g.spacing[2] == 1.0
        && g.origin[2] == 0.0
        && d[2] == [0.0, 0.0, 1.0]
        && d[0][2] == 0.0
        && d[1][2] == 0.0;
    if planar {
        2
    } else {
        3
    }
}

/// What a writer checks and decides before encoding `volume` for `path`: the
/// volume must not be empty, and its voxels go to the file beside `path` with
/// extension `data_ext` when `path` ends in `detached_ext` (any case), else
/// (`None`) into the header's own file.
pub(crate) fn data_file_for(
    path: &Path,
    format: &'static str,
    volume: &AnyVolume,
    detached_ext: &str,
    data_ext: &str,
) -> Result<Option<PathBuf>> {
    let size = volume.size();
    if size.contains(&0) {
        return Err(bad_header(
            path,
            format,
            format!("cannot write an empty volume of size {size:?}"),
        ));
    }
    let detached = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(detached_ext));
    Ok(detached.then(|| sibling(path, data_ext)))
}

/// The path of a data file beside `path`: its file name without the last
/// extension, plus `ext` (`"raw"`, `"raw.gz"`, `"zraw"`).
pub(crate) fn sibling(path: &Path, ext: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{stem}.{ext}"))
}

/// A float written so that it reads back exactly (shortest round-trip form,
/// exponent notation for very large or small magnitudes).
pub(crate) fn num(x: f64) -> String {
    let s = format!("{x}");
    if s.len() > 24 {
        format!("{x:e}")
    } else {
        s
    }
}

/// Numbers joined by `sep`.
pub(crate) fn nums(xs: impl IntoIterator<Item = f64>, sep: &str) -> String {
    xs.into_iter().map(num).collect::<Vec<_>>().join(sep)
}

/// Writes a header and its voxel bytes, atomically: into one file, or — when
/// `data_file` is given — the data file first, then the header.
pub(crate) fn write_files(
    path: &Path,
    data_file: Option<&Path>,
    header: &str,
    data: &[&[u8]],
) -> Result<()> {
    let write_data = |w: &mut dyn std::io::Write, at: &Path| -> Result<()> {
        for d in data {
            w.write_all(d).at(at)?;
        }
        Ok(())
    };
    match data_file {
        Some(df) => {
            write_atomic(df, |w| write_data(w, df))?;
            write_bytes_atomic(path, header.as_bytes())
        }
        None => write_atomic(path, |w| {
            w.write_all(header.as_bytes()).at(path)?;
            write_data(w, path)
        }),
    }
}

/// The voxels of a series of volumes (a 4D image) as little-endian byte slices,
/// volume after volume, or one compressed buffer when `compress` is given;
/// an error unless every volume has the first one's size, pixel type and geometry.
pub(crate) fn series_bytes<'a>(
    path: &Path,
    format: &'static str,
    volumes: &'a [AnyVolume],
    compress: Option<impl FnOnce(&[&[u8]]) -> Vec<u8>>,
) -> Result<Vec<Cow<'a, [u8]>>> {
    let first = volumes
        .first()
        .ok_or_else(|| unsupported(path, format, "no volume to write"))?;
    if let Some(v) = volumes.iter().find(|v| {
        v.size() != first.size()
            || v.pixel_type() != first.pixel_type()
            || v.geometry() != first.geometry()
    }) {
        return Err(unsupported(
            path,
            format,
            format!(
                "volumes of a series must share size, pixel type and geometry ({:?} {} vs {:?} {})",
                first.size(),
                first.pixel_type(),
                v.size(),
                v.pixel_type()
            ),
        ));
    }
    let raw: Vec<Cow<'a, [u8]>> = volumes.iter().map(le_bytes).collect();
    Ok(match compress {
        Some(c) => {
            let parts: Vec<&[u8]> = raw.iter().map(|b| b.as_ref()).collect();
            vec![Cow::Owned(c(&parts))]
        }
        None => raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printf_patterns() {
        assert_eq!(printf_int("quarter.%d", 7).unwrap(), "quarter.7");
        assert_eq!(printf_int("s%03d.raw", 7).unwrap(), "s007.raw");
        assert_eq!(printf_int("s%3i.raw", 7).unwrap(), "s  7.raw");
        assert!(printf_int("s%s.raw", 7).is_err());
        assert!(printf_int("s%d%d.raw", 7).is_err());
        assert!(printf_int("x.%65536d", 1)
            .unwrap_err()
            .contains("too large"));
        assert!(printf_int("x.%99999999999999999999999d", 1).is_err());
        assert_eq!(printf_int("x%0255d", 1).unwrap().len(), 256);
    }

    #[test]
    fn vectors() {
        let p = Path::new("x");
        let v = parse_vectors(p, "nrrd", "k", "(1,0, 0) none ( -2.5,1e3,0)").unwrap();
        assert_eq!(
            v,
            vec![
                Some(vec![1.0, 0.0, 0.0]),
                None,
                Some(vec![-2.5, 1000.0, 0.0])
            ]
        );
        assert!(parse_vectors(p, "nrrd", "k", "(1,0").is_err());
        assert!(parse_vectors(p, "nrrd", "k", "1,0,0").is_err());
    }

    #[test]
    fn numbers_round_trip() {
        for x in [0.1, -1.0 / 3.0, 1e300, 1e-300, 0.0, 123456.789] {
            assert_eq!(num(x).parse::<f64>().unwrap(), x);
        }
    }

    #[test]
    fn geometry_completion() {
        let p = Path::new("x");
        let g = itk_geometry(
            p,
            "t",
            &[2.0, -3.0],
            &[vec![0.0, 1.0], vec![1.0, 0.0]],
            &[5.0, 6.0],
        )
        .unwrap();
        assert_eq!(g.spacing, [2.0, 3.0, 1.0]);
        assert_eq!(g.origin, [5.0, 6.0, 0.0]);
        assert_eq!(
            g.direction,
            [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
        );
        let g = itk_geometry(
            p,
            "t",
            &[1.0, 1.0],
            &[vec![0.0, 1.0, 0.0], vec![0.0, 0.0, 1.0]],
            &[1.0, 2.0, 3.0],
        )
        .unwrap();
        assert_eq!(
            g.direction,
            [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
        );
        assert!(itk_geometry(p, "t", &[f64::NAN], &[vec![1.0]], &[]).is_err());
    }
}
