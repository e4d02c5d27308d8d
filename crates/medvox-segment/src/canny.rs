//! Canny edge detection in 2D and 3D, following ITK's `CannyEdgeDetectionImageFilter`
//! (SimpleITK `CannyEdgeDetection(img, lower, upper, variance)`).
//!
//! 1. **Smoothing**: exact sampled Gaussian of `medvox_filters::gaussian` with
//!    σ_a = √variance_a in mm (ITK uses the image spacing too), truncated at 4σ.
//!    ITK smooths with its discrete (Bessel) Gaussian kernel cut at `maximumError`:
//!    the two kernels differ slightly, which is the one source of difference from
//!    SimpleITK (a few voxels along weak or ambiguous edges).
//! 2. **Derivatives** of the smoothed image `f` in voxel units (no spacing, as ITK),
//!    central differences with edge replicate: `f_a = (f[+a] − f[−a])/2`,
//!    `f_aa = f[+a] − 2f + f[−a]`, `f_ab = (f[−a−b] − f[−a+b] − f[+a−b] + f[+a+b])/4`.
//! 3. **Non-maximum suppression** in differential form: the second derivative
//!    along the gradient `D2 = Σ_ab f_a f_b f_ab / (10⁻⁴ + Σ f_a²)`; a voxel is an
//!    edge candidate where `D2` crosses zero towards a face neighbour (ITK's
//!    `ZeroCrossingImageFilter`: opposite signs or exactly one zero, and
//!    `|D2| < |D2 neighbour|`, ties going to the voxel before a `+` neighbour) and
//!    where the derivative of `D2` along the gradient is ≤ 0 (a maximum of the
//!    gradient magnitude, not a minimum). Its strength is `|∇f| = √(10⁻⁴ + Σ f_a²)`.
//! 4. **Hysteresis**: edges are the candidates with strength > `lower` connected
//!    (with `connectivity`, 26/8 by default as ITK) to a candidate with strength >
//!    `upper`.
//!
//! * **Types**: any pixel type in; u8 out (1 = edge).
//! * **Boundary**: edge replicate everywhere; a one-slice volume is a 2D image.
//! * **Blocks**: the stencils run on the block engine with halo 1 and the
//!   hysteresis is a set-valued flood, so results never depend on plan or threads.

use medvox_core::{AnyVolume, BlockPlan, Executor, Volume};
use medvox_filters::{gaussian::gaussian, FilterPixel, GaussianParams, Sigma};
use ndarray::ArrayView3;

use crate::connectivity::Connectivity;
use crate::error::{Result, SegmentError};
use crate::labelstats::unravel;

const OP: &str = "canny";

/// Halo of the stencil passes.
pub const HALO: [usize; 3] = [1, 1, 1];

/// ITK's regulariser of the gradient magnitude (`alpha²`).
const EPS: f64 = 1e-4;

/// Parameters of [`canny`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CannyParams {
    /// Gaussian variance per axis `[x, y, z]` in mm² (ITK's `variance`).
    pub variance: [f64; 3],
    /// Lower hysteresis threshold on the gradient magnitude.
    pub lower: f64,
    /// Upper hysteresis threshold on the gradient magnitude.
    pub upper: f64,
    /// Neighbourhood of the hysteresis (26/8 by default, as ITK).
    #[serde(default = "full")]
    pub connectivity: Connectivity,
}

fn full() -> Connectivity {
    Connectivity::Full
}

impl CannyParams {
    /// The same variance (mm²) on every axis, full connectivity.
    pub fn new(variance: f64, lower: f64, upper: f64) -> Self {
        CannyParams {
            variance: [variance; 3],
            lower,
            upper,
            connectivity: Connectivity::Full,
        }
    }

    fn check(&self) -> Result<()> {
        let bad = |name, reason: String| {
            Err(SegmentError::Parameter {
                op: OP,
                name,
                reason,
            })
        };
        if let Some(v) = self.variance.iter().find(|v| !v.is_finite() || **v < 0.0) {
            return bad("variance", format!("must be finite and >= 0, got {v}"));
        }
        if !self.lower.is_finite() || !self.upper.is_finite() {
            return bad(
                "lower/upper",
                format!("must be finite, got {} and {}", self.lower, self.upper),
            );
        }
        if self.lower > self.upper {
            return bad(
                "lower",
                format!("must be <= upper ({} > {})", self.lower, self.upper),
            );
        }
        Ok(())
    }
}

/// Canny edges of a volume on an executor's default plan (see the module docs).
pub fn canny<T: FilterPixel>(
    vol: &Volume<T>,
    params: &CannyParams,
    exec: &Executor,
) -> Result<Volume<u8>> {
    canny_with_plan(vol, params, exec, &exec.plan(vol.size(), HALO))
}

