//! Label statistics and overlap metrics against brute-force implementations of
//! their definitions, on random label maps with anisotropic spacing and an oblique
//! direction; results identical for 1, 2 and 4 threads; bad input is an error.

#[path = "../../medvox-filters/tests/common/mod.rs"]
mod common;

use medvox_core::{Executor, Geometry, Volume};
use medvox_segment::labelstats::{label_stats, label_stats_with_image, LabelStatsParams};
use medvox_segment::overlap::{overlap, OverlapParams};
use medvox_segment::surface::percentile;

fn geometry() -> Geometry {
    let (c, s) = (0.3f64.cos(), 0.3f64.sin());
    Geometry::new(
        [0.8, 1.7, 2.5],
        [10.0, -4.0, 33.0],
        [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]],
    )
    .unwrap()
}

/// Blobs of labels 1..=k (boxes at random places) on a grid of `size`.
fn blobs(size: [usize; 3], k: u64, seed: u64) -> Volume<u16> {
    let mut r = common::lcg(seed, 1);
    let mut v = vec![0u16; size.iter().product()];
    for l in 1..=k {
        let lo: Vec<usize> = (0..3)
            .map(|a| r.next().unwrap() as usize % size[a])
            .collect();
        let ext: Vec<usize> = (0..3)
            .map(|a| 1 + r.next().unwrap() as usize % (size[a] / 2 + 1))
            .collect();
        for z in lo[2]..(lo[2] + ext[2]).min(size[2]) {
            for y in lo[1]..(lo[1] + ext[1]).min(size[1]) {
                for x in lo[0]..(lo[0] + ext[0]).min(size[0]) {
                    v[(z * size[1] + y) * size[0] + x] = l as u16;
                }
            }
        }
    }
    Volume::from_vec(size, v, geometry()).unwrap()
}

fn idx(i: usize, size: [usize; 3]) -> [usize; 3] {
    [
        i % size[0],
        (i / size[0]) % size[1],
        i / (size[0] * size[1]),
    ]
}

#[test]
fn stats_match_brute_force_and_threads() {
    let size = [23, 17, 9];
    let lab = blobs(size, 6, 3);
    let img: Vec<f64> = common::lcg(7, 0)
        .take(lab.len())
        .map(|x| (x % 2000) as f64 - 1000.0)
        .collect();
    let img = Volume::from_vec(size, img, geometry()).unwrap();
    let p = LabelStatsParams::default();
    let got = label_stats_with_image(&lab, &img, &p, &Executor::new(1).unwrap()).unwrap();
    for t in [2, 4] {
        let e = Executor::new(t).unwrap();
        assert_eq!(got, label_stats_with_image(&lab, &img, &p, &e).unwrap());
    }
    let mut labels: Vec<u16> = lab.as_slice().iter().copied().filter(|&l| l != 0).collect();
    labels.sort_unstable();
    labels.dedup();
    assert_eq!(
        got.iter().map(|s| s.label).collect::<Vec<_>>(),
        labels.iter().map(|&l| l as i64).collect::<Vec<_>>()
    );
    for s in &got {
        let members: Vec<usize> = (0..lab.len())
            .filter(|&i| lab.as_slice()[i] as i64 == s.label)
            .collect();
        let n = members.len() as f64;
        assert_eq!(s.voxels, members.len() as u64);
        assert!((s.volume_mm3 - n * 0.8 * 1.7 * 2.5).abs() < 1e-9 * s.volume_mm3);
        let mut c = [0.0; 3];
        for &i in &members {
            let p = idx(i, size);
            for a in 0..3 {
                c[a] += p[a] as f64 / n;
                assert!(s.bbox_min[a] <= p[a] && p[a] <= s.bbox_max[a]);
            }
        }
        let cm = geometry().index_to_physical(c);
        for (got, want) in s.centroid_mm.iter().zip(cm) {
            assert!((got - want).abs() < 1e-9, "{s:?}");
        }
        let mut vals: Vec<f64> = members.iter().map(|&i| img.as_slice()[i]).collect();
        let mean = vals.iter().sum::<f64>() / n;
        let var = vals.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0).max(1.0);
        let i = s.intensity.unwrap();
        assert!((i.mean - mean).abs() < 1e-9 * mean.abs().max(1.0));
        assert!((i.std - var.sqrt()).abs() < 1e-9 * var.sqrt().max(1.0));
        vals.sort_by(f64::total_cmp);
        let m = vals.len();
        let med = if m % 2 == 1 {
            vals[m / 2]
        } else {
            0.5 * (vals[m / 2 - 1] + vals[m / 2])
        };
        assert_eq!(i.median, med);
        assert_eq!((i.min, i.max), (vals[0], vals[m - 1]));
    }
}

