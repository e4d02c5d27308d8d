//! Histogram equalisation and CLAHE: the integer cdf counted by brute force,
//! float bins on data whose bin of every voxel is known, masks, 1-voxel and
//! constant volumes, cross-type identities, thread/plan independence, and errors.
//! (The step-by-step match with scikit-image is in tests/reference/test_equalize.py.)

mod common;

use medvox_core::{BlockPlan, Executor, Geometry, Pixel, Volume};
use medvox_filters::clahe::{clahe, clahe_with_plan, ClaheParams};
use medvox_filters::equalize::{equalize, equalize_masked, equalize_with_plan};
use medvox_filters::{EqualizeParams, Filter, FilterError};

fn volume<T: Pixel>(size: [usize; 3], seed: u64, modulo: u64, offset: f64) -> Volume<T> {
    let n: usize = size.iter().product();
    let v = common::lcg(seed, 1)
        .take(n)
        .map(|r| T::from_f64((r % modulo) as f64 + offset))
        .collect();
    Volume::from_vec(size, v, Geometry::default()).unwrap()
}

fn execs() -> Vec<Executor> {
    [1, 2, 4].map(|t| Executor::new(t).unwrap()).into()
}

fn plans(size: [usize; 3]) -> Vec<BlockPlan> {
    vec![
        BlockPlan::new(size, size, [0; 3]).unwrap(),
        BlockPlan::new(size, [1, 1, 1], [0; 3]).unwrap(),
        BlockPlan::new(size, [5, 3, 2], [0; 3]).unwrap(),
        BlockPlan::new(size, [7, 64, 1], [2, 1, 3]).unwrap(),
    ]
}

/// Brute-force cdf: #{v ≤ x} / n over the counted voxels.
fn naive_cdf(values: &[f64], x: f64) -> f64 {
    values.iter().filter(|&&v| v <= x).count() as f64 / values.len() as f64
}

#[test]
fn equalize_integers_is_the_exact_cdf() {
    let v = volume::<i16>([11, 9, 4], 3, 300, -150.0);
    let all: Vec<f64> = v.as_slice().iter().map(|x| x.to_f64()).collect();
    let out = equalize(&v, 256, &Executor::new(2).unwrap()).unwrap();
    for (x, y) in all.iter().zip(out.as_slice()) {
        assert_eq!(*y, naive_cdf(&all, *x) as f32);
    }
    // u8 and a range wider than the dense table (sorted path) agree with the count too.
    let w = volume::<i32>([17, 5, 3], 4, 1 << 30, -(1 << 29) as f64);
    let all: Vec<f64> = w.as_slice().iter().map(|x| x.to_f64()).collect();
    let out = equalize(&w, 256, &Executor::default()).unwrap();
    for (x, y) in all.iter().zip(out.as_slice()) {
        assert_eq!(*y, naive_cdf(&all, *x) as f32);
    }
}

#[test]
fn equalize_float_unit_bins() {
    // Values 0..=9 and 9 bins: edges 0,1,…,9, value k in bin min(k, 8), centres k + ½;
    // np.interp at x = k (0 < k < 9) is the mean of cdf[k−1] and cdf[k].
    let v = volume::<f64>([13, 11, 3], 5, 10, 0.0);
    let all: Vec<f64> = v.as_slice().to_vec();
    let n = all.len() as f64;
    let count = |k: f64| all.iter().filter(|&&x| x == k).count() as f64;
    let mut cdf = [0.0; 9];
    let mut acc = 0.0;
    for (b, c) in cdf.iter_mut().enumerate() {
        acc += count(b as f64) + if b == 8 { count(9.0) } else { 0.0 };
        *c = acc / n;
    }
    let out = equalize(&v, 9, &Executor::default()).unwrap();
    for (&x, &y) in all.iter().zip(out.as_slice()) {
        let k = x as usize;
        let want = match k {
            0 => cdf[0],
            9 => cdf[8],
            _ => (cdf[k - 1] + cdf[k]) / 2.0,
        };
        assert!((y - want).abs() < 1e-15, "x {x}: {y} vs {want}");
    }
}

