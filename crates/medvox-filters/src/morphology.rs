//! Grey-scale and binary morphology with flat box and ball structuring elements:
//! erode, dilate, open, close.
//!
//! * **Grey** (default): erosion = minimum, dilation = maximum of the input over the
//!   structuring element centred on each voxel; opening = dilation of the erosion,
//!   closing = erosion of the dilation. As SimpleITK `GrayscaleErode/GrayscaleDilate(img,
//!   [rx, ry, rz], sitkBall|sitkBox)` and `scipy.ndimage.grey_erosion(x, footprint=…,
//!   mode='nearest')` (closing/opening as scipy's `grey_closing/grey_opening`).
//! * **Binary** (`binary = true`): the mask is `voxel == foreground` (1 by default);
//!   the output is `foreground` where the eroded/dilated/opened/closed mask is set and
//!   0 (the background) elsewhere, in the input's pixel type. For a 0/foreground mask
//!   this is SimpleITK `BinaryErode/BinaryDilate/BinaryMorphologicalOpening/Closing(mask,
//!   r, kernel, background 0, foreground)`; voxels of other values become 0 (ITK would
//!   keep them).
//! * **Structuring elements**: see [`crate::structuring`]; the ball is ITK's (radius 2 =
//!   the 81 offsets with `d·d <= 6`). Radius in voxels per axis `[x, y, z]` (0 allowed).
//! * **Boundary**: out-of-image voxels are ignored, which for these flat, symmetric
//!   elements equals edge replicate (ITK's default, scipy `mode='nearest'`); open and
//!   close apply the rule in each of their two passes (no padding: ITK's `SafeBorder`
//!   closing can differ at the image border).
//! * **Types**: every pixel type; the output keeps it (values are input values).
//! * **Blocks**: halo = radius; results are identical for every plan and thread count.
//! * **NaN**: never panics; where NaN meets other values in a window the result is
//!   unspecified.
//!
//! Algorithm: the element is cut into x-runs (for each `(dy, dz)` a run `|dx| <= w`).
//! Each row is reduced once per distinct run width (sparse-table doubling for short
//! runs, van Herk/Gil-Werman for long ones: O(log w) or O(1) per voxel, vectorised),
//! then the runs of one z-plane of the element are combined across rows (a running
//! van Herk min over rows for the box), then the planes across z (van Herk over planes
//! for the box). Ball radius 2 costs about 15 min/max per voxel instead of 81.
//!
//! ```
//! use medvox_core::{Executor, Geometry, Volume};
//! use medvox_filters::morphology::{erode, Kernel, MorphologyParams};
//! let v = Volume::from_vec([5, 1, 1], vec![5u8, 3, 9, 9, 7], Geometry::default()).unwrap();
//! let p = MorphologyParams::new([1, 0, 0], Kernel::Box);
//! let e = erode(&v, &p, &Executor::default()).unwrap();
//! assert_eq!(e.as_slice(), &[3, 3, 3, 7, 7]);
//! ```

use medvox_core::{AnyVolume, BlockInput, BlockPlan, Executor, Pixel, Volume};
use ndarray::{s, ArrayViewMut3};

use crate::error::{FilterError, Result};
use crate::gaussian::row;
use crate::pixel::FilterPixel;
use crate::plan::{check_plan, clamp_index, extend_row};
use crate::structuring::{Decomposition, MAX_RADIUS};

pub use crate::structuring::Kernel;

/// Largest `(2r_y+1)(2r_z+1)` (x-runs per voxel) accepted for the ball.
pub const MAX_BALL_RUNS: usize = 1 << 16;

/// Runs up to this length use sparse-table doubling; longer ones van Herk/Gil-Werman.
const DOUBLING_MAX: usize = 32;

/// Box windows across rows/planes up to this length are combined directly.
const DIRECT_MAX: usize = 7;

/// The four morphological operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MorphOp {
    /// Minimum over the element (binary: the element fits in the mask).
    Erode,
    /// Maximum over the element (binary: the element touches the mask).
    Dilate,
    /// Erode, then dilate.
    Open,
    /// Dilate, then erode.
    Close,
}

impl MorphOp {
    /// `erode`, `dilate`, `open` or `close`.
    pub fn name(&self) -> &'static str {
        match self {
            MorphOp::Erode => "erode",
            MorphOp::Dilate => "dilate",
            MorphOp::Open => "open",
            MorphOp::Close => "close",
        }
    }
}

