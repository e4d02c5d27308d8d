//! Finding DICOM objects: a file, a folder (recursive) or a DICOMDIR; headers
//! are read in parallel (rayon) without their pixel data.
//!
//! In a folder, files without the `DICM` preamble marker and without a `.dcm`
//! ending are skipped as "not DICOM"; a file that looks like DICOM but cannot
//! be parsed is reported in [`Scan::bad`] and the others are still read.

use std::path::{Path, PathBuf};

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use rayon::prelude::*;

use crate::error::{DicomError, Result};
use crate::file::{self, ObjectInfo};

/// Media Storage Directory Storage (DICOMDIR).
const DICOMDIR_CLASS: &str = "1.2.840.10008.1.3.10";

/// What a scan found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Objects read (headers only).
    pub objects: Vec<ObjectInfo>,
    /// Files that look like DICOM but could not be read, with the reason.
    pub bad: Vec<(PathBuf, String)>,
    /// Files skipped as not DICOM.
    pub skipped: usize,
}

/// True when `path` is a folder, a DICOMDIR, or a file with the DICOM preamble.
pub fn looks_like_dicom(path: &Path) -> bool {
    if path.is_dir() {
        return true;
    }
    if path
        .file_name()
        .is_some_and(|n| n.eq_ignore_ascii_case("DICOMDIR"))
    {
        return true;
    }
    has_preamble(path)
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("dcm") || e.eq_ignore_ascii_case("dicom"))
}

/// True when the file (or, gzip-compressed, its content) has the DICOM preamble,
/// or is a gzip file named `*.dcm.gz` / `*.dicom.gz`.
fn has_preamble(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 132];
    if crate::raw::is_gzip(path) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if name.ends_with(".dcm.gz") || name.ends_with(".dicom.gz") {
            return true;
        }
        return std::fs::File::open(path)
            .and_then(|f| flate2::read::MultiGzDecoder::new(f).read_exact(&mut head))
            .is_ok()
            && &head[128..132] == b"DICM";
    }
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head[128..132] == b"DICM"
}

/// Scans a file, folder or DICOMDIR.
pub fn scan(path: &Path) -> Result<Scan> {
    let meta = std::fs::metadata(path).map_err(|source| DicomError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        let mut files = Vec::new();
        walk(path, &mut files)?;
        files.sort();
        let total = files.len();
        let candidates: Vec<PathBuf> = files
            .into_par_iter()
            .filter(|p| {
                has_preamble(p) || p.extension().is_some_and(|e| e.eq_ignore_ascii_case("dcm"))
            })
            .collect();
        let mut s = read_many(&candidates);
        s.skipped += total - candidates.len();
        return Ok(s);
    }
    let obj = file::open(path, true)?;
    if obj
        .meta()
        .media_storage_sop_class_uid()
        .trim_end_matches('\0')
        == DICOMDIR_CLASS
    {
        let files = dicomdir_files(path, &obj);
        return Ok(read_many(&files));
    }
    let info = file::object_info(path, &obj)?;
    Ok(Scan {
        objects: vec![info],
        ..Scan::default()
    })
}

fn read_many(files: &[PathBuf]) -> Scan {
    let results: Vec<_> = files
        .par_iter()
        .map(|p| {
            let obj = file::open(p, true)?;
            if obj
                .meta()
                .media_storage_sop_class_uid()
                .trim_end_matches('\0')
                == DICOMDIR_CLASS
            {
                return Ok(None);
            }
            file::object_info(p, &obj).map(Some)
        })
        .collect();
    let mut s = Scan::default();
    for (p, r) in files.iter().zip(results) {
        match r {
            Ok(Some(o)) => s.objects.push(o),
            Ok(None) => s.skipped += 1,
            Err(e) => s.bad.push((p.clone(), e.to_string())),
        }
    }
    s
}

pub(crate) fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let rd = std::fs::read_dir(dir).map_err(|source| DicomError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for e in rd.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => walk(&p, out)?,
            Ok(t) if t.is_file() => out.push(p),
            _ => {}
        }
    }
    Ok(())
}

/// The files a DICOMDIR references (ReferencedFileID of its directory records).
fn dicomdir_files(path: &Path, obj: &dicom_object::DefaultDicomObject) -> Vec<PathBuf> {
    let base = path.parent().unwrap_or(Path::new("."));
    let Some(items) = obj
        .get(tags::DIRECTORY_RECORD_SEQUENCE)
        .and_then(|e| e.items())
    else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = items
        .iter()
        .filter_map(|it| {
            let parts = it.get(Tag(0x0004, 0x1500))?.to_multi_str().ok()?;
            let mut p = base.to_path_buf();
            for c in parts.iter() {
                let c = c.trim();
                if c.is_empty() || c == ".." || c.contains('/') {
                    return None;
                }
                p.push(c);
            }
            Some(p)
        })
        .collect();
    files.sort();
    files.dedup();
    files
}
