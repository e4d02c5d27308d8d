//! Resampling onto a new voxel grid (nearest, trilinear, cubic B-spline, label voting).
//!
//! Every output voxel `i` (integer index of the output grid) is mapped to the
//! input's continuous index `c = (D_in·S_in)⁻¹ · (o_out + D_out·S_out·i − o_in)`
//! (D direction, S = diag(spacing), o origin: ITK's index ↔ physical mapping) and
//! the input is interpolated there (see [`crate::interpolate`] for the kernels).
//! Points outside the input (`c` not in `[−0.5, n − 0.5)` on some axis) get
//! `default_value`, exactly as SimpleITK `Resample(…, defaultPixelValue)` with the
//! identity transform.
//!
//! **Output grid** ([`GridSpec`]); the direction is always the input's except
//! with a reference image:
//! * `spacing` (mm per axis): origin kept (= centre of input voxel 0), `n_out =
//!   floor((n − 1)·s_in/s_out) + 1`, so every sample lies inside the input's
//!   voxel-centre hull (the peers' `resample_iso` grid: ct_512 at 1 mm →
//!   358×358×498).
//! * `size` (voxels per axis): the same centre convention, `s_out = s_in·(n −
//!   1)/(n_out − 1)` (first and last voxel centres kept; `n_out = 1` gives `s_out =
//!   s_in·n`). A one-voxel axis cannot be spread this way and needs
//!   `preserve_extent` unless `n_out = 1`.
//! * `preserve_extent`: instead keep the physical extent (voxel *corners*, the
//!   convention of SimpleITK/Slicer resize scripts, MONAI `align_corners=False`):
//!   with `size`, `s_out = s_in·n/n_out`; with `spacing`, `n_out = round(n·s_in/s_out)`;
//!   the corner of output voxel 0 is that of input voxel 0, i.e. `o_out = o_in +
//!   D·(s_out − s_in)/2`.
//! * `reference`: the size, spacing, origin and direction of another image.
//!
//! **Types**: `nearest` and `label` keep the pixel type; `linear` and `bspline`
//! give f32 (f64 for f64 input), or the input type with `keep_type` (rounded half
//! away from zero and clamped; ITK truncates instead). Interpolation runs in f64.
//!
//! **Engine**: the output grid is cut by a [`BlockPlan`] (halo 0) and blocks run in
//! parallel on the [`Executor`]; each output voxel is computed the same way in
//! every plan, so results are bit-identical for any thread count or block size.
//! When the output axes are parallel to the input's (`spacing`, `size`, or a
//! reference with the same direction) the mapping is separable and each axis
//! gets a table of indices and weights; each output row first blends the input
//! rows it needs in y and z (contiguous, vectorised), then gathers along x.
//! Otherwise every voxel is mapped through the full affine map. `bspline` first
//! computes the B-spline coefficients of the whole input (a global IIR pass
//! along lines, f64, [`crate::interpolate::bspline_coefficients`]).
//!
//! Matches SimpleITK `Resample(img, size, sitk.Transform(), interp, origin,
//! spacing, direction, default)` with `sitkNearestNeighbor`, `sitkLinear`,
//! `sitkBSpline`, `sitkLabelLinear`, and `scipy.ndimage.affine_transform(order=1,
//! mode='nearest', prefilter=False)` on grids where every sample is inside.
//!
//! ```
//! use medvox_core::{Executor, Geometry, Volume};
//! use medvox_filters::resample::{resample_float, Grid};
//! use medvox_filters::Interpolation;
//! let v = Volume::from_vec([3, 1, 1], vec![0i16, 10, 20], Geometry::default()).unwrap();
//! let grid = Grid::with_spacing(v.size(), v.geometry(), [0.5, 1.0, 1.0], false).unwrap();
//! let exec = Executor::default();
//! let plan = exec.plan(grid.size, [0; 3]);
//! let r = resample_float(&v, &grid, Interpolation::Linear, 0.0, &exec, &plan).unwrap();
//! assert_eq!(r.as_slice(), &[0.0f32, 5.0, 10.0, 15.0, 20.0]);
//! ```

