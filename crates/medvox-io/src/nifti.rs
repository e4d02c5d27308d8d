//! Nifti (placeholder until implemented).

use std::path::Path;

use crate::{Format, Image, IoError, ReadOptions, Result, VolumeReader};

/// The Nifti format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Nifti;

impl Format for Nifti {
    fn name(&self) -> &'static str {
        "nifti"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &[]
    }
}

impl VolumeReader for Nifti {
    fn read(&self, path: &Path, _opts: &ReadOptions) -> Result<Image> {
        Err(IoError::Unsupported {
            path: path.to_path_buf(),
            format: "nifti",
            reason: "not implemented yet".into(),
        })
    }
}

impl crate::VolumeWriter for Nifti {
    fn write(
        &self,
        path: &Path,
        _v: &medvox_core::AnyVolume,
        _o: &crate::WriteOptions,
    ) -> Result<()> {
        Err(IoError::Unsupported {
            path: path.to_path_buf(),
            format: "nifti",
            reason: "not implemented yet".into(),
        })
    }
}
