//! Every GPU op against the CPU reference on the same input: identical for integer,
//! morphology, median and clamp/cast results; float results within 1e-5 of the
//! reference relative to the volume's largest magnitude. Runs on any adapter
//! (lavapipe in CI); a missing adapter fails the tests with the install hint.

mod common;

use std::sync::OnceLock;

use medvox_core::{AnyVolume, Executor, Geometry, PixelType, Volume};
use medvox_filters::*;
use medvox_gpu::{ComputeBackend, CpuBackend, GpuBackend, GpuContext, GpuVolume};

fn gpu() -> &'static GpuBackend {
    static G: OnceLock<GpuBackend> = OnceLock::new();
    G.get_or_init(|| {
        GpuBackend::new().unwrap_or_else(|e| {
            panic!(
                "GPU tests need an adapter: {e}. On Linux install mesa-vulkan-drivers (lavapipe)."
            )
        })
    })
}

/// A backend whose tiles hold at most `bytes` per binding.
fn tiled(bytes: u64) -> GpuBackend {
    let ctx = GpuContext::new().expect("adapter (install mesa-vulkan-drivers)");
    GpuBackend::from_context(ctx.with_max_binding(bytes))
}

fn geom() -> Geometry {
    Geometry {
        spacing: [0.7, 1.3, 2.5],
        ..Geometry::default()
    }
}

/// Deterministic pseudo-random i16 volume in about [-1000, 2000] with smooth structure.
fn noisy(size: [usize; 3]) -> Volume<i16> {
    let mut rng = common::xorshift(0x2545_f491_4f6c_dd1du64);
    let n: usize = size.iter().product();
    let v = (0..n)
        .map(|i| {
            let s = rng();
            let x = i % size[0];
            let base = if x * 2 < size[0] { 40 } else { 900 };
            (base + (s % 600) as i64 - 300) as i16
        })
        .collect();
    Volume::from_vec(size, v, geom()).unwrap()
}

const SHAPES: [[usize; 3]; 5] = [[1, 1, 1], [17, 13, 5], [33, 1, 9], [1, 20, 7], [40, 37, 11]];

fn cpu(f: &Filter, v: &AnyVolume) -> AnyVolume {
    CpuBackend {
        exec: Executor::default(),
    }
    .apply(f, v)
    .unwrap()
}

fn values(v: &AnyVolume) -> Vec<f64> {
    medvox_core::with_volume!(v, x => x.as_slice().iter().map(|p| medvox_core::Pixel::to_f64(*p)).collect())
}

/// Asserts GPU == CPU (exact when `tol` is 0, else relative to the largest magnitude).
fn same(name: &str, g: &AnyVolume, c: &AnyVolume, tol: f64) {
    assert_eq!(g.pixel_type(), c.pixel_type(), "{name}: pixel type");
    assert_eq!(g.size(), c.size(), "{name}: size");
    let (a, b) = (values(g), values(c));
    let m = b.iter().fold(1e-30f64, |m, x| m.max(x.abs()));
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        let ok = if tol == 0.0 {
            x == y || (x.is_nan() && y.is_nan())
        } else {
            (x - y).abs() <= tol * m.max(y.abs())
        };
        assert!(
            ok,
            "{name}: voxel {i}: gpu {x} cpu {y} (size {:?})",
            c.size()
        );
    }
}

fn check(f: &Filter, v: &AnyVolume, tol: f64) {
    let g = gpu().apply(f, v).unwrap();
    same(f.name(), &g, &cpu(f, v), tol);
}

fn all_shapes(f: &Filter, tol: f64) {
    for s in SHAPES {
        check(f, &noisy(s).into(), tol);
        let u8v: AnyVolume = noisy(s).map(|x| (x.rem_euclid(7) == 0) as u8).into();
        check(f, &u8v, tol);
    }
}

const FLOAT: f64 = 1e-5;

