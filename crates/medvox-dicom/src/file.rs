//! One DICOM object → its image description and per-frame geometry.
//!
//! Classic single-frame objects give one frame whose position, orientation and
//! spacing come from ImagePositionPatient (0020,0032), ImageOrientationPatient
//! (0020,0037) and PixelSpacing (0028,0030). Enhanced multi-frame objects give one
//! frame per item of the Per-frame Functional Groups (5200,9230), each attribute
//! looked up there first and in the Shared Functional Groups (5200,9229) second
//! (PS3.3 C.7.6.16). A Siemens mosaic (ImageType contains MOSAIC, private
//! NumberOfImagesInMosaic (0019,100A)) gives one frame per tile, positioned as
//! dcm2niix and nibabel do: the mosaic position shifted to the first tile's
//! centre, slices stacked along row × column at SpacingBetweenSlices (or
//! SliceThickness).

use std::path::{Path, PathBuf};

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};

use crate::error::{DicomError, Result};

/// Siemens private NumberOfImagesInMosaic.
const MOSAIC_COUNT: Tag = Tag(0x0019, 0x100A);

/// Geometry and value transform of one 2D frame.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameInfo {
    /// Frame number inside the object (0-based; for a mosaic the tile number).
    pub index: u32,
    /// Centre of the first voxel (mm, LPS), if known.
    pub position: Option<[f64; 3]>,
    /// Row direction then column direction (six cosines), if known.
    pub orientation: Option<[f64; 6]>,
    /// Spacing between columns (x) and between rows (y), mm.
    pub spacing: Option<[f64; 2]>,
    /// Rescale slope and intercept (1, 0 when absent).
    pub rescale: (f64, f64),
    /// Ordering keys of frames sharing a position: echo, temporal position,
    /// acquisition number, instance number, frame index.
    pub order: [i64; 5],
}

/// A Siemens mosaic layout.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mosaic {
    /// Tiles per row (and per column) of the mosaic.
    pub grid: u32,
    /// Number of slices stored.
    pub count: u32,
}

/// A Modality LUT (0028,3000): output = data[clamp(stored - first)].
#[derive(Debug, Clone, PartialEq)]
pub struct ModalityLut {
    /// First stored value mapped.
    pub first: i64,
    /// Bits per entry.
    pub bits: u16,
    /// The table.
    pub data: Vec<u16>,
}

/// What one DICOM object holds (read without its pixel data).
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectInfo {
    /// The file.
    pub path: PathBuf,
    /// SeriesInstanceUID (0020,000E).
    pub series_uid: String,
    /// StudyInstanceUID.
    pub study_uid: String,
    /// SeriesNumber, if any.
    pub series_number: Option<i64>,
    /// Modality (CT, MR…).
    pub modality: String,
    /// SeriesDescription.
    pub description: String,
    /// Transfer syntax UID.
    pub transfer_syntax: String,
    /// Rows of one frame (tile rows for a mosaic).
    pub rows: u32,
    /// Columns of one frame (tile columns for a mosaic).
    pub cols: u32,
    /// SamplesPerPixel.
    pub samples: u16,
    /// BitsAllocated.
    pub bits_allocated: u16,
    /// BitsStored.
    pub bits_stored: u16,
    /// HighBit.
    pub high_bit: u16,
    /// PixelRepresentation = 1.
    pub signed: bool,
    /// Frames stored in the object (NumberOfFrames, 1 when absent).
    pub stored_frames: u32,
    /// Modality LUT, when present and no rescale is given.
    pub modality_lut: Option<ModalityLut>,
    /// Mosaic layout, when the object is a Siemens mosaic.
    pub mosaic: Option<Mosaic>,
    /// The frames (tiles for a mosaic).
    pub frames: Vec<FrameInfo>,
    /// True when the object has pixel data.
    pub has_pixels: bool,
    /// SpacingBetweenSlices, else SliceThickness (used only for a single slice).
    pub slice_gap: Option<f64>,
}

