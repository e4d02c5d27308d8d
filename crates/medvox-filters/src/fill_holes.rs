//! Hole filling, binary and grey-level.
//!
//! * **Binary** (default): a *hole* is a connected component (6-connectivity: voxels
//!   sharing a face) of the voxels `≠ foreground` that does not touch the image
//!   border. Hole voxels become `foreground`; every other voxel keeps its value. As
//!   SimpleITK `BinaryFillhole(img, fullyConnected=False, foregroundValue)` and, for a
//!   0/1 mask, `scipy.ndimage.binary_fill_holes(mask)` (its default structure is the
//!   same face connectivity).
//! * **Grey** (`grey = true`): morphological reconstruction by erosion of the image
//!   from its border: each voxel gets `max(f(p), min over face-connected paths from the
//!   border to p of the largest value on the path)`, so regional minima not connected
//!   to the border are raised to the level of their lowest "pass". As SimpleITK
//!   `GrayscaleFillhole(img, fullyConnected=False)`.
//! * **Boundary**: voxels on the image border are never filled (outside the image
//!   counts as connected background); a volume one voxel thick on any axis is
//!   returned unchanged.
//! * **Types**: every pixel type; the output keeps it and holds only input values (and
//!   `foreground`), so results are exact. NaN never panics (grey: NaN orders above
//!   +∞).
//! * **Algorithm**: a whole-volume flood from the border (no halo-block form exists:
//!   one voxel's result can depend on any other). Binary: breadth-first flood of the
//!   background from the border voxels, O(N). Grey: priority flood (Soille's
//!   reconstruction by a hierarchical queue; a plain FIFO for voxels filled at the
//!   current level, a binary heap otherwise), O(N log N). The flood is sequential; the
//!   per-voxel passes run in parallel. Results do not depend on the thread count.
//!
//! ```
//! use medvox_core::{Executor, Geometry, Volume};
//! use medvox_filters::fill_holes::{fill_holes, FillHolesParams};
//! let mut m = vec![1u8; 27];
//! m[13] = 0; // the centre of a 3×3×3 cube
//! let v = Volume::from_vec([3, 3, 3], m, Geometry::default()).unwrap();
//! let f = fill_holes(&v, &FillHolesParams::default(), &Executor::default()).unwrap();
//! assert!(f.as_slice().iter().all(|&x| x == 1));
//! ```

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};

use medvox_core::{AnyVolume, Executor, Pixel, Volume};
use rayon::prelude::*;

use crate::error::{FilterError, Result};
use crate::pixel::FilterPixel;

const OP: &str = "fill-holes";

/// Parameters of [`fill_holes`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FillHolesParams {
    /// Grey-level filling (reconstruction by erosion) instead of binary.
    #[serde(default)]
    pub grey: bool,
    /// Foreground value of binary filling (1 by default).
    #[serde(default = "one")]
    pub foreground: f64,
}

fn one() -> f64 {
    1.0
}

impl Default for FillHolesParams {
    fn default() -> Self {
        FillHolesParams {
            grey: false,
            foreground: 1.0,
        }
    }
}

impl FillHolesParams {
    /// Checks that the foreground value is a value of pixel type `T`.
    pub fn check<T: Pixel>(&self) -> Result<()> {
        let f = self.foreground;
        if !self.grey && (!f.is_finite() || T::from_f64(f).to_f64() != f) {
            return Err(FilterError::Parameter {
                op: OP,
                name: "foreground",
                reason: format!("{f} is not a value of pixel type {:?}", T::TYPE),
            });
        }
        Ok(())
    }
}

/// Fills holes (see the module docs).
pub fn fill_holes<T: FilterPixel>(
    vol: &Volume<T>,
    params: &FillHolesParams,
    exec: &Executor,
) -> Result<Volume<T>> {
    params.check::<T>()?;
    if vol.is_empty() {
        return Ok(vol.zeros_like());
    }
    if params.grey {
        return Ok(grey_fill(vol));
    }
    let fg = T::from_f64(params.foreground);
    let outside = exec.install(|| border_connected(vol.size(), vol.as_slice(), |v| v != fg));
    let mut out = vol.clone();
    exec.install(|| {
        out.as_slice_mut()
            .par_iter_mut()
            .zip(outside.par_iter())
            .for_each(|(o, &keep)| {
                if keep == 0 {
                    *o = fg;
                }
            })
    });
    Ok(out)
}

