//! The error type of `medvox-segment`.

use medvox_core::CoreError;
use medvox_filters::FilterError;
use thiserror::Error;

/// Errors raised by the segmentation and label-analysis operations.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SegmentError {
    /// A parameter is out of range or not finite.
    #[error("{op}: invalid parameter `{name}`: {reason}")]
    Parameter {
        /// The operation (`otsu`, `components`…).
        op: &'static str,
        /// Parameter name as the user writes it.
        name: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// Two images that must share a grid do not.
    #[error("{op}: {reason}")]
    Mismatch {
        /// The operation.
        op: &'static str,
        /// What differs.
        reason: String,
    },
    /// An error of a filter this operation uses.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// An error of the core crate (volume creation, thread pool…).
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// Result alias for `medvox-segment`.
pub type Result<T, E = SegmentError> = std::result::Result<T, E>;
