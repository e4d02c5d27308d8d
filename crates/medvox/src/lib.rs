//! medvox: parallel and GPU-accelerated medical image processing.
//!
//! This facade re-exports the workspace crates: [`core`] (volumes, pixel
//! types, block engine), [`io`] (file formats), [`filters`] (smoothing,
//! median, gradients on the block engine) and [`segment`] (thresholds,
//! components, watershed, label analysis), [`gpu`] (the wgpu backend: device-resident volumes, GPU
//! kernels, `ComputeBackend`) and [`dicom`] (DICOM files, series,
//! de-identification, export).
pub use medvox_core as core;
pub use medvox_dicom as dicom;
pub use medvox_filters as filters;
pub use medvox_gpu as gpu;
pub use medvox_io as io;
pub use medvox_segment as segment;
