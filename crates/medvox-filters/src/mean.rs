//! Box mean: the average over a `(2r_x+1)×(2r_y+1)×(2r_z+1)` window.
//!
//! `y[i] = Σ_{|d_a| <= r_a} f[clamp(i + d)] / Π_a (2r_a + 1)`, as SimpleITK
//! `Mean(img, radius)` and `scipy.ndimage.uniform_filter(f, size=2r+1,
//! mode='nearest')`.
//!
//! * **Algorithm**: separable running sums (z, then y, then x) in f64, so the cost
//!   does not grow with the radius; integer inputs are summed exactly.
//! * **Units**: radius in voxels per axis `[x, y, z]` (0 allowed: that axis is not
//!   averaged).
//! * **Boundary**: edge replicate (ITK ZeroFluxNeumann = scipy `mode='nearest'`).
//! * **Types**: any pixel type in; f32 out (f64 for f64 input), the f64 sum divided
//!   by the window size and rounded once.
//! * **Blocks**: halo = radius. Integer inputs give bit-identical results for every
//!   plan and thread count; float inputs agree to f64 rounding (a running sum
//!   restarts at each block), far below the f32 output precision.
//!
//! ```
//! use medvox_core::{Executor, Geometry, Volume};
//! use medvox_filters::mean::{mean, MeanParams};
//! let v = Volume::from_vec([3, 1, 1], vec![0u8, 3, 9], Geometry::default()).unwrap();
//! let m = mean(&v, &MeanParams::new([1, 0, 0]), &Executor::default()).unwrap();
//! assert_eq!(m.as_slice(), &[1.0f32, 4.0, 7.0]);
//! ```

use medvox_core::{AnyVolume, BlockInput, BlockPlan, Executor, Pixel, Volume};
use ndarray::{s, ArrayViewMut3};

use crate::error::{FilterError, Result};
use crate::gaussian::row;
use crate::pixel::FilterPixel;
use crate::plan::{check_plan, clamp_index};

const OP: &str = "mean";

/// Largest accepted radius on an axis (voxels).
pub const MAX_RADIUS: usize = 1 << 24;

/// Parameters of [`mean`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MeanParams {
    /// Radius in voxels per axis `[x, y, z]`: the window is `2r+1` wide.
    pub radius: [usize; 3],
}

impl MeanParams {
    /// A radius per axis `[x, y, z]`.
    pub fn new(radius: [usize; 3]) -> Self {
        MeanParams { radius }
    }

    /// The halo (= radius); errors for a radius above [`MAX_RADIUS`].
    pub fn halo(&self) -> Result<[usize; 3]> {
        if let Some(r) = self.radius.iter().find(|r| **r > MAX_RADIUS) {
            return Err(FilterError::Parameter {
                op: OP,
                name: "radius",
                reason: format!("{r} voxels is too large (at most {MAX_RADIUS})"),
            });
        }
        Ok(self.radius)
    }
}

/// Box mean on an executor's default plan (see the module docs).
pub fn mean<T: FilterPixel>(
    vol: &Volume<T>,
    params: &MeanParams,
    exec: &Executor,
) -> Result<Volume<T::Float>> {
    let halo = params.halo()?;
    mean_with_plan(vol, params, exec, &exec.plan(vol.size(), halo))
}

/// [`mean`] on a given block plan (its halo must be at least the radius).
pub fn mean_with_plan<T: FilterPixel>(
    vol: &Volume<T>,
    params: &MeanParams,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<T::Float>> {
    let r = params.halo()?;
    check_plan(OP, vol, plan, r)?;
    if vol.is_empty() {
        return Ok(vol.zeros_like());
    }
    let count: f64 = r.iter().map(|&r| (2 * r + 1) as f64).product();
    Ok(exec.map_blocks(vol, plan, |bi, out| mean_block(bi, out, r, count)))
}

/// [`mean`] on a volume of any pixel type.
pub fn mean_any(vol: &AnyVolume, params: &MeanParams, exec: &Executor) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(FilterPixel::into_any(mean(v, params, exec)?)))
}

/// Running box sums along one axis of `n` lanes of `w` values.
///
/// Output lane `i` (at `dst[i·stride..][..w]`, `i` in `0..m`) is
/// `Σ_{d=-r..=r} src(clamp(off + i + d, 0, n−1))`: the first one summed in full,
/// each next one updated by adding the lane entering and subtracting the one leaving.
fn box_lanes<'a, S: Copy + 'a>(
    (n, off, m, r): (usize, usize, usize, usize),
    w: usize,
    src: impl Fn(usize) -> &'a [S],
    conv: impl Fn(S) -> f64 + Copy,
    dst: &mut [f64],
    stride: usize,
) {
    let ri = r as isize;
    let c = off as isize;
    let (lo, hi) = (c - ri, c + ri);
    let first = &mut dst[..w];
    first.fill(0.0);
    for j in lo.max(0)..=hi.min(n as isize - 1) {
        for (d, &v) in first.iter_mut().zip(src(j as usize)) {
            *d += conv(v);
        }
    }
    // Window positions beyond either end repeat the edge lane.
    for (edge, times) in [(0, (-lo).max(0)), (n - 1, (hi - (n as isize - 1)).max(0))] {
        if times > 0 {
            let t = times as f64;
            for (d, &v) in first.iter_mut().zip(src(edge)) {
                *d += t * conv(v);
            }
        }
    }
    for i in 1..m {
        let add = clamp_index(off + i, ri, n);
        let sub = clamp_index(off + i, -ri - 1, n);
        let (done, rest) = dst.split_at_mut(i * stride);
        let prev = &done[(i - 1) * stride..][..w];
        let cur = &mut rest[..w];
        if add == sub {
            cur.copy_from_slice(prev);
            continue;
        }
        for (((d, &p), &a), &b) in cur.iter_mut().zip(prev).zip(src(add)).zip(src(sub)) {
            *d = p + conv(a) - conv(b);
        }
    }
}

fn mean_block<T: FilterPixel>(
    bi: &BlockInput<'_, T>,
    mut out: ArrayViewMut3<'_, T::Float>,
    r: [usize; 3],
    count: f64,
) {
    let data = bi.data.view();
    let (pz, py, px) = data.dim();
    let (iz, iy, ix) = out.dim();
    let o = bi.interior_offset();
    // z sums of every padded row, for the interior planes.
    let mut zs = vec![0.0f64; iz * py * px];
    for y in 0..py {
        box_lanes(
            (pz, o[2], iz, r[2]),
            px,
            |j| row(&data, j, y),
            T::to_f64,
            &mut zs[y * px..],
            py * px,
        );
    }
    let mut ys = vec![0.0f64; iy * px];
    let mut xs = vec![0.0f64; ix];
    for z in 0..iz {
        let plane = &zs[z * py * px..][..py * px];
        box_lanes(
            (py, o[1], iy, r[1]),
            px,
            |j| &plane[j * px..][..px],
            |v| v,
            &mut ys,
            px,
        );
        for y in 0..iy {
            let src = &ys[y * px..][..px];
            box_lanes(
                (px, o[0], ix, r[0]),
                1,
                |j| &src[j..j + 1],
                |v| v,
                &mut xs,
                1,
            );
            let dst = out
                .slice_mut(s![z, y, ..])
                .into_slice()
                .expect("rows of standard-layout arrays are contiguous");
            for (d, &v) in dst.iter_mut().zip(&xs) {
                *d = <T::Float as Pixel>::from_f64(v / count);
            }
        }
    }
}