/// Opens a file; `headers_only` stops before the pixel data.
///
/// The bytes are checked and prepared by [`crate::raw::prepare`] first (element
/// lengths within the file, bounded nesting, gzip, missing meta group, UN
/// sequences), so dicom-rs never allocates more than the file holds; then UN
/// elements are decoded by their dictionary VR ([`fix_un`]).
pub fn open(path: &Path, headers_only: bool) -> Result<DefaultDicomObject> {
    use crate::raw::RawError;
    crate::pixel::quiet_codec_panics();
    let p = crate::raw::prepare(path, headers_only).map_err(|e| match e {
        RawError::Io(source) => DicomError::Io {
            path: path.to_path_buf(),
            source,
        },
        RawError::Bad(reason) | RawError::Budget(reason) => DicomError::Parse {
            path: path.to_path_buf(),
            reason,
        },
    })?;
    let parse = |bytes: &[u8]| {
        let opts = OpenFileOptions::new().read_preamble(dicom_object::file::ReadPreamble::Never);
        let opts = if headers_only {
            opts.read_until(tags::PIXEL_DATA)
        } else {
            opts
        };
        opts.from_reader(bytes)
    };
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parse(&p.bytes)))
        .map_err(|_| DicomError::Parse {
            path: path.to_path_buf(),
            reason: "the DICOM parser failed on this file".into(),
        })?;
    let mut obj = parsed.or_else(|e| {
        // dicom-rs rejects some real-world meta groups (e.g. an AE title longer than
        // 16 characters); rebuild the meta group from its essential values and retry.
        let err = DicomError::Parse {
            path: path.to_path_buf(),
            reason: error_chain(&e),
        };
        let retry = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            reheader(&p.bytes, headers_only)
        }))
        .unwrap_or(Err(None));
        match retry {
            Ok(obj) => Ok(obj),
            Err(Some(ts)) if !crate::pixel::can_decode(&ts) => {
                Err(DicomError::UnsupportedTransferSyntax {
                    path: path.to_path_buf(),
                    name: crate::pixel::transfer_syntax_name(&ts),
                    uid: ts,
                })
            }
            Err(_) => Err(err),
        }
    })?;
    if p.ts != "1.2.840.10008.1.2.2" {
        fix_un(&mut obj, 0);
    }
    Ok(obj)
}

/// Decodes elements stored with VR UN by their dictionary VR, as pydicom and
/// GDCM do (a UN value is the element's implicit-VR little-endian encoding,
/// PS3.5 6.2.2): without it an anonymiser's UN RescaleSlope "1" reads as the
/// byte 49. Also gives sequences and encapsulated pixel data whose header VR
/// is not SQ / OB (undefined-length UN, OW) the VR their value has, so that
/// the object can be written again. Private and unknown tags stay UN.
pub fn fix_un(obj: &mut InMemDicomObject, depth: usize) {
    use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
    use dicom_core::value::Value;
    use dicom_core::{DataElement, VR};
    use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
    use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
    if depth > crate::raw::MAX_DEPTH {
        return;
    }
    let todo: Vec<Tag> = obj
        .iter()
        .filter(|e| {
            e.vr() == VR::UN
                || matches!(e.value(), Value::Sequence(_))
                || matches!(e.value(), Value::PixelSequence(_)) && e.vr() != VR::OB
        })
        .map(|e| e.header().tag)
        .collect();
    for tag in todo {
        let Some(mut e) = obj.take(tag) else { continue };
        if let Value::Sequence(_) = e.value() {
            if let Some(items) = e.items_mut() {
                for it in items.iter_mut() {
                    fix_un(it, depth + 1);
                }
            }
            if e.vr() != VR::SQ {
                e = DataElement::new(tag, VR::SQ, e.into_value());
            }
        } else if let Value::PixelSequence(_) = e.value() {
            e = DataElement::new(tag, VR::OB, e.into_value());
        } else if tag.group() % 2 == 0 && tag != tags::PIXEL_DATA {
            let real = dicom_dictionary_std::StandardDataDictionary
                .by_tag(tag)
                .map(|d| d.vr().relaxed())
                .filter(|vr| *vr != VR::UN);
            let bytes = e.to_bytes().ok().map(|b| b.into_owned());
            if let (Some(_), Some(bytes)) = (real, bytes) {
                let mut buf = Vec::with_capacity(bytes.len() + 8);
                buf.extend_from_slice(&tag.0.to_le_bytes());
                buf.extend_from_slice(&tag.1.to_le_bytes());
                buf.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
                buf.extend_from_slice(&bytes);
                let decoded = TransferSyntaxRegistry
                    .get("1.2.840.10008.1.2")
                    .filter(|_| crate::raw::check_implicit(&buf).is_ok())
                    .and_then(|ts| {
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            InMemDicomObject::read_dataset_with_ts(&buf[..], ts).ok()
                        }))
                        .ok()
                        .flatten()
                    })
                    .and_then(|mut o| o.take(tag));
                if let Some(mut d) = decoded {
                    if let Some(items) = d.items_mut() {
                        for it in items.iter_mut() {
                            fix_un(it, depth + 1);
                        }
                    }
                    e = d;
                }
            }
        }
        obj.put(e);
    }
}

