//! A segmentation network on a whole volume: channels in, the network's axis
//! order, sliding windows (MONAI semantics), and probabilities or labels out on
//! the input's grid with its geometry.
//!
//! * **Axis order**: a network sees (N, C, D0, D1, D2). `xyz` (default) gives it the
//!   volume's x, y, z as D0, D1, D2 — nibabel's and MONAI's loaders' order; `zyx`
//!   gives z, y, x (the x-fastest memory order as is).
//! * **Reorientation**: `ras` first reorients to the closest canonical RAS
//!   orientation (nibabel `as_closest_canonical`), and back after.
//! * **Output**: the blended network output per channel (`Raw`), a softmax over the
//!   channels of it (`Softmax`), or the index of the largest channel (`Argmax`, the
//!   first on ties), as u8 labels.

use medvox_core::Volume;
use ndarray::{Array4, Axis};

use crate::error::{DlError, Result};
use crate::model::OnnxModel;
use crate::orient::{from_canonical, to_canonical, Canonical};
use crate::sliding::{sliding_window_inference, SlidingWindow};

/// Which volume axis is which network axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AxisOrder {
    /// Network axes (x, y, z): nibabel / MONAI order.
    #[default]
    Xyz,
    /// Network axes (z, y, x).
    Zyx,
}

/// Reorientation before inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reorient {
    /// The volume's own index axes.
    #[default]
    None,
    /// Closest canonical RAS orientation (and back after).
    Ras,
}

/// What is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputKind {
    /// The blended network output, one volume per channel.
    #[default]
    Raw,
    /// Softmax over the channels of the blended output.
    Softmax,
    /// Index of the largest channel (u8 labels).
    Argmax,
}

/// Parameters of [`infer_volume`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct InferParams {
    /// Sliding-window parameters.
    pub window: SlidingWindow,
    /// Axis order of the network.
    pub axes: AxisOrder,
    /// Reorientation.
    pub reorient: Reorient,
    /// Output kind.
    pub output: OutputKind,
}

/// The result of [`infer_volume`].
#[derive(Debug, Clone, PartialEq)]
pub enum InferOutput {
    /// One volume per output channel (probabilities or raw outputs).
    Channels(Vec<Volume<f32>>),
    /// Labels (argmax).
    Labels(Volume<u8>),
}

const OP: &str = "infer";

/// Runs `model` over a volume given as one volume per input channel.
pub fn infer_volume(
    model: &OnnxModel,
    channels: &[Volume<f32>],
    p: &InferParams,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<InferOutput> {
    let Some(first) = channels.first() else {
        return Err(DlError::Input {
            op: OP,
            reason: "no input volume".into(),
        });
    };
    let size = first.size();
    if channels.iter().any(|c| c.size() != size) {
        return Err(DlError::Input {
            op: OP,
            reason: "the input channels differ in size".into(),
        });
    }
    if let Some(want) = model.input_channels() {
        if want != channels.len() {
            return Err(DlError::Input {
                op: OP,
                reason: format!(
                    "the model takes {want} input channel(s), the input has {}",
                    channels.len()
                ),
            });
        }
    }
    if !model.input_dims().is_empty() && model.input_dims().len() != 5 {
        return Err(DlError::Input {
            op: OP,
            reason: format!(
                "the model takes a rank-{} input; only 3D networks (N, C, D, H, W) are supported",
                model.input_dims().len()
            ),
        });
    }
    if channels
        .iter()
        .any(|c| c.as_slice().iter().any(|v| !v.is_finite()))
    {
        return Err(DlError::Input {
            op: OP,
            reason: "the input holds NaN or infinite values".into(),
        });
    }
    let mut c = match p.reorient {
        Reorient::None => Canonical::IDENTITY,
        Reorient::Ras => Canonical::closest_ras(first.geometry()),
    };
    if p.axes == AxisOrder::Zyx {
        c.perm.reverse();
        c.flip.reverse();
    }
    let net_shape = c.shape(size);
    let mut x = Array4::<f32>::zeros((channels.len(), net_shape[0], net_shape[1], net_shape[2]));
    for (k, ch) in channels.iter().enumerate() {
        x.index_axis_mut(Axis(0), k).assign(&to_canonical(ch, &c));
    }
    let mut out = sliding_window_inference(
        x.view(),
        &p.window,
        |b, s| model.run(b, &s).map(|r| (r.data, r.shape)),
        progress,
    )?;
    drop(x);
    let g = first.geometry();
    match p.output {
        OutputKind::Argmax => {
            let k = out.dim().0;
            if k > 256 {
                return Err(DlError::Input {
                    op: OP,
                    reason: format!("{k} classes do not fit u8 labels"),
                });
            }
            let labels = out.map_axis(Axis(0), |v| {
                let mut best = 0usize;
                for (i, &x) in v.iter().enumerate() {
                    if x > v[best] {
                        best = i;
                    }
                }
                best as u8
            });
            Ok(InferOutput::Labels(from_canonical(labels.view(), &c, g)?))
        }
        kind => {
            if kind == OutputKind::Softmax {
                for mut lane in out.lanes_mut(Axis(0)) {
                    let m = lane.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    lane.mapv_inplace(|v| (v - m).exp());
                    let s: f32 = lane.sum();
                    lane.mapv_inplace(|v| v / s);
                }
            }
            let vols = out
                .axis_iter(Axis(0))
                .map(|a| from_canonical(a, &c, g))
                .collect::<Result<Vec<_>>>()?;
            Ok(InferOutput::Channels(vols))
        }
    }
}
