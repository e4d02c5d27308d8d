//! deepbet brain extraction (Fisch et al. 2024, MIT) with its two pretrained
//! networks in ONNX, exactly as `deepbet.run_bet` 1.0.2 does it:
//!
//! 1. reorient to the closest canonical RAS orientation, float32, NaN → 0: `x` (X, Y, Z);
//! 2. `x_small` = `x` resized to 128³, nearest-exact (source = ⌊(i + ½)·in/out⌋);
//! 3. `low`, `high` = the 0.5 % and 99.5 % quantiles of `x_small` (linear, as `torch.quantile`);
//! 4. normalise(v) = clamp((v − low)/(high − low), 0, 1), z-scored (std with N − 1),
//!    then 0.226·v + 0.449;
//! 5. `bbox_model` on normalise(`x_small`), channel 1 > 0.5, largest 26-connected component;
//! 6. box: per axis the indices whose mean over the other two axes is > 0.02; centre
//!    (max + 1 + min)/2 and size max + 1 − min scaled by shape/128, size × 1.2, both
//!    rounded half to even, box = [int(c − s/2), int(c + s/2)) clipped to the volume;
//! 7. crop `x`, resize nearest-exact to 256³, normalise (same low/high, this array's
//!    mean/std), `model`, channel 1, resize nearest-exact back, paste into zeros;
//! 8. mask = probability > 0.5; inside the box keep the largest 26-connected component
//!    and fill enclosed holes (face connectivity, as `scipy.ndimage.binary_fill_holes`);
//!    back in the input's orientation, u8. TIV (cm³) = voxels × voxel volume / 1000.
//!
//! The models (`bbox_model.onnx`, `model.onnx`) are not embedded: [`find_models`]
//! looks in `--models DIR`, then `$MEDVOX_MODELS` (the folder itself or its
//! `deepbet/` subfolder).

use std::path::{Path, PathBuf};
use std::time::Instant;

use medvox_core::{Executor, Geometry, Volume};
use medvox_filters::{fill_holes, FillHolesParams};
use medvox_segment::{components, ComponentsParams, Connectivity};
use ndarray::{s, Array3, ArrayView3};

use crate::error::{DlError, Result};
use crate::model::OnnxModel;
use crate::orient::{from_canonical, to_canonical, Canonical};

/// Where to put the models, for error messages.
pub const MODELS_HELP: &str = "put deepbet's bbox_model.onnx and model.onnx in a folder and pass \
     --models DIR or set MEDVOX_MODELS=DIR (the folder itself or one holding a deepbet/ subfolder)";

/// The folder holding `bbox_model.onnx` and `model.onnx`: `dir` if given, else
/// `$MEDVOX_MODELS`; in either, the folder itself or its `deepbet/` subfolder.
pub fn find_models(dir: Option<&Path>) -> Result<PathBuf> {
    let base: PathBuf = match dir {
        Some(d) => d.to_path_buf(),
        None => match std::env::var_os("MEDVOX_MODELS") {
            Some(d) if !d.is_empty() => PathBuf::from(d),
            _ => {
                return Err(DlError::MissingModel(format!(
                    "brain-extract: no model folder given; {MODELS_HELP}"
                )))
            }
        },
    };
    for cand in [base.clone(), base.join("deepbet")] {
        if cand.join("bbox_model.onnx").is_file() && cand.join("model.onnx").is_file() {
            return Ok(cand);
        }
    }
    Err(DlError::MissingModel(format!(
        "brain-extract: {} holds no bbox_model.onnx and model.onnx (nor does its deepbet/ subfolder); {MODELS_HELP}",
        base.display()
    )))
}

