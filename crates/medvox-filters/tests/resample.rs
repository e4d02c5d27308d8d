//! Resampling: identity grids, exactness on linear ramps, label sets, a per-voxel
//! oracle through physical space (anisotropic spacing, oblique directions,
//! default values), one-voxel-thick axes, thread/plan independence and errors.

mod common;

use medvox_core::{AnyVolume, BlockPlan, Executor, Geometry, Pixel, Volume};
use medvox_filters::resample::{
    resample_float, resample_keep_type, resample_with_plan, Grid, GridSpec, ResampleParams,
};
use medvox_filters::{Filter, FilterError, Interpolation};

fn noise<T: Pixel>(size: [usize; 3], seed: u64, modulo: u64, g: Geometry) -> Volume<T> {
    let n: usize = size.iter().product();
    let v = common::lcg(seed, 3)
        .take(n)
        .map(|r| T::from_f64((r % modulo) as f64))
        .collect();
    Volume::from_vec(size, v, g).unwrap()
}

fn geom(spacing: [f64; 3], origin: [f64; 3], direction: [[f64; 3]; 3]) -> Geometry {
    Geometry::new(spacing, origin, direction).unwrap()
}

fn rot(ax: f64, az: f64) -> [[f64; 3]; 3] {
    let (sa, ca) = ax.sin_cos();
    let (sz, cz) = az.sin_cos();
    // Rz(az) · Rx(ax)
    let rx = [[1.0, 0.0, 0.0], [0.0, ca, -sa], [0.0, sa, ca]];
    let rz = [[cz, -sz, 0.0], [sz, cz, 0.0], [0.0, 0.0, 1.0]];
    medvox_core::geometry::mat_mul(&rz, &rx)
}

fn exec(threads: usize) -> Executor {
    Executor::new(threads).unwrap()
}

fn plan(grid: &Grid) -> BlockPlan {
    BlockPlan::slabs(grid.size, 3, [0; 3]).unwrap()
}

/// Reference value of one output voxel, computed through physical space with
/// `Geometry::index_to_physical` / `physical_to_index` (no shared tables).
fn oracle(vol: &Volume<f64>, grid: &Grid, i: [usize; 3], kind: Interpolation) -> Option<f64> {
    let p = grid
        .geometry
        .index_to_physical([i[0] as f64, i[1] as f64, i[2] as f64]);
    let c = vol.geometry().physical_to_index(p);
    let n = vol.size();
    if (0..3).any(|a| c[a] < -0.5 || c[a] >= n[a] as f64 - 0.5) {
        return None;
    }
    let clamp = |v: f64, a: usize| (v.max(0.0) as usize).min(n[a] - 1);
    match kind {
        Interpolation::Nearest => {
            let j: [usize; 3] = std::array::from_fn(|a| clamp((c[a] + 0.5).floor(), a));
            vol.get(j)
        }
        Interpolation::Linear => {
            let mut sum = 0.0;
            for corner in 0..8 {
                let mut w = 1.0;
                let mut j = [0; 3];
                for a in 0..3 {
                    let b = c[a].floor();
                    let t = c[a] - b;
                    let hi = (corner >> a) & 1 == 1;
                    w *= if hi { t } else { 1.0 - t };
                    j[a] = clamp(b + hi as u8 as f64, a);
                }
                sum += w * vol.get(j).unwrap();
            }
            Some(sum)
        }
        _ => unreachable!(),
    }
}

fn check_against_oracle(vol: &Volume<f64>, grid: &Grid, kind: Interpolation, default: f64) {
    let e = exec(2);
    let out = resample_float(vol, grid, kind, default, &e, &plan(grid)).unwrap();
    assert_eq!(out.size(), grid.size);
    assert_eq!(out.geometry(), &grid.geometry);
    let mut outside = 0;
    for z in 0..grid.size[2] {
        for y in 0..grid.size[1] {
            for x in 0..grid.size[0] {
                let got = out.get([x, y, z]).unwrap();
                match oracle(vol, grid, [x, y, z], kind) {
                    Some(want) => assert!(
                        (got - want).abs() <= 1e-9 * (1.0 + want.abs()),
                        "{kind:?} voxel {:?}: {got} vs {want}",
                        [x, y, z]
                    ),
                    None => {
                        outside += 1;
                        assert_eq!(got, default, "outside voxel {:?}", [x, y, z]);
                    }
                }
            }
        }
    }
    let _ = outside;
}

