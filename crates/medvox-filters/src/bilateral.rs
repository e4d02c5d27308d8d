//! Bilateral filter: a Gaussian in space weighted by a Gaussian in intensity.
//!
//! ITK's `BilateralImageFilter` definition, as SimpleITK `Bilateral(img, domainSigma,
//! rangeSigma, numberOfRangeGaussianSamples=100)` computes it:
//!
//! `out(p) = Σ_q D(q − p)·R(|f(q) − f(p)|)·f(q) / Σ_q D(q − p)·R(|f(q) − f(p)|)`
//!
//! * **Domain kernel** `D`: the Gaussian of σ_d mm per axis sampled at the voxel
//!   centres of a box of radius `r_a = ⌈2.5·σ_d,a / spacing_a⌉` voxels (or the given
//!   radius), normalised to sum 1 (ITK's `GaussianImageSource` over the box).
//! * **Range kernel** `R`: a table of `n` samples (100 by default) of
//!   `exp(−v²/(2σ_r²)) / (σ_r√(2π))` at `v = 0, δ, 2δ, …` with `δ = 4σ_r / n`, looked up
//!   at `⌊|Δf|/δ⌋`; neighbours with `|Δf| >= 4σ_r` get weight 0. The table
//!   quantisation is part of ITK's definition and is reproduced exactly.
//! * **Order**: the sums run in ITK's neighbourhood order (x fastest) in f64, so results
//!   match SimpleITK to the last float bit in practice (the tests allow 1e-5 of the
//!   image range).
//! * **Boundary**: edge replicate (ITK ZeroFluxNeumann).
//! * **Types**: any pixel type in, computed in f64; f32 out (f64 for f64 input).
//!   SimpleITK keeps integer types (truncating); compare with its float output.
//! * **Blocks**: halo = radius; identical results for every plan and thread count.
//!
//! ```
//! use medvox_core::{Executor, Geometry, Volume};
//! use medvox_filters::bilateral::{bilateral, BilateralParams};
//! let v = Volume::from_vec([4, 1, 1], vec![0u8, 0, 100, 100], Geometry::default()).unwrap();
//! let b = bilateral(&v, &BilateralParams::new(1.0, 10.0), &Executor::default()).unwrap();
//! assert_eq!(b.as_slice(), &[0.0f32, 0.0, 100.0, 100.0]); // the edge is kept
//! ```

use medvox_core::{AnyVolume, BlockInput, BlockPlan, Executor, Geometry, Pixel, Volume};
use ndarray::{s, ArrayViewMut3};

use crate::error::{FilterError, Result};
use crate::gaussian::row;
use crate::pixel::FilterPixel;
use crate::plan::{check_plan, clamp_index, extend_row};

const OP: &str = "bilateral";

/// Largest domain kernel (voxels) accepted.
pub const MAX_KERNEL: usize = 1 << 21;

/// Largest number of range samples accepted.
pub const MAX_RANGE_SAMPLES: usize = 1 << 24;

/// ITK's `DomainMu`: the automatic radius is `⌈2.5·σ_d / spacing⌉`.
const DOMAIN_MU: f64 = 2.5;
/// ITK's `RangeMu`: the range table covers `[0, 4σ_r)`.
const RANGE_MU: f64 = 4.0;

/// Parameters of [`bilateral`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BilateralParams {
    /// σ of the spatial Gaussian in mm, per axis `[x, y, z]`.
    pub domain_sigma: [f64; 3],
    /// σ of the intensity Gaussian, in intensity units.
    pub range_sigma: f64,
    /// Kernel radius in voxels `[x, y, z]`; `None`: `⌈2.5·σ_d / spacing⌉`.
    #[serde(default)]
    pub radius: Option<[usize; 3]>,
    /// Samples of the range Gaussian table (ITK's `NumberOfRangeGaussianSamples`).
    #[serde(default = "default_samples")]
    pub range_samples: usize,
}

fn default_samples() -> usize {
    100
}

impl BilateralParams {
    /// The same domain σ (mm) on every axis and a range σ; automatic radius, 100 samples.
    pub fn new(domain_sigma: f64, range_sigma: f64) -> Self {
        BilateralParams {
            domain_sigma: [domain_sigma; 3],
            range_sigma,
            radius: None,
            range_samples: default_samples(),
        }
    }

    fn bad(name: &'static str, reason: String) -> FilterError {
        FilterError::Parameter {
            op: OP,
            name,
            reason,
        }
    }

