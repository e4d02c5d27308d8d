//! Resampling onto another voxel grid with nearest or trilinear interpolation,
//! equal to [`medvox_filters::resample`] (the same output grid, bounds and
//! default value).
//!
//! The index → index affine map (output voxel → continuous input index) is built
//! on the host in f64 exactly as the CPU does (separable when the grids' axes are
//! parallel). Per output row the host passes the continuous index of its first
//! voxel (f64 rounded to f32); the kernel adds `ix · step` in f32. Voxels whose f32
//! coordinate lies within its error bound of a decision boundary — a nearest
//! rounding boundary `k + ½` or the input's edge `−½`, `n − ½` — are flagged and
//! recomputed on the host with the CPU's f64 formula, so **nearest is identical**
//! to the CPU and linear never switches between inside and outside differently.
//! Exact ties (e.g. 2× upsampling with nearest) all take the host path. Linear
//! sums the 8 taps in f32 (the CPU in f64): within about 1e-6 of the value range.
//!
//! Tiles: the output is cut in z-slabs that fit one binding (with the per-row
//! table); each slab's input z-range is the bounding box of the map over the
//! slab's corners (±1 plane), uploaded as one input slab.
//!
//! Output: nearest keeps the pixel type; linear gives f32, or the input type with
//! `keep_type` (rounded half away from zero, saturated, as the CPU's cast). Label
//! and B-spline interpolation have no GPU kernel.
//!
//! Bytes moved per output voxel: 8 (one f32 written, the nearest voxel or the
//! 8 linear taps read through caches), plus 12 per output row.

use medvox_core::geometry::{mat_vec, Mat3};
use medvox_core::{AnyVolume, Geometry, Pixel, PixelType};
use medvox_filters::resample::{index_map, output_grid, Grid, IndexMap};
use medvox_filters::{FilterError, Interpolation, ResampleParams};

use crate::context::{GpuContext, Uniform};
use crate::error::{GpuError, Result};
use crate::stream::{stream, Produced};
use crate::volume::{from_f32, to_f32, GpuVolume};

const SRC: &str = include_str!("resample.wgsl");

/// Bits of the "resolve on the host" marker the kernel writes.
const AMBIG: u32 = 0x7fc5_a5a5;

/// Bytes written and read per output voxel.
pub const BYTES_PER_VOXEL: u64 = 8;

fn param(name: &'static str, reason: impl Into<String>) -> GpuError {
    FilterError::Parameter {
        op: "resample",
        name,
        reason: reason.into(),
    }
    .into()
}

/// A prepared resampling: the CPU's index map, the output grid and type.
#[derive(Debug, Clone)]
pub struct Resampler {
    m: Mat3,
    off: [f64; 3],
    separable: bool,
    n_in: [usize; 3],
    grid: Grid,
    linear: bool,
    default: f32,
    out: PixelType,
}

impl Resampler {
    /// Resampling of an input of `n_in` voxels, `geom` and pixel type `ty` onto `grid`.
    pub fn new(
        n_in: [usize; 3],
        geom: &Geometry,
        ty: PixelType,
        grid: &Grid,
        kind: Interpolation,
        default_value: f64,
        keep_type: bool,
    ) -> Result<Self> {
        if n_in.contains(&0) {
            return Err(param(
                "input",
                format!("cannot resample an empty volume (size {n_in:?})"),
            ));
        }
        let linear = match kind {
            Interpolation::Nearest => false,
            Interpolation::Linear => true,
            _ => {
                return Err(GpuError::Unsupported {
                    op: "resample".into(),
                    reason: format!(": {kind:?} interpolation (nearest and linear only)"),
                })
            }
        };
        if !linear && !ty.is_float() && !default_value.is_finite() {
            return Err(param(
                "default-value",
                format!("must be finite for {ty:?} output, got {default_value}"),
            ));
        }
        let IndexMap { m, off, separable } = index_map(geom, grid)?;
        let (default, out) = if linear {
            let out = if keep_type { ty } else { PixelType::F32 };
            (default_value as f32, out)
        } else {
            let d = medvox_core::for_pixel_type!(ty, T => T::from_f64(default_value).to_f64());
            (d as f32, ty)
        };
        Ok(Resampler {
            m,
            off,
            separable,
            n_in,
            grid: *grid,
            linear,
            default,
            out,
        })
    }

