//! De-identification following DICOM PS3.15 Annex E, Basic Application Level
//! Confidentiality Profile.
//!
//! - Attributes of the profile's table (the identifying ones listed in
//!   [`ACTIONS`]) are removed (X), emptied (Z) or given a dummy value (D); where
//!   the profile allows several actions, the one keeping the object valid is used
//!   (type 1/2 attributes emptied or replaced, others removed).
//! - Every UID that is not a DICOM-defined one (prefix `1.2.840.10008.`) is
//!   replaced by `2.25.<decimal of the first 16 bytes of SHA-256(salt + UID)>`
//!   (UTF-8 bytes of the salt then of the UID, no separator; see [`crate::uid::hashed`]):
//!   the same input UID gives the same new UID in every file of a run, so studies,
//!   series and references stay together, and with the same `salt` the mapping is
//!   stable across runs, medvox versions and platforms. Without `salt` a random salt
//!   is drawn per run.
//! - Private (odd-group) attributes are removed.
//! - Dates and times (DA, DT, TM) are emptied unless `keep_dates` (the
//!   profile's Retain Longitudinal Temporal Information with Full Dates option);
//!   PatientBirthDate is always emptied.
//! - Pixel data and geometry (positions, orientation, spacing) are kept;
//!   PatientIdentityRemoved = YES and DeidentificationMethod are added. A file
//!   with BurnedInAnnotation = YES is written but reported (its pixels may show
//!   identifying text).
//!
//! Sequences are processed recursively. Input files are never written: the
//! output must not be the input or lie inside it, and files are written
//! atomically.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

use crate::error::{DicomError, Result};

/// What the profile does with an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Remove (X).
    Remove,
    /// Replace by a zero-length value (Z).
    Empty,
    /// Replace by a dummy value of the same VR (D).
    Dummy,
}

