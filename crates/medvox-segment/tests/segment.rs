//! Segmentation ops against naive implementations written here, on random
//! volumes, for every connectivity, thread count and block plan.

use std::collections::VecDeque;

use medvox_core::{BlockPlan, Executor, Geometry, Volume};
use medvox_segment::auto_threshold::{
    auto_threshold, compute_thresholds, histogram, otsu_multiple, AutoThresholdParams, Method,
};
use medvox_segment::components::{
    components, components_by_value, components_with_plan, ComponentsParams, LabelOrder,
};
use medvox_segment::postprocess::{fill_holes, keep_largest, relabel, PostParams};
use medvox_segment::region_grow::{region_grow, Criterion, RegionGrowParams};
use medvox_segment::threshold::{threshold, ThresholdParams};
use medvox_segment::watershed::{watershed_from_markers, watershed_level, WatershedParams};
use medvox_segment::Connectivity;

/// Deterministic pseudo-random numbers in [0, 1) (64-bit LCG).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn random_mask(size: [usize; 3], p: f64, seed: u64) -> Volume<u8> {
    let mut r = Lcg(seed);
    let n = size.iter().product();
    let d = (0..n).map(|_| u8::from(r.next() < p)).collect();
    Volume::from_vec(size, d, Geometry::default()).unwrap()
}

const CONNS: [Connectivity; 3] = [Connectivity::Face, Connectivity::Edge, Connectivity::Full];

fn neighbours(c: Connectivity, size: [usize; 3], i: usize) -> Vec<usize> {
    let (x, y, z) = (
        i % size[0],
        (i / size[0]) % size[1],
        i / (size[0] * size[1]),
    );
    let mut v = Vec::new();
    for dz in -1i64..=1 {
        for dy in -1i64..=1 {
            for dx in -1i64..=1 {
                let nz = (dx != 0) as u32 + (dy != 0) as u32 + (dz != 0) as u32;
                let max = match c {
                    Connectivity::Face => 1,
                    Connectivity::Edge => 2,
                    Connectivity::Full => 3,
                };
                if nz == 0 || nz > max {
                    continue;
                }
                let q = [x as i64 + dx, y as i64 + dy, z as i64 + dz];
                if (0..3).all(|a| q[a] >= 0 && q[a] < size[a] as i64) {
                    v.push(q[0] as usize + size[0] * (q[1] as usize + size[1] * q[2] as usize));
                }
            }
        }
    }
    v
}

/// Breadth-first labelling in raster order of the first voxel.
fn naive_components(m: &Volume<u8>, c: Connectivity) -> Vec<u32> {
    naive_components_by(m, c, |_, _| true)
}

/// As [`naive_components`], neighbours joining only when `join(value, value)`.
fn naive_components_by(m: &Volume<u8>, c: Connectivity, join: impl Fn(u8, u8) -> bool) -> Vec<u32> {
    let size = m.size();
    let d = m.as_slice();
    let mut out = vec![0u32; d.len()];
    let mut next = 0;
    for s in 0..d.len() {
        if d[s] == 0 || out[s] != 0 {
            continue;
        }
        next += 1;
        out[s] = next;
        let mut q = VecDeque::from([s]);
        while let Some(i) = q.pop_front() {
            for j in neighbours(c, size, i) {
                if d[j] != 0 && out[j] == 0 && join(d[i], d[j]) {
                    out[j] = next;
                    q.push_back(j);
                }
            }
        }
    }
    out
}

#[test]
fn components_match_naive_for_every_plan_and_thread_count() {
    for (size, p) in [
        ([23, 17, 11], 0.45),
        ([40, 31, 1], 0.5),
        ([1, 1, 30], 0.6),
        ([9, 1, 13], 0.5),
    ] {
        let m = random_mask(size, p, 7 + size[0] as u64);
        for c in CONNS {
            let want = naive_components(&m, c);
            let params = ComponentsParams {
                connectivity: c,
                ..Default::default()
            };
            for threads in [1, 2, 4] {
                let e = Executor::new(threads).unwrap();
                let got = components(&m, &params, &e).unwrap();
                assert_eq!(got.labels.as_slice(), &want[..], "{size:?} {c:?} {threads}");
                for block in [
                    [1, 1, 1],
                    [5, 4, 3],
                    [size[0], size[1], 2],
                    [7, 17, 11],
                    [64, 64, 64],
                ] {
                    let plan = BlockPlan::new(size, block, [0; 3]).unwrap();
                    let got = components_with_plan(&m, &params, &e, &plan).unwrap();
                    assert_eq!(got.labels.as_slice(), &want[..], "{size:?} {c:?} {block:?}");
                }
            }
        }
    }
}