/// The values the pipeline computes on the way (compare with deepbet's).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BetStages {
    /// Shape (X, Y, Z) after reorientation.
    pub canonical_shape: [usize; 3],
    /// 0.5 % quantile of the 128³ image.
    pub low: f32,
    /// 99.5 % quantile of the 128³ image.
    pub high: f32,
    /// Box per canonical axis, half-open.
    pub bbox: [[usize; 2]; 3],
    /// Voxels with probability > 0.5 before post-processing.
    pub prob_voxels: u64,
    /// Voxels of the final mask.
    pub mask_voxels: u64,
    /// Total intracranial volume, cm³.
    pub tiv_cm3: f64,
    /// Seconds: (bbox network, main network, everything).
    pub seconds: [f64; 3],
}

/// The mask (input grid, 1 = brain) and the stage values.
#[derive(Debug, Clone)]
pub struct BetOutput {
    /// Brain mask on the input's grid and geometry.
    pub mask: Volume<u8>,
    /// Stage values.
    pub stages: BetStages,
}

/// Steps 1–6: what [`BrainExtraction::locate`] finds.
#[derive(Debug, Clone)]
pub struct Located {
    /// The reorientation applied.
    pub canonical: Canonical,
    /// The reoriented image (X, Y, Z), NaN → 0.
    pub x: Array3<f32>,
    /// 0.5 % quantile of the 128³ image.
    pub low: f32,
    /// 99.5 % quantile of the 128³ image.
    pub high: f32,
    /// Box per canonical axis, half-open.
    pub bbox: [[usize; 2]; 3],
    /// Seconds in the bounding-box network.
    pub bbox_seconds: f64,
}

/// The two deepbet networks.
#[derive(Debug)]
pub struct BrainExtraction {
    bbox_model: OnnxModel,
    model: OnnxModel,
}

/// Resize with PyTorch's `nearest-exact`: source index ⌊(i + ½)·in/out⌋ (float32), clamped.
pub fn resize_nearest_exact(src: ArrayView3<'_, f32>, out: [usize; 3]) -> Array3<f32> {
    let (a, b, c) = src.dim();
    let idx = |n_in: usize, n_out: usize| -> Vec<usize> {
        let scale = n_in as f32 / n_out as f32;
        (0..n_out)
            .map(|i| (((i as f32 + 0.5) * scale).floor() as usize).min(n_in - 1))
            .collect()
    };
    let (ia, ib, ic) = (idx(a, out[0]), idx(b, out[1]), idx(c, out[2]));
    let mut dst = Array3::<f32>::zeros((out[0], out[1], out[2]));
    ndarray::Zip::indexed(&mut dst).par_for_each(|(i, j, k), v| *v = src[[ia[i], ib[j], ic[k]]]);
    dst
}

/// Quantile with linear interpolation between order statistics (`torch.quantile`).
pub fn quantile(data: &[f32], q: f64) -> f32 {
    let n = data.len();
    let pos = q * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let mut v = data.to_vec();
    v.select_nth_unstable_by(lo, |a, b| a.total_cmp(b));
    let a = v[lo];
    let b = if hi == lo {
        a
    } else {
        v[lo + 1..].iter().copied().fold(f32::INFINITY, f32::min)
    };
    (a as f64 + (b as f64 - a as f64) * (pos - lo as f64)) as f32
}

