//! Pixel data → voxel values: decoding, stored bits, Modality LUT and rescale.
//!
//! Decoding uses dicom-pixeldata's registered codecs (native, deflate, RLE,
//! JPEG baseline/extended/lossless via jpeg-decoder, JPEG-LS via CharLS,
//! JPEG 2000 and HTJ2K via the pure-Rust OpenJPEG port). A transfer syntax
//! with no decoder is an [`DicomError::UnsupportedTransferSyntax`] naming it.
//!
//! Each stored sample is read from its BitsAllocated container, shifted down by
//! HighBit + 1 − BitsStored, masked to BitsStored bits and sign-extended when
//! PixelRepresentation is 1 (as GDCM and pydicom do). Then the Modality LUT maps
//! it, or else `value = stored × RescaleSlope + RescaleIntercept`.
//!
//! **Pixel type rule.** The output type is the smallest of u8, i8, u16, i16, u32,
//! i32 that holds the rescaled range of every possible stored value when every
//! slope and intercept is an integer (CT in HU → i16); otherwise f32. With a
//! Modality LUT it is u8 or u16 from the LUT's bits per entry.

use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
use dicom_object::DefaultDicomObject;
use dicom_pixeldata::PixelDecoder;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
use medvox_core::{Pixel, PixelType};

use crate::error::{DicomError, Result};
use crate::file::{FrameInfo, ModalityLut, ObjectInfo};

/// Name of a transfer syntax UID (the UID itself when unknown).
pub fn transfer_syntax_name(uid: &str) -> String {
    TransferSyntaxRegistry.get(uid).map_or_else(
        || format!("unknown transfer syntax {uid}"),
        |ts| ts.name().to_string(),
    )
}

/// True when pixel data in this transfer syntax can be decoded.
pub fn can_decode(uid: &str) -> bool {
    TransferSyntaxRegistry
        .get(uid)
        .is_some_and(|ts| ts.can_decode_all())
}

/// The decoded native samples of one object.
pub struct DecodedObject<'a> {
    data: Samples<'a>,
    /// Bytes of one stored frame.
    frame_bytes: usize,
}