/// Parameters of the morphological operations.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MorphologyParams {
    /// Radius in voxels per axis `[x, y, z]`.
    pub radius: [usize; 3],
    /// Structuring element (ball by default).
    #[serde(default)]
    pub kernel: Kernel,
    /// Binary morphology on the mask `voxel == foreground` instead of grey-scale.
    #[serde(default)]
    pub binary: bool,
    /// Foreground value of binary morphology (1 by default).
    #[serde(default = "one")]
    pub foreground: f64,
}

fn one() -> f64 {
    1.0
}

impl MorphologyParams {
    /// Grey-scale morphology with a radius per axis `[x, y, z]` and an element.
    pub fn new(radius: [usize; 3], kernel: Kernel) -> Self {
        MorphologyParams {
            radius,
            kernel,
            binary: false,
            foreground: 1.0,
        }
    }

    /// The same, as binary morphology of the mask `voxel == foreground`.
    pub fn binary(mut self, foreground: f64) -> Self {
        self.binary = true;
        self.foreground = foreground;
        self
    }

    /// Checks the radius and the foreground value (for pixel type `T`).
    pub fn check<T: Pixel>(&self, op: MorphOp) -> Result<()> {
        let name = op.name();
        if let Some(&r) = self.radius.iter().find(|&&r| r > MAX_RADIUS) {
            return Err(FilterError::Parameter {
                op: name,
                name: "radius",
                reason: format!("{r} is larger than {MAX_RADIUS} voxels"),
            });
        }
        if self.kernel == Kernel::Ball
            && (2 * self.radius[1] + 1) * (2 * self.radius[2] + 1) > MAX_BALL_RUNS
        {
            return Err(FilterError::Parameter {
                op: name,
                name: "radius",
                reason: format!(
                    "ball of radius {:?} has more than {MAX_BALL_RUNS} x-runs; use a box or a smaller radius",
                    self.radius
                ),
            });
        }
        if self.binary {
            let f = self.foreground;
            if !f.is_finite() || T::from_f64(f).to_f64() != f {
                return Err(FilterError::Parameter {
                    op: name,
                    name: "foreground",
                    reason: format!("{f} is not a value of pixel type {:?}", T::TYPE),
                });
            }
        }
        Ok(())
    }
}

/// Erosion on an executor's default plan (see the module docs).
pub fn erode<T: FilterPixel>(
    vol: &Volume<T>,
    params: &MorphologyParams,
    exec: &Executor,
) -> Result<Volume<T>> {
    morphology(vol, MorphOp::Erode, params, exec)
}

/// Dilation on an executor's default plan.
pub fn dilate<T: FilterPixel>(
    vol: &Volume<T>,
    params: &MorphologyParams,
    exec: &Executor,
) -> Result<Volume<T>> {
    morphology(vol, MorphOp::Dilate, params, exec)
}

/// Opening (erode, then dilate) on an executor's default plan.
pub fn open<T: FilterPixel>(
    vol: &Volume<T>,
    params: &MorphologyParams,
    exec: &Executor,
) -> Result<Volume<T>> {
    morphology(vol, MorphOp::Open, params, exec)
}

/// Closing (dilate, then erode) on an executor's default plan.
pub fn close<T: FilterPixel>(
    vol: &Volume<T>,
    params: &MorphologyParams,
    exec: &Executor,
) -> Result<Volume<T>> {
    morphology(vol, MorphOp::Close, params, exec)
}

/// Any of the four operations on an executor's default plan.
pub fn morphology<T: FilterPixel>(
    vol: &Volume<T>,
    op: MorphOp,
    params: &MorphologyParams,
    exec: &Executor,
) -> Result<Volume<T>> {
    params.check::<T>(op)?;
    morphology_with_plan(vol, op, params, exec, &exec.plan(vol.size(), params.radius))
}

