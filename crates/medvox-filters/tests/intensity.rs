//! Intensity ops against their formulas written out here, for several thread
//! counts and block plans, integer and float types.

mod common;

use medvox_core::{BlockPlan, Executor, Geometry, Pixel, Volume};
use medvox_filters::intensity::{
    clamp, clamp_with_plan, masked_mean_std, rescale, window, window_with_plan, zscore,
    zscore_masked, zscore_with_plan, ClampParams, RescaleParams, WindowParams,
};
use medvox_filters::{Filter, FilterError};

fn volume<T: Pixel>(size: [usize; 3], seed: u64) -> Volume<T> {
    let n: usize = size.iter().product();
    let v = common::lcg(seed, 1)
        .take(n)
        .map(|r| T::from_f64((r % 2000) as f64 - 1000.0))
        .collect();
    Volume::from_vec(size, v, Geometry::default()).unwrap()
}

fn execs() -> Vec<Executor> {
    [1, 2, 4].map(|t| Executor::new(t).unwrap()).into()
}

#[test]
fn window_formula() {
    let v = volume::<i16>([13, 7, 5], 1);
    let p = WindowParams {
        center: 40.0,
        width: 400.0,
        output_min: 0.0,
        output_max: 255.0,
    };
    let want: Vec<f32> = v
        .as_slice()
        .iter()
        .map(|&x| {
            let t = ((x as f64 - (40.0 - 200.0)) / 400.0).clamp(0.0, 1.0);
            (t * 255.0) as f32
        })
        .collect();
    for e in execs() {
        assert_eq!(window(&v, &p, &e).unwrap().as_slice(), &want[..]);
        let plan = BlockPlan::new(v.size(), [4, 3, 2], [0; 3]).unwrap();
        assert_eq!(
            window_with_plan(&v, &p, &e, &plan).unwrap().as_slice(),
            &want[..]
        );
    }
    let bad = WindowParams::new(0.0, 0.0);
    assert!(matches!(
        window(&v, &bad, &Executor::default()),
        Err(FilterError::Parameter { name: "width", .. })
    ));
}

#[test]
fn rescale_formula_and_constant() {
    let v = volume::<f32>([11, 6, 4], 2);
    let (lo, hi) = v
        .as_slice()
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &x| {
            (a.min(x as f64), b.max(x as f64))
        });
    let p = RescaleParams {
        min: -1.0,
        max: 3.0,
    };
    let want: Vec<f32> = v
        .as_slice()
        .iter()
        .map(|&x| (-1.0 + (x as f64 - lo) * (4.0 / (hi - lo))) as f32)
        .collect();
    for e in execs() {
        assert_eq!(rescale(&v, &p, &e).unwrap().as_slice(), &want[..]);
    }
    let c = Volume::from_vec([3, 1, 1], vec![7u8; 3], Geometry::default()).unwrap();
    let r = rescale(&c, &p, &Executor::default()).unwrap();
    assert_eq!(r.as_slice(), &[-1.0f32; 3]);
}

#[test]
fn clamp_keeps_type() {
    let v = volume::<i16>([9, 5, 3], 3);
    let p = ClampParams {
        lower: Some(-100.0),
        upper: Some(250.0),
    };
    let want: Vec<i16> = v.as_slice().iter().map(|&x| x.clamp(-100, 250)).collect();
    for e in execs() {
        let plan = BlockPlan::new(v.size(), [2, 2, 1], [0; 3]).unwrap();
        assert_eq!(
            clamp_with_plan(&v, &p, &e, &plan).unwrap().as_slice(),
            &want[..]
        );
    }
    let only_lower = ClampParams {
        lower: Some(0.0),
        upper: None,
    };
    let got = clamp(&v, &only_lower, &Executor::default()).unwrap();
    assert!(got.as_slice().iter().all(|&x| x >= 0));
    let u = Volume::from_vec([3, 1, 1], vec![0u8, 100, 255], Geometry::default()).unwrap();
    let got = clamp(
        &u,
        &ClampParams {
            lower: Some(-5.0),
            upper: Some(300.0),
        },
        &Executor::default(),
    )
    .unwrap();
    assert_eq!(got.as_slice(), &[0, 100, 255]);
    assert!(clamp(
        &u,
        &ClampParams {
            lower: Some(3.0),
            upper: Some(1.0)
        },
        &Executor::default()
    )
    .is_err());
}

fn mean_std(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    (
        m,
        (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).sqrt(),
    )
}

#[test]
fn zscore_whole_and_masked() {
    // More than one 64 Ki-voxel reduction chunk.
    let v = volume::<i16>([70, 40, 30], 4);
    let xs: Vec<f64> = v.as_slice().iter().map(|&x| x as f64).collect();
    let (m, s) = mean_std(&xs);
    let ref0 = zscore(&v, &Executor::new(1).unwrap()).unwrap();
    for (g, &x) in ref0.as_slice().iter().zip(&xs) {
        assert!((*g as f64 - (x - m) / s).abs() < 1e-5);
    }
    let mask_data: Vec<u8> = (0..v.len()).map(|i| (i % 7 < 3) as u8 * 5).collect();
    let mask = Volume::from_vec(v.size(), mask_data, Geometry::default()).unwrap();
    let inside: Vec<f64> = xs
        .iter()
        .zip(mask.as_slice())
        .filter(|(_, &k)| k != 0)
        .map(|(&x, _)| x)
        .collect();
    let (mm, ms) = mean_std(&inside);
    let (gm, gs) = masked_mean_std(&v, Some(&mask), &Executor::default()).unwrap();
    assert!((gm - mm).abs() < 1e-9 && (gs - ms).abs() < 1e-9);
    let ref1 = zscore_masked(&v, &mask, &Executor::new(1).unwrap()).unwrap();
    for (g, &x) in ref1.as_slice().iter().zip(&xs) {
        assert!((*g as f64 - (x - mm) / ms).abs() < 1e-5);
    }
    for e in execs() {
        assert_eq!(zscore(&v, &e).unwrap(), ref0);
        let plan = BlockPlan::new(v.size(), [16, 16, 7], [0; 3]).unwrap();
        assert_eq!(zscore_with_plan(&v, Some(&mask), &e, &plan).unwrap(), ref1);
    }
    // Empty mask: all zeros; wrong size: error.
    let empty = v.zeros_like::<u8>();
    let z = zscore_masked(&v, &empty, &Executor::default()).unwrap();
    assert!(z.as_slice().iter().all(|&x| x == 0.0));
    let small = Volume::<u8>::zeros([2, 2, 2], Geometry::default()).unwrap();
    assert!(zscore_masked(&v, &small, &Executor::default()).is_err());
}

#[test]
fn registered_by_name() {
    let f: Filter = serde_json::from_str(r#"{"op":"window","center":40,"width":400}"#).unwrap();
    assert_eq!(f.name(), "window");
    assert_eq!(f, Filter::Window(WindowParams::new(40.0, 400.0)));
    let f: Filter = serde_json::from_str(r#"{"op":"zscore","mask":"m.nii"}"#).unwrap();
    assert_eq!(f.name(), "zscore");
    let f: Filter = serde_json::from_str(r#"{"op":"clamp","lower":0}"#).unwrap();
    assert_eq!(f.name(), "clamp");
    let f: Filter = serde_json::from_str(r#"{"op":"rescale"}"#).unwrap();
    assert_eq!(f, Filter::Rescale(RescaleParams::default()));
}