enum Samples<'a> {
    Decoded(dicom_pixeldata::DecodedPixelData<'a>),
    Raw(&'a [u8]),
    Owned(Vec<u8>),
}

/// Native little-endian transfer syntaxes (implicit and explicit VR).
const NATIVE_LE: [&str; 2] = ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"];

/// Bytes of one stored frame (the whole mosaic for a mosaic).
fn frame_bytes(info: &ObjectInfo) -> usize {
    let bytes_per_sample = if info.bits_allocated == 1 {
        1
    } else {
        info.bits_allocated as usize / 8
    };
    let (rows, cols) = match info.mosaic {
        Some(m) => (info.rows * m.grid, info.cols * m.grid),
        None => (info.rows, info.cols),
    };
    rows as usize * cols as usize * bytes_per_sample
}

/// Fast path for uncompressed little-endian objects: when the file ends with the
/// Pixel Data element holding exactly the expected bytes (the usual layout,
/// checked on the element's tag, VR and length), its value is read straight into
/// `buf` (one open, no parsing, no intermediate copy). Returns `false` when the
/// layout differs (the caller then decodes through dicom-rs).
pub fn read_native(info: &ObjectInfo, buf: &mut Vec<u8>) -> Result<bool> {
    let Some((f, at, n)) = native_location(info)? else {
        return Ok(false);
    };
    buf.resize(n, 0);
    read_at(&f, &mut buf[..n], at).map_err(|e| io_error(info, e))?;
    Ok(true)
}

/// Like [`read_native`], straight into the output slice when the object holds one
/// frame whose stored samples are already the output values (no rescale, all bits
/// used, same type): no buffer, no copy.
pub fn read_native_into<T: Pixel>(
    info: &ObjectInfo,
    frame: &FrameInfo,
    out: &mut [T],
) -> Result<bool> {
    let m = mapper(info, frame);
    let identity = cfg!(target_endian = "little")
        && info.stored_frames == 1
        && info.mosaic.is_none()
        && m.lut.is_none()
        && m.slope == 1.0
        && m.intercept == 0.0
        && m.shift == 0
        && m.bits == info.bits_allocated
        && T::TYPE.size() * 8 == info.bits_allocated as usize
        && !T::TYPE.is_float()
        && T::TYPE.is_signed() == m.signed
        && out.len() == info.rows as usize * info.cols as usize;
    if !identity {
        return Ok(false);
    }
    let Some((f, at, n)) = native_location(info)? else {
        return Ok(false);
    };
    let bytes: &mut [u8] = bytemuck::cast_slice_mut(out);
    if bytes.len() != n {
        return Ok(false);
    }
    read_at(&f, bytes, at).map_err(|e| io_error(info, e))?;
    Ok(true)
}

fn io_error(info: &ObjectInfo, source: std::io::Error) -> DicomError {
    DicomError::Io {
        path: info.path.clone(),
        source,
    }
}

/// The open file, offset and length of the pixel bytes of an uncompressed
/// little-endian object whose file ends with its Pixel Data element.
fn native_location(info: &ObjectInfo) -> Result<Option<(std::fs::File, u64, usize)>> {
    if !NATIVE_LE.contains(&info.transfer_syntax.as_str())
        || info.samples != 1
        || ![8, 16, 32].contains(&info.bits_allocated)
        || !cfg!(unix)
    {
        return Ok(None);
    }
    let io = |e| io_error(info, e);
    let n = frame_bytes(info) * info.stored_frames as usize;
    let f = std::fs::File::open(&info.path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len() as usize;
    let explicit = info.transfer_syntax == NATIVE_LE[1];
    let head = if explicit { 12 } else { 8 };
    for value_len in [n, n + 1] {
        let Some(at) = len.checked_sub(value_len + head) else {
            continue;
        };
        let mut h = [0u8; 12];
        read_at(&f, &mut h[..head], at as u64).map_err(io)?;
        let ok = h[..4] == [0xE0, 0x7F, 0x10, 0x00]
            && if explicit {
                (h[4..8] == *b"OW\0\0" || h[4..8] == *b"OB\0\0")
                    && u32::from_le_bytes([h[8], h[9], h[10], h[11]]) as usize == value_len
            } else {
                u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize == value_len
            };
        if ok {
            return Ok(Some((f, (at + head) as u64, n)));
        }
    }
    Ok(None)
}

#[cfg(unix)]
fn read_at(f: &std::fs::File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, at)
}

#[cfg(not(unix))]
fn read_at(_: &std::fs::File, _: &mut [u8], _: u64) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

impl<'a> DecodedObject<'a> {
    /// Samples read by [`read_native`].
    pub fn from_raw(info: &ObjectInfo, bytes: &'a [u8]) -> Self {
        DecodedObject {
            data: Samples::Raw(bytes),
            frame_bytes: frame_bytes(info),
        }
    }

    fn bytes(&self) -> &[u8] {
        match &self.data {
            Samples::Decoded(d) => d.data(),
            Samples::Raw(b) => b,
            Samples::Owned(b) => b,
        }
    }
}

/// Largest ratio of decoded to compressed pixel bytes accepted before decoding
/// a JPEG / JPEG-LS / JPEG 2000 stream (a blank 512 × 512 16-bit J2K frame of
/// ~200 bytes is ~2600:1); a bigger claim is a forged header, refused before
/// anything is allocated. RLE is checked exactly by its own decoder.
pub const MAX_COMPRESSION_RATIO: u128 = 10_000;

/// Transfer syntaxes whose pixel data is stored native (not encapsulated).
const NATIVE: [&str; 4] = [
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.2",
    "1.2.840.10008.1.2.1.99",
];

/// RLE Lossless.
const RLE: &str = "1.2.840.10008.1.2.5";

/// Silences the default panic message of panics raised inside dicom-rs and the
/// codecs it calls: medvox catches them (`catch_unwind`) and reports one
/// clean error instead of three panic lines. Other panics print as before.
pub(crate) fn quiet_codec_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let inside = info.location().is_some_and(|l| {
                let f = l.file();
                [
                    "dicom-", "jpeg", "openjp", "charls", "jpeg2k", "flate", "zune",
                ]
                .iter()
                .any(|k| f.contains(k))
                    && !f.contains("medvox")
            });
            if !inside || std::env::var_os("MEDVOX_SHOW_PANICS").is_some() {
                prev(info);
            }
        }));
    });
}