/// [`canny`] with a given block plan for the stencil passes (halo at least 1).
pub fn canny_with_plan<T: FilterPixel>(
    vol: &Volume<T>,
    params: &CannyParams,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<u8>> {
    params.check()?;
    if plan.shape != vol.size() || (0..3).any(|a| plan.halo[a] < HALO[a]) {
        return Err(SegmentError::Parameter {
            op: OP,
            name: "plan",
            reason: format!(
                "plan for {:?} with halo {:?}; need {:?} with halo >= 1",
                plan.shape,
                plan.halo,
                vol.size()
            ),
        });
    }
    if vol.is_empty() {
        return Ok(vol.zeros_like());
    }
    let sigma = GaussianParams {
        sigma: Sigma::Mm(params.variance.map(f64::sqrt)),
        ..GaussianParams::mm(0.0)
    };
    let smooth: Volume<f64> = gaussian(vol, &sigma, exec)?.map(medvox_core::Pixel::to_f64);
    // Pass 1: second derivative along the gradient.
    let d2: Volume<f64> = exec.map_blocks(&smooth, plan, |bi, mut out| {
        let o = bi.interior_offset();
        for ((z, y, x), v) in out.indexed_iter_mut() {
            let s = Stencil::new(&bi.data, [x + o[0], y + o[1], z + o[2]]);
            *v = s.second_along_gradient();
        }
    });
    // Pass 2: strength at zero crossings of D2 where |∇f| is a maximum.
    let sdata = smooth.data();
    let strength: Volume<f64> = exec.map_blocks(&d2, plan, |bi, mut out| {
        let o = bi.interior_offset();
        let sv = bi.block.padded.view(&sdata);
        for ((z, y, x), v) in out.indexed_iter_mut() {
            let p = [x + o[0], y + o[1], z + o[2]];
            let f = Stencil::new(&sv, p);
            let d = Stencil::new(&bi.data, p);
            let g = f.gradient();
            let mag = (EPS + g.iter().map(|x| x * x).sum::<f64>()).sqrt();
            let dg = d.gradient();
            let pos: f64 = (0..3).map(|a| dg[a] * (g[a] / mag)).sum();
            *v = if pos <= 0.0 && d.zero_crossing() {
                mag
            } else {
                0.0
            };
        }
    });
    Ok(hysteresis(&strength, params))
}

/// [`canny`] on a volume of any pixel type.
pub fn canny_any(vol: &AnyVolume, params: &CannyParams, exec: &Executor) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(AnyVolume::from(canny(v, params, exec)?)))
}

/// The 3×3×3 neighbourhood of a voxel of a padded block, edge replicate.
struct Stencil<'a> {
    d: &'a ArrayView3<'a, f64>,
    p: [usize; 3],
    n: [usize; 3],
}

impl<'a> Stencil<'a> {
    fn new(d: &'a ArrayView3<'a, f64>, p: [usize; 3]) -> Self {
        let (nz, ny, nx) = d.dim();
        Stencil {
            d,
            p,
            n: [nx, ny, nz],
        }
    }

    /// Value at offset `o` `[dx, dy, dz]`, clamped to the block (= the image at its faces).
    #[inline]
    fn at(&self, o: [isize; 3]) -> f64 {
        let q = [0, 1, 2]
            .map(|a| (self.p[a] as isize + o[a]).clamp(0, self.n[a] as isize - 1) as usize);
        self.d[[q[2], q[1], q[0]]]
    }

    fn unit(a: usize, s: isize) -> [isize; 3] {
        let mut o = [0; 3];
        o[a] = s;
        o
    }

    fn gradient(&self) -> [f64; 3] {
        [0, 1, 2].map(|a| 0.5 * (self.at(Self::unit(a, 1)) - self.at(Self::unit(a, -1))))
    }

    fn second_along_gradient(&self) -> f64 {
        let c = self.at([0; 3]);
        let g = self.gradient();
        let mut deriv = 0.0;
        for a in 0..3 {
            for b in a + 1..3 {
                let at2 = |sa: isize, sb: isize| {
                    let mut o = [0; 3];
                    o[a] = sa;
                    o[b] = sb;
                    self.at(o)
                };
                let fab =
                    0.25 * at2(-1, -1) - 0.25 * at2(-1, 1) - 0.25 * at2(1, -1) + 0.25 * at2(1, 1);
                deriv += 2.0 * g[a] * g[b] * fab;
            }
        }
        let mut mag2 = EPS;
        for (a, ga) in g.iter().enumerate() {
            let faa = self.at(Self::unit(a, 1)) - 2.0 * c + self.at(Self::unit(a, -1));
            deriv += ga * ga * faa;
            mag2 += ga * ga;
        }
        deriv / mag2
    }

    /// ITK `ZeroCrossingImageFilter` on the face neighbours (− neighbours first).
    fn zero_crossing(&self) -> bool {
        let c = self.at([0; 3]);
        for (i, o) in [(0, -1), (1, -1), (2, -1), (0, 1), (1, 1), (2, 1)]
            .into_iter()
            .enumerate()
        {
            let t = self.at(Self::unit(o.0, o.1));
            let crosses = (c < 0.0 && t > 0.0)
                || (c > 0.0 && t < 0.0)
                || (c == 0.0 && t != 0.0)
                || (c != 0.0 && t == 0.0);
            if crosses && (c.abs() < t.abs() || (c.abs() == t.abs() && i >= 3)) {
                return true;
            }
        }
        false
    }
}

/// Voxels with strength > lower connected to one with strength > upper.
fn hysteresis(strength: &Volume<f64>, params: &CannyParams) -> Volume<u8> {
    let size = strength.size();
    let s = strength.as_slice();
    let mut out = strength.zeros_like::<u8>();
    let o = out.as_slice_mut();
    let steps = params.connectivity.offsets();
    let mut stack = Vec::new();
    for (i, &v) in s.iter().enumerate() {
        if v <= params.upper || o[i] != 0 {
            continue;
        }
        o[i] = 1;
        stack.push(i);
        while let Some(j) = stack.pop() {
            let p = unravel(j, size);
            for d in &steps {
                let q = [0, 1, 2].map(|a| p[a] as isize + d[a]);
                if (0..3).any(|a| q[a] < 0 || q[a] >= size[a] as isize) {
                    continue;
                }
                let q = (q[2] as usize * size[1] + q[1] as usize) * size[0] + q[0] as usize;
                if o[q] == 0 && s[q] > params.lower {
                    o[q] = 1;
                    stack.push(q);
                }
            }
        }
    }
    out
}