#[test]
fn identity_grid_gives_the_input_back() {
    let g = geom([0.7, 1.3, 2.5], [10.0, -5.0, 3.0], rot(0.2, 0.4));
    let v: Volume<i16> = noise([9, 7, 5], 1, 2000, g);
    let grid = Grid::of(&v);
    let e = exec(2);
    let p = plan(&grid);
    for kind in [Interpolation::Nearest, Interpolation::Label] {
        let r = resample_keep_type(&v, &grid, kind, -1.0, &e, &p).unwrap();
        assert_eq!(r, v, "{kind:?}");
    }
    let want: Vec<f32> = v.as_slice().iter().map(|&x| x as f32).collect();
    let r = resample_float(&v, &grid, Interpolation::Linear, -1.0, &e, &p).unwrap();
    assert_eq!(r.as_slice(), &want[..]);
    let r = resample_float(&v, &grid, Interpolation::BSpline, -1.0, &e, &p).unwrap();
    for (a, b) in r.as_slice().iter().zip(&want) {
        assert!((a - b).abs() <= 1e-3, "bspline at a sample: {a} vs {b}");
    }
}

#[test]
fn linear_is_exact_on_a_linear_ramp() {
    let g = geom([0.8, 1.1, 2.5], [-3.0, 7.0, 1.0], Geometry::IDENTITY);
    let size = [11, 9, 6];
    let ramp = |c: [f64; 3]| 3.0 * c[0] - 2.0 * c[1] + 0.5 * c[2] + 7.0;
    let data = (0..size[2])
        .flat_map(|z| (0..size[1]).flat_map(move |y| (0..size[0]).map(move |x| [x, y, z])))
        .map(|[x, y, z]| ramp([x as f64, y as f64, z as f64]))
        .collect();
    let v = Volume::from_vec(size, data, g).unwrap();
    let e = exec(2);
    for grid in [
        Grid::with_spacing(size, &g, [0.3, 0.7, 1.9], false).unwrap(),
        Grid::with_size(size, &g, [23, 4, 13], false).unwrap(),
    ] {
        let r =
            resample_float(&v, &grid, Interpolation::Linear, f64::NAN, &e, &plan(&grid)).unwrap();
        for z in 0..grid.size[2] {
            for y in 0..grid.size[1] {
                for x in 0..grid.size[0] {
                    let p = grid
                        .geometry
                        .index_to_physical([x as f64, y as f64, z as f64]);
                    let want = ramp(g.physical_to_index(p));
                    let got = r.get([x, y, z]).unwrap();
                    assert!(
                        (got - want).abs() < 1e-9,
                        "{:?}: {got} vs {want}",
                        [x, y, z]
                    );
                }
            }
        }
    }
}

#[test]
fn output_grid_definitions() {
    // The peers' resample_iso grid: ct_512 (0.7, 0.7, 2.5) → 1 mm is 358×358×498.
    let g = geom([0.7, 0.7, 2.5], [1.0, 2.0, 3.0], rot(0.0, 0.3));
    let grid = Grid::with_spacing([512, 512, 200], &g, [1.0; 3], false).unwrap();
    assert_eq!(grid.size, [358, 358, 498]);
    assert_eq!(grid.geometry.origin, g.origin);
    assert_eq!(grid.geometry.direction, g.direction);
    // NIfTI stores 0.7 as f32.
    let g32 = geom(
        [0.7f32 as f64, 0.7f32 as f64, 2.5],
        [0.0; 3],
        Geometry::IDENTITY,
    );
    let grid = Grid::with_spacing([512, 512, 200], &g32, [1.0; 3], false).unwrap();
    assert_eq!(grid.size, [358, 358, 498]);
    // Exact multiples keep their last sample.
    let grid = Grid::with_spacing([11, 1, 3], &g, [0.35, 1.0, 1.25], false).unwrap();
    assert_eq!(grid.size, [21, 1, 5]);
    // Size: first and last centres kept.
    let grid = Grid::with_size([11, 5, 3], &g, [21, 1, 9], false).unwrap();
    assert_eq!(grid.geometry.spacing, [0.35, 0.7 * 5.0, 2.5 * 2.0 / 8.0]);
    // Extent-preserving: corners kept.
    let id = geom([2.0, 1.0, 1.0], [0.0; 3], Geometry::IDENTITY);
    let grid = Grid::with_size([10, 4, 1], &id, [5, 8, 3], true).unwrap();
    assert_eq!(grid.geometry.spacing, [4.0, 0.5, 1.0 / 3.0]);
    assert_eq!(grid.geometry.origin[0], 1.0);
    assert_eq!(grid.geometry.origin[1], -0.25);
    let grid = Grid::with_spacing([10, 4, 1], &id, [4.0, 0.5, 1.0], true).unwrap();
    assert_eq!(grid.size, [5, 8, 1]);
}