/// Native pixel bytes (as stored in the file, little-endian samples out).
fn native_bytes(v: &dicom_core::PrimitiveValue, big: bool, bytes_per_sample: usize) -> Vec<u8> {
    use dicom_core::PrimitiveValue as P;
    macro_rules! file_order {
        ($vals:expr) => {
            $vals
                .iter()
                .flat_map(|x| {
                    if big {
                        x.to_be_bytes().to_vec()
                    } else {
                        x.to_le_bytes().to_vec()
                    }
                })
                .collect::<Vec<u8>>()
        };
    }
    let mut out: Vec<u8> = match v {
        P::U8(b) => b.to_vec(),
        P::U16(w) => file_order!(w),
        P::I16(w) => file_order!(w),
        P::U32(w) => file_order!(w),
        P::I32(w) => file_order!(w),
        P::F32(w) => file_order!(w),
        P::F64(w) => file_order!(w),
        P::U64(w) => file_order!(w),
        P::I64(w) => file_order!(w),
        other => other.to_bytes().into_owned(),
    };
    if big && bytes_per_sample > 1 {
        out.chunks_exact_mut(bytes_per_sample)
            .for_each(|c| c.reverse());
    }
    out
}

/// Checks the image size each JPEG / JPEG-LS (SOF) and JPEG 2000 (SIZ) header
/// in the fragments declares against Rows, Columns and SamplesPerPixel, so a
/// stream bigger than the frame is refused instead of overrunning the frame
/// buffer inside the decoder (a panic in dicom-rs).
fn check_codestreams(fragments: &[Vec<u8>], info: &ObjectInfo) -> std::result::Result<(), String> {
    let (rows, cols) = (info.rows as u64, info.cols as u64);
    let samples = info.samples as u64;
    let be16 = |b: &[u8], i: usize| u16::from_be_bytes([b[i], b[i + 1]]) as u64;
    let be32 = |b: &[u8], i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as u64;
    for f in fragments {
        let mut i = 0;
        while i + 1 < f.len() {
            if f[i] != 0xFF {
                i += 1;
                continue;
            }
            let m = f[i + 1];
            let sof = matches!(m, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF | 0xF7);
            if sof && i + 10 <= f.len() {
                let (h, w, n) = (be16(f, i + 5), be16(f, i + 7), f[i + 9] as u64);
                if w > cols || h > rows || n > samples.max(1) || w == 0 {
                    return Err(format!(
                        "the JPEG stream is {w} x {h} with {n} component(s), the header says {cols} x {rows} with {samples}"
                    ));
                }
            }
            if m == 0x4F && f.get(i + 2..i + 4) == Some(&[0xFF, 0x51]) && i + 42 <= f.len() {
                let s = i + 4;
                // SIZ after its marker: Lsiz, Rsiz, Xsiz, Ysiz, XOsiz, YOsiz, 4 tile values, Csiz.
                let (xs, ys, xo, yo) = (
                    be32(f, s + 4),
                    be32(f, s + 8),
                    be32(f, s + 12),
                    be32(f, s + 16),
                );
                let n = be16(f, s + 36);
                let (w, h) = (xs.saturating_sub(xo), ys.saturating_sub(yo));
                if w > cols || h > rows || n > samples.max(1) || w == 0 {
                    return Err(format!(
                        "the JPEG 2000 stream is {w} x {h} with {n} component(s), the header says {cols} x {rows} with {samples}"
                    ));
                }
            }
            i += 2;
        }
    }
    Ok(())
}

