//! medvox-dicom: DICOM files, folders and DICOMDIRs into volumes.
//!
//! Parsing and decoding use dicom-rs (dicom-object, dicom-pixeldata); the
//! series logic is ours:
//!
//! - [`file`]: one object → its frames and per-frame geometry (classic,
//!   enhanced multi-frame functional groups, Siemens mosaic);
//! - [`pixel`]: decoding, stored bits, Modality LUT / rescale, the output pixel type rule;
//! - [`series`]: grouping into series and stacks, sorting along the slice
//!   normal, spacing from positions, 4D, warnings, parallel decoding;
//! - [`scan`]: file / folder / DICOMDIR discovery;
//! - [`export`]: a volume → a DICOM series (one file per slice);
//! - [`deid`]: de-identification (PS3.15 Annex E); [`uid`]: `2.25` UIDs.
//!
//! Geometry is ITK's (LPS, origin = centre of the first voxel, direction
//! columns = index axes) and matches SimpleITK's ImageSeriesReader.
//!
//! ```no_run
//! let read = medvox_dicom::read(std::path::Path::new("ct_folder"), None).unwrap();
//! println!("{} volume(s)", read.image.volumes.len());
//! ```

pub mod deid;
pub mod error;
pub mod export;
pub mod file;
mod mem;
pub mod pixel;
pub mod raw;
pub mod rle;
pub mod scan;
pub mod series;
pub mod uid;

use std::path::Path;

pub use error::{DicomError, Result};
pub use scan::{looks_like_dicom, scan, Scan};
pub use series::Series;

/// A series read into volumes.
#[derive(Debug)]
pub struct Read {
    /// The volumes (several for a 4D series), format `"dicom"`.
    pub image: medvox_io::Image,
    /// The series they come from (warnings included).
    pub series: Series,
    /// Files under the path that could not be read (path, reason).
    pub bad: Vec<(std::path::PathBuf, String)>,
}

/// Lists the series (stacks) under a file, folder or DICOMDIR.
pub fn list(path: &Path) -> Result<(Vec<Series>, Scan)> {
    let mut s = scan::scan(path)?;
    let series = series::assemble(std::mem::take(&mut s.objects));
    Ok((series, s))
}

/// Picks a series: by [`Series::id`], by SeriesInstanceUID (when it has one
/// stack), or by 1-based position `N` in the listing.
pub fn select<'a>(path: &Path, series: &'a [Series], select: Option<&str>) -> Result<&'a Series> {
    match select {
        None if series.len() == 1 => Ok(&series[0]),
        None if series.is_empty() => Err(DicomError::NoImages(path.to_path_buf())),
        None => Err(DicomError::SeveralSeries {
            path: path.to_path_buf(),
            list: series
                .iter()
                .enumerate()
                .map(|(i, s)| format!("  {}: {}", i + 1, s.summary()))
                .collect(),
        }),
        Some(sel) => {
            let by_id = series.iter().find(|s| s.id() == sel);
            let by_uid = || {
                let m: Vec<&Series> = series.iter().filter(|s| s.uid == sel).collect();
                (m.len() == 1).then(|| m[0])
            };
            let by_n = || {
                sel.parse::<usize>()
                    .ok()
                    .filter(|n| (1..=series.len()).contains(n))
                    .map(|n| &series[n - 1])
            };
            by_id
                .or_else(by_uid)
                .or_else(by_n)
                .ok_or_else(|| DicomError::NoSuchSeries {
                    path: path.to_path_buf(),
                    select: sel.to_string(),
                    count: series.len(),
                })
        }
    }
}

/// Reads one series under `path` (the only one, or the one `select` names).
pub fn read(path: &Path, select_by: Option<&str>) -> Result<Read> {
    let (series, scan) = list(path)?;
    if series.is_empty() {
        if let Some((p, reason)) = scan.bad.first() {
            if scan.bad.len() == 1 && p == path {
                return Err(DicomError::invalid(p, reason.clone()));
            }
            return Err(DicomError::invalid(
                path,
                format!(
                    "no readable DICOM image; {} bad file(s), first: {reason}",
                    scan.bad.len()
                ),
            ));
        }
        return Err(DicomError::NoImages(path.to_path_buf()));
    }
    let s = select(path, &series, select_by)?.clone();
    let volumes = s.read()?;
    Ok(Read {
        image: medvox_io::Image {
            format: "dicom",
            volumes,
        },
        series: s,
        bad: scan.bad,
    })
}
