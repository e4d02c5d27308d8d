//! MetaImage (placeholder until implemented).

use std::path::Path;

use crate::{Format, Image, IoError, ReadOptions, Result, VolumeReader};

/// The MetaImage format.
#[derive(Debug, Clone, Copy, Default)]
pub struct MetaImage;

impl Format for MetaImage {
    fn name(&self) -> &'static str {
        "metaimage"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &[]
    }
}

impl VolumeReader for MetaImage {
    fn read(&self, path: &Path, _opts: &ReadOptions) -> Result<Image> {
        Err(IoError::Unsupported {
            path: path.to_path_buf(),
            format: "metaimage",
            reason: "not implemented yet".into(),
        })
    }
}

impl crate::VolumeWriter for MetaImage {
    fn write(
        &self,
        path: &Path,
        _v: &medvox_core::AnyVolume,
        _o: &crate::WriteOptions,
    ) -> Result<()> {
        Err(IoError::Unsupported {
            path: path.to_path_buf(),
            format: "metaimage",
            reason: "not implemented yet".into(),
        })
    }
}
