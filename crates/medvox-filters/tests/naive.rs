//! Each filter against a direct implementation written here (explicit loops over
//! the neighbourhood with clamped indices), for several thread counts and block
//! plans, every pixel type and the edge cases (one voxel, one slice, anisotropic
//! spacing, bad parameters).

mod common;

use medvox_core::{BlockPlan, Executor, Geometry, Pixel, Volume};
use medvox_filters::gaussian::{gaussian_with_plan, kernel_half};
use medvox_filters::gradient::gradient_magnitude_with_plan;
use medvox_filters::median::median_with_plan;
use medvox_filters::{
    gaussian, gradient_magnitude, median, FilterError, FilterPixel, GaussianParams,
    GradientMagnitudeParams, MedianParams, Sigma,
};

fn geometry(spacing: [f64; 3]) -> Geometry {
    Geometry {
        spacing,
        ..Geometry::default()
    }
}

/// Deterministic pseudo-random values in [-500, 500) (integers, exact in every type but u8/i8).
fn values(n: usize, seed: u64) -> Vec<f64> {
    common::lcg(seed, 1442695040888963407)
        .take(n)
        .map(|r| (r % 1000) as f64 - 500.0)
        .collect()
}

fn volume<T: Pixel>(size: [usize; 3], spacing: [f64; 3], seed: u64) -> Volume<T> {
    let n = size.iter().product();
    let v: Vec<T> = values(n, seed).into_iter().map(T::from_f64).collect();
    Volume::from_vec(size, v, geometry(spacing)).unwrap()
}

fn at<T: Pixel>(v: &Volume<T>, x: i64, y: i64, z: i64) -> f64 {
    let s = v.size();
    let c = |i: i64, n: usize| i.clamp(0, n as i64 - 1) as usize;
    v.get([c(x, s[0]), c(y, s[1]), c(z, s[2])])
        .unwrap()
        .to_f64()
}

fn naive_gaussian<T: Pixel>(v: &Volume<T>, sigma_vox: [f64; 3]) -> Vec<f64> {
    let r = sigma_vox.map(|s| (4.0 * s + 0.5) as usize);
    let w: Vec<Vec<f64>> = (0..3).map(|a| kernel_half(sigma_vox[a], r[a])).collect();
    let wk = |a: usize, k: i64| w[a][k.unsigned_abs() as usize];
    let s = v.size();
    let mut out = Vec::with_capacity(v.len());
    for z in 0..s[2] as i64 {
        for y in 0..s[1] as i64 {
            for x in 0..s[0] as i64 {
                let mut acc = 0.0;
                for dz in -(r[2] as i64)..=r[2] as i64 {
                    for dy in -(r[1] as i64)..=r[1] as i64 {
                        for dx in -(r[0] as i64)..=r[0] as i64 {
                            acc +=
                                wk(0, dx) * wk(1, dy) * wk(2, dz) * at(v, x + dx, y + dy, z + dz);
                        }
                    }
                }
                out.push(acc);
            }
        }
    }
    out
}

fn naive_median<T: Pixel>(v: &Volume<T>, r: [usize; 3]) -> Vec<T> {
    let s = v.size();
    let c = |i: i64, n: usize| i.clamp(0, n as i64 - 1) as usize;
    let mut out = Vec::with_capacity(v.len());
    let mut win = Vec::new();
    for z in 0..s[2] as i64 {
        for y in 0..s[1] as i64 {
            for x in 0..s[0] as i64 {
                win.clear();
                for dz in -(r[2] as i64)..=r[2] as i64 {
                    for dy in -(r[1] as i64)..=r[1] as i64 {
                        for dx in -(r[0] as i64)..=r[0] as i64 {
                            win.push(
                                v.get([c(x + dx, s[0]), c(y + dy, s[1]), c(z + dz, s[2])])
                                    .unwrap(),
                            );
                        }
                    }
                }
                win.sort_by(|a, b| a.partial_cmp(b).unwrap());
                out.push(win[win.len() / 2]);
            }
        }
    }
    out
}

