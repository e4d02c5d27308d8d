//! The error type of `medvox-gpu`.

use medvox_core::{CoreError, PixelType};
use medvox_filters::FilterError;
use thiserror::Error;

/// Errors raised by the GPU backend.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum GpuError {
    /// No usable GPU adapter (or none matching `MEDVOX_GPU_ADAPTER`).
    #[error("no GPU adapter found{detail} (install a Vulkan driver, e.g. `apt-get install mesa-vulkan-drivers` for the lavapipe software adapter, or use --device cpu)")]
    NoAdapter {
        /// What was looked for and what was seen.
        detail: String,
    },
    /// The adapter refused to create a device.
    #[error("GPU device: {0}")]
    Device(String),
    /// The op (or these parameters) has no GPU kernel.
    #[error("{op}: no GPU kernel{reason}")]
    Unsupported {
        /// The operation.
        op: String,
        /// Why (empty or ": …").
        reason: String,
    },
    /// Pixel type (or values) the GPU's f32 buffers cannot hold exactly.
    #[error("pixel type {ty:?} is not supported on the GPU: {reason}")]
    PixelType {
        /// The pixel type.
        ty: PixelType,
        /// Why.
        reason: String,
    },
    /// A volume or tile larger than one storage binding.
    #[error("{what}: {bytes} bytes exceed the GPU's storage binding limit of {limit} bytes")]
    TooLarge {
        /// What was too large.
        what: String,
        /// Its size.
        bytes: u64,
        /// The binding limit.
        limit: u64,
    },
    /// Reading a buffer back from the device failed.
    #[error("GPU readback: {0}")]
    Readback(String),
    /// A parameter error of the reference filter.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// A parameter error of the reference segmentation op.
    #[error(transparent)]
    Segment(#[from] medvox_segment::SegmentError),
    /// An error of the core crate.
    #[error(transparent)]
    Core(#[from] CoreError),
}

impl GpuError {
    /// Whether the GPU turned the op down for this input (no kernel for these
    /// parameters, a pixel type or a size it cannot hold, more distinct values
    /// than its histogram): under `auto` the CPU runs the op instead.
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self,
            GpuError::Unsupported { .. } | GpuError::PixelType { .. } | GpuError::TooLarge { .. }
        )
    }
}

/// Result alias for `medvox-gpu`.
pub type Result<T, E = GpuError> = std::result::Result<T, E>;