#[test]
fn components_of_long_rows_and_by_value() {
    // Rows longer than one 64-voxel word; values 0..=3 for the by-value mode.
    let size = [150, 9, 7];
    let m = random_mask(size, 0.6, 5);
    let mut r = Lcg(11);
    let d: Vec<u8> = (0..size.iter().product())
        .map(|_| (r.next() * 4.0) as u8)
        .collect();
    let v = Volume::from_vec(size, d, Geometry::default()).unwrap();
    for c in CONNS {
        let params = ComponentsParams {
            connectivity: c,
            ..Default::default()
        };
        let want = naive_components(&m, c);
        let want_v = naive_components_by(&v, c, |a, b| a == b);
        for threads in [1, 3] {
            let e = Executor::new(threads).unwrap();
            let got = components(&m, &params, &e).unwrap();
            assert_eq!(got.labels.as_slice(), &want[..], "{c:?} {threads}");
            let got = components_by_value(&v, &params, &e).unwrap();
            assert_eq!(
                got.labels.as_slice(),
                &want_v[..],
                "by value {c:?} {threads}"
            );
        }
    }
}

#[test]
fn components_order_min_size_keep_largest() {
    let m = random_mask([30, 20, 10], 0.3, 99);
    let e = Executor::new(2).unwrap();
    let raster = naive_components(&m, Connectivity::Face);
    let k = *raster.iter().max().unwrap() as usize;
    let mut sizes = vec![0u64; k + 1];
    raster.iter().for_each(|&l| sizes[l as usize] += 1);
    // Size order: stable sort of raster labels by decreasing size.
    let mut by_size: Vec<usize> = (1..=k).collect();
    by_size.sort_by(|a, b| sizes[*b].cmp(&sizes[*a]));
    let mut rank = vec![0u32; k + 1];
    for (r, &l) in by_size.iter().enumerate() {
        rank[l] = r as u32 + 1;
    }
    let p = ComponentsParams {
        order: LabelOrder::Size,
        ..Default::default()
    };
    let got = components(&m, &p, &e).unwrap();
    let want: Vec<u32> = raster.iter().map(|&l| rank[l as usize]).collect();
    assert_eq!(got.labels.as_slice(), &want[..]);
    assert!(got.sizes.windows(2).all(|w| w[0] >= w[1]));
    // min_size: drop small components, renumber the rest in raster order.
    let p = ComponentsParams {
        min_size: 3,
        ..Default::default()
    };
    let got = components(&m, &p, &e).unwrap();
    let mut map = vec![0u32; k + 1];
    let mut n = 0;
    for (i, &l) in raster.iter().enumerate() {
        let _ = i;
        if l != 0 && sizes[l as usize] >= 3 && map[l as usize] == 0 {
            n += 1;
            map[l as usize] = n;
        }
    }
    let want: Vec<u32> = raster.iter().map(|&l| map[l as usize]).collect();
    assert_eq!(got.labels.as_slice(), &want[..]);
    let p = ComponentsParams {
        keep_largest: true,
        ..Default::default()
    };
    let got = components(&m, &p, &e).unwrap();
    let want: Vec<u32> = raster
        .iter()
        .map(|&l| u32::from(l as usize == by_size[0]))
        .collect();
    assert_eq!(got.labels.as_slice(), &want[..]);
    assert_eq!(got.sizes, vec![sizes[by_size[0]]]);
}

