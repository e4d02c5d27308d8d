//! Limits that guard allocations made from untrusted headers.

use std::path::Path;

use crate::error::{IoError, Result};

/// How much a reader may allocate for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest voxel buffer, in bytes. Default: [`medvox_core::budget::max_bytes`]
    /// (`--max-memory`, else `MEDVOX_MAX_BYTES`, else the smallest of physical
    /// memory, the address-space/data rlimits and the cgroup memory limit).
    pub max_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: medvox_core::budget::max_bytes(),
        }
    }
}

impl Limits {
    /// Checks a voxel buffer of `dims` × `bytes_per_voxel` against the limit and,
    /// when the data are stored raw, against the `available` bytes in the file;
    /// when compressed, against what `available` compressed bytes can expand to.
    /// Returns the byte count.
    pub fn check(
        &self,
        path: &Path,
        dims: &[u64],
        bytes_per_voxel: u64,
        available: Option<(u64, bool)>,
    ) -> Result<usize> {
        let requested: u128 = dims
            .iter()
            .fold(bytes_per_voxel as u128, |a, &d| a.saturating_mul(d as u128));
        if requested > self.max_bytes as u128 || requested > isize::MAX as u128 {
            return Err(IoError::Limit {
                path: path.to_path_buf(),
                requested,
                limit: self.max_bytes,
            });
        }
        if let Some((bytes, compressed)) = available {
            let cap = if compressed {
                crate::gz::max_inflated_size(bytes)
            } else {
                bytes as u128
            };
            if requested > cap {
                return Err(IoError::Data {
                    path: path.to_path_buf(),
                    reason: format!(
                        "the header asks for {requested} bytes of voxel data but the file holds {} {bytes} bytes",
                        if compressed { "only compressed data of" } else { "only" }
                    ),
                });
            }
        }
        Ok(requested as usize)
    }
}