#[test]
fn stats_edge_cases_and_errors() {
    let e = Executor::default();
    let p = LabelStatsParams::default();
    // One voxel thick, a one-voxel label, an all-background map.
    let v = Volume::from_vec([5, 1, 1], vec![0u8, 4, 0, 0, 9], geometry()).unwrap();
    let s = label_stats(&v, &p, &e).unwrap();
    assert_eq!(
        (s[0].label, s[0].voxels, s[0].bbox_min, s[0].bbox_max),
        (4, 1, [1, 0, 0], [1, 0, 0])
    );
    assert_eq!(
        s[0].centroid_mm,
        geometry().index_to_physical([1.0, 0.0, 0.0])
    );
    let z = Volume::<i8>::zeros([3, 3, 3], geometry()).unwrap();
    assert!(label_stats(&z, &p, &e).unwrap().is_empty());
    // Float labels must be integers; image grids must match.
    let f = Volume::from_vec([2, 1, 1], vec![1.0f32, 2.5], geometry()).unwrap();
    assert!(label_stats(&f, &p, &e).is_err());
    let img = Volume::<f32>::zeros([4, 1, 1], geometry()).unwrap();
    assert!(label_stats_with_image(&v, &img, &p, &e).is_err());
    let mut g = geometry();
    g.spacing[0] = 0.9;
    let img = Volume::<f32>::zeros([5, 1, 1], g).unwrap();
    assert!(label_stats_with_image(&v, &img, &p, &e).is_err());
}

