//! The error type of `medvox-recon`.

use thiserror::Error;

/// Errors raised by geometry checks, projectors and reconstructions.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReconError {
    /// A geometry that cannot be used (NaN, zero/negative distances, mismatched counts…).
    #[error("invalid geometry: {0}")]
    Geometry(String),
    /// Array sizes that do not fit together (projection count, detector size…).
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A parameter out of range.
    #[error("invalid parameter `{name}`: {reason}")]
    Parameter {
        /// Parameter name as the user wrote it.
        name: String,
        /// Why it was rejected.
        reason: String,
    },
    /// An RTK geometry XML file that could not be parsed.
    #[error("geometry XML: {0}")]
    Xml(String),
    /// An error from `medvox-core` (volume construction).
    #[error(transparent)]
    Core(#[from] medvox_core::CoreError),
}

/// Result alias for `medvox-recon`.
pub type Result<T, E = ReconError> = std::result::Result<T, E>;

pub(crate) fn param(name: &str, reason: impl Into<String>) -> ReconError {
    ReconError::Parameter {
        name: name.to_string(),
        reason: reason.into(),
    }
}
