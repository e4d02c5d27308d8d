//! Sliding-window inference with MONAI's semantics
//! (`monai.inferers.sliding_window_inference`, MONAI 1.6).
//!
//! For an input (C, D0, D1, D2) and a window (`roi`) per axis:
//! * **Window size**: `roi[k] == 0` means the whole axis (MONAI's non-positive roi).
//! * **Padding**: an axis shorter than the window is padded with `cval` on both sides,
//!   `(roi − size) / 2` (floor) before and the rest after; the result is cropped back.
//! * **Step**: `int(roi · (1 − overlap))` (at least 1), or the whole axis when
//!   `roi == padded size`.
//! * **Window starts**: 0, step, 2·step, … up to the first start whose window reaches
//!   the end, that one moved back to `size − roi`; windows in C order of their starts
//!   (axis 0 slowest), `batch` windows per model call.
//! * **Blending**: output = Σ(prediction · w) / Σ w, with w = 1 (`Constant`) or the
//!   separable Gaussian `exp(−x² / (2σ²))`, `x` the offset from the window centre,
//!   σ = `sigma_scale` · roi, clamped below at `max(min w, 0.001)` (`Gaussian`), all in
//!   float32 as MONAI computes it.
//!
//! Memory: the output and the weight sum over the (padded) volume plus one batch of
//! windows; nothing is kept per window. Checked against MONAI 1.6.1's outputs on a
//! real input (`tests/sliding_window.rs`: ≤ 1e-4, the network in tract against
//! onnxruntime in MONAI's run; the window placement and blending alone reproduce it within 2e-7).
//!
//! ```
//! use medvox_dl::sliding::{window_starts, Blend, SlidingWindow};
//! // 50 voxels, window 24, overlap 0.25: step 18, starts 0, 18, 26.
//! assert_eq!(window_starts(50, 24, 0.25), vec![0, 18, 26]);
//! let sw = SlidingWindow { roi: [24, 24, 24], blend: Blend::Gaussian, ..Default::default() };
//! assert_eq!(sw.overlap, [0.25; 3]);
//! ```

use ndarray::{s, Array3, Array4, ArrayView4, Axis};

use crate::error::{DlError, Result};

const OP: &str = "sliding-window";

/// How overlapping windows are blended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Blend {
    /// Every voxel of a window weighs 1 (MONAI `constant`).
    #[default]
    Constant,
    /// A Gaussian centred in the window (MONAI `gaussian`).
    Gaussian,
}

impl std::str::FromStr for Blend {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "constant" => Ok(Blend::Constant),
            "gaussian" => Ok(Blend::Gaussian),
            _ => Err(format!("blend must be constant or gaussian, got {s:?}")),
        }
    }
}

/// Sliding-window parameters (MONAI's names and defaults, except `roi`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlidingWindow {
    /// Window size per axis (0 = the whole axis).
    pub roi: [usize; 3],
    /// Fraction of overlap between neighbouring windows per axis, in [0, 1).
    pub overlap: [f64; 3],
    /// Blending of overlapping windows.
    pub blend: Blend,
    /// σ of the Gaussian as a fraction of the window size, per axis.
    pub sigma_scale: [f64; 3],
    /// Windows per model call (MONAI `sw_batch_size`).
    pub batch: usize,
    /// Value of padded voxels.
    pub cval: f32,
}

impl Default for SlidingWindow {
    fn default() -> Self {
        SlidingWindow {
            roi: [96, 96, 96],
            overlap: [0.25; 3],
            blend: Blend::Constant,
            sigma_scale: [0.125; 3],
            batch: 1,
            cval: 0.0,
        }
    }
}

/// Window starts along one axis of (padded) length `size` (see the module doc).
pub fn window_starts(size: usize, roi: usize, overlap: f64) -> Vec<usize> {
    let roi = roi.min(size).max(1);
    let step = if roi == size {
        roi
    } else {
        ((roi as f64 * (1.0 - overlap)) as usize).max(1)
    };
    let num = size.div_ceil(step);
    let count = (0..num)
        .find(|d| d * step + roi >= size)
        .map_or(1, |d| d + 1);
    (0..count)
        .map(|i| {
            let st = i * step;
            st - (st + roi).saturating_sub(size)
        })
        .collect()
}