#[test]
fn nearest_and_label_keep_the_label_set() {
    let g = geom([1.0, 1.2, 3.0], [0.0; 3], Geometry::IDENTITY);
    let v: Volume<u8> = noise([12, 10, 6], 4, 5, g);
    let labels = |v: &Volume<u8>| {
        let mut s: Vec<u8> = v.as_slice().to_vec();
        s.sort();
        s.dedup();
        s
    };
    let input = labels(&v);
    let ref_g = geom([0.45, 0.9, 0.7], [0.3, -0.2, 0.4], rot(0.3, -0.5));
    let reference = Grid {
        size: [20, 11, 15],
        geometry: ref_g,
    };
    let spacing = Grid::with_spacing(v.size(), &g, [0.37, 0.61, 1.3], false).unwrap();
    for grid in [spacing, reference] {
        for kind in [Interpolation::Nearest, Interpolation::Label] {
            let r = resample_keep_type(&v, &grid, kind, 0.0, &exec(2), &plan(&grid)).unwrap();
            let got = labels(&r);
            assert!(got.iter().all(|l| input.contains(l)), "{kind:?}: {got:?}");
            assert!(got.len() >= 3, "{kind:?}: {got:?}");
        }
    }
}

/// Label voting on a hand-made case: 7 of the 8 neighbours are 1 but the
/// 8th (label 2) is much closer.
#[test]
fn label_voting_weights() {
    let mut data = vec![1u8; 8];
    data[7] = 2; // voxel (1, 1, 1)
    let v = Volume::from_vec([2, 2, 2], data, Geometry::default()).unwrap();
    let at = |c: f64| Grid {
        size: [1, 1, 1],
        geometry: geom([1.0; 3], [c; 3], Geometry::IDENTITY),
    };
    let run = |c: f64, kind| {
        let grid = at(c);
        resample_keep_type(&v, &grid, kind, 9.0, &exec(1), &plan(&grid))
            .unwrap()
            .as_slice()[0]
    };
    // Weight of label 2 at (c, c, c) is c³: > 1/2 from c = 0.7937.
    assert_eq!(run(0.75, Interpolation::Label), 1);
    assert_eq!(run(0.85, Interpolation::Label), 2);
    assert_eq!(run(0.45, Interpolation::Nearest), 1);
    assert_eq!(run(0.55, Interpolation::Nearest), 2);
    assert_eq!(run(1.5, Interpolation::Nearest), 9);
    assert_eq!(run(-0.6, Interpolation::Label), 9);
}

#[test]
fn anisotropic_spacing_matches_the_oracle() {
    let g = geom([0.7, 1.3, 2.5], [5.0, -2.0, 1.0], rot(0.0, 0.5));
    let v: Volume<f64> = noise([13, 9, 7], 2, 1000, g);
    for kind in [Interpolation::Linear, Interpolation::Nearest] {
        for preserve in [false, true] {
            let grid = Grid::with_spacing(v.size(), &g, [0.9, 0.55, 1.7], preserve).unwrap();
            check_against_oracle(&v, &grid, kind, -7.0);
        }
        // A reference with the same direction but shifted and partly outside.
        let grid = Grid {
            size: [15, 12, 9],
            geometry: geom([0.6, 1.1, 1.9], [4.0, -3.0, 4.0], rot(0.0, 0.5)),
        };
        check_against_oracle(&v, &grid, kind, -7.0);
    }
}

