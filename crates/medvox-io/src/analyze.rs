//! Analyze 7.5 reading (`.hdr` + `.img`, either gzipped, little- or big-endian).
//!
//! The header is parsed by the NIfTI module ([`crate::nifti`]), which handles
//! the shared 348-byte layout. As in SimpleITK 2.5 (ITK's `NiftiImageIO` with its
//! default `ITK4Warning` Analyze flavour): spacing is `|pixdim[1..3]|` (a negative
//! value flips that axis), origin 0, identity direction (the Analyze `orient` and
//! `originator` fields are ignored), and the voxels are never rescaled (SPM's
//! scale factor in `funused1` is ignored). Given a NIfTI pair by mistake, this
//! reader reads it as NIfTI (`Image::format` says which was read).

use std::path::Path;

use crate::nifti::{detect, read_image, Flavor};
use crate::{Format, Image, ReadOptions, Result, VolumeReader};

/// The Analyze 7.5 format (read only).
#[derive(Debug, Clone, Copy, Default)]
pub struct Analyze;

impl Format for Analyze {
    fn name(&self) -> &'static str {
        "analyze"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &[".hdr.gz", ".img.gz", ".hdr", ".img"]
    }
    fn sniff(&self, head: &[u8]) -> bool {
        matches!(detect(head), Ok((Flavor::Analyze, _)))
    }
}

impl VolumeReader for Analyze {
    fn read(&self, path: &Path, opts: &ReadOptions) -> Result<Image> {
        read_image(path, opts)
    }
}
