//! Contrast-limited adaptive histogram equalisation (CLAHE): scikit-image's
//! `equalize_adapthist(image, kernel_size, clip_limit, nbins)`, in 2D (a volume
//! one slice deep) and 3D, reproduced to the integer.
//!
//! Definition (skimage 0.26 `_adapthist.py`, step by step):
//! 1. **Input scaling** to 16384 grey levels: `q = img_as_uint(x)`, then
//!    `v = round_half_even((q − q_min)/(q_max − q_min) · 16383)` (constant: `min(q, 16383)`).
//!    medvox applies skimage's own `img_as_uint` where it keeps the data: u8
//!    (`257·x`), u16, i8/i16 without negative values, f32/f64 with every value in
//!    [0, 1] (`rint(x·65535)` in the input's float type). Elsewhere (negative
//!    values, floats above 1, u32/i32: skimage would clip, fail or wrap) the input
//!    is first mapped to `x01 = (x − min)/(max − min)` (f32 for f32, else f64;
//!    0 for a constant volume) and the result is skimage's on `x01` — for raw HU
//!    this is the peers' `clahe` definition. NaN or ±∞ is an error.
//! 2. **Grey bins**: `bin = v / (1 + 16384 / nbins)`.
//! 3. **Tiles** (contextual regions) of `kernel_size` voxels (default
//!    `max(n/8, 1)` per axis; always 1 on an axis of length 1, so a 2D image is
//!    skimage's 2D call): tile `t` covers indices `[t·k, (t+1)·k)` on each axis,
//!    those past the end mirrored (numpy `pad(mode='reflect')`, period 2(n−1)).
//! 4. **Clip and redistribute** each tile histogram at
//!    `clim = int(max(clip_limit · ∏k, 1))` (clip_limit 0: no clipping, AHE) with
//!    skimage's `clip_histogram`, then map: `int(min(cumsum · 16383/∏k, 16383))`.
//! 5. **Interpolation**: voxel p on each axis sits at `p + k/2 = b·k + i`; it blends
//!    the maps of tiles `b−1` and `b` (clamped to the tile range) with weights
//!    `1 − i/k` and `i/k`; the 2^d products are summed in f32 in skimage's order
//!    and truncated to an integer `r`.
//! 6. **Output** `(r − r_min)/(r_max − r_min)` in f32 (f64 for f64 input; skimage
//!    gives f64 for integers, medvox rounds it to f32); a constant `r` gives
//!    `min(r, 1)`.
//!
//! With `slice_by_slice` (`--2d`) every z-slice is equalised on its own (its own
//! scaling, tiles and output range): skimage's 2D call on each slice.
//!
//! Tile maps are computed in parallel, then the interpolation runs block by block
//! (halo 0); every step is exact integer work or a fixed per-voxel sequence of
//! float operations, so the output never depends on the thread count or the plan.
//! Reference: `skimage.exposure.equalize_adapthist` (tests/reference/test_equalize.py).

use medvox_core::{AnyVolume, BlockInput, BlockPlan, Executor, Pixel, PixelType, Volume};
use ndarray::ArrayView3;
use rayon::prelude::*;

use crate::error::{FilterError, Result};
use crate::pixel::FilterPixel;
use crate::plan::check_plan;

/// Halo of the block passes.
pub const HALO: [usize; 3] = [0, 0, 0];
/// skimage's number of grey levels (`NR_OF_GRAY`); also the largest bin count.
pub const GREY_LEVELS: usize = 1 << 14;
/// Largest number of tile-map entries (tiles × bins) accepted.
pub const MAX_MAP_ENTRIES: usize = 1 << 28;

/// Parameters of [`clahe`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClaheParams {
    /// Tile size `[x, y, z]` in voxels (default: 1/8 of each axis, at least 1).
    #[serde(default)]
    pub kernel_size: Option<[usize; 3]>,
    /// Clip limit, normalised to [0, 1] (default 0.01; 0 = no clipping).
    #[serde(default = "default_clip")]
    pub clip_limit: f64,
    /// Number of grey bins (default 256, at most 16384).
    #[serde(default = "default_bins")]
    pub bins: usize,
    /// Equalise every z-slice on its own (2D CLAHE per slice).
    #[serde(default)]
    pub slice_by_slice: bool,
}

fn default_clip() -> f64 {
    0.01
}