#[test]
fn components_of_empty_and_float_input() {
    let e = Executor::new(1).unwrap();
    let z = Volume::<f32>::zeros([4, 3, 2], Geometry::default()).unwrap();
    let r = components(&z, &ComponentsParams::default(), &e).unwrap();
    assert!(r.sizes.is_empty() && r.labels.as_slice().iter().all(|&l| l == 0));
    let f = Volume::from_vec([3, 1, 1], vec![0.5f32, -2.0, 0.0], Geometry::default()).unwrap();
    let r = components(&f, &ComponentsParams::default(), &e).unwrap();
    assert_eq!(r.labels.as_slice(), &[1, 1, 0]);
}

#[test]
fn binary_threshold_and_errors() {
    let v = Volume::from_vec([5, 1, 1], vec![-3i16, 0, 5, 10, 11], Geometry::default()).unwrap();
    let e = Executor::new(2).unwrap();
    let p = ThresholdParams {
        lower: Some(0.0),
        upper: Some(10.0),
    };
    assert_eq!(threshold(&v, &p, &e).unwrap().as_slice(), &[0, 1, 1, 1, 0]);
    let open = ThresholdParams {
        lower: None,
        upper: Some(0.0),
    };
    assert_eq!(
        threshold(&v, &open, &e).unwrap().as_slice(),
        &[1, 1, 0, 0, 0]
    );
    for bad in [
        ThresholdParams::default(),
        ThresholdParams {
            lower: Some(f64::NAN),
            upper: None,
        },
        ThresholdParams {
            lower: Some(3.0),
            upper: Some(1.0),
        },
    ] {
        assert!(threshold(&v, &bad, &e).is_err());
    }
}

/// Otsu by the textbook formula: the cut maximising w0·w1·(μ0 − μ1)².
fn textbook_otsu(counts: &[u64], centres: &[f64]) -> usize {
    let (mut best, mut arg) = (-1.0, 0);
    for t in 0..counts.len() - 1 {
        let (mut w0, mut s0, mut w1, mut s1) = (0.0, 0.0, 0.0, 0.0);
        for (i, (&c, &x)) in counts.iter().zip(centres).enumerate() {
            if i <= t {
                w0 += c as f64;
                s0 += c as f64 * x;
            } else {
                w1 += c as f64;
                s1 += c as f64 * x;
            }
        }
        if w0 == 0.0 || w1 == 0.0 {
            continue;
        }
        let v = w0 * w1 * (s0 / w0 - s1 / w1).powi(2);
        if v > best * (1.0 + 1e-12) {
            best = v;
            arg = t;
        }
    }
    arg
}

#[test]
fn otsu_matches_textbook_and_is_thread_independent() {
    let mut r = Lcg(5);
    let d: Vec<f32> = (0..20_000)
        .map(|i| {
            let base = if i % 3 == 0 { 200.0 } else { -50.0 };
            base + (r.next() as f32 - 0.5) * 120.0
        })
        .collect();
    let v = Volume::from_vec([40, 50, 10], d, Geometry::default()).unwrap();
    let e = Executor::new(1).unwrap();
    for bins in [2, 16, 100, 256] {
        let h = histogram(&v, None, bins, &e).unwrap();
        assert_eq!(h.total(), 20_000);
        let centres: Vec<f64> = (0..bins).map(|i| h.value(i)).collect();
        let t = textbook_otsu(&h.counts, &centres);
        assert_eq!(otsu_multiple(&h, 1), vec![h.max[t]], "bins {bins}");
    }
    let p = AutoThresholdParams {
        method: Method::Otsu,
        bins: 128,
    };
    let one = auto_threshold(&v, None, &p, &e).unwrap();
    for t in [2, 4] {
        let other = auto_threshold(&v, None, &p, &Executor::new(t).unwrap()).unwrap();
        assert_eq!(other, one);
    }
    let t = one.thresholds[0];
    assert!(one
        .mask
        .as_slice()
        .iter()
        .zip(v.as_slice())
        .all(|(&m, &x)| m == u8::from(x as f64 > t)));
}