    /// The output grid.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// Continuous input index of output voxel `i`, computed as the CPU does.
    fn at(&self, i: [usize; 3]) -> [f64; 3] {
        let f = i.map(|v| v as f64);
        if self.separable {
            std::array::from_fn(|a| self.off[a] + self.m[a][a] * f[a])
        } else {
            let c = mat_vec(&self.m, f);
            std::array::from_fn(|a| self.off[a] + c[a])
        }
    }

    /// Change of the continuous index per output x step (as the kernel adds it).
    fn step(&self) -> [f32; 3] {
        std::array::from_fn(|a| {
            if self.separable && a != 0 {
                0.0
            } else {
                self.m[a][0] as f32
            }
        })
    }

    /// The CPU's value of output voxel `i` from the input voxels `src`.
    fn host_value(&self, i: [usize; 3], src: &[f32]) -> f32 {
        let c = self.at(i);
        let n = self.n_in;
        if (0..3).any(|a| !(c[a] >= -0.5 && c[a] < n[a] as f64 - 0.5)) {
            return self.default;
        }
        let last = n.map(|v| v as i64 - 1);
        let at = |x: i64, y: i64, z: i64| src[(z as usize * n[1] + y as usize) * n[0] + x as usize];
        if !self.linear {
            let q: [i64; 3] =
                std::array::from_fn(|a| ((c[a] + 0.5).floor() as i64).clamp(0, last[a]));
            return at(q[0], q[1], q[2]);
        }
        let mut idx = [[0i64; 2]; 3];
        let mut w = [[0.0f64; 2]; 3];
        for a in 0..3 {
            let b = c[a].floor();
            let t = c[a] - b;
            let b = b as i64;
            idx[a] = [b.clamp(0, last[a]), (b + 1).clamp(0, last[a])];
            w[a] = [1.0 - t, t];
        }
        let mut sum = 0.0;
        for a in 0..2 {
            for b in 0..2 {
                let wzy = w[2][a] * w[1][b];
                for c in 0..2 {
                    sum += wzy * w[0][c] * f64::from(at(idx[0][c], idx[1][b], idx[2][a]));
                }
            }
        }
        sum as f32
    }

    /// Input planes `[lo, hi]` that output planes `oz0..oz1` read.
    fn input_planes(&self, oz0: usize, oz1: usize) -> (usize, usize) {
        let s = self.grid.size;
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for k in 0..8 {
            let i = [
                if k & 1 == 0 { 0 } else { s[0] - 1 },
                if k & 2 == 0 { 0 } else { s[1] - 1 },
                if k & 4 == 0 { oz0 } else { oz1 - 1 },
            ];
            let z = self.at(i)[2];
            (lo, hi) = (lo.min(z), hi.max(z));
        }
        let last = self.n_in[2] as f64 - 1.0;
        let lo = (lo.floor() - 1.0).clamp(0.0, last);
        let hi = (hi.ceil() + 1.0).clamp(lo, last);
        (lo as usize, hi as usize)
    }

    /// Records the kernel for output planes `oz0..oz1` reading `input`, whose first
    /// plane is input plane `zoff`. Flagged voxels hold the marker (see
    /// [`Resampler::run`]); the result is raw f32 bits.
    pub fn record(
        &self,
        ctx: &GpuContext,
        enc: &mut wgpu::CommandEncoder,
        input: &GpuVolume,
        zoff: usize,
        oz0: usize,
        oz1: usize,
    ) -> GpuVolume {
        let [nx, ny, _] = self.grid.size;
        let mut rows = Vec::with_capacity(ny * (oz1 - oz0) * 3);
        for z in oz0..oz1 {
            for y in 0..ny {
                rows.extend(self.at([0, y, z]).map(|v| v as f32));
            }
        }
        let aux = ctx.aux(&rows);
        let size = [nx, ny, oz1 - oz0];
        let dst = GpuVolume::empty(ctx, size, self.grid.geometry, self.out);
        let st = self.step();
        let n = self.n_in;
        let u = Uniform {
            dims: [nx as u32, ny as u32, size[2] as u32, dst.len() as u32],
            ia: [n[0] as i32, n[1] as i32, n[2] as i32, zoff as i32],
            fa: [st[0], st[1], st[2], self.default],
            fb: [f32::from(u8::from(self.linear)), 0.0, 0.0, 0.0],
        };
        let pipe = ctx.pipeline("resample", SRC, "resample");
        ctx.dispatch(
            enc,
            &pipe,
            &u,
            &input.buffer,
            &dst.buffer,
            Some(&aux),
            dst.len() as u64,
        );
        dst
    }

