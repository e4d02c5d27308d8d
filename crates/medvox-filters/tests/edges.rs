//! mean, sobel, laplacian, log, gradient-magnitude-gaussian, gaussian-recursive and
//! cast against brute-force sums of their definitions written out here (every
//! neighbourhood offset visited, edge replicate by clamping), for several thread
//! counts and block plans, integer and float types, one-voxel-thick axes and
//! anisotropic spacing. Float tolerances are stated per test.

mod common;

use medvox_core::{AnyVolume, BlockPlan, Executor, Geometry, Pixel, PixelType, Volume};
use medvox_filters::cast::{cast, CastParams};
use medvox_filters::gradient_gaussian::{
    gradient_magnitude_gaussian, gradient_magnitude_gaussian_with_plan,
};
use medvox_filters::laplacian::{laplacian, laplacian_with_plan, LaplacianParams};
use medvox_filters::log::{laplacian_of_gaussian, laplacian_of_gaussian_with_plan};
use medvox_filters::mean::{mean, mean_with_plan, MeanParams};
use medvox_filters::recursive_gaussian::{recursive_gaussian, RecursiveGaussianParams};
use medvox_filters::sobel::{sobel, sobel_with_plan};
use medvox_filters::{gaussian, Filter, FilterError, GaussianParams, Sigma};

fn volume<T: Pixel>(size: [usize; 3], seed: u64, g: Geometry) -> Volume<T> {
    let n: usize = size.iter().product();
    let v = common::lcg(seed, 3)
        .take(n)
        .map(|r| T::from_f64((r % 200) as f64 - 100.0))
        .collect();
    Volume::from_vec(size, v, g).unwrap()
}

fn aniso() -> Geometry {
    Geometry {
        spacing: [0.7, 1.3, 2.5],
        ..Geometry::default()
    }
}

fn execs() -> Vec<Executor> {
    [1, 2, 4].map(|t| Executor::new(t).unwrap()).into()
}

fn plans(size: [usize; 3], halo: [usize; 3]) -> Vec<BlockPlan> {
    [[1, 1, 1], [4, 3, 2], [5, 64, 1], [64, 64, 64]]
        .map(|b| BlockPlan::new(size, b, halo).unwrap())
        .into()
}

/// `Σ_d w(d)·f[clamp(i + d)]` over `|d_a| <= r_a`, at every voxel, in f64.
fn brute<T: Pixel>(v: &Volume<T>, r: [usize; 3], w: impl Fn([isize; 3]) -> f64) -> Vec<f64> {
    let [nx, ny, nz] = v.size();
    let c = |i: usize, d: isize, n: usize| (i as isize + d).clamp(0, n as isize - 1) as usize;
    let r = r.map(|r| r as isize);
    let mut out = Vec::with_capacity(v.len());
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let mut s = 0.0;
                for dz in -r[2]..=r[2] {
                    for dy in -r[1]..=r[1] {
                        for dx in -r[0]..=r[0] {
                            let f = v.get([c(x, dx, nx), c(y, dy, ny), c(z, dz, nz)]).unwrap();
                            s += w([dx, dy, dz]) * f.to_f64();
                        }
                    }
                }
                out.push(s);
            }
        }
    }
    out
}

fn assert_close(got: &[f64], want: &[f64], rel: f64, what: &str) {
    assert_eq!(got.len(), want.len());
    let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= rel * scale,
            "{what}: voxel {i}: got {g}, want {w} (tolerance {rel} x {scale})"
        );
    }
}

fn f64s<F: Pixel>(v: &Volume<F>) -> Vec<f64> {
    v.as_slice().iter().map(|x| x.to_f64()).collect()
}

// ---------------------------------------------------------------- mean

