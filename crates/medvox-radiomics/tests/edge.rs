//! Bad and degenerate input: defined output or a clear error, never a panic;
//! results independent of the thread count.

use medvox_core::{Geometry, Volume};
use medvox_radiomics::{extract, RadiomicsError, Settings};

fn geom(s: f64) -> Geometry {
    Geometry::new([s, s, s], [0.0; 3], Geometry::IDENTITY).unwrap()
}

fn phantom(n: usize) -> (Volume<f32>, Volume<u8>) {
    let mut img = Vec::with_capacity(n * n * n);
    let mut lab = Vec::with_capacity(n * n * n);
    let mut state = 12345u64;
    for z in 0..n {
        for y in 0..n {
            for x in 0..n {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                img.push(((state >> 33) % 200) as f32 + x as f32);
                let l = if x < n / 2 {
                    1
                } else if y < n / 2 {
                    2
                } else {
                    3
                };
                lab.push(if z == 0 && x == 0 && y == 0 { 4 } else { l });
            }
        }
    }
    (
        Volume::from_vec([n; 3], img, geom(1.5)).unwrap(),
        Volume::from_vec([n; 3], lab, geom(1.5)).unwrap(),
    )
}

#[test]
fn one_voxel_region_is_defined() {
    let (img, lab) = phantom(12);
    let r = extract(&img, &lab, Some(&[4]), &Settings::default()).unwrap();
    assert_eq!(r[0].voxels, 1);
    assert!(!r[0].features.is_empty());
    // a single voxel has a volume but no co-occurring pairs
    assert_eq!(r[0].get("morph_vol_approx", "3D"), Some(1.5f64.powi(3)));
    assert!(r[0].get("cm_joint_max", "3D, merged").unwrap().is_nan());
}

#[test]
fn same_result_for_any_thread_count() {
    let (img, lab) = phantom(16);
    let run = |t: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .unwrap()
            .install(|| extract(&img, &lab, None, &Settings::default()).unwrap())
    };
    let (a, b) = (run(1), run(3));
    assert_eq!(a.len(), 4);
    for (ra, rb) in a.iter().zip(&b) {
        for (fa, fb) in ra.features.iter().zip(&rb.features) {
            assert!(
                fa.value.to_bits() == fb.value.to_bits(),
                "{} {}",
                fa.key,
                fa.aggregation
            );
        }
    }
}

#[test]
fn bad_input_is_an_error() {
    let (img, lab) = phantom(8);
    let small = Volume::<u8>::from_vec([4, 4, 4], vec![1; 64], geom(1.5)).unwrap();
    assert!(matches!(
        extract(&img, &small, None, &Settings::default()),
        Err(RadiomicsError::Grid(_))
    ));
    assert!(matches!(
        extract(&img, &lab, Some(&[9]), &Settings::default()),
        Err(RadiomicsError::MissingLabel(9))
    ));
    let mut v = img.as_slice().to_vec();
    v[0] = f32::NAN;
    let nan = Volume::from_vec([8; 3], v, geom(1.5)).unwrap();
    assert!(matches!(
        extract(&nan, &lab, None, &Settings::default()),
        Err(RadiomicsError::NonFinite(_))
    ));
}