/// [`fill_holes`] on a volume of any pixel type (the output keeps it).
pub fn fill_holes_any(
    vol: &AnyVolume,
    params: &FillHolesParams,
    exec: &Executor,
) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(FilterPixel::into_any(fill_holes(v, params, exec)?)))
}

/// Linear strides of the six face neighbours of voxel `i` at `(x, y, z)` that lie
/// inside a volume of size `s`, passed to `f`.
#[inline(always)]
fn face_neighbours(
    i: usize,
    x: usize,
    y: usize,
    z: usize,
    s: [usize; 3],
    mut f: impl FnMut(usize),
) {
    let (sx, sxy) = (s[0], s[0] * s[1]);
    if x > 0 {
        f(i - 1);
    }
    if x + 1 < s[0] {
        f(i + 1);
    }
    if y > 0 {
        f(i - sx);
    }
    if y + 1 < s[1] {
        f(i + sx);
    }
    if z > 0 {
        f(i - sxy);
    }
    if z + 1 < s[2] {
        f(i + sxy);
    }
}

#[inline(always)]
fn coords(i: usize, s: [usize; 3]) -> (usize, usize, usize) {
    (i % s[0], (i / s[0]) % s[1], i / (s[0] * s[1]))
}

/// Indices of the voxels on the image border, in memory order.
fn border_indices(s: [usize; 3]) -> impl Iterator<Item = usize> {
    let (nx, ny, nz) = (s[0], s[1], s[2]);
    (0..nz).flat_map(move |z| {
        (0..ny).flat_map(move |y| {
            let full = z == 0 || z + 1 == nz || y == 0 || y + 1 == ny;
            let row = (z * ny + y) * nx;
            let xs: Box<dyn Iterator<Item = usize>> = if full || nx <= 2 {
                Box::new(0..nx)
            } else {
                Box::new([0, nx - 1].into_iter())
            };
            xs.map(move |x| row + x)
        })
    })
}

/// 1 for every voxel with `bg(v)` connected by faces to the border, 0 elsewhere.
fn border_connected<T: Copy>(s: [usize; 3], data: &[T], bg: impl Fn(T) -> bool) -> Vec<u8> {
    let mut seen = vec![0u8; data.len()];
    let mut stack: Vec<usize> = Vec::new();
    for i in border_indices(s) {
        if seen[i] == 0 && bg(data[i]) {
            seen[i] = 1;
            stack.push(i);
        }
    }
    while let Some(i) = stack.pop() {
        let (x, y, z) = coords(i, s);
        face_neighbours(i, x, y, z, s, |j| {
            if seen[j] == 0 && bg(data[j]) {
                seen[j] = 1;
                stack.push(j);
            }
        });
    }
    seen
}

/// A heap entry ordered by value (total order, NaN last), then by index.
#[derive(Clone, Copy)]
struct Entry(f64, usize);

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.total_cmp(&o.0).then(self.1.cmp(&o.1))
    }
}

/// Priority flood from the border: reconstruction by erosion of the border marker.
fn grey_fill<T: Pixel>(vol: &Volume<T>) -> Volume<T> {
    let s = vol.size();
    let f = vol.as_slice();
    let mut out = vol.clone();
    let o = out.as_slice_mut();
    let mut done = vec![false; f.len()];
    let mut heap = BinaryHeap::new();
    for i in border_indices(s) {
        done[i] = true;
        heap.push(Reverse(Entry(f[i].to_f64(), i)));
    }
    let mut fifo: VecDeque<usize> = VecDeque::new();
    loop {
        // Voxels raised to the current level come first (they are at the minimum).
        let (level, i) = match fifo.pop_front() {
            Some(i) => (o[i], i),
            None => match heap.pop() {
                Some(Reverse(Entry(_, i))) => (o[i], i),
                None => break,
            },
        };
        let (x, y, z) = coords(i, s);
        face_neighbours(i, x, y, z, s, |j| {
            if done[j] {
                return;
            }
            done[j] = true;
            if f[j].to_f64().total_cmp(&level.to_f64()) != Ordering::Greater {
                o[j] = level;
                fifo.push_back(j);
            } else {
                heap.push(Reverse(Entry(f[j].to_f64(), j)));
            }
        });
    }
    out
}
