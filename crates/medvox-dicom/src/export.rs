//! Writing a volume as a DICOM series: one file per slice, explicit VR little
//! endian, uncompressed, built with dicom-object's in-memory object and file meta
//! table builder.
//!
//! - **UIDs**: new Study, Series, FrameOfReference and SOP Instance UIDs of the
//!   `2.25` form ([`crate::uid::fresh`]).
//! - **SOP class**: CT Image Storage (modality CT), MR Image Storage (MR) or
//!   Secondary Capture Image Storage (OT). Without a modality, CT is chosen for
//!   CT-like data (integer-valued, minimum between −3100 and −500 HU: air) and
//!   OT otherwise.
//! - **Geometry** (LPS, as read back by [`crate::read`] and ITK):
//!   ImageOrientationPatient = the first two direction columns,
//!   ImagePositionPatient = the centre of voxel (0, 0, k) for slice k,
//!   PixelSpacing = spacing y \ spacing x, SliceThickness = SpacingBetweenSlices
//!   = spacing z (Secondary Capture also gets NominalScannedPixelSpacing, which
//!   GDCM reads for that class). The direction must be orthonormal; a left-handed
//!   one (third column = −row × column) is written as it is, and readers, which
//!   stack slices along row × column, return the same physical image with the
//!   slice axis reversed.
//! - **Pixels** (16 bits stored, [`Encoding`]): integer values that fit u16 or i16
//!   are stored as they are (slope 1, intercept 0); other integer values spanning
//!   at most 65535 are stored losslessly as u16 with intercept = minimum; wider
//!   integer ranges use the integer slope ⌈span / 65535⌉ (error ≤ slope / 2);
//!   non-integer values are quantised to u16 with slope = span / 65535 (error ≤
//!   slope / 2, plus float rounding), and the measured maximum error is reported.
//!   NaN or infinite values are refused.
//! - **Atomic**: files are written into a temporary folder beside `out_dir`,
//!   renamed into place when all are written; on error nothing is left. An
//!   existing non-empty `out_dir` is refused unless `force` (then replaced).

use std::path::{Path, PathBuf};

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use medvox_core::{AnyVolume, Geometry, Pixel, Volume};
use rayon::prelude::*;

use crate::error::{DicomError, Result};

/// The modality (and SOP class) of an exported series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Modality {
    /// CT Image Storage.
    Ct,
    /// MR Image Storage.
    Mr,
    /// Secondary Capture Image Storage (modality OT).
    Ot,
}

impl Modality {
    /// The DICOM Modality code.
    pub fn code(self) -> &'static str {
        match self {
            Modality::Ct => "CT",
            Modality::Mr => "MR",
            Modality::Ot => "OT",
        }
    }

    /// The SOP class UID.
    pub fn sop_class(self) -> &'static str {
        match self {
            Modality::Ct => uids::CT_IMAGE_STORAGE,
            Modality::Mr => uids::MR_IMAGE_STORAGE,
            Modality::Ot => uids::SECONDARY_CAPTURE_IMAGE_STORAGE,
        }
    }
}

impl std::str::FromStr for Modality {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_uppercase().as_str() {
            "CT" => Ok(Modality::Ct),
            "MR" => Ok(Modality::Mr),
            "OT" | "SC" => Ok(Modality::Ot),
            _ => Err(format!("unknown modality `{s}` (CT, MR or OT)")),
        }
    }
}

/// Options of [`export`].
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Modality; `None` picks CT for CT-like data, else OT (see the module doc).
    pub modality: Option<Modality>,
    /// PatientName (PN, at most 64 characters).
    pub patient_name: String,
    /// SeriesDescription.
    pub series_description: String,
    /// Replace an existing non-empty `out_dir`.
    pub force: bool,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            modality: None,
            patient_name: "medvox^export".into(),
            series_description: "medvox export".into(),
            force: false,
        }
    }
}

