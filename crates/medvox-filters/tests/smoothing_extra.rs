//! Bilateral, anisotropic diffusion, fill holes and top-hats against direct
//! implementations written here from the definitions (whole-volume loops with
//! clamped indices, no blocks), plus invariants: thread count and block plan
//! independence (bit-identical), every pixel type, one-voxel-thick axes, anisotropic
//! spacing, and errors for bad parameters.
//!
//! Tolerances: fill holes and top-hats exact; bilateral 1e-9 of the range (f64 sums
//! in the same order; the reference builds its range table as `i·δ`, ITK as a running
//! sum); diffusion 1e-9 for f64 input (same formula in f64) and 1e-4 of the range for
//! f32 (the reference computes in f64 without ITK's per-step f32 rounding).

mod common;

use medvox_core::{BlockPlan, Executor, Geometry, Pixel, Volume};
use medvox_filters::bilateral::{bilateral, bilateral_with_plan, BilateralParams};
use medvox_filters::diffusion::{diffusion, diffusion_with_plan, DiffusionKind, DiffusionParams};
use medvox_filters::fill_holes::{fill_holes, FillHolesParams};
use medvox_filters::tophat::{tophat, tophat_with_plan, TophatParams};
use medvox_filters::{Filter, FilterError, Kernel};

fn values(n: usize, seed: u64, modulo: u64) -> Vec<f64> {
    common::lcg(seed, 3)
        .take(n)
        .map(|r| (r % modulo) as f64)
        .collect()
}

fn geom(spacing: [f64; 3]) -> Geometry {
    Geometry {
        spacing,
        origin: [3.5, -20.25, 7.0],
        ..Geometry::default()
    }
}

/// Piecewise-constant blocks plus noise: edges for the edge-preserving filters.
fn scene<T: Pixel>(size: [usize; 3], seed: u64, spacing: [f64; 3]) -> Volume<T> {
    let noise = values(size.iter().product(), seed, 21);
    let mut v = Vec::with_capacity(noise.len());
    for z in 0..size[2] {
        for y in 0..size[1] {
            for x in 0..size[0] {
                let base = if x * 2 < size[0] { 20.0 } else { 70.0 }
                    + if (y + z) % 7 < 3 { 40.0 } else { 0.0 };
                v.push(T::from_f64(base + noise[v.len()] - 10.0));
            }
        }
    }
    Volume::from_vec(size, v, geom(spacing)).unwrap()
}

fn at<T: Pixel>(v: &Volume<T>, p: [i64; 3]) -> f64 {
    let s = v.size();
    let q = [0, 1, 2].map(|a| p[a].clamp(0, s[a] as i64 - 1) as usize);
    v.get(q).unwrap().to_f64()
}

fn coords(s: [usize; 3]) -> impl Iterator<Item = [i64; 3]> {
    (0..s[2]).flat_map(move |z| {
        (0..s[1]).flat_map(move |y| (0..s[0]).map(move |x| [x as i64, y as i64, z as i64]))
    })
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len());
    let range = want.iter().fold(0.0f64, |m, &w| m.max(w.abs())).max(1.0);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * range,
            "{what}: voxel {i}: got {g}, want {w}"
        );
    }
}

fn f64s<T: Pixel>(v: &Volume<T>) -> Vec<f64> {
    v.as_slice().iter().map(|x| x.to_f64()).collect()
}

fn plans(size: [usize; 3], halo: [usize; 3]) -> Vec<BlockPlan> {
    [[1, 1, 1], [3, 4, 2], [size[0], size[1], 1], [5, 64, 3]]
        .into_iter()
        .map(|b| BlockPlan::new(size, b, halo).unwrap())
        .collect()
}

// ---------------------------------------------------------------- bilateral

