//! GPU Otsu (histogram on the device) against medvox_segment's Otsu: the same
//! threshold and the identical mask, for several pixel types, NaN, one and
//! several z-slabs, and the same errors.

mod common;

use std::sync::OnceLock;

use medvox_core::{AnyVolume, Executor, Geometry, Volume};
use medvox_gpu::ops::otsu::otsu;
use medvox_gpu::GpuContext;
use medvox_segment::{auto_threshold::auto_threshold_any, AutoThresholdParams, Method};

fn ctx() -> &'static GpuContext {
    static C: OnceLock<GpuContext> = OnceLock::new();
    C.get_or_init(|| GpuContext::new().expect("adapter (install mesa-vulkan-drivers)"))
}

/// Bimodal pseudo-random values in about [lo, lo + span].
fn bimodal(size: [usize; 3], lo: f64, span: f64) -> Vec<f64> {
    let mut rng = common::xorshift(0x9e37_79b9_7f4a_7c15u64);
    let n: usize = size.iter().product();
    (0..n)
        .map(|i| {
            let s = rng();
            let r = (s % 10_000) as f64 / 10_000.0;
            let bright = (i % size[0]) * 3 > size[0];
            lo + span * if bright { 0.55 + 0.45 * r } else { 0.4 * r }
        })
        .collect()
}

fn vol<T: medvox_core::Pixel>(size: [usize; 3], v: &[f64]) -> AnyVolume
where
    AnyVolume: From<Volume<T>>,
{
    let data = v.iter().map(|&x| T::from_f64(x)).collect();
    AnyVolume::from(Volume::<T>::from_vec(size, data, Geometry::default()).unwrap())
}

fn check(ctx: &GpuContext, v: &AnyVolume, bins: usize) {
    let p = AutoThresholdParams {
        method: Method::Otsu,
        bins,
    };
    let cpu = auto_threshold_any(v, None, &p, &Executor::default()).unwrap();
    let gpu = otsu(ctx, v, bins).unwrap();
    assert_eq!(
        gpu.thresholds,
        cpu.thresholds,
        "{:?} bins {bins}",
        v.pixel_type()
    );
    assert!(
        gpu.mask == cpu.mask,
        "{:?} bins {bins}: masks differ",
        v.pixel_type()
    );
}

#[test]
fn same_threshold_and_mask_as_cpu() {
    let size = [37, 29, 13];
    let x = bimodal(size, -1000.0, 3000.0);
    for bins in [2, 64, 256, 5000] {
        check(ctx(), &vol::<i16>(size, &x), bins);
        check(ctx(), &vol::<f32>(size, &x), bins);
    }
    let y = bimodal(size, 0.0, 255.0);
    check(ctx(), &vol::<u8>(size, &y), 256);
    check(ctx(), &vol::<u16>(size, &y), 128);
    let z = bimodal(size, -100.0, 200.0);
    check(
        ctx(),
        &vol::<i8>(size, &z.iter().map(|v| v / 2.0).collect::<Vec<_>>()),
        100,
    );
    // Tiny ranges: bounds that are not f32 values.
    let t: Vec<f64> = x.iter().map(|v| 1.0 + v * 1e-7).collect();
    check(ctx(), &vol::<f32>(size, &t), 256);
}

#[test]
fn nan_voxels_are_not_counted() {
    let size = [16, 16, 4];
    let mut x = bimodal(size, 0.0, 1.0);
    for i in (0..x.len()).step_by(7) {
        x[i] = f64::NAN;
    }
    check(ctx(), &vol::<f32>(size, &x), 256);
}

#[test]
fn several_slabs_match() {
    let size = [31, 23, 17];
    let x = bimodal(size, -500.0, 2500.0);
    // 3 planes per slab (6 slabs).
    let small = GpuContext::new().unwrap().with_max_binding(31 * 23 * 4 * 3);
    check(&small, &vol::<i16>(size, &x), 256);
    check(&small, &vol::<f32>(size, &x), 300);
}

#[test]
fn errors_match_cpu() {
    let size = [4, 4, 2];
    let c = vol::<f32>(size, &[5.0; 32]);
    let p = AutoThresholdParams {
        method: Method::Otsu,
        bins: 256,
    };
    assert!(auto_threshold_any(&c, None, &p, &Executor::default()).is_err());
    let e = otsu(ctx(), &c, 256).unwrap_err().to_string();
    assert!(e.contains("histogram is empty"), "{e}");
    let nan = vol::<f32>(size, &[f64::NAN; 32]);
    let e = otsu(ctx(), &nan, 256).unwrap_err().to_string();
    assert!(e.contains("no voxel"), "{e}");
    assert!(otsu(ctx(), &vol::<i16>(size, &[1.0; 32]), 1).is_err());
    let f64v = AnyVolume::from(Volume::<f64>::zeros(size, Geometry::default()).unwrap());
    assert!(otsu(ctx(), &f64v, 256).is_err());
}
