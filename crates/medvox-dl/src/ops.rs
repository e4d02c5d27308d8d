//! The registry entries of this crate ([`register`]): `infer` (an ONNX network
//! over a volume with MONAI's sliding windows) and `brain-extract` (deepbet).
//! Both are whole-volume ops; each is a thin call of the plain function
//! ([`infer_volume`], [`BrainExtraction::run`]). See `medvox_ops` ("How to add an op").
//!
//! Parameters never hold paths of volumes; the model file (`infer`) and the
//! model folder (`brain-extract`) are given as text parameters.

use medvox_core::{Executor, PixelType, Volume};
use medvox_ops::{
    Bound, Inputs, Kind, Op, OpsError, Output, OutputType, Registry, Result, Triple, VolumeInfo,
};
use serde::Serialize;

use crate::deepbet::{find_models, BetStages, BrainExtraction};
use crate::error::DlError;
use crate::infer::{infer_volume, AxisOrder, InferOutput, InferParams, OutputKind, Reorient};
use crate::model::OnnxModel;
use crate::sliding::{Blend, SlidingWindow};

impl From<DlError> for OpsError {
    fn from(e: DlError) -> Self {
        OpsError::Failed(Box::new(e))
    }
}

/// Registers `infer` and `brain-extract`.
pub fn register(r: &mut Registry) {
    r.add(Infer);
    r.add(BrainExtract);
}

medvox_ops::choice! {
    /// Blending of overlapping windows (MONAI `mode`).
    pub enum BlendArg {
        /// Every voxel of a window weighs 1.
        Constant = "constant",
        /// A Gaussian centred in the window.
        Gaussian = "gaussian",
    }
}

medvox_ops::choice! {
    /// Order in which the network's spatial axes take the volume's axes.
    pub enum AxesArg {
        /// Network axes (x, y, z): nibabel / MONAI order.
        Xyz = "xyz",
        /// Network axes (z, y, x).
        Zyx = "zyx",
    }
}

medvox_ops::choice! {
    /// Reorientation before inference (and back after).
    pub enum ReorientArg {
        /// The volume's own index axes.
        None = "none",
        /// Closest canonical RAS orientation.
        Ras = "RAS",
    }
}

medvox_ops::choice! {
    /// What `infer` writes.
    pub enum InferOutputArg {
        /// u8 labels: the index of the largest channel.
        Labels = "labels",
        /// f32: one channel of the network output.
        Probability = "probability",
    }
}

medvox_ops::params! {
    /// Parameters of the `infer` op.
    pub struct InferOpParams {
        /// ONNX model file (N, C, D0, D1, D2) → (N, K, D0, D1, D2), float32; one input channel here.
        model: String = String::new(),
        /// Window size in voxels per network axis (x,y,z with --axes xyz; 0 = the whole axis).
        window: Triple<usize> = Triple::all(96),
        /// Overlap of neighbouring windows, in [0, 1) (MONAI `overlap`).
        overlap: f64 = 0.25,
        /// Blending of overlapping windows (MONAI `mode`).
        blend: BlendArg = BlendArg::Constant,
        /// σ of the Gaussian blend as a fraction of the window (MONAI `sigma_scale`).
        sigma_scale: f64 = 0.125,
        /// Windows per model call (MONAI `sw_batch_size`).
        batch: usize = 1,
        /// Network axis order: xyz (nibabel/MONAI) or zyx.
        axes: AxesArg = AxesArg::Xyz,
        /// Reorient to the closest canonical RAS orientation first (and back after).
        reorient: ReorientArg = ReorientArg::None,
        /// labels (u8, argmax over the output channels) or probability (f32, one channel).
        output: InferOutputArg = InferOutputArg::Labels,
        /// Output channel written with output = probability.
        channel: usize = 1,
        /// Softmax over the output channels first (networks that output logits).
        softmax: bool = false,
    }
}

impl InferOpParams {
    /// The library parameters (window in network axis order).
    pub fn to_params(&self) -> InferParams {
        let axes = match self.axes {
            AxesArg::Xyz => AxisOrder::Xyz,
            AxesArg::Zyx => AxisOrder::Zyx,
        };
        let mut roi = self.window.0;
        if axes == AxisOrder::Zyx {
            roi.reverse();
        }
        InferParams {
            window: SlidingWindow {
                roi,
                overlap: [self.overlap; 3],
                blend: match self.blend {
                    BlendArg::Constant => Blend::Constant,
                    BlendArg::Gaussian => Blend::Gaussian,
                },
                sigma_scale: [self.sigma_scale; 3],
                batch: self.batch,
                cval: 0.0,
            },
            axes,
            reorient: match self.reorient {
                ReorientArg::None => Reorient::None,
                ReorientArg::Ras => Reorient::Ras,
            },
            output: match (self.output, self.softmax) {
                (InferOutputArg::Labels, _) => OutputKind::Argmax,
                (InferOutputArg::Probability, true) => OutputKind::Softmax,
                (InferOutputArg::Probability, false) => OutputKind::Raw,
            },
        }
    }
}