fn naive_bilateral<T: Pixel>(v: &Volume<T>, ds: [f64; 3], rs: f64, r: [usize; 3]) -> Vec<f64> {
    let sp = v.geometry().spacing;
    let n = 100usize;
    let delta = 4.0 * rs / n as f64;
    let table: Vec<f64> = (0..n)
        .map(|i| (-0.5 * (i as f64 * delta).powi(2) / (rs * rs)).exp())
        .collect();
    let ri = r.map(|x| x as i64);
    let mut w = Vec::new();
    for dz in -ri[2]..=ri[2] {
        for dy in -ri[1]..=ri[1] {
            for dx in -ri[0]..=ri[0] {
                let d = [dx, dy, dz];
                let e: f64 = (0..3)
                    .map(|a| (d[a] as f64 * sp[a]).powi(2) / (2.0 * ds[a] * ds[a]))
                    .sum();
                w.push((d, (-e).exp()));
            }
        }
    }
    coords(v.size())
        .map(|p| {
            let c = at(v, p);
            let (mut num, mut den) = (0.0, 0.0);
            for &(d, wd) in &w {
                let q = at(v, [p[0] + d[0], p[1] + d[1], p[2] + d[2]]);
                let dist = (q - c).abs();
                if dist < 4.0 * rs {
                    let g = wd * table[((dist / delta).floor() as usize).min(n - 1)];
                    num += g * q;
                    den += g;
                }
            }
            num / den
        })
        .collect()
}

#[test]
fn bilateral_matches_definition() {
    let sp = [0.8, 1.3, 2.0];
    let v: Volume<f64> = scene([9, 8, 6], 1, sp);
    for (ds, rs) in [(1.0, 15.0), (2.0, 50.0), (1.5, 3.0)] {
        let p = BilateralParams::new(ds, rs);
        let r = p.radius(v.geometry()).unwrap();
        assert_eq!(r, [0, 1, 2].map(|a| (2.5 * ds / sp[a]).ceil() as usize));
        let got = bilateral(&v, &p, &Executor::default()).unwrap();
        let want = naive_bilateral(&v, [ds; 3], rs, r);
        assert_close(&f64s(&got), &want, 1e-9, "bilateral f64");
    }
    // Explicit radius, every integer type (computed in f64, f32 out).
    let p = BilateralParams {
        radius: Some([2, 1, 0]),
        ..BilateralParams::new(1.0, 20.0)
    };
    let v16: Volume<i16> = scene([7, 6, 5], 2, sp);
    let got = bilateral(&v16, &p, &Executor::default()).unwrap();
    let want = naive_bilateral(&v16, [1.0; 3], 20.0, [2, 1, 0]);
    assert_close(&f64s(&got), &want, 1e-6, "bilateral i16");
}

#[test]
fn bilateral_every_type_same_as_f64() {
    let p = BilateralParams::new(1.2, 25.0);
    let reference = bilateral(
        &scene::<f64>([6, 5, 4], 3, [1.0; 3]),
        &p,
        &Executor::default(),
    )
    .unwrap();
    macro_rules! check {
        ($($t:ty),*) => {$(
            let v: Volume<$t> = scene([6, 5, 4], 3, [1.0; 3]);
            let got = bilateral(&v, &p, &Executor::default()).unwrap();
            assert_close(&f64s(&got), &f64s(&reference), 1e-6, stringify!($t));
        )*};
    }
    check!(u8, i8, u16, i16, u32, i32, f32);
}

#[test]
fn bilateral_thread_and_plan_independent() {
    let v: Volume<f32> = scene([11, 9, 7], 4, [1.0, 0.7, 1.5]);
    let p = BilateralParams::new(1.0, 30.0);
    let r = p.radius(v.geometry()).unwrap();
    let reference = bilateral(&v, &p, &Executor::new(1).unwrap()).unwrap();
    for threads in [1, 2, 4] {
        let exec = Executor::new(threads).unwrap();
        assert_eq!(bilateral(&v, &p, &exec).unwrap(), reference);
        for plan in plans(v.size(), r) {
            assert_eq!(
                bilateral_with_plan(&v, &p, &exec, &plan).unwrap(),
                reference,
                "{plan:?}"
            );
        }
    }
    let small = BlockPlan::new(v.size(), [4, 4, 4], [0, 0, 0]).unwrap();
    assert!(matches!(
        bilateral_with_plan(&v, &p, &Executor::default(), &small),
        Err(FilterError::Plan { .. })
    ));
}

