//! The error type of medvox-dl.

use std::path::PathBuf;

/// Errors of model loading, inference and the brain-extraction pipeline.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DlError {
    /// The model file could not be read.
    #[error("cannot read model {path}: {source}")]
    Read {
        /// The model file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a model the engine can load (not ONNX, truncated, unsupported operator).
    #[error("cannot load ONNX model {path}: {reason}")]
    Load {
        /// The model file.
        path: PathBuf,
        /// The engine's message (names the operator and node when one is unsupported).
        reason: String,
    },
    /// The model failed on an input (shape it cannot take, wrong channel count…).
    #[error("model {model}: {reason}")]
    Run {
        /// The model file (or name).
        model: String,
        /// What went wrong.
        reason: String,
    },
    /// An input volume or parameter the operation cannot take.
    #[error("{op}: {reason}")]
    Input {
        /// The operation.
        op: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A required model file is not where it should be.
    #[error("{0}")]
    MissingModel(String),
    /// An error from medvox-core.
    #[error(transparent)]
    Core(#[from] medvox_core::CoreError),
    /// An error from medvox-segment (post-processing).
    #[error(transparent)]
    Segment(#[from] medvox_segment::SegmentError),
    /// An error from medvox-filters (post-processing).
    #[error(transparent)]
    Filter(#[from] medvox_filters::FilterError),
}

/// Result of medvox-dl operations.
pub type Result<T> = std::result::Result<T, DlError>;
