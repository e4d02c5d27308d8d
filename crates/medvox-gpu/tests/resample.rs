//! GPU resampling against medvox_filters' resample: nearest identical, linear
//! within 1e-5 of the value range; spacing, size, extent-preserving and oblique
//! grids; one and several output z-slabs.

mod common;

use std::sync::OnceLock;

use medvox_core::{AnyVolume, Executor, Geometry, Volume};
use medvox_filters::resample::{resample_float, resample_keep_type, Grid};
use medvox_filters::{Filter, GridSpec, Interpolation, ResampleParams};
use medvox_gpu::ops::resample::Resampler;
use medvox_gpu::{ComputeBackend, GpuBackend, GpuContext};

fn ctx() -> &'static GpuContext {
    static C: OnceLock<GpuContext> = OnceLock::new();
    C.get_or_init(|| GpuContext::new().expect("adapter (install mesa-vulkan-drivers)"))
}

fn input(size: [usize; 3]) -> Volume<i16> {
    let mut rng = common::xorshift(0x2545_f491_4f6c_dd1du64);
    let n: usize = size.iter().product();
    let v = (0..n)
        .map(|i| {
            let s = rng();
            ((i % 97) as i64 * 20 + (s % 400) as i64 - 1000) as i16
        })
        .collect();
    let g = Geometry::new(
        [0.7, 1.3, 2.5],
        [-3.0, 4.5, 10.0],
        Geometry::default().direction,
    )
    .unwrap();
    Volume::from_vec(size, v, g).unwrap()
}

/// Rotation by `a` about z then `b` about x.
fn rotation(a: f64, b: f64) -> [[f64; 3]; 3] {
    let (ca, sa, cb, sb) = (a.cos(), a.sin(), b.cos(), b.sin());
    let rz = [[ca, -sa, 0.0], [sa, ca, 0.0], [0.0, 0.0, 1.0]];
    let rx = [[1.0, 0.0, 0.0], [0.0, cb, -sb], [0.0, sb, cb]];
    medvox_core::geometry::mat_mul(&rx, &rz)
}

fn grids(v: &Volume<i16>) -> Vec<(&'static str, Grid)> {
    let (s, g) = (v.size(), v.geometry());
    let mut out = vec![
        (
            "iso 1mm",
            Grid::with_spacing(s, g, [1.0, 1.0, 1.0], false).unwrap(),
        ),
        (
            "2x up (ties)",
            Grid::with_spacing(s, g, [0.35, 0.65, 1.25], false).unwrap(),
        ),
        ("size", Grid::with_size(s, g, [40, 17, 9], false).unwrap()),
        ("extent", Grid::with_size(s, g, [11, 30, 23], true).unwrap()),
        (
            "extent spacing",
            Grid::with_spacing(s, g, [0.9, 0.8, 1.1], true).unwrap(),
        ),
    ];
    let oblique = Geometry::new([0.9, 1.1, 1.7], [-1.0, 6.0, 12.0], rotation(0.5, 0.08)).unwrap();
    out.push((
        "oblique",
        Grid {
            size: [31, 27, 14],
            geometry: oblique,
        },
    ));
    // The input oblique, the output axis-aligned and overhanging (default values).
    out.push((
        "overhang",
        Grid {
            size: [40, 40, 16],
            geometry: Geometry::new([1.0, 1.0, 1.6], [-12.0, -6.0, 5.0], g.direction).unwrap(),
        },
    ));
    out
}

fn check(ctx: &GpuContext, v: &Volume<i16>, multi: bool) {
    let exec = Executor::default();
    let src: Vec<f32> = v.as_slice().iter().map(|&x| f32::from(x)).collect();
    let ty = medvox_core::PixelType::I16;
    for (name, grid) in grids(v) {
        let plan = exec.plan(grid.size, [0; 3]);
        let r = Resampler::new(
            v.size(),
            v.geometry(),
            ty,
            &grid,
            Interpolation::Nearest,
            -7.0,
            false,
        )
        .unwrap();
        let (g, slabs) = r.run(ctx, &src).unwrap();
        assert_eq!(slabs > 1, multi, "{name}: {slabs} slabs");
        let c = resample_keep_type(v, &grid, Interpolation::Nearest, -7.0, &exec, &plan).unwrap();
        let AnyVolume::I16(g) = g else {
            panic!("{name}: nearest keeps i16")
        };
        let bad = g
            .as_slice()
            .iter()
            .zip(c.as_slice())
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(bad, 0, "{name}: nearest differs at {bad} voxels");
        assert_eq!(g.geometry(), c.geometry(), "{name}");

        let r = Resampler::new(
            v.size(),
            v.geometry(),
            ty,
            &grid,
            Interpolation::Linear,
            3.5,
            false,
        )
        .unwrap();
        let (g, _) = r.run(ctx, &src).unwrap();
        let c = resample_float(v, &grid, Interpolation::Linear, 3.5, &exec, &plan).unwrap();
        let AnyVolume::F32(g) = g else {
            panic!("{name}: linear gives f32")
        };
        let range = 3000.0;
        let worst = g
            .as_slice()
            .iter()
            .zip(c.as_slice())
            .map(|(a, b)| ((a - b).abs() / range) as f64)
            .fold(0.0, f64::max);
        assert!(
            worst <= 1e-5,
            "{name}: linear differs by {worst:e} of the range"
        );
    }
}

#[test]
fn one_slab_matches_cpu() {
    check(ctx(), &input([23, 19, 11]), false);
}

#[test]
fn several_slabs_match_cpu() {
    // 3000 voxels per binding: the outputs above need several z-slabs.
    let small = GpuContext::new().unwrap().with_max_binding(12_000);
    check(&small, &input([23, 19, 11]), true);
}

#[test]
fn backend_routes_the_filter() {
    let v = AnyVolume::from(input([12, 9, 7]));
    let mut p = ResampleParams::new(GridSpec::Spacing([0.5, 0.5, 0.5]));
    p.keep_type = true;
    let f = Filter::Resample(p.clone());
    let gpu = GpuBackend::new().unwrap();
    let g = gpu.apply(&f, &v).unwrap();
    let c = f.apply(&v, &Executor::default()).unwrap();
    assert_eq!(g.pixel_type(), c.pixel_type());
    let (AnyVolume::I16(g), AnyVolume::I16(c)) = (&g, &c) else {
        panic!("keep_type")
    };
    let worst = g
        .as_slice()
        .iter()
        .zip(c.as_slice())
        .map(|(a, b)| (a - b).abs())
        .max();
    assert!(worst <= Some(1), "keep_type rounding differs by {worst:?}");
    p.interpolation = Interpolation::BSpline;
    let e = gpu.apply(&Filter::Resample(p), &v).unwrap_err().to_string();
    assert!(e.contains("nearest and linear"), "{e}");
}