    /// Output planes per slab and the input planes each needs, within one binding.
    fn slabs(&self, ctx: &GpuContext) -> Result<Vec<(usize, usize, usize, usize)>> {
        let [nx, ny, nz] = self.grid.size;
        let cap = (ctx.max_binding() / 4) as usize;
        let per_plane = nx.max(3) * ny;
        let in_plane = self.n_in[0] * self.n_in[1];
        let most = cap / per_plane;
        if most == 0 || in_plane > cap {
            return Err(GpuError::TooLarge {
                what: "resample: one output or input plane".into(),
                bytes: (per_plane.max(in_plane) * 4) as u64,
                limit: ctx.max_binding(),
            });
        }
        let mut out = Vec::new();
        let mut z0 = 0;
        while z0 < nz {
            let mut d = most.min(nz - z0);
            loop {
                let (lo, hi) = self.input_planes(z0, z0 + d);
                if (hi - lo + 1) * in_plane <= cap {
                    out.push((z0, z0 + d, lo, hi + 1));
                    break;
                }
                if d == 1 {
                    return Err(GpuError::TooLarge {
                        what: format!(
                            "resample: the {} input planes output plane {z0} reads",
                            hi - lo + 1
                        ),
                        bytes: ((hi - lo + 1) * in_plane * 4) as u64,
                        limit: ctx.max_binding(),
                    });
                }
                d /= 2;
            }
            z0 += d;
        }
        Ok(out)
    }

    /// Resamples the input voxels `src` (f32, x fastest, of the input's size):
    /// the output volume and the number of slabs.
    pub fn run(&self, ctx: &GpuContext, src: &[f32]) -> Result<(AnyVolume, usize)> {
        let [nx, ny, nz] = self.grid.size;
        let plane_in = self.n_in[0] * self.n_in[1];
        let slabs = self.slabs(ctx)?;
        let mut out: Vec<f32> = Vec::with_capacity(nx * ny * nz);
        let record = |i: usize, enc: &mut wgpu::CommandEncoder| {
            let (oz0, oz1, lo, hi) = slabs[i];
            let input = GpuVolume::from_f32(
                ctx,
                [self.n_in[0], self.n_in[1], hi - lo],
                &src[lo * plane_in..hi * plane_in],
                Geometry::default(),
                PixelType::F32,
            )?;
            Ok(Produced::all(self.record(ctx, enc, &input, lo, oz0, oz1)))
        };
        stream(ctx, slabs.len(), record, |i, v: &[f32]| {
            let oz0 = slabs[i].0;
            let base = out.len();
            out.extend_from_slice(v);
            for (k, o) in out[base..].iter_mut().enumerate() {
                if o.to_bits() == AMBIG {
                    let i = [k % nx, (k / nx) % ny, oz0 + k / (nx * ny)];
                    *o = self.host_value(i, src);
                }
            }
            Ok(())
        })?;
        let v = from_f32(self.grid.size, out, self.grid.geometry, self.out)?;
        Ok((v, slabs.len()))
    }
}

/// Resamples a host volume as `params` say (the CPU op's grid; a reference image
/// is read from disk): the result and the number of slabs.
pub fn resample(
    ctx: &GpuContext,
    vol: &AnyVolume,
    params: &ResampleParams,
) -> Result<(AnyVolume, usize)> {
    let r = resampler(vol, params)?;
    r.run(ctx, &to_f32(vol)?)
}

/// The [`Resampler`] of `params` for `vol`.
pub fn resampler(vol: &AnyVolume, params: &ResampleParams) -> Result<Resampler> {
    if vol.is_empty() {
        return Err(param(
            "input",
            format!("cannot resample an empty volume (size {:?})", vol.size()),
        ));
    }
    let grid = output_grid(vol.size(), vol.geometry(), params)?;
    Resampler::new(
        vol.size(),
        vol.geometry(),
        vol.pixel_type(),
        &grid,
        params.interpolation,
        params.default_value,
        params.keep_type,
    )
}

/// Whether the GPU resamples with this interpolation.
pub fn supported(p: &ResampleParams) -> bool {
    matches!(
        p.interpolation,
        Interpolation::Nearest | Interpolation::Linear
    )
}