/// [`morphology`] on a given block plan (its halo must be at least the radius).
pub fn morphology_with_plan<T: FilterPixel>(
    vol: &Volume<T>,
    op: MorphOp,
    params: &MorphologyParams,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<T>> {
    params.check::<T>(op)?;
    check_plan(op.name(), vol, plan, params.radius)?;
    if vol.is_empty() {
        return Ok(vol.zeros_like());
    }
    let d = Decomposition::new(params.kernel, params.radius);
    if params.binary {
        let fg = T::from_f64(params.foreground);
        let mask: Volume<u8> = exec.install(|| vol.map(move |v| u8::from(v == fg)));
        let res = run_op(&mask, op, &d, exec, plan);
        return Ok(exec.install(|| res.map(move |m| if m != 0 { fg } else { T::default() })));
    }
    Ok(run_op(vol, op, &d, exec, plan))
}

/// [`morphology`] on a volume of any pixel type (the output keeps it).
pub fn morphology_any(
    vol: &AnyVolume,
    op: MorphOp,
    params: &MorphologyParams,
    exec: &Executor,
) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(FilterPixel::into_any(morphology(v, op, params, exec)?)))
}

fn run_op<T: Pixel>(
    vol: &Volume<T>,
    op: MorphOp,
    d: &Decomposition,
    exec: &Executor,
    plan: &BlockPlan,
) -> Volume<T> {
    let pass = |v: &Volume<T>, max: bool| -> Volume<T> {
        if max {
            exec.map_blocks(v, plan, |bi, out| morph_block::<T, true>(bi, out, d))
        } else {
            exec.map_blocks(v, plan, |bi, out| morph_block::<T, false>(bi, out, d))
        }
    };
    match op {
        MorphOp::Erode => pass(vol, false),
        MorphOp::Dilate => pass(vol, true),
        MorphOp::Open => pass(&pass(vol, false), true),
        MorphOp::Close => pass(&pass(vol, true), false),
    }
}

/// `max(a, b)` for dilation, `min(a, b)` for erosion (`<`/`>` only: never panics).
#[inline(always)]
fn pick<T: PartialOrd + Copy, const MAX: bool>(a: T, b: T) -> T {
    if MAX {
        if b > a {
            b
        } else {
            a
        }
    } else if b < a {
        b
    } else {
        a
    }
}

#[inline]
fn pick_into<T: PartialOrd + Copy, const MAX: bool>(dst: &mut [T], src: &[T]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = pick::<T, MAX>(*d, s);
    }
}

#[inline]
fn pick_of<T: PartialOrd + Copy, const MAX: bool>(dst: &mut [T], a: &[T], b: &[T]) {
    for ((d, &x), &y) in dst.iter_mut().zip(a).zip(b) {
        *d = pick::<T, MAX>(x, y);
    }
}

/// `out[i] = pick(a[i..i + k])`, `out.len() == a.len() + 1 - k`.
fn run_line<T: Pixel, const MAX: bool>(
    a: &[T],
    k: usize,
    out: &mut [T],
    t1: &mut Vec<T>,
    t2: &mut Vec<T>,
) {
    let n = out.len();
    debug_assert_eq!(a.len() + 1, n + k);
    if k == 1 {
        out.copy_from_slice(&a[..n]);
    } else if k <= DOUBLING_MAX {
        // Sparse table: t1[i] = pick(a[i..i + span]) for growing powers of two.
        t1.clear();
        t1.extend_from_slice(a);
        let mut span = 1;
        while 2 * span <= k {
            let len = t1.len() - span;
            t2.resize(len, T::default());
            pick_of::<T, MAX>(t2, &t1[..len], &t1[span..]);
            std::mem::swap(t1, t2);
            t1.truncate(len);
            span *= 2;
        }
        let off = k - span;
        pick_of::<T, MAX>(out, &t1[..n], &t1[off..off + n]);
    } else {
        // van Herk/Gil-Werman: prefix (g) and suffix (h) extrema within blocks of k.
        let m = a.len();
        t1.resize(m, T::default());
        t2.resize(m, T::default());
        for (i, &v) in a.iter().enumerate() {
            t1[i] = if i % k == 0 {
                v
            } else {
                pick::<T, MAX>(t1[i - 1], v)
            };
        }
        for i in (0..m).rev() {
            t2[i] = if i == m - 1 || (i + 1) % k == 0 {
                a[i]
            } else {
                pick::<T, MAX>(t2[i + 1], a[i])
            };
        }
        pick_of::<T, MAX>(out, &t2[..n], &t1[k - 1..k - 1 + n]);
    }
}