/// Checks, from the header alone, that the pixel data an object declares
/// (rows × columns × frames × samples × bytes) fits the memory budget and what
/// its file can hold: at most the file's size when stored native, at most
/// [`MAX_COMPRESSION_RATIO`] times it when compressed (or gzip-wrapped).
pub fn check_size(info: &ObjectInfo) -> Result<()> {
    let need = frame_bytes(info) as u128 * info.stored_frames as u128;
    let (cols, rows) = match info.mosaic {
        Some(m) => (info.cols * m.grid, info.rows * m.grid),
        None => (info.cols, info.rows),
    };
    let what = format!(
        "pixel data ({} frame(s) of {cols}x{rows}x{} bits)",
        info.stored_frames, info.bits_allocated
    );
    crate::mem::check(need, &what).map_err(|r| DicomError::invalid(&info.path, r))?;
    let len = std::fs::metadata(&info.path).map_or(u64::MAX, |m| m.len()) as u128;
    let native = NATIVE.contains(&info.transfer_syntax.as_str())
        && info.transfer_syntax != "1.2.840.10008.1.2.1.99"
        && !crate::raw::is_gzip(&info.path);
    let packed = if info.bits_allocated == 1 {
        need / 8
    } else {
        need
    };
    if native && packed > len {
        return Err(DicomError::invalid(
            &info.path,
            format!("{what} needs {packed} bytes but the file holds {len}"),
        ));
    }
    if need > len.saturating_mul(MAX_COMPRESSION_RATIO) {
        return Err(DicomError::invalid(
            &info.path,
            format!(
                "{what} needs {need} bytes, more than {MAX_COMPRESSION_RATIO} times the file's {len}"
            ),
        ));
    }
    Ok(())
}

