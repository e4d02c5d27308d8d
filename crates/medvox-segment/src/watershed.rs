//! Morphological watershed: marker-controlled priority flood and the
//! regional-minima watershed with a flooding level (h-minima depth).
//!
//! * [`watershed_from_markers`] — SimpleITK `MorphologicalWatershedFromMarkers`.
//!   Without lines (Beucher): every voxel gets the label of the marker whose
//!   flood reaches it first; the flood runs level by level in increasing
//!   image value, first-in first-out within a level, and a voxel is labelled
//!   when it is queued at level max(its value, current level). With lines
//!   (Meyer): a voxel is labelled when it leaves the queue, and gets 0 (line)
//!   when its labelled neighbours carry different labels. Neighbours are
//!   visited in ITK's order (raster order of the 3×3×3 box), so the partition
//!   is identical to SimpleITK's, ties included. Markers: labels > 0, 0 =
//!   unlabelled. Nothing outside the volume is a neighbour.
//! * [`watershed_level`] — SimpleITK `MorphologicalWatershed(level)`: h-minima
//!   filling of depth `level` (reconstruction by erosion of image + level over
//!   the image), its regional minima (flat plateaus with only higher
//!   neighbours) labelled as connected components, then the marker flood on
//!   the original image.
//!
//! Pixel types: any input (compared exactly, in the pixel type or as f64);
//! `u32` labels out. The h-minima reconstruction is Vincent's hybrid
//! (raster/anti-raster scans + FIFO); the flood is a sequential whole-volume
//! algorithm (a monotone radix heap over the exact value order); the
//! labelling of the minima runs on blocks.

use medvox_core::{AnyVolume, Executor, Pixel, Volume};
use serde::{Deserialize, Serialize};

use crate::components::{label_foreground, ComponentsParams};
use crate::connectivity::{Connectivity, Neighbours};
use crate::error::{Result, SegmentError};

/// Parameters of the watershed ops.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WatershedParams {
    /// Neighbourhood (6 = SimpleITK `fullyConnected=False`, 26 = `True`).
    pub connectivity: Connectivity,
    /// Mark watershed lines with 0 (Meyer) instead of labelling every voxel.
    pub lines: bool,
    /// h-minima depth for [`watershed_level`] (0: every regional minimum is a marker).
    pub level: f64,
}

