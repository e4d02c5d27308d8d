//! Shared pieces of the texture families: neighbour directions, averaging of
//! features over matrices, and the sixteen "emphasis" features that GLRLM,
//! GLSZM, GLDZM and NGLDM compute the same way from a grey level × index
//! matrix (run length, zone size, zone distance, dependence count).

/// Marks a voxel outside the region in compact level arrays.
pub const NONE: u32 = u32::MAX;

/// The 13 unique directions of the 26-neighbourhood (Chebyshev distance 1);
/// the first four lie in the axial plane (dz = 0).
pub const DIRS: [[isize; 3]; 13] = [
    [1, 0, 0],
    [0, 1, 0],
    [1, 1, 0],
    [1, -1, 0],
    [0, 0, 1],
    [1, 0, 1],
    [1, 0, -1],
    [0, 1, 1],
    [0, 1, -1],
    [1, 1, 1],
    [1, 1, -1],
    [1, -1, 1],
    [1, -1, -1],
];

/// Running mean of feature vectors (empty matrices are skipped by the caller).
#[derive(Debug, Default, Clone)]
pub struct Mean {
    sum: Vec<f64>,
    n: usize,
}

impl Mean {
    /// Add one feature vector.
    pub fn add(&mut self, f: &[f64]) {
        if self.sum.is_empty() {
            self.sum = vec![0.0; f.len()];
        }
        for (s, v) in self.sum.iter_mut().zip(f) {
            *s += v;
        }
        self.n += 1;
    }
    /// The mean, or `None` when nothing was added.
    pub fn get(&self) -> Option<Vec<f64>> {
        (self.n > 0).then(|| self.sum.iter().map(|s| s / self.n as f64).collect())
    }
}

/// One non-zero matrix cell: compact grey-level index, second index value (≥ 1), count.
pub type Cell = (u32, u32, f64);

/// The sixteen emphasis/non-uniformity/variance/entropy features (plus the
/// NGLDM energy when `energy`), in IBSI order: short, long, low grey, high grey,
/// short-low, short-high, long-low, long-high, grey level non-uniformity (and
/// normalised), second-index non-uniformity (and normalised), percentage
/// (`Ns / nv`), grey level variance, second-index variance, entropy.
pub fn emphasis_features(cells: &[Cell], vals: &[f64], nv: f64, energy: bool) -> Option<Vec<f64>> {
    let ns: f64 = cells.iter().map(|c| c.2).sum();
    if ns <= 0.0 {
        return None;
    }
    let mut f = [0f64; 8];
    let mut gl = vec![0f64; vals.len()];
    let mut jsum: Vec<(u32, f64)> = Vec::with_capacity(cells.len());
    let (mut mu_i, mut mu_j, mut entr, mut en) = (0.0, 0.0, 0.0, 0.0);
    for &(a, j, c) in cells {
        let i = vals[a as usize];
        let j2 = (j as f64) * (j as f64);
        let i2 = i * i;
        f[0] += c / j2;
        f[1] += c * j2;
        f[2] += c / i2;
        f[3] += c * i2;
        f[4] += c / (i2 * j2);
        f[5] += c * i2 / j2;
        f[6] += c * j2 / i2;
        f[7] += c * i2 * j2;
        gl[a as usize] += c;
        jsum.push((j, c));
        let p = c / ns;
        mu_i += i * p;
        mu_j += j as f64 * p;
        entr -= p * p.log2();
        en += p * p;
    }
    jsum.sort_unstable_by_key(|x| x.0);
    let mut jnu = 0.0;
    let mut k = 0;
    while k < jsum.len() {
        let mut s = 0.0;
        let j = jsum[k].0;
        while k < jsum.len() && jsum[k].0 == j {
            s += jsum[k].1;
            k += 1;
        }
        jnu += s * s;
    }
    let glnu: f64 = gl.iter().map(|s| s * s).sum();
    let (mut var_i, mut var_j) = (0.0, 0.0);
    for &(a, j, c) in cells {
        let p = c / ns;
        var_i += (vals[a as usize] - mu_i).powi(2) * p;
        var_j += (j as f64 - mu_j).powi(2) * p;
    }
    let mut v: Vec<f64> = f.iter().map(|x| x / ns).collect();
    v.extend_from_slice(&[
        glnu / ns,
        glnu / (ns * ns),
        jnu / ns,
        jnu / (ns * ns),
        ns / nv,
        var_i,
        var_j,
        entr,
    ]);
    if energy {
        v.push(en);
    }
    Some(v)
}

/// Non-zero cells of a dense `g × jn` matrix (second index value = column + 1).
pub fn cells_of(m: &[f64], jn: usize) -> Vec<Cell> {
    let mut out = Vec::new();
    for (k, &c) in m.iter().enumerate() {
        if c != 0.0 {
            out.push(((k / jn) as u32, (k % jn) as u32 + 1, c));
        }
    }
    out
}

/// The six IBSI aggregations of a direction-dependent matrix (GLCM, GLRLM), in
/// [`crate::AGG_CM`]'s order: 2D averaged, 2D slice-merged, 2.5D
/// direction-merged, 2.5D merged, 3D averaged, 3D merged. `fill(d, z0, z1, m)`
/// adds direction `d`'s counts over slices `z0..z1` to `m` (`len` cells);
/// `features(m)` is the feature vector of one matrix (`None` when empty).
pub fn six_aggregations(
    len: usize,
    nz: usize,
    fill: impl Fn([isize; 3], usize, usize, &mut [f64]),
    features: impl Fn(&[f64]) -> Option<Vec<f64>>,
) -> [Option<Vec<f64>>; 6] {
    let zero = || vec![0f64; len];
    let mut avg2d = Mean::default();
    let mut slice2d = Mean::default();
    let mut dirm: Vec<Vec<f64>> = (0..4).map(|_| zero()).collect();
    let mut m = zero();
    let mut sm = zero();
    for z in 0..nz {
        sm.iter_mut().for_each(|v| *v = 0.0);
        for (k, d) in DIRS[..4].iter().enumerate() {
            m.iter_mut().for_each(|v| *v = 0.0);
            fill(*d, z, z + 1, &mut m);
            if let Some(f) = features(&m) {
                avg2d.add(&f);
            }
            for ((s, dm), v) in sm.iter_mut().zip(dirm[k].iter_mut()).zip(&m) {
                *s += v;
                *dm += v;
            }
        }
        if let Some(f) = features(&sm) {
            slice2d.add(&f);
        }
    }
    let mut dir25 = Mean::default();
    let mut merged25 = zero();
    for dm in &dirm {
        if let Some(f) = features(dm) {
            dir25.add(&f);
        }
        merged25.iter_mut().zip(dm).for_each(|(a, b)| *a += b);
    }
    let mut avg3d = Mean::default();
    let mut merged3d = merged25.clone();
    for (k, d) in DIRS.iter().enumerate() {
        let m3 = if k < 4 {
            dirm[k].clone()
        } else {
            let mut m3 = zero();
            fill(*d, 0, nz, &mut m3);
            merged3d.iter_mut().zip(&m3).for_each(|(a, b)| *a += b);
            m3
        };
        if let Some(f) = features(&m3) {
            avg3d.add(&f);
        }
    }
    [
        avg2d.get(),
        slice2d.get(),
        dir25.get(),
        features(&merged25),
        avg3d.get(),
        features(&merged3d),
    ]
}