    /// Checks the parameters and returns the kernel radius for a geometry.
    pub fn radius(&self, g: &Geometry) -> Result<[usize; 3]> {
        if let Some(s) = self
            .domain_sigma
            .iter()
            .find(|s| !(s.is_finite() && **s > 0.0))
        {
            return Err(Self::bad(
                "domain-sigma",
                format!("{s} must be a finite number > 0 (mm)"),
            ));
        }
        let rs = self.range_sigma;
        if !(rs.is_finite() && rs > 0.0) {
            return Err(Self::bad(
                "range-sigma",
                format!("{rs} must be a finite number > 0"),
            ));
        }
        if self.range_samples == 0 || self.range_samples > MAX_RANGE_SAMPLES {
            return Err(Self::bad(
                "range-samples",
                format!("{} is not in 1..={MAX_RANGE_SAMPLES}", self.range_samples),
            ));
        }
        let r = match self.radius {
            Some(r) => r,
            None => {
                let mut r = [0usize; 3];
                for ((ra, &s), &sp) in r.iter_mut().zip(&self.domain_sigma).zip(&g.spacing) {
                    let v = (DOMAIN_MU * s / sp).ceil();
                    if v > MAX_KERNEL as f64 {
                        return Err(Self::bad(
                            "domain-sigma",
                            format!("{s} mm gives a radius of {v} voxels"),
                        ));
                    }
                    *ra = v as usize;
                }
                r
            }
        };
        let n = r.iter().try_fold(1usize, |acc, &ra| {
            ra.checked_mul(2)
                .and_then(|d| d.checked_add(1))
                .and_then(|d| acc.checked_mul(d))
        });
        match n {
            Some(n) if n <= MAX_KERNEL => Ok(r),
            _ => Err(Self::bad(
                "radius",
                format!("kernel of radius {r:?} holds more than {MAX_KERNEL} voxels"),
            )),
        }
    }
}

/// Bilateral filter on an executor's default plan (see the module docs).
pub fn bilateral<T: FilterPixel>(
    vol: &Volume<T>,
    params: &BilateralParams,
    exec: &Executor,
) -> Result<Volume<T::Float>> {
    let r = params.radius(vol.geometry())?;
    bilateral_with_plan(vol, params, exec, &exec.plan(vol.size(), r))
}

/// [`bilateral`] on a given block plan (its halo must be at least the kernel radius).
pub fn bilateral_with_plan<T: FilterPixel>(
    vol: &Volume<T>,
    params: &BilateralParams,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<T::Float>> {
    let r = params.radius(vol.geometry())?;
    check_plan(OP, vol, plan, r)?;
    if vol.is_empty() {
        return Ok(vol.zeros_like());
    }
    let domain = domain_kernel(vol.geometry(), params.domain_sigma, r);
    let range = RangeTable::new(params.range_sigma, params.range_samples);
    Ok(exec.map_blocks(vol, plan, |bi, out| {
        bilateral_block(bi, out, r, &domain, &range)
    }))
}

/// [`bilateral`] on a volume of any pixel type.
pub fn bilateral_any(
    vol: &AnyVolume,
    params: &BilateralParams,
    exec: &Executor,
) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(FilterPixel::into_any(bilateral(v, params, exec)?)))
}

/// The normalised domain Gaussian in neighbourhood order (x fastest), evaluated as
/// ITK's `GaussianImageSource` does (origin, spacing and centre of the input grid).
fn domain_kernel(g: &Geometry, sigma: [f64; 3], r: [usize; 3]) -> Vec<f64> {
    let sqrt_2pi = (2.0 * std::f64::consts::PI).sqrt();
    let prefix: f64 = sigma.iter().fold(1.0, |p, &s| p * (s * sqrt_2pi));
    let mean = [0, 1, 2].map(|a| g.spacing[a] * r[a] as f64 + g.origin[a]);
    let mut k = Vec::with_capacity((2 * r[0] + 1) * (2 * r[1] + 1) * (2 * r[2] + 1));
    for iz in 0..=2 * r[2] {
        for iy in 0..=2 * r[1] {
            for ix in 0..=2 * r[0] {
                let idx = [ix, iy, iz];
                let mut e = 0.0;
                for a in 0..3 {
                    let p = g.origin[a] + g.spacing[a] * idx[a] as f64;
                    let d = p - mean[a];
                    e += d * d / (2.0 * sigma[a] * sigma[a]);
                }
                k.push(1.0 * (1.0 / prefix) * (-e).exp());
            }
        }
    }
    let norm: f64 = k.iter().sum();
    k.iter_mut().for_each(|w| *w /= norm);
    k
}

/// ITK's range Gaussian lookup table.
struct RangeTable {
    table: Vec<f64>,
    /// `table` and a copy of its last entry: indexed by `⌊d·to_index⌋` without a
    /// clamp, since that is at most `n` for every `d < threshold`.
    padded: Vec<f64>,
    /// Distances at or beyond this get weight 0 (`4σ_r`).
    threshold: f64,
    /// `n / 4σ_r`: distance to table index.
    to_index: f64,
}