/// Decodes the pixel data of `obj` (all frames).
///
/// Before anything is decoded or allocated, the total (rows × columns × frames
/// × samples × bytes) is checked against the memory budget and against what
/// the file holds: the native value's length, or for encapsulated data the
/// fragment count (one per frame at least) and [`MAX_COMPRESSION_RATIO`].
/// Native and RLE data are decoded here (every BitsAllocated, both
/// endiannesses); JPEG, JPEG-LS and JPEG 2000 by dicom-pixeldata after their
/// stream headers are checked against the frame size.
pub fn decode<'a>(obj: &'a DefaultDicomObject, info: &ObjectInfo) -> Result<DecodedObject<'a>> {
    use dicom_core::value::Value;
    let ts_uid = info.transfer_syntax.as_str();
    let ts_name = transfer_syntax_name(ts_uid);
    if !can_decode(ts_uid) {
        return Err(DicomError::UnsupportedTransferSyntax {
            path: info.path.clone(),
            uid: ts_uid.to_string(),
            name: ts_name,
        });
    }
    if info.samples != 1 {
        return Err(DicomError::invalid(
            &info.path,
            format!(
                "colour images (SamplesPerPixel {}) cannot be read as scalar volumes",
                info.samples
            ),
        ));
    }
    let decode_err = |reason: String| DicomError::Decode {
        path: info.path.clone(),
        ts: ts_name.clone(),
        reason,
    };
    let (rows, cols) = match info.mosaic {
        Some(m) => (info.rows * m.grid, info.cols * m.grid),
        None => (info.rows, info.cols),
    };
    let frame_bytes = frame_bytes(info);
    let frames = info.stored_frames as usize;
    let need128 = frame_bytes as u128 * frames as u128;
    let what = || {
        format!(
            "pixel data ({frames} frame(s) of {cols}x{rows}x{} bits)",
            info.bits_allocated
        )
    };
    crate::mem::check(need128, &what()).map_err(decode_err)?;
    let need = need128 as usize;
    let short = |n: usize| {
        decode_err(format!(
            "pixel data holds {n} bytes, {need} expected for {frames} frame(s) of {cols}x{rows}x{} bits",
            info.bits_allocated
        ))
    };
    let elem = obj
        .element(dicom_dictionary_std::tags::PIXEL_DATA)
        .map_err(|_| DicomError::invalid(&info.path, "no pixel data"))?;
    let bps = (info.bits_allocated as usize / 8).max(1);
    match elem.value() {
        Value::Primitive(v) if NATIVE.contains(&ts_uid) && info.bits_allocated != 1 => {
            let big = ts_uid == "1.2.840.10008.1.2.2";
            let bytes = native_bytes(v, big, bps);
            if bytes.len() < need {
                return Err(short(bytes.len()));
            }
            return Ok(DecodedObject {
                data: Samples::Owned(bytes),
                frame_bytes,
            });
        }
        Value::Primitive(v) if NATIVE.contains(&ts_uid) => {
            // 1 bit per pixel: packed bits of all frames (dicom-pixeldata unpacks them).
            let n = v.calculate_byte_len() as u128 * 8;
            if n < (rows as u128 * cols as u128 * frames as u128) {
                return Err(short(v.calculate_byte_len()));
            }
        }
        Value::Primitive(_) => {
            return Err(decode_err(
                "the transfer syntax is compressed but the pixel data is not encapsulated".into(),
            ))
        }
        Value::PixelSequence(seq) => {
            let frags = seq.fragments();
            let total: usize = frags.iter().map(|f| f.len()).sum();
            if frames > 1 && frags.len() < frames {
                return Err(decode_err(format!(
                    "{frames} frames declared but the pixel data holds {} fragment(s)",
                    frags.len()
                )));
            }
            if ts_uid == RLE {
                let mut out = crate::mem::try_zeroed(need, &what()).map_err(decode_err)?;
                let concat;
                let parts: Vec<&[u8]> = if frags.len() == frames {
                    frags.iter().map(|f| &f[..]).collect()
                } else if frames == 1 {
                    concat = frags.concat();
                    vec![&concat[..]]
                } else {
                    return Err(decode_err(format!(
                        "{frames} RLE frames in {} fragments",
                        frags.len()
                    )));
                };
                for (k, (src, dst)) in parts
                    .iter()
                    .zip(out.chunks_exact_mut(frame_bytes))
                    .enumerate()
                {
                    crate::rle::decode_frame(src, rows as usize, cols as usize, 1, bps, dst)
                        .map_err(|e| decode_err(format!("frame {k}: {e}")))?;
                }
                return Ok(DecodedObject {
                    data: Samples::Owned(out),
                    frame_bytes,
                });
            }
            if need128 > total as u128 * MAX_COMPRESSION_RATIO {
                return Err(decode_err(format!(
                    "{need} bytes of pixels declared from {total} compressed bytes \
                     (more than {MAX_COMPRESSION_RATIO}:1)"
                )));
            }
            check_codestreams(frags, info).map_err(decode_err)?;
        }
        Value::Sequence(_) => {
            return Err(DicomError::invalid(&info.path, "pixel data is a sequence"))
        }
    }
    quiet_codec_panics();
    // Codecs may still panic on hostile streams; a panic must not escape as a crash.
    let decoded =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| obj.decode_pixel_data()))
            .map_err(|_| decode_err("the decoder failed on corrupt data".into()))?
            .map_err(|e| decode_err(crate::file::error_chain(&e)))?;
    let n = decoded.data().len();
    if n < need {
        return Err(short(n));
    }
    Ok(DecodedObject {
        data: Samples::Decoded(decoded),
        frame_bytes,
    })
}

/// Stored-value → output mapping of one frame.
struct Mapper<'a> {
    shift: u32,
    mask: u32,
    bits: u16,
    signed: bool,
    slope: f64,
    intercept: f64,
    lut: Option<&'a ModalityLut>,
}

impl Mapper<'_> {
    #[inline(always)]
    fn stored(&self, raw: u32) -> i64 {
        let v = (raw >> self.shift) & self.mask;
        if self.signed && (v >> (self.bits - 1)) & 1 == 1 {
            v as i64 - (1i64 << self.bits)
        } else {
            v as i64
        }
    }
    #[inline(always)]
    fn map<T: Pixel>(&self, raw: u32) -> T {
        let v = self.stored(raw);
        if let Some(l) = self.lut {
            let i = (v - l.first).clamp(0, l.data.len() as i64 - 1) as usize;
            T::from_f64(l.data[i] as f64)
        } else {
            T::from_f64(v as f64 * self.slope + self.intercept)
        }
    }
}

