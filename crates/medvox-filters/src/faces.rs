//! The six-face stencil shared by [`crate::gradient`] and [`crate::laplacian`]: each
//! voxel's value and its two neighbours along every axis, in f64, edge replicate
//! (ITK ZeroFluxNeumann, scipy `mode='nearest'`), on any block plan (halo 1).

use medvox_core::{BlockInput, BlockPlan, Executor, Geometry, Pixel, Volume};
use ndarray::{s, ArrayViewMut3};

use crate::error::Result;
use crate::gaussian::row;
use crate::pixel::FilterPixel;
use crate::plan::{check_plan, clamp_index, extend_row};

/// Halo of a face stencil.
pub const HALO: [usize; 3] = [1, 1, 1];

/// Parameters of the derivative ops ([`crate::gradient`], [`crate::laplacian`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DerivativeParams {
    /// Divide differences by the voxel spacing (mm); `false` gives voxel units.
    #[serde(default = "yes")]
    pub use_spacing: bool,
}

fn yes() -> bool {
    true
}

impl Default for DerivativeParams {
    fn default() -> Self {
        DerivativeParams { use_spacing: true }
    }
}

impl DerivativeParams {
    /// The spacing differences are divided by: the voxel spacing, or 1.
    pub fn spacing(&self, g: &Geometry) -> [f64; 3] {
        if self.use_spacing {
            g.spacing
        } else {
            [1.0; 3]
        }
    }
}

/// A voxel's value `c` and its neighbours `m[a]` (index − 1) and `p[a]` (index + 1)
/// along axis a (x, y, z).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Faces {
    pub c: f64,
    pub m: [f64; 3],
    pub p: [f64; 3],
}

/// `f(faces)` at every voxel of `vol` on `plan`, rounded to the float output type.
pub(crate) fn map_faces<T: FilterPixel>(
    op: &'static str,
    vol: &Volume<T>,
    exec: &Executor,
    plan: &BlockPlan,
    f: impl Fn(&Faces) -> f64 + Sync,
) -> Result<Volume<T::Float>> {
    check_plan(op, vol, plan, HALO)?;
    if vol.is_empty() {
        return Ok(vol.zeros_like());
    }
    Ok(exec.map_blocks(vol, plan, |bi, out| faces_block::<T>(bi, out, &f)))
}

fn faces_block<T: FilterPixel>(
    bi: &BlockInput<'_, T>,
    mut out: ArrayViewMut3<'_, T::Float>,
    f: &impl Fn(&Faces) -> f64,
) {
    let data = bi.data.view();
    let (pz, py, px) = data.dim();
    let (iz, iy, _) = out.dim();
    let o = bi.interior_offset();
    let mut ext: Vec<f64> = Vec::with_capacity(px + 2);
    for z in 0..iz {
        let zc = z + o[2];
        for y in 0..iy {
            let yc = y + o[1];
            extend_row(row(&data, zc, yc), 1, &mut ext, T::to_f64);
            let ym = &row(&data, zc, clamp_index(yc, -1, py))[o[0]..];
            let yp = &row(&data, zc, clamp_index(yc, 1, py))[o[0]..];
            let zm = &row(&data, clamp_index(zc, -1, pz), yc)[o[0]..];
            let zp = &row(&data, clamp_index(zc, 1, pz), yc)[o[0]..];
            let xs = &ext[o[0]..];
            let dst = out
                .slice_mut(s![z, y, ..])
                .into_slice()
                .expect("rows of standard-layout arrays are contiguous");
            for (i, d) in dst.iter_mut().enumerate() {
                let faces = Faces {
                    c: xs[i + 1],
                    m: [xs[i], ym[i].to_f64(), zm[i].to_f64()],
                    p: [xs[i + 2], yp[i].to_f64(), zp[i].to_f64()],
                };
                *d = <T::Float as Pixel>::from_f64(f(&faces));
            }
        }
    }
}
