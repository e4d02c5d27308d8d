//! GPU connected components against the CPU op ([`medvox_segment::components_any`],
//! run-based union–find on slabs: an independent algorithm): labels, numbering and
//! sizes must be identical for every connectivity, numbering and filter, on random
//! masks at several densities, odd and degenerate sizes, and shapes whose components
//! need long union chains (serpentine, spiral, comb). Runs on lavapipe.

mod common;

use std::sync::OnceLock;

use medvox_core::{AnyVolume, Executor, Geometry, PixelType, Volume};
use medvox_gpu::ops::components::{components, components_host};
use medvox_gpu::{GpuContext, GpuError, GpuVolume};
use medvox_segment::components::components_any;
use medvox_segment::{ComponentsParams, Connectivity, LabelOrder};

fn ctx() -> &'static GpuContext {
    static C: OnceLock<GpuContext> = OnceLock::new();
    C.get_or_init(|| {
        GpuContext::new().unwrap_or_else(|e| {
            panic!(
                "GPU tests need an adapter: {e}. On Linux install mesa-vulkan-drivers (lavapipe)."
            )
        })
    })
}

const CONNS: [Connectivity; 3] = [Connectivity::Face, Connectivity::Edge, Connectivity::Full];

fn geom() -> Geometry {
    Geometry {
        spacing: [0.7, 1.3, 2.5],
        ..Geometry::default()
    }
}