/// Squared-free brute force of the documented distances between masks `s` and `t`.
fn brute(s: &[bool], t: &[bool], size: [usize; 3], sp: [f64; 3]) -> (f64, f64, f64) {
    let dist = |i: usize, j: usize| {
        let (p, q) = (idx(i, size), idx(j, size));
        (0..3)
            .map(|a| ((p[a] as f64 - q[a] as f64) * sp[a]).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let pts = |m: &[bool]| (0..m.len()).filter(|&i| m[i]).collect::<Vec<_>>();
    let surf = |m: &[bool]| {
        pts(m)
            .into_iter()
            .filter(|&i| {
                let p = idx(i, size);
                (0..3).any(|a| {
                    [-1isize, 1].iter().any(|&d| {
                        let mut q = p.map(|x| x as isize);
                        q[a] += d;
                        q[a] < 0
                            || q[a] >= size[a] as isize
                            || !m[(q[2] as usize * size[1] + q[1] as usize) * size[0]
                                + q[0] as usize]
                    })
                })
            })
            .collect::<Vec<_>>()
    };
    let directed = |a: &[usize], b: &[usize]| -> Vec<f64> {
        a.iter()
            .map(|&i| b.iter().map(|&j| dist(i, j)).fold(f64::INFINITY, f64::min))
            .collect()
    };
    let (ps, pt) = (pts(s), pts(t));
    let hd = directed(&ps, &pt)
        .into_iter()
        .chain(directed(&pt, &ps))
        .fold(0.0, f64::max);
    let (bs, bt) = (surf(s), surf(t));
    let (mut st, mut ts) = (directed(&bs, &bt), directed(&bt, &bs));
    let assd = (st.iter().sum::<f64>() + ts.iter().sum::<f64>()) / (st.len() + ts.len()) as f64;
    let hd95 = percentile(&mut st, 95.0).max(percentile(&mut ts, 95.0));
    (hd, hd95, assd)
}

#[test]
fn overlap_matches_brute_force_and_threads() {
    let size = [14, 11, 7];
    let (a, b) = (blobs(size, 4, 11), blobs(size, 4, 12));
    let p = OverlapParams::default();
    let got = overlap(&a, &b, &p, &Executor::new(1).unwrap()).unwrap();
    for t in [2, 4] {
        assert_eq!(
            got,
            overlap(&a, &b, &p, &Executor::new(t).unwrap()).unwrap()
        );
    }
    let sp = geometry().spacing;
    let close = |x: Option<f64>, y: f64| (x.unwrap() - y).abs() <= 1e-5 * y.max(1.0);
    let (sa, sb) = (a.as_slice(), b.as_slice());
    let (mut si, mut sst, mut su) = (0u64, 0u64, 0u64);
    for l in &got.labels {
        let s: Vec<bool> = sa.iter().map(|&v| v as i64 == l.label).collect();
        let t: Vec<bool> = sb.iter().map(|&v| v as i64 == l.label).collect();
        let (ns, nt) = (
            s.iter().filter(|&&x| x).count() as u64,
            t.iter().filter(|&&x| x).count() as u64,
        );
        let ni = s.iter().zip(&t).filter(|(x, y)| **x && **y).count() as u64;
        assert_eq!((l.voxels_a, l.voxels_b, l.intersection), (ns, nt, ni));
        assert_eq!(l.dice, 2.0 * ni as f64 / (ns + nt) as f64);
        (si, sst, su) = (si + ni, sst + ns + nt, su + ns + nt - ni);
        if ns == 0 || nt == 0 {
            assert!(l.distances.hausdorff_mm.is_none());
            continue;
        }
        let (hd, hd95, assd) = brute(&s, &t, size, sp);
        assert!(close(l.distances.hausdorff_mm, hd), "{l:?} {hd}");
        assert!(close(l.distances.hausdorff95_mm, hd95), "{l:?} {hd95}");
        assert!(close(l.distances.assd_mm, assd), "{l:?} {assd}");
    }
    assert_eq!(got.overall.dice, Some(2.0 * si as f64 / sst as f64));
    assert_eq!(got.overall.jaccard, Some(si as f64 / su as f64));
    let fa: Vec<bool> = sa.iter().map(|&v| v != 0).collect();
    let fb: Vec<bool> = sb.iter().map(|&v| v != 0).collect();
    let (hd, hd95, assd) = brute(&fa, &fb, size, sp);
    let d = got.overall.distances;
    assert!(close(d.hausdorff_mm, hd) && close(d.hausdorff95_mm, hd95) && close(d.assd_mm, assd));
}

#[test]
fn overlap_edge_cases() {
    let e = Executor::default();
    let p = OverlapParams::default();
    // An object filling a one-voxel-thick image still has a surface.
    let full = Volume::from_vec([4, 1, 1], vec![1u8; 4], geometry()).unwrap();
    let r = overlap(&full, &full, &p, &e).unwrap();
    assert_eq!(r.labels[0].dice, 1.0);
    assert_eq!(r.labels[0].distances.assd_mm, Some(0.0));
    let part = Volume::from_vec([4, 1, 1], vec![1u8, 0, 0, 0], geometry()).unwrap();
    let r = overlap(&part, &full, &p, &e).unwrap();
    assert!((r.labels[0].distances.hausdorff_mm.unwrap() - 3.0 * 0.8).abs() < 1e-6);
    // Empty maps: nothing defined; grids must match.
    let z = Volume::<u8>::zeros([4, 1, 1], geometry()).unwrap();
    let r = overlap(&z, &z, &p, &e).unwrap();
    assert!(
        r.labels.is_empty()
            && r.overall.dice.is_none()
            && r.overall.distances.hausdorff_mm.is_none()
    );
    let other = Volume::<u8>::zeros([4, 2, 1], geometry()).unwrap();
    assert!(overlap(&z, &other, &p, &e).is_err());
}

#[test]
fn canny_step_edge_plans_threads_and_errors() {
    use medvox_core::BlockPlan;
    use medvox_segment::canny::{canny, canny_with_plan, CannyParams};
    // A ramp-smoothed step along x (values 0 | 100 between x = 9 and 10) and noise.
    let size = [20, 12, 6];
    let mut r = common::lcg(21, 0);
    let v: Vec<f32> = (0..size.iter().product::<usize>())
        .map(|i| if i % size[0] >= 10 { 100.0 } else { 0.0 } + (r.next().unwrap() % 3) as f32)
        .collect();
    let vol = Volume::from_vec(size, v, Geometry::default()).unwrap();
    let p = CannyParams::new(2.0, 5.0, 20.0);
    let e = canny(&vol, &p, &Executor::new(1).unwrap()).unwrap();
    // Every row has exactly one edge voxel, next to the step.
    for row in e.as_slice().chunks(size[0]) {
        let xs: Vec<usize> = (0..size[0]).filter(|&x| row[x] == 1).collect();
        assert!(xs.len() == 1 && (9..=10).contains(&xs[0]), "{xs:?}");
    }
    for t in [2, 4] {
        let ex = Executor::new(t).unwrap();
        assert_eq!(e, canny(&vol, &p, &ex).unwrap());
        for plan in [
            BlockPlan::new(size, [7, 5, 2], [1, 1, 1]).unwrap(),
            BlockPlan::slabs(size, 1, [2, 2, 2]).unwrap(),
        ] {
            assert_eq!(e, canny_with_plan(&vol, &p, &ex, &plan).unwrap());
        }
    }
    let ex = Executor::default();
    assert!(canny(&vol, &CannyParams::new(-1.0, 1.0, 2.0), &ex).is_err());
    assert!(canny(&vol, &CannyParams::new(1.0, 3.0, 2.0), &ex).is_err());
    assert!(canny(&vol, &CannyParams::new(1.0, f64::NAN, 2.0), &ex).is_err());
    let plan = BlockPlan::new(size, [7, 5, 2], [0, 0, 0]).unwrap();
    assert!(canny_with_plan(&vol, &p, &ex, &plan).is_err());
}