#[test]
fn pointwise_ops() {
    all_shapes(&Filter::Window(WindowParams::new(40.0, 400.0)), FLOAT);
    all_shapes(
        &Filter::Window(WindowParams {
            center: 500.0,
            width: 333.3,
            output_min: -1.0,
            output_max: 255.0,
        }),
        FLOAT,
    );
    all_shapes(
        &Filter::Rescale(RescaleParams {
            min: -1.0,
            max: 1.0,
        }),
        FLOAT,
    );
    all_shapes(
        &Filter::Clamp(ClampParams {
            lower: Some(-99.5),
            upper: Some(700.4),
        }),
        0.0,
    );
    all_shapes(
        &Filter::Clamp(ClampParams {
            lower: None,
            upper: Some(0.5),
        }),
        0.0,
    );
    for to in [
        PixelType::U8,
        PixelType::I8,
        PixelType::U16,
        PixelType::I16,
        PixelType::I32,
        PixelType::F32,
    ] {
        all_shapes(&Filter::Cast(CastParams { pixel_type: to }), 0.0);
    }
}

#[test]
fn cast_rounds_half_away_from_zero_and_saturates() {
    let v: Vec<f32> = vec![
        -0.5, 0.5, 1.5, 2.5, -1.5, -2.5, 0.49999997, 254.5, 255.5, 300.0, -3.0, 1e9, -1e9,
        8388609.0, -32768.6, 32767.4,
    ];
    let vol: AnyVolume = Volume::from_vec([v.len(), 1, 1], v, geom()).unwrap().into();
    for to in [
        PixelType::U8,
        PixelType::I8,
        PixelType::I16,
        PixelType::U16,
        PixelType::I32,
        PixelType::U32,
    ] {
        check(&Filter::Cast(CastParams { pixel_type: to }), &vol, 0.0);
    }
}

#[test]
fn gaussian_exact() {
    all_shapes(&Filter::Gaussian(GaussianParams::voxels(1.0)), FLOAT);
    all_shapes(&Filter::Gaussian(GaussianParams::mm(1.7)), FLOAT);
    let p = GaussianParams {
        sigma: Sigma::Voxels([2.0, 0.0, 0.6]),
        truncate: 3.0,
    };
    all_shapes(&Filter::Gaussian(p), FLOAT);
    let f: AnyVolume = noisy([20, 9, 6]).map(|x| x as f32 * 0.37 - 11.0).into();
    check(&Filter::Gaussian(GaussianParams::voxels(1.3)), &f, FLOAT);
}

#[test]
fn mean_box() {
    all_shapes(&Filter::Mean(MeanParams::new([1, 1, 1])), FLOAT);
    all_shapes(&Filter::Mean(MeanParams::new([2, 0, 3])), FLOAT);
    all_shapes(&Filter::Mean(MeanParams::new([0, 0, 0])), FLOAT);
}

#[test]
fn median_r1_r2() {
    all_shapes(&Filter::Median(MedianParams::new([1, 1, 1])), 0.0);
    all_shapes(&Filter::Median(MedianParams::new([2, 2, 2])), 0.0);
    all_shapes(&Filter::Median(MedianParams::new([2, 1, 0])), 0.0);
}

#[test]
fn morphology_grey_and_binary() {
    for kernel in [Kernel::Box, Kernel::Ball] {
        for r in [[1, 1, 1], [2, 1, 0], [2, 2, 2]] {
            let p = MorphologyParams::new(r, kernel);
            let b = p.binary(1.0);
            for f in [
                Filter::Erode(p),
                Filter::Dilate(p),
                Filter::Open(p),
                Filter::Close(p),
                Filter::Erode(b),
                Filter::Dilate(b),
                Filter::Open(b),
                Filter::Close(b),
            ] {
                all_shapes(&f, 0.0);
            }
        }
    }
}