#[test]
fn bilateral_thin_and_constant() {
    // One-voxel-thick axes: edge replicate makes the missing axes constant.
    let v: Volume<f32> = scene([12, 1, 1], 5, [1.0; 3]);
    let p = BilateralParams::new(1.0, 40.0);
    let got = bilateral(&v, &p, &Executor::default()).unwrap();
    let want = naive_bilateral(&v, [1.0; 3], 40.0, p.radius(v.geometry()).unwrap());
    assert_close(&f64s(&got), &want, 1e-6, "thin");
    let c = Volume::from_vec([4, 3, 2], vec![7u8; 24], Geometry::default()).unwrap();
    let out = bilateral(&c, &p, &Executor::default()).unwrap();
    assert!(out.as_slice().iter().all(|&x| (x - 7.0).abs() < 1e-5));
}

#[test]
fn bilateral_bad_parameters() {
    let v: Volume<f32> = scene([4, 4, 4], 6, [1.0; 3]);
    let e = Executor::default();
    for p in [
        BilateralParams::new(f64::NAN, 10.0),
        BilateralParams::new(-1.0, 10.0),
        BilateralParams::new(0.0, 10.0),
        BilateralParams::new(1.0, f64::NAN),
        BilateralParams::new(1.0, -5.0),
        BilateralParams::new(1.0, f64::INFINITY),
        BilateralParams::new(1e9, 10.0),
        BilateralParams {
            radius: Some([1000, 1000, 1000]),
            ..BilateralParams::new(1.0, 10.0)
        },
        BilateralParams {
            range_samples: 0,
            ..BilateralParams::new(1.0, 10.0)
        },
    ] {
        assert!(
            matches!(bilateral(&v, &p, &e), Err(FilterError::Parameter { .. })),
            "{p:?}"
        );
    }
}

// ---------------------------------------------------------------- diffusion

/// Whole-volume f64 implementation of ITK's gradient and curvature updates.
fn naive_diffusion<T: Pixel>(v: &Volume<T>, kind: DiffusionKind, p: &DiffusionParams) -> Vec<f64> {
    let s = v.size();
    let sc = v.geometry().spacing.map(|x| 1.0 / x);
    let mut cur: Volume<f64> = v.cast();
    let dt = p.time_step(kind);
    let e = [[1i64, 0, 0], [0, 1, 0], [0, 0, 1]];
    let add =
        |a: [i64; 3], b: [i64; 3], k: i64| [a[0] + k * b[0], a[1] + k * b[1], a[2] + k * b[2]];
    for _ in 0..p.iterations {
        let f = |q: [i64; 3]| at(&cur, q);
        // central difference along j at q
        let cd = |q: [i64; 3], j: usize| (f(add(q, e[j], 1)) - f(add(q, e[j], -1))) / 2.0 * sc[j];
        let avg: f64 = coords(s)
            .map(|q| (0..3).map(|a| cd(q, a).powi(2)).sum::<f64>())
            .sum::<f64>()
            / cur.len() as f64;
        let k = -2.0 * avg * p.conductance * p.conductance;
        let next: Vec<f64> = coords(s)
            .map(|q| {
                let c = f(q);
                let fwd: Vec<f64> = (0..3).map(|i| (f(add(q, e[i], 1)) - c) * sc[i]).collect();
                let bwd: Vec<f64> = (0..3).map(|i| (c - f(add(q, e[i], -1))) * sc[i]).collect();
                // squared gradient magnitude on the faces q ± e_i / 2
                let face = |i: usize, sgn: i64| {
                    let d = if sgn > 0 { fwd[i] } else { bwd[i] };
                    d * d
                        + (0..3)
                            .filter(|&j| j != i)
                            .map(|j| 0.25 * (cd(q, j) + cd(add(q, e[i], sgn), j)).powi(2))
                            .sum::<f64>()
                };
                let cond = |g: f64| if k != 0.0 { (g / k).exp() } else { 0.0 };
                let u = match kind {
                    DiffusionKind::Gradient => (0..3)
                        .map(|i| fwd[i] * cond(face(i, 1)) - bwd[i] * cond(face(i, -1)))
                        .sum::<f64>(),
                    DiffusionKind::Curvature => {
                        let speed: f64 = (0..3)
                            .map(|i| {
                                let (g, gd) = (face(i, 1), face(i, -1));
                                fwd[i] / (1e-10 + g).sqrt() * cond(g)
                                    - bwd[i] / (1e-10 + gd).sqrt() * cond(gd)
                            })
                            .sum();
                        let prop: f64 = (0..3)
                            .map(|i| {
                                if speed > 0.0 {
                                    bwd[i].min(0.0).powi(2) + fwd[i].max(0.0).powi(2)
                                } else {
                                    bwd[i].max(0.0).powi(2) + fwd[i].min(0.0).powi(2)
                                }
                            })
                            .sum();
                        prop.sqrt() * speed
                    }
                };
                c + dt * u
            })
            .collect();
        cur = Volume::from_vec(s, next, *cur.geometry()).unwrap();
    }
    f64s(&cur)
}

