//! Median filter over a box of `(2r_x+1)·(2r_y+1)·(2r_z+1)` voxels.
//!
//! Each output voxel is the exact median (the middle element; the box always holds
//! an odd number of voxels) of the input voxels in the box around it, as
//! SimpleITK's `Median(img, [rx, ry, rz])` and `scipy.ndimage.median_filter(x,
//! size=(2rz+1, 2ry+1, 2rx+1), mode='nearest')` compute it.
//!
//! * **Units**: radius in voxels per axis `[x, y, z]`.
//! * **Boundary**: edge replicate (ITK ZeroFluxNeumann = scipy `mode='nearest'`).
//! * **Types**: any pixel type; the output has the input's type (the median is one
//!   of the input values, so integer results are exact).
//! * **Blocks**: halo = radius; results are identical for every plan and thread count.
//! * **NaN**: never panics; the position of NaN values in the order is unspecified.
//!
//! Algorithm: for every output row, the `(2r_y+1)(2r_z+1)` values of each x position
//! ("column") are sorted once and shared by the `2r_x+1` windows that contain them;
//! the median is then the middle element of a `(2r_x+1)`-way merge of sorted columns.
//!
//! ```
//! use medvox_core::{Executor, Geometry, Volume};
//! use medvox_filters::median::{median, MedianParams};
//! let v = Volume::from_vec([3, 1, 1], vec![5u8, 0, 9], Geometry::default()).unwrap();
//! let m = median(&v, &MedianParams::new([1, 0, 0]), &Executor::default()).unwrap();
//! // windows (edge replicate): [5,5,0] [5,0,9] [0,9,9]
//! assert_eq!(m.as_slice(), &[5, 5, 9]);
//! ```

use medvox_core::{AnyVolume, BlockInput, BlockPlan, Executor, Pixel, Volume};
use ndarray::{s, ArrayViewMut3};

use crate::error::{FilterError, Result};
use crate::gaussian::row;
use crate::pixel::FilterPixel;
use crate::plan::{check_plan, clamp_index};

const OP: &str = "median";

/// Largest window (voxels) [`median`] accepts.
pub const MAX_WINDOW: usize = 1 << 24;

/// Parameters of [`median`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MedianParams {
    /// Radius in voxels per axis `[x, y, z]`; the box is `2r+1` voxels wide.
    pub radius: [usize; 3],
}

impl MedianParams {
    /// A radius per axis `[x, y, z]`.
    pub fn new(radius: [usize; 3]) -> Self {
        MedianParams { radius }
    }

    /// Checks the window size; returns the number of voxels in the box.
    pub fn window(&self) -> Result<usize> {
        self.radius
            .iter()
            .try_fold(1usize, |acc, &r| {
                r.checked_mul(2)
                    .and_then(|d| d.checked_add(1))
                    .and_then(|d| acc.checked_mul(d))
            })
            .filter(|&n| n <= MAX_WINDOW)
            .ok_or_else(|| FilterError::Parameter {
                op: OP,
                name: "radius",
                reason: format!(
                    "window of radius {:?} holds more than {MAX_WINDOW} voxels",
                    self.radius
                ),
            })
    }
}

/// Median filter on an executor's default plan (see the module docs).
pub fn median<T: FilterPixel>(
    vol: &Volume<T>,
    params: &MedianParams,
    exec: &Executor,
) -> Result<Volume<T>> {
    params.window()?;
    median_with_plan(vol, params, exec, &exec.plan(vol.size(), params.radius))
}

/// [`median`] on a given block plan (its halo must be at least the radius).
pub fn median_with_plan<T: FilterPixel>(
    vol: &Volume<T>,
    params: &MedianParams,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<T>> {
    params.window()?;
    check_plan(OP, vol, plan, params.radius)?;
    if vol.is_empty() {
        return Ok(vol.zeros_like());
    }
    Ok(exec.map_blocks(vol, plan, |bi, out| median_block(bi, out, params.radius)))
}

/// [`median`] on a volume of any pixel type (the output keeps it).
pub fn median_any(vol: &AnyVolume, params: &MedianParams, exec: &Executor) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(FilterPixel::into_any(median(v, params, exec)?)))
}

/// Insertion sort with `<` only: never panics, whatever the order (NaN) does.
#[inline]
fn insertion_sort<T: PartialOrd + Copy>(a: &mut [T]) {
    for i in 1..a.len() {
        let v = a[i];
        let mut j = i;
        while j > 0 && v < a[j - 1] {
            a[j] = a[j - 1];
            j -= 1;
        }
        a[j] = v;
    }
}

/// The `target`-th smallest element (0-based) of the union of sorted `cols`
/// (each `n` long, laid out one after another), by a k-way merge.
#[inline]
fn merged_nth<T: PartialOrd + Copy>(cols: &[T], n: usize, heads: &mut [usize], target: usize) -> T {
    let k = heads.len();
    heads.iter_mut().for_each(|h| *h = 0);
    let mut step = 0;
    loop {
        let mut best = usize::MAX;
        let mut best_v = cols[0];
        for (j, &h) in heads.iter().enumerate() {
            if h < n {
                let v = cols[j * n + h];
                if best == usize::MAX || v < best_v {
                    best = j;
                    best_v = v;
                }
            }
        }
        if step == target || best == usize::MAX || k == 0 {
            return best_v;
        }
        heads[best] += 1;
        step += 1;
    }
}

fn median_block<T: Pixel>(bi: &BlockInput<'_, T>, mut out: ArrayViewMut3<'_, T>, r: [usize; 3]) {
    let data = bi.data.view();
    let (pz, py, px) = data.dim();
    let (iz, iy, ix) = out.dim();
    let o = bi.interior_offset();
    let ncol = (2 * r[1] + 1) * (2 * r[2] + 1);
    let kx = 2 * r[0] + 1;
    let target = ncol * kx / 2;
    // Sorted columns for the x positions o[0]-r .. o[0]+ix+r (edge replicated).
    let ne = ix + 2 * r[0];
    let mut cols: Vec<T> = vec![T::default(); ne * ncol];
    let mut rows: Vec<&[T]> = Vec::with_capacity(ncol);
    let mut heads = vec![0usize; kx];
    for z in 0..iz {
        for y in 0..iy {
            let (zc, yc) = (z + o[2], y + o[1]);
            rows.clear();
            for dz in -(r[2] as isize)..=r[2] as isize {
                for dy in -(r[1] as isize)..=r[1] as isize {
                    rows.push(row(&data, clamp_index(zc, dz, pz), clamp_index(yc, dy, py)));
                }
            }
            for (xe, col) in cols.chunks_exact_mut(ncol).enumerate() {
                let xs = clamp_index(o[0] + xe, -(r[0] as isize), px);
                for (c, rw) in col.iter_mut().zip(&rows) {
                    *c = rw[xs];
                }
                insertion_sort(col);
            }
            let dst = out
                .slice_mut(s![z, y, ..])
                .into_slice()
                .expect("rows of standard-layout arrays are contiguous");
            for (x, d) in dst.iter_mut().enumerate() {
                *d = merged_nth(&cols[x * ncol..(x + kx) * ncol], ncol, &mut heads, target);
            }
        }
    }
}
