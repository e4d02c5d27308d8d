//! medvox-engine: runs op specs and pipelines.
//!
//! * [`registry`] — the one [`Registry`] of every op crate's ops, built from
//!   [`BUILTIN`] (a new op crate adds one line there; see `medvox_ops`).
//! * [`device`] — one spec on the CPU or the GPU (`--device`, `device=`).
//! * [`pipeline`] — TOML pipelines: validation (step number and key in every
//!   error, closest names), dry-run plans, runs with per-step reports and timings.

pub mod device;
pub mod pipeline;

use std::sync::OnceLock;

pub use medvox_ops::{OpSpec, Registry};

/// Every op crate's `register` function: **one line per crate**.
pub const BUILTIN: &[fn(&mut Registry)] = &[
    medvox_filters::register,
    medvox_segment::register,
    medvox_radiomics::register,
    medvox_register::ops::register,
    medvox_dl::register,
    medvox_recon::register,
];

/// The registry of every built-in op (built once).
pub fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(|| {
        let mut r = Registry::new();
        for f in BUILTIN {
            f(&mut r);
        }
        r
    })
}