/// The identifying attributes of PS3.15 Table E.1-1 handled here, with the action used
/// (some are retired attributes, still listed by the profile).
#[allow(deprecated)]
pub const ACTIONS: &[(Tag, Action)] = {
    use Action::*;
    &[
        (tags::ACCESSION_NUMBER, Empty),
        (tags::ACQUISITION_COMMENTS, Remove),
        (tags::ADDITIONAL_PATIENT_HISTORY, Remove),
        (tags::ADMITTING_DIAGNOSES_DESCRIPTION, Remove),
        (tags::ALLERGIES, Remove),
        (tags::BRANCH_OF_SERVICE, Remove),
        (tags::CONSULTING_PHYSICIAN_NAME, Remove),
        (tags::CONTENT_CREATOR_NAME, Empty),
        (tags::CONTENT_SEQUENCE, Remove),
        (tags::COUNTRY_OF_RESIDENCE, Remove),
        (tags::CURRENT_PATIENT_LOCATION, Remove),
        (tags::DERIVATION_DESCRIPTION, Remove),
        (tags::DEVICE_SERIAL_NUMBER, Remove),
        (tags::ETHNIC_GROUP, Remove),
        (tags::IMAGE_COMMENTS, Remove),
        (tags::INSTITUTION_ADDRESS, Remove),
        (tags::INSTITUTION_CODE_SEQUENCE, Remove),
        (tags::INSTITUTION_NAME, Remove),
        (tags::INSTITUTIONAL_DEPARTMENT_NAME, Remove),
        (tags::ISSUER_OF_PATIENT_ID, Remove),
        (tags::LAST_MENSTRUAL_DATE, Remove),
        (tags::MEDICAL_ALERTS, Remove),
        (tags::MEDICAL_RECORD_LOCATOR, Remove),
        (tags::MILITARY_RANK, Remove),
        (tags::NAME_OF_PHYSICIANS_READING_STUDY, Remove),
        (tags::OCCUPATION, Remove),
        (tags::OPERATORS_NAME, Remove),
        (tags::OTHER_PATIENT_I_DS, Remove),
        (tags::OTHER_PATIENT_I_DS_SEQUENCE, Remove),
        (tags::OTHER_PATIENT_NAMES, Remove),
        (tags::PATIENT_ADDRESS, Remove),
        (tags::PATIENT_AGE, Remove),
        (tags::PATIENT_BIRTH_DATE, Empty),
        (tags::PATIENT_BIRTH_NAME, Remove),
        (tags::PATIENT_BIRTH_TIME, Remove),
        (tags::PATIENT_COMMENTS, Remove),
        (tags::PATIENT_ID, Empty),
        (tags::PATIENT_INSTITUTION_RESIDENCE, Remove),
        (tags::PATIENT_INSURANCE_PLAN_CODE_SEQUENCE, Remove),
        (tags::PATIENT_MOTHER_BIRTH_NAME, Remove),
        (tags::PATIENT_NAME, Empty),
        (tags::PATIENT_RELIGIOUS_PREFERENCE, Remove),
        (tags::PATIENT_SEX, Empty),
        (tags::PATIENT_SIZE, Remove),
        (tags::PATIENT_STATE, Remove),
        (tags::PATIENT_TELEPHONE_NUMBERS, Remove),
        (tags::PATIENT_WEIGHT, Remove),
        (tags::PERFORMED_PROCEDURE_STEP_DESCRIPTION, Remove),
        (tags::PERFORMED_PROCEDURE_STEP_ID, Remove),
        (tags::PERFORMING_PHYSICIAN_NAME, Remove),
        (tags::PERSON_ADDRESS, Remove),
        (tags::PERSON_NAME, Dummy),
        (tags::PERSON_TELEPHONE_NUMBERS, Remove),
        (tags::PHYSICIANS_OF_RECORD, Remove),
        (tags::PREGNANCY_STATUS, Remove),
        (tags::PROTOCOL_NAME, Remove),
        (tags::REASON_FOR_THE_REQUESTED_PROCEDURE, Remove),
        (tags::REFERENCED_PATIENT_SEQUENCE, Remove),
        (tags::REFERRING_PHYSICIAN_ADDRESS, Remove),
        (tags::REFERRING_PHYSICIAN_NAME, Empty),
        (tags::REFERRING_PHYSICIAN_TELEPHONE_NUMBERS, Remove),
        (tags::REGION_OF_RESIDENCE, Remove),
        (tags::REQUEST_ATTRIBUTES_SEQUENCE, Remove),
        (tags::REQUESTED_PROCEDURE_DESCRIPTION, Remove),
        (tags::REQUESTING_PHYSICIAN, Remove),
        (tags::REQUESTING_SERVICE, Remove),
        (tags::RESPONSIBLE_ORGANIZATION, Remove),
        (tags::RESPONSIBLE_PERSON, Remove),
        (tags::SCHEDULED_PERFORMING_PHYSICIAN_NAME, Remove),
        (tags::SERIES_DESCRIPTION, Remove),
        (tags::SMOKING_STATUS, Remove),
        (tags::STATION_NAME, Remove),
        (tags::STUDY_DESCRIPTION, Remove),
        (tags::STUDY_ID, Empty),
        (tags::TEXT_VALUE, Remove),
    ]
};

/// Options of [`deidentify`].
#[derive(Debug, Clone, Default)]
pub struct DeidOptions {
    /// Keep dates and times (except the birth date).
    pub keep_dates: bool,
    /// Salt of the UID hash; `None` draws a random one (UIDs then differ between runs).
    pub salt: Option<String>,
    /// Skip files that cannot be read or written (listed in [`DeidSummary::bad`])
    /// instead of failing the run.
    pub skip_unreadable: bool,
}

/// What a run changed.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DeidSummary {
    /// Files written.
    pub files: usize,
    /// Attributes removed.
    pub removed: usize,
    /// Attributes emptied.
    pub emptied: usize,
    /// Attributes given a dummy value.
    pub dummied: usize,
    /// UID values replaced (distinct input UIDs).
    pub uids: usize,
    /// Private attributes removed.
    pub private: usize,
    /// Date/time attributes emptied.
    pub dates: usize,
    /// Files with BurnedInAnnotation = YES.
    pub burned_in: Vec<PathBuf>,
    /// Files that could not be read or written.
    pub bad: Vec<(PathBuf, String)>,
}

struct Run<'a> {
    opts: &'a DeidOptions,
    salt: String,
    uid_map: HashMap<String, String>,
    sum: DeidSummary,
}

