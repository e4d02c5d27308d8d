//! Warping: resampling a moving image onto a fixed grid through a transform.
//!
//! Output voxel `i` of the reference grid sits at the physical point `x = o + D·S·i`;
//! its value is the moving image interpolated at `T(x)` (ITK's `ResampleImageFilter`
//! with the transform, SimpleITK `Resample(moving, reference, transform, interp,
//! default)`). Because `T` is affine, `x ↦ T(x)` is again an index → physical map
//! `T(o) + (M·D)·S·i`, so warping is exactly
//! [`medvox_filters::resample`] onto a grid with origin `T(o)` and direction `M·D`
//! (same interpolation kernels, inside test, parallel blocks and bit-identical
//! results for any thread count), after which the output gets the reference's
//! geometry back.
//!
//! Types: `nearest` and `label` keep the moving pixel type; `linear` and `bspline`
//! give f32 (f64 for f64 input).

use medvox_core::geometry::mat_mul;
use medvox_core::{AnyVolume, Executor, Geometry, Volume};
use medvox_filters::resample::{resample_float, resample_keep_type, Grid};
use medvox_filters::{FilterPixel, Interpolation};

use crate::error::{RegisterError, Result};
use crate::transform::Transform;

/// The grid whose index → physical map is `T ∘ (reference's map)`.
fn warped_grid(reference: &Grid, t: &Transform) -> Result<Grid> {
    t.validate()?;
    let g = &reference.geometry;
    let origin = t.apply(g.origin);
    let direction = mat_mul(&t.matrix(), &g.direction);
    let geometry = Geometry::new(g.spacing, origin, direction).map_err(|e| {
        RegisterError::Transform(format!(
            "the transform maps the reference grid to a degenerate one: {e}"
        ))
    })?;
    Ok(Grid {
        size: reference.size,
        geometry,
    })
}

/// Warps a typed moving volume onto `reference` through `t` (module docs).
pub fn warp<T: FilterPixel>(
    moving: &Volume<T>,
    reference: &Grid,
    t: &Transform,
    interpolation: Interpolation,
    default_value: f64,
    exec: &Executor,
) -> Result<AnyVolume> {
    let grid = warped_grid(reference, t)?;
    let plan = exec.plan(grid.size, [0; 3]);
    let mut out = if interpolation.keeps_type() {
        T::into_any(resample_keep_type(
            moving,
            &grid,
            interpolation,
            default_value,
            exec,
            &plan,
        )?)
    } else {
        <T::Float as FilterPixel>::into_any(resample_float(
            moving,
            &grid,
            interpolation,
            default_value,
            exec,
            &plan,
        )?)
    };
    out.set_geometry(reference.geometry)?;
    Ok(out)
}

/// [`warp`] for a volume of any pixel type.
pub fn warp_any(
    moving: &AnyVolume,
    reference: &Grid,
    t: &Transform,
    interpolation: Interpolation,
    default_value: f64,
    exec: &Executor,
) -> Result<AnyVolume> {
    medvox_core::with_volume!(moving, v => warp(v, reference, t, interpolation, default_value, exec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translation_by_one_voxel_shifts() {
        let g = Geometry::new([2.0, 1.0, 1.0], [0.0; 3], Geometry::IDENTITY).unwrap();
        let v = Volume::from_vec([4, 1, 1], vec![0.0f32, 10.0, 20.0, 30.0], g).unwrap();
        let t = Transform::Translation {
            offset: [2.0, 0.0, 0.0],
        };
        let out = warp(
            &v,
            &Grid::of(&v),
            &t,
            Interpolation::Linear,
            -1.0,
            &Executor::default(),
        )
        .unwrap();
        let out = out.to_volume::<f32>();
        assert_eq!(out.as_slice(), &[10.0, 20.0, 30.0, -1.0]);
        assert_eq!(out.geometry(), v.geometry());
        // Rotation by 90° about the centre of an oblique grid maps grid points to grid points.
        let d = [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]];
        let g = Geometry::new([1.0; 3], [5.0, -2.0, 1.0], d).unwrap();
        let vals: Vec<i16> = (0..27).collect();
        let v = Volume::from_vec([3, 3, 1], vals[..9].to_vec(), g).unwrap();
        let c = v.geometry().index_to_physical([1.0, 1.0, 0.0]);
        let r = Transform::euler([0.0, 0.0, std::f64::consts::FRAC_PI_2], [0.0; 3], c);
        let out = warp(
            &v,
            &Grid::of(&v),
            &r,
            Interpolation::Nearest,
            0.0,
            &Executor::default(),
        )
        .unwrap();
        let out = out.to_volume::<i16>();
        // Index (i, j) reads the moving voxel at R·(x − c) + c, i.e. index (2 − j, i).
        for j in 0..3 {
            for i in 0..3 {
                assert_eq!(out.get([i, j, 0]), v.get([2 - j, i, 0]), "{i} {j}");
            }
        }
    }
}