#[test]
fn mean_matches_brute_force_and_is_plan_independent() {
    for (size, r) in [
        ([9, 7, 6], [1, 1, 1]),
        ([9, 7, 6], [3, 0, 2]),
        ([6, 5, 4], [9, 7, 11]), // radius beyond the volume
        ([7, 1, 5], [2, 2, 1]),  // one-voxel-thick y
    ] {
        let v = volume::<i16>(size, 1, aniso());
        let count: f64 = r.iter().map(|&r| (2 * r + 1) as f64).product();
        let want: Vec<f32> = brute(&v, r, |_| 1.0)
            .iter()
            .map(|s| (s / count) as f32)
            .collect();
        let p = MeanParams::new(r);
        // Integer input: exact sums, so bit-identical for every plan and thread count.
        for e in execs() {
            assert_eq!(mean(&v, &p, &e).unwrap().as_slice(), &want[..], "{r:?}");
            for plan in plans(size, r) {
                let m = mean_with_plan(&v, &p, &e, &plan).unwrap();
                assert_eq!(m.as_slice(), &want[..], "{r:?} {plan:?}");
            }
        }
        // Float input: f64 running sums, |Δ| <= 1e-12 of the range.
        let f = volume::<f64>(size, 2, aniso()).map(|x| x * 0.37);
        let want = brute(&f, r, |_| 1.0 / count);
        for plan in plans(size, r) {
            let m = mean_with_plan(&f, &p, &Executor::new(2).unwrap(), &plan).unwrap();
            assert_close(m.as_slice(), &want, 1e-12, "mean f64");
        }
    }
}

#[test]
fn mean_errors() {
    let v = volume::<u8>([3, 3, 3], 1, Geometry::default());
    let e = Executor::default();
    assert!(matches!(
        mean(&v, &MeanParams::new([1 << 30, 0, 0]), &e),
        Err(FilterError::Parameter { name: "radius", .. })
    ));
    let small = BlockPlan::new(v.size(), [2, 2, 2], [0, 1, 1]).unwrap();
    assert!(matches!(
        mean_with_plan(&v, &MeanParams::new([1, 1, 1]), &e, &small),
        Err(FilterError::Plan { .. })
    ));
}

// ---------------------------------------------------------------- sobel, laplacian

/// scipy's sobel along axis `a` (0 = x): [-1,0,1] along a, [1,2,1] along the others.
fn sobel_weight(a: usize, d: [isize; 3]) -> f64 {
    (0..3)
        .map(|b| {
            if b == a {
                d[b] as f64
            } else {
                (2 - d[b].abs()) as f64
            }
        })
        .product()
}

#[test]
fn sobel_matches_brute_force() {
    for size in [[8, 7, 5], [6, 5, 1], [1, 4, 3]] {
        let v = volume::<i16>(size, 4, aniso());
        let g: Vec<Vec<f64>> = (0..3)
            .map(|a| brute(&v, [1; 3], |d| sobel_weight(a, d)))
            .collect();
        let want: Vec<f32> = (0..v.len())
            .map(|i| (g[0][i].powi(2) + g[1][i].powi(2) + g[2][i].powi(2)).sqrt() as f32)
            .collect();
        for e in execs() {
            assert_eq!(sobel(&v, &e).unwrap().as_slice(), &want[..]);
            for plan in plans(size, [1; 3]) {
                assert_eq!(
                    sobel_with_plan(&v, &e, &plan).unwrap().as_slice(),
                    &want[..]
                );
            }
        }
        // f64 in, f64 out; same sums.
        let f = v.cast::<f64>();
        assert_close(
            &f64s(&sobel(&f, &Executor::default()).unwrap()),
            &want.iter().map(|&x| x as f64).collect::<Vec<_>>(),
            1e-7,
            "sobel f64",
        );
    }
}

#[test]
fn laplacian_matches_brute_force_with_spacing() {
    for size in [[8, 7, 5], [6, 1, 4]] {
        let v = volume::<f32>(size, 5, aniso());
        for use_spacing in [true, false] {
            let sp = if use_spacing {
                aniso().spacing
            } else {
                [1.0; 3]
            };
            let want = brute(&v, [1; 3], |d| {
                let nz: Vec<usize> = (0..3).filter(|&a| d[a] != 0).collect();
                match nz[..] {
                    [] => -2.0 * (0..3).map(|a| 1.0 / (sp[a] * sp[a])).sum::<f64>(),
                    [a] => 1.0 / (sp[a] * sp[a]),
                    _ => 0.0,
                }
            });
            let p = LaplacianParams { use_spacing };
            for e in execs() {
                for plan in plans(size, [1; 3]) {
                    let l = laplacian_with_plan(&v, &p, &e, &plan).unwrap();
                    assert_close(&f64s(&l), &want, 1e-6, "laplacian");
                    assert_eq!(l, laplacian(&v, &p, &e).unwrap());
                }
            }
        }
    }
}