#[test]
fn diffusion_matches_definition() {
    let sp = [0.9, 1.1, 1.6];
    for kind in [DiffusionKind::Gradient, DiffusionKind::Curvature] {
        for p in [
            DiffusionParams::default_for(kind),
            DiffusionParams {
                time_step: Some(0.04),
                conductance: 1.0,
                iterations: 3,
                ..DiffusionParams::default()
            },
        ] {
            let v: Volume<f64> = scene([8, 7, 5], 7, sp);
            let got = diffusion(&v, kind, &p, &Executor::default()).unwrap();
            let want = naive_diffusion(&v, kind, &p);
            assert_close(&f64s(&got), &want, 1e-9, kind.name());
            let v32: Volume<f32> = scene([8, 7, 5], 7, sp);
            let got = diffusion(&v32, kind, &p, &Executor::default()).unwrap();
            assert_close(&f64s(&got), &want, 1e-4, kind.name());
            let v16: Volume<i16> = scene([8, 7, 5], 7, sp);
            let got16 = diffusion(&v16, kind, &p, &Executor::default()).unwrap();
            assert_eq!(got16, got, "integer input is cast to f32 first");
        }
    }
}

#[test]
fn gradient_diffusion_conserves_the_mean_and_smooths() {
    let v: Volume<f64> = scene([10, 9, 8], 8, [1.0; 3]);
    let p = DiffusionParams {
        time_step: Some(0.06),
        iterations: 10,
        ..DiffusionParams::default()
    };
    let d = diffusion(&v, DiffusionKind::Gradient, &p, &Executor::default()).unwrap();
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    assert!((mean(&f64s(&d)) - mean(&f64s(&v))).abs() < 1e-9);
    let var = |x: &[f64]| {
        let m = mean(x);
        x.iter().map(|a| (a - m).powi(2)).sum::<f64>()
    };
    assert!(var(&f64s(&d)) < var(&f64s(&v)));
}