/// Re-reads a file whose meta group dicom-rs refuses: the meta group is parsed
/// leniently (explicit VR little endian), re-encoded with its SOP class, SOP
/// instance and transfer syntax UIDs, and the data set parsed after it.
/// On failure, returns the transfer syntax UID when the meta group had one.
fn reheader(bytes: &[u8], headers_only: bool) -> Result<DefaultDicomObject, Option<String>> {
    let mut pos = if bytes.get(128..132) == Some(b"DICM") {
        132
    } else if bytes.get(0..4) == Some(b"DICM") {
        4
    } else {
        return Err(None);
    };
    let (mut class, mut inst, mut ts) = (String::new(), String::new(), String::new());
    while bytes.len() >= pos + 8 && bytes[pos..pos + 2] == [2, 0] {
        let elem = u16::from_le_bytes([bytes[pos + 2], bytes[pos + 3]]);
        let vr = &bytes[pos + 4..pos + 6];
        let (len, head) = if [&b"OB"[..], b"OW", b"OF", b"SQ", b"UT", b"UN"].contains(&vr) {
            let b = bytes.get(pos + 8..pos + 12).ok_or(None)?;
            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 12)
        } else {
            (
                u16::from_le_bytes([bytes[pos + 6], bytes[pos + 7]]) as usize,
                8,
            )
        };
        let val = bytes.get(pos + head..pos + head + len).ok_or(None)?;
        let text = || {
            String::from_utf8_lossy(val)
                .trim_matches(|c: char| c == '\0' || c.is_whitespace())
                .to_string()
        };
        match elem {
            0x0002 => class = text(),
            0x0003 => inst = text(),
            0x0010 => ts = text(),
            _ => {}
        }
        pos += head + len;
    }
    if ts.is_empty() {
        return Err(None);
    }
    let fail = |_| Some(ts.clone());
    let meta = dicom_object::meta::FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(class)
        .media_storage_sop_instance_uid(inst)
        .transfer_syntax(ts.clone())
        .build()
        .map_err(|_| Some(ts.clone()))?;
    let mut buf = b"DICM".to_vec();
    meta.write(&mut buf).map_err(|_| Some(ts.clone()))?;
    buf.extend_from_slice(&bytes[pos..]);
    let opts = OpenFileOptions::new().read_preamble(dicom_object::file::ReadPreamble::Never);
    let opts = if headers_only {
        opts.read_until(tags::PIXEL_DATA)
    } else {
        opts
    };
    opts.from_reader(&buf[..]).map_err(fail)
}

/// The error and its sources on one line.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = c.source();
    }
    s
}

pub(crate) fn get_str(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let e = obj.get(tag)?;
    let s = e.to_str().ok()?;
    let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!s.is_empty()).then(|| s.to_string())
}

pub(crate) fn get_f64s(obj: &InMemDicomObject, tag: Tag) -> Option<Vec<f64>> {
    let v = obj.get(tag)?.to_multi_float64().ok()?;
    (!v.is_empty() && v.iter().all(|x| x.is_finite())).then_some(v)
}

pub(crate) fn get_int(obj: &InMemDicomObject, tag: Tag) -> Option<i64> {
    obj.get(tag)?.to_int::<i64>().ok()
}

/// First item of a sequence.
pub(crate) fn item(obj: &InMemDicomObject, tag: Tag) -> Option<&InMemDicomObject> {
    obj.get(tag)?.items()?.first()
}