#[test]
fn equalize_mask_and_nan() {
    let v = volume::<u16>([10, 8, 6], 7, 1000, 0.0);
    let m = volume::<u8>([10, 8, 6], 8, 2, 0.0);
    let counted: Vec<f64> = v
        .as_slice()
        .iter()
        .zip(m.as_slice())
        .filter(|(_, &k)| k != 0)
        .map(|(x, _)| x.to_f64())
        .collect();
    let out = equalize_masked(&v, &m, 256, &Executor::default()).unwrap();
    let lo = counted.iter().cloned().fold(f64::INFINITY, f64::min);
    for (x, y) in v.as_slice().iter().zip(out.as_slice()) {
        // Below the masked range np.interp gives the first cdf value.
        let want = naive_cdf(&counted, x.to_f64().max(lo));
        assert_eq!(*y, want as f32);
    }
    // NaN is not counted and stays NaN.
    let mut f = volume::<f32>([6, 5, 4], 9, 100, 0.0);
    f.as_slice_mut()[7] = f32::NAN;
    let out = equalize(&f, 32, &Executor::default()).unwrap();
    assert!(out.as_slice()[7].is_nan());
    assert_eq!(out.as_slice().iter().filter(|x| x.is_nan()).count(), 1);
}

#[test]
fn equalize_one_voxel() {
    let g = Geometry::default();
    let f = Volume::from_vec([1, 1, 1], vec![3.5f32], g).unwrap();
    // Range [x − ½, x + ½]: x sits between the two middle bin centres.
    assert_eq!(
        equalize(&f, 256, &Executor::default()).unwrap().as_slice(),
        &[0.5]
    );
    let i = Volume::from_vec([1, 1, 1], vec![-7i8], g).unwrap();
    assert_eq!(
        equalize(&i, 256, &Executor::default()).unwrap().as_slice(),
        &[1.0]
    );
}

#[test]
fn equalize_independent_of_threads_and_plans() {
    let v = volume::<f32>([23, 9, 7], 11, 5000, -2500.5);
    let m = volume::<u8>([23, 9, 7], 12, 3, 0.0);
    let want = equalize_masked(&v, &m, 100, &Executor::new(1).unwrap()).unwrap();
    for e in execs() {
        for p in plans(v.size()) {
            let got = equalize_with_plan(&v, Some(&m), 100, &e, &p).unwrap();
            assert_eq!(got.as_slice(), want.as_slice());
        }
    }
}

#[test]
fn clahe_independent_of_threads_and_plans() {
    let v = volume::<i16>([37, 29, 11], 13, 4000, -1000.0);
    for params in [
        ClaheParams::default(),
        ClaheParams {
            kernel_size: Some([8, 5, 3]),
            clip_limit: 0.05,
            bins: 64,
            slice_by_slice: false,
        },
        ClaheParams {
            kernel_size: Some([6, 6, 9]),
            slice_by_slice: true,
            ..ClaheParams::default()
        },
    ] {
        let want = clahe(&v, &params, &Executor::new(1).unwrap()).unwrap();
        assert!(want.as_slice().iter().all(|x| (0.0..=1.0).contains(x)));
        for e in execs() {
            for p in plans(v.size()) {
                let got = clahe_with_plan(&v, &params, &e, &p).unwrap();
                assert_eq!(got.as_slice(), want.as_slice(), "{params:?} {p:?}");
            }
        }
    }
}

#[test]
fn clahe_u8_equals_f32_scaled_to_unit() {
    // skimage: u8 → 257·x; f32 x/255 → rint(x/255 · 65535) = 257·x: same grey levels.
    let v = volume::<u8>([40, 33, 6], 17, 256, 0.0);
    let f = v.map(|x| x as f32 / 255.0);
    let params = ClaheParams {
        kernel_size: Some([9, 7, 2]),
        ..ClaheParams::default()
    };
    let e = Executor::default();
    assert_eq!(
        clahe(&v, &params, &e).unwrap().as_slice(),
        clahe(&f, &params, &e).unwrap().as_slice()
    );
}

#[test]
fn clahe_per_slice_is_each_slice_alone() {
    let v = volume::<f32>([30, 21, 5], 19, 3000, -1000.0);
    let params = ClaheParams {
        kernel_size: Some([8, 8, 8]),
        slice_by_slice: true,
        ..ClaheParams::default()
    };
    let e = Executor::new(2).unwrap();
    let all = clahe(&v, &params, &e).unwrap();
    let plane = 30 * 21;
    for z in 0..5 {
        let s = Volume::from_vec(
            [30, 21, 1],
            v.as_slice()[z * plane..(z + 1) * plane].to_vec(),
            Geometry::default(),
        )
        .unwrap();
        let one = clahe(
            &s,
            &ClaheParams {
                slice_by_slice: false,
                ..params
            },
            &e,
        )
        .unwrap();
        assert_eq!(&all.as_slice()[z * plane..(z + 1) * plane], one.as_slice());
    }
}

