//! The error type of `medvox-register`.

use std::path::PathBuf;

use medvox_core::CoreError;
use medvox_filters::FilterError;
use thiserror::Error;

/// Errors raised by transforms, transform files, warping and registration.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// A parameter is out of range or not finite.
    #[error("{op}: invalid parameter `{name}`: {reason}")]
    Parameter {
        /// The operation (`register`, `warp`, a transform kind…).
        op: &'static str,
        /// Parameter name as the user writes it.
        name: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// A transform file that cannot be read or parsed.
    #[error("transform file {}: {reason}", path.display())]
    TransformFile {
        /// The file.
        path: PathBuf,
        /// What is wrong (with the line number where one applies).
        reason: String,
    },
    /// A transform that cannot be used (singular matrix, unsupported kind…).
    #[error("transform: {0}")]
    Transform(String),
    /// Too few fixed sample points map inside the moving image.
    #[error("register: only {valid} of {total} sample points map inside the moving image (level {level}); the images do not overlap enough")]
    TooFewSamples {
        /// Valid points.
        valid: usize,
        /// Points tried.
        total: usize,
        /// Pyramid level (0 = coarsest).
        level: usize,
    },
    /// An error of the filters (pyramid smoothing, resampling).
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// An error of the core crate (volume creation, geometry…).
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// Result alias for `medvox-register`.
pub type Result<T, E = RegisterError> = std::result::Result<T, E>;

pub(crate) fn param(
    op: &'static str,
    name: &'static str,
    reason: impl Into<String>,
) -> RegisterError {
    RegisterError::Parameter {
        op,
        name,
        reason: reason.into(),
    }
}