#[test]
fn every_method_gives_a_threshold_inside_the_range_and_bad_params_fail() {
    let mut r = Lcg(11);
    let d: Vec<i16> = (0..4000)
        .map(|i| if i % 4 == 0 { 300 } else { 20 } + (r.next() * 60.0) as i16)
        .collect();
    let v = Volume::from_vec([20, 20, 10], d, Geometry::default()).unwrap();
    let e = Executor::new(2).unwrap();
    for method in [
        Method::Otsu,
        Method::Li,
        Method::Triangle,
        Method::Yen,
        Method::Huang,
        Method::IsoData,
        Method::Mean,
    ] {
        let t =
            compute_thresholds(&v, None, &AutoThresholdParams { method, bins: 64 }, &e).unwrap();
        assert!(t[0] >= 20.0 && t[0] < 360.0, "{method:?} {t:?}");
        if method != Method::Mean {
            assert_eq!(t[0].fract(), 0.0, "integer image: integer threshold");
        }
    }
    let mo = Method::MultiOtsu { classes: 3 };
    let res = auto_threshold(
        &v,
        None,
        &AutoThresholdParams {
            method: mo,
            bins: 64,
        },
        &e,
    )
    .unwrap();
    assert_eq!(res.thresholds.len(), 2);
    assert!(res.mask.as_slice().iter().all(|&l| l <= 2));
    for (method, bins) in [
        (Method::Otsu, 1),
        (Method::Otsu, 0),
        (Method::MultiOtsu { classes: 1 }, 64),
        (Method::MultiOtsu { classes: 64 }, 64),
    ] {
        assert!(compute_thresholds(&v, None, &AutoThresholdParams { method, bins }, &e).is_err());
    }
    // An empty mask has no histogram; a mask of another size is refused.
    let empty = Volume::<u8>::zeros(v.size(), Geometry::default()).unwrap();
    let p = AutoThresholdParams {
        method: Method::Otsu,
        bins: 64,
    };
    assert!(compute_thresholds(&v, Some(&empty), &p, &e).is_err());
    let other = Volume::<u8>::zeros([2, 2, 2], Geometry::default()).unwrap();
    assert!(compute_thresholds(&v, Some(&other), &p, &e).is_err());
}

/// Small regions (the scanline flood) and regions over 1/64 of the volume
/// (parallel components of the interval), 1–3 threads: all equal a naive BFS.
#[test]
fn region_grow_matches_naive_flood() {
    let size = [25, 19, 7];
    let mut r = Lcg(3);
    let d: Vec<f32> = (0..size.iter().product::<usize>())
        .map(|_| (r.next() * 100.0) as f32)
        .collect();
    let v = Volume::from_vec(size, d.clone(), Geometry::default()).unwrap();
    let mut sizes = Vec::new();
    for threads in [1, 2, 3] {
        let e = Executor::new(threads).unwrap();
        for c in CONNS {
            for (lower, upper) in [(20.0, 75.0), (40.0, 62.0), (0.0, 100.0)] {
                let seeds = [[12i64, 9, 3], [0, 0, 0], [24, 18, 6], [3, 17, 5]];
                let p = RegionGrowParams {
                    criterion: Criterion::Threshold { lower, upper },
                    seeds: seeds.to_vec(),
                    seeds_mm: vec![],
                    connectivity: c,
                };
                let got = region_grow(&v, &p, &e).unwrap();
                let inside = |i: usize| d[i] >= lower as f32 && d[i] <= upper as f32;
                let mut want = vec![0u8; d.len()];
                let mut q = VecDeque::new();
                for s in seeds {
                    let i = s[0] as usize + size[0] * (s[1] as usize + size[1] * s[2] as usize);
                    if inside(i) && want[i] == 0 {
                        want[i] = 1;
                        q.push_back(i);
                    }
                }
                while let Some(i) = q.pop_front() {
                    for j in neighbours(c, size, i) {
                        if want[j] == 0 && inside(j) {
                            want[j] = 1;
                            q.push_back(j);
                        }
                    }
                }
                assert_eq!(got.mask.as_slice(), &want[..], "{c:?} [{lower}, {upper}]");
                sizes.push(want.iter().filter(|&&x| x != 0).count());
            }
        }
    }
    // Both paths ran: regions within and beyond 1/64 of the volume.
    let limit = d.len() / 64;
    assert!(sizes.iter().any(|&n| n > 0 && n <= limit), "{sizes:?}");
    assert!(sizes.iter().any(|&n| n > limit), "{sizes:?}");
    let e = Executor::new(2).unwrap();
    // Seeds outside, no seeds, NaN bounds: errors.
    let mut p = RegionGrowParams {
        criterion: Criterion::Threshold {
            lower: 0.0,
            upper: 1.0,
        },
        seeds: vec![[25, 0, 0]],
        seeds_mm: vec![],
        connectivity: Connectivity::Face,
    };
    assert!(region_grow(&v, &p, &e).is_err());
    p.seeds.clear();
    assert!(region_grow(&v, &p, &e).is_err());
    p.seeds_mm = vec![[f64::NAN, 0.0, 0.0]];
    assert!(region_grow(&v, &p, &e).is_err());
    p.seeds_mm = vec![[1.2, 0.4, 0.0]];
    p.criterion = Criterion::Threshold {
        lower: f64::NAN,
        upper: 1.0,
    };
    assert!(region_grow(&v, &p, &e).is_err());
}