// ---------------------------------------------------------------- log, gradient magnitude of Gaussian

/// scipy's sampled Gaussian derivative weight at offset k (order 0, 1, 2), written
/// from the continuous formulas: φ(k) ∝ exp(−k²/2σ²), φ'(k)-like k/σ²·φ, (k²−σ²)/σ⁴·φ.
fn dog(sigma: f64, radius: usize, order: u8, k: isize) -> f64 {
    let e = |j: isize| (-((j * j) as f64) / (2.0 * sigma * sigma)).exp();
    let r = radius as isize;
    let phi = e(k) / (-r..=r).map(e).sum::<f64>();
    let k = k as f64;
    match order {
        0 => phi,
        1 => k / (sigma * sigma) * phi,
        _ => (k * k - sigma * sigma) / sigma.powi(4) * phi,
    }
}

fn radius(sigma: f64) -> usize {
    (4.0 * sigma + 0.5) as usize
}

#[test]
fn log_and_gradient_gaussian_match_brute_force() {
    for (size, sigma_mm) in [([11, 9, 7], [1.2, 1.5, 2.0]), ([9, 8, 1], [0.8, 1.3, 2.5])] {
        let g = aniso();
        let v = volume::<i16>(size, 6, g);
        let sv: [f64; 3] = [0, 1, 2].map(|a| sigma_mm[a] / g.spacing[a]);
        let r = sv.map(radius);
        let term = |a: usize, order: u8, d: [isize; 3]| -> f64 {
            (0..3)
                .map(|b| dog(sv[b], r[b], if b == a { order } else { 0 }, d[b]))
                .product()
        };
        let p = GaussianParams {
            sigma: Sigma::Mm(sigma_mm),
            truncate: 4.0,
        };
        // LoG per mm²: Σ_a term_a / s_a².
        let want = brute(&v, r, |d| {
            (0..3)
                .map(|a| term(a, 2, d) / (g.spacing[a] * g.spacing[a]))
                .sum()
        });
        // Gradient magnitude per mm.
        let ga: Vec<Vec<f64>> = (0..3)
            .map(|a| brute(&v, r, |d| term(a, 1, d) / g.spacing[a]))
            .collect();
        let want_g: Vec<f64> = (0..v.len())
            .map(|i| (ga[0][i].powi(2) + ga[1][i].powi(2) + ga[2][i].powi(2)).sqrt())
            .collect();
        for e in execs() {
            let l0 = laplacian_of_gaussian(&v, &p, &e).unwrap();
            assert_close(&f64s(&l0), &want, 1e-6, "log");
            let g0 = gradient_magnitude_gaussian(&v, &p, &e).unwrap();
            assert_close(&f64s(&g0), &want_g, 1e-6, "gradient magnitude of gaussian");
            for plan in plans(size, r) {
                let l = laplacian_of_gaussian_with_plan(&v, &p, &e, &plan).unwrap();
                assert_eq!(l, l0, "log, plan {plan:?}");
                let gm = gradient_magnitude_gaussian_with_plan(&v, &p, &e, &plan).unwrap();
                assert_eq!(gm, g0, "gmg, plan {plan:?}");
            }
        }
        // σ in voxels: per voxel (spacing ignored), f64 in and out.
        let f = v.cast::<f64>();
        let pv = GaussianParams {
            sigma: Sigma::Voxels(sv),
            truncate: 4.0,
        };
        let want_v = brute(&f, r, |d| (0..3).map(|a| term(a, 2, d)).sum());
        let l = laplacian_of_gaussian(&f, &pv, &Executor::default()).unwrap();
        assert_close(l.as_slice(), &want_v, 1e-12, "log voxels f64");
    }
}

