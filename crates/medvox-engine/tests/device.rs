//! The (op, device) conformance suite: every op with a GPU kernel
//! (`medvox_gpu::backend::KERNELS`) gives the CPU reference's result through the
//! engine's device runner — the path the CLI's `--device`, pipelines and the
//! Python module's `device=` all take. On CI the GPU is Mesa's lavapipe.
//!
//! Tolerances: ops that keep integer or ordering results (morphology, median,
//! cast, nearest resampling, components) are identical; floating-point ops
//! (the GPU computes in f32) within 1e-5 of the output's range; Otsu's threshold
//! within one histogram bin.

use std::collections::BTreeMap;

use medvox_core::{AnyVolume, Executor, Geometry, Pixel, Volume};
use medvox_engine::device::{run, Device};
use medvox_ops::{Data, DynOutput, Inputs, OpSpec};
use serde_json::{json, Value};

/// A smooth-ish f32 volume with edges (two boxes plus a ramp and a hash).
fn volume() -> Volume<f32> {
    let (nx, ny, nz) = (23usize, 19, 17);
    let mut v = Vec::with_capacity(nx * ny * nz);
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let h = ((x * 73 + y * 151 + z * 283) % 97) as f32;
                let inside = (4..14).contains(&x) && (3..12).contains(&y) && (2..10).contains(&z);
                let inner = (15..20).contains(&x) && (8..16).contains(&y) && (5..14).contains(&z);
                v.push(
                    h + 0.5 * x as f32
                        + if inside { 400.0 } else { 0.0 }
                        + if inner { 900.0 } else { 0.0 },
                );
            }
        }
    }
    let g = Geometry {
        spacing: [0.8, 1.1, 2.0],
        ..Geometry::default()
    };
    Volume::from_vec([nx, ny, nz], v, g).unwrap()
}

/// The parameters each kernel op is checked with (those without defaults filled in).
fn params(op: &str) -> Value {
    match op {
        "gaussian" => json!({ "sigma": 1.5 }),
        "mean" | "median" => json!({ "radius": [1, 2, 1] }),
        "erode" | "dilate" | "open" | "close" => json!({ "radius": 1 }),
        "window" => json!({ "center": 500.0, "width": 800.0 }),
        "rescale" => json!({ "min": 0.0, "max": 1.0 }),
        "clamp" => json!({ "lower": 100.0, "upper": 700.0 }),
        "cast" => json!({ "pixel_type": "i16" }),
        "resample" => json!({ "spacing": 1.3, "interpolation": "nearest" }),
        "otsu" => json!({ "bins": 64 }),
        _ => json!({}),
    }
}

fn input(op: &str) -> AnyVolume {
    let v = volume();
    match op {
        "components" => v.map(|x| u8::from(x > 450.0)).into(),
        "equalize" | "otsu" => v.map(|x| x.round() as i16).into(),
        _ => v.into(),
    }
}

fn as_f64(d: &Data) -> Vec<f64> {
    match d {
        Data::Volume(v) => {
            medvox_core::with_volume!(v, v => v.as_slice().iter().map(|x| x.to_f64()).collect())
        }
        _ => panic!("not a volume"),
    }
}

fn on(op: &str, vol: &AnyVolume, device: Device) -> DynOutput {
    let spec = OpSpec {
        op: op.into(),
        params: params(op).as_object().unwrap().clone(),
    };
    let aux = BTreeMap::new();
    let inputs = Inputs {
        main: vol,
        aux: &aux,
    };
    let mut notes = Vec::new();
    let (out, used) = run(&spec, &inputs, &Executor::default(), device, &mut |n| {
        notes.push(n)
    })
    .unwrap_or_else(|e| {
        panic!("{op} on {device:?}: {e} (GPU tests need an adapter: install mesa-vulkan-drivers)")
    });
    let want = if device == Device::Cpu { "cpu" } else { "gpu" };
    assert_eq!(used, want, "{op}: ran on {used} ({notes:?})");
    out
}

#[test]
fn every_gpu_kernel_matches_the_cpu() {
    for &op in medvox_gpu::backend::KERNELS {
        let vol = input(op);
        let cpu = on(op, &vol, Device::Cpu);
        let gpu = on(op, &vol, Device::Gpu);
        let (a, b) = (as_f64(&cpu.data), as_f64(&gpu.data));
        assert_eq!(a.len(), b.len(), "{op}: output sizes");
        if let (Data::Volume(x), Data::Volume(y)) = (&cpu.data, &gpu.data) {
            assert_eq!(x.pixel_type(), y.pixel_type(), "{op}: pixel type");
            assert_eq!(x.size(), y.size(), "{op}: size");
            assert_eq!(x.geometry(), y.geometry(), "{op}: geometry");
        }
        let exact = matches!(
            op,
            "median"
                | "erode"
                | "dilate"
                | "open"
                | "close"
                | "cast"
                | "resample"
                | "components"
                | "clamp"
        );
        if op == "otsu" {
            let (t0, t1) = (
                cpu.report["threshold"].as_f64().unwrap(),
                gpu.report["threshold"].as_f64().unwrap(),
            );
            let v = as_f64(&Data::Volume(vol.clone()));
            let (lo, hi) = v
                .iter()
                .fold((f64::MAX, f64::MIN), |(l, h), &x| (l.min(x), h.max(x)));
            assert!(
                (t0 - t1).abs() <= (hi - lo) / 64.0,
                "otsu: thresholds {t0} vs {t1}"
            );
            continue;
        }
        let range = a.iter().fold(0f64, |m, &x| m.max(x.abs())).max(1e-30);
        let tol = if exact { 0.0 } else { 1e-5 * range };
        let worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0f64, f64::max);
        assert!(worst <= tol, "{op}: max |cpu - gpu| = {worst} > {tol}");
    }
}

#[test]
fn auto_falls_back_and_gpu_refuses_ops_without_a_kernel() {
    let vol: AnyVolume = volume().into();
    let spec = OpSpec::new("bilateral");
    let aux = BTreeMap::new();
    let inputs = Inputs {
        main: &vol,
        aux: &aux,
    };
    let mut notes = Vec::new();
    let (_, used) = run(
        &spec,
        &inputs,
        &Executor::default(),
        Device::Auto,
        &mut |n| notes.push(n),
    )
    .unwrap();
    assert_eq!(used, "cpu");
    assert!(
        notes.iter().any(|n| n.contains("no GPU kernel")),
        "{notes:?}"
    );
    let e = run(
        &spec,
        &inputs,
        &Executor::default(),
        Device::Gpu,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("no GPU kernel"), "{e}");
}