fn default_bins() -> usize {
    256
}

impl Default for ClaheParams {
    fn default() -> Self {
        ClaheParams {
            kernel_size: None,
            clip_limit: 0.01,
            bins: 256,
            slice_by_slice: false,
        }
    }
}

fn param(name: &'static str, reason: impl Into<String>) -> FilterError {
    FilterError::Parameter {
        op: "clahe",
        name,
        reason: reason.into(),
    }
}

impl ClaheParams {
    fn check(&self) -> Result<()> {
        if self.bins == 0 || self.bins > GREY_LEVELS {
            return Err(param(
                "bins",
                format!("must be in 1..={GREY_LEVELS}, got {}", self.bins),
            ));
        }
        if !(self.clip_limit.is_finite() && self.clip_limit >= 0.0) {
            return Err(param(
                "clip-limit",
                format!("must be finite and >= 0, got {}", self.clip_limit),
            ));
        }
        if let Some(k) = self.kernel_size {
            if k.contains(&0) {
                return Err(param(
                    "kernel-size",
                    format!("every extent must be >= 1, got {k:?}"),
                ));
            }
        }
        Ok(())
    }
}

/// skimage's conversion of one value to the 0..=65535 scale (`img_as_uint`).
#[derive(Debug, Clone, Copy)]
enum Quant {
    /// Non-negative integer: `(x · mul) >> shift` (skimage's `_scale`).
    Int { mul: i64, shift: u32 },
    /// Float: `rint(u · 65535)` clipped, `u = x` or `(x − lo)/den`, in f32 or f64.
    Float {
        lo: f64,
        den: f64,
        stretch: bool,
        f32: bool,
    },
}

impl Quant {
    fn choose<T: Pixel>(min: f64, max: f64) -> Self {
        let int = |mul, shift| Quant::Int { mul, shift };
        let float = |stretch: bool, f32: bool| {
            let den = if f32 {
                (max - min) as f32 as f64
            } else {
                max - min
            };
            Quant::Float {
                lo: min,
                den,
                stretch,
                f32,
            }
        };
        match T::TYPE {
            PixelType::U8 => int(257, 0),
            PixelType::U16 => int(1, 0),
            PixelType::I8 if min >= 0.0 => int(16513, 5),
            PixelType::I16 if min >= 0.0 => int(32769, 14),
            PixelType::F32 | PixelType::F64 if min >= 0.0 && max <= 1.0 => {
                float(false, T::TYPE == PixelType::F32)
            }
            PixelType::F32 => float(true, true),
            _ => float(true, false),
        }
    }

    #[inline(always)]
    fn q(&self, x: f64) -> f64 {
        match *self {
            Quant::Int { mul, shift } => ((x as i64 * mul) >> shift) as f64,
            Quant::Float {
                lo,
                den,
                stretch,
                f32,
            } => {
                let r = |v: f64| if f32 { v as f32 as f64 } else { v };
                let u = match (stretch, den > 0.0) {
                    (false, _) => x,
                    (true, true) => r(r(x - lo) / den),
                    (true, false) => 0.0,
                };
                r(u * 65535.0).round_ties_even().clamp(0.0, 65535.0)
            }
        }
    }
}

/// The grey bin of every voxel of one stack: steps 1 and 2.
#[derive(Debug, Clone, Copy)]
struct Binner {
    quant: Quant,
    qmin: f64,
    qmax: f64,
    bin_size: u32,
}

impl Binner {
    #[inline(always)]
    fn bin(&self, x: f64) -> u16 {
        let q = self.quant.q(x);
        let v = if self.qmax > self.qmin {
            (((q - self.qmin) / (self.qmax - self.qmin)) * (GREY_LEVELS - 1) as f64)
                .round_ties_even()
        } else {
            q.min((GREY_LEVELS - 1) as f64)
        };
        (v as u32 / self.bin_size) as u16
    }
}

/// Per-axis interpolation table: lower/upper tile and weights for each index.
#[derive(Debug, Clone)]
struct AxisInterp {
    tile: [Vec<usize>; 2],
    weight: [Vec<f64>; 2],
}

