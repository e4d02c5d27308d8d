//! GPU histogram equalisation against medvox_filters' `equalize` (the CPU op,
//! itself checked against skimage): identical f32 output bits for every integer
//! pixel type, one and several z-slabs, constant volumes; float input, masks and
//! bad bins give clear errors; `auto` falls back to the CPU for floats.

mod common;

use std::sync::OnceLock;

use medvox_core::{AnyVolume, Executor, Geometry, PixelType, Volume};
use medvox_filters::{EqualizeParams, Filter};
use medvox_gpu::ops::equalize::equalize;
use medvox_gpu::{select, ComputeBackend, Device, GpuBackend, GpuContext};

fn ctx() -> &'static GpuContext {
    static C: OnceLock<GpuContext> = OnceLock::new();
    C.get_or_init(|| GpuContext::new().expect("adapter (install mesa-vulkan-drivers)"))
}

/// Skewed pseudo-random values in [lo, lo + span] (so the cdf is not linear).
fn values(n: usize, lo: f64, span: f64) -> Vec<f64> {
    let mut rng = common::xorshift(0x2545_f491_4f6c_dd1du64);
    (0..n)
        .map(|_| {
            let s = rng();
            let r = (s % 100_000) as f64 / 100_000.0;
            (lo + span * r * r).round()
        })
        .collect()
}

fn vol<T: medvox_core::Pixel>(size: [usize; 3], lo: f64, span: f64) -> AnyVolume
where
    AnyVolume: From<Volume<T>>,
{
    let n = size.iter().product();
    let data = values(n, lo, span).into_iter().map(T::from_f64).collect();
    let g = Geometry {
        spacing: [0.8, 1.0, 2.5],
        ..Geometry::default()
    };
    AnyVolume::from(Volume::<T>::from_vec(size, data, g).unwrap())
}

fn cpu(v: &AnyVolume, p: &EqualizeParams) -> AnyVolume {
    Filter::Equalize(p.clone())
        .apply(v, &Executor::default())
        .unwrap()
}

/// GPU and CPU outputs are the same f32 bits, size and geometry.
fn check(ctx: &GpuContext, v: &AnyVolume) {
    let p = EqualizeParams::default();
    let g = equalize(ctx, v, &p).unwrap();
    let c = cpu(v, &p);
    let (AnyVolume::F32(g), AnyVolume::F32(c)) = (&g, &c) else {
        panic!("f32 output expected, got {:?}", g.pixel_type());
    };
    assert_eq!(g.size(), c.size());
    assert_eq!(g.geometry(), c.geometry());
    let bits = |x: &Volume<f32>| x.as_slice().iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    assert!(bits(g) == bits(c), "{:?}: outputs differ", v.pixel_type());
}

#[test]
fn identical_to_cpu_for_integer_types() {
    let s = [37, 29, 11];
    for v in [
        vol::<u8>(s, 0.0, 255.0),
        vol::<u8>(s, 40.0, 30.0),
        vol::<i8>(s, -128.0, 255.0),
        vol::<u16>(s, 0.0, 65_535.0),
        vol::<u16>(s, 1000.0, 3000.0),
        vol::<i16>(s, -1024.0, 4000.0),
        vol::<i16>(s, -32_768.0, 65_535.0),
        vol::<i32>(s, -200_000.0, 900_000.0),
        vol::<i32>(s, 16_777_000.0, 216.0),
        vol::<u32>(s, 0.0, 70_000.0),
        vol::<i16>([1, 1, 1], 7.0, 0.0),
        vol::<i16>([5, 1, 3], -3.0, 0.0),
    ] {
        check(ctx(), &v);
    }
}

#[test]
fn several_z_slabs_match() {
    // Planes of 256 voxels (1 KiB): 4 KiB bindings give 4-plane slabs (5 slabs),
    // 16 KiB give 16 planes (2 slabs); the value ranges fit those histograms.
    for (binding, span) in [(4096, 900.0), (16_384, 3000.0), (3 * 1024, 500.0)] {
        let small = GpuContext::new().unwrap().with_max_binding(binding);
        check(&small, &vol::<i16>([16, 16, 20], -500.0, span));
        check(&small, &vol::<u8>([16, 16, 20], 0.0, 255.0));
    }
}

#[test]
fn empty_volume_gives_empty_f32() {
    let v =
        AnyVolume::from(Volume::<u8>::from_vec([0, 4, 4], vec![], Geometry::default()).unwrap());
    let g = equalize(ctx(), &v, &EqualizeParams::default()).unwrap();
    assert_eq!(g.pixel_type(), PixelType::F32);
    assert_eq!(g.size(), [0, 4, 4]);
}

#[test]
fn float_mask_and_bins_are_clear_errors() {
    let f = vol::<f32>([8, 8, 2], 0.0, 10.0);
    let e = equalize(ctx(), &f, &EqualizeParams::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("only integer pixel types"), "{e}");
    let i = vol::<i16>([8, 8, 2], 0.0, 10.0);
    let masked = EqualizeParams {
        bins: 256,
        mask: Some("mask.nii".into()),
    };
    let e = equalize(ctx(), &i, &masked).unwrap_err().to_string();
    assert!(e.contains("mask"), "{e}");
    let e = equalize(
        ctx(),
        &i,
        &EqualizeParams {
            bins: 0,
            mask: None,
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("bins"), "{e}");
}

#[test]
fn backend_routes_integers_and_auto_falls_back_for_floats() {
    let exec = Executor::default();
    let f = Filter::Equalize(EqualizeParams::default());
    let gpu = GpuBackend::from_context(GpuContext::new().unwrap());
    assert!(gpu.supports(&f, PixelType::I16));
    assert!(!gpu.supports(&f, PixelType::F32));
    let i = vol::<i16>([20, 12, 6], -100.0, 700.0);
    assert!(gpu.apply(&f, &i).unwrap() == cpu(&i, &EqualizeParams::default()));
    let fl = vol::<f32>([8, 8, 2], 0.0, 10.0);
    let (b, note) = select(Device::Auto, &f, &fl, &exec).unwrap();
    assert_eq!(b.name(), "cpu", "{note}");
    assert!(note.contains("only integer"), "{note}");
    let e = select(Device::Gpu, &f, &fl, &exec)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("only integer pixel types"), "{e}");
    let (b, _) = select(Device::Auto, &f, &i, &exec).unwrap();
    assert_eq!(b.name(), "gpu");
}