fn naive_gradient<T: Pixel>(v: &Volume<T>) -> Vec<f64> {
    let s = v.size();
    let sp = v.geometry().spacing;
    let mut out = Vec::with_capacity(v.len());
    for z in 0..s[2] as i64 {
        for y in 0..s[1] as i64 {
            for x in 0..s[0] as i64 {
                let gx = (at(v, x + 1, y, z) - at(v, x - 1, y, z)) / (2.0 * sp[0]);
                let gy = (at(v, x, y + 1, z) - at(v, x, y - 1, z)) / (2.0 * sp[1]);
                let gz = (at(v, x, y, z + 1) - at(v, x, y, z - 1)) / (2.0 * sp[2]);
                out.push((gx * gx + gy * gy + gz * gz).sqrt());
            }
        }
    }
    out
}

fn assert_close<F: Pixel>(got: &Volume<F>, want: &[f64], rel: f64, what: &str) {
    let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.as_slice().iter().zip(want).enumerate() {
        let g = g.to_f64();
        assert!(
            (g - w).abs() <= rel * scale,
            "{what}: voxel {i}: got {g}, want {w} (scale {scale})"
        );
    }
    assert_eq!(got.len(), want.len());
}

/// Plans to try for a size and halo: whole volume, slabs, odd 3D tiles, single voxels.
fn plans(size: [usize; 3], halo: [usize; 3]) -> Vec<BlockPlan> {
    [
        size,
        [size[0], size[1], 1],
        [size[0], size[1], 3],
        [4, 3, 2],
        [5, 7, 64],
        [1, 1, 1],
    ]
    .into_iter()
    .map(|b| BlockPlan::new(size, b.map(|n| n.max(1)), halo).unwrap())
    .collect()
}

const SIZE: [usize; 3] = [13, 11, 9];
const ANISO: [f64; 3] = [0.7, 1.3, 2.5];

#[test]
fn gaussian_matches_naive_for_every_plan_and_thread_count() {
    let v = volume::<f32>(SIZE, ANISO, 1);
    let p = GaussianParams {
        sigma: Sigma::Mm([1.1, 1.5, 2.0]),
        truncate: 4.0,
    };
    let sv = p.sigma_voxels(v.geometry()).unwrap();
    let want = naive_gaussian(&v, sv);
    let r = p.radius(v.geometry()).unwrap();
    assert_eq!(r, sv.map(|s| (4.0 * s + 0.5) as usize));
    let reference = gaussian(&v, &p, &Executor::new(1).unwrap()).unwrap();
    assert_close(&reference, &want, 1e-5, "gaussian mm");
    for threads in [1, 2, 4] {
        let exec = Executor::new(threads).unwrap();
        for plan in plans(SIZE, r) {
            let got = gaussian_with_plan(&v, &p, &exec, &plan).unwrap();
            assert_eq!(got, reference, "threads {threads} plan {plan:?}");
        }
    }
    // A halo larger than needed is fine; a smaller one is refused.
    let big = BlockPlan::new(SIZE, [4, 4, 4], r.map(|x| x + 2)).unwrap();
    assert_eq!(
        gaussian_with_plan(&v, &p, &Executor::new(2).unwrap(), &big).unwrap(),
        reference
    );
    let small = BlockPlan::new(SIZE, [4, 4, 4], [0, 0, 0]).unwrap();
    assert!(matches!(
        gaussian_with_plan(&v, &p, &Executor::new(2).unwrap(), &small),
        Err(FilterError::Plan { .. })
    ));
}

