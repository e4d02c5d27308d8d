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
