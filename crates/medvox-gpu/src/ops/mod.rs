//! The GPU kernels, one file per op (each with its `.wgsl`), recording dispatches
//! into a command encoder so a chain of ops is one submit.

pub mod components;
pub mod gradient;
pub mod histogram;
pub mod median;
pub mod morphology;
pub mod otsu;
pub mod pointwise;
pub mod resample;
pub mod separable;
pub mod sobel;