impl Run<'_> {
    fn new_uid(&mut self, old: &str) -> String {
        if old.is_empty() || old.starts_with("1.2.840.10008.") {
            return old.to_string();
        }
        let n = self.uid_map.len();
        let salt = &self.salt;
        self.uid_map
            .entry(old.to_string())
            .or_insert_with(|| crate::uid::hashed(&[salt.as_bytes(), old.as_bytes()]));
        if self.uid_map.len() > n {
            self.sum.uids += 1;
        }
        self.uid_map[old].clone()
    }

    fn object(&mut self, obj: &mut InMemDicomObject) {
        let all: Vec<Tag> = obj.tags().collect();
        for tag in all {
            if tag.group() % 2 == 1 {
                obj.remove_element(tag);
                self.sum.private += 1;
                continue;
            }
            let Some(mut e) = obj.take(tag) else { continue };
            let vr = e.vr();
            let action = ACTIONS.iter().find(|(t, _)| *t == tag).map(|(_, a)| *a);
            let put = match action {
                Some(Action::Remove) => {
                    self.sum.removed += 1;
                    None
                }
                Some(Action::Empty) => {
                    self.sum.emptied += 1;
                    Some(DataElement::new(tag, vr, PrimitiveValue::Empty))
                }
                Some(Action::Dummy) => {
                    self.sum.dummied += 1;
                    Some(DataElement::new(tag, vr, dummy(vr)))
                }
                None if vr == VR::UI => {
                    let vals: Vec<String> = e
                        .to_multi_str()
                        .map(|v| v.to_vec())
                        .unwrap_or_default()
                        .iter()
                        .map(|u| self.new_uid(u.trim_end_matches('\0').trim()))
                        .collect();
                    Some(DataElement::new(
                        tag,
                        vr,
                        PrimitiveValue::Strs(vals.into_iter().collect()),
                    ))
                }
                None if matches!(vr, VR::DA | VR::DT | VR::TM) && !self.opts.keep_dates => {
                    self.sum.dates += 1;
                    Some(DataElement::new(tag, vr, PrimitiveValue::Empty))
                }
                None => {
                    if let Some(items) = e.items_mut() {
                        for it in items.iter_mut() {
                            self.object(it);
                        }
                    }
                    Some(e)
                }
            };
            if let Some(p) = put {
                obj.put(p);
            }
        }
    }
}

fn dummy(vr: VR) -> PrimitiveValue {
    match vr {
        VR::PN => "ANONYMOUS".into(),
        VR::DA => "19000101".into(),
        VR::TM => "000000".into(),
        VR::DT => "19000101000000".into(),
        VR::SQ => PrimitiveValue::Empty,
        _ => "ANONYMIZED".into(),
    }
}

fn random_salt() -> String {
    use std::hash::BuildHasher;
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let s = std::collections::hash_map::RandomState::new().hash_one((t, std::process::id()));
    format!("{s:016x}{t:x}")
}

/// `p` with its longest existing ancestor canonicalised (symbolic links and `..`
/// resolved), so an output that does not exist yet still compares with the input.
fn canon(p: &Path) -> PathBuf {
    let mut tail = Vec::new();
    let mut cur = p;
    loop {
        let here = if cur.as_os_str().is_empty() {
            Path::new(".")
        } else {
            cur
        };
        if let Ok(mut c) = std::fs::canonicalize(here) {
            c.extend(tail.iter().rev());
            return c;
        }
        match (cur.parent(), cur.file_name()) {
            (Some(parent), Some(name)) => {
                tail.push(name.to_os_string());
                cur = parent;
            }
            _ => return p.to_path_buf(),
        }
    }
}