/// Order-preserving map of a value to an unsigned key (NaN above +∞).
#[inline]
fn key(v: f64) -> u64 {
    let b = v.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// Monotone priority queue (radix heap) of `(key, voxel)`; first-in first-out
/// among equal keys.
struct RadixHeap {
    last: u64,
    buckets: Vec<Vec<(u64, u32)>>,
    head: usize,
}

impl RadixHeap {
    fn new() -> Self {
        RadixHeap {
            last: 0,
            buckets: vec![Vec::new(); 65],
            head: 0,
        }
    }

    #[inline]
    fn bucket(&self, k: u64) -> usize {
        64 - (k ^ self.last).leading_zeros() as usize
    }

    /// Queues `i` with key `k` (must be ≥ the last key popped).
    #[inline]
    fn push(&mut self, k: u64, i: u32) {
        debug_assert!(k >= self.last);
        let b = self.bucket(k);
        self.buckets[b].push((k, i));
    }

    fn pop(&mut self) -> Option<(u64, u32)> {
        if self.head < self.buckets[0].len() {
            self.head += 1;
            return Some(self.buckets[0][self.head - 1]);
        }
        self.buckets[0].clear();
        self.head = 0;
        let b = (1..65).find(|&b| !self.buckets[b].is_empty())?;
        let items = std::mem::take(&mut self.buckets[b]);
        self.last = items.iter().map(|e| e.0).min().expect("non-empty");
        for &(k, i) in &items {
            let nb = self.bucket(k);
            self.buckets[nb].push((k, i));
        }
        // Keep the allocation of the emptied bucket.
        let mut items = items;
        items.clear();
        if self.buckets[b].is_empty() {
            self.buckets[b] = items;
        }
        self.head = 1;
        Some(self.buckets[0][0])
    }
}

fn check_len(n: usize) -> Result<()> {
    if n >= u32::MAX as usize {
        return Err(SegmentError::Parameter {
            op: "watershed",
            name: "volume",
            reason: format!("{n} voxels: at most 2^32 - 2 supported"),
        });
    }
    Ok(())
}

/// Marker-controlled watershed of `image` from `markers` (labels > 0).
pub fn watershed_from_markers<T: Pixel>(
    image: &Volume<T>,
    markers: &Volume<u32>,
    p: &WatershedParams,
) -> Result<Volume<u32>> {
    if image.size() != markers.size() {
        return Err(SegmentError::Mismatch {
            op: "watershed",
            reason: format!(
                "markers have size {:?}, the image {:?}",
                markers.size(),
                image.size()
            ),
        });
    }
    check_len(image.len())?;
    let size = image.size();
    let nb = Neighbours::new(p.connectivity, size);
    let v = image.as_slice();
    let m = markers.as_slice();
    let mut out = markers.clone();
    out.set_geometry(*image.geometry())?;
    let o = out.as_slice_mut();
    let mut q = RadixHeap::new();
    if !p.lines {
        for i in 0..m.len() {
            if m[i] != 0 {
                let mut bg = false;
                nb.for_each(i, |j| {
                    bg = m[j] == 0;
                    !bg
                });
                if bg {
                    q.push(key(v[i].to_f64()), i as u32);
                }
            }
        }
        while let Some((k, i)) = q.pop() {
            let label = o[i as usize];
            nb.for_each(i as usize, |j| {
                if o[j] == 0 {
                    o[j] = label;
                    q.push(key(v[j].to_f64()).max(k), j as u32);
                }
                true
            });
        }
    } else {
        let mut status = vec![false; m.len()];
        for i in 0..m.len() {
            if m[i] != 0 {
                status[i] = true;
                nb.for_each(i, |j| {
                    if !status[j] && m[j] == 0 {
                        q.push(key(v[j].to_f64()), j as u32);
                        status[j] = true;
                    }
                    true
                });
            }
        }
        while let Some((k, i)) = q.pop() {
            let i = i as usize;
            let (mut label, mut collision) = (0u32, false);
            nb.for_each(i, |j| {
                let l = o[j];
                if l != 0 {
                    if label != 0 && l != label {
                        collision = true;
                        return false;
                    }
                    label = l;
                }
                true
            });
            if !collision {
                o[i] = label;
                nb.for_each(i, |j| {
                    if !status[j] {
                        q.push(key(v[j].to_f64()).max(k), j as u32);
                        status[j] = true;
                    }
                    true
                });
            }
        }
    }
    Ok(out)
}

/// h-minima filling: reconstruction by erosion of `image + h` over `image`
/// (SimpleITK `HMinima(height=h)`), in the pixel type.
pub fn h_minima<T: Pixel>(image: &Volume<T>, h: f64, conn: Connectivity) -> Result<Vec<T>> {
    check_len(image.len())?;
    let f = image.as_slice();
    // Marker = image shifted up by h, in the pixel type (ITK ShiftScale clamps).
    let mut r: Vec<T> = f.iter().map(|&x| T::from_f64(x.to_f64() + h)).collect();
    reconstruct_by_erosion(f, &mut r, image.size(), conn);
    Ok(r)
}

#[inline(always)]
fn vmin<T: PartialOrd>(a: T, b: T) -> T {
    if b < a {
        b
    } else {
        a
    }
}

#[inline(always)]
fn vmax<T: PartialOrd>(a: T, b: T) -> T {
    if b > a {
        b
    } else {
        a
    }
}

/// The neighbour rows of one half of a neighbourhood: `(dy, dz, dx set)` with
/// the dx set as bits (1: −1, 2: 0, 4: +1), the row `dy = dz = 0` left out.
fn row_groups(offsets: &[[isize; 3]]) -> Vec<(isize, isize, u8)> {
    let mut g: Vec<(isize, isize, u8)> = Vec::new();
    for d in offsets.iter().filter(|d| d[1] != 0 || d[2] != 0) {
        let bit = 1u8 << (d[0] + 1);
        match g.iter_mut().find(|e| e.0 == d[1] && e.1 == d[2]) {
            Some(e) => e.2 |= bit,
            None => g.push((d[1], d[2], bit)),
        }
    }
    g
}

/// `row[x] = min(row[x], nr[x + dx])` for each `dx` in `dxs` (bits as in [`row_groups`]).
#[inline(always)]
fn min_shifted<T: Pixel>(row: &mut [T], nr: &[T], dxs: u8) {
    let n = row.len();
    if dxs & 2 != 0 {
        for (a, &b) in row.iter_mut().zip(nr) {
            *a = vmin(*a, b);
        }
    }
    if dxs & 1 != 0 && n > 1 {
        for (a, &b) in row[1..].iter_mut().zip(&nr[..n - 1]) {
            *a = vmin(*a, b);
        }
    }
    if dxs & 4 != 0 && n > 1 {
        for (a, &b) in row[..n - 1].iter_mut().zip(&nr[1..]) {
            *a = vmin(*a, b);
        }
    }
}

/// Morphological reconstruction by erosion of the marker `r` (≥ `f`) over the
/// mask `f`, in place: the greatest `r' ≤ r`, `r' ≥ f`, stable under geodesic
/// erosion. Vincent's hybrid algorithm: one raster and one anti-raster scan
/// (rows at a time, the in-row dependency sequential), then a FIFO
/// propagation from the voxels the anti-raster scan left able to lower a
/// neighbour. The result is unique, so independent of the visiting order.
fn reconstruct_by_erosion<T: Pixel>(f: &[T], r: &mut [T], size: [usize; 3], conn: Connectivity) {
    let [nx, ny, nz] = size;
    if nx == 0 || ny == 0 || nz == 0 {
        return;
    }
    let back = conn.backward();
    let fwd: Vec<[isize; 3]> = back.iter().map(|d| [-d[0], -d[1], -d[2]]).collect();
    let (gb, gf) = (row_groups(&back), row_groups(&fwd));
    let rows = ny * nz;
    let row_of = |row: usize, dy: isize, dz: isize| -> Option<usize> {
        let (y, z) = ((row % ny) as isize + dy, (row / ny) as isize + dz);
        (y >= 0 && y < ny as isize && z >= 0 && z < nz as isize)
            .then(|| (y as usize + z as usize * ny) * nx)
    };
    // Raster scan: r(p) = max(f(p), min(r(p), r over the earlier neighbours)).
    for row in 0..rows {
        let base = row * nx;
        let (done, rest) = r.split_at_mut(base);
        let cur = &mut rest[..nx];
        for &(dy, dz, dxs) in &gb {
            if let Some(nb) = row_of(row, dy, dz) {
                min_shifted(cur, &done[nb..nb + nx], dxs);
            }
        }
        let fr = &f[base..base + nx];
        let mut prev = vmax(fr[0], cur[0]);
        cur[0] = prev;
        for x in 1..nx {
            prev = vmax(fr[x], vmin(cur[x], prev));
            cur[x] = prev;
        }
    }
    // Anti-raster scan, queueing the voxels that can still lower a later neighbour.
    let mut queue: std::collections::VecDeque<u32> = std::collections::VecDeque::new();
    let mut flag = vec![false; nx];
    for row in (0..rows).rev() {
        let base = row * nx;
        let (head, done) = r.split_at_mut(base + nx);
        let cur = &mut head[base..];
        let off = base + nx;
        for &(dy, dz, dxs) in &gf {
            if let Some(nb) = row_of(row, dy, dz) {
                min_shifted(cur, &done[nb - off..nb - off + nx], dxs);
            }
        }
        let fr = &f[base..base + nx];
        let mut prev = vmax(fr[nx - 1], cur[nx - 1]);
        cur[nx - 1] = prev;
        for x in (0..nx - 1).rev() {
            prev = vmax(fr[x], vmin(cur[x], prev));
            cur[x] = prev;
        }
        // q can be lowered by p when r(q) > r(p) and r(q) > f(q).
        for x in 0..nx {
            flag[x] = x + 1 < nx && cur[x + 1] > cur[x] && cur[x + 1] > fr[x + 1];
        }
        for &(dy, dz, dxs) in &gf {
            if let Some(nb) = row_of(row, dy, dz) {
                let (nr, nf) = (&done[nb - off..nb - off + nx], &f[nb..nb + nx]);
                for dx in [-1isize, 0, 1] {
                    if dxs & (1 << (dx + 1)) == 0 {
                        continue;
                    }
                    let lo = usize::from(dx < 0);
                    let hi = nx - usize::from(dx > 0);
                    for x in lo..hi {
                        let q = (x as isize + dx) as usize;
                        flag[x] |= nr[q] > cur[x] && nr[q] > nf[q];
                    }
                }
            }
        }
        queue.extend((0..nx).filter(|&x| flag[x]).map(|x| (base + x) as u32));
    }
    let nb = Neighbours::new(conn, size);
    while let Some(p) = queue.pop_front() {
        let p = p as usize;
        let rp = r[p];
        nb.for_each(p, |q| {
            if r[q] > rp && r[q] > f[q] {
                r[q] = vmax(rp, f[q]);
                queue.push_back(q as u32);
            }
            true
        });
    }
}

/// 1 on regional minima of `values`: plateaus whose neighbours are all higher
/// (a flat image is one minimum, as ITK's `FlatIsMinima`).
pub(crate) fn regional_minima<T: PartialOrd + Copy>(
    values: &[T],
    size: [usize; 3],
    conn: Connectivity,
) -> Vec<u8> {
    let nb = Neighbours::new(conn, size);
    let mut is_min = vec![1u8; values.len()];
    let mut stack = Vec::new();
    for i in 0..values.len() {
        let mut lower = false;
        nb.for_each(i, |j| {
            lower = values[j] < values[i];
            !lower
        });
        if lower {
            is_min[i] = 0;
            stack.push(i as u32);
        }
    }
    while let Some(i) = stack.pop() {
        let i = i as usize;
        nb.for_each(i, |j| {
            if is_min[j] == 1 && values[j] == values[i] {
                is_min[j] = 0;
                stack.push(j as u32);
            }
            true
        });
    }
    is_min
}

/// Watershed from the regional minima after h-minima filling of depth `p.level`.
pub fn watershed_level<T: Pixel>(
    image: &Volume<T>,
    p: &WatershedParams,
    exec: &Executor,
) -> Result<Volume<u32>> {
    if !p.level.is_finite() || p.level < 0.0 {
        return Err(SegmentError::Parameter {
            op: "watershed",
            name: "level",
            reason: format!("must be finite and >= 0, got {}", p.level),
        });
    }
    check_len(image.len())?;
    // ITK casts the level to the pixel type.
    let level = T::from_f64(p.level).to_f64();
    let minima = if level != 0.0 {
        let filled = h_minima(image, level, p.connectivity)?;
        regional_minima(&filled, image.size(), p.connectivity)
    } else {
        regional_minima(image.as_slice(), image.size(), p.connectivity)
    };
    let cp = ComponentsParams {
        connectivity: p.connectivity,
        ..Default::default()
    };
    let plan = exec.plan(image.size(), [0; 3]);
    let markers =
        label_foreground(image, &cp, exec, &plan, &|i| minima[i] != 0, &|_, _| true)?.labels;
    watershed_from_markers(image, &markers, p)
}

/// [`watershed_from_markers`] for any pixel types (markers cast to `u32`; negative → 0).
pub fn watershed_from_markers_any(
    image: &AnyVolume,
    markers: &AnyVolume,
    p: &WatershedParams,
) -> Result<Volume<u32>> {
    let m = markers.to_volume::<u32>();
    medvox_core::with_volume!(image, v => watershed_from_markers(v, &m, p))
}

/// [`watershed_level`] for any pixel type.
pub fn watershed_level_any(
    image: &AnyVolume,
    p: &WatershedParams,
    exec: &Executor,
) -> Result<Volume<u32>> {
    medvox_core::with_volume!(image, v => watershed_level(v, p, exec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radix_heap_is_fifo_per_key() {
        let mut h = RadixHeap::new();
        for (k, i) in [(5u64, 0u32), (3, 1), (5, 2), (3, 3), (9, 4)] {
            h.push(k, i);
        }
        let (k, i) = h.pop().unwrap();
        assert_eq!((k, i), (3, 1));
        h.push(3, 5);
        h.push(5, 6);
        let rest: Vec<u32> = std::iter::from_fn(|| h.pop().map(|e| e.1)).collect();
        assert_eq!(rest, vec![3, 5, 0, 2, 6, 4]);
    }

    /// Reconstruction by erosion as the fixpoint of r = max(f, min(r, r over neighbours)).
    fn naive_reconstruction(f: &[i32], r0: &[i32], size: [usize; 3], c: Connectivity) -> Vec<i32> {
        let nb = Neighbours::new(c, size);
        let mut r = r0.to_vec();
        loop {
            let mut next = r.clone();
            for i in 0..r.len() {
                let mut m = r[i];
                nb.for_each(i, |j| {
                    m = m.min(r[j]);
                    true
                });
                next[i] = m.max(f[i]);
            }
            if next == r {
                return r;
            }
            r = next;
        }
    }

    #[test]
    fn h_minima_matches_naive_reconstruction() {
        let mut seed = 12345u64;
        for size in [[7, 5, 4], [1, 9, 3], [6, 1, 1], [11, 8, 6], [3, 3, 1]] {
            for c in [Connectivity::Face, Connectivity::Edge, Connectivity::Full] {
                for h in [1.0, 3.0] {
                    let n: usize = size.iter().product();
                    let f: Vec<i32> = (0..n)
                        .map(|_| {
                            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                            ((seed >> 33) % 9) as i32
                        })
                        .collect();
                    let v = Volume::from_vec(size, f.clone(), Default::default()).unwrap();
                    let got = h_minima(&v, h, c).unwrap();
                    let r0: Vec<i32> = f.iter().map(|&x| x + h as i32).collect();
                    assert_eq!(
                        got,
                        naive_reconstruction(&f, &r0, size, c),
                        "{size:?} {c:?} {h}"
                    );
                }
            }
        }
    }

    #[test]
    fn key_preserves_order() {
        let v = [-1e30, -2.5, -0.0, 0.0, 1e-300, 3.0, f64::INFINITY];
        for w in v.windows(2) {
            assert!(key(w[0]) <= key(w[1]));
        }
    }
}
