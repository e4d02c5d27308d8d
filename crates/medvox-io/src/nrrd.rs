//! Nrrd (placeholder until implemented).

use std::path::Path;

use crate::{Format, Image, IoError, ReadOptions, Result, VolumeReader};

/// The Nrrd format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Nrrd;

impl Format for Nrrd {
    fn name(&self) -> &'static str {
        "nrrd"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &[]
    }
}

impl VolumeReader for Nrrd {
    fn read(&self, path: &Path, _opts: &ReadOptions) -> Result<Image> {
        Err(IoError::Unsupported {
            path: path.to_path_buf(),
            format: "nrrd",
            reason: "not implemented yet".into(),
        })
    }
}

impl crate::VolumeWriter for Nrrd {
    fn write(
        &self,
        path: &Path,
        _v: &medvox_core::AnyVolume,
        _o: &crate::WriteOptions,
    ) -> Result<()> {
        Err(IoError::Unsupported {
            path: path.to_path_buf(),
            format: "nrrd",
            reason: "not implemented yet".into(),
        })
    }
}