/// deepbet's normalisation (step 4 of the module doc).
pub fn normalise(x: &Array3<f32>, low: f32, high: f32) -> Array3<f32> {
    let range = high - low;
    let mut v = x.mapv(|t| ((t - low) / range).clamp(0.0, 1.0));
    let n = v.len() as f64;
    let mean = v.iter().map(|&t| t as f64).sum::<f64>() / n;
    let var = v.iter().map(|&t| (t as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let (mean, std) = (mean as f32, var.sqrt() as f32);
    v.mapv_inplace(|t| 0.226 * ((t - mean) / std) + 0.449);
    v
}

/// A canonical (X, Y, Z) array as a volume (memory order kept, so "x" there is Z).
fn as_volume<T: medvox_core::Pixel>(a: Array3<T>) -> Result<Volume<T>> {
    let (x, y, z) = a.dim();
    let a = if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    };
    let data = a.into_raw_vec_and_offset().0;
    Ok(Volume::from_vec([z, y, x], data, Geometry::default())?)
}

fn largest_component(mask: Array3<u8>, exec: &Executor) -> Result<Array3<u8>> {
    let dim = mask.dim();
    if !mask.iter().any(|&v| v != 0) {
        return Ok(mask);
    }
    let v = as_volume(mask)?;
    let p = ComponentsParams {
        connectivity: Connectivity::Full,
        keep_largest: true,
        ..Default::default()
    };
    let l = components(&v, &p, exec)?;
    let data: Vec<u8> = l
        .labels
        .as_slice()
        .iter()
        .map(|&x| u8::from(x == 1))
        .collect();
    Array3::from_shape_vec(dim, data).map_err(|e| DlError::Input {
        op: "brain-extract",
        reason: e.to_string(),
    })
}

impl BrainExtraction {
    /// Loads `bbox_model.onnx` and `model.onnx` from a folder.
    pub fn load(dir: &Path) -> Result<Self> {
        Ok(BrainExtraction {
            bbox_model: OnnxModel::load(dir.join("bbox_model.onnx"))?,
            model: OnnxModel::load(dir.join("model.onnx"))?,
        })
    }

    /// The main (256³) network.
    pub fn model(&self) -> &OnnxModel {
        &self.model
    }

    /// Runs one network on a (X, Y, Z) array; channel 1 of its output.
    fn brain_prob(m: &OnnxModel, x: &Array3<f32>) -> Result<Array3<f32>> {
        let (a, b, c) = x.dim();
        let shape = [1, 1, a, b, c];
        let p = m.run(x.as_slice().expect("standard layout"), &shape)?;
        if p.shape.len() != 5 || p.shape[1] < 2 || p.shape[2..] != [a, b, c] {
            return Err(DlError::Run {
                model: m.name().to_string(),
                reason: format!(
                    "expected an output (1, 2, {a}, {b}, {c}), got {:?}",
                    p.shape
                ),
            });
        }
        let n = a * b * c;
        Array3::from_shape_vec((a, b, c), p.data[n..2 * n].to_vec()).map_err(|e| DlError::Run {
            model: m.name().to_string(),
            reason: e.to_string(),
        })
    }

    /// Steps 1–6 of the module doc: the reoriented image, the quantiles and the box.
    pub fn locate(&self, t1: &Volume<f32>, exec: &Executor) -> Result<Located> {
        let size = t1.size();
        if size.iter().any(|&n| n < 2) {
            return Err(DlError::Input {
                op: "brain-extract",
                reason: format!("a 3D T1 volume is needed, got size {size:?}"),
            });
        }
        let c = Canonical::closest_ras(t1.geometry());
        let mut x = to_canonical(t1, &c);
        x.mapv_inplace(|v| if v.is_nan() { 0.0 } else { v });
        if x.iter().any(|v| !v.is_finite()) {
            return Err(DlError::Input {
                op: "brain-extract",
                reason: "the T1 volume holds infinite values".into(),
            });
        }
        let shape = [x.dim().0, x.dim().1, x.dim().2];
        let x_small = resize_nearest_exact(x.view(), [128; 3]);
        let flat = x_small.as_slice().expect("standard");
        let low = quantile(flat, 0.005);
        let high = quantile(flat, 0.995);
        if high.partial_cmp(&low) != Some(std::cmp::Ordering::Greater) {
            return Err(DlError::Input {
                op: "brain-extract",
                reason: format!("the image is flat (0.5 % and 99.5 % quantiles both {low})"),
            });
        }
        let t_b = Instant::now();
        let pb = Self::brain_prob(&self.bbox_model, &normalise(&x_small, low, high))?;
        let bbox_seconds = t_b.elapsed().as_secs_f64();
        let bmask = largest_component(pb.mapv(|p| u8::from(p > 0.5)), exec)?;
        // Box (step 6).
        let mut bbox = [[0usize; 2]; 3];
        for a in 0..3 {
            let counts: Vec<u64> = (0..128)
                .map(|i| {
                    bmask
                        .index_axis(ndarray::Axis(a), i)
                        .iter()
                        .map(|&v| v as u64)
                        .sum()
                })
                .collect();
            let idx: Vec<usize> = (0..128)
                .filter(|&i| counts[i] as f64 / (128.0 * 128.0) > 0.02)
                .collect();
            let (Some(&mn), Some(&mx)) = (idx.first(), idx.last()) else {
                return Err(DlError::Input {
                    op: "brain-extract",
                    reason: "the bounding-box network found no brain".into(),
                });
            };
            let scale = shape[a] as f64 / 128.0;
            let centre = ((mx + 1 + mn) as f64 / 2.0 * scale).round_ties_even();
            let sz = ((mx + 1 - mn) as f64 * scale * 1.2).round_ties_even();
            let lo = ((centre - sz / 2.0) as i64).clamp(0, shape[a] as i64) as usize;
            let hi = ((centre + sz / 2.0) as i64).clamp(0, shape[a] as i64) as usize;
            bbox[a] = [lo, hi.max(lo + 1).min(shape[a])];
        }
        Ok(Located {
            canonical: c,
            x,
            low,
            high,
            bbox,
            bbox_seconds,
        })
    }

    /// Runs the whole pipeline on a T1 volume (see the module doc).
    pub fn run(&self, t1: &Volume<f32>, exec: &Executor) -> Result<BetOutput> {
        let t0 = Instant::now();
        let Located {
            canonical: c,
            x,
            low,
            high,
            bbox,
            bbox_seconds: t_bbox,
        } = self.locate(t1, exec)?;
        let shape = [x.dim().0, x.dim().1, x.dim().2];
        let crop = x
            .slice(s![
                bbox[0][0]..bbox[0][1],
                bbox[1][0]..bbox[1][1],
                bbox[2][0]..bbox[2][1]
            ])
            .to_owned();
        let cshape = [crop.dim().0, crop.dim().1, crop.dim().2];
        let big = normalise(&resize_nearest_exact(crop.view(), [256; 3]), low, high);
        drop(crop);
        let t_m = Instant::now();
        let prob = Self::brain_prob(&self.model, &big)?;
        let t_model = t_m.elapsed().as_secs_f64();
        drop(big);
        let pcrop = resize_nearest_exact(prob.view(), cshape);
        let inner = pcrop.mapv(|p| u8::from(p > 0.5));
        let prob_voxels = inner.iter().map(|&v| v as u64).sum();
        let inner = largest_component(inner, exec)?;
        let filled = fill_holes(&as_volume(inner)?, &FillHolesParams::default(), exec)?;
        let inner = Array3::from_shape_vec(
            (cshape[0], cshape[1], cshape[2]),
            filled.as_slice().to_vec(),
        )
        .map_err(|e| DlError::Input {
            op: "brain-extract",
            reason: e.to_string(),
        })?;
        let mut full = Array3::<u8>::zeros((shape[0], shape[1], shape[2]));
        full.slice_mut(s![
            bbox[0][0]..bbox[0][1],
            bbox[1][0]..bbox[1][1],
            bbox[2][0]..bbox[2][1]
        ])
        .assign(&inner);
        let mask_voxels: u64 = full.iter().map(|&v| v as u64).sum();
        let sp = t1.geometry().spacing;
        let tiv_cm3 = mask_voxels as f64 * sp[0] * sp[1] * sp[2] / 1000.0;
        let mask = from_canonical(full.view(), &c, t1.geometry())?;
        Ok(BetOutput {
            mask,
            stages: BetStages {
                canonical_shape: shape,
                low,
                high,
                bbox,
                prob_voxels,
                mask_voxels,
                tiv_cm3,
                seconds: [t_bbox, t_model, t0.elapsed().as_secs_f64()],
            },
        })
    }
}