use std::path::PathBuf;

use medvox_core::geometry::{inverse3, mat_mul, mat_vec, Mat3};
use medvox_core::volume::checked_voxels;
use medvox_core::{AnyVolume, BlockPlan, Executor, Geometry, Pixel, Region, Volume};
use ndarray::{s, ArrayView3, ArrayViewMut3};
use rayon::prelude::*;

use crate::error::{FilterError, Result};
use crate::interpolate::{bspline_coefficients, vote, Interpolation, Taps};
use crate::pixel::FilterPixel;

const OP: &str = "resample";

/// Largest output extent on one axis.
const MAX_AXIS: f64 = (1u64 << 31) as f64;

/// The output grid of [`ResampleParams`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GridSpec {
    /// Output spacing in mm, `[x, y, z]`.
    Spacing([f64; 3]),
    /// Output size in voxels, `[nx, ny, nz]`.
    Size([usize; 3]),
    /// An image whose size, spacing, origin and direction are the output grid.
    Reference(PathBuf),
}

/// Parameters of the registered `resample` op (see the module docs).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResampleParams {
    /// The output grid.
    pub grid: GridSpec,
    /// Interpolation kind (default linear).
    #[serde(default)]
    pub interpolation: Interpolation,
    /// Value of output voxels that fall outside the input.
    #[serde(default)]
    pub default_value: f64,
    /// Keep the physical extent (voxel corners) instead of the voxel centres.
    #[serde(default)]
    pub preserve_extent: bool,
    /// Convert linear/bspline results back to the input pixel type.
    #[serde(default)]
    pub keep_type: bool,
}

impl ResampleParams {
    /// Linear interpolation onto `grid`, default value 0, centre convention.
    pub fn new(grid: GridSpec) -> Self {
        ResampleParams {
            grid,
            interpolation: Interpolation::Linear,
            default_value: 0.0,
            preserve_extent: false,
            keep_type: false,
        }
    }
}

/// A voxel grid: size and physical space.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    /// `[nx, ny, nz]`.
    pub size: [usize; 3],
    /// Spacing, origin, direction.
    pub geometry: Geometry,
}

fn param(name: &'static str, reason: impl Into<String>) -> FilterError {
    FilterError::Parameter {
        op: OP,
        name,
        reason: reason.into(),
    }
}

impl Grid {
    /// The grid of a volume.
    pub fn of<T: Pixel>(vol: &Volume<T>) -> Grid {
        Grid {
            size: vol.size(),
            geometry: *vol.geometry(),
        }
    }