/// Deterministic mask with foreground probability `p`.
fn random(size: [usize; 3], p: f64, seed: u64) -> Volume<u8> {
    let mut rng =
        common::xorshift(0x2545_f491_4f6c_dd1du64 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let n: usize = size.iter().product();
    let v = (0..n)
        .map(|_| {
            let s = rng();
            u8::from(((s >> 11) as f64 / (1u64 << 53) as f64) < p)
        })
        .collect();
    Volume::from_vec(size, v, geom()).unwrap()
}

fn params(
    c: Connectivity,
    order: LabelOrder,
    min_size: u64,
    keep_largest: bool,
) -> ComponentsParams {
    ComponentsParams {
        connectivity: c,
        order,
        min_size,
        keep_largest,
    }
}

/// GPU (device mask and host entry) against the CPU for `p`.
fn check(vol: &AnyVolume, p: &ComponentsParams, what: &str) {
    let cpu = components_any(vol, p, &Executor::new(2).unwrap()).unwrap();
    let g = components_host(ctx(), vol, p).unwrap();
    assert_eq!(g.sizes, cpu.sizes, "{what} {p:?}: sizes");
    assert!(g.labels == cpu.labels, "{what} {p:?}: labels differ");
    assert_eq!(g.labels.geometry(), vol.geometry());
}

fn check_all(vol: &AnyVolume, what: &str) {
    for c in CONNS {
        for (order, min_size, keep) in [
            (LabelOrder::Raster, 0, false),
            (LabelOrder::Size, 0, false),
            (LabelOrder::Raster, 3, false),
            (LabelOrder::Size, 2, false),
            (LabelOrder::Raster, 0, true),
        ] {
            check(vol, &params(c, order, min_size, keep), what);
        }
    }
}

#[test]
fn random_masks_at_several_densities() {
    for (k, d) in [0.05, 0.2, 0.3, 0.45, 0.6, 0.9].into_iter().enumerate() {
        let v = AnyVolume::from(random([48, 48, 48], d, k as u64));
        check_all(&v, &format!("48^3 density {d}"));
    }
}

#[test]
fn odd_and_degenerate_sizes() {
    let shapes = [
        [1, 1, 1],
        [2, 1, 1],
        [17, 13, 5],
        [33, 1, 9],
        [1, 20, 7],
        [1, 1, 61],
        [61, 1, 1],
        [37, 29, 1], // 2D: 4/8-connectivity
        [5, 300, 3],
    ];
    for (k, s) in shapes.into_iter().enumerate() {
        for d in [0.3, 0.55] {
            let v = AnyVolume::from(random(s, d, 100 + k as u64));
            check_all(&v, &format!("{s:?} density {d}"));
        }
    }
}

#[test]
fn empty_and_full() {
    for s in [[9, 8, 7], [1, 1, 1]] {
        let zero = AnyVolume::from(Volume::<u8>::zeros(s, geom()).unwrap());
        check_all(&zero, "empty");
        let one =
            AnyVolume::from(Volume::from_vec(s, vec![3u8; s.iter().product()], geom()).unwrap());
        check_all(&one, "full");
    }
}

/// A one-voxel-thick serpentine through every row of every slice, joined slice to
/// slice at alternating ends: one component whose path visits every row.
fn serpentine(size: [usize; 3]) -> Volume<u8> {
    let [nx, ny, nz] = size;
    let mut v = Volume::<u8>::zeros(size, geom()).unwrap();
    let d = v.as_slice_mut();
    for z in 0..nz {
        for y in (0..ny).step_by(2) {
            for x in 0..nx {
                d[(z * ny + y) * nx + x] = 1;
            }
            if y + 1 < ny {
                let x = if (y / 2) % 2 == 0 { nx - 1 } else { 0 };
                d[(z * ny + y + 1) * nx + x] = 1;
            }
        }
    }
    v
}

/// A one-voxel-thick square spiral in every other slice (z odd slices empty except
/// one link at the spiral centre of alternate pairs), pointing inwards.
fn spiral(size: [usize; 3]) -> Volume<u8> {
    let [nx, ny, nz] = size;
    let mut v = Volume::<u8>::zeros(size, geom()).unwrap();
    let d = v.as_slice_mut();
    for z in (0..nz).step_by(2) {
        let (mut x0, mut y0, mut x1, mut y1) = (0i64, 0i64, nx as i64 - 1, ny as i64 - 1);
        let mut set = |x: i64, y: i64| d[(z * ny + y as usize) * nx + x as usize] = 1;
        while x0 <= x1 && y0 <= y1 {
            for x in x0..=x1 {
                set(x, y0);
            }
            for y in y0..=y1 {
                set(x1, y);
            }
            if y0 + 2 <= y1 {
                for x in x0..=x1 {
                    set(x, y1);
                }
            }
            if x0 + 2 <= x1 {
                for y in y0 + 2..=y1 {
                    set(x0, y);
                }
            }
            x0 += 2;
            y0 += 2;
            x1 -= 2;
            y1 -= 2;
        }
    }
    // Link every fourth slice to the next spiral through the centre column.
    for z in (1..nz).step_by(4) {
        if z + 1 < nz {
            d[(z * ny + ny / 2) * nx + nx / 2] = 1;
        }
    }
    v
}

/// A comb: a spine along x at y = ny-1 (the last row), teeth along y, so every tooth
/// joins the others only through the spine at its far end; teeth alternate with
/// diagonal-only contacts.
fn comb(size: [usize; 3]) -> Volume<u8> {
    let [nx, ny, nz] = size;
    let mut v = Volume::<u8>::zeros(size, geom()).unwrap();
    let d = v.as_slice_mut();
    for z in 0..nz {
        for x in 0..nx {
            d[(z * ny + ny - 1) * nx + x] = 1;
        }
        for x in (0..nx).step_by(2) {
            for y in 0..ny - 1 {
                let xx = if z % 2 == 0 {
                    x
                } else {
                    (x + (y % 2)).min(nx - 1)
                };
                d[(z * ny + y) * nx + xx] = 1;
            }
        }
    }
    v
}

#[test]
fn long_chains() {
    for s in [[48, 48, 48], [31, 47, 9], [64, 64, 3]] {
        check_all(
            &AnyVolume::from(serpentine(s)),
            &format!("serpentine {s:?}"),
        );
        check_all(&AnyVolume::from(spiral(s)), &format!("spiral {s:?}"));
        check_all(&AnyVolume::from(comb(s)), &format!("comb {s:?}"));
    }
    // The serpentine is one component under every connectivity.
    let r = components_host(
        ctx(),
        &AnyVolume::from(serpentine([48, 48, 48])),
        &ComponentsParams::default(),
    )
    .unwrap();
    assert_eq!(r.sizes.len(), 1);
}

#[test]
fn pixel_types_nan_and_negative_zero() {
    let n = 7 * 6 * 5;
    let f: Vec<f32> = (0..n)
        .map(|i| match i % 7 {
            0 => f32::NAN,
            1 => -0.0,
            2 | 3 => 0.0,
            _ => -2.5,
        })
        .collect();
    let vf = AnyVolume::from(Volume::from_vec([7, 6, 5], f.clone(), geom()).unwrap());
    check_all(&vf, "f32 with NaN and -0");
    // The device mask path takes the f32 values as they are (NaN foreground, -0 background).
    let g = GpuVolume::from_f32(ctx(), [7, 6, 5], &f, geom(), PixelType::F32).unwrap();
    let cpu = components_any(
        &vf,
        &ComponentsParams::default(),
        &Executor::new(1).unwrap(),
    )
    .unwrap();
    assert!(
        components(ctx(), &g, &ComponentsParams::default())
            .unwrap()
            .labels
            == cpu.labels
    );
    // f64 and large u32 values cannot be uploaded as f32 volumes, but the host entry masks them.
    let d: Vec<f64> = f.iter().map(|&x| f64::from(x)).collect();
    check_all(
        &AnyVolume::from(Volume::from_vec([7, 6, 5], d, geom()).unwrap()),
        "f64",
    );
    let u: Vec<u32> = (0..n as u32)
        .map(|i| if i % 3 == 0 { 0 } else { u32::MAX - i })
        .collect();
    check_all(
        &AnyVolume::from(Volume::from_vec([7, 6, 5], u, geom()).unwrap()),
        "u32",
    );
    let s: Vec<i16> = random([7, 6, 5], 0.5, 9)
        .as_slice()
        .iter()
        .map(|&x| -(i16::from(x)) * 1000)
        .collect();
    let vs = AnyVolume::from(Volume::from_vec([7, 6, 5], s, geom()).unwrap());
    let up = GpuVolume::upload(ctx(), &vs).unwrap();
    let cpu = components_any(
        &vs,
        &ComponentsParams::default(),
        &Executor::new(1).unwrap(),
    )
    .unwrap();
    assert!(
        components(ctx(), &up, &ComponentsParams::default())
            .unwrap()
            .labels
            == cpu.labels
    );
}

#[test]
fn slabs_give_the_same_labels() {
    // Bindings of 1, 3 and 7 planes of 48×48 u32 labels: 48, 16 and 7 slabs.
    for planes in [1u64, 3, 7] {
        let small = GpuContext::new()
            .unwrap()
            .with_max_binding(planes * 48 * 48 * 4);
        for (k, d) in [0.2, 0.31, 0.5].into_iter().enumerate() {
            let v = AnyVolume::from(random([48, 48, 48], d, 50 + k as u64));
            for c in CONNS {
                for (order, keep) in [(LabelOrder::Raster, false), (LabelOrder::Size, true)] {
                    let p = params(c, order, 2, keep);
                    let cpu = components_any(&v, &p, &Executor::new(2).unwrap()).unwrap();
                    let g = components_host(&small, &v, &p).unwrap();
                    assert_eq!(g.sizes, cpu.sizes, "{planes} planes, density {d}, {p:?}");
                    assert!(
                        g.labels == cpu.labels,
                        "{planes} planes, density {d}, {p:?}"
                    );
                }
            }
        }
        for s in [
            serpentine([48, 48, 48]),
            comb([48, 48, 48]),
            spiral([48, 48, 48]),
        ] {
            let v = AnyVolume::from(s);
            for c in CONNS {
                let p = params(c, LabelOrder::Raster, 0, false);
                let cpu = components_any(&v, &p, &Executor::new(2).unwrap()).unwrap();
                assert!(components_host(&small, &v, &p).unwrap().labels == cpu.labels);
            }
        }
    }
}

#[test]
fn too_large_is_a_clear_error() {
    // 1 KiB bindings hold 256 labels; a 32×32 plane needs 4 KiB.
    let small = GpuContext::new().unwrap().with_max_binding(1024);
    let v = AnyVolume::from(random([32, 32, 2], 0.5, 1));
    match components_host(&small, &v, &ComponentsParams::default()) {
        Err(e @ GpuError::TooLarge { .. }) => assert!(e.to_string().contains("binding limit")),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // A 16×16 plane fits exactly: three one-plane slabs.
    let ok = components_host(
        &small,
        &AnyVolume::from(random([16, 16, 3], 0.5, 2)),
        &ComponentsParams::default(),
    );
    assert!(ok.is_ok());
}

/// Wall-clock times on this adapter and the CPU op (run with `--ignored --nocapture`).
#[test]
#[ignore]
fn timing() {
    use std::time::Instant;
    let best = |f: &mut dyn FnMut()| {
        f();
        (0..3)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    let exec = Executor::default();
    for (what, v) in [
        ("random 0.3", random([256, 256, 256], 0.3, 7)),
        ("serpentine", serpentine([256, 256, 256])),
    ] {
        let v = AnyVolume::from(v);
        let p = ComponentsParams::default();
        let cpu = best(&mut || drop(components_any(&v, &p, &exec).unwrap()));
        let e2e = best(&mut || drop(components_host(ctx(), &v, &p).unwrap()));
        let g = GpuVolume::upload(ctx(), &v).unwrap();
        let dev = best(&mut || drop(components(ctx(), &g, &p).unwrap()));
        println!(
            "{what} 256^3 on {}: cpu {cpu:.3} s, gpu resident mask {dev:.3} s, gpu end-to-end {e2e:.3} s",
            ctx().info().name
        );
    }
}
