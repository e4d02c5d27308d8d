//! ONNX models on the CPU with tract (pure Rust: no system library, nothing
//! downloaded at build or run time).
//!
//! A model is parsed once; an optimised plan is built per concrete input shape
//! (N, C, D0, D1, D2) and cached, so a sliding window run builds one plan (two
//! when the last batch of windows is smaller). Matrix products run on the
//! current rayon pool (tract's `multithread-mm`), so `--threads` applies.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tract_linalg::multithread::Executor as TractExecutor;
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;
use tract_onnx::tract_hir::internal::DimLike;

use crate::error::{DlError, Result};

type Plan = Arc<TypedRunnableModel>;

/// A loaded ONNX model taking one float32 input (N, C, spatial…) and giving
/// one float32 output (N, K, spatial…) (the first output when there are several).
pub struct OnnxModel {
    name: String,
    model: InferenceModel,
    input_dims: Vec<Option<usize>>,
    plans: Mutex<HashMap<Vec<usize>, Plan>>,
}

impl std::fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxModel")
            .field("name", &self.name)
            .field("input_dims", &self.input_dims)
            .finish()
    }
}

/// One model output: values in C order and their shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Values, C order (last axis fastest).
    pub data: Vec<f32>,
    /// Shape, e.g. (N, K, D0, D1, D2).
    pub shape: Vec<usize>,
}

fn load_err(path: &Path, e: impl std::fmt::Display) -> DlError {
    DlError::Load {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

impl OnnxModel {
    /// Loads an ONNX file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| DlError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// Loads an ONNX model from memory (`path` names it in messages).
    pub fn from_bytes(bytes: &[u8], path: impl AsRef<Path>) -> Result<Self> {
        let path: PathBuf = path.as_ref().to_path_buf();
        if bytes.is_empty() {
            return Err(load_err(&path, "empty file"));
        }
        let model = tract_onnx::onnx()
            .model_for_read(&mut &*bytes)
            .map_err(|e| load_err(&path, format!("{e:#}")))?;
        if model.input_outlets().map(|o| o.len()).unwrap_or(0) != 1 {
            return Err(load_err(&path, "the model must have exactly one input"));
        }
        let fact = model
            .input_fact(0)
            .map_err(|e| load_err(&path, format!("{e:#}")))?;
        if let Some(dt) = fact.datum_type.concretize() {
            if dt != f32::datum_type() {
                return Err(load_err(
                    &path,
                    format!("the model input is {dt:?}, only float32 inputs are supported"),
                ));
            }
        }
        let input_dims = fact
            .shape
            .dims()
            .map(|d| d.concretize().and_then(|t| t.to_usize().ok()))
            .collect();
        Ok(OnnxModel {
            name: path.display().to_string(),
            model,
            input_dims,
            plans: Mutex::new(HashMap::new()),
        })
    }

    /// The model's name (its path).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The declared input dimensions (`None` where dynamic); empty when the model declares no rank.
    pub fn input_dims(&self) -> &[Option<usize>] {
        &self.input_dims
    }

    /// The declared number of input channels (axis 1), when fixed.
    pub fn input_channels(&self) -> Option<usize> {
        self.input_dims.get(1).copied().flatten()
    }

    fn run_err(&self, reason: impl Into<String>) -> DlError {
        DlError::Run {
            model: self.name.clone(),
            reason: reason.into(),
        }
    }

    /// Checks an input shape against the declared one.
    pub fn check_shape(&self, shape: &[usize]) -> Result<()> {
        if !self.input_dims.is_empty() && self.input_dims.len() != shape.len() {
            return Err(self.run_err(format!(
                "the model takes a rank-{} input, given shape {shape:?}",
                self.input_dims.len()
            )));
        }
        for (axis, (want, &got)) in self.input_dims.iter().zip(shape).enumerate() {
            if let Some(w) = want {
                if *w != got {
                    let what = match axis {
                        0 => "batch size".to_string(),
                        1 => "channel count".to_string(),
                        a => format!("size of axis {a}"),
                    };
                    return Err(self.run_err(format!(
                        "the model's {what} is {w}, the input has {got} (input shape {shape:?})"
                    )));
                }
            }
        }
        Ok(())
    }

    fn plan(&self, shape: &[usize]) -> Result<Plan> {
        if let Some(p) = self
            .plans
            .lock()
            .map_err(|_| self.run_err("poisoned"))?
            .get(shape)
        {
            return Ok(p.clone());
        }
        self.check_shape(shape)?;
        let typed = self
            .model
            .clone()
            .with_input_fact(0, f32::fact(shape.to_vec()).into())
            .and_then(|m| m.into_optimized())
            .map_err(|e| self.run_err(format!("cannot build a plan for input {shape:?}: {e:#}")))?;
        let opts = RunOptions {
            executor: Some(TractExecutor::RayonGlobal),
            ..Default::default()
        };
        let plan = typed
            .into_runnable_with_options(&opts)
            .map_err(|e| self.run_err(format!("cannot build a plan for input {shape:?}: {e:#}")))?;
        self.plans
            .lock()
            .map_err(|_| self.run_err("poisoned"))?
            .insert(shape.to_vec(), plan.clone());
        Ok(plan)
    }

    /// Builds (and caches) the plan for an input shape without running it.
    pub fn prepare(&self, shape: &[usize]) -> Result<()> {
        self.plan(shape).map(|_| ())
    }

    /// Runs the model on `input` (C order) of shape `shape`.
    pub fn run(&self, input: &[f32], shape: &[usize]) -> Result<Prediction> {
        let n: usize = shape.iter().product();
        if n != input.len() {
            return Err(self.run_err(format!(
                "{} values given for input shape {shape:?}",
                input.len()
            )));
        }
        let plan = self.plan(shape)?;
        let t = Tensor::from_shape(shape, input).map_err(|e| self.run_err(format!("{e:#}")))?;
        let out = plan
            .run(tvec!(t.into()))
            .map_err(|e| self.run_err(format!("{e:#}")))?;
        let first = out
            .first()
            .ok_or_else(|| self.run_err("the model gave no output"))?;
        let view = first
            .to_plain_array_view::<f32>()
            .map_err(|e| self.run_err(format!("output: {e:#}")))?;
        let shape = view.shape().to_vec();
        let data: Vec<f32> = match view.as_slice() {
            Some(s) => s.to_vec(),
            None => view.iter().copied().collect(),
        };
        Ok(Prediction { data, shape })
    }
}
