//! Morphology against a direct implementation written here (min/max over every
//! offset of the structuring element, out-of-image voxels ignored), exact, for the
//! ball and the box, several radii (anisotropic, 0 on an axis), thread counts and
//! block plans, pixel types, one-voxel and one-slice volumes, and bad parameters.

mod common;

use medvox_core::{AnyVolume, BlockPlan, Executor, Geometry, Pixel, Volume};
use medvox_filters::morphology::{
    dilate, erode, morphology, morphology_with_plan, Kernel, MorphOp, MorphologyParams,
};
use medvox_filters::{Filter, FilterError, FilterPixel};

/// Deterministic pseudo-random values in [-50, 50) (few distinct values: many ties).
fn values(n: usize, seed: u64) -> Vec<f64> {
    common::lcg(seed, 1)
        .take(n)
        .map(|r| (r % 100) as f64 - 50.0)
        .collect()
}

fn volume<T: Pixel>(size: [usize; 3], seed: u64) -> Volume<T> {
    let n = size.iter().product();
    let v = values(n, seed).into_iter().map(T::from_f64).collect();
    Volume::from_vec(size, v, Geometry::default()).unwrap()
}

/// Ball membership written from the definition: Σ (d_a / (r_a + ½))² <= 1.
fn in_kernel(kernel: Kernel, r: [usize; 3], d: [i64; 3]) -> bool {
    match kernel {
        Kernel::Box => true,
        _ => {
            (0..3)
                .map(|a| (d[a] as f64 / (r[a] as f64 + 0.5)).powi(2))
                .sum::<f64>()
                <= 1.0
        }
    }
}

fn naive_pass<T: Pixel>(v: &Volume<T>, kernel: Kernel, r: [usize; 3], max: bool) -> Volume<T> {
    let s = v.size();
    let mut out = Vec::with_capacity(v.len());
    for z in 0..s[2] as i64 {
        for y in 0..s[1] as i64 {
            for x in 0..s[0] as i64 {
                let mut acc: Option<T> = None;
                for dz in -(r[2] as i64)..=r[2] as i64 {
                    for dy in -(r[1] as i64)..=r[1] as i64 {
                        for dx in -(r[0] as i64)..=r[0] as i64 {
                            let p = [x + dx, y + dy, z + dz];
                            if !in_kernel(kernel, r, [dx, dy, dz])
                                || (0..3).any(|a| p[a] < 0 || p[a] >= s[a] as i64)
                            {
                                continue;
                            }
                            let w = v.get(p.map(|c| c as usize)).unwrap();
                            acc = Some(match acc {
                                None => w,
                                Some(a) if (max && w > a) || (!max && w < a) => w,
                                Some(a) => a,
                            });
                        }
                    }
                }
                out.push(acc.unwrap());
            }
        }
    }
    Volume::from_vec(s, out, *v.geometry()).unwrap()
}

fn naive<T: Pixel>(v: &Volume<T>, op: MorphOp, kernel: Kernel, r: [usize; 3]) -> Volume<T> {
    match op {
        MorphOp::Erode => naive_pass(v, kernel, r, false),
        MorphOp::Dilate => naive_pass(v, kernel, r, true),
        MorphOp::Open => naive_pass(&naive_pass(v, kernel, r, false), kernel, r, true),
        _ => naive_pass(&naive_pass(v, kernel, r, true), kernel, r, false),
    }
}

const OPS: [MorphOp; 4] = [
    MorphOp::Erode,
    MorphOp::Dilate,
    MorphOp::Open,
    MorphOp::Close,
];
const KERNELS: [Kernel; 2] = [Kernel::Ball, Kernel::Box];

#[test]
fn grey_equals_naive_for_radii_and_kernels() {
    let v: Volume<i16> = volume([17, 13, 11], 1);
    let exec = Executor::new(2).unwrap();
    for r in [
        [1, 1, 1],
        [2, 2, 2],
        [3, 1, 2],
        [0, 2, 1],
        [2, 0, 3],
        [1, 3, 0],
        [4, 4, 4],
        [5, 1, 1],
    ] {
        for kernel in KERNELS {
            for op in OPS {
                let p = MorphologyParams::new(r, kernel);
                let got = morphology(&v, op, &p, &exec).unwrap();
                let want = naive(&v, op, kernel, r);
                assert_eq!(got.as_slice(), want.as_slice(), "{op:?} {kernel:?} r {r:?}");
            }
        }
    }
}