    /// The grid with `spacing` (mm) over an input of `size` and `geom` (module docs).
    pub fn with_spacing(
        size: [usize; 3],
        geom: &Geometry,
        spacing: [f64; 3],
        preserve_extent: bool,
    ) -> Result<Grid> {
        if spacing.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(param(
                "spacing",
                format!("must be finite and > 0, got {spacing:?}"),
            ));
        }
        check_input_size(size)?;
        let mut out = [0usize; 3];
        for a in 0..3 {
            let (n, s_in, s) = (size[a] as f64, geom.spacing[a], spacing[a]);
            let count = if preserve_extent {
                (n * s_in / s).round().max(1.0)
            } else {
                // The epsilon keeps exact multiples (e.g. 0.7 → 0.35) from losing a sample.
                ((n - 1.0) * s_in / s + 1e-6).floor() + 1.0
            };
            if count.is_nan() || count > MAX_AXIS {
                return Err(param(
                    "spacing",
                    format!(
                        "{s} mm on axis {a} gives {count:e} voxels over {} mm",
                        n * s_in
                    ),
                ));
            }
            out[a] = count as usize;
        }
        Self::finish(out, geom, spacing, preserve_extent)
    }

    /// The grid with `out_size` voxels over an input of `size` and `geom` (module docs).
    pub fn with_size(
        size: [usize; 3],
        geom: &Geometry,
        out_size: [usize; 3],
        preserve_extent: bool,
    ) -> Result<Grid> {
        if out_size.contains(&0) || out_size.iter().any(|&n| n as f64 > MAX_AXIS) {
            return Err(param(
                "size",
                format!("every extent must be in 1..=2^31, got {out_size:?}"),
            ));
        }
        check_input_size(size)?;
        let mut spacing = [0.0; 3];
        for a in 0..3 {
            let (n, s_in, m) = (size[a] as f64, geom.spacing[a], out_size[a] as f64);
            spacing[a] = if preserve_extent {
                s_in * n / m
            } else if out_size[a] == 1 {
                s_in * n
            } else if size[a] == 1 {
                return Err(param(
                    "size",
                    format!(
                        "axis {a} of the input is one voxel thick: {m} voxel centres cannot \
                         span it (use the extent-preserving grid, or size 1 on that axis)"
                    ),
                ));
            } else {
                s_in * (n - 1.0) / (m - 1.0)
            };
        }
        Self::finish(out_size, geom, spacing, preserve_extent)
    }

    fn finish(
        size: [usize; 3],
        geom: &Geometry,
        spacing: [f64; 3],
        preserve_extent: bool,
    ) -> Result<Grid> {
        let mut origin = geom.origin;
        if preserve_extent {
            let half: [f64; 3] = std::array::from_fn(|a| (spacing[a] - geom.spacing[a]) / 2.0);
            let d = mat_vec(&geom.direction, half);
            origin = std::array::from_fn(|a| origin[a] + d[a]);
        }
        Ok(Grid {
            size,
            geometry: Geometry::new(spacing, origin, geom.direction)?,
        })
    }
}

fn check_input_size(size: [usize; 3]) -> Result<()> {
    if size.contains(&0) {
        return Err(param(
            "input",
            format!("cannot resample an empty volume (size {size:?})"),
        ));
    }
    Ok(())
}

/// Checks that `bytes_per_voxel` × voxels of `size` (plus `extra` bytes) fit the
/// memory limit of `medvox_io::Limits` (`MEDVOX_MAX_BYTES` or physical memory).
fn check_budget(size: [usize; 3], bytes_per_voxel: usize, extra: u128) -> Result<()> {
    let limit = medvox_io::Limits::default().max_bytes as u128;
    let n = checked_voxels(size).map_err(FilterError::Core)? as u128;
    let need = n * bytes_per_voxel as u128 + extra;
    if need > limit || need > isize::MAX as u128 {
        return Err(param(
            "size",
            format!(
                "output grid {size:?} needs {need} bytes, more than the memory limit of {limit} \
                 bytes (MEDVOX_MAX_BYTES)"
            ),
        ));
    }
    Ok(())
}

/// Where each output voxel reads: per-axis tables when the map is separable,
/// else the affine map itself.
enum Locator {
    Tables([Vec<Option<Taps>>; 3]),
    Affine {
        m: Mat3,
        off: [f64; 3],
        kind: Interpolation,
        n_in: [usize; 3],
    },
}

/// The map from an output voxel index `o` to the input's continuous index
/// `off + m · o`; `separable` when `m` is diagonal (axis-aligned grids).
#[derive(Debug, Clone, Copy)]
pub struct IndexMap {
    /// Output index → input index.
    pub m: Mat3,
    /// Input index of output voxel 0.
    pub off: [f64; 3],
    /// `m` is diagonal to 1e-12 of its largest entry.
    pub separable: bool,
}

