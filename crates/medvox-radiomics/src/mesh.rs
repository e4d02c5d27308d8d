//! Surface mesh of a region mask by marching cubes at iso-level 0.5 (vertices at
//! the midpoints of edges between region and non-region voxel centres), as the
//! IBSI morphology features ask for (IBSI 3.1.1).
//!
//! The case table is generated here rather than copied: for each of the 256
//! corner configurations the surface crosses each face of the cube in one or
//! two segments (a face whose two region corners sit on a diagonal keeps them
//! apart), the segments are oriented as the boundary of the region's part of
//! the cube's surface, chained into loops, and each loop is fanned into
//! triangles. Neighbouring cubes decide a shared face alike, so the surface is
//! closed. Volume comes from the divergence theorem (Σ centroid_x · area-vector_x
//! over the triangles), area from the triangle areas.

/// Corner `c` of the unit cube at `(c & 1, c >> 1 & 1, c >> 2 & 1)`.
fn corner(c: usize) -> [f64; 3] {
    [(c & 1) as f64, ((c >> 1) & 1) as f64, ((c >> 2) & 1) as f64]
}

/// Triangles of each configuration, as triples of edge-midpoint positions
/// in unit-cube coordinates.
fn case_triangles() -> &'static [Vec<[[f64; 3]; 3]>] {
    static TABLE: std::sync::OnceLock<Vec<Vec<[[f64; 3]; 3]>>> = std::sync::OnceLock::new();
    TABLE.get_or_init(build_case_triangles)
}