fn mapper<'a>(info: &'a ObjectInfo, frame: &FrameInfo) -> Mapper<'a> {
    let bits = if info.bits_allocated == 1 {
        1
    } else {
        info.bits_stored
    };
    Mapper {
        shift: if info.bits_allocated == 1 {
            0
        } else {
            (info.high_bit + 1 - info.bits_stored) as u32
        },
        mask: if bits >= 32 {
            u32::MAX
        } else {
            (1u32 << bits) - 1
        },
        bits,
        signed: info.signed && bits > 1,
        slope: frame.rescale.0,
        intercept: frame.rescale.1,
        lut: info.modality_lut.as_ref(),
    }
}

impl DecodedObject<'_> {
    /// Writes frame `frame` of `info` (rows × cols, row-major) into `out`.
    pub fn frame_into<T: Pixel>(&self, info: &ObjectInfo, frame: &FrameInfo, out: &mut [T]) {
        let m = mapper(info, frame);
        let (rows, cols) = (info.rows as usize, info.cols as usize);
        debug_assert_eq!(out.len(), rows * cols);
        let bps = (info.bits_allocated as usize / 8).max(1);
        // Source rows of this frame: whole frame, or one tile of a mosaic.
        let (base, stride, tile_off) = match info.mosaic {
            Some(mo) => {
                let g = mo.grid as usize;
                let (tr, tc) = (frame.index as usize / g, frame.index as usize % g);
                (0, cols * g, tr * rows * cols * g + tc * cols)
            }
            None => (frame.index as usize * self.frame_bytes, cols, 0),
        };
        let data = self.bytes();
        for (r, orow) in out.chunks_exact_mut(cols).enumerate() {
            let start = base + (tile_off + r * stride) * bps;
            map_row(&m, &data[start..start + cols * bps], bps, orow);
        }
    }
}

/// An integer output type of the fast path.
trait IntOut: Copy + bytemuck::Pod {
    const LO: i64;
    const HI: i64;
    fn from_i64(v: i64) -> Self;
}

macro_rules! int_out {
    ($($t:ty),*) => {$(
        impl IntOut for $t {
            const LO: i64 = <$t>::MIN as i64;
            const HI: i64 = <$t>::MAX as i64;
            #[inline(always)]
            fn from_i64(v: i64) -> Self {
                v.clamp(Self::LO, Self::HI) as $t
            }
        }
    )*};
}
int_out!(u8, i8, u16, i16, u32, i32);