/// The [`IndexMap`] from `grid` into a volume with geometry `src`.
pub fn index_map(src: &Geometry, grid: &Grid) -> Result<IndexMap> {
    let inv = inverse3(&src.index_to_physical_matrix())
        .ok_or_else(|| param("input", "singular direction"))?;
    let m = mat_mul(&inv, &grid.geometry.index_to_physical_matrix());
    let d: [f64; 3] = std::array::from_fn(|a| grid.geometry.origin[a] - src.origin[a]);
    let off = mat_vec(&inv, d);
    let scale = m.iter().flatten().fold(0.0f64, |a, v| a.max(v.abs()));
    let separable = (0..3).all(|r| (0..3).all(|c| r == c || m[r][c].abs() <= 1e-12 * scale));
    if !(off.iter().chain(m.iter().flatten()).all(|v| v.is_finite())) {
        return Err(param("reference", "the grids' index maps are not finite"));
    }
    Ok(IndexMap { m, off, separable })
}

impl Locator {
    fn new(src: &Geometry, n_in: [usize; 3], grid: &Grid, kind: Interpolation) -> Result<Self> {
        let IndexMap { m, off, separable } = index_map(src, grid)?;
        Ok(if separable {
            Locator::Tables(std::array::from_fn(|a| {
                (0..grid.size[a])
                    .map(|i| kind.taps(off[a] + m[a][a] * i as f64, n_in[a]))
                    .collect()
            }))
        } else {
            Locator::Affine { m, off, kind, n_in }
        })
    }

    /// Taps (x, y, z) of output voxel `i`, `None` outside the input.
    #[inline]
    fn at(&self, i: [usize; 3]) -> Option<[Taps; 3]> {
        match self {
            Locator::Tables(t) => Some([t[0][i[0]]?, t[1][i[1]]?, t[2][i[2]]?]),
            Locator::Affine { m, off, kind, n_in } => {
                let f = i.map(|v| v as f64);
                let c = mat_vec(m, f);
                Some([
                    kind.taps(off[0] + c[0], n_in[0])?,
                    kind.taps(off[1] + c[1], n_in[1])?,
                    kind.taps(off[2] + c[2], n_in[2])?,
                ])
            }
        }
    }
}

