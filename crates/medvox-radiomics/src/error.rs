//! The error type of `medvox-radiomics`.

use thiserror::Error;

/// Errors raised by feature extraction.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RadiomicsError {
    /// Image and label map are not on the same voxel grid.
    #[error("image and label map differ: {0}")]
    Grid(String),
    /// A setting is out of range.
    #[error("invalid setting `{name}`: {reason}")]
    Setting {
        /// Setting name as the user wrote it.
        name: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A label was asked for that is not in the label map.
    #[error("label {0} is not present in the label map")]
    MissingLabel(u32),
    /// The image holds NaN or infinite values inside a region.
    #[error("label {0}: the image holds a non-finite value (NaN or infinity) inside the region")]
    NonFinite(u32),
}

/// Result alias for `medvox-radiomics`.
pub type Result<T, E = RadiomicsError> = std::result::Result<T, E>;
