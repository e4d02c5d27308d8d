//! medvox-ops: the [`Op`] trait and the one [`Registry`] of ops.
//!
//! Every op is registered once, by name, with a serde parameter struct, so the
//! CLI (`medvox run OP …` and the `filter`/`segment`/`label` aliases), TOML
//! pipelines, the Python module and cluster [`BlockTask`]s all call it the same
//! way: same names, same defaults, same meaning. The op itself stays a plain Rust
//! function on [`Volume`](medvox_core::Volume)s (`gaussian(&vol, &params, &exec)`);
//! the registry is a thin layer over it that adds
//!
//! * a unique name and a group (`filter`, `segment`, `label`: the CLI aliases);
//! * [`Op::Params`]: a [`params!`] struct whose fields are the command line's long
//!   option names with `-` → `_`, each with its default and doc in one place
//!   (`medvox ops --json` lists them);
//! * auxiliary volume inputs by name ([`AuxInfo`]: mask, markers, image,
//!   reference; never paths);
//! * a typed report ([`Op::Report`]: threshold chosen, component count…);
//! * [`Op::bind`]: validate the parameters against the input once and say what
//!   the engine plans from: [`Kind`] (local with a halo, reduce-then-local,
//!   global-with-merge, whole-volume), [`OutputType`] and the output grid.
//!
//! Dependencies point downwards: `medvox-ops` needs only `medvox-core`; op crates
//! (`medvox-filters`, `medvox-segment`, and new ones) depend on it; the engine
//! (`medvox-engine`) collects every op crate's `register` function into one registry.
//!
//! # How to add an op
//!
//! **One file plus one registration line.** In an op crate (say `medvox-filters`):
//!
//! 1. Write `src/my_op.rs` with the plain function (the library API), and beside it
//!    the parameters and the `impl Op`:
//!
//! ```
//! use medvox_core::{AnyVolume, Executor};
//! use medvox_ops::{Bound, Inputs, Kind, Op, Output, OutputType, Result, VolumeInfo};
//!
//! medvox_ops::params! {
//!     /// Parameters of `negate`.
//!     pub struct NegateParams {
//!         /// Value added after negation.
//!         offset: f64 = 0.0,
//!     }
//! }
//!
//! /// `negate`: offset − x, f32 out.
//! pub struct Negate;
//!
//! impl Op for Negate {
//!     type Params = NegateParams;
//!     type Report = ();
//!     fn name(&self) -> &'static str { "negate" }
//!     fn group(&self) -> &'static str { "filter" }
//!     fn doc(&self) -> &'static str { "offset − x (pointwise); f32 out." }
//!     fn bind(&self, _p: &NegateParams, input: &VolumeInfo) -> Result<Bound> {
//!         Ok(Bound::same_grid(Kind::POINTWISE, OutputType::Volume(medvox_core::PixelType::F32), input))
//!     }
//!     fn run(&self, p: &NegateParams, inputs: &Inputs<'_>, _exec: &Executor) -> Result<Output<()>> {
//!         let v = inputs.main.to_volume::<f32>();
//!         Ok(Output::volume(v.map(|x| p.offset as f32 - x)))
//!     }
//! }
//!
//! // 2. One line in the crate's `register` function (src/lib.rs):
//! pub fn register(r: &mut medvox_ops::Registry) {
//!     r.add(Negate);
//! }
//!
//! let mut r = medvox_ops::Registry::new();
//! register(&mut r);
//! let spec = medvox_ops::OpSpec::new("negate").with("offset", 1.0);
//! let vol: AnyVolume = medvox_core::Volume::<i16>::zeros([2, 2, 1], Default::default()).unwrap().into();
//! let out = r.run(&spec, &Inputs::main(&vol), &Executor::default()).unwrap();
//! ```
//!
//! Errors: return [`OpsError::Invalid`] for parameters that do not fit the input
//! (from `bind`); the crate's own error converts with `?` once the crate has
//! `impl From<MyError> for OpsError { fn from(e) -> Self { OpsError::Failed(Box::new(e)) } }`.
//! Aux inputs: override [`Op::aux`] and read them with [`Inputs::require`].
//!
//! **A new op crate** (registration, reconstruction, radiomics, inference…):
//! depend on `medvox-ops` (and `serde`), expose
//! `pub fn register(r: &mut medvox_ops::Registry)` that calls `r.add(…)` once per op,
//! then add the crate to `crates/medvox-engine/Cargo.toml` and **one line** to the
//! `BUILTIN` list in `crates/medvox-engine/src/lib.rs`. Its ops then appear in
//! `medvox ops`, `medvox run`, pipelines and the conformance tests with no CLI code.
//! Names must be unique across the registry (a test checks).

pub mod error;
pub mod op;
pub mod param;
pub mod registry;
pub mod spec;

pub use error::{BoxError, OpsError, Result};
pub use op::{AuxInfo, Bound, Data, Inputs, Kind, Op, Output, OutputType, Table, VolumeInfo};
pub use param::{Describe, ParamInfo, ParamKind, ParamType, Triple};
pub use registry::{DynOp, DynOutput, OpInfo, Registry};
pub use spec::{crop, BlockTask, OpSpec};

#[doc(hidden)]
pub use serde_json;