/// Runs `f(interior, out_view)` over the blocks of `plan` on the output grid.
fn map_output_blocks<U: Pixel>(
    grid: &Grid,
    exec: &Executor,
    plan: &BlockPlan,
    f: impl Fn(Region, ArrayViewMut3<'_, U>) + Sync + Send,
) -> Result<Volume<U>> {
    if plan.shape != grid.size {
        return Err(FilterError::Plan {
            op: OP,
            reason: format!(
                "plan made for size {:?}, output grid has size {:?}",
                plan.shape, grid.size
            ),
        });
    }
    let mut out = Volume::<U>::zeros(grid.size, grid.geometry)?;
    let blocks = plan.blocks();
    exec.progress().start(blocks.len() as u64, "blocks");
    {
        let views = plan.split_mut(out.data_mut());
        exec.install(|| {
            blocks.par_iter().zip(views).for_each(|(b, v)| {
                f(b.interior, v);
                exec.progress().inc(1);
            })
        });
    }
    exec.progress().finish();
    Ok(out)
}

/// Calls `f(global index, value slot)` for every voxel of a block's output view.
#[inline]
fn for_each_voxel<U>(
    region: Region,
    mut out: ArrayViewMut3<'_, U>,
    mut f: impl FnMut([usize; 3], &mut U),
) {
    for ((z, y, x), o) in out.indexed_iter_mut() {
        let s = region.start;
        f([s[0] + x, s[1] + y, s[2] + z], o);
    }
}

/// Resampling with nearest or label interpolation: the output keeps the pixel type.
/// `default_value` is converted to `T` (rounded, clamped; must be finite for integers).
pub fn resample_keep_type<T: Pixel>(
    vol: &Volume<T>,
    grid: &Grid,
    interpolation: Interpolation,
    default_value: f64,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<T>> {
    if !interpolation.keeps_type() {
        return Err(param(
            "interpolation",
            format!("{interpolation:?} gives float output: use resample_float"),
        ));
    }
    check_input_size(vol.size())?;
    check_default::<T>(default_value)?;
    check_budget(grid.size, std::mem::size_of::<T>(), 0)?;
    let loc = Locator::new(vol.geometry(), vol.size(), grid, interpolation)?;
    let src = vol.data();
    let default = T::from_f64(default_value);
    map_output_blocks(grid, exec, plan, |region, out| {
        for_each_voxel(region, out, |i, o| {
            *o = match loc.at(i) {
                None => default,
                Some([tx, ty, tz]) if interpolation == Interpolation::Nearest => {
                    src[[tz.idx[0], ty.idx[0], tx.idx[0]]]
                }
                Some([tx, ty, tz]) => vote((0..8).map(|k| {
                    let (a, b, c) = (k >> 2, (k >> 1) & 1, k & 1);
                    (
                        src[[tz.idx[a], ty.idx[b], tx.idx[c]]],
                        tz.w[a] * ty.w[b] * tx.w[c],
                    )
                })),
            }
        })
    })
}

fn check_default<T: Pixel>(v: f64) -> Result<()> {
    if !v.is_finite()
        && !matches!(
            T::TYPE,
            medvox_core::PixelType::F32 | medvox_core::PixelType::F64
        )
    {
        return Err(param(
            "default-value",
            format!("must be finite for {:?} output, got {v}", T::TYPE),
        ));
    }
    Ok(())
}

/// Resampling with nearest, linear or cubic B-spline interpolation to the float type
/// of `T` (f32, f64 for f64 input).
pub fn resample_float<T: FilterPixel>(
    vol: &Volume<T>,
    grid: &Grid,
    interpolation: Interpolation,
    default_value: f64,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<T::Float>> {
    check_input_size(vol.size())?;
    let out_bytes = std::mem::size_of::<T::Float>();
    match interpolation {
        Interpolation::Label => Err(param(
            "interpolation",
            "label interpolation keeps the pixel type: use resample_keep_type",
        )),
        Interpolation::BSpline => {
            let coef_bytes = checked_voxels(vol.size())? as u128 * 8;
            check_budget(grid.size, out_bytes, coef_bytes)?;
            let coef = bspline_coefficients(vol, exec)?;
            sample_float(&coef, grid, interpolation, default_value, exec, plan)
        }
        _ => {
            check_budget(grid.size, out_bytes, 0)?;
            sample_float(vol, grid, interpolation, default_value, exec, plan)
        }
    }
}

/// Σ of weights × samples of `src` (the input, or its B-spline coefficients).
fn sample_float<S: Pixel, F: Pixel>(
    src: &Volume<S>,
    grid: &Grid,
    interpolation: Interpolation,
    default_value: f64,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<Volume<F>> {
    let loc = Locator::new(src.geometry(), src.size(), grid, interpolation)?;
    let data = src.data();
    let default = F::from_f64(default_value);
    map_output_blocks(grid, exec, plan, |region, out| match &loc {
        Locator::Tables(t) => separable_block(&data, t, region, out, default),
        Locator::Affine { .. } => for_each_voxel(region, out, |i, o| {
            *o = match loc.at(i) {
                None => default,
                Some([tx, ty, tz]) => {
                    let mut sum = 0.0;
                    for a in 0..tz.len {
                        for b in 0..ty.len {
                            let w = tz.w[a] * ty.w[b];
                            for c in 0..tx.len {
                                let v = data[[tz.idx[a], ty.idx[b], tx.idx[c]]];
                                sum += w * tx.w[c] * v.to_f64();
                            }
                        }
                    }
                    F::from_f64(sum)
                }
            }
        }),
    })
}

/// One output block of a separable map: per output row, blend the input rows in
/// z and y over the x span the block needs, then gather along x.
fn separable_block<S: Pixel, F: Pixel>(
    src: &ArrayView3<'_, S>,
    tables: &[Vec<Option<Taps>>; 3],
    region: Region,
    mut out: ArrayViewMut3<'_, F>,
    default: F,
) {
    let [x0, y0, z0] = region.start;
    let tx = &tables[0][x0..x0 + region.size[0]];
    let span = tx
        .iter()
        .flatten()
        .map(Taps::span)
        .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)));
    let mut tmp: Vec<f64> = Vec::new();
    for (z, mut plane) in out.outer_iter_mut().enumerate() {
        let tz = tables[2][z0 + z];
        for (y, mut row) in plane.outer_iter_mut().enumerate() {
            let ty = tables[1][y0 + y];
            let (Some(tz), Some(ty), Some((lo, hi))) = (tz, ty, span) else {
                row.fill(default);
                continue;
            };
            tmp.clear();
            tmp.resize(hi - lo + 1, 0.0);
            for a in 0..tz.len {
                for b in 0..ty.len {
                    let w = tz.w[a] * ty.w[b];
                    if w == 0.0 {
                        continue;
                    }
                    let srow = src.slice(s![tz.idx[a], ty.idx[b], lo..=hi]);
                    let srow = srow.as_slice().expect("input rows are contiguous");
                    for (t, v) in tmp.iter_mut().zip(srow) {
                        *t += w * v.to_f64();
                    }
                }
            }
            for (o, t) in row.iter_mut().zip(tx) {
                *o = match t {
                    Some(t) => F::from_f64(t.dot(&tmp, lo)),
                    None => default,
                };
            }
        }
    }
}

/// Resamples `vol` onto `grid` with the given options on `plan` (made for
/// `grid.size`, any halo); the result's type follows the module docs.
pub fn resample_with_plan<T: FilterPixel>(
    vol: &Volume<T>,
    grid: &Grid,
    params: &ResampleParams,
    exec: &Executor,
    plan: &BlockPlan,
) -> Result<AnyVolume> {
    let (kind, dv) = (params.interpolation, params.default_value);
    if kind.keeps_type() {
        return Ok(T::into_any(resample_keep_type(
            vol, grid, kind, dv, exec, plan,
        )?));
    }
    let f = resample_float(vol, grid, kind, dv, exec, plan)?;
    Ok(if params.keep_type {
        T::into_any(exec.install(|| f.cast::<T>()))
    } else {
        <T::Float as FilterPixel>::into_any(f)
    })
}

/// The output grid that `params` asks for, for an input of `size` and `geom`
/// (reads the reference image if there is one).
pub fn output_grid(size: [usize; 3], geom: &Geometry, params: &ResampleParams) -> Result<Grid> {
    match &params.grid {
        GridSpec::Spacing(s) => Grid::with_spacing(size, geom, *s, params.preserve_extent),
        GridSpec::Size(n) => Grid::with_size(size, geom, *n, params.preserve_extent),
        GridSpec::Reference(p) => {
            let r = crate::inputs::read_image(OP, "reference", p)?;
            Ok(Grid {
                size: r.size(),
                geometry: *r.geometry(),
            })
        }
    }
}

/// Resamples a typed volume as `params` say, on the executor's default plan.
pub fn resample<T: FilterPixel>(
    vol: &Volume<T>,
    params: &ResampleParams,
    exec: &Executor,
) -> Result<AnyVolume> {
    let grid = output_grid(vol.size(), vol.geometry(), params)?;
    resample_with_plan(vol, &grid, params, exec, &exec.plan(grid.size, [0; 3]))
}

/// [`resample`] on a volume of any pixel type.
pub fn resample_any(
    vol: &AnyVolume,
    params: &ResampleParams,
    exec: &Executor,
) -> Result<AnyVolume> {
    medvox_core::with_volume!(vol, v => resample(v, params, exec))
}