#[test]
fn diffusion_thread_and_plan_independent() {
    let v: Volume<f32> = scene([9, 10, 8], 9, [1.0, 0.8, 1.2]);
    for kind in [DiffusionKind::Gradient, DiffusionKind::Curvature] {
        let p = DiffusionParams::default_for(kind);
        let reference = diffusion(&v, kind, &p, &Executor::new(1).unwrap()).unwrap();
        for threads in [1, 2, 4] {
            let exec = Executor::new(threads).unwrap();
            assert_eq!(diffusion(&v, kind, &p, &exec).unwrap(), reference);
            for plan in plans(v.size(), [1, 1, 1]) {
                assert_eq!(
                    diffusion_with_plan(&v, kind, &p, &exec, &plan).unwrap(),
                    reference,
                    "{plan:?}"
                );
            }
        }
    }
}

#[test]
fn diffusion_thin_constant_and_warning() {
    let thin: Volume<f32> = scene([1, 9, 1], 10, [1.0; 3]);
    for kind in [DiffusionKind::Gradient, DiffusionKind::Curvature] {
        let p = DiffusionParams::default_for(kind);
        let got = diffusion(&thin, kind, &p, &Executor::default()).unwrap();
        assert_close(&f64s(&got), &naive_diffusion(&thin, kind, &p), 1e-4, "thin");
        let c = Volume::from_vec([3, 3, 3], vec![5.0f64; 27], Geometry::default()).unwrap();
        let out = diffusion(&c, kind, &p, &Executor::default()).unwrap();
        assert_eq!(out, c, "constant volume: K = 0, no change");
    }
    let g1 = Geometry::default();
    let grad = DiffusionParams::default();
    assert!(grad
        .stability_warning(DiffusionKind::Gradient, &g1)
        .is_some());
    assert!(grad
        .stability_warning(DiffusionKind::Curvature, &g1)
        .is_none());
    let fine = geom([0.5, 1.0, 1.0]);
    assert!(grad
        .stability_warning(DiffusionKind::Curvature, &fine)
        .is_some());
    let f = Filter::CurvatureDiffusion(grad);
    let any = medvox_core::AnyVolume::from(Volume::<f32>::zeros([2, 2, 2], fine).unwrap());
    assert_eq!(f.warnings(&any).len(), 1);
}

#[test]
fn diffusion_bad_parameters() {
    let v: Volume<f32> = scene([4, 4, 4], 11, [1.0; 3]);
    let e = Executor::default();
    let d = DiffusionParams::default();
    for p in [
        DiffusionParams {
            time_step: Some(f64::NAN),
            ..d
        },
        DiffusionParams {
            time_step: Some(-0.1),
            ..d
        },
        DiffusionParams {
            time_step: Some(0.0),
            ..d
        },
        DiffusionParams {
            conductance: f64::NAN,
            ..d
        },
        DiffusionParams {
            conductance: -1.0,
            ..d
        },
        DiffusionParams {
            iterations: usize::MAX,
            ..d
        },
        DiffusionParams {
            conductance_update_interval: 0,
            ..d
        },
    ] {
        for kind in [DiffusionKind::Gradient, DiffusionKind::Curvature] {
            assert!(
                matches!(
                    diffusion(&v, kind, &p, &e),
                    Err(FilterError::Parameter { .. })
                ),
                "{p:?}"
            );
        }
    }
}

// ---------------------------------------------------------------- fill holes

/// Reconstruction by erosion iterated to stability (marker: f on the border, +∞
/// inside; each step takes the face-neighbourhood minimum, bounded below by f).
fn naive_grey_fill(v: &Volume<f64>) -> Vec<f64> {
    let s = v.size();
    let border = |p: [i64; 3]| (0..3).any(|a| p[a] == 0 || p[a] == s[a] as i64 - 1);
    let f: Vec<f64> = f64s(v);
    let mut m: Vec<f64> = coords(s)
        .zip(&f)
        .map(|(p, &x)| if border(p) { x } else { f64::INFINITY })
        .collect();
    let idx = |p: [i64; 3]| (p[2] as usize * s[1] + p[1] as usize) * s[0] + p[0] as usize;
    loop {
        let mut changed = false;
        for p in coords(s) {
            let mut lo = m[idx(p)];
            for a in 0..3 {
                for d in [-1i64, 1] {
                    let mut q = p;
                    q[a] += d;
                    if q[a] >= 0 && q[a] < s[a] as i64 {
                        lo = lo.min(m[idx(q)]);
                    }
                }
            }
            let new = lo.max(f[idx(p)]);
            if new != m[idx(p)] {
                m[idx(p)] = new;
                changed = true;
            }
        }
        if !changed {
            return m;
        }
    }
}