/// How voxel values are stored: `value ≈ stored × slope + intercept`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Encoding {
    /// Stored as i16 (PixelRepresentation 1) rather than u16.
    pub signed: bool,
    /// RescaleSlope as written (a DS string) and its value.
    pub slope_ds: String,
    /// RescaleIntercept as written.
    pub intercept_ds: String,
    /// The slope's value.
    pub slope: f64,
    /// The intercept's value.
    pub intercept: f64,
    /// True when every value is reproduced exactly.
    pub lossless: bool,
}

impl Encoding {
    /// The encoding for values in `[min, max]`, all integers when `integral`.
    pub fn choose(min: f64, max: f64, integral: bool) -> Encoding {
        let exact = |signed, intercept: f64| Encoding {
            signed,
            slope_ds: "1".into(),
            intercept_ds: ds(intercept),
            slope: 1.0,
            intercept,
            lossless: true,
        };
        if integral && min >= 0.0 && max <= 65535.0 {
            return exact(false, 0.0);
        }
        if integral && min >= -32768.0 && max <= 32767.0 {
            return exact(true, 0.0);
        }
        if integral && max - min <= 65535.0 {
            return exact(false, min);
        }
        if integral {
            let k = ((max - min) / 65535.0).ceil();
            return Encoding {
                signed: false,
                slope_ds: ds(k),
                intercept_ds: ds(min),
                slope: k,
                intercept: min,
                lossless: false,
            };
        }
        let intercept_ds = ds(min);
        let intercept: f64 = intercept_ds.parse().unwrap_or(min);
        let span = max - intercept;
        if span <= 0.0 {
            // One value: the intercept holds it (to DS precision).
            let mut e = exact(false, intercept);
            e.lossless = intercept == min;
            return e;
        }
        // A slope slightly above span / 65535, so the maximum stays within 65535
        // after the DS rounding.
        let slope_ds = ds(span / 65535.0 * (1.0 + 1e-6));
        let slope = slope_ds.parse().unwrap_or(span / 65535.0);
        Encoding {
            signed: false,
            slope_ds,
            intercept_ds,
            slope,
            intercept,
            lossless: false,
        }
    }

    /// The stored sample (as its 16 bits) of a value.
    #[inline]
    pub fn store(&self, v: f64) -> u16 {
        let q = ((v - self.intercept) / self.slope).round();
        if self.signed {
            q.clamp(-32768.0, 32767.0) as i16 as u16
        } else {
            q.clamp(0.0, 65535.0) as u16
        }
    }

    /// The value a reader reconstructs from a stored sample.
    #[inline]
    pub fn value(&self, s: u16) -> f64 {
        let s = if self.signed {
            s as i16 as f64
        } else {
            s as f64
        };
        s * self.slope + self.intercept
    }
}

/// What [`export`] wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportSummary {
    /// The series folder.
    pub dir: PathBuf,
    /// Files written (one per slice).
    pub files: usize,
    /// Modality code (CT, MR, OT).
    pub modality: &'static str,
    /// SOP class UID.
    pub sop_class: &'static str,
    /// StudyInstanceUID.
    pub study_uid: String,
    /// SeriesInstanceUID.
    pub series_uid: String,
    /// How values are stored.
    pub encoding: Encoding,
    /// Largest |read-back value − input value| (0 when lossless; read back as
    /// medvox does: f32 output for a non-integer slope or intercept).
    pub max_error: f64,
    /// Notes (left-handed direction, replaced folder…).
    pub notes: Vec<String>,
}

/// DS value (decimal string, at most 16 characters), as close to `v` as fits.
pub fn ds(v: f64) -> String {
    let plain = format!("{v}");
    if plain.len() <= 16 {
        return plain;
    }
    (1..=15)
        .rev()
        .map(|p| format!("{v:.p$e}"))
        .find(|s| s.len() <= 16)
        .unwrap_or_else(|| "0".into())
}

fn ds_multi(v: &[f64]) -> String {
    v.iter().map(|x| ds(*x)).collect::<Vec<_>>().join("\\")
}

/// Writes `vol` as a DICOM series into the folder `out_dir` (see the module doc).
pub fn export(vol: &AnyVolume, out_dir: &Path, opts: &ExportOptions) -> Result<ExportSummary> {
    medvox_core::with_volume!(vol, v => export_typed(v, out_dir, opts))
}