#[test]
fn gaussian_in_voxels_ignores_spacing_and_zero_sigma_is_identity() {
    let v = volume::<i16>(SIZE, ANISO, 2);
    let exec = Executor::new(2).unwrap();
    let got = gaussian(&v, &GaussianParams::voxels(0.8), &exec).unwrap();
    assert_close(&got, &naive_gaussian(&v, [0.8; 3]), 1e-5, "gaussian voxels");
    let id = gaussian(&v, &GaussianParams::voxels(0.0), &exec).unwrap();
    assert_eq!(id.as_slice(), v.cast::<f32>().as_slice());
    assert_eq!(id.geometry(), v.geometry());
}

#[test]
fn median_matches_naive_exactly() {
    let v = volume::<i16>(SIZE, ANISO, 3);
    // Windows of 27, 15, 5 and 63 voxels use the sorting network, 75 the column merge.
    for r in [[1, 1, 1], [2, 1, 0], [0, 0, 2], [1, 3, 1], [2, 2, 1]] {
        let p = MedianParams::new(r);
        let want = naive_median(&v, r);
        let reference = median(&v, &p, &Executor::new(1).unwrap()).unwrap();
        assert_eq!(reference.as_slice(), &want[..], "radius {r:?}");
        for threads in [1, 2, 4] {
            let exec = Executor::new(threads).unwrap();
            for plan in plans(SIZE, r) {
                let got = median_with_plan(&v, &p, &exec, &plan).unwrap();
                assert_eq!(
                    got, reference,
                    "radius {r:?} threads {threads} plan {plan:?}"
                );
            }
        }
    }
}

#[test]
fn median_with_many_ties() {
    // Few distinct values: ties everywhere.
    let v = Volume::from_vec(
        SIZE,
        values(SIZE.iter().product(), 9)
            .into_iter()
            .map(|x| (x.rem_euclid(3.0)) as u8)
            .collect(),
        Geometry::default(),
    )
    .unwrap();
    let got = median(
        &v,
        &MedianParams::new([1, 1, 1]),
        &Executor::new(2).unwrap(),
    )
    .unwrap();
    assert_eq!(got.as_slice(), &naive_median(&v, [1, 1, 1])[..]);
}

#[test]
fn gradient_matches_naive_for_every_plan_and_thread_count() {
    let v = volume::<f32>(SIZE, ANISO, 4);
    let p = GradientMagnitudeParams::default();
    let want = naive_gradient(&v);
    let reference = gradient_magnitude(&v, &p, &Executor::new(1).unwrap()).unwrap();
    assert_close(&reference, &want, 1e-6, "gradient");
    for threads in [1, 2, 4] {
        let exec = Executor::new(threads).unwrap();
        for plan in plans(SIZE, [1; 3]) {
            let got = gradient_magnitude_with_plan(&v, &p, &exec, &plan).unwrap();
            assert_eq!(got, reference, "threads {threads} plan {plan:?}");
        }
    }
    // Voxel units.
    let vox = gradient_magnitude(
        &v,
        &GradientMagnitudeParams { use_spacing: false },
        &Executor::new(2).unwrap(),
    )
    .unwrap();
    let mut iso = v.clone();
    iso.set_geometry(Geometry::default()).unwrap();
    assert_close(&vox, &naive_gradient(&iso), 1e-6, "gradient voxels");
}

fn every_op<T: FilterPixel>(size: [usize; 3]) {
    let v = volume::<T>(size, [0.9, 1.0, 3.0], 5);
    let exec = Executor::new(2).unwrap();
    let g = gaussian(&v, &GaussianParams::mm(1.2), &exec).unwrap();
    let sv = GaussianParams::mm(1.2).sigma_voxels(v.geometry()).unwrap();
    assert_close(&g, &naive_gaussian(&v, sv), 1e-5, T::TYPE.name());
    let m = median(&v, &MedianParams::new([1, 1, 1]), &exec).unwrap();
    assert_eq!(
        m.as_slice(),
        &naive_median(&v, [1, 1, 1])[..],
        "{}",
        T::TYPE
    );
    let d = gradient_magnitude(&v, &GradientMagnitudeParams::default(), &exec).unwrap();
    assert_close(&d, &naive_gradient(&v), 1e-6, T::TYPE.name());
    assert_eq!(g.size(), size);
    assert_eq!(m.geometry(), v.geometry());
}