#[test]
fn neighborhood_connected_needs_the_whole_box_inside() {
    // A 7×7 plateau of 10 in a field of 0: radius 1 keeps its 5×5 core.
    let size = [11, 11, 1];
    let mut d = vec![0.0f32; 121];
    for y in 2..9 {
        for x in 2..9 {
            d[x + 11 * y] = 10.0;
        }
    }
    let v = Volume::from_vec(size, d, Geometry::default()).unwrap();
    let p = RegionGrowParams {
        criterion: Criterion::Neighborhood {
            lower: 5.0,
            upper: 15.0,
            radius: [1, 1, 1],
        },
        seeds: vec![[5, 5, 0]],
        seeds_mm: vec![],
        connectivity: Connectivity::Face,
    };
    let g = region_grow(&v, &p, &Executor::new(1).unwrap()).unwrap();
    let s: u32 = g.mask.as_slice().iter().map(|&x| x as u32).sum();
    assert_eq!(s, 25);
    assert_eq!(g.mask.as_slice()[3 + 11 * 3], 1);
    assert_eq!(g.mask.as_slice()[2 + 11 * 2], 0);
    // As in ITK, a seed the criterion rejects is still marked (and grows nothing here).
    let p = RegionGrowParams {
        seeds: vec![[0, 0, 0]],
        ..p
    };
    let g = region_grow(&v, &p, &Executor::new(1).unwrap()).unwrap();
    let s: u32 = g.mask.as_slice().iter().map(|&x| x as u32).sum();
    assert_eq!((s, g.mask.as_slice()[0]), (1, 1));
}

#[test]
fn confidence_connected_stays_in_the_bright_square() {
    let size = [20, 20, 1];
    let mut r = Lcg(8);
    let d: Vec<f32> = (0..400)
        .map(|i| {
            let (x, y) = (i % 20, i / 20);
            let base = if (5..15).contains(&x) && (5..15).contains(&y) {
                100.0
            } else {
                0.0
            };
            base + (r.next() as f32 - 0.5) * 10.0
        })
        .collect();
    let v = Volume::from_vec(size, d, Geometry::default()).unwrap();
    let p = RegionGrowParams {
        criterion: Criterion::Confidence {
            multiplier: 2.5,
            iterations: 3,
            radius: 1,
        },
        seeds: vec![[10, 10, 0]],
        seeds_mm: vec![],
        connectivity: Connectivity::Face,
    };
    let g = region_grow(&v, &p, &Executor::new(1).unwrap()).unwrap();
    let s: u32 = g.mask.as_slice().iter().map(|&x| x as u32).sum();
    assert!(s > 80 && s <= 100, "{s}");
    assert!(g.lower > 80.0 && g.upper < 120.0, "{} {}", g.lower, g.upper);
}

