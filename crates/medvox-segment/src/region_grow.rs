//! Region growing from seeds: connected threshold, confidence connected and
//! neighbourhood connected (SimpleITK `ConnectedThreshold`,
//! `ConfidenceConnected`, `NeighborhoodConnected`).
//!
//! Definition: the output (`u8`, 1 inside, 0 outside) is the union of the
//! connected components, under the chosen [`Connectivity`], that contain a
//! seed, of the voxels accepted by the criterion:
//! * `threshold`: `lower ≤ value ≤ upper` (inclusive; scikit-image `flood` of
//!   the interval mask);
//! * `confidence`: `lower ≤ value ≤ upper` with [mean ∓ multiplier·σ] taken
//!   first over the (2r+1)^d box around each seed (edge replicate; r =
//!   `radius`, axes one voxel deep are not boxed), then re-estimated over the
//!   grown region `iterations` times; the interval always holds every seed's
//!   value and bounds are cast to the pixel type (ITK's algorithm);
//! * `neighborhood`: every voxel of the (2r+1)³ box around the voxel (edge
//!   replicate) lies in `[lower, upper]`; as in ITK the seeds themselves are
//!   always inside and the growth starts from their neighbours.
//!
//! Interval bounds are converted to the pixel type as SimpleITK does
//! ([`to_pixel`](crate::threshold::to_pixel)). Seeds are voxel indices `[x, y, z]` or physical points in mm (nearest
//! voxel); a seed outside the volume is an error, a seed the criterion
//! rejects grows nothing. SimpleITK's confidence/neighbourhood filters use
//! face connectivity (the default here).
//!
//! Algorithm (threshold, confidence): a scanline flood from the seeds; once
//! the region passes 1/64 of the volume, the flood stops and the region is
//! taken from the parallel connected components of the accepted voxels
//! ([`crate::components`]' runs) — the same mask, cheaper per voxel for large
//! regions.

use medvox_core::{AnyVolume, Executor, Pixel, Volume};
use serde::{Deserialize, Serialize};

use rayon::prelude::*;

use crate::components::find_runs;
use crate::connectivity::Connectivity;
use crate::error::{Result, SegmentError};
use crate::threshold::to_pixel;

/// What a voxel must satisfy to join the region.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "criterion", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Criterion {
    /// `lower ≤ value ≤ upper`.
    Threshold {
        /// Smallest accepted value.
        lower: f64,
        /// Largest accepted value.
        upper: f64,
    },
    /// mean ∓ multiplier·σ, re-estimated `iterations` times.
    Confidence {
        /// Width of the interval in standard deviations (SimpleITK default 4.5).
        multiplier: f64,
        /// Re-estimations over the grown region (SimpleITK default 4).
        iterations: usize,
        /// Box radius around the seeds for the first estimate (SimpleITK default 1).
        radius: usize,
    },
    /// The whole (2r+1)³ box around the voxel lies in `[lower, upper]`.
    Neighborhood {
        /// Smallest accepted value.
        lower: f64,
        /// Largest accepted value.
        upper: f64,
        /// Box radius per axis `[x, y, z]`.
        radius: [usize; 3],
    },
}

/// Parameters of [`region_grow`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionGrowParams {
    /// The acceptance criterion.
    pub criterion: Criterion,
    /// Seeds as voxel indices `[x, y, z]`.
    #[serde(default)]
    pub seeds: Vec<[i64; 3]>,
    /// Seeds as physical points in mm (LPS), rounded to the nearest voxel.
    #[serde(default)]
    pub seeds_mm: Vec<[f64; 3]>,
    /// Neighbourhood of the growth.
    #[serde(default)]
    pub connectivity: Connectivity,
}

/// The grown region and the interval finally used.
#[derive(Debug, Clone, PartialEq)]
pub struct Grown {
    /// 1 inside the region.
    pub mask: Volume<u8>,
    /// Lower bound used (after the last confidence iteration).
    pub lower: f64,
    /// Upper bound used.
    pub upper: f64,
}

fn bad(name: &'static str, reason: String) -> SegmentError {
    SegmentError::Parameter {
        op: "region-grow",
        name,
        reason,
    }
}