#[test]
fn derivative_of_gaussian_errors() {
    let v = volume::<u8>([5, 5, 5], 1, Geometry::default());
    let e = Executor::default();
    for s in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let p = GaussianParams::mm(s);
        assert!(matches!(
            laplacian_of_gaussian(&v, &p, &e),
            Err(FilterError::Parameter { .. })
        ));
        assert!(matches!(
            gradient_magnitude_gaussian(&v, &p, &e),
            Err(FilterError::Parameter { .. })
        ));
    }
}

// ---------------------------------------------------------------- recursive Gaussian

#[test]
fn recursive_gaussian_properties() {
    let g = aniso();
    let size = [40, 33, 21];
    // Smooth input: close to the exact Gaussian (IIR approximation error, < 0.5 % of the range).
    let n: usize = size.iter().product();
    let smooth: Vec<f32> = (0..n)
        .map(|i| {
            let (x, y, z) = ((i % 40) as f32, ((i / 40) % 33) as f32, (i / 1320) as f32);
            100.0 * (x * 0.3).sin() * (y * 0.2).cos() + 10.0 * z
        })
        .collect();
    let v = Volume::from_vec(size, smooth, g).unwrap();
    let p = RecursiveGaussianParams::mm(1.5);
    let r1 = recursive_gaussian(&v, &p, &Executor::new(1).unwrap()).unwrap();
    for e in execs() {
        assert_eq!(recursive_gaussian(&v, &p, &e).unwrap(), r1);
    }
    let exact = gaussian(&v, &GaussianParams::mm(1.5), &Executor::default()).unwrap();
    // Compare away from the borders, where both see the same edge extension.
    let (a, b) = (r1.data(), exact.data());
    let mut worst = 0.0f32;
    for z in 5..16 {
        for y in 8..25 {
            for x in 8..32 {
                worst = worst.max((a[[z, y, x]] - b[[z, y, x]]).abs());
            }
        }
    }
    assert!(worst < 0.005 * 310.0, "IIR vs exact: {worst}");
    // Constants stay constant, on any axis length (ITK needs >= 4 voxels; we do not).
    for size in [[1, 1, 1], [2, 3, 1], [5, 1, 4]] {
        let n: usize = size.iter().product();
        let c = Volume::from_vec(size, vec![-7i16; n], g).unwrap();
        let s = recursive_gaussian(
            &c,
            &RecursiveGaussianParams::voxels(3.0),
            &Executor::default(),
        )
        .unwrap();
        assert!(
            s.as_slice().iter().all(|&x| (x + 7.0).abs() < 1e-4),
            "{size:?}: {s:?}"
        );
    }
    // σ = 0 on every axis: a plain conversion.
    let z = recursive_gaussian(
        &v,
        &RecursiveGaussianParams::voxels(0.0),
        &Executor::default(),
    )
    .unwrap();
    assert_eq!(z, v);
    // Sum is preserved for a σ small against the line (unit DC gain, symmetric response).
    let mut imp = vec![0.0f64; 101];
    imp[50] = 1.0;
    let iv = Volume::from_vec([101, 1, 1], imp, Geometry::default()).unwrap();
    let s = recursive_gaussian(
        &iv,
        &RecursiveGaussianParams::voxels(4.0),
        &Executor::default(),
    )
    .unwrap();
    let sum: f64 = s.as_slice().iter().sum();
    assert!((sum - 1.0).abs() < 1e-6, "impulse response sums to {sum}");
    let d = s.as_slice();
    for k in 1..20 {
        assert!((d[50 + k] - d[50 - k]).abs() < 1e-9, "asymmetric at {k}");
    }
    // Its second moment is near σ² = 16: ITK's coefficients give 15.008 here
    // (measured with SimpleITK SmoothingRecursiveGaussian on the same impulse).
    let var: f64 = d
        .iter()
        .enumerate()
        .map(|(i, w)| w * (i as f64 - 50.0).powi(2))
        .sum();
    assert!((var - 15.008).abs() < 0.01, "variance {var}");
}