fn arr<const N: usize>(v: Option<Vec<f64>>) -> Option<[f64; N]> {
    v.filter(|v| v.len() >= N).map(|v| {
        let mut a = [0.0; N];
        a.copy_from_slice(&v[..N]);
        a
    })
}

/// Parses the header of `obj` (read from `path`).
pub fn object_info(path: &Path, obj: &DefaultDicomObject) -> Result<ObjectInfo> {
    let o: &InMemDicomObject = obj;
    let bad = |r: &str| DicomError::invalid(path, r.to_string());
    let has_pixels = o.get(tags::PIXEL_DATA).is_some() || get_int(o, tags::ROWS).is_some();
    let rows = get_int(o, tags::ROWS).unwrap_or(0);
    let cols = get_int(o, tags::COLUMNS).unwrap_or(0);
    if has_pixels && (!(1..=65535).contains(&rows) || !(1..=65535).contains(&cols)) {
        return Err(bad("Rows/Columns missing or invalid"));
    }
    let bits_allocated = get_int(o, tags::BITS_ALLOCATED).unwrap_or(16) as u16;
    let bits_stored = get_int(o, tags::BITS_STORED).unwrap_or(bits_allocated as i64) as u16;
    let high_bit = get_int(o, tags::HIGH_BIT).unwrap_or(bits_stored as i64 - 1) as u16;
    if has_pixels
        && (![1, 8, 16, 32].contains(&bits_allocated)
            || bits_stored == 0
            || bits_stored > bits_allocated
            || high_bit >= bits_allocated
            || high_bit + 1 < bits_stored)
    {
        return Err(bad(&format!(
            "inconsistent BitsAllocated {bits_allocated} / BitsStored {bits_stored} / HighBit {high_bit}"
        )));
    }
    if o.get(tags::NUMBER_OF_FRAMES).is_some() && get_int(o, tags::NUMBER_OF_FRAMES).is_none() {
        let v = get_str(o, tags::NUMBER_OF_FRAMES).unwrap_or_default();
        let v: String = v.chars().take(40).flat_map(char::escape_debug).collect();
        return Err(bad(&format!("NumberOfFrames `{v}` is not an integer")));
    }
    let stored_frames = get_int(o, tags::NUMBER_OF_FRAMES).unwrap_or(1);
    if !(1..=1 << 20).contains(&stored_frames) {
        return Err(bad(&format!("NumberOfFrames {stored_frames} out of range")));
    }
    let stored_frames = stored_frames as u32;
    let mut info = ObjectInfo {
        path: path.to_path_buf(),
        series_uid: get_str(o, tags::SERIES_INSTANCE_UID).unwrap_or_default(),
        study_uid: get_str(o, tags::STUDY_INSTANCE_UID).unwrap_or_default(),
        series_number: get_int(o, tags::SERIES_NUMBER),
        modality: get_str(o, tags::MODALITY).unwrap_or_default(),
        description: get_str(o, tags::SERIES_DESCRIPTION).unwrap_or_default(),
        transfer_syntax: obj
            .meta()
            .transfer_syntax()
            .trim_end_matches('\0')
            .to_string(),
        rows: rows as u32,
        cols: cols as u32,
        samples: get_int(o, tags::SAMPLES_PER_PIXEL).unwrap_or(1) as u16,
        bits_allocated,
        bits_stored,
        high_bit,
        signed: get_int(o, tags::PIXEL_REPRESENTATION) == Some(1),
        stored_frames,
        modality_lut: None,
        mosaic: None,
        frames: Vec::new(),
        has_pixels,
        slice_gap: get_f64s(o, tags::SPACING_BETWEEN_SLICES)
            .or_else(|| get_f64s(o, tags::SLICE_THICKNESS))
            .map(|v| v[0])
            .filter(|v| *v > 0.0),
    };
    // Pixel data sizes checked against the budget and the file before any
    // per-frame state is built (a forged NumberOfFrames of 1e6 costs nothing).
    if has_pixels {
        crate::pixel::check_size(&info)?;
    }
    let base = classic_frame(o);
    info.modality_lut = modality_lut(o);
    let per_frame = o
        .get(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
        .and_then(|e| e.items());
    let shared = item(o, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
    if let Some(items) = per_frame.filter(|i| !i.is_empty()) {
        for k in 0..stored_frames {
            let pf = items.get(k as usize);
            info.frames
                .push(functional_frame(pf, shared, &base, k, stored_frames));
        }
    } else if let Some(m) = mosaic(o, &info) {
        info.mosaic = Some(m);
        info.rows /= m.grid;
        info.cols /= m.grid;
        let gap = get_f64s(o, tags::SPACING_BETWEEN_SLICES)
            .or_else(|| get_f64s(o, tags::SLICE_THICKNESS))
            .map_or(1.0, |v| v[0]);
        for k in 0..m.count {
            let mut f = base.clone();
            f.index = k;
            f.order[4] = k as i64;
            if let (Some(p), Some(d), Some(s)) = (base.position, base.orientation, base.spacing) {
                let (r, c) = ([d[0], d[1], d[2]], [d[3], d[4], d[5]]);
                let n = cross(r, c);
                let dc = (cols as f64 - info.cols as f64) / 2.0 * s[0];
                let dr = (rows as f64 - info.rows as f64) / 2.0 * s[1];
                let z = k as f64 * gap;
                f.position = Some(std::array::from_fn(|i| {
                    p[i] + r[i] * dc + c[i] * dr + n[i] * z
                }));
            }
            info.frames.push(f);
        }
    } else {
        for k in 0..stored_frames {
            let mut f = base.clone();
            f.index = k;
            f.order[4] = k as i64;
            info.frames.push(f);
        }
        // Classic multi-frame (e.g. RT dose): GridFrameOffsetVector gives the slice offsets.
        if stored_frames > 1 {
            if let (Some(offs), Some(p), Some(d)) = (
                get_f64s(o, tags::GRID_FRAME_OFFSET_VECTOR),
                base.position,
                base.orientation,
            ) {
                if offs.len() == stored_frames as usize {
                    let n = cross([d[0], d[1], d[2]], [d[3], d[4], d[5]]);
                    for (f, z) in info.frames.iter_mut().zip(offs) {
                        f.position = Some(std::array::from_fn(|i| p[i] + n[i] * z));
                    }
                }
            }
        }
    }
    Ok(info)
}

/// Frame attributes of a classic (single-frame) object.
fn classic_frame(o: &InMemDicomObject) -> FrameInfo {
    FrameInfo {
        index: 0,
        position: arr(get_f64s(o, tags::IMAGE_POSITION_PATIENT)),
        orientation: arr(get_f64s(o, tags::IMAGE_ORIENTATION_PATIENT)),
        spacing: arr::<2>(get_f64s(o, tags::PIXEL_SPACING))
            .or_else(|| arr::<2>(get_f64s(o, tags::IMAGER_PIXEL_SPACING)))
            .map(|s| [s[1], s[0]]),
        rescale: rescale(o).unwrap_or((1.0, 0.0)),
        order: [
            get_int(o, tags::ECHO_NUMBERS).unwrap_or(0),
            get_int(o, tags::TEMPORAL_POSITION_IDENTIFIER).unwrap_or(0),
            get_int(o, tags::ACQUISITION_NUMBER).unwrap_or(0),
            get_int(o, tags::INSTANCE_NUMBER).unwrap_or(0),
            0,
        ],
    }
}

fn rescale(o: &InMemDicomObject) -> Option<(f64, f64)> {
    let s = get_f64s(o, tags::RESCALE_SLOPE).map(|v| v[0]);
    let i = get_f64s(o, tags::RESCALE_INTERCEPT).map(|v| v[0]);
    if s.is_none() && i.is_none() {
        return None;
    }
    Some((s.filter(|s| *s != 0.0).unwrap_or(1.0), i.unwrap_or(0.0)))
}

fn modality_lut(o: &InMemDicomObject) -> Option<ModalityLut> {
    if rescale(o).is_some() {
        return None;
    }
    let it = item(o, tags::MODALITY_LUT_SEQUENCE)?;
    let desc = it.get(tags::LUT_DESCRIPTOR)?.to_multi_int::<i64>().ok()?;
    if desc.len() < 3 {
        return None;
    }
    let bits = desc[2] as u16;
    let e = it.get(tags::LUT_DATA)?;
    let data: Vec<u16> = match e.to_multi_int::<u16>() {
        Ok(v) if v.len() > 1 => v,
        _ => {
            let b = e.to_bytes().ok()?;
            if bits <= 8 && b.len() as i64 >= desc[0].max(1) && desc[0] as usize != b.len() / 2 {
                b.iter().map(|&x| x as u16).collect()
            } else {
                b.chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect()
            }
        }
    };
    if data.is_empty() {
        return None;
    }
    // First value mapped: US or SS depending on the pixel representation.
    let mut first = desc[1];
    if get_int(o, tags::PIXEL_REPRESENTATION) == Some(1) && first > 32767 {
        first -= 65536;
    }
    Some(ModalityLut { first, bits, data })
}

/// A frame of an enhanced object from its per-frame and shared functional groups.
fn functional_frame(
    pf: Option<&InMemDicomObject>,
    shared: Option<&InMemDicomObject>,
    base: &FrameInfo,
    k: u32,
    _n: u32,
) -> FrameInfo {
    let look = |seq: Tag, tag: Tag| -> Option<Vec<f64>> {
        pf.and_then(|p| item(p, seq))
            .and_then(|i| get_f64s(i, tag))
            .or_else(|| {
                shared
                    .and_then(|s| item(s, seq))
                    .and_then(|i| get_f64s(i, tag))
            })
    };
    let look_int = |seq: Tag, tag: Tag| -> Option<i64> {
        pf.and_then(|p| item(p, seq))
            .and_then(|i| get_int(i, tag))
            .or_else(|| {
                shared
                    .and_then(|s| item(s, seq))
                    .and_then(|i| get_int(i, tag))
            })
    };
    let slope = look(
        tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE,
        tags::RESCALE_SLOPE,
    );
    let icpt = look(
        tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE,
        tags::RESCALE_INTERCEPT,
    );
    let rescale = match (slope, icpt) {
        (None, None) => base.rescale,
        (s, i) => (
            s.map(|v| v[0]).filter(|v| *v != 0.0).unwrap_or(1.0),
            i.map_or(0.0, |v| v[0]),
        ),
    };
    let echo = look(tags::MR_ECHO_SEQUENCE, tags::EFFECTIVE_ECHO_TIME)
        .map(|v| (v[0] * 1000.0).round() as i64);
    FrameInfo {
        index: k,
        position: arr(look(
            tags::PLANE_POSITION_SEQUENCE,
            tags::IMAGE_POSITION_PATIENT,
        ))
        .or(base.position),
        orientation: arr(look(
            tags::PLANE_ORIENTATION_SEQUENCE,
            tags::IMAGE_ORIENTATION_PATIENT,
        ))
        .or(base.orientation),
        spacing: arr::<2>(look(tags::PIXEL_MEASURES_SEQUENCE, tags::PIXEL_SPACING))
            .map(|s| [s[1], s[0]])
            .or(base.spacing),
        rescale,
        order: [
            echo.unwrap_or(base.order[0]),
            look_int(tags::FRAME_CONTENT_SEQUENCE, tags::TEMPORAL_POSITION_INDEX)
                .unwrap_or(base.order[1]),
            look_int(tags::FRAME_CONTENT_SEQUENCE, tags::FRAME_ACQUISITION_NUMBER)
                .unwrap_or(base.order[2]),
            base.order[3],
            k as i64,
        ],
    }
}

fn mosaic(o: &InMemDicomObject, info: &ObjectInfo) -> Option<Mosaic> {
    let types = o.get(tags::IMAGE_TYPE)?.to_multi_str().ok()?;
    if !types.iter().any(|t| t.trim() == "MOSAIC") {
        return None;
    }
    let count = get_int(o, MOSAIC_COUNT)
        .or_else(|| {
            // Some files store it as raw bytes (implicit VR, unknown private tag).
            let b = o.get(MOSAIC_COUNT)?.to_bytes().ok()?;
            (b.len() >= 2).then(|| u16::from_le_bytes([b[0], b[1]]) as i64)
        })
        .filter(|c| *c >= 1)? as u32;
    let grid = (count as f64).sqrt().ceil() as u32;
    (info.rows % grid == 0 && info.cols % grid == 0 && count > 1).then_some(Mosaic { grid, count })
}

/// Cross product.
pub(crate) fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