fn blobs(size: [usize; 3], seed: u64) -> Volume<f64> {
    // Walls of 1 with random gaps around cavities of 0, plus values 2.
    let r = values(size.iter().product(), seed, 100);
    let v: Vec<f64> = coords(size)
        .zip(r)
        .map(|(p, r)| {
            let wall = p[0] % 4 == 0 || p[1] % 3 == 0 || p[2] % 4 == 0;
            if wall {
                if r < 92.0 {
                    1.0
                } else {
                    0.0
                }
            } else if r < 10.0 {
                2.0
            } else {
                0.0
            }
        })
        .collect();
    Volume::from_vec(size, v, geom([1.0, 0.5, 2.0])).unwrap()
}

#[test]
fn binary_fill_matches_grey_reconstruction() {
    // For foreground 1 (the largest value) and background 0 the holes of the binary
    // fill are exactly the voxels the grey fill of the 0/1 mask raises to 1.
    let mut filled = 0;
    for seed in 0..6 {
        let v = blobs([13, 12, 9], seed);
        let mask = v.map(|x| if x == 1.0 { 1.0 } else { 0.0 });
        let grey = naive_grey_fill(&mask);
        let got = fill_holes(&v, &FillHolesParams::default(), &Executor::default()).unwrap();
        let want: Vec<f64> = f64s(&v)
            .iter()
            .zip(&grey)
            .zip(f64s(&mask))
            .map(|((&x, &g), m)| if g == 1.0 && m == 0.0 { 1.0 } else { x })
            .collect();
        assert_eq!(f64s(&got), want, "seed {seed}");
        filled += want.iter().zip(f64s(&v)).filter(|(a, b)| *a != b).count();
    }
    assert!(filled > 0, "the test volumes have holes");
}

#[test]
fn grey_fill_matches_reconstruction() {
    let p = FillHolesParams {
        grey: true,
        ..FillHolesParams::default()
    };
    for (size, seed) in [
        ([11, 10, 8], 1),
        ([1, 9, 7], 2),
        ([6, 1, 5], 3),
        ([2, 2, 2], 4),
    ] {
        let v = Volume::from_vec(
            size,
            values(size.iter().product(), seed, 50),
            Geometry::default(),
        )
        .unwrap();
        let want = naive_grey_fill(&v);
        let got = fill_holes(&v, &p, &Executor::default()).unwrap();
        assert_eq!(f64s(&got), want, "{size:?}");
        macro_rules! typed {
            ($($t:ty),*) => {$(
                let vt: Volume<$t> = v.map(<$t>::from_f64);
                let gt = fill_holes(&vt, &p, &Executor::new(2).unwrap()).unwrap();
                assert_eq!(f64s(&gt), want, "{} {size:?}", stringify!($t));
            )*};
        }
        typed!(u8, i8, u16, i16, u32, i32, f32);
    }
}