impl AxisInterp {
    fn new(n: usize, k: usize) -> Self {
        let nt = n.div_ceil(k);
        let mut a = AxisInterp {
            tile: [Vec::with_capacity(n), Vec::with_capacity(n)],
            weight: [Vec::with_capacity(n), Vec::with_capacity(n)],
        };
        for p in 0..n {
            let q = p + k / 2;
            let (b, i) = (q / k, q % k);
            let c = i as f64 / k as f64;
            a.tile[0].push(b.saturating_sub(1).min(nt - 1));
            a.tile[1].push(b.min(nt - 1));
            a.weight[0].push(1.0 - c);
            a.weight[1].push(c);
        }
        a
    }
}

/// One independently equalised part of the volume: all of it, or one z-slice.
#[derive(Debug, Clone)]
struct Stack {
    z0: usize,
    nz: usize,
    kernel: [usize; 3],
    tiles: [usize; 3],
    tile_offset: usize,
    binner: Binner,
    float_out_f32: bool,
    z_interp: AxisInterp,
}

/// numpy's `reflect` padding: index `p` (any integer) of an axis of length `n`.
#[inline]
fn reflect(p: usize, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let period = 2 * (n - 1);
    let m = p % period;
    if m < n {
        m
    } else {
        period - m
    }
}

/// skimage's `clip_histogram`: clip at `clim` and redistribute the excess.
fn clip_histogram(hist: &mut [i64], clim: i64) {
    let n = hist.len() as i64;
    let mut excess: i64 = 0;
    for h in hist.iter_mut() {
        if *h > clim {
            excess += *h - clim;
            *h = clim;
        }
    }
    let incr = excess / n;
    let upper = clim - incr;
    for h in hist.iter_mut() {
        if *h < upper {
            *h += incr;
            excess -= incr;
        }
        if *h >= upper && *h < clim {
            excess += *h - clim;
            *h = clim;
        }
    }
    let mut under = hist.iter().filter(|&&h| h < clim).count() as i64;
    while excess > 0 {
        let prev = excess;
        for index in 0..hist.len() {
            let step = (under / excess).max(1) as usize;
            let mut added = 0;
            for h in hist[index..].iter_mut().step_by(step) {
                if *h < clim {
                    *h += 1;
                    added += 1;
                    if *h == clim {
                        under -= 1;
                    }
                }
            }
            excess -= added;
            if excess <= 0 {
                break;
            }
        }
        if prev == excess {
            break;
        }
    }
}

/// One tile's grey-level map (steps 3 and 4) into `out` (`bins` entries).
fn tile_map(
    bins: &[u16],
    size: [usize; 3],
    st: &Stack,
    t: [usize; 3],
    clip_limit: f64,
    out: &mut [u16],
) {
    let [nx, ny, _] = size;
    let dims = [nx, ny, st.nz];
    let idx = |a: usize| -> Vec<usize> {
        (0..st.kernel[a])
            .map(|j| reflect(t[a] * st.kernel[a] + j, dims[a]))
            .collect()
    };
    let (ix, iy, iz) = (idx(0), idx(1), idx(2));
    let mut hist = vec![0i64; out.len()];
    for &z in &iz {
        for &y in &iy {
            let row = &bins[((st.z0 + z) * ny + y) * nx..][..nx];
            for &x in &ix {
                hist[row[x] as usize] += 1;
            }
        }
    }
    let elements = st.kernel.iter().product::<usize>() as i64;
    let clim = if clip_limit > 0.0 {
        (clip_limit * elements as f64).max(1.0) as i64
    } else {
        elements
    };
    clip_histogram(&mut hist, clim);
    let top = (GREY_LEVELS - 1) as f64;
    let scale = top / elements as f64;
    let mut acc = 0i64;
    for (o, &h) in out.iter_mut().zip(&hist) {
        acc += h;
        *o = (acc as f64 * scale).min(top) as u16;
    }
}

/// Min and max of each z-plane; NaN or ±∞ reported as an error.
fn plane_ranges<T: Pixel>(
    op_name: &'static str,
    data: &[T],
    plane: usize,
    exec: &Executor,
) -> Result<Vec<(f64, f64)>> {
    let r: Vec<Option<(f64, f64)>> = exec.install(|| {
        data.par_chunks(plane)
            .map(|c| {
                let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
                for v in c {
                    let x = v.to_f64();
                    if !x.is_finite() {
                        return None;
                    }
                    lo = lo.min(x);
                    hi = hi.max(x);
                }
                Some((lo, hi))
            })
            .collect()
    });
    r.into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| FilterError::Parameter {
            op: op_name,
            name: "image",
            reason: "contains NaN or infinite values".into(),
        })
}