#[test]
fn every_pixel_type() {
    every_op::<u8>([7, 6, 5]);
    every_op::<i8>([7, 6, 5]);
    every_op::<u16>([7, 6, 5]);
    every_op::<i16>([7, 6, 5]);
    every_op::<u32>([7, 6, 5]);
    every_op::<i32>([7, 6, 5]);
    every_op::<f32>([7, 6, 5]);
    every_op::<f64>([7, 6, 5]);
    // f64 stays f64.
    let v = volume::<f64>([3, 3, 3], [1.0; 3], 1);
    let g: Volume<f64> = gaussian(&v, &GaussianParams::voxels(1.0), &Executor::default()).unwrap();
    assert_eq!(g.len(), 27);
}

#[test]
fn one_voxel_and_one_slice() {
    every_op::<f32>([1, 1, 1]);
    every_op::<i16>([1, 1, 1]);
    every_op::<f32>([9, 8, 1]);
    every_op::<u8>([1, 8, 1]);
    every_op::<i16>([17, 1, 6]);
    let v = volume::<f32>([1, 1, 1], [1.0; 3], 3);
    let g = gradient_magnitude(
        &v,
        &GradientMagnitudeParams::default(),
        &Executor::default(),
    );
    assert_eq!(g.unwrap().as_slice(), &[0.0]);
}

#[test]
fn bad_parameters_are_errors() {
    let v = volume::<f32>([4, 4, 4], [1.0; 3], 1);
    let exec = Executor::new(1).unwrap();
    for bad in [
        GaussianParams::mm(-1.0),
        GaussianParams::mm(f64::NAN),
        GaussianParams::voxels(f64::INFINITY),
        GaussianParams {
            sigma: Sigma::Voxels([1.0, -0.5, 1.0]),
            truncate: 4.0,
        },
        GaussianParams {
            sigma: Sigma::Voxels([1.0; 3]),
            truncate: f64::NAN,
        },
        GaussianParams::voxels(1e300),
    ] {
        assert!(
            matches!(
                gaussian(&v, &bad, &exec),
                Err(FilterError::Parameter { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(median(&v, &MedianParams::new([usize::MAX, 1, 1]), &exec).is_err());
    assert!(median(&v, &MedianParams::new([1000, 1000, 1000]), &exec).is_err());
    let other = BlockPlan::new([4, 4, 5], [4, 4, 4], [1; 3]).unwrap();
    assert!(median_with_plan(&v, &MedianParams::new([1; 3]), &exec, &other).is_err());
    assert!(
        gradient_magnitude_with_plan(&v, &GradientMagnitudeParams::default(), &exec, &other)
            .is_err()
    );
}

#[test]
fn filter_enum_reads_from_json() {
    let f: medvox_filters::Filter =
        serde_json::from_str(r#"{"op":"gaussian","sigma":{"voxels":[2,2,2]}}"#).unwrap();
    assert_eq!(
        f,
        medvox_filters::Filter::Gaussian(GaussianParams::voxels(2.0))
    );
    assert_eq!(f.name(), "gaussian");
    let v = volume::<i16>([5, 4, 3], [1.0; 3], 1).into();
    let out = f.apply(&v, &Executor::new(2).unwrap()).unwrap();
    assert_eq!(out.pixel_type(), medvox_core::PixelType::F32);
    let m: medvox_filters::Filter =
        serde_json::from_str(r#"{"op":"median","radius":[1,1,1]}"#).unwrap();
    assert_eq!(
        m.apply(&v, &Executor::default()).unwrap().pixel_type(),
        medvox_core::PixelType::I16
    );
}