/// Row `j` (length `m`) of `dst` = pick over `src(e)` for `e` in `j..j + k`, for
/// `j < dst.len() / m`; van Herk/Gil-Werman over whole vectors when `k` is large.
fn run_vecs<'a, T: Pixel + 'a, const MAX: bool>(
    src: impl Fn(usize) -> &'a [T],
    m: usize,
    k: usize,
    dst: &mut [T],
    g: &mut Vec<T>,
    h: &mut Vec<T>,
) {
    let n_out = dst.len() / m;
    if k <= DIRECT_MAX {
        for (j, d) in dst.chunks_exact_mut(m).enumerate() {
            d.copy_from_slice(src(j));
            for e in j + 1..j + k {
                pick_into::<T, MAX>(d, src(e));
            }
        }
        return;
    }
    let n = n_out + k - 1;
    g.resize(n * m, T::default());
    h.resize(n * m, T::default());
    for e in 0..n {
        let (done, cur) = g.split_at_mut(e * m);
        let cur = &mut cur[..m];
        if e % k == 0 {
            cur.copy_from_slice(src(e));
        } else {
            pick_of::<T, MAX>(cur, &done[(e - 1) * m..], src(e));
        }
    }
    for e in (0..n).rev() {
        let (cur, next) = h.split_at_mut((e + 1) * m);
        let cur = &mut cur[e * m..];
        if e == n - 1 || (e + 1) % k == 0 {
            cur.copy_from_slice(src(e));
        } else {
            pick_of::<T, MAX>(cur, &next[..m], src(e));
        }
    }
    for (j, d) in dst.chunks_exact_mut(m).enumerate() {
        let gj = (j + k - 1) * m;
        pick_of::<T, MAX>(d, &h[j * m..(j + 1) * m], &g[gj..gj + m]);
    }
}

fn morph_block<T: Pixel, const MAX: bool>(
    bi: &BlockInput<'_, T>,
    mut out: ArrayViewMut3<'_, T>,
    d: &Decomposition,
) {
    let data = bi.data.view();
    let (pz, py, px) = data.dim();
    let (iz, iy, ix) = out.dim();
    let o = bi.interior_offset();
    let r = d.radius;
    // Padded planes and rows that the interior reads.
    let (zlo, zhi) = (o[2].saturating_sub(r[2]), (o[2] + iz + r[2]).min(pz));
    let (ylo, yhi) = (o[1].saturating_sub(r[1]), (o[1] + iy + r[1]).min(py));
    let plane = iy * ix;
    let mut lines: Vec<Vec<T>> = d
        .widths
        .iter()
        .map(|_| vec![T::default(); (yhi - ylo) * ix])
        .collect();
    let mut prof: Vec<Vec<T>> = d
        .profiles
        .iter()
        .map(|_| vec![T::default(); (zhi - zlo) * plane])
        .collect();
    let (mut ext, mut t1, mut t2, mut g, mut h) = (vec![], vec![], vec![], vec![], vec![]);
    for zc in zlo..zhi {
        // 1. x-runs of every distinct width on every row the profiles read.
        for (wi, &w) in d.widths.iter().enumerate() {
            for yc in ylo..yhi {
                let src = row(&data, zc, yc);
                let dst = &mut lines[wi][(yc - ylo) * ix..(yc - ylo + 1) * ix];
                if w <= o[0] && o[0] + ix + w <= px {
                    run_line::<T, MAX>(
                        &src[o[0] - w..o[0] + ix + w],
                        2 * w + 1,
                        dst,
                        &mut t1,
                        &mut t2,
                    );
                } else {
                    extend_row(src, w, &mut ext, |v| v);
                    run_line::<T, MAX>(
                        &ext[o[0]..o[0] + ix + 2 * w],
                        2 * w + 1,
                        dst,
                        &mut t1,
                        &mut t2,
                    );
                }
            }
        }
        // 2. Each profile (one z-plane of the element) across rows.
        for (pi, p) in d.profiles.iter().enumerate() {
            let dst = &mut prof[pi][(zc - zlo) * plane..(zc - zlo + 1) * plane];
            let lrow = |wi: usize, yc: usize| &lines[wi][(yc - ylo) * ix..(yc - ylo + 1) * ix];
            match p.uniform {
                Some(ry) if 2 * ry + 1 > DIRECT_MAX => {
                    let wi = p.rows[0].1;
                    let src = |e: usize| lrow(wi, clamp_index(o[1] + e, -(ry as isize), py));
                    run_vecs::<T, MAX>(src, ix, 2 * ry + 1, dst, &mut g, &mut h);
                }
                _ => {
                    for (y, drow) in dst.chunks_exact_mut(ix).enumerate() {
                        let (dy, wi) = p.rows[0];
                        drow.copy_from_slice(lrow(wi, clamp_index(o[1] + y, dy, py)));
                        for &(dy, wi) in &p.rows[1..] {
                            pick_into::<T, MAX>(drow, lrow(wi, clamp_index(o[1] + y, dy, py)));
                        }
                    }
                }
            }
        }
    }
    // 3. Planes of the element across z.
    let pplane = |pi: usize, zc: usize| &prof[pi][(zc - zlo) * plane..(zc - zlo + 1) * plane];
    match d.uniform_z {
        Some(rz) if 2 * rz + 1 > DIRECT_MAX => {
            let mut res = vec![T::default(); iz * plane];
            let src = |e: usize| pplane(0, clamp_index(o[2] + e, -(rz as isize), pz));
            run_vecs::<T, MAX>(src, plane, 2 * rz + 1, &mut res, &mut g, &mut h);
            for z in 0..iz {
                for y in 0..iy {
                    out_row(&mut out, z, y).copy_from_slice(&res[z * plane + y * ix..][..ix]);
                }
            }
        }
        _ => {
            for z in 0..iz {
                for y in 0..iy {
                    let dst = out_row(&mut out, z, y);
                    let (dz, pi) = d.planes[0];
                    dst.copy_from_slice(&pplane(pi, clamp_index(o[2] + z, dz, pz))[y * ix..][..ix]);
                    for &(dz, pi) in &d.planes[1..] {
                        let src = &pplane(pi, clamp_index(o[2] + z, dz, pz))[y * ix..][..ix];
                        pick_into::<T, MAX>(dst, src);
                    }
                }
            }
        }
    }
}

