//! medvox-gpu: the GPU backend on wgpu (Vulkan, Metal, DX12).
//!
//! * [`GpuContext`] — adapter selection, one device and queue, cached pipelines;
//!   [`GpuInfo`] for `medvox gpu info`.
//! * [`GpuVolume`] — device-resident f32 voxels with size, geometry and the logical
//!   pixel type; a chain of ops uploads once and downloads once.
//! * [`ComputeBackend`] with [`CpuBackend`] (the reference, [`medvox_filters`]) and
//!   [`GpuBackend`]; [`Device`] `cpu | gpu | auto` and [`select`].
//! * [`ops`] — the WGSL kernels, one file per op, each tested against the CPU op;
//!   host-level ops: [`ops::otsu`], [`ops::resample`], [`ops::components`],
//!   [`ops::equalize`] (integer types).
//!
//! Volumes larger than one storage binding (128 MiB on lavapipe) run in z-slab
//! tiles with the op's halo, planned by [`medvox_core::BlockPlan`], streamed with
//! two tiles in flight: while the device computes one, the host converts and
//! uploads the next and reads the previous one's result back (one submit and one
//! asynchronous map per tile into two reused staging buffers).
//!
//! Bytes moved per voxel (ideal caching; `bytes_per_voxel` of `medvox bench`):
//! pointwise 8 · Gaussian/mean 8 per pass · median 8 · morphology 8 per pass
//! (+16 binary) · gradient/Sobel 8 · histogram 4 · Otsu 16 (min/max, histogram,
//! threshold) · equalize 16 (min/max, histogram, lookup) · resample 8 per output
//! voxel · components 28.
//!
//! ```no_run
//! use medvox_gpu::{GpuBackend, GpuVolume};
//! use medvox_filters::{Filter, GaussianParams};
//! # fn main() -> medvox_gpu::Result<()> {
//! let gpu = GpuBackend::new()?;
//! let vol = medvox_core::AnyVolume::from(
//!     medvox_core::Volume::<i16>::zeros([32, 32, 32], Default::default()).unwrap(),
//! );
//! let v = GpuVolume::upload(gpu.context(), &vol)?;
//! let s = gpu.run(&Filter::Gaussian(GaussianParams::voxels(1.0)), &v)?;
//! let g = gpu.run(&Filter::Sobel, &s)?; // still on the device
//! let host = g.download(gpu.context())?;
//! # Ok(()) }
//! ```

pub mod backend;
pub mod context;
pub mod error;
pub mod ops;
mod stream;
pub mod volume;

pub use backend::{select, ComputeBackend, CpuBackend, Device, GpuBackend, GpuTiming};
pub use context::{GpuContext, GpuInfo};
pub use error::{GpuError, Result};
pub use volume::GpuVolume;