#[test]
fn clahe_small_and_constant_volumes() {
    let e = Executor::default();
    let g = Geometry::default();
    for v in [
        Volume::from_vec([1, 1, 1], vec![42.0f32], g).unwrap(),
        Volume::from_vec([3, 1, 1], vec![0.25f32; 3], g).unwrap(),
        Volume::from_vec([4, 4, 1], vec![0.0f32; 16], g).unwrap(),
    ] {
        let out = clahe(&v, &ClaheParams::default(), &e).unwrap();
        // A constant result r gives min(r, 1): 0 or 1 everywhere.
        let first = out.as_slice()[0];
        assert!(first == 0.0 || first == 1.0);
        assert!(out.as_slice().iter().all(|&x| x == first));
    }
    // Values from skimage 0.26: equalize_adapthist([[0, 1]]) = [[1, 1]] (x01 of [-5, 9]),
    // equalize_adapthist([0, 1, .5, .2], kernel_size=2) = [0, 1, .5, 0] (1D: the
    // length-1 axes take kernel 1).
    let i = Volume::from_vec([2, 1, 1], vec![-5i32, 9], g).unwrap();
    assert_eq!(
        clahe(&i, &ClaheParams::default(), &e).unwrap().as_slice(),
        &[1.0, 1.0]
    );
    let f = Volume::from_vec([4, 1, 1], vec![0.0f64, 1.0, 0.5, 0.2], g).unwrap();
    let p = ClaheParams {
        kernel_size: Some([2, 2, 2]),
        ..ClaheParams::default()
    };
    assert_eq!(clahe(&f, &p, &e).unwrap().as_slice(), &[0.0, 1.0, 0.5, 0.0]);
}

#[test]
fn bad_parameters_are_errors() {
    let v = volume::<u8>([8, 8, 8], 1, 256, 0.0);
    let e = Executor::default();
    let bad = |p: ClaheParams| {
        matches!(
            clahe(&v, &p, &e),
            Err(FilterError::Parameter { op: "clahe", .. })
        )
    };
    let d = ClaheParams::default();
    assert!(bad(ClaheParams { bins: 0, ..d }));
    assert!(bad(ClaheParams { bins: 16385, ..d }));
    assert!(bad(ClaheParams {
        clip_limit: f64::NAN,
        ..d
    }));
    assert!(bad(ClaheParams {
        clip_limit: -0.1,
        ..d
    }));
    assert!(bad(ClaheParams {
        kernel_size: Some([0, 1, 1]),
        ..d
    }));
    assert!(bad(ClaheParams {
        kernel_size: Some([1 << 40, 1, 1]),
        ..d
    }));
    let mut f = volume::<f32>([8, 8, 8], 1, 10, 0.0);
    f.as_slice_mut()[3] = f32::NAN;
    assert!(clahe(&f, &d, &e).is_err());
    f.as_slice_mut()[3] = f32::INFINITY;
    assert!(clahe(&f, &d, &e).is_err());
    assert!(equalize(&f, 256, &e).is_err());
    assert!(equalize(&v, 0, &e).is_err());
    let wrong = volume::<u8>([8, 8, 7], 1, 2, 0.0);
    assert!(equalize_masked(&v, &wrong, 256, &e).is_err());
    let empty = volume::<u8>([8, 8, 8], 1, 1, 0.0);
    assert!(equalize_masked(&v, &empty, 256, &e).is_err());
    // Too many bins for a narrow f32 range (numpy raises too).
    let narrow =
        Volume::from_vec([2, 1, 1], vec![1000.0f32, 1000.001], Geometry::default()).unwrap();
    assert!(equalize(&narrow, 100_000, &e).is_err());
}

#[test]
fn registered_by_name() {
    let f: Filter = serde_json::from_str(r#"{"op":"equalize","bins":64}"#).unwrap();
    assert_eq!(f.name(), "equalize");
    assert_eq!(
        f,
        Filter::Equalize(EqualizeParams {
            bins: 64,
            mask: None
        })
    );
    let c: Filter =
        serde_json::from_str(r#"{"op":"clahe","kernel_size":[8,8,4],"slice_by_slice":true}"#)
            .unwrap();
    assert_eq!(c.name(), "clahe");
    let v = volume::<u8>([8, 8, 8], 1, 256, 0.0).into();
    assert!(c.apply(&v, &Executor::default()).is_ok());
}