#[inline]
fn out_row<'a, T>(out: &'a mut ArrayViewMut3<'_, T>, z: usize, y: usize) -> &'a mut [T] {
    out.slice_mut(s![z, y, ..])
        .into_slice()
        .expect("rows of standard-layout arrays are contiguous")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_line(a: &[i32], k: usize, max: bool) -> Vec<i32> {
        a.windows(k)
            .map(|w| {
                if max {
                    *w.iter().max().unwrap()
                } else {
                    *w.iter().min().unwrap()
                }
            })
            .collect()
    }

    #[test]
    fn run_line_matches_naive() {
        let a: Vec<i32> = (0..200).map(|i| ((i * 7919) % 101) - 50).collect();
        let (mut t1, mut t2) = (vec![], vec![]);
        for k in [1, 2, 3, 5, 7, 9, 31, 32, 33, 41, 65, 199, 200] {
            let mut out = vec![0; a.len() + 1 - k];
            run_line::<i32, false>(&a, k, &mut out, &mut t1, &mut t2);
            assert_eq!(out, naive_line(&a, k, false), "min k {k}");
            run_line::<i32, true>(&a, k, &mut out, &mut t1, &mut t2);
            assert_eq!(out, naive_line(&a, k, true), "max k {k}");
        }
    }

    #[test]
    fn run_vecs_matches_naive() {
        let m = 3;
        let a: Vec<i32> = (0..60 * m as i32)
            .map(|i| ((i * 7919) % 101) - 50)
            .collect();
        let (mut g, mut h) = (vec![], vec![]);
        for k in [1, 3, 7, 9, 13, 60] {
            let n_out = 60 + 1 - k;
            let mut dst = vec![0; n_out * m];
            run_vecs::<i32, false>(|e| &a[e * m..(e + 1) * m], m, k, &mut dst, &mut g, &mut h);
            for c in 0..m {
                let col: Vec<i32> = (0..60).map(|e| a[e * m + c]).collect();
                let want = naive_line(&col, k, false);
                let got: Vec<i32> = (0..n_out).map(|j| dst[j * m + c]).collect();
                assert_eq!(got, want, "k {k}");
            }
        }
    }
}