#[test]
fn recursive_gaussian_errors() {
    let v = volume::<u8>([5, 5, 5], 1, Geometry::default());
    let e = Executor::default();
    for s in [-1.0, f64::NAN, f64::INFINITY, 1e9] {
        assert!(matches!(
            recursive_gaussian(&v, &RecursiveGaussianParams::mm(s), &e),
            Err(FilterError::Parameter {
                op: "gaussian-recursive",
                ..
            })
        ));
    }
}

// ---------------------------------------------------------------- cast

#[test]
fn cast_every_pair_follows_from_f64() {
    let vals = [
        -300.6f64,
        -128.5,
        -2.5,
        -0.4,
        0.0,
        0.5,
        1.5,
        254.6,
        70000.2,
        f64::NAN,
        0.49999997,
        -0.49999997,
        -1.5,
        32767.5,
        -32768.5,
        255.49998,
        8388607.5,
        1e30,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    let src = Volume::from_vec([vals.len(), 1, 1], vals.to_vec(), aniso()).unwrap();
    for from in PixelType::ALL {
        let a = AnyVolume::from(src.clone()).cast(from);
        for to in PixelType::ALL {
            let want: Vec<f64> = medvox_core::with_volume!(&a, v => v
                .as_slice()
                .iter()
                .map(|x| medvox_core::for_pixel_type!(to, U => U::from_f64(x.to_f64()).to_f64()))
                .collect());
            for e in execs() {
                let c = cast(&a, &CastParams { pixel_type: to }, &e).unwrap();
                assert_eq!(c.pixel_type(), to);
                assert_eq!(c.geometry(), a.geometry());
                let got: Vec<f64> = c.to_volume::<f64>().as_slice().to_vec();
                for (g, w) in got.iter().zip(&want) {
                    assert!(
                        g == w || (g.is_nan() && w.is_nan()),
                        "{from} -> {to}: {got:?} vs {want:?}"
                    );
                }
            }
        }
    }
    // The rules themselves on f64 → u8 / i16.
    let u8s = cast(
        &src.clone().into(),
        &CastParams {
            pixel_type: PixelType::U8,
        },
        &Executor::default(),
    )
    .unwrap();
    assert_eq!(
        &u8s.to_volume::<u8>().as_slice()[..10],
        &[0, 0, 0, 0, 0, 1, 2, 255, 255, 0]
    );
    let i16s = cast(
        &src.into(),
        &CastParams {
            pixel_type: PixelType::I16,
        },
        &Executor::default(),
    )
    .unwrap();
    assert_eq!(
        &i16s.to_volume::<i16>().as_slice()[..10],
        &[-301, -129, -3, 0, 0, 1, 2, 255, 32767, 0]
    );
}

// ---------------------------------------------------------------- registration

#[test]
fn filters_are_registered_by_name() {
    let v: AnyVolume = volume::<i16>([6, 5, 4], 9, aniso()).into();
    let e = Executor::default();
    for (json, name, out) in [
        (r#"{"op":"mean","radius":[1,1,1]}"#, "mean", PixelType::F32),
        (r#"{"op":"sobel"}"#, "sobel", PixelType::F32),
        (r#"{"op":"laplacian"}"#, "laplacian", PixelType::F32),
        (
            r#"{"op":"log","sigma":{"mm":[1,1,1]}}"#,
            "log",
            PixelType::F32,
        ),
        (
            r#"{"op":"gradient-magnitude-gaussian","sigma":{"voxels":[1,1,1]}}"#,
            "gradient-magnitude-gaussian",
            PixelType::F32,
        ),
        (
            r#"{"op":"gaussian-recursive","sigma":{"mm":[2,2,2]}}"#,
            "gaussian-recursive",
            PixelType::F32,
        ),
        (
            r#"{"op":"cast","pixel_type":"u16"}"#,
            "cast",
            PixelType::U16,
        ),
    ] {
        let f: Filter = serde_json::from_str(json).unwrap();
        assert_eq!(f.name(), name);
        let r = f.apply(&v, &e).unwrap();
        assert_eq!(r.pixel_type(), out, "{name}");
        assert_eq!(r.size(), v.size());
        let back: Filter = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
        assert_eq!(back, f);
    }
}
