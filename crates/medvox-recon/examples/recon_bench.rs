//! Times the peers2 reconstruction cases on analytic projections and prints one JSON line each.
//!
//! `cargo run --release -p medvox-recon --example recon_bench [fbp|fdk|all] [SINO.raw N_DET N_ANGLES]`
//!
//! * fdk: RTK's Shepp–Logan (scale 100 mm), 360 cone-beam projections of 256² px of 2 mm
//!   (SID 1000, SDD 1500), 256³ grid of 1 mm centred; RMSE vs the voxelised phantom in
//!   r ≤ 100 mm (about y), |y| ≤ 60 mm (peers2's ROI).
//! * fbp: 512² from 720 parallel projections over 180° (axial Shepp–Logan, scale 200 mm,
//!   1 mm pixels), or a float64 sinogram file (scikit-image layout `n_det × n_angles`).

use std::time::Instant;

use medvox_recon::fbp::{reconstruct, FbpOptions};
use medvox_recon::project::{centred_grid, project_phantom, rasterize};
use medvox_recon::{Axis, Detector, Phantom, ScanGeometry};

fn best<T>(reps: usize, mut f: impl FnMut() -> T) -> (T, f64) {
    let mut out = None;
    let mut t = f64::INFINITY;
    for _ in 0..reps {
        let t0 = Instant::now();
        let r = f();
        t = t.min(t0.elapsed().as_secs_f64());
        out = Some(r);
    }
    (out.unwrap(), t)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let what = args.get(1).map_or("all", |s| s.as_str());
    if what == "sino" {
        // sino IN.f64 N_DET N_ANGLES OUT.f32: scikit-image sinogram (n_det × n_angles, float64,
        // angles i·180/N), reconstructed on scikit-image's grid (centre pixel n//2), ram-lak
        let n: usize = args[3].parse().unwrap();
        let na: usize = args[4].parse().unwrap();
        let raw = std::fs::read(&args[2]).unwrap();
        let sino: Vec<f64> = raw
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        let mut stack = vec![0.0f32; n * na];
        for u in 0..n {
            for k in 0..na {
                stack[k * n + u] = sino[u * na + k] as f32;
            }
        }
        let c = (n / 2) as f64;
        let sg =
            medvox_core::Geometry::new([1.0; 3], [-c, 0.0, 0.0], medvox_core::Geometry::IDENTITY)
                .unwrap();
        let proj = medvox_core::Volume::from_vec([n, 1, na], stack, sg).unwrap();
        let mut geom = ScanGeometry::circular(na, 180.0, 0.0, 0.0, 0.0);
        geom.axis = Axis::Z;
        let grid =
            medvox_core::Geometry::new([1.0; 3], [-c, -c, 0.0], medvox_core::Geometry::IDENTITY)
                .unwrap();
        let (rec, secs) = best(3, || {
            reconstruct(&proj, &geom, [n, n, 1], grid, FbpOptions::default()).unwrap()
        });
        let bytes: Vec<u8> = rec
            .as_slice()
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        std::fs::write(&args[5], bytes).unwrap();
        println!("{{\"case\": \"fbp_sinogram\", \"seconds\": {secs:.4}}}");
        return;
    }
    if what == "fbp" || what == "all" {
        let mut geom = ScanGeometry::circular(720, 180.0, 0.0, 0.0, 0.0);
        geom.axis = Axis::Z;
        let det = Detector {
            size: [512, 1],
            spacing: [1.0, 1.0],
            origin: [-256.0, 0.0],
        };
        let phantom = Phantom::shepp_logan_axial(200.0);
        let proj = project_phantom(&phantom, &geom, &det).unwrap();
        let size = [512, 512, 1];
        let grid = medvox_core::Geometry::new(
            [1.0; 3],
            [-256.0, -256.0, 0.0],
            medvox_core::Geometry::IDENTITY,
        )
        .unwrap();
        let (rec, secs) = best(3, || {
            reconstruct(&proj, &geom, size, grid, FbpOptions::default()).unwrap()
        });
        let truth = rasterize(&phantom, size, grid).unwrap();
        let (mut s, mut n) = (0.0, 0);
        for (i, (a, b)) in rec.as_slice().iter().zip(truth.as_slice()).enumerate() {
            let (x, y) = ((i % 512) as f64 - 256.0, (i / 512) as f64 - 256.0);
            if x * x + y * y <= 256.0 * 256.0 {
                s += ((a - b) as f64).powi(2);
                n += 1;
            }
        }
        println!(
            "{{\"case\": \"fbp_512_720_shepp_logan\", \"seconds\": {secs:.4}, \"rmse\": {:.5}}}",
            (s / n as f64).sqrt()
        );
    }
    if what == "fdk" || what == "all" {
        let phantom = Phantom::shepp_logan(100.0);
        let geom = ScanGeometry::circular(360, 360.0, 0.0, 1000.0, 1500.0);
        let det = Detector::centred([256, 256], [2.0, 2.0]);
        let t0 = Instant::now();
        let proj = project_phantom(&phantom, &geom, &det).unwrap();
        let tp = t0.elapsed().as_secs_f64();
        let size = [256, 256, 256];
        let grid = centred_grid(size, [1.0; 3]).unwrap();
        let (rec, secs) = best(1, || {
            reconstruct(&proj, &geom, size, grid, FbpOptions::default()).unwrap()
        });
        let truth = rasterize(&phantom, size, grid).unwrap();
        let (mut s, mut d, mut n) = (0.0, 0.0, 0);
        for (i, (a, b)) in rec.as_slice().iter().zip(truth.as_slice()).enumerate() {
            let p = grid.index_to_physical([
                (i % 256) as f64,
                ((i / 256) % 256) as f64,
                (i / 65536) as f64,
            ]);
            if p[0] * p[0] + p[2] * p[2] <= 1e4 && p[1].abs() <= 60.0 {
                s += ((a - b) as f64).powi(2);
                d += ((a - b) as f64).abs();
                n += 1;
            }
        }
        println!(
            "{{\"case\": \"fdk_256_360_shepp_logan\", \"seconds\": {secs:.3}, \"rmse\": {:.5}, \"mae\": {:.5}, \"projection_seconds\": {tp:.2}}}",
            (s / n as f64).sqrt(),
            d / n as f64
        );
    }
}