/// Maps one row of raw samples into `out` (same value rules for every path).
fn map_row<T: Pixel>(m: &Mapper, src: &[u8], bps: usize, out: &mut [T]) {
    let integral = m.lut.is_none()
        && m.slope.fract() == 0.0
        && m.intercept.fract() == 0.0
        && m.slope.abs() < 2f64.powi(20)
        && m.intercept.abs() < 2f64.powi(40);
    use bytemuck::cast_slice_mut as cast;
    use medvox_core::PixelType as P;
    if integral {
        match T::TYPE {
            P::U8 => return int_row::<u8>(m, src, bps, cast(out)),
            P::I8 => return int_row::<i8>(m, src, bps, cast(out)),
            P::U16 => return int_row::<u16>(m, src, bps, cast(out)),
            P::I16 => return int_row::<i16>(m, src, bps, cast(out)),
            P::U32 => return int_row::<u32>(m, src, bps, cast(out)),
            P::I32 => return int_row::<i32>(m, src, bps, cast(out)),
            _ => {}
        }
    }
    // General path (Modality LUT, non-integer rescale, float output).
    macro_rules! general {
        ($n:literal, $get:expr) => {
            out.iter_mut()
                .zip(src.chunks_exact($n))
                .for_each(|(o, b)| *o = m.map($get(b)))
        };
    }
    match bps {
        1 => general!(1, |b: &[u8]| b[0] as u32),
        2 => general!(2, |b: &[u8]| u16::from_le_bytes([b[0], b[1]]) as u32),
        _ => general!(4, |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
    }
}

/// Integer rescale into an integer type: exact, clamped like [`Pixel::from_f64`].
fn int_row<O: IntOut>(m: &Mapper, src: &[u8], bps: usize, out: &mut [O]) {
    let (slope, icpt) = (m.slope as i64, m.intercept as i64);
    // Samples that are already the output values: copy the bytes.
    if cfg!(target_endian = "little")
        && slope == 1
        && icpt == 0
        && m.shift == 0
        && m.bits as usize == 8 * bps
        && std::mem::size_of::<O>() == bps
        && (O::LO < 0) == m.signed
    {
        bytemuck::cast_slice_mut::<O, u8>(out).copy_from_slice(src);
        return;
    }
    let (shift, mask) = (m.shift, m.mask);
    let up = 32 - m.bits as u32;
    macro_rules! run {
        ($n:literal, $get:expr, $signed:literal) => {
            out.iter_mut().zip(src.chunks_exact($n)).for_each(|(o, b)| {
                let v = ($get(b) >> shift) & mask;
                let s = if $signed {
                    (((v << up) as i32) >> up) as i64
                } else {
                    v as i64
                };
                *o = O::from_i64(s * slope + icpt);
            })
        };
    }
    match (bps, m.signed) {
        (1, false) => run!(1, |b: &[u8]| b[0] as u32, false),
        (1, true) => run!(1, |b: &[u8]| b[0] as u32, true),
        (2, false) => run!(2, |b: &[u8]| u16::from_le_bytes([b[0], b[1]]) as u32, false),
        (2, true) => run!(2, |b: &[u8]| u16::from_le_bytes([b[0], b[1]]) as u32, true),
        (_, false) => run!(
            4,
            |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            false
        ),
        (_, true) => run!(
            4,
            |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            true
        ),
    }
}

/// Range of the stored values an object can hold.
fn stored_range(info: &ObjectInfo) -> (f64, f64) {
    if info.bits_allocated == 1 {
        return (0.0, 1.0);
    }
    let b = info.bits_stored as i32;
    if info.signed {
        (-(2f64.powi(b - 1)), 2f64.powi(b - 1) - 1.0)
    } else {
        (0.0, 2f64.powi(b) - 1.0)
    }
}

/// The output pixel type for a set of frames (see the module doc for the rule).
pub fn output_type<'a>(
    frames: impl IntoIterator<Item = (&'a ObjectInfo, &'a FrameInfo)>,
) -> PixelType {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut integral = true;
    for (info, f) in frames {
        if let Some(l) = &info.modality_lut {
            let top = if l.bits > 8 { 65535.0 } else { 255.0 };
            lo = lo.min(0.0);
            hi = hi.max(top);
            continue;
        }
        let (s, i) = f.rescale;
        if s.fract() != 0.0 || i.fract() != 0.0 {
            integral = false;
        }
        let (a, b) = stored_range(info);
        let (a, b) = (a * s + i, b * s + i);
        lo = lo.min(a.min(b));
        hi = hi.max(a.max(b));
    }
    if !integral || !lo.is_finite() {
        return PixelType::F32;
    }
    [
        (PixelType::U8, u8::MIN as f64, u8::MAX as f64),
        (PixelType::I8, i8::MIN as f64, i8::MAX as f64),
        (PixelType::U16, u16::MIN as f64, u16::MAX as f64),
        (PixelType::I16, i16::MIN as f64, i16::MAX as f64),
        (PixelType::U32, u32::MIN as f64, u32::MAX as f64),
        (PixelType::I32, i32::MIN as f64, i32::MAX as f64),
    ]
    .into_iter()
    .find(|(_, a, b)| lo >= *a && hi <= *b)
    .map_or(PixelType::F32, |(t, _, _)| t)
}