#[test]
fn gradients() {
    all_shapes(
        &Filter::GradientMagnitude(GradientMagnitudeParams::default()),
        FLOAT,
    );
    all_shapes(
        &Filter::GradientMagnitude(GradientMagnitudeParams { use_spacing: false }),
        FLOAT,
    );
    all_shapes(&Filter::Sobel, FLOAT);
}

#[test]
fn multi_tile_runs_match() {
    // 40×37 planes of 4 bytes: 5920 bytes per plane; 9 planes per binding.
    let t = tiled(9 * 40 * 37 * 4);
    let v: AnyVolume = noisy([40, 37, 23]).into();
    for (f, tol) in [
        (Filter::Gaussian(GaussianParams::voxels([0.8; 3][0])), FLOAT),
        (Filter::Median(MedianParams::new([1, 1, 1])), 0.0),
        (
            Filter::Close(MorphologyParams::new([1, 1, 2], Kernel::Ball)),
            0.0,
        ),
        (Filter::Rescale(RescaleParams::default()), FLOAT),
        (Filter::Sobel, FLOAT),
        (Filter::Window(WindowParams::new(40.0, 400.0)), FLOAT),
    ] {
        let g = t.apply(&f, &v).unwrap();
        same(f.name(), &g, &cpu(&f, &v), tol);
    }
    let timing = t.time(&Filter::Sobel, &v, 1).unwrap();
    assert!(timing.tiles >= 3, "{} tiles", timing.tiles);
    // A halo that leaves no room in a slab is a clear error.
    let e = t
        .apply(&Filter::Gaussian(GaussianParams::voxels(3.0)), &v)
        .unwrap_err();
    assert!(e.to_string().contains("binding limit"), "{e}");
}

#[test]
fn chain_stays_on_device() {
    let v: AnyVolume = noisy([24, 19, 7]).into();
    let ctx = gpu().context();
    let g = GpuVolume::upload(ctx, &v).unwrap();
    let f1 = Filter::Gaussian(GaussianParams::voxels(1.0));
    let f2 = Filter::Sobel;
    let out = gpu().run(&f2, &gpu().run(&f1, &g).unwrap()).unwrap();
    let host = out.download(ctx).unwrap();
    same("gaussian+sobel", &host, &cpu(&f2, &cpu(&f1, &v)), 1e-4);
    let t = gpu().time(&f1, &v, 2).unwrap();
    assert!(
        t.kernel_seconds > 0.0 && t.end_to_end_seconds > 0.0,
        "{t:?}"
    );
    assert_eq!((t.tiles, t.bytes_per_voxel), (1, 24));
    // Upload/download round trip keeps the type and the values.
    same("roundtrip", &g.download(ctx).unwrap(), &v, 0.0);
}

#[test]
fn unsupported_inputs_are_clear_errors() {
    let v: AnyVolume = noisy([5, 4, 3]).into();
    let e = gpu()
        .apply(&Filter::Median(MedianParams::new([3, 3, 3])), &v)
        .unwrap_err();
    assert!(e.to_string().contains("median"), "{e}");
    let f64v: AnyVolume = noisy([5, 4, 3]).cast::<f64>().into();
    let e = gpu().apply(&Filter::Sobel, &f64v).unwrap_err();
    assert!(e.to_string().contains("F64"), "{e}");
    let big: AnyVolume = Volume::from_vec([2, 1, 1], vec![0u32, 1 << 25], geom())
        .unwrap()
        .into();
    assert!(gpu().apply(&Filter::Sobel, &big).is_err());
    let e = gpu()
        .apply(&Filter::Window(WindowParams::new(0.0, -1.0)), &v)
        .unwrap_err();
    assert!(e.to_string().contains("width"), "{e}");
}

#[test]
fn info_reports_limits() {
    let i = gpu().context().info();
    assert!(!i.name.is_empty());
    assert!(i.max_storage_buffer_binding_size >= 1 << 20);
}