#[test]
fn watershed_splits_two_basins() {
    // A 1D profile with minima at x = 1 and x = 7 and a ridge at x = 4.
    let prof = [3.0f32, 0.0, 1.0, 2.0, 5.0, 2.0, 1.0, 0.0, 3.0];
    let v = Volume::from_vec([9, 1, 1], prof.to_vec(), Geometry::default()).unwrap();
    let mut m = vec![0u32; 9];
    m[1] = 1;
    m[7] = 2;
    let mk = Volume::from_vec([9, 1, 1], m, Geometry::default()).unwrap();
    let p = WatershedParams::default();
    let w = watershed_from_markers(&v, &mk, &p).unwrap();
    // The ridge voxel goes to the marker that reaches it first: marker 1 (queued first).
    assert_eq!(w.as_slice(), &[1, 1, 1, 1, 1, 2, 2, 2, 2]);
    let lines = WatershedParams { lines: true, ..p };
    let w = watershed_from_markers(&v, &mk, &lines).unwrap();
    assert_eq!(w.as_slice(), &[1, 1, 1, 1, 0, 2, 2, 2, 2]);
    let e = Executor::new(2).unwrap();
    let lvl = watershed_level(&v, &WatershedParams { level: 0.5, ..p }, &e).unwrap();
    assert_eq!(lvl.as_slice(), &[1, 1, 1, 1, 1, 2, 2, 2, 2]);
    // A level deeper than the shallower basin merges it: one label.
    let shallow = [3.0f32, 0.0, 1.0, 2.0, 2.5, 2.0, 1.9, 1.8, 3.0];
    let v2 = Volume::from_vec([9, 1, 1], shallow.to_vec(), Geometry::default()).unwrap();
    let lvl = watershed_level(&v2, &WatershedParams { level: 1.0, ..p }, &e).unwrap();
    assert!(lvl.as_slice().iter().all(|&l| l == 1));
    // Size mismatch and negative level are errors.
    let small = Volume::<u32>::zeros([3, 1, 1], Geometry::default()).unwrap();
    assert!(watershed_from_markers(&v, &small, &p).is_err());
    assert!(watershed_level(&v, &WatershedParams { level: -1.0, ..p }, &e).is_err());
}

#[test]
fn postprocess_relabel_keep_largest_fill_holes() {
    let e = Executor::new(2).unwrap();
    let d = vec![0u16, 7, 7, 0, 3, 0, 7, 0, 0, 5];
    let v = Volume::from_vec([10, 1, 1], d, Geometry::default()).unwrap();
    let p = PostParams::default();
    assert_eq!(
        relabel(&v, &p).unwrap().as_slice(),
        &[0, 1, 1, 0, 2, 0, 1, 0, 0, 3]
    );
    let size = PostParams {
        order: LabelOrder::Size,
        ..p
    };
    assert_eq!(
        relabel(&v, &size).unwrap().as_slice(),
        &[0, 1, 1, 0, 2, 0, 1, 0, 0, 3]
    );
    assert_eq!(
        keep_largest(&v, &p, &e).unwrap().as_slice(),
        &[0, 7, 7, 0, 3, 0, 0, 0, 0, 5]
    );
    // A ring of 2 around a hole (0) and around a voxel of label 1 in 2D.
    let mut d = vec![0u8; 49];
    for y in 1..6 {
        for x in 1..6 {
            if x == 1 || x == 5 || y == 1 || y == 5 {
                d[x + 7 * y] = 2;
            }
        }
    }
    d[3 + 7 * 3] = 1;
    let ring = Volume::from_vec([7, 7, 1], d.clone(), Geometry::default()).unwrap();
    let f = fill_holes(&ring, &p).unwrap();
    let mut want: Vec<u32> = d.iter().map(|&x| x as u32).collect();
    for y in 2..5 {
        for x in 2..5 {
            if !(x == 3 && y == 3) {
                want[x + 7 * y] = 2;
            }
        }
    }
    assert_eq!(f.as_slice(), &want[..]);
    // Fractional label values are refused.
    let bad = Volume::from_vec([2, 1, 1], vec![0.5f32, 1.0], Geometry::default()).unwrap();
    assert!(relabel(&bad, &p).is_err());
}
