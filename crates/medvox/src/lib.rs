//! medvox: parallel and GPU-accelerated medical image processing.
//!
//! This facade re-exports the workspace crates: [`core`] (volumes, pixel
//! types, block engine), [`io`] (file formats) and [`filters`] (smoothing,
//! median, gradients on the block engine).
pub use medvox_core as core;
pub use medvox_filters as filters;
pub use medvox_io as io;