impl RangeTable {
    fn new(sigma: f64, n: usize) -> Self {
        let variance = sigma * sigma;
        let denom = sigma * (2.0 * std::f64::consts::PI).sqrt();
        let used = RANGE_MU * sigma;
        let delta = used / n as f64;
        let mut table = Vec::with_capacity(n);
        let mut v = 0.0;
        for _ in 0..n {
            table.push((-0.5 * v * v / variance).exp() / denom);
            v += delta;
        }
        let mut padded = table.clone();
        padded.push(table[n - 1]);
        RangeTable {
            table,
            padded,
            threshold: used,
            to_index: n as f64 / used,
        }
    }

    #[inline(always)]
    fn weight(&self, d: f64) -> f64 {
        let i = (d * self.to_index).floor() as usize;
        self.table[i.min(self.table.len() - 1)]
    }
}

/// The block's padded input grown to the full radius `r` by edge replication, as a
/// contiguous `(z, y, x)` buffer of `conv(voxel)`, with its extents `[x, y, z]`.
pub(crate) fn replicated_block<T: Copy, U: Copy>(
    bi: &BlockInput<'_, T>,
    interior: [usize; 3],
    r: [usize; 3],
    conv: impl Fn(T) -> U + Copy,
) -> (Vec<U>, [usize; 3]) {
    let data = bi.data.view();
    let (pz, py, _) = data.dim();
    let o = bi.interior_offset();
    let e = [0, 1, 2].map(|a| interior[a] + 2 * r[a]);
    let mut buf = Vec::with_capacity(e[0] * e[1] * e[2]);
    let mut ext = Vec::new();
    for ez in 0..e[2] {
        let zc = clamp_index(o[2] + ez, -(r[2] as isize), pz);
        for ey in 0..e[1] {
            let yc = clamp_index(o[1] + ey, -(r[1] as isize), py);
            extend_row(row(&data, zc, yc), r[0], &mut ext, conv);
            buf.extend_from_slice(&ext[o[0]..o[0] + e[0]]);
        }
    }
    (buf, e)
}

fn bilateral_block<T: FilterPixel>(
    bi: &BlockInput<'_, T>,
    mut out: ArrayViewMut3<'_, T::Float>,
    r: [usize; 3],
    domain: &[f64],
    range: &RangeTable,
) {
    let (iz, iy, ix) = out.dim();
    let (buf, e) = replicated_block(bi, [ix, iy, iz], r, T::to_f64);
    // Linear offsets of the kernel entries from the window's first voxel.
    let mut offs = Vec::with_capacity(domain.len());
    for dz in 0..=2 * r[2] {
        for dy in 0..=2 * r[1] {
            for dx in 0..=2 * r[0] {
                offs.push((dz * e[1] + dy) * e[0] + dx);
            }
        }
    }
    let centre = (r[2] * e[1] + r[1]) * e[0] + r[0];
    let kernel = Kernel {
        offs: &offs,
        domain,
        range,
        centre,
    };
    let mut vals = vec![0.0f64; ix];
    let finite = buf.iter().all(|v| v.is_finite());
    for z in 0..iz {
        for y in 0..iy {
            let base = (z * e[1] + y) * e[0];
            // The row's windows: `ix` voxels plus the kernel's reach.
            let end = base + offs.last().copied().unwrap_or(0) + ix;
            kernel.row(&buf[base..end], finite, &mut vals);
            let dst = out
                .slice_mut(s![z, y, ..])
                .into_slice()
                .expect("rows of standard-layout arrays are contiguous");
            for (d, &v) in dst.iter_mut().zip(&vals) {
                *d = <T::Float as Pixel>::from_f64(v);
            }
        }
    }
}

/// The kernel of one block: offsets of the neighbours from a window's first voxel,
/// their domain weights, the range table and the centre's offset.
struct Kernel<'a> {
    offs: &'a [usize],
    domain: &'a [f64],
    range: &'a RangeTable,
    centre: usize,
}

