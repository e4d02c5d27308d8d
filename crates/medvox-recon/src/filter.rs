//! Ramp filters for filtered backprojection, defined as scikit-image's `iradon` defines them.
//!
//! The discrete Ram-Lak kernel `h[0] = 1/4`, `h[n odd] = −1/(πn)²`, `h[n even] = 0`
//! (Kak & Slaney eq. 61, in detector pixels) is zero-padded to
//! `max(64, 2^⌈log2(2·n)⌉)` samples; its DFT is the ramp, optionally multiplied by a
//! window: Shepp-Logan `sin(ω)/ω` (ω = π·fftfreq), cosine `sin(π k / N)` (fftshifted),
//! Hamming and Hann (numpy's `hamming`/`hanning`, fftshifted). Rows are padded with zeros,
//! filtered through the FFT (rustfft) and cut back to `n` samples.

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use crate::error::{param, Result};

/// Window applied to the ramp filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Filter {
    /// The plain ramp (Ram-Lak).
    #[default]
    RamLak,
    /// Ramp × sinc.
    SheppLogan,
    /// Ramp × cosine.
    Cosine,
    /// Ramp × Hamming window.
    Hamming,
    /// Ramp × Hann window.
    Hann,
}

impl std::str::FromStr for Filter {
    type Err = crate::ReconError;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "ram-lak" | "ramlak" | "ramp" => Filter::RamLak,
            "shepp-logan" => Filter::SheppLogan,
            "cosine" => Filter::Cosine,
            "hamming" => Filter::Hamming,
            "hann" | "hanning" => Filter::Hann,
            _ => {
                return Err(param(
                    "filter",
                    format!("`{s}` (expected ram-lak, shepp-logan, cosine, hamming or hann)"),
                ))
            }
        })
    }
}

/// Padded FFT length for `n` detector samples (scikit-image's rule).
pub fn padded_len(n: usize) -> usize {
    (2 * n).next_power_of_two().max(64)
}

/// The filter's frequency response (real, length `padded_len(n)`), in units of 1/pixel.
pub fn response(n: usize, filter: Filter) -> Vec<f64> {
    let size = padded_len(n);
    let pi = std::f64::consts::PI;
    let mut f = vec![0.0; size];
    f[0] = 0.25;
    for (i, v) in f.iter_mut().enumerate().skip(1) {
        let m = i.min(size - i);
        if m % 2 == 1 {
            *v = -1.0 / (pi * m as f64).powi(2);
        }
    }
    // DFT of a real even sequence: real cosine sums
    let mut buf: Vec<Complex<f64>> = f.iter().map(|&x| Complex::new(x, 0.0)).collect();
    FftPlanner::new().plan_fft_forward(size).process(&mut buf);
    let mut r: Vec<f64> = buf.iter().map(|c| c.re).collect();
    let shifted = |k: usize| (k + size / 2) % size;
    match filter {
        Filter::RamLak => {}
        Filter::SheppLogan => {
            for (k, v) in r.iter_mut().enumerate().skip(1) {
                let freq = if k < size.div_ceil(2) {
                    k as f64
                } else {
                    k as f64 - size as f64
                } / size as f64;
                let w = pi * freq;
                *v *= w.sin() / w;
            }
        }
        Filter::Cosine => {
            for (k, v) in r.iter_mut().enumerate() {
                *v *= (pi * shifted(k) as f64 / size as f64).sin();
            }
        }
        Filter::Hamming | Filter::Hann => {
            let (a, b) = if filter == Filter::Hamming {
                (0.54, 0.46)
            } else {
                (0.5, 0.5)
            };
            for (k, v) in r.iter_mut().enumerate() {
                let m = shifted(k) as f64;
                *v *= a - b * (2.0 * pi * m / (size as f64 - 1.0)).cos();
            }
        }
    }
    r
}

/// Filters rows of `n` samples: zero-pad, FFT, multiply by the response (scaled), inverse FFT.
pub(crate) struct RowFilter {
    n: usize,
    size: usize,
    gain: Vec<f32>,
    fwd: Arc<dyn Fft<f32>>,
    inv: Arc<dyn Fft<f32>>,
}

impl RowFilter {
    /// A filter for rows of `n` samples; the output is multiplied by `scale` (FFT normalisation included).
    pub(crate) fn new(n: usize, filter: Filter, scale: f64) -> Self {
        let size = padded_len(n);
        let gain = response(n, filter)
            .iter()
            .map(|&g| (g * scale / size as f64) as f32)
            .collect();
        let mut planner = FftPlanner::new();
        RowFilter {
            n,
            size,
            gain,
            fwd: planner.plan_fft_forward(size),
            inv: planner.plan_fft_inverse(size),
        }
    }

    /// A scratch buffer for [`RowFilter::filter_pair`].
    pub(crate) fn scratch(&self) -> Vec<Complex<f32>> {
        vec![Complex::new(0.0, 0.0); self.size]
    }

    /// Filters two real rows at once (packed as real and imaginary parts; the response is
    /// real and even, so they stay apart). `b` may be `None`. Outputs are multiplied by `wa`/`wb`.
    pub(crate) fn filter_pair(
        &self,
        buf: &mut [Complex<f32>],
        a: &[f32],
        b: Option<&[f32]>,
        out_a: &mut [f32],
        out_b: Option<&mut [f32]>,
    ) {
        let n = self.n;
        for (i, c) in buf.iter_mut().enumerate() {
            *c = if i < n {
                Complex::new(a[i], b.map_or(0.0, |b| b[i]))
            } else {
                Complex::new(0.0, 0.0)
            };
        }
        self.fwd.process(buf);
        for (c, &g) in buf.iter_mut().zip(&self.gain) {
            *c *= g;
        }
        self.inv.process(buf);
        for (o, c) in out_a.iter_mut().zip(&buf[..n]) {
            *o = c.re;
        }
        if let Some(ob) = out_b {
            for (o, c) in ob.iter_mut().zip(&buf[..n]) {
                *o = c.im;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_is_zero_at_dc_and_linear_near_it() {
        let r = response(128, Filter::RamLak);
        assert_eq!(r.len(), 256);
        // the discrete Ram-Lak response: ≈ |k|/N at low frequencies, DC ≈ 0
        assert!(r[0].abs() < 2e-3, "{}", r[0]);
        assert!((r[16] - 16.0 / 256.0).abs() < 2e-3, "{}", r[16]);
        assert!((r[128] - 0.5).abs() < 1e-2, "{}", r[128]);
        for f in [
            Filter::SheppLogan,
            Filter::Cosine,
            Filter::Hamming,
            Filter::Hann,
        ] {
            let w = response(128, f);
            assert!(w[128] < r[128] && w[128] >= -1e-12, "{f:?} {}", w[128]);
        }
    }

    #[test]
    fn filter_names() {
        assert_eq!("hann".parse::<Filter>().unwrap(), Filter::Hann);
        assert!("box".parse::<Filter>().is_err());
    }
}