/// What `infer` reports.
#[derive(Debug, Clone, Serialize)]
pub struct InferReport {
    /// Output channels of the network.
    pub classes: usize,
    /// Windows run.
    pub windows: usize,
}

/// The `infer` op.
pub struct Infer;

impl Op for Infer {
    type Params = InferOpParams;
    type Report = InferReport;
    fn name(&self) -> &'static str {
        "infer"
    }
    fn group(&self) -> &'static str {
        "dl"
    }
    fn doc(&self) -> &'static str {
        "ONNX segmentation network over the volume with MONAI's sliding windows (window, overlap, constant/Gaussian blending, padding of small images); labels (u8 argmax) or one channel's probability (f32) on the input's grid. Equals MONAI sliding_window_inference within 1e-4 (tract vs the onnxruntime network MONAI ran)."
    }
    fn bind(&self, p: &InferOpParams, input: &VolumeInfo) -> Result<Bound> {
        let bad = |r: String| Err(OpsError::invalid("infer", r));
        if p.model.is_empty() {
            return bad("parameter `model` (the ONNX file) is required".into());
        }
        if !(0.0..1.0).contains(&p.overlap) {
            return bad(format!("overlap must be in [0, 1), got {}", p.overlap));
        }
        if p.batch == 0 {
            return bad("batch must be at least 1".into());
        }
        if !(p.sigma_scale > 0.0 && p.sigma_scale.is_finite()) {
            return bad(format!("sigma_scale must be > 0, got {}", p.sigma_scale));
        }
        let out = match p.output {
            InferOutputArg::Labels => PixelType::U8,
            InferOutputArg::Probability => PixelType::F32,
        };
        Ok(Bound::same_grid(
            Kind::WholeVolume,
            OutputType::Volume(out),
            input,
        ))
    }
    fn run(
        &self,
        p: &InferOpParams,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> Result<Output<InferReport>> {
        let model = OnnxModel::load(&p.model)?;
        let x: Volume<f32> = inputs.main.to_volume();
        let mut windows = 0;
        let out = exec.install(|| {
            infer_volume(
                &model,
                std::slice::from_ref(&x),
                &p.to_params(),
                &mut |_, n| windows = n,
            )
        })?;
        match out {
            InferOutput::Labels(l) => Ok(Output {
                data: medvox_ops::Data::Volume(l.into()),
                report: InferReport {
                    classes: 0,
                    windows,
                },
            }),
            InferOutput::Channels(mut vols) => {
                let classes = vols.len();
                if p.channel >= classes {
                    return Err(OpsError::invalid(
                        "infer",
                        format!(
                            "channel {} asked for, the model gives {classes} channel(s)",
                            p.channel
                        ),
                    ));
                }
                Ok(Output {
                    data: medvox_ops::Data::Volume(vols.swap_remove(p.channel).into()),
                    report: InferReport { classes, windows },
                })
            }
        }
    }
}

medvox_ops::params! {
    /// Parameters of the `brain-extract` op.
    pub struct BrainExtractParams {
        /// Folder with deepbet's bbox_model.onnx and model.onnx (default: $MEDVOX_MODELS).
        models: Option<String> = None,
    }
}

/// The `brain-extract` op: deepbet on a T1 volume, a u8 brain mask out.
pub struct BrainExtract;

impl Op for BrainExtract {
    type Params = BrainExtractParams;
    type Report = BetStages;
    fn name(&self) -> &'static str {
        "brain-extract"
    }
    fn group(&self) -> &'static str {
        "dl"
    }
    fn doc(&self) -> &'static str {
        "deepbet brain extraction of a T1 MR volume (two pretrained networks, the original pipeline's pre- and post-processing); u8 mask (1 = brain) on the input's grid; report: quantiles, box, voxel counts, TIV (cm³). Dice ≥ 0.999 with the original PyTorch pipeline on the MNI152 T1."
    }
    fn bind(&self, _p: &BrainExtractParams, input: &VolumeInfo) -> Result<Bound> {
        if input.size.iter().any(|&n| n < 2) {
            return Err(OpsError::invalid(
                "brain-extract",
                format!("a 3D T1 volume is needed, got size {:?}", input.size),
            ));
        }
        Ok(Bound::same_grid(
            Kind::WholeVolume,
            OutputType::Volume(PixelType::U8),
            input,
        ))
    }
    fn run(
        &self,
        p: &BrainExtractParams,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> Result<Output<BetStages>> {
        let dir = find_models(p.models.as_deref().map(std::path::Path::new))?;
        let bet = BrainExtraction::load(&dir)?;
        let t1: Volume<f32> = inputs.main.to_volume();
        let out = exec.install(|| bet.run(&t1, exec))?;
        Ok(Output {
            data: medvox_ops::Data::Volume(out.mask.into()),
            report: out.stages,
        })
    }
}