#[test]
fn oblique_reference_matches_the_oracle() {
    let g = geom([0.8, 1.0, 1.6], [2.0, 1.0, -3.0], rot(0.4, 0.2));
    let v: Volume<f64> = noise([12, 11, 8], 5, 500, g);
    let grid = Grid {
        size: [14, 13, 11],
        geometry: geom([0.9, 0.7, 1.1], [1.0, 0.5, -4.0], rot(-0.3, 0.9)),
    };
    for kind in [Interpolation::Linear, Interpolation::Nearest] {
        check_against_oracle(&v, &grid, kind, 123.0);
    }
    // A flipped axis is still separable; compare with the oracle too.
    let flip = [[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    let flip = medvox_core::geometry::mat_mul(&g.direction, &flip);
    let grid = Grid {
        size: [10, 11, 8],
        geometry: geom([1.1, 1.0, 1.6], [10.0, 1.0, -3.0], flip),
    };
    check_against_oracle(&v, &grid, Interpolation::Linear, 123.0);
}

#[test]
fn bspline_reproduces_constants_and_samples() {
    let g = geom([1.0, 2.0, 0.5], [0.0; 3], Geometry::IDENTITY);
    let c = Volume::from_vec([7, 5, 4], vec![42.5f32; 140], g).unwrap();
    let grid = Grid {
        size: [20, 9, 9],
        geometry: geom([0.37, 1.1, 0.21], [-0.4, 0.3, -0.2], rot(0.3, 0.1)),
    };
    let r = resample_float(
        &c,
        &grid,
        Interpolation::BSpline,
        0.0,
        &exec(2),
        &plan(&grid),
    )
    .unwrap();
    let inside = r.as_slice().iter().filter(|&&x| x != 0.0).count();
    assert!(inside > 100);
    assert!(r
        .as_slice()
        .iter()
        .all(|&x| x == 0.0 || (x - 42.5).abs() < 1e-4));
    // Upsampling by 2 hits every input sample at even output indices.
    let v: Volume<f64> = noise([9, 8, 6], 6, 300, g);
    let grid = Grid::with_spacing(v.size(), &g, [0.5, 1.0, 0.25], false).unwrap();
    let r = resample_float(
        &v,
        &grid,
        Interpolation::BSpline,
        0.0,
        &exec(2),
        &plan(&grid),
    )
    .unwrap();
    for z in 0..6 {
        for y in 0..8 {
            for x in 0..9 {
                let got = r.get([2 * x, 2 * y, 2 * z]).unwrap();
                let want = v.get([x, y, z]).unwrap();
                assert!((got - want).abs() < 1e-6, "{got} vs {want}");
            }
        }
    }
}

#[test]
fn one_voxel_thick_axis() {
    let g = geom([0.5, 0.8, 3.0], [0.0; 3], Geometry::IDENTITY);
    let v: Volume<i16> = noise([8, 6, 1], 7, 400, g);
    let e = exec(2);
    let grid = Grid::with_spacing(v.size(), &g, [0.25, 0.3, 1.0], false).unwrap();
    assert_eq!(grid.size[2], 1);
    for kind in [Interpolation::Linear, Interpolation::BSpline] {
        let r = resample_float(&v, &grid, kind, -1.0, &e, &plan(&grid)).unwrap();
        for (o, i) in [(0, 0), (14, 7), (6, 3)] {
            let (got, want) = (r.get([o, 0, 0]).unwrap(), v.get([i, 0, 0]).unwrap() as f32);
            assert!((got - want).abs() <= 1e-3, "{kind:?} {got} vs {want}");
        }
    }
    // Spreading 3 centres over one voxel is an error; the extent-preserving grid works
    // and every slice equals the input plane.
    assert!(Grid::with_size(v.size(), &g, [8, 6, 3], false).is_err());
    let grid = Grid::with_size(v.size(), &g, [8, 6, 3], true).unwrap();
    let r = resample_float(&v, &grid, Interpolation::Linear, -1.0, &e, &plan(&grid)).unwrap();
    for z in 0..3 {
        for (i, &x) in v.as_slice().iter().enumerate() {
            assert_eq!(r.as_slice()[z * 48 + i], x as f32);
        }
    }
}

#[test]
fn same_result_for_any_threads_and_plans() {
    let g = geom([0.7, 1.3, 2.5], [0.0; 3], rot(0.1, 0.2));
    let v: Volume<i16> = noise([17, 13, 9], 8, 3000, g);
    let grids = [
        Grid::with_spacing(v.size(), &g, [0.45, 0.9, 1.1], false).unwrap(),
        Grid {
            size: [19, 14, 12],
            geometry: geom([0.6, 0.9, 1.5], [1.0, 2.0, -1.0], rot(0.5, -0.2)),
        },
    ];
    for grid in grids {
        for kind in [
            Interpolation::Nearest,
            Interpolation::Linear,
            Interpolation::BSpline,
            Interpolation::Label,
        ] {
            let params = ResampleParams {
                interpolation: kind,
                default_value: -5.0,
                ..ResampleParams::new(GridSpec::Size(grid.size))
            };
            let run = |threads: usize, p: &BlockPlan| {
                resample_with_plan(&v, &grid, &params, &exec(threads), p).unwrap()
            };
            let reference = run(1, &BlockPlan::new(grid.size, grid.size, [0; 3]).unwrap());
            for threads in [1, 2, 4] {
                for block in [
                    [1, 1, 1],
                    [5, 3, 2],
                    [grid.size[0], grid.size[1], 1],
                    [7, 20, 4],
                ] {
                    let p = BlockPlan::new(grid.size, block, [0; 3]).unwrap();
                    assert_eq!(run(threads, &p), reference, "{kind:?} {threads} {block:?}");
                }
            }
        }
    }
}

#[test]
fn types_and_registered_op() {
    let g = geom([1.0, 1.0, 2.0], [0.0; 3], Geometry::IDENTITY);
    let v: Volume<u16> = noise([6, 5, 4], 9, 1000, g);
    let any = AnyVolume::from(v.clone());
    let e = exec(2);
    let run = |p: ResampleParams| {
        let f = Filter::Resample(p);
        let json = serde_json::to_string(&f).unwrap();
        let back: Filter = serde_json::from_str(&json).unwrap();
        assert_eq!(back, f);
        f.apply(&any, &e).unwrap()
    };
    let mut p = ResampleParams::new(GridSpec::Spacing([0.5, 0.5, 0.5]));
    assert!(matches!(run(p.clone()), AnyVolume::F32(_)));
    p.keep_type = true;
    assert!(matches!(run(p.clone()), AnyVolume::U16(_)));
    p.interpolation = Interpolation::Label;
    p.keep_type = false;
    let r = run(p.clone());
    assert_eq!(r.size(), [11, 9, 13]);
    assert!(matches!(r, AnyVolume::U16(_)));
    let f64v: Volume<f64> = v.cast();
    let r = medvox_filters::resample::resample(
        &f64v,
        &ResampleParams::new(GridSpec::Size([3, 3, 3])),
        &e,
    )
    .unwrap();
    assert!(matches!(r, AnyVolume::F64(_)));
    let parsed: Filter = serde_json::from_str(
        r#"{"op":"resample","grid":{"spacing":[1,1,1]},"interpolation":"bspline"}"#,
    )
    .unwrap();
    assert_eq!(
        parsed,
        Filter::Resample(ResampleParams {
            interpolation: Interpolation::BSpline,
            ..ResampleParams::new(GridSpec::Spacing([1.0; 3]))
        })
    );
}

#[test]
fn bad_parameters_are_errors() {
    let g = Geometry::default();
    let v: Volume<i16> = noise([4, 4, 4], 1, 10, g);
    let any = AnyVolume::from(v.clone());
    let e = exec(1);
    let fails = |p: ResampleParams| {
        let r = Filter::Resample(p).apply(&any, &e);
        assert!(matches!(r, Err(FilterError::Parameter { .. })), "{r:?}");
    };
    for s in [f64::NAN, 0.0, -1.0, f64::INFINITY, 1e-12] {
        fails(ResampleParams::new(GridSpec::Spacing([1.0, s, 1.0])));
    }
    fails(ResampleParams::new(GridSpec::Size([4, 0, 4])));
    fails(ResampleParams::new(GridSpec::Size([
        1 << 20,
        1 << 20,
        1 << 20,
    ])));
    fails(ResampleParams::new(GridSpec::Reference(
        "/nonexistent/ref.nii".into(),
    )));
    fails(ResampleParams {
        interpolation: Interpolation::Nearest,
        default_value: f64::NAN,
        ..ResampleParams::new(GridSpec::Size([2, 2, 2]))
    });
    let empty = Volume::<u8>::zeros([0, 3, 3], g).unwrap();
    assert!(Grid::with_spacing(empty.size(), &g, [1.0; 3], false).is_err());
    // A plan for another grid.
    let grid = Grid::with_size(v.size(), &g, [3, 3, 3], false).unwrap();
    let wrong = BlockPlan::slabs([4, 4, 4], 1, [0; 3]).unwrap();
    assert!(matches!(
        resample_float(&v, &grid, Interpolation::Linear, 0.0, &e, &wrong),
        Err(FilterError::Plan { .. })
    ));
}