impl Kernel<'_> {
    /// Filters one output row: `out[x]` from the window starting at `win[x]`
    /// (`finite`: `win` holds no infinity or NaN). Every path (scalar, SIMD) does the
    /// same f64 operations in the same order per voxel, so the result does not
    /// depend on the CPU.
    fn row(&self, win: &[f64], finite: bool, out: &mut [f64]) {
        #[allow(unused_mut)]
        let mut done = 0;
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (the function checks its slice bounds).
            done = unsafe {
                match finite {
                    true => x86::row_avx2::<true>(self, win, out),
                    false => x86::row_avx2::<false>(self, win, out),
                }
            };
        }
        for (x, o) in out.iter_mut().enumerate().skip(done) {
            *o = self.voxel(&win[x..]);
        }
    }

    /// The filtered value of the voxel whose window starts at `win[0]`.
    #[inline(always)]
    fn voxel(&self, win: &[f64]) -> f64 {
        let c = win[self.centre];
        let (mut val, mut norm) = (0.0f64, 0.0f64);
        for (&off, &w) in self.offs.iter().zip(self.domain) {
            let p = win[off];
            let dist = (p - c).abs();
            if dist < self.range.threshold {
                let g = w * self.range.weight(dist);
                norm += g;
                val += p * g;
            }
        }
        val / norm
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::Kernel;

    /// [`Kernel::voxel`] on tiles of up to 64 voxels (groups of 4 f64 lanes, masked
    /// gathers from the range table); returns how many leading voxels of `out` it
    /// wrote. Separate multiplies and adds (no FMA), as the scalar path.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn row_avx2<const FINITE: bool>(
        k: &Kernel<'_>,
        win: &[f64],
        out: &mut [f64],
    ) -> usize {
        // Tiles of up to G groups of 4 voxels: the rows of a tile's windows stay in L1
        // while the kernel's x offsets sweep them.
        const G: usize = 16;
        let n = out.len();
        let last = k.offs.last().copied().unwrap_or(0);
        assert!(win.len() >= n + last && k.offs.len() == k.domain.len() && k.centre <= last);
        assert!(k.range.padded.len() == k.range.table.len() + 1);
        assert!(k.range.padded.len() <= i32::MAX as usize);
        let p = win.as_ptr();
        let table = k.range.padded.as_ptr();
        let thr = _mm256_set1_pd(k.range.threshold);
        let ti = _mm256_set1_pd(k.range.to_index);
        let sign = _mm256_set1_pd(-0.0);
        let zero = _mm256_setzero_pd();
        // One group of 4 lanes: neighbour values `q` around centres `c`, weight `w`.
        macro_rules! step {
            ($q:expr, $c:expr, $w:expr, $norm:expr, $val:expr) => {{
                let q = $q;
                let d = _mm256_andnot_pd(sign, _mm256_sub_pd(q, $c));
                let m = _mm256_cmp_pd::<_CMP_LT_OQ>(d, thr);
                // Truncation is the floor for d >= 0.
                let i = _mm256_cvttpd_epi32(_mm256_mul_pd(d, ti));
                // SAFETY: lanes in `m` have 0 <= i <= n (see `padded`); others are
                // not read.
                let rw = _mm256_mask_i32gather_pd::<8>(zero, table, i, m);
                // Lanes outside `m` add +0.0, which leaves the sums unchanged (q·0
                // is NaN only for a non-finite q).
                let g = _mm256_mul_pd($w, rw);
                $norm = _mm256_add_pd($norm, g);
                let qg = _mm256_mul_pd(q, g);
                let qg = if FINITE { qg } else { _mm256_and_pd(qg, m) };
                $val = _mm256_add_pd($val, qg);
            }};
        }
        let mut x0 = 0;
        let mut cen = [zero; G];
        let mut nacc = [zero; G];
        let mut vacc = [zero; G];
        while x0 + 4 <= n {
            let groups = ((n - x0) / 4).min(G);
            let (cen, nacc, vacc) = (&mut cen[..groups], &mut nacc[..groups], &mut vacc[..groups]);
            // SAFETY (loads): x0 + 4·groups - 1 + off <= n - 1 + last < win.len(); the
            // stores stay below x0 + 4·groups <= n.
            unsafe {
                for (g, c) in cen.iter_mut().enumerate() {
                    *c = _mm256_loadu_pd(p.add(x0 + 4 * g + k.centre));
                }
                nacc.fill(zero);
                vacc.fill(zero);
                for (&off, &w) in k.offs.iter().zip(k.domain) {
                    let w = _mm256_set1_pd(w);
                    let q = p.add(x0 + off);
                    for (g, ((c, nn), vv)) in cen
                        .iter()
                        .zip(nacc.iter_mut())
                        .zip(vacc.iter_mut())
                        .enumerate()
                    {
                        step!(_mm256_loadu_pd(q.add(4 * g)), *c, w, *nn, *vv);
                    }
                }
                for (g, (nn, vv)) in nacc.iter().zip(vacc.iter()).enumerate() {
                    _mm256_storeu_pd(out.as_mut_ptr().add(x0 + 4 * g), _mm256_div_pd(*vv, *nn));
                }
            }
            x0 += 4 * groups;
        }
        x0
    }
}
