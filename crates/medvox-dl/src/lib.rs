//! medvox-dl: deep-learning inference on medical volumes.
//!
//! * [`model::OnnxModel`] — ONNX models on the CPU with tract (pure Rust, offline;
//!   plans cached per input shape, matrix products on the rayon pool).
//! * [`sliding`] — sliding-window inference with MONAI's semantics (window placement,
//!   padding, constant/Gaussian blending), streaming into one output.
//! * [`infer`] — a model on a whole volume: axis order, sliding windows, argmax/softmax.
//! * [`deepbet`] — deepbet brain extraction (two pretrained networks, the original
//!   pre- and post-processing).
//! * [`orient`] — closest canonical RAS orientation, as nibabel.
//! * [`ops`] — the registry entries `infer` and `brain-extract` ([`register`]).
//!
//! GPU execution (wgpu) is not implemented yet: every model runs on the CPU.

pub mod deepbet;
pub mod error;
pub mod infer;
pub mod model;
pub mod ops;
pub mod orient;
pub mod sliding;

pub use deepbet::{find_models, BetOutput, BetStages, BrainExtraction, Located};
pub use error::{DlError, Result};
pub use infer::{infer_volume, AxisOrder, InferOutput, InferParams, OutputKind, Reorient};
pub use model::{OnnxModel, Prediction};
pub use ops::register;
pub use sliding::{sliding_window_inference, Blend, SlidingWindow};