/// De-identifies a file or every DICOM file under a folder into `output`
/// (a file for a file input, else a folder mirroring the input's layout).
pub fn deidentify(input: &Path, output: &Path, opts: &DeidOptions) -> Result<DeidSummary> {
    let (cin, cout) = (canon(input), canon(output));
    if cout == cin || cout.starts_with(&cin) && input.is_dir() {
        return Err(DicomError::Write {
            path: output.to_path_buf(),
            reason: format!(
                "output must not be the input or inside it ({})",
                input.display()
            ),
        });
    }
    let jobs: Vec<(PathBuf, PathBuf)> = if input.is_dir() {
        let mut files = Vec::new();
        crate::scan::walk(input, &mut files)?;
        files.sort();
        files
            .into_iter()
            .filter(|p| crate::scan::looks_like_dicom(p))
            .map(|p| {
                let rel = p.strip_prefix(input).unwrap_or(&p).to_path_buf();
                (p, output.join(rel))
            })
            .collect()
    } else if output.is_dir() {
        let name = input.file_name().unwrap_or_default();
        vec![(input.to_path_buf(), output.join(name))]
    } else {
        vec![(input.to_path_buf(), output.to_path_buf())]
    };
    let mut run = Run {
        opts,
        salt: opts.salt.clone().unwrap_or_else(random_salt),
        uid_map: HashMap::new(),
        sum: DeidSummary::default(),
    };
    crate::pixel::quiet_codec_panics();
    let mut written = Vec::new();
    for (src, dst) in jobs {
        // dicom-rs may panic on odd objects: report the file (its panic message is silenced).
        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            one_file(&mut run, &src, &dst)
        }));
        let reason = match done {
            Ok(Ok(())) => {
                written.push(dst);
                continue;
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => "the DICOM library failed on this object".into(),
        };
        if !opts.skip_unreadable {
            // No partial result: remove what this run wrote.
            for w in &written {
                let _ = std::fs::remove_file(w);
            }
            return Err(DicomError::Invalid {
                path: src,
                reason: format!(
                    "cannot de-identify ({reason}); nothing written (use --skip-unreadable to skip such files)"
                ),
            });
        }
        run.sum.bad.push((src, reason));
    }
    if run.sum.files == 0 {
        if let Some((p, e)) = run.sum.bad.first() {
            return Err(DicomError::invalid(p, e.clone()));
        }
        return Err(DicomError::NoImages(input.to_path_buf()));
    }
    Ok(run.sum)
}

fn one_file(run: &mut Run, src: &Path, dst: &Path) -> Result<()> {
    let mut obj = crate::file::open(src, false)?;
    if crate::file::get_str(&obj, tags::BURNED_IN_ANNOTATION).as_deref() == Some("YES") {
        run.sum.burned_in.push(src.to_path_buf());
    }
    run.object(&mut obj);
    obj.put(DataElement::new(
        tags::PATIENT_IDENTITY_REMOVED,
        VR::CS,
        "YES",
    ));
    obj.put(DataElement::new(
        tags::DEIDENTIFICATION_METHOD,
        VR::LO,
        if run.opts.keep_dates {
            "PS3.15 E Basic Profile; Full Dates (medvox)"
        } else {
            "PS3.15 E Basic Profile (medvox)"
        },
    ));
    let sop = crate::file::get_str(&obj, tags::SOP_INSTANCE_UID).unwrap_or_default();
    let new_meta_uid = run.new_uid(
        obj.meta()
            .media_storage_sop_instance_uid()
            .trim_end_matches('\0'),
    );
    obj.update_meta(|m| {
        m.media_storage_sop_instance_uid = if sop.is_empty() { new_meta_uid } else { sop };
        m.source_application_entity_title = None;
        m.sending_application_entity_title = None;
        m.receiving_application_entity_title = None;
    });
    if canon(dst) == canon(src) {
        return Err(DicomError::Write {
            path: dst.to_path_buf(),
            reason: "refusing to overwrite the input".into(),
        });
    }
    if let Some(d) = dst.parent() {
        std::fs::create_dir_all(d).map_err(|source| DicomError::Io {
            path: d.to_path_buf(),
            source,
        })?;
    }
    let werr = |reason: String| DicomError::Write {
        path: dst.to_path_buf(),
        reason,
    };
    // The Pixel Data header as dicom-rs's writer expects it: OB with undefined
    // length for fragments, the value's own length otherwise (some files read
    // with an undefined length on native data hit an `unreachable!` there).
    if let Some(e) = obj.take(tags::PIXEL_DATA) {
        let vr = e.vr();
        let v = e.into_value();
        let vr = if matches!(v, dicom_core::value::Value::PixelSequence(_)) {
            VR::OB
        } else {
            vr
        };
        obj.put(DataElement::new(tags::PIXEL_DATA, vr, v));
    }
    let mut buf = Vec::new();
    obj.write_all(&mut buf)
        .map_err(|e| werr(crate::file::error_chain(&e)))?;
    medvox_io::atomic::write_bytes_atomic(dst, &buf).map_err(|e| werr(e.to_string()))?;
    run.sum.files += 1;
    Ok(())
}