/// Seeds as linear indices (validated).
fn seed_indices<T: Pixel>(vol: &Volume<T>, p: &RegionGrowParams) -> Result<Vec<usize>> {
    let size = vol.size();
    let mut out = Vec::new();
    let mut push = |s: [i64; 3], what: String| -> Result<()> {
        if (0..3).any(|a| s[a] < 0 || s[a] >= size[a] as i64) {
            return Err(bad(
                "seed",
                format!("{what} lies outside the volume of size {size:?}"),
            ));
        }
        out.push((s[0] as usize) + size[0] * (s[1] as usize + size[1] * s[2] as usize));
        Ok(())
    };
    for &s in &p.seeds {
        push(s, format!("seed {s:?}"))?;
    }
    for &m in &p.seeds_mm {
        if m.iter().any(|v| !v.is_finite()) {
            return Err(bad("seed-mm", format!("{m:?} is not finite")));
        }
        let s = vol.geometry().physical_to_nearest_index(m);
        push(s, format!("seed {m:?} mm (voxel {s:?})"))?;
    }
    if out.is_empty() {
        return Err(bad("seed", "give at least one seed".into()));
    }
    Ok(out)
}

/// Flood fill: 1 on every voxel reachable from a seed through voxels where
/// `ok` holds (seeds must satisfy `ok` too, unless `force_seeds`).
///
/// Scanline (span) filling: a popped voxel grows into the longest run of
/// its row that is unvisited and accepted, and only the starts of the
/// accepted stretches of the neighbouring rows next to that run (one voxel
/// wider where the connectivity has diagonal x steps) are pushed. Stops and
/// returns `false` once more than `limit` voxels are filled (`out` then holds
/// part of the region).
pub(crate) fn flood(
    size: [usize; 3],
    seeds: &[usize],
    conn: Connectivity,
    ok: impl Fn(usize) -> bool,
    force_seeds: bool,
    limit: usize,
    out: &mut [u8],
) -> bool {
    let [nx, ny, nz] = size;
    // Neighbouring rows (dy, dz) and whether diagonal x steps reach them.
    let mut rows: Vec<(isize, isize, usize)> = Vec::new();
    for d in conn.offsets() {
        if d[1] == 0 && d[2] == 0 {
            continue;
        }
        match rows.iter_mut().find(|r| r.0 == d[1] && r.1 == d[2]) {
            Some(r) => r.2 |= usize::from(d[0] != 0),
            None => rows.push((d[1], d[2], usize::from(d[0] != 0))),
        }
    }
    let mut stack: Vec<u32> = Vec::new();
    let mut filled = 0usize;
    // Pushes the candidates next to the filled run [l, r] of row `row` (y, z).
    let emit = |out: &[u8], stack: &mut Vec<u32>, l: usize, r: usize, y: usize, z: usize| {
        let base = (z * ny + y) * nx;
        if l > 0 {
            stack.push((base + l - 1) as u32);
        }
        if r + 1 < nx {
            stack.push((base + r + 1) as u32);
        }
        for &(dy, dz, ext) in &rows {
            let (qy, qz) = (y as isize + dy, z as isize + dz);
            if qy < 0 || qy >= ny as isize || qz < 0 || qz >= nz as isize {
                continue;
            }
            let qb = (qz as usize * ny + qy as usize) * nx;
            let mut inside = false;
            for x in l.saturating_sub(ext)..(r + ext + 1).min(nx) {
                let free = out[qb + x] == 0 && ok(qb + x);
                if free && !inside {
                    stack.push((qb + x) as u32);
                }
                inside = free;
            }
        }
    };
    for &s in seeds {
        if out[s] != 0 {
            continue;
        }
        if ok(s) {
            stack.push(s as u32);
        } else if force_seeds {
            out[s] = 1;
            let (x, r) = (s % nx, s / nx);
            emit(out, &mut stack, x, x, r % ny, r / ny);
        }
    }
    while let Some(i) = stack.pop() {
        let i = i as usize;
        if out[i] != 0 || !ok(i) {
            continue;
        }
        let (x, row) = (i % nx, i / nx);
        let base = row * nx;
        let (mut l, mut r) = (x, x);
        while l > 0 && out[base + l - 1] == 0 && ok(base + l - 1) {
            l -= 1;
        }
        while r + 1 < nx && out[base + r + 1] == 0 && ok(base + r + 1) {
            r += 1;
        }
        out[base + l..=base + r].fill(1);
        filled += r - l + 1;
        if filled > limit {
            return false;
        }
        emit(out, &mut stack, l, r, row % ny, row / ny);
    }
    true
}

