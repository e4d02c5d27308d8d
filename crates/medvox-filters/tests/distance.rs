//! Distance transform against brute force (every voxel against every target
//! voxel) on small volumes, anisotropic spacing, 1/2/4 threads and block plans.

mod common;

use medvox_core::{BlockPlan, Executor, Geometry, Volume};
use medvox_filters::distance::{distance, distance_with_plan, DistanceParams};
use medvox_filters::Filter;

fn mask(size: [usize; 3], seed: u64, density: u64) -> Volume<u8> {
    let n: usize = size.iter().product();
    let v = common::lcg(seed, 7)
        .take(n)
        .map(|r| (r % 100 >= density) as u8)
        .collect();
    let g = Geometry {
        spacing: [0.7, 1.3, 2.5],
        ..Geometry::default()
    };
    Volume::from_vec(size, v, g).unwrap()
}

fn idx(size: [usize; 3], i: usize) -> [usize; 3] {
    [
        i % size[0],
        (i / size[0]) % size[1],
        i / (size[0] * size[1]),
    ]
}

/// min over voxels where `target` of the Euclidean distance (mm), in f64.
fn brute(v: &Volume<u8>, target: &[bool], sp: [f64; 3]) -> Vec<f64> {
    let size = v.size();
    let t: Vec<[usize; 3]> = (0..v.len())
        .filter(|&i| target[i])
        .map(|i| idx(size, i))
        .collect();
    (0..v.len())
        .map(|i| {
            let p = idx(size, i);
            t.iter()
                .map(|q| {
                    (0..3)
                        .map(|a| {
                            let d = (p[a] as f64 - q[a] as f64) * sp[a];
                            d * d
                        })
                        .sum::<f64>()
                })
                .fold(f64::INFINITY, f64::min)
                .sqrt()
        })
        .collect()
}

fn assert_close(got: &[f32], want: &[f64]) {
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        if w.is_infinite() {
            assert_eq!(g, f32::INFINITY, "voxel {i}");
        } else {
            assert!(
                (g as f64 - w).abs() <= 1e-6 * w.max(1.0),
                "voxel {i}: {g} vs {w}"
            );
        }
    }
}

#[test]
fn unsigned_matches_brute_force() {
    for (size, density) in [
        ([9, 7, 6], 10),
        ([16, 5, 11], 3),
        ([1, 12, 9], 20),
        ([13, 1, 1], 30),
        ([6, 6, 6], 1),
        ([70, 40, 4], 8),
    ] {
        let v = mask(size, 1, density);
        let sp = v.geometry().spacing;
        let bg: Vec<bool> = v.as_slice().iter().map(|&x| x == 0).collect();
        let want = brute(&v, &bg, sp);
        let r1 = distance(&v, &DistanceParams::default(), &Executor::new(1).unwrap()).unwrap();
        assert_close(r1.as_slice(), &want);
        for t in [2, 4] {
            let r = distance(&v, &DistanceParams::default(), &Executor::new(t).unwrap()).unwrap();
            assert_eq!(r, r1);
        }
        // Voxel units.
        let p = DistanceParams {
            use_spacing: false,
            ..DistanceParams::default()
        };
        let r = distance(&v, &p, &Executor::default()).unwrap();
        assert_close(r.as_slice(), &brute(&v, &bg, [1.0; 3]));
    }
}

#[test]
fn no_background_is_infinite_all_background_is_zero() {
    let ones = Volume::from_vec([3, 2, 2], vec![5i16; 12], Geometry::default()).unwrap();
    let d = distance(&ones, &DistanceParams::default(), &Executor::default()).unwrap();
    assert!(d.as_slice().iter().all(|&x| x == f32::INFINITY));
    let zeros = ones.zeros_like::<f64>();
    let d = distance(&zeros, &DistanceParams::default(), &Executor::default()).unwrap();
    assert!(d.as_slice().iter().all(|&x| x == 0.0));
}

/// SimpleITK's SignedMaurerDistanceMap(insideIsPositive=False): + distance to the
/// nearest foreground voxel outside; − distance to the nearest contour voxel
/// (26-neighbour of a background voxel inside the image) inside.
#[test]
fn signed_matches_brute_force() {
    for (size, density) in [([9, 8, 7], 40), ([12, 10, 1], 30), ([7, 7, 7], 60)] {
        let v = mask(size, 3, density);
        let sp = v.geometry().spacing;
        let fg: Vec<bool> = v.as_slice().iter().map(|&x| x != 0).collect();
        let contour: Vec<bool> = (0..v.len())
            .map(|i| {
                let p = idx(size, i);
                fg[i]
                    && (0..v.len()).any(|j| {
                        let q = idx(size, j);
                        !fg[j] && (0..3).all(|a| p[a].abs_diff(q[a]) <= 1)
                    })
            })
            .collect();
        let out = brute(&v, &fg, sp);
        let ins = brute(&v, &contour, sp);
        let want: Vec<f64> = (0..v.len())
            .map(|i| if fg[i] { -ins[i] } else { out[i] })
            .collect();
        let p = DistanceParams {
            signed: true,
            ..DistanceParams::default()
        };
        let r1 = distance(&v, &p, &Executor::new(1).unwrap()).unwrap();
        for (i, (&g, &w)) in r1.as_slice().iter().zip(&want).enumerate() {
            if w.is_infinite() {
                assert_eq!(g as f64, w, "voxel {i}");
            } else {
                assert!(
                    (g as f64 - w).abs() <= 1e-6 * w.abs().max(1.0),
                    "voxel {i}: {g} vs {w}"
                );
            }
        }
        for t in [2, 4] {
            let e = Executor::new(t).unwrap();
            assert_eq!(distance(&v, &p, &e).unwrap(), r1);
            let plan = BlockPlan::new(size, [3, 4, 2], [1; 3]).unwrap();
            assert_eq!(distance_with_plan(&v, &p, &e, &plan).unwrap(), r1);
        }
    }
}

#[test]
fn registered_by_name() {
    let f: Filter = serde_json::from_str(r#"{"op":"distance","signed":true}"#).unwrap();
    assert_eq!(f.name(), "distance");
    assert_eq!(
        f,
        Filter::Distance(DistanceParams {
            signed: true,
            use_spacing: true
        })
    );
}