fn fold_range(r: &[(f64, f64)]) -> (f64, f64) {
    r.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, b| {
        (a.0.min(b.0), a.1.max(b.1))
    })
}

/// Tile extent on an axis of length `n` (1 on a length-1 axis).
fn kernel_extent(n: usize, asked: Option<usize>) -> usize {
    if n <= 1 {
        return 1;
    }
    asked.unwrap_or((n / 8).max(1))
}

/// Voxels read to build all tile histograms of a stack of `dims` (tiles overhang the end).
fn tile_work(dims: [usize; 3], kernel: [usize; 3]) -> u128 {
    (0..3)
        .map(|a| (dims[a].div_ceil(kernel[a]) * kernel[a]) as u128)
        .product()
}

/// The interior of a block's input (the plan may carry a halo this op does not need).
pub(crate) fn interior<'a, T>(bi: &'a BlockInput<'_, T>) -> ArrayView3<'a, T> {
    let r = bi.block.padded.relative(&bi.block.interior);
    let (s, e) = (r.start, r.end());
    bi.data
        .slice(ndarray::s![s[2]..e[2], s[1]..e[1], s[0]..e[0]])
}

/// CLAHE of a volume, f32 out (f64 for f64 input); see the module docs.
pub fn clahe<T: FilterPixel>(
    vol: &Volume<T>,
    params: &ClaheParams,
    exec: &Executor,
) -> Result<Volume<T::Float>> {
    clahe_with_plan(vol, params, exec, &exec.plan(vol.size(), HALO))
}

