//! The error type of `medvox-filters`.

use medvox_core::CoreError;
use thiserror::Error;

/// Errors raised by the filters.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FilterError {
    /// A parameter is out of range or not finite.
    #[error("{op}: invalid parameter `{name}`: {reason}")]
    Parameter {
        /// The operation (`gaussian`, `median`…).
        op: &'static str,
        /// Parameter name as the user writes it.
        name: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// A block plan that does not fit the volume or the operation's halo.
    #[error("{op}: unusable block plan: {reason}")]
    Plan {
        /// The operation.
        op: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// An error of the core crate (volume creation, thread pool…).
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// Result alias for `medvox-filters`.
pub type Result<T, E = FilterError> = std::result::Result<T, E>;
