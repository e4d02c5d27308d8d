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
//! Pixel types: any input (compared exactly, as f64); `u32` labels out.
//! The flood is a sequential whole-volume algorithm (a monotone radix heap
//! over the exact value order); the labelling of the minima runs on blocks.

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
/// (SimpleITK `HMinima(height=h)`), as f64 values of the pixel type.
pub fn h_minima<T: Pixel>(image: &Volume<T>, h: f64, conn: Connectivity) -> Result<Vec<f64>> {
    check_len(image.len())?;
    let f: Vec<f64> = image.as_slice().iter().map(|x| x.to_f64()).collect();
    // Marker = image shifted up by h, in the pixel type (ITK ShiftScale clamps).
    let mut r: Vec<f64> = f.iter().map(|&x| T::from_f64(x + h).to_f64()).collect();
    let nb = Neighbours::new(conn, image.size());
    let mut q = RadixHeap::new();
    // r(x) = min over paths from y of max(r0(y), max f on the path): a minimax flood.
    for i in 0..f.len() {
        let mut lowers = false;
        nb.for_each(i, |j| {
            lowers = r[i].max(f[j]) < r[j];
            !lowers
        });
        if lowers {
            q.push(key(r[i]), i as u32);
        }
    }
    while let Some((k, i)) = q.pop() {
        let i = i as usize;
        if key(r[i]) != k {
            continue;
        }
        let ri = r[i];
        nb.for_each(i, |j| {
            let c = ri.max(f[j]);
            if c < r[j] {
                r[j] = c;
                q.push(key(c), j as u32);
            }
            true
        });
    }
    Ok(r)
}

/// 1 on regional minima of `values`: plateaus whose neighbours are all higher
/// (a flat image is one minimum, as ITK's `FlatIsMinima`).
pub(crate) fn regional_minima(values: &[f64], size: [usize; 3], conn: Connectivity) -> Vec<u8> {
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
    let filled = if level != 0.0 {
        h_minima(image, level, p.connectivity)?
    } else {
        image.as_slice().iter().map(|x| x.to_f64()).collect()
    };
    let minima = regional_minima(&filled, image.size(), p.connectivity);
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

    #[test]
    fn key_preserves_order() {
        let v = [-1e30, -2.5, -0.0, 0.0, 1e-300, 3.0, f64::INFINITY];
        for w in v.windows(2) {
            assert!(key(w[0]) <= key(w[1]));
        }
    }
}