#[test]
fn long_runs_use_van_herk_and_stay_exact() {
    // Box radii > 3 across rows/planes and x-runs longer than 32 take the van Herk paths.
    let v: Volume<f32> = volume([48, 23, 21], 2);
    let exec = Executor::new(2).unwrap();
    for (r, kernel) in [
        ([20, 5, 4], Kernel::Box),
        ([17, 9, 8], Kernel::Box),
        ([17, 4, 5], Kernel::Ball),
        ([30, 11, 10], Kernel::Box),
    ] {
        for op in [MorphOp::Erode, MorphOp::Dilate] {
            let got = morphology(&v, op, &MorphologyParams::new(r, kernel), &exec).unwrap();
            let want = naive(&v, op, kernel, r);
            assert_eq!(got.as_slice(), want.as_slice(), "{op:?} {kernel:?} r {r:?}");
        }
    }
}

#[test]
fn identical_for_threads_and_plans() {
    let v: Volume<f32> = volume([29, 21, 19], 3);
    for kernel in KERNELS {
        for r in [[2, 2, 2], [1, 3, 2], [4, 4, 4]] {
            let p = MorphologyParams::new(r, kernel);
            let want = naive(&v, MorphOp::Open, kernel, r);
            for threads in [1, 2, 4] {
                let exec = Executor::new(threads).unwrap();
                let got = morphology(&v, MorphOp::Open, &p, &exec).unwrap();
                assert_eq!(got.as_slice(), want.as_slice(), "threads {threads}");
                for (block, extra) in [
                    ([29, 21, 1], 0),
                    ([7, 5, 3], 1),
                    ([4, 21, 19], 2),
                    ([8, 3, 6], 0),
                ] {
                    let halo = r.map(|x| x + extra);
                    let plan = BlockPlan::new(v.size(), block, halo).unwrap();
                    let got = morphology_with_plan(&v, MorphOp::Open, &p, &exec, &plan).unwrap();
                    assert_eq!(
                        got.as_slice(),
                        want.as_slice(),
                        "block {block:?} {kernel:?} r {r:?}"
                    );
                }
            }
        }
    }
}

fn types_case<T: FilterPixel>() {
    let v: Volume<T> = volume([9, 8, 7], 4);
    let exec = Executor::default();
    for kernel in KERNELS {
        let p = MorphologyParams::new([2, 1, 2], kernel);
        let e = erode(&v, &p, &exec).unwrap();
        assert_eq!(
            e.as_slice(),
            naive(&v, MorphOp::Erode, kernel, [2, 1, 2]).as_slice()
        );
        let d = dilate(&v, &p, &exec).unwrap();
        assert_eq!(
            d.as_slice(),
            naive(&v, MorphOp::Dilate, kernel, [2, 1, 2]).as_slice()
        );
        assert_eq!(e.geometry(), v.geometry());
    }
}

#[test]
fn pixel_types() {
    types_case::<u8>();
    types_case::<i8>();
    types_case::<u16>();
    types_case::<i16>();
    types_case::<i32>();
    types_case::<f32>();
    types_case::<f64>();
}

#[test]
fn one_voxel_and_one_slice() {
    let exec = Executor::new(2).unwrap();
    let v = Volume::from_vec([1, 1, 1], vec![7i16], Geometry::default()).unwrap();
    for op in OPS {
        let p = MorphologyParams::new([2, 2, 2], Kernel::Ball);
        assert_eq!(morphology(&v, op, &p, &exec).unwrap().as_slice(), &[7]);
    }
    let s: Volume<u8> = volume([12, 9, 1], 5);
    for kernel in KERNELS {
        for op in OPS {
            let p = MorphologyParams::new([2, 2, 2], kernel);
            let got = morphology(&s, op, &p, &exec).unwrap();
            assert_eq!(got.as_slice(), naive(&s, op, kernel, [2, 2, 2]).as_slice());
        }
    }
    let line: Volume<f32> = volume([1, 1, 15], 6);
    let p = MorphologyParams::new([3, 3, 3], Kernel::Ball);
    let got = erode(&line, &p, &exec).unwrap();
    assert_eq!(
        got.as_slice(),
        naive(&line, MorphOp::Erode, Kernel::Ball, [3, 3, 3]).as_slice()
    );
}