fn build_case_triangles() -> Vec<Vec<[[f64; 3]; 3]>> {
    // edges: (c0, c1) with c1 = c0 | bit
    let mut edges = Vec::new();
    for c in 0..8usize {
        for a in 0..3 {
            if c & (1 << a) == 0 {
                edges.push((c, c | (1 << a)));
            }
        }
    }
    let edge_id = |p: usize, q: usize| -> usize {
        let (p, q) = (p.min(q), p.max(q));
        edges.iter().position(|&e| e == (p, q)).expect("cube edge")
    };
    let mid = |e: usize| -> [f64; 3] {
        let (p, q) = (corner(edges[e].0), corner(edges[e].1));
        [
            (p[0] + q[0]) / 2.0,
            (p[1] + q[1]) / 2.0,
            (p[2] + q[2]) / 2.0,
        ]
    };
    // faces: cyclic corners and outward normal
    let mut faces = Vec::new();
    for a in 0..3usize {
        let (b, c) = ((a + 1) % 3, (a + 2) % 3);
        for s in 0..2usize {
            let base = s << a;
            let q = [base, base | 1 << b, base | 1 << b | 1 << c, base | 1 << c];
            let mut n = [0.0; 3];
            n[a] = if s == 1 { 1.0 } else { -1.0 };
            faces.push((q, n));
        }
    }
    let sub = |a: [f64; 3], b: [f64; 3]| [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    let cross = |a: [f64; 3], b: [f64; 3]| {
        [
            a[1] * b[2] - a[2] * b[1],
            a[2] * b[0] - a[0] * b[2],
            a[0] * b[1] - a[1] * b[0],
        ]
    };
    let dot = |a: [f64; 3], b: [f64; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    let mut table = Vec::with_capacity(256);
    for cfg in 0..256usize {
        let inside = |c: usize| cfg >> c & 1 == 1;
        let mut next = [usize::MAX; 12];
        for (q, n) in &faces {
            let mut segs: Vec<(usize, usize, usize)> = Vec::new(); // (edge, edge, inside corner)
            let ins: Vec<usize> = (0..4).filter(|&k| inside(q[k])).collect();
            match ins.len() {
                1 | 3 => {
                    // the odd corner out is cut off
                    let odd = (0..4)
                        .find(|&k| inside(q[k]) == (ins.len() == 1))
                        .expect("odd corner");
                    let e1 = edge_id(q[(odd + 3) % 4], q[odd]);
                    let e2 = edge_id(q[odd], q[(odd + 1) % 4]);
                    segs.push((e1, e2, q[ins[0]]));
                }
                2 => {
                    let (k0, k1) = (ins[0], ins[1]);
                    if (k1 - k0) % 2 == 1 {
                        // adjacent inside corners: one segment across the face
                        let crossing: Vec<usize> = (0..4)
                            .filter(|&k| inside(q[k]) != inside(q[(k + 1) % 4]))
                            .map(|k| edge_id(q[k], q[(k + 1) % 4]))
                            .collect();
                        segs.push((crossing[0], crossing[1], q[k0]));
                    } else {
                        for k in [k0, k1] {
                            let e1 = edge_id(q[(k + 3) % 4], q[k]);
                            let e2 = edge_id(q[k], q[(k + 1) % 4]);
                            segs.push((e1, e2, q[k]));
                        }
                    }
                }
                _ => {}
            }
            for (e1, e2, c) in segs {
                let (p, r) = (mid(e1), mid(e2));
                let left = dot(cross(sub(r, p), sub(corner(c), p)), *n) > 0.0;
                if left {
                    next[e1] = e2;
                } else {
                    next[e2] = e1;
                }
            }
        }
        let mut tris = Vec::new();
        let mut used = [false; 12];
        for start in 0..12 {
            if next[start] == usize::MAX || used[start] {
                continue;
            }
            let mut lp = vec![start];
            used[start] = true;
            let mut e = next[start];
            while e != start {
                used[e] = true;
                lp.push(e);
                e = next[e];
            }
            for k in 1..lp.len() - 1 {
                tris.push([mid(lp[0]), mid(lp[k]), mid(lp[k + 1])]);
            }
        }
        table.push(tris);
    }
    table
}

/// Mesh volume (mm³) and area (mm²) of a mask of size `dims` with `spacing`.
pub fn mesh_volume_area(mask: &[bool], dims: [usize; 3], spacing: [f64; 3]) -> (f64, f64) {
    let [nx, ny, nz] = dims;
    // per-configuration area, Σ N_x and Σ c_x N_x in physical units
    let table = case_triangles();
    let mut area = [0f64; 256];
    let mut nxs = [0f64; 256];
    let mut cxn = [0f64; 256];
    for (cfg, tris) in table.iter().enumerate() {
        for t in tris {
            let p: Vec<[f64; 3]> = t
                .iter()
                .map(|v| [v[0] * spacing[0], v[1] * spacing[1], v[2] * spacing[2]])
                .collect();
            let u = [p[1][0] - p[0][0], p[1][1] - p[0][1], p[1][2] - p[0][2]];
            let w = [p[2][0] - p[0][0], p[2][1] - p[0][1], p[2][2] - p[0][2]];
            let n = [
                (u[1] * w[2] - u[2] * w[1]) / 2.0,
                (u[2] * w[0] - u[0] * w[2]) / 2.0,
                (u[0] * w[1] - u[1] * w[0]) / 2.0,
            ];
            area[cfg] += (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
            nxs[cfg] += n[0];
            cxn[cfg] += (p[0][0] + p[1][0] + p[2][0]) / 3.0 * n[0];
        }
    }
    let at = |x: isize, y: isize, z: isize| -> bool {
        x >= 0
            && y >= 0
            && z >= 0
            && (x as usize) < nx
            && (y as usize) < ny
            && (z as usize) < nz
            && mask[x as usize + nx * (y as usize + ny * z as usize)]
    };
    let (mut vol, mut a) = (0.0, 0.0);
    for k in -1..nz as isize {
        for j in -1..ny as isize {
            for i in -1..nx as isize {
                let mut cfg = 0usize;
                for c in 0..8 {
                    if at(
                        i + (c & 1) as isize,
                        j + (c >> 1 & 1) as isize,
                        k + (c >> 2 & 1) as isize,
                    ) {
                        cfg |= 1 << c;
                    }
                }
                if cfg == 0 || cfg == 255 {
                    continue;
                }
                a += area[cfg];
                vol += i as f64 * spacing[0] * nxs[cfg] + cxn[cfg];
            }
        }
    }
    (vol.abs(), a)
}

/// Mesh vertices in doubled index units (`2 * index ± 1` on the crossing axis):
/// the midpoints between each region voxel and its non-region 6-neighbours.
pub fn mesh_vertices(mask: &[bool], dims: [usize; 3]) -> Vec<[i64; 3]> {
    let [nx, ny, nz] = dims;
    let at = |x: isize, y: isize, z: isize| -> bool {
        x >= 0
            && y >= 0
            && z >= 0
            && (x as usize) < nx
            && (y as usize) < ny
            && (z as usize) < nz
            && mask[x as usize + nx * (y as usize + ny * z as usize)]
    };
    let mut out = Vec::new();
    for z in 0..nz as isize {
        for y in 0..ny as isize {
            for x in 0..nx as isize {
                if !at(x, y, z) {
                    continue;
                }
                for a in 0..3 {
                    for s in [-1isize, 1] {
                        let mut d = [0isize; 3];
                        d[a] = s;
                        if !at(x + d[0], y + d[1], z + d[2]) {
                            out.push([
                                (2 * x + d[0]) as i64,
                                (2 * y + d[1]) as i64,
                                (2 * z + d[2]) as i64,
                            ]);
                        }
                    }
                }
            }
        }
    }
    out
}
