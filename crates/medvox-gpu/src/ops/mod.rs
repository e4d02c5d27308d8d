//! The GPU kernels, one file per op (each with its `.wgsl`), recording dispatches
//! into a command encoder so a chain of ops is one submit.

pub mod components;
pub mod equalize;
pub mod gradient;
pub mod histogram;
pub mod median;
pub mod morphology;
pub mod otsu;
pub mod pointwise;
pub mod resample;
pub mod separable;
pub mod sobel;

use crate::volume::GpuVolume;

/// Runs `pass` on each item of `list` in order, each on the previous output (the
/// first on `src`): the axis-by-axis chains of separable filters and box morphology.
/// `None` for an empty list.
pub(crate) fn chain<P>(
    src: &GpuVolume,
    list: impl IntoIterator<Item = P>,
    mut pass: impl FnMut(&GpuVolume, P) -> GpuVolume,
) -> Option<GpuVolume> {
    list.into_iter().fold(None, |cur, item| {
        Some(pass(cur.as_ref().unwrap_or(src), item))
    })
}
