//! 3D convex hull of integer points (incremental, exact integer orientation
//! tests, so the many coplanar points of a voxel mesh are handled without
//! tolerances). Points are first thinned to those extreme along their x, y and
//! z rows, which cannot remove a hull vertex.

use std::collections::{HashMap, HashSet};

type P = [i64; 3];

fn orient(a: P, b: P, c: P, p: P) -> i128 {
    let u = [
        (b[0] - a[0]) as i128,
        (b[1] - a[1]) as i128,
        (b[2] - a[2]) as i128,
    ];
    let v = [
        (c[0] - a[0]) as i128,
        (c[1] - a[1]) as i128,
        (c[2] - a[2]) as i128,
    ];
    let w = [
        (p[0] - a[0]) as i128,
        (p[1] - a[1]) as i128,
        (p[2] - a[2]) as i128,
    ];
    w[0] * (u[1] * v[2] - u[2] * v[1])
        + w[1] * (u[2] * v[0] - u[0] * v[2])
        + w[2] * (u[0] * v[1] - u[1] * v[0])
}

/// Keep, for every line parallel to `axis`, only its two extreme points.
fn thin(points: Vec<P>, axis: usize) -> Vec<P> {
    let (b, c) = ((axis + 1) % 3, (axis + 2) % 3);
    let mut ext: HashMap<(i64, i64), (P, P)> = HashMap::new();
    for p in points {
        let e = ext.entry((p[b], p[c])).or_insert((p, p));
        if p[axis] < e.0[axis] {
            e.0 = p;
        }
        if p[axis] > e.1[axis] {
            e.1 = p;
        }
    }
    let mut out: Vec<P> = Vec::with_capacity(ext.len() * 2);
    for (_, (lo, hi)) in ext {
        out.push(lo);
        if hi != lo {
            out.push(hi);
        }
    }
    out.sort_unstable();
    out
}

/// Hull triangles (indices into the returned points), outward-oriented, or
/// `None` when the points are coplanar.
pub fn convex_hull(points: Vec<P>) -> Option<(Vec<P>, Vec<[usize; 3]>)> {
    let pts = thin(thin(thin(points, 0), 1), 2);
    if pts.len() < 4 {
        return None;
    }
    // initial tetrahedron
    let i0 = 0;
    let d2 = |a: P, b: P| -> i128 { (0..3).map(|k| ((a[k] - b[k]) as i128).pow(2)).sum::<i128>() };
    let i1 = (0..pts.len()).max_by_key(|&i| d2(pts[i], pts[i0]))?;
    let cr2 = |p: P| -> i128 {
        let u = [
            (pts[i1][0] - pts[i0][0]) as i128,
            (pts[i1][1] - pts[i0][1]) as i128,
            (pts[i1][2] - pts[i0][2]) as i128,
        ];
        let w = [
            (p[0] - pts[i0][0]) as i128,
            (p[1] - pts[i0][1]) as i128,
            (p[2] - pts[i0][2]) as i128,
        ];
        let c = [
            u[1] * w[2] - u[2] * w[1],
            u[2] * w[0] - u[0] * w[2],
            u[0] * w[1] - u[1] * w[0],
        ];
        c[0] * c[0] + c[1] * c[1] + c[2] * c[2]
    };
    let i2 = (0..pts.len()).max_by_key(|&i| cr2(pts[i]))?;
    let i3 = (0..pts.len()).max_by_key(|&i| orient(pts[i0], pts[i1], pts[i2], pts[i]).abs())?;
    if orient(pts[i0], pts[i1], pts[i2], pts[i3]) == 0 {
        return None;
    }
    let mut faces: Vec<[usize; 3]> = Vec::new();
    let mut alive: Vec<bool> = Vec::new();
    let tet = [i0, i1, i2, i3];
    for k in 0..4 {
        let mut f = [tet[(k + 1) % 4], tet[(k + 2) % 4], tet[(k + 3) % 4]];
        // orient outward: the opposite vertex must be below
        if orient(pts[f[0]], pts[f[1]], pts[f[2]], pts[tet[k]]) > 0 {
            f.swap(1, 2);
        }
        faces.push(f);
        alive.push(true);
    }
    let mut visible = Vec::new();
    let mut edges: HashSet<(usize, usize)> = HashSet::new();
    for (pi, &p) in pts.iter().enumerate() {
        if tet.contains(&pi) {
            continue;
        }
        visible.clear();
        for (fi, f) in faces.iter().enumerate() {
            if alive[fi] && orient(pts[f[0]], pts[f[1]], pts[f[2]], p) > 0 {
                visible.push(fi);
            }
        }
        if visible.is_empty() {
            continue;
        }
        edges.clear();
        for &fi in &visible {
            let f = faces[fi];
            for k in 0..3 {
                edges.insert((f[k], f[(k + 1) % 3]));
            }
            alive[fi] = false;
        }
        let mut horizon: Vec<(usize, usize)> = edges
            .iter()
            .filter(|&&(a, b)| !edges.contains(&(b, a)))
            .copied()
            .collect();
        horizon.sort_unstable();
        for (a, b) in horizon {
            faces.push([a, b, pi]);
            alive.push(true);
        }
        if faces.len() > 64 && alive.iter().filter(|&&x| x).count() * 2 < faces.len() {
            let kept: Vec<[usize; 3]> = faces
                .iter()
                .zip(&alive)
                .filter(|(_, &a)| a)
                .map(|(f, _)| *f)
                .collect();
            faces = kept;
            alive = vec![true; faces.len()];
        }
    }
    let faces: Vec<[usize; 3]> = faces
        .into_iter()
        .zip(alive)
        .filter(|(_, a)| *a)
        .map(|(f, _)| f)
        .collect();
    Some((pts, faces))
}