#[test]
fn binary_fill_types_threads_foreground() {
    let v = blobs([10, 9, 8], 7);
    let want = fill_holes(&v, &FillHolesParams::default(), &Executor::new(1).unwrap()).unwrap();
    for threads in [2, 4] {
        let got = fill_holes(
            &v,
            &FillHolesParams::default(),
            &Executor::new(threads).unwrap(),
        );
        assert_eq!(got.unwrap(), want);
    }
    // Foreground 2: swap the roles of the values 1 and 2.
    let swapped = v.map(|x| {
        if x == 1.0 {
            2.0
        } else if x == 2.0 {
            1.0
        } else {
            x
        }
    });
    let p2 = FillHolesParams {
        foreground: 2.0,
        ..FillHolesParams::default()
    };
    macro_rules! typed {
        ($($t:ty),*) => {$(
            let vt: Volume<$t> = swapped.map(<$t>::from_f64);
            let got = fill_holes(&vt, &p2, &Executor::default()).unwrap();
            let back: Vec<f64> = f64s(&got)
                .iter()
                .map(|&x| if x == 1.0 { 2.0 } else if x == 2.0 { 1.0 } else { x })
                .collect();
            assert_eq!(back, f64s(&want), "{}", stringify!($t));
        )*};
    }
    typed!(u8, i8, u16, i16, u32, i32, f32, f64);
    // A volume one voxel thick: everything touches the border.
    let thin = Volume::from_vec([5, 5, 1], vec![0u8; 25], Geometry::default()).unwrap();
    assert_eq!(
        fill_holes(&thin, &FillHolesParams::default(), &Executor::default()).unwrap(),
        thin
    );
    for bad in [f64::NAN, 0.5, 300.0, f64::INFINITY] {
        let p = FillHolesParams {
            foreground: bad,
            ..FillHolesParams::default()
        };
        assert!(matches!(
            fill_holes(&thin, &p, &Executor::default()),
            Err(FilterError::Parameter { .. })
        ));
    }
}

// ---------------------------------------------------------------- top-hats

fn in_ball(r: [usize; 3], d: [i64; 3]) -> bool {
    (0..3)
        .map(|a| (d[a] as f64 / (r[a] as f64 + 0.5)).powi(2))
        .sum::<f64>()
        <= 1.0
}

/// min/max over the element, out-of-image offsets ignored, on an f64 array.
fn naive_pass(f: &[f64], s: [usize; 3], kernel: Kernel, r: [usize; 3], max: bool) -> Vec<f64> {
    let ri = r.map(|x| x as i64);
    coords(s)
        .map(|p| {
            let mut acc = if max {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            };
            for dz in -ri[2]..=ri[2] {
                for dy in -ri[1]..=ri[1] {
                    for dx in -ri[0]..=ri[0] {
                        let d = [dx, dy, dz];
                        let q = [p[0] + dx, p[1] + dy, p[2] + dz];
                        if (kernel == Kernel::Ball && !in_ball(r, d))
                            || (0..3).any(|a| q[a] < 0 || q[a] >= s[a] as i64)
                        {
                            continue;
                        }
                        let x = f[(q[2] as usize * s[1] + q[1] as usize) * s[0] + q[0] as usize];
                        acc = if max { acc.max(x) } else { acc.min(x) };
                    }
                }
            }
            acc
        })
        .collect()
}

/// Top-hat from the definition; `safe`: pad by r with ±max first, crop after.
fn naive_tophat(
    v: &Volume<f64>,
    white: bool,
    kernel: Kernel,
    r: [usize; 3],
    safe: bool,
    pad: f64,
) -> Vec<f64> {
    let s = v.size();
    let f = f64s(v);
    let (ps, pf) = if safe {
        let ps = [0, 1, 2].map(|a| s[a] + 2 * r[a]);
        let fill = if white { pad } else { -pad };
        let mut pf = vec![fill; ps.iter().product()];
        for p in coords(s) {
            let q = [0, 1, 2].map(|a| p[a] as usize + r[a]);
            pf[(q[2] * ps[1] + q[1]) * ps[0] + q[0]] =
                f[(p[2] as usize * s[1] + p[1] as usize) * s[0] + p[0] as usize];
        }
        (ps, pf)
    } else {
        (s, f.clone())
    };
    let first = naive_pass(&pf, ps, kernel, r, !white);
    let second = naive_pass(&first, ps, kernel, r, white);
    coords(s)
        .map(|p| {
            let o = if safe { r } else { [0; 3] };
            let q = [0, 1, 2].map(|a| p[a] as usize + o[a]);
            let m = second[(q[2] * ps[1] + q[1]) * ps[0] + q[0]];
            let x = f[(p[2] as usize * s[1] + p[1] as usize) * s[0] + p[0] as usize];
            if white {
                x - m
            } else {
                m - x
            }
        })
        .collect()
}

