//! Auxiliary images named by path in a filter's parameters (masks, reference grids).

use std::path::Path;

use medvox_core::AnyVolume;

use crate::error::{FilterError, Result};

/// Reads the first volume of an image file for parameter `name` of `op`.
pub(crate) fn read_image(op: &'static str, name: &'static str, path: &Path) -> Result<AnyVolume> {
    medvox_io::read(path)
        .map(|img| img.into_first())
        .map_err(|e| FilterError::Parameter {
            op,
            name,
            reason: format!("cannot read {}: {e}", path.display()),
        })
}
