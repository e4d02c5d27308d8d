//! medvox: parallel and GPU-accelerated medical image processing.
//!
//! This facade re-exports the workspace crates: [`core`] (volumes, pixel
//! types, block engine) and [`io`] (file formats).
pub use medvox_core as core;
pub use medvox_io as io;
