//! De-identification on synthetic objects: profile attributes, private tags,
//! consistent UIDs, dates, pixel data kept, input never written.

mod common;

use common::{slice, write_with};
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::tags;
use medvox_dicom::deid::{deidentify, DeidOptions};

#[test]
fn profile_private_tags_uids_dates_and_pixels() {
    let src = tempfile::tempdir().unwrap();
    let axial = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
    let mut paths = Vec::new();
    for k in 0..3 {
        let mut s = slice([0.0, 0.0, k as f64], axial, 10 * k);
        s.instance = k as i64 + 1;
        paths.push(write_with(src.path(), &format!("s{k}"), &s, |o| {
            o.put(DataElement::new(tags::PATIENT_NAME, VR::PN, "Doe^Jane"));
            o.put(DataElement::new(tags::PATIENT_ID, VR::LO, "12345"));
            o.put(DataElement::new(
                tags::INSTITUTION_NAME,
                VR::LO,
                "General Hospital",
            ));
            o.put(DataElement::new(tags::STUDY_DATE, VR::DA, "20240102"));
            o.put(DataElement::new(
                Tag(0x0029, 0x1010),
                VR::LO,
                "private secret",
            ));
            o.put(DataElement::new(tags::BURNED_IN_ANNOTATION, VR::CS, "YES"));
        }));
    }
    let before: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let out = tempfile::tempdir().unwrap();
    let dst = out.path().join("deid");
    let opts = DeidOptions {
        keep_dates: false,
        salt: Some("x".into()),
        skip_unreadable: false,
    };
    let sum = deidentify(src.path(), &dst, &opts).unwrap();
    assert_eq!(sum.files, 3);
    assert_eq!(sum.burned_in.len(), 3);
    assert_eq!(sum.private, 3);
    // Inputs unchanged.
    for (p, b) in paths.iter().zip(&before) {
        assert_eq!(&std::fs::read(p).unwrap(), b);
    }
    let mut series = Vec::new();
    let mut sops = Vec::new();
    for k in 0..3 {
        let o = dicom_object::open_file(dst.join(format!("s{k}"))).unwrap();
        let s = |t| {
            o.element_opt(t)
                .unwrap()
                .map(|e| e.to_str().unwrap().trim().to_string())
        };
        assert_eq!(s(tags::PATIENT_NAME).as_deref(), Some(""));
        assert_eq!(s(tags::PATIENT_ID).as_deref(), Some(""));
        assert_eq!(s(tags::INSTITUTION_NAME), None);
        assert_eq!(s(tags::STUDY_DATE).as_deref(), Some(""));
        assert!(o.element_opt(Tag(0x0029, 0x1010)).unwrap().is_none());
        assert_eq!(s(tags::PATIENT_IDENTITY_REMOVED).as_deref(), Some("YES"));
        let sop = s(tags::SOP_INSTANCE_UID).unwrap();
        assert!(sop.starts_with("2.25."));
        assert_eq!(
            o.meta()
                .media_storage_sop_instance_uid()
                .trim_end_matches('\0'),
            sop
        );
        series.push(s(tags::SERIES_INSTANCE_UID).unwrap());
        sops.push(sop);
        // SOP class UIDs are DICOM-defined: kept.
        assert_eq!(s(tags::SOP_CLASS_UID).unwrap(), "1.2.840.10008.5.1.4.1.1.4");
    }
    assert!(series.iter().all(|s| *s == series[0] && s != "1.2.3.4"));
    sops.dedup();
    assert_eq!(sops.len(), 3);
    // Pixels and geometry: the de-identified folder reads as the original.
    let a = medvox_dicom::read(src.path(), None).unwrap().image;
    let b = medvox_dicom::read(&dst, None).unwrap().image;
    assert_eq!(a.volumes, b.volumes);
    // Never into the input.
    assert!(deidentify(src.path(), &src.path().join("x"), &opts).is_err());
    assert!(deidentify(src.path(), src.path(), &opts).is_err());
}