/// Fills `out` (all zeros) with the components of the `ok` voxels that hold a
/// seed: a scanline [`flood`] while the region stays within 1/64 of the
/// volume, else connected components of `ok` on the executor's slabs (parallel,
/// and cheaper per voxel for large regions). Both give the same mask.
fn grow(
    size: [usize; 3],
    seeds: &[usize],
    conn: Connectivity,
    ok: &(impl Fn(usize) -> bool + Sync),
    exec: &Executor,
    out: &mut [u8],
) -> Result<()> {
    if flood(size, seeds, conn, ok, false, out.len() / 64, out) {
        return Ok(());
    }
    let plan = exec.plan(size, [0; 3]);
    let runs = find_runs(size, conn, exec, &plan, ok, &|_, _| true)?;
    let mut roots: Vec<u32> = seeds.iter().filter_map(|&s| runs.root_at(s)).collect();
    roots.sort_unstable();
    let value: Vec<u8> = runs
        .parent
        .iter()
        .map(|r| u8::from(roots.binary_search(r).is_ok()))
        .collect();
    exec.install(|| out.par_chunks_mut(1 << 16).for_each(|c| c.fill(0)));
    runs.paint(exec, &value, out);
    Ok(())
}

/// Mean and sample variance of a sum, sum of squares and count.
fn mean_var(sum: f64, sq: f64, n: f64) -> (f64, f64) {
    (sum / n, (sq - sum * sum / n) / (n - 1.0))
}

/// Grows a region in a typed volume.
pub fn region_grow<T: Pixel>(
    vol: &Volume<T>,
    p: &RegionGrowParams,
    exec: &Executor,
) -> Result<Grown> {
    let seeds = seed_indices(vol, p)?;
    let size = vol.size();
    if vol.len() >= u32::MAX as usize {
        return Err(bad("volume", "more than 2^32 - 1 voxels".into()));
    }
    let data = vol.as_slice();
    let mut out = vol.zeros_like::<u8>();
    // Grows into `out`, which must be all zeros.
    let grow_interval = |lo: f64, hi: f64, out: &mut Volume<u8>| {
        grow(
            size,
            &seeds,
            p.connectivity,
            &|i| {
                let v = data[i].to_f64();
                v >= lo && v <= hi
            },
            exec,
            out.as_slice_mut(),
        )
    };
    let check = |lo: f64, hi: f64| -> Result<()> {
        if lo.is_nan() || hi.is_nan() || lo > hi {
            return Err(bad(
                "lower",
                format!("need lower <= upper, not NaN; got [{lo}, {hi}]"),
            ));
        }
        Ok(())
    };
    match p.criterion {
        Criterion::Threshold { lower, upper } => {
            check(lower, upper)?;
            let (lower, upper) = (to_pixel::<T>(lower), to_pixel::<T>(upper));
            grow_interval(lower, upper, &mut out)?;
            Ok(Grown {
                mask: out,
                lower,
                upper,
            })
        }
        Criterion::Neighborhood {
            lower,
            upper,
            radius,
        } => {
            check(lower, upper)?;
            let (lower, upper) = (to_pixel::<T>(lower), to_pixel::<T>(upper));
            if radius.iter().any(|&r| r > 1000) {
                return Err(bad("radius", format!("{radius:?} is absurdly large")));
            }
            let inside =
                crate::threshold::map_mask(vol, exec, |v| u8::from(v >= lower && v <= upper));
            let ok = box_all(&inside, radius);
            flood(
                size,
                &seeds,
                p.connectivity,
                |i| ok[i] != 0,
                true,
                usize::MAX,
                out.as_slice_mut(),
            );
            Ok(Grown {
                mask: out,
                lower,
                upper,
            })
        }
        Criterion::Confidence {
            multiplier,
            iterations,
            radius,
        } => {
            if !multiplier.is_finite() || multiplier < 0.0 {
                return Err(bad(
                    "multiplier",
                    format!("must be finite and >= 0, got {multiplier}"),
                ));
            }
            if radius > 1000 || iterations > 10_000 {
                return Err(bad("radius", "radius or iterations absurdly large".into()));
            }
            let (mut mean, mut var);
            if radius > 0 {
                let r: Vec<usize> = (0..3)
                    .map(|a| if size[a] > 1 { radius } else { 0 })
                    .collect();
                let (mut sum, mut sq, mut n) = (0.0, 0.0, 0.0);
                for &s in &seeds {
                    let c = crate::connectivity::coords(s, size);
                    let (mut bs, mut cnt) = (0.0, 0.0);
                    for dz in -(r[2] as isize)..=r[2] as isize {
                        for dy in -(r[1] as isize)..=r[1] as isize {
                            for dx in -(r[0] as isize)..=r[0] as isize {
                                let q = [
                                    (c[0] as isize + dx).clamp(0, size[0] as isize - 1) as usize,
                                    (c[1] as isize + dy).clamp(0, size[1] as isize - 1) as usize,
                                    (c[2] as isize + dz).clamp(0, size[2] as isize - 1) as usize,
                                ];
                                let v = data[q[0] + size[0] * (q[1] + size[1] * q[2])].to_f64();
                                bs += v;
                                sq += v * v;
                                cnt += 1.0;
                            }
                        }
                    }
                    sum += bs / cnt;
                    n = cnt;
                }
                let k = seeds.len() as f64;
                mean = sum / k;
                let total = k * n;
                var = (sq - mean * mean * total) / (total - 1.0);
            } else {
                let (mut sum, mut sq) = (0.0, 0.0);
                for &s in &seeds {
                    let v = data[s].to_f64();
                    sum += v;
                    sq += v * v;
                }
                (mean, var) = mean_var(sum, sq, seeds.len() as f64);
            }
            let lowest = seeds
                .iter()
                .map(|&s| data[s].to_f64())
                .fold(f64::INFINITY, f64::min);
            let highest = seeds
                .iter()
                .map(|&s| data[s].to_f64())
                .fold(f64::NEG_INFINITY, f64::max);
            let interval = |mean: f64, var: f64| {
                let sd = var.sqrt();
                let mut lo = mean - multiplier * sd;
                let mut hi = mean + multiplier * sd;
                if lo.is_nan() || lo > lowest {
                    lo = lowest;
                }
                if hi.is_nan() || hi < highest {
                    hi = highest;
                }
                (to_pixel::<T>(lo.max(T::MIN)), to_pixel::<T>(hi.min(T::MAX)))
            };
            let (mut lo, mut hi) = interval(mean, var);
            grow_interval(lo, hi, &mut out)?;
            for _ in 0..iterations {
                let (mut sum, mut sq, mut n) = (0.0, 0.0, 0u64);
                for (&m, &v) in out.as_slice().iter().zip(data) {
                    if m != 0 {
                        let v = v.to_f64();
                        sum += v;
                        sq += v * v;
                        n += 1;
                    }
                }
                (mean, var) = mean_var(sum, sq, n as f64);
                if var.abs() <= 0.1 * f64::EPSILON {
                    break;
                }
                (lo, hi) = interval(mean, var);
                out.as_slice_mut().fill(0);
                grow_interval(lo, hi, &mut out)?;
            }
            Ok(Grown {
                mask: out,
                lower: lo,
                upper: hi,
            })
        }
    }
}

