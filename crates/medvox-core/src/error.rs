//! The error type of `medvox-core`.

use thiserror::Error;

/// Errors raised by volumes, geometry, casts and the block engine.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CoreError {
    /// Spacing, origin or direction are not usable (NaN, zero spacing, singular direction…).
    #[error("invalid geometry: {0}")]
    Geometry(String),
    /// An array's shape does not match what was asked for.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A parameter is out of range or not finite.
    #[error("invalid parameter `{name}`: {reason}")]
    Parameter {
        /// Parameter name as the user wrote it.
        name: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A pixel type name that medvox does not know.
    #[error("unknown pixel type `{0}` (expected one of u8, i8, u16, i16, u32, i32, f32, f64)")]
    UnknownPixelType(String),
    /// The thread pool could not be built.
    #[error("thread pool: {0}")]
    ThreadPool(String),
    /// A volume would need more memory than allowed.
    #[error("volume of {voxels} voxels x {bytes_per_voxel} bytes is too large")]
    TooLarge {
        /// Number of voxels requested.
        voxels: u128,
        /// Bytes per voxel.
        bytes_per_voxel: usize,
    },
}

/// Result alias for `medvox-core`.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;