/// [`clahe`] on a given block plan.
pub fn clahe_with_plan<T: FilterPixel>(
    vol: &Volume<T>,
    params: &ClaheParams,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<T::Float>> {
    params.check()?;
    check_plan("clahe", vol, plan, HALO)?;
    if vol.is_empty() {
        return Ok(vol.zeros_like());
    }
    let size = vol.size();
    let [nx, ny, nz] = size;
    let asked = |a: usize| params.kernel_size.map(|k| k[a]);
    let (kx, ky) = (kernel_extent(nx, asked(0)), kernel_extent(ny, asked(1)));
    let planes = plane_ranges("clahe", vol.as_slice(), nx * ny, exec)?;
    let parts: Vec<(usize, usize)> = if params.slice_by_slice {
        (0..nz).map(|z| (z, 1)).collect()
    } else {
        vec![(0, nz)]
    };
    let bins_n = params.bins;
    let bin_size = (1 + GREY_LEVELS / bins_n) as u32;
    let mut stacks = Vec::with_capacity(parts.len());
    let mut tile_total = 0usize;
    for (z0, snz) in parts {
        let kz = kernel_extent(snz, asked(2));
        let kernel = [kx, ky, kz];
        let voxels = (nx * ny * snz) as u128;
        if tile_work([nx, ny, snz], kernel) > 64 * voxels + (1 << 26) {
            return Err(param(
                "kernel-size",
                format!(
                    "{kernel:?} is far larger than the image {:?}",
                    [nx, ny, snz]
                ),
            ));
        }
        let tiles = [nx.div_ceil(kx), ny.div_ceil(ky), snz.div_ceil(kz)];
        let (min, max) = fold_range(&planes[z0..z0 + snz]);
        let quant = Quant::choose::<T>(min, max);
        let binner = Binner {
            quant,
            qmin: quant.q(min),
            qmax: quant.q(max),
            bin_size,
        };
        let n_tiles = tiles.iter().product::<usize>();
        stacks.push(Stack {
            z0,
            nz: snz,
            kernel,
            tiles,
            tile_offset: tile_total,
            binner,
            float_out_f32: T::TYPE == PixelType::F32,
            z_interp: AxisInterp::new(snz, kz),
        });
        tile_total += n_tiles;
        if tile_total.saturating_mul(bins_n) > MAX_MAP_ENTRIES {
            return Err(param(
                "kernel-size",
                format!(
                    "tiles too small: more than {MAX_MAP_ENTRIES} tile-map entries (tiles × bins)"
                ),
            ));
        }
    }
    let stack_of: Vec<usize> = stacks
        .iter()
        .enumerate()
        .flat_map(|(i, s)| std::iter::repeat_n(i, s.nz))
        .collect();

    // Steps 1–2: grey bins, block by block.
    let binned: Volume<u16> = exec.map_blocks(vol, plan, |bi, mut out| {
        let z0 = bi.block.interior.start[2];
        for (dz, (mut o, src)) in out
            .outer_iter_mut()
            .zip(interior(bi).outer_iter())
            .enumerate()
        {
            let b = stacks[stack_of[z0 + dz]].binner;
            ndarray::Zip::from(&mut o)
                .and(&src)
                .for_each(|o, &x| *o = b.bin(x.to_f64()));
        }
    });

    // Steps 3–4: tile maps, in parallel over all tiles of all stacks.
    let mut maps = vec![0u16; tile_total * bins_n];
    let tile_stack: Vec<(usize, [usize; 3])> = stacks
        .iter()
        .enumerate()
        .flat_map(|(si, s)| {
            let [tx, ty, tz] = s.tiles;
            (0..tz)
                .flat_map(move |z| (0..ty).flat_map(move |y| (0..tx).map(move |x| (si, [x, y, z]))))
        })
        .collect();
    let bins_slice = binned.as_slice();
    exec.install(|| {
        maps.par_chunks_mut(bins_n)
            .zip(tile_stack.par_iter())
            .for_each(|(out, &(si, t))| {
                tile_map(bins_slice, size, &stacks[si], t, params.clip_limit, out)
            })
    });

    // Step 5: interpolation between tile maps, block by block.
    let x_interp = AxisInterp::new(nx, kx);
    let y_interp = AxisInterp::new(ny, ky);
    let result: Volume<u16> = exec.map_blocks(&binned, plan, |bi, mut out| {
        let start = bi.block.interior.start;
        let src = interior(bi);
        let (bnz, bny, bnx) = out.dim();
        for dz in 0..bnz {
            let st = &stacks[stack_of[start[2] + dz]];
            let zl = start[2] + dz - st.z0;
            let [ntx, nty, _] = st.tiles;
            let zi = &st.z_interp;
            for dy in 0..bny {
                let y = start[1] + dy;
                for dx in 0..bnx {
                    let x = start[0] + dx;
                    let bin = src[[dz, dy, dx]] as usize;
                    let mut acc = 0f32;
                    for ez in 0..2 {
                        for ey in 0..2 {
                            for ex in 0..2 {
                                let w = (x_interp.weight[ex][x] * y_interp.weight[ey][y])
                                    * zi.weight[ez][zl];
                                let tile = st.tile_offset
                                    + (zi.tile[ez][zl] * nty + y_interp.tile[ey][y]) * ntx
                                    + x_interp.tile[ex][x];
                                let m = maps[tile * bins_n + bin];
                                acc += (m as f64 * w) as f32;
                            }
                        }
                    }
                    out[[dz, dy, dx]] = acc as u16;
                }
            }
        }
    });

    // Step 6: stretch each stack's result to [0, 1].
    let rplanes = plane_ranges("clahe", result.as_slice(), nx * ny, exec)?;
    let ranges: Vec<(f64, f64)> = stacks
        .iter()
        .map(|s| fold_range(&rplanes[s.z0..s.z0 + s.nz]))
        .collect();
    Ok(exec.map_blocks(&result, plan, |bi, mut out| {
        let z0 = bi.block.interior.start[2];
        for (dz, (mut o, src)) in out
            .outer_iter_mut()
            .zip(interior(bi).outer_iter())
            .enumerate()
        {
            let si = stack_of[z0 + dz];
            let (lo, hi) = ranges[si];
            let f32_out = stacks[si].float_out_f32;
            ndarray::Zip::from(&mut o).and(&src).for_each(|o, &r| {
                let r = r as f64;
                let y = if hi > lo {
                    let v = (r - lo) / (hi - lo);
                    if f32_out {
                        v as f32 as f64
                    } else {
                        v
                    }
                } else {
                    r.min(1.0)
                };
                *o = <T::Float as Pixel>::from_f64(y);
            });
        }
    }))
}

/// [`clahe`] on a volume of any pixel type.
pub fn clahe_any(vol: &AnyVolume, params: &ClaheParams, exec: &Executor) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => Ok(FilterPixel::into_any(clahe(v, params, exec)?)))
}