#[test]
fn binary_ops_on_a_mask() {
    let exec = Executor::new(2).unwrap();
    // A mask with foreground 3 and some voxels of another value (2): those count as background.
    let raw: Volume<i16> = volume([15, 14, 13], 7);
    let v = raw.map(|x| {
        if x > 0 {
            3i16
        } else if x > -10 {
            2
        } else {
            0
        }
    });
    let mask = v.map(|x| u8::from(x == 3));
    for kernel in KERNELS {
        for op in OPS {
            let p = MorphologyParams::new([2, 1, 2], kernel).binary(3.0);
            let got = morphology(&v, op, &p, &exec).unwrap();
            let want = naive(&mask, op, kernel, [2, 1, 2]).map(|m| if m == 1 { 3i16 } else { 0 });
            assert_eq!(got.as_slice(), want.as_slice(), "{op:?} {kernel:?}");
        }
    }
    // Default foreground 1 on a 0/1 float mask.
    let m = mask.map(f32::from);
    let p = MorphologyParams::new([1, 1, 1], Kernel::Ball).binary(1.0);
    let got = morphology(&m, MorphOp::Close, &p, &exec).unwrap();
    assert_eq!(
        got.as_slice(),
        naive(&m, MorphOp::Close, Kernel::Ball, [1, 1, 1]).as_slice()
    );
}

#[test]
fn bad_parameters_are_errors() {
    let v: Volume<u8> = volume([4, 4, 4], 8);
    let exec = Executor::default();
    let big = MorphologyParams::new([1 << 20, 1, 1], Kernel::Box);
    assert!(matches!(
        erode(&v, &big, &exec),
        Err(FilterError::Parameter { name: "radius", .. })
    ));
    let ball = MorphologyParams::new([1, 1000, 1000], Kernel::Ball);
    assert!(matches!(
        erode(&v, &ball, &exec),
        Err(FilterError::Parameter { name: "radius", .. })
    ));
    for fg in [256.0, -1.0, 0.5, f64::NAN] {
        let p = MorphologyParams::new([1, 1, 1], Kernel::Ball).binary(fg);
        assert!(
            matches!(
                erode(&v, &p, &exec),
                Err(FilterError::Parameter {
                    name: "foreground",
                    ..
                })
            ),
            "{fg}"
        );
    }
    let p = MorphologyParams::new([2, 2, 2], Kernel::Ball);
    let small = BlockPlan::new(v.size(), [2, 2, 2], [1, 2, 2]).unwrap();
    assert!(matches!(
        morphology_with_plan(&v, MorphOp::Erode, &p, &exec, &small),
        Err(FilterError::Plan { .. })
    ));
}

#[test]
fn registered_by_name_with_serde() {
    let f: Filter =
        serde_json::from_str(r#"{"op": "erode", "radius": [2, 2, 2], "kernel": "box"}"#).unwrap();
    assert_eq!(f.name(), "erode");
    assert_eq!(
        f,
        Filter::Erode(MorphologyParams::new([2, 2, 2], Kernel::Box))
    );
    let f: Filter =
        serde_json::from_str(r#"{"op": "open", "radius": [1, 1, 1], "binary": true}"#).unwrap();
    assert_eq!(
        f,
        Filter::Open(MorphologyParams::new([1, 1, 1], Kernel::Ball).binary(1.0))
    );
    let v: Volume<i16> = volume([6, 5, 4], 9);
    let out = f
        .apply(&AnyVolume::from(v.clone()), &Executor::default())
        .unwrap();
    match out {
        AnyVolume::I16(o) => assert_eq!(o.size(), v.size()),
        other => panic!("type changed: {other:?}"),
    }
}