fn werr(path: &Path, reason: impl Into<String>) -> DicomError {
    DicomError::Write {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DicomError + '_ {
    move |source| DicomError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Row, column and slice directions and whether slice = −row × column.
type Axes = ([f64; 3], [f64; 3], [f64; 3], bool);

/// The orthonormal axes of `g` (an error when not orthonormal).
fn axes(g: &Geometry, path: &Path) -> Result<Axes> {
    let col = |c: usize| [g.direction[0][c], g.direction[1][c], g.direction[2][c]];
    let (r, c, k) = (col(0), col(1), col(2));
    let dot = |a: [f64; 3], b: [f64; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    let n = crate::file::cross(r, c);
    let tol = 1e-4;
    let unit = |a| (dot(a, a) - 1.0).abs() < tol;
    let ortho = unit(r) && unit(c) && unit(k) && dot(r, c).abs() < tol;
    let d = dot(n, k);
    if !ortho || (d.abs() - 1.0).abs() > tol {
        return Err(werr(
            path,
            format!(
                "the direction {:?} is not orthonormal; DICOM needs perpendicular row, column and \
                 slice axes (resample the volume first)",
                g.direction_row_major()
            ),
        ));
    }
    Ok((r, c, k, d < 0.0))
}

/// Range and integrality of the values (NaN/infinite refused).
fn value_range<T: Pixel>(data: &[T], path: &Path) -> Result<(f64, f64, bool)> {
    let (lo, hi, integral, finite) = data
        .par_chunks(1 << 16)
        .map(|c| {
            c.iter().fold(
                (f64::INFINITY, f64::NEG_INFINITY, true, true),
                |(lo, hi, int, fin), &x| {
                    let v = x.to_f64();
                    (
                        lo.min(v),
                        hi.max(v),
                        int && v.fract() == 0.0,
                        fin && v.is_finite(),
                    )
                },
            )
        })
        .reduce(
            || (f64::INFINITY, f64::NEG_INFINITY, true, true),
            |a, b| (a.0.min(b.0), a.1.max(b.1), a.2 && b.2, a.3 && b.3),
        );
    if !finite {
        return Err(werr(path, "the volume holds NaN or infinite values"));
    }
    Ok((lo, hi, integral))
}

/// Largest |reconstructed − value|, reconstructed as medvox's reader does.
fn max_error<T: Pixel>(data: &[T], enc: &Encoding, float_out: bool) -> f64 {
    if enc.lossless {
        return 0.0;
    }
    data.par_chunks(1 << 16)
        .map(|c| {
            c.iter().fold(0.0f64, |m, &x| {
                let v = x.to_f64();
                let r = enc.value(enc.store(v));
                let r = if float_out { r as f32 as f64 } else { r };
                m.max((r - v).abs())
            })
        })
        .reduce(|| 0.0, f64::max)
}

/// A folder beside `out_dir` that is removed on drop unless kept.
struct TempDir(Option<PathBuf>);

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

fn temp_dir(out_dir: &Path, tag: &str) -> Result<TempDir> {
    let parent = match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = out_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dicom".into());
    for i in 0..1000u32 {
        let p = parent.join(format!(".{name}.{tag}-{}-{i}", std::process::id()));
        match std::fs::create_dir(&p) {
            Ok(()) => return Ok(TempDir(Some(p))),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_err(parent)(e)),
        }
    }
    Err(werr(out_dir, "cannot create a temporary folder beside it"))
}

/// The attributes every slice shares.
struct Common {
    modality: Modality,
    study: String,
    series: String,
    frame_of_ref: String,
    enc: Encoding,
    window: (f64, f64),
}

fn export_typed<T: Pixel>(
    v: &Volume<T>,
    out_dir: &Path,
    opts: &ExportOptions,
) -> Result<ExportSummary> {
    let [nx, ny, nz] = v.size();
    if nx > 65535 || ny > 65535 || nx == 0 || ny == 0 || nz == 0 {
        return Err(werr(
            out_dir,
            format!("a {nx}x{ny}x{nz} volume cannot be written as DICOM slices (1 to 65535 rows and columns)"),
        ));
    }
    if opts.patient_name.chars().count() > 64 || opts.patient_name.contains('\\') {
        return Err(werr(
            out_dir,
            "the patient name must be at most 64 characters without a backslash",
        ));
    }
    let g = *v.geometry();
    let (r, c, k, left) = axes(&g, out_dir)?;
    let mut notes = Vec::new();
    if left {
        notes.push(
            "left-handed direction: readers stack slices along row x column and return the \
             same physical image with the slice axis reversed"
                .to_string(),
        );
    }
    // Refuse a non-empty output before any work.
    let existing = match std::fs::symlink_metadata(out_dir) {
        Ok(m) if m.is_dir() => {
            let empty = std::fs::read_dir(out_dir)
                .map_err(io_err(out_dir))?
                .next()
                .is_none();
            if !empty && !opts.force {
                return Err(werr(
                    out_dir,
                    "the folder exists and is not empty (use --force to replace it)",
                ));
            }
            true
        }
        Ok(_) => {
            return Err(werr(
                out_dir,
                "exists and is not a folder (a DICOM series is written as a folder)",
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(io_err(out_dir)(e)),
    };
    let data = v.as_slice();
    let (lo, hi, integral) = value_range(data, out_dir)?;
    let enc = Encoding::choose(lo, hi, integral);
    let modality = opts
        .modality
        .unwrap_or(if integral && (-3100.0..=-500.0).contains(&lo) {
            Modality::Ct
        } else {
            Modality::Ot
        });
    // medvox's reader gives f32 for a non-integer slope or intercept.
    let float_out = enc.slope.fract() != 0.0 || enc.intercept.fract() != 0.0;
    let common = Common {
        modality,
        study: crate::uid::fresh("study"),
        series: crate::uid::fresh("series"),
        frame_of_ref: crate::uid::fresh("frame-of-reference"),
        enc,
        window: ((lo + hi) / 2.0, (hi - lo).max(1.0)),
    };
    let mut tmp = temp_dir(out_dir, "medvox-tmp")?;
    let tmp_path = tmp.0.clone().expect("set");
    let width = nz.to_string().len().max(4);
    let slice = nx * ny;
    data.par_chunks(slice)
        .enumerate()
        .try_for_each(|(z, px)| -> Result<()> {
            let p = tmp_path.join(format!("IM{:0width$}.dcm", z + 1));
            let pos: [f64; 3] =
                std::array::from_fn(|i| g.origin[i] + k[i] * g.spacing[2] * z as f64);
            let obj = slice_object(&common, opts, &g, [r, c], pos, [nx, ny], z, px);
            let file = obj
                .with_meta(
                    FileMetaTableBuilder::new()
                        .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
                        .implementation_version_name("MEDVOX"),
                )
                .map_err(|e| werr(&p, crate::file::error_chain(&e)))?;
            let mut buf = Vec::with_capacity(slice * 2 + 4096);
            file.write_all(&mut buf)
                .map_err(|e| werr(&p, crate::file::error_chain(&e)))?;
            std::fs::write(&p, &buf).map_err(io_err(&p))
        })?;
    let max_error = max_error(data, &common.enc, float_out);
    // Move into place: an existing (empty or forced) folder is set aside first.
    if existing {
        let old = temp_dir(out_dir, "medvox-old")?;
        let old_path = old.0.clone().expect("set");
        std::fs::remove_dir(&old_path).map_err(io_err(&old_path))?;
        std::fs::rename(out_dir, &old_path).map_err(io_err(out_dir))?;
        if let Err(e) = std::fs::rename(&tmp_path, out_dir) {
            // Put the old folder back.
            let _ = std::fs::rename(&old_path, out_dir);
            return Err(io_err(out_dir)(e));
        }
        notes.push(format!(
            "replaced the existing folder {}",
            out_dir.display()
        ));
        drop(old);
    } else {
        std::fs::rename(&tmp_path, out_dir).map_err(io_err(out_dir))?;
    }
    tmp.0 = None; // moved into place: nothing to remove
    Ok(ExportSummary {
        dir: out_dir.to_path_buf(),
        files: nz,
        modality: modality.code(),
        sop_class: modality.sop_class(),
        study_uid: common.study,
        series_uid: common.series,
        encoding: common.enc,
        max_error,
        notes,
    })
}

#[allow(clippy::too_many_arguments)]
fn slice_object<T: Pixel>(
    cm: &Common,
    opts: &ExportOptions,
    g: &Geometry,
    rc: [[f64; 3]; 2],
    pos: [f64; 3],
    [nx, ny]: [usize; 2],
    z: usize,
    px: &[T],
) -> InMemDicomObject {
    let mut o = InMemDicomObject::new_empty();
    let mut put = |tag: Tag, vr: VR, v: PrimitiveValue| {
        o.put(DataElement::new(tag, vr, v));
    };
    let s = |x: &str| PrimitiveValue::from(x.to_string());
    let empty = PrimitiveValue::Empty;
    let m = cm.modality;
    if !opts.patient_name.is_ascii() {
        put(tags::SPECIFIC_CHARACTER_SET, VR::CS, s("ISO_IR 192"));
    }
    let image_type = match m {
        Modality::Ct => "DERIVED\\SECONDARY\\AXIAL",
        Modality::Mr => "DERIVED\\SECONDARY\\OTHER",
        Modality::Ot => "DERIVED\\SECONDARY",
    };
    put(tags::IMAGE_TYPE, VR::CS, s(image_type));
    put(tags::SOP_CLASS_UID, VR::UI, s(m.sop_class()));
    put(
        tags::SOP_INSTANCE_UID,
        VR::UI,
        s(&crate::uid::fresh(&format!("sop{z}"))),
    );
    put(tags::STUDY_DATE, VR::DA, empty.clone());
    put(tags::STUDY_TIME, VR::TM, empty.clone());
    put(tags::ACCESSION_NUMBER, VR::SH, empty.clone());
    put(tags::MODALITY, VR::CS, s(m.code()));
    if m == Modality::Ot {
        put(tags::CONVERSION_TYPE, VR::CS, s("WSD"));
    }
    put(tags::MANUFACTURER, VR::LO, s("medvox"));
    put(tags::REFERRING_PHYSICIAN_NAME, VR::PN, empty.clone());
    put(
        tags::SERIES_DESCRIPTION,
        VR::LO,
        s(&opts.series_description),
    );
    put(tags::PATIENT_NAME, VR::PN, s(&opts.patient_name));
    put(tags::PATIENT_ID, VR::LO, s("medvox"));
    put(tags::PATIENT_BIRTH_DATE, VR::DA, empty.clone());
    put(tags::PATIENT_SEX, VR::CS, empty.clone());
    match m {
        Modality::Ct => {
            put(tags::KVP, VR::DS, empty.clone());
        }
        Modality::Mr => {
            put(tags::SCANNING_SEQUENCE, VR::CS, s("RM"));
            put(tags::SEQUENCE_VARIANT, VR::CS, s("NONE"));
            put(tags::SCAN_OPTIONS, VR::CS, empty.clone());
            put(tags::MR_ACQUISITION_TYPE, VR::CS, empty.clone());
            put(tags::REPETITION_TIME, VR::DS, empty.clone());
            put(tags::ECHO_TIME, VR::DS, empty.clone());
            put(tags::ECHO_TRAIN_LENGTH, VR::IS, empty.clone());
        }
        Modality::Ot => {}
    }
    put(tags::SLICE_THICKNESS, VR::DS, s(&ds(g.spacing[2])));
    put(tags::SPACING_BETWEEN_SLICES, VR::DS, s(&ds(g.spacing[2])));
    put(tags::STUDY_INSTANCE_UID, VR::UI, s(&cm.study));
    put(tags::SERIES_INSTANCE_UID, VR::UI, s(&cm.series));
    put(tags::STUDY_ID, VR::SH, empty.clone());
    put(tags::SERIES_NUMBER, VR::IS, s("1"));
    put(tags::ACQUISITION_NUMBER, VR::IS, empty.clone());
    put(tags::INSTANCE_NUMBER, VR::IS, s(&(z + 1).to_string()));
    put(tags::IMAGE_POSITION_PATIENT, VR::DS, s(&ds_multi(&pos)));
    let [r, c] = rc;
    put(
        tags::IMAGE_ORIENTATION_PATIENT,
        VR::DS,
        s(&ds_multi(&[r[0], r[1], r[2], c[0], c[1], c[2]])),
    );
    put(tags::FRAME_OF_REFERENCE_UID, VR::UI, s(&cm.frame_of_ref));
    put(tags::POSITION_REFERENCE_INDICATOR, VR::LO, empty.clone());
    let n = crate::file::cross(r, c);
    let loc = pos[0] * n[0] + pos[1] * n[1] + pos[2] * n[2];
    put(tags::SLICE_LOCATION, VR::DS, s(&ds(loc)));
    put(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(1u16));
    put(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, s("MONOCHROME2"));
    put(tags::ROWS, VR::US, PrimitiveValue::from(ny as u16));
    put(tags::COLUMNS, VR::US, PrimitiveValue::from(nx as u16));
    let spacing = ds_multi(&[g.spacing[1], g.spacing[0]]);
    put(tags::PIXEL_SPACING, VR::DS, s(&spacing));
    if m == Modality::Ot {
        put(tags::NOMINAL_SCANNED_PIXEL_SPACING, VR::DS, s(&spacing));
    }
    put(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(16u16));
    put(tags::BITS_STORED, VR::US, PrimitiveValue::from(16u16));
    put(tags::HIGH_BIT, VR::US, PrimitiveValue::from(15u16));
    put(
        tags::PIXEL_REPRESENTATION,
        VR::US,
        PrimitiveValue::from(u16::from(cm.enc.signed)),
    );
    put(tags::WINDOW_CENTER, VR::DS, s(&ds(cm.window.0)));
    put(tags::WINDOW_WIDTH, VR::DS, s(&ds(cm.window.1)));
    put(tags::RESCALE_INTERCEPT, VR::DS, s(&cm.enc.intercept_ds));
    put(tags::RESCALE_SLOPE, VR::DS, s(&cm.enc.slope_ds));
    put(
        tags::RESCALE_TYPE,
        VR::LO,
        s(if m == Modality::Ct { "HU" } else { "US" }),
    );
    let samples: Vec<u16> = px.iter().map(|x| cm.enc.store(x.to_f64())).collect();
    put(
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::U16(samples.into()),
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ds_fits_and_round_trips() {
        for v in [
            0.0,
            -1024.0,
            0.123_456_789_012_345_68,
            1.0e-20,
            -123456.789012345,
            1e300,
        ] {
            let s = ds(v);
            assert!(s.len() <= 16, "{s}");
            let back: f64 = s.parse().unwrap();
            assert!((back - v).abs() <= v.abs() * 1e-9, "{v} {s}");
        }
    }

    #[test]
    fn encodings() {
        let e = Encoding::choose(0.0, 65535.0, true);
        assert!(!e.signed && e.lossless && e.intercept == 0.0);
        let e = Encoding::choose(-1024.0, 3000.0, true);
        assert!(e.signed && e.lossless);
        let e = Encoding::choose(100_000.0, 150_000.0, true);
        assert!(e.lossless && e.intercept == 100_000.0);
        assert_eq!(e.value(e.store(123_456.0)), 123_456.0);
        let e = Encoding::choose(-1e6, 1e6, true);
        assert!(!e.lossless && e.slope == 31.0);
        assert!((e.value(e.store(777_777.0)) - 777_777.0).abs() <= 15.5);
        let e = Encoding::choose(-0.5, 2.25, false);
        assert!(!e.lossless);
        for v in [-0.5, 0.1, 2.25] {
            let s = e.store(v);
            assert!((e.value(s) - v).abs() <= e.slope / 2.0 + 1e-12, "{v}");
        }
        assert_eq!(e.store(2.25), 65535);
    }
}
