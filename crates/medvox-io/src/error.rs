//! The error type of `medvox-io`.

use std::path::PathBuf;

use thiserror::Error;

/// Errors raised while reading or writing image files. Every variant names the file.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum IoError {
    /// The operating system refused (missing file, permissions, disk full…).
    #[error("{path}: {source}")]
    Os {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// No reader or writer knows this file.
    #[error("{path}: unknown or unsupported format ({reason})")]
    UnknownFormat {
        /// File concerned.
        path: PathBuf,
        /// What was looked at.
        reason: String,
    },
    /// The header is malformed or inconsistent.
    #[error("{path}: invalid {format} header: {reason}")]
    Header {
        /// File concerned.
        path: PathBuf,
        /// Format name.
        format: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The header is valid but asks for something medvox does not support.
    #[error("{path}: unsupported {format} feature: {reason}")]
    Unsupported {
        /// File concerned.
        path: PathBuf,
        /// Format name.
        format: &'static str,
        /// What is not supported.
        reason: String,
    },
    /// The voxel data is shorter than the header says, or cannot be decompressed.
    #[error("{path}: corrupt or truncated data: {reason}")]
    Data {
        /// File concerned.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Reading would allocate more than the configured limit.
    #[error("{path}: the header asks for {requested} bytes, more than the limit of {limit} bytes")]
    Limit {
        /// File concerned.
        path: PathBuf,
        /// Bytes the header asks for.
        requested: u128,
        /// The limit in force.
        limit: u64,
    },
    /// A buffer the memory budget refuses, or the system cannot allocate.
    #[error("{path}: {source}")]
    Memory {
        /// File concerned.
        path: PathBuf,
        /// What was refused.
        source: medvox_core::budget::BudgetError,
    },
    /// A volume-level error (geometry, shape) while building the result.
    #[error("{path}: {source}")]
    Core {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        source: medvox_core::CoreError,
    },
}

/// Result alias for `medvox-io`.
pub type Result<T, E = IoError> = std::result::Result<T, E>;

/// Attaches a path to `std::io::Error`s and core errors.
pub(crate) trait WithPath<T> {
    fn at(self, path: &std::path::Path) -> Result<T>;
}

impl<T> WithPath<T> for std::result::Result<T, std::io::Error> {
    fn at(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|source| IoError::Os {
            path: path.to_path_buf(),
            source,
        })
    }
}

impl<T> WithPath<T> for std::result::Result<T, medvox_core::CoreError> {
    fn at(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|source| IoError::Core {
            path: path.to_path_buf(),
            source,
        })
    }
}
