//! A synthetic CT phantom: 3D Shepp–Logan-style ellipsoids in Hounsfield units.
//!
//! The geometry is the usual modified 3D Shepp–Logan head (ten ellipsoids,
//! rotations about z only; normalised coordinate 1 = 0.95 × half the field of
//! view per axis), painted in order with CT numbers (air −1000, skull 700, brain
//! 40, ventricles 10, blobs 60–90 HU; later objects overwrite earlier ones,
//! sampled at voxel centres), plus small bone-like spheres (500–1000 HU) inside
//! the brain, plus Gaussian noise, rounded to int16. This is the same recipe as
//! the benchmark phantoms of `shared/bench/peers/make_data.py` (random draws differ).
//! Everything is deterministic for a given [`PhantomSpec`], whatever the thread count.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::error::Result;
use crate::geometry::Geometry;
use crate::volume::Volume;

/// What phantom to make.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PhantomSpec {
    /// Size `[nx, ny, nz]`.
    pub size: [usize; 3],
    /// Spacing (mm).
    pub spacing: [f64; 3],
    /// Standard deviation of the additive noise (HU).
    pub noise_hu: f64,
    /// Number of bone-like spheres.
    pub spheres: usize,
    /// Seed of every random draw.
    pub seed: u64,
}

impl Default for PhantomSpec {
    /// 256×256×100 voxels of 0.8×0.8×2.5 mm: the shape of a typical head CT series.
    fn default() -> Self {
        PhantomSpec {
            size: [256, 256, 100],
            spacing: [0.8, 0.8, 2.5],
            noise_hu: 20.0,
            spheres: 24,
            seed: 1,
        }
    }
}

/// (a, b, c, x0, y0, z0, rotation about z in degrees, HU), normalised coordinates.
const ELLIPSOIDS: [[f64; 8]; 10] = [
    [0.6900, 0.920, 0.810, 0.00, 0.0000, 0.00, 0.0, 700.0],
    [0.6624, 0.874, 0.780, 0.00, -0.0184, 0.00, 0.0, 40.0],
    [0.1100, 0.310, 0.220, 0.22, 0.0000, 0.00, -18.0, 10.0],
    [0.1600, 0.410, 0.280, -0.22, 0.0000, 0.00, 18.0, 10.0],
    [0.2100, 0.250, 0.410, 0.00, 0.3500, -0.15, 0.0, 60.0],
    [0.0460, 0.046, 0.050, 0.00, 0.1000, 0.25, 0.0, 80.0],
    [0.0460, 0.046, 0.050, 0.00, -0.1000, 0.25, 0.0, 80.0],
    [0.0460, 0.023, 0.050, -0.08, -0.6050, 0.00, 0.0, 90.0],
    [0.0230, 0.023, 0.020, 0.00, -0.6060, 0.00, 0.0, 90.0],
    [0.0230, 0.046, 0.020, 0.06, -0.6050, 0.00, 0.0, 90.0],
];

/// Air, in HU.
pub const AIR_HU: f64 = -1000.0;

/// One painted object in physical mm relative to the grid centre.
#[derive(Debug, Clone, Copy)]
struct Object {
    centre: [f64; 3],
    axes: [f64; 3],
    /// Rotation about z (radians).
    phi: f64,
    hu: f64,
}

impl Object {
    fn contains(&self, p: [f64; 3]) -> bool {
        let d = [
            p[0] - self.centre[0],
            p[1] - self.centre[1],
            p[2] - self.centre[2],
        ];
        let (s, c) = self.phi.sin_cos();
        // q = Rᵀ d
        let q = [c * d[0] + s * d[1], -s * d[0] + c * d[1], d[2]];
        (0..3).map(|a| (q[a] / self.axes[a]).powi(2)).sum::<f64>() <= 1.0
    }
}

fn objects(spec: &PhantomSpec) -> Vec<Object> {
    let scale: [f64; 3] =
        std::array::from_fn(|a| 0.95 * spec.size[a] as f64 * spec.spacing[a] / 2.0);
    let mut objs: Vec<Object> = ELLIPSOIDS
        .iter()
        .map(|e| Object {
            centre: [scale[0] * e[3], scale[1] * e[4], scale[2] * e[5]],
            axes: [scale[0] * e[0], scale[1] * e[1], scale[2] * e[2]],
            phi: e[6].to_radians(),
            hu: e[7],
        })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed ^ 0x05ee_d59e_7e00);
    let brain = ELLIPSOIDS[1];
    while objs.len() < ELLIPSOIDS.len() + spec.spheres {
        let u: [f64; 3] = std::array::from_fn(|_| rng.gen_range(-1.0..1.0));
        if u.iter().map(|x| x * x).sum::<f64>() > 0.75f64.powi(2) {
            continue;
        }
        let r = rng.gen_range(2.0..5.0);
        let hu = rng.gen_range(500.0f64..1000.0).round();
        objs.push(Object {
            centre: std::array::from_fn(|a| scale[a] * (brain[3 + a] + u[a] * brain[a])),
            axes: [r; 3],
            phi: 0.0,
            hu,
        });
    }
    objs
}

/// Generates the phantom (int16 HU). The grid is centred on the physical origin, direction identity.
pub fn ct_phantom(spec: &PhantomSpec) -> Result<Volume<i16>> {
    let [nx, ny, nz] = spec.size;
    let origin: [f64; 3] =
        std::array::from_fn(|a| -((spec.size[a] as f64 - 1.0) / 2.0) * spec.spacing[a]);
    let geometry = Geometry::new(spec.spacing, origin, Geometry::IDENTITY)?;
    let mut vol = Volume::<i16>::zeros(spec.size, geometry)?;
    let objs = objects(spec);
    let plane = nx * ny;
    if plane == 0 {
        return Ok(vol);
    }
    vol.as_slice_mut()
        .par_chunks_mut(plane)
        .enumerate()
        .for_each(|(k, out)| {
            // One RNG stream per plane: deterministic whatever the thread count.
            let mut rng =
                ChaCha8Rng::seed_from_u64(spec.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ k as u64);
            let z = origin[2] + k as f64 * spec.spacing[2];
            for j in 0..ny {
                let y = origin[1] + j as f64 * spec.spacing[1];
                for i in 0..nx {
                    let p = [origin[0] + i as f64 * spec.spacing[0], y, z];
                    let hu = objs
                        .iter()
                        .rev()
                        .find(|o| o.contains(p))
                        .map_or(AIR_HU, |o| o.hu);
                    let noise: f64 = StandardNormal.sample(&mut rng);
                    out[i + nx * j] = (hu + spec.noise_hu * noise)
                        .round()
                        .clamp(i16::MIN as f64, i16::MAX as f64)
                        as i16;
                }
            }
        });
    let _ = nz;
    Ok(vol)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_plausible() {
        let spec = PhantomSpec {
            size: [64, 64, 20],
            ..Default::default()
        };
        let a = ct_phantom(&spec).unwrap();
        let b = crate::exec::Executor::new(1)
            .unwrap()
            .install(|| ct_phantom(&spec).unwrap());
        assert_eq!(a, b);
        // corner is air, centre is brain-ish soft tissue
        assert!((a.get([0, 0, 0]).unwrap() as f64 - AIR_HU).abs() < 120.0);
        let plain = ct_phantom(&PhantomSpec { spheres: 0, ..spec }).unwrap();
        let c = plain.get([32, 40, 10]).unwrap() as f64;
        assert!((-60.0..150.0).contains(&c), "centre {c}");
    }
}