#[test]
fn tophat_matches_definition() {
    let v = Volume::from_vec([9, 8, 7], values(504, 12, 60), geom([1.0; 3])).unwrap();
    for kernel in [Kernel::Ball, Kernel::Box] {
        for r in [[1, 1, 1], [2, 1, 0], [0, 2, 3]] {
            for white in [true, false] {
                for safe in [true, false] {
                    let p = TophatParams {
                        safe_border: safe,
                        ..TophatParams::new(r, kernel)
                    };
                    let got = tophat(&v, white, &p, &Executor::default()).unwrap();
                    let want = naive_tophat(&v, white, kernel, r, safe, f64::MAX);
                    assert_eq!(
                        f64s(&got),
                        want,
                        "{kernel:?} {r:?} white {white} safe {safe}"
                    );
                    assert!(want.iter().all(|&x| x >= 0.0));
                }
            }
        }
    }
}

#[test]
fn safe_border_differs_only_near_the_border() {
    let v = Volume::from_vec([12, 10, 9], values(1080, 13, 60), Geometry::default()).unwrap();
    let p = TophatParams::new([2, 2, 2], Kernel::Ball);
    let unsafe_p = TophatParams {
        safe_border: false,
        ..p
    };
    let a = tophat(&v, true, &p, &Executor::default()).unwrap();
    let b = tophat(&v, true, &unsafe_p, &Executor::default()).unwrap();
    let mut differs = false;
    for (q, (x, y)) in coords(v.size()).zip(a.as_slice().iter().zip(b.as_slice())) {
        let inner = (0..3).all(|k| q[k] >= 2 && q[k] < v.size()[k] as i64 - 2);
        if inner {
            assert_eq!(x, y, "{q:?}");
        }
        differs |= x != y;
    }
    assert!(differs, "the safe border changes some border voxels");
}

#[test]
fn tophat_types_threads_plans() {
    let base = Volume::from_vec([10, 9, 8], values(720, 14, 100), Geometry::default()).unwrap();
    let p = TophatParams::new([2, 1, 1], Kernel::Ball);
    macro_rules! typed {
        ($($t:ty),*) => {$(
            let v: Volume<$t> = base.map(<$t>::from_f64);
            for white in [true, false] {
                let want = naive_tophat(&base, white, Kernel::Ball, [2, 1, 1], true, <$t as Pixel>::MAX);
                let reference = tophat(&v, white, &p, &Executor::new(1).unwrap()).unwrap();
                assert_eq!(f64s(&reference), want, "{}", stringify!($t));
                for threads in [2, 4] {
                    let exec = Executor::new(threads).unwrap();
                    for plan in plans(v.size(), [2, 1, 1]) {
                        let got = tophat_with_plan(&v, white, &p, &exec, &plan).unwrap();
                        assert_eq!(got, reference, "{plan:?}");
                    }
                }
            }
        )*};
    }
    typed!(u8, i8, u16, i16, u32, i32, f32, f64);
    let thin = Volume::from_vec([1, 1, 6], vec![3i16, 9, 3, 3, 1, 3], Geometry::default()).unwrap();
    let w = tophat(
        &thin,
        true,
        &TophatParams::new([1, 1, 1], Kernel::Box),
        &Executor::default(),
    );
    assert_eq!(w.unwrap().as_slice(), &[0, 6, 0, 0, 0, 0]);
    let too_big = TophatParams::new([1 << 20, 1, 1], Kernel::Ball);
    assert!(matches!(
        tophat(&thin, true, &too_big, &Executor::default()),
        Err(FilterError::Parameter { .. })
    ));
}
