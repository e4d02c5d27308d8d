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

/// Largest window (voxels) computed with the sorting network; larger ones use the
/// column merge.
pub const NETWORK_MAX: usize = 64;

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
    let n = params.window()?;
    if n <= NETWORK_MAX {
        let net = median_network(n);
        return Ok(exec.map_blocks(vol, plan, |bi, out| {
            median_block_network(bi, out, params.radius, &net)
        }));
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

/// Compare-exchanges `(i, j)`, `i < j`, of Batcher's odd-even merge sort for `n`
/// wires (the power-of-two network with the wires `>= n` treated as +∞ and
/// dropped), pruned to those that the middle output `n / 2` depends on.
fn median_network(n: usize) -> Vec<(usize, usize)> {
    let big = n.next_power_of_two();
    let mut pairs = Vec::new();
    let mut p = 1;
    while p < big {
        let mut k = p;
        while k >= 1 {
            let mut j = k % p;
            while j + k < big {
                for i in 0..k.min(big - j - k) {
                    if (i + j) / (2 * p) == (i + j + k) / (2 * p) {
                        let (a, b) = (i + j, i + j + k);
                        if b < n {
                            pairs.push((a, b));
                        }
                    }
                }
                j += 2 * k;
            }
            k /= 2;
        }
        p *= 2;
    }
    let mut needed = vec![false; n];
    needed[n / 2] = true;
    let mut kept: Vec<(usize, usize)> = Vec::new();
    for &(a, b) in pairs.iter().rev() {
        if needed[a] || needed[b] {
            needed[a] = true;
            needed[b] = true;
            kept.push((a, b));
        }
    }
    kept.reverse();
    kept
}

/// `lo[i], hi[i] = min, max` for every lane position (`<` only: never panics).
#[inline]
fn compare_exchange<T: PartialOrd + Copy>(lo: &mut [T], hi: &mut [T]) {
    for (a, b) in lo.iter_mut().zip(hi.iter_mut()) {
        let (x, y) = (*a, *b);
        let swap = y < x;
        *a = if swap { y } else { x };
        *b = if swap { x } else { y };
    }
}

fn median_block_network<T: Pixel>(
    bi: &BlockInput<'_, T>,
    mut out: ArrayViewMut3<'_, T>,
    r: [usize; 3],
    net: &[(usize, usize)],
) {
    let data = bi.data.view();
    let (pz, py, _) = data.dim();
    let (iz, iy, ix) = out.dim();
    let o = bi.interior_offset();
    let n = (2 * r[0] + 1) * (2 * r[1] + 1) * (2 * r[2] + 1);
    let mut lanes: Vec<T> = vec![T::default(); n * ix];
    let mut ext: Vec<T> = Vec::new();
    for z in 0..iz {
        for y in 0..iy {
            let (zc, yc) = (z + o[2], y + o[1]);
            let mut j = 0;
            for dz in -(r[2] as isize)..=r[2] as isize {
                for dy in -(r[1] as isize)..=r[1] as isize {
                    let src = row(&data, clamp_index(zc, dz, pz), clamp_index(yc, dy, py));
                    crate::plan::extend_row(src, r[0], &mut ext, |v| v);
                    for dx in 0..2 * r[0] + 1 {
                        lanes[j * ix..(j + 1) * ix]
                            .copy_from_slice(&ext[o[0] + dx..o[0] + dx + ix]);
                        j += 1;
                    }
                }
            }
            for &(a, b) in net {
                let (lo, hi) = lanes.split_at_mut(b * ix);
                compare_exchange(&mut lo[a * ix..(a + 1) * ix], &mut hi[..ix]);
            }
            let dst = out
                .slice_mut(s![z, y, ..])
                .into_slice()
                .expect("rows of standard-layout arrays are contiguous");
            dst.copy_from_slice(&lanes[n / 2 * ix..(n / 2 + 1) * ix]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pruned network finds the median of every 0/1 input (0-1 principle) for small n.
    #[test]
    fn network_selects_the_median() {
        for n in [1usize, 3, 5, 7, 9, 15, 25, 27] {
            let net = median_network(n);
            let tries: Vec<u64> = if n <= 15 {
                (0..1u64 << n).collect()
            } else {
                (0..20000u64)
                    .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - n))
                    .collect()
            };
            for bits in tries {
                let mut v: Vec<u8> = (0..n).map(|i| ((bits >> i) & 1) as u8).collect();
                let mut want = v.clone();
                want.sort();
                for &(a, b) in &net {
                    if v[b] < v[a] {
                        v.swap(a, b);
                    }
                }
                assert_eq!(v[n / 2], want[n / 2], "n {n} bits {bits:b}");
            }
        }
        assert!(median_network(27).len() < 200);
    }
}
