//! Synthetic DICOM slices written with dicom-object, shared by the tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};

/// What one synthetic slice looks like.
#[derive(Clone)]
pub struct Slice {
    pub series: &'static str,
    pub pos: [f64; 3],
    pub iop: [f64; 6],
    pub temporal: i64,
    pub instance: i64,
    pub slope: f64,
    pub intercept: f64,
    pub bits_stored: u16,
    pub signed: bool,
    pub raw: Vec<u16>,
}

pub const NX: usize = 3;
pub const NY: usize = 2;

pub fn slice(pos: [f64; 3], iop: [f64; 6], fill: u16) -> Slice {
    Slice {
        series: "1.2.3.4",
        pos,
        iop,
        temporal: 1,
        instance: 1,
        slope: 1.0,
        intercept: 0.0,
        bits_stored: 16,
        signed: false,
        raw: (0..(NX * NY) as u16).map(|i| fill + i).collect(),
    }
}

pub fn ds(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x}"))
        .collect::<Vec<_>>()
        .join("\\")
}

pub fn write_with(
    dir: &Path,
    name: &str,
    s: &Slice,
    extra: impl FnOnce(&mut InMemDicomObject),
) -> PathBuf {
    write_impl(dir, name, s, extra)
}

pub fn write(dir: &Path, name: &str, s: &Slice) -> PathBuf {
    write_impl(dir, name, s, |_| {})
}

fn write_impl(
    dir: &Path,
    name: &str,
    s: &Slice,
    extra: impl FnOnce(&mut InMemDicomObject),
) -> PathBuf {
    let mut o = InMemDicomObject::new_empty();
    let put = |o: &mut InMemDicomObject, tag, vr, v: PrimitiveValue| {
        o.put(DataElement::new(tag, vr, v));
    };
    let uid = format!("{}.{}", s.series, name.len() * 1000 + s.instance as usize);
    put(
        &mut o,
        tags::SOP_CLASS_UID,
        VR::UI,
        "1.2.840.10008.5.1.4.1.1.4".into(),
    );
    put(&mut o, tags::SOP_INSTANCE_UID, VR::UI, uid.clone().into());
    put(&mut o, tags::STUDY_INSTANCE_UID, VR::UI, "1.2.3".into());
    put(&mut o, tags::SERIES_INSTANCE_UID, VR::UI, s.series.into());
    put(&mut o, tags::MODALITY, VR::CS, "MR".into());
    put(
        &mut o,
        tags::INSTANCE_NUMBER,
        VR::IS,
        s.instance.to_string().into(),
    );
    put(
        &mut o,
        tags::TEMPORAL_POSITION_IDENTIFIER,
        VR::IS,
        s.temporal.to_string().into(),
    );
    put(
        &mut o,
        tags::IMAGE_POSITION_PATIENT,
        VR::DS,
        ds(&s.pos).into(),
    );
    put(
        &mut o,
        tags::IMAGE_ORIENTATION_PATIENT,
        VR::DS,
        ds(&s.iop).into(),
    );
    put(&mut o, tags::PIXEL_SPACING, VR::DS, "0.5\\0.75".into());
    put(&mut o, tags::SLICE_THICKNESS, VR::DS, "9".into());
    put(
        &mut o,
        tags::RESCALE_SLOPE,
        VR::DS,
        format!("{}", s.slope).into(),
    );
    put(
        &mut o,
        tags::RESCALE_INTERCEPT,
        VR::DS,
        format!("{}", s.intercept).into(),
    );
    put(
        &mut o,
        tags::SAMPLES_PER_PIXEL,
        VR::US,
        PrimitiveValue::from(1u16),
    );
    put(
        &mut o,
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        "MONOCHROME2".into(),
    );
    put(&mut o, tags::ROWS, VR::US, PrimitiveValue::from(NY as u16));
    put(
        &mut o,
        tags::COLUMNS,
        VR::US,
        PrimitiveValue::from(NX as u16),
    );
    put(
        &mut o,
        tags::BITS_ALLOCATED,
        VR::US,
        PrimitiveValue::from(16u16),
    );
    put(
        &mut o,
        tags::BITS_STORED,
        VR::US,
        PrimitiveValue::from(s.bits_stored),
    );
    put(
        &mut o,
        tags::HIGH_BIT,
        VR::US,
        PrimitiveValue::from(s.bits_stored - 1),
    );
    put(
        &mut o,
        tags::PIXEL_REPRESENTATION,
        VR::US,
        PrimitiveValue::from(s.signed as u16),
    );
    put(
        &mut o,
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::U16(s.raw.clone().into()),
    );
    extra(&mut o);
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.4")
        .media_storage_sop_instance_uid(uid)
        .transfer_syntax("1.2.840.10008.1.2.1");
    let path = dir.join(name);
    o.with_meta(meta).unwrap().write_to_file(&path).unwrap();
    path
}
