//! Analyze (placeholder until implemented).

use std::path::Path;

use crate::{Format, Image, IoError, ReadOptions, Result, VolumeReader};

/// The Analyze format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Analyze;

impl Format for Analyze {
    fn name(&self) -> &'static str {
        "analyze"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &[]
    }
}

impl VolumeReader for Analyze {
    fn read(&self, path: &Path, _opts: &ReadOptions) -> Result<Image> {
        Err(IoError::Unsupported {
            path: path.to_path_buf(),
            format: "analyze",
            reason: "not implemented yet".into(),
        })
    }
}