/// MONAI's importance map for a window, (roi0, roi1, roi2), C order.
pub fn importance_map(roi: [usize; 3], blend: Blend, sigma_scale: [f64; 3]) -> Array3<f32> {
    match blend {
        Blend::Constant => Array3::ones((roi[0], roi[1], roi[2])),
        Blend::Gaussian => {
            let g: Vec<Vec<f32>> = (0..3)
                .map(|a| {
                    let sigma = roi[a] as f64 * sigma_scale[a];
                    let den = (-2.0 * sigma * sigma) as f32;
                    let start = -((roi[a] as f32 - 1.0) / 2.0);
                    (0..roi[a])
                        .map(|i| {
                            let x = start + i as f32;
                            (x * x / den).exp()
                        })
                        .collect()
                })
                .collect();
            let mut m = Array3::from_shape_fn((roi[0], roi[1], roi[2]), |(i, j, k)| {
                g[0][i] * g[1][j] * g[2][k]
            });
            let min = m.iter().copied().fold(f32::INFINITY, f32::min);
            let floor = min.max(1e-3);
            m.mapv_inplace(|v| v.max(floor));
            m
        }
    }
}

/// Runs `predict` over windows of `input` (C, D0, D1, D2) and blends the results
/// into one (K, D0, D1, D2) volume (see the module doc).
///
/// `predict` takes a batch of windows (C order, shape (n, C, roi0, roi1, roi2)) and
/// returns (n, K, roi0, roi1, roi2) values in C order with that shape.
/// `progress(done, total)` is called after each batch.
pub fn sliding_window_inference<F>(
    input: ArrayView4<'_, f32>,
    sw: &SlidingWindow,
    mut predict: F,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Array4<f32>>
where
    F: FnMut(&[f32], [usize; 5]) -> Result<(Vec<f32>, Vec<usize>)>,
{
    let (c, d0, d1, d2) = input.dim();
    let size = [d0, d1, d2];
    if c == 0 || size.contains(&0) {
        return Err(DlError::Input {
            op: OP,
            reason: format!("empty input of shape {:?}", input.dim()),
        });
    }
    if sw.batch == 0 {
        return Err(DlError::Input {
            op: OP,
            reason: "the window batch size must be at least 1".into(),
        });
    }
    for a in 0..3 {
        if !(0.0..1.0).contains(&sw.overlap[a]) {
            return Err(DlError::Input {
                op: OP,
                reason: format!("overlap must be in [0, 1), got {}", sw.overlap[a]),
            });
        }
        if sw.blend == Blend::Gaussian
            && !(sw.sigma_scale[a] > 0.0 && sw.sigma_scale[a].is_finite())
        {
            return Err(DlError::Input {
                op: OP,
                reason: format!("sigma scale must be > 0, got {}", sw.sigma_scale[a]),
            });
        }
    }
    let roi: [usize; 3] = std::array::from_fn(|a| if sw.roi[a] == 0 { size[a] } else { sw.roi[a] });
    let padded: [usize; 3] = std::array::from_fn(|a| size[a].max(roi[a]));
    let before: [usize; 3] = std::array::from_fn(|a| (padded[a] - size[a]) / 2);
    let needs_pad = padded != size;
    let padded_input;
    let src = if needs_pad {
        let mut p = Array4::from_elem((c, padded[0], padded[1], padded[2]), sw.cval);
        p.slice_mut(s![
            ..,
            before[0]..before[0] + d0,
            before[1]..before[1] + d1,
            before[2]..before[2] + d2
        ])
        .assign(&input);
        padded_input = p;
        padded_input.view()
    } else {
        input
    };
    let starts: Vec<Vec<usize>> = (0..3)
        .map(|a| window_starts(padded[a], roi[a], sw.overlap[a]))
        .collect();
    let mut windows = Vec::new();
    for &i in &starts[0] {
        for &j in &starts[1] {
            for &k in &starts[2] {
                windows.push([i, j, k]);
            }
        }
    }
    let w = importance_map(roi, sw.blend, sw.sigma_scale);
    let wlen = roi[0] * roi[1] * roi[2];
    let w_flat = w.as_slice().expect("standard layout");
    let mut count = Array3::<f32>::zeros((padded[0], padded[1], padded[2]));
    let mut out: Option<Array4<f32>> = None;
    let mut classes = 0usize;
    let total = windows.len();
    let mut buf: Vec<f32> = Vec::new();
    for (bi, batch) in windows.chunks(sw.batch).enumerate() {
        buf.clear();
        for st in batch {
            let v = src.slice(s![
                ..,
                st[0]..st[0] + roi[0],
                st[1]..st[1] + roi[1],
                st[2]..st[2] + roi[2]
            ]);
            buf.extend(v.iter().copied());
        }
        let shape = [batch.len(), c, roi[0], roi[1], roi[2]];
        let (pred, pshape) = predict(&buf, shape)?;
        if pshape.len() != 5 || pshape[0] != batch.len() || pshape[2..] != roi[..] || pshape[1] == 0
        {
            return Err(DlError::Input {
                op: OP,
                reason: format!(
                    "the model gave an output of shape {pshape:?} for windows of shape {shape:?}; \
                     expected (n, classes, {}, {}, {})",
                    roi[0], roi[1], roi[2]
                ),
            });
        }
        if pred.len() != pshape.iter().product::<usize>() {
            return Err(DlError::Input {
                op: OP,
                reason: "the model output has the wrong number of values".into(),
            });
        }
        if bi == 0 {
            classes = pshape[1];
        } else if pshape[1] != classes {
            return Err(DlError::Input {
                op: OP,
                reason: "the number of output channels changed between windows".into(),
            });
        }
        let out =
            out.get_or_insert_with(|| Array4::zeros((classes, padded[0], padded[1], padded[2])));
        for (n, st) in batch.iter().enumerate() {
            for k in 0..classes {
                let p = &pred[(n * classes + k) * wlen..(n * classes + k + 1) * wlen];
                let mut o = out.slice_mut(s![
                    k,
                    st[0]..st[0] + roi[0],
                    st[1]..st[1] + roi[1],
                    st[2]..st[2] + roi[2]
                ]);
                add_weighted(&mut o, p, w_flat, roi);
            }
            let mut cm = count.slice_mut(s![
                st[0]..st[0] + roi[0],
                st[1]..st[1] + roi[1],
                st[2]..st[2] + roi[2]
            ]);
            add_weighted(&mut cm, w_flat, &[], roi);
        }
        progress((bi * sw.batch + batch.len()).min(total), total);
    }
    let mut out = out.expect("at least one window");
    for mut ch in out.axis_iter_mut(Axis(0)) {
        ndarray::Zip::from(&mut ch)
            .and(&count)
            .for_each(|o, &n| *o /= n);
    }
    if needs_pad {
        out = out
            .slice(s![
                ..,
                before[0]..before[0] + d0,
                before[1]..before[1] + d1,
                before[2]..before[2] + d2
            ])
            .to_owned();
    }
    Ok(out)
}

/// `o += p · w` over a window (`w` empty: `o += p`), both in C order of `roi`.
fn add_weighted(o: &mut ndarray::ArrayViewMut3<'_, f32>, p: &[f32], w: &[f32], roi: [usize; 3]) {
    let row = roi[2];
    let mut idx = 0;
    for mut plane in o.outer_iter_mut() {
        for mut line in plane.outer_iter_mut() {
            let pl = &p[idx..idx + row];
            if w.is_empty() {
                line.iter_mut().zip(pl).for_each(|(o, &p)| *o += p);
            } else {
                let wl = &w[idx..idx + row];
                line.iter_mut()
                    .zip(pl.iter().zip(wl))
                    .for_each(|(o, (&p, &w))| *o += p * w);
            }
            idx += row;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_follow_monai() {
        assert_eq!(window_starts(50, 24, 0.25), vec![0, 18, 26]);
        assert_eq!(window_starts(59, 24, 0.5), vec![0, 12, 24, 35]);
        assert_eq!(window_starts(64, 64, 0.25), vec![0]);
        assert_eq!(window_starts(10, 3, 0.9), (0..8).collect::<Vec<_>>());
    }

    #[test]
    fn identity_model_gives_the_input_back() {
        let x = Array4::from_shape_fn((1, 9, 7, 5), |(_, i, j, k)| (i * 100 + j * 10 + k) as f32);
        for blend in [Blend::Constant, Blend::Gaussian] {
            let sw = SlidingWindow {
                roi: [4, 8, 3],
                blend,
                batch: 3,
                ..Default::default()
            };
            let y = sliding_window_inference(
                x.view(),
                &sw,
                |b, s| Ok((b.to_vec(), s.to_vec())),
                &mut |_, _| {},
            )
            .unwrap();
            assert_eq!(y.dim(), x.dim());
            for (a, b) in y.iter().zip(x.iter()) {
                assert!((a - b).abs() <= 1e-3 * b.abs().max(1.0), "{a} {b}");
            }
        }
    }
}