/// 1 where every voxel of the box of `radius` around it (edge replicate) is non-zero.
fn box_all(mask: &Volume<u8>, radius: [usize; 3]) -> Vec<u8> {
    let size = mask.size();
    let mut cur = mask.as_slice().to_vec();
    let strides = [1, size[0], size[0] * size[1]];
    for a in 0..3 {
        let r = radius[a];
        if r == 0 || size[a] == 1 {
            continue;
        }
        let n = size[a];
        let mut next = cur.clone();
        let lines = cur.len() / n;
        let mut line = vec![0u8; n];
        let mut zeros = vec![0u32; n + 1];
        for l in 0..lines {
            // start index of line l along axis a
            let base = match a {
                0 => l * n,
                1 => (l / size[0]) * size[0] * size[1] + (l % size[0]),
                _ => l,
            };
            for (i, v) in line.iter_mut().enumerate() {
                *v = cur[base + i * strides[a]];
            }
            for i in 0..n {
                zeros[i + 1] = zeros[i] + u32::from(line[i] == 0);
            }
            for i in 0..n {
                let lo = i.saturating_sub(r);
                let hi = (i + r).min(n - 1);
                next[base + i * strides[a]] = u8::from(zeros[hi + 1] == zeros[lo]);
            }
        }
        cur = next;
    }
    cur
}

/// Grows a region in a volume of any pixel type.
pub fn region_grow_any(vol: &AnyVolume, p: &RegionGrowParams, exec: &Executor) -> Result<Grown> {
    medvox_core::with_volume!(vol, v => region_grow(v, p, exec))
}
