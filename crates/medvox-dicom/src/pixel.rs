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
        }
    }
}

/// Decodes the pixel data of `obj` (all frames).
pub fn decode<'a>(obj: &'a DefaultDicomObject, info: &ObjectInfo) -> Result<DecodedObject<'a>> {
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
    // Codecs may panic on hostile streams; a panic must not escape as a crash.
    let decoded =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| obj.decode_pixel_data()))
            .map_err(|_| decode_err("decoder panicked on corrupt data".into()))?
            .map_err(|e| decode_err(crate::file::error_chain(&e)))?;
    let (rows, cols) = match info.mosaic {
        Some(m) => (info.rows * m.grid, info.cols * m.grid),
        None => (info.rows, info.cols),
    };
    let frame_bytes = frame_bytes(info);
    let need = frame_bytes * info.stored_frames as usize;
    let n = decoded.data().len();
    if n < need {
        return Err(decode_err(format!(
            "pixel data holds {n} bytes, {need} expected for {} frame(s) of {cols}x{rows}x{} bits",
            info.stored_frames, info.bits_allocated
        )));
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
