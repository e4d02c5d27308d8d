//! Display windows: `(centre, width)` → grey levels, and the default window.
//!
//! grey = `(v − (c − w/2)) / w · 255`, clamped to 0…255 and rounded; NaN is
//! black. The default window is the 0.5–99.5 percentile range (numpy's linear
//! percentile) of the finite voxels — of a deterministic subsample of at most
//! 2²¹ voxels for large volumes — or min/max for tiny, binary or
//! mostly-constant images.

use medvox_core::{with_volume, AnyVolume, Pixel};

const MAX_SAMPLES: usize = 1 << 21;

fn finite_sample(volume: &AnyVolume) -> Vec<f64> {
    with_volume!(volume, v => {
        let s = v.as_slice();
        // An odd stride never aliases with power-of-two row lengths.
        let mut step = s.len().div_ceil(MAX_SAMPLES).max(1);
        if step > 1 && step % 2 == 0 {
            step += 1;
        }
        s.iter()
            .step_by(step)
            .map(|x| x.to_f64())
            .filter(|x| x.is_finite())
            .collect()
    })
}

/// Smallest and largest finite voxel; `None` when there is none.
pub fn finite_min_max(volume: &AnyVolume) -> Option<(f64, f64)> {
    with_volume!(volume, v => {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for x in v.as_slice() {
            let x = x.to_f64();
            if x.is_finite() {
                lo = lo.min(x);
                hi = hi.max(x);
            }
        }
        (lo <= hi).then_some((lo, hi))
    })
}

/// numpy's default (linear) percentile of sorted data.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let pos = p / 100.0 * (sorted.len() - 1) as f64;
    let i = pos.floor() as usize;
    let j = (i + 1).min(sorted.len() - 1);
    let f = pos - i as f64;
    sorted[i] + f * (sorted[j] - sorted[i])
}

/// `(lo, hi)` of the default window, `hi > lo`.
fn auto_range(volume: &AnyVolume) -> Option<(f64, f64)> {
    let (min, max) = finite_min_max(volume)?;
    if min == max {
        return Some((min - 0.5, max + 0.5));
    }
    let mut s = finite_sample(volume);
    s.sort_unstable_by(f64::total_cmp);
    let binary = s.len() < 64 || s.first() == s.last() || {
        let first = s[0];
        let last = s[s.len() - 1];
        s.iter().all(|&x| x == first || x == last)
    };
    if binary {
        return Some((min, max));
    }
    let lo = percentile(&s, 0.5);
    let hi = percentile(&s, 99.5);
    if hi > lo {
        Some((lo, hi))
    } else {
        Some((min, max))
    }
}

/// The default display window `(centre, width)` of a volume (see the module
/// docs); `None` when it has no finite voxel.
pub fn auto_window(volume: &AnyVolume) -> Option<(f64, f64)> {
    let (lo, hi) = auto_range(volume)?;
    Some(((lo + hi) / 2.0, hi - lo))
}

/// Grey level of `v` in the window `[lo, hi]`.
pub(crate) fn grey(v: f64, lo: f64, hi: f64) -> u8 {
    if v.is_nan() {
        return 0;
    }
    ((v - lo) / (hi - lo) * 255.0).clamp(0.0, 255.0).round() as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use medvox_core::{Geometry, Volume};

    #[test]
    fn default_window_percentiles() {
        // 0..=999 ramp: the 0.5 and 99.5 percentiles are 4.995 and 994.005.
        let v: AnyVolume = Volume::from_vec(
            [1000, 1, 1],
            (0..1000).map(|x| x as f32).collect(),
            Geometry::default(),
        )
        .unwrap()
        .into();
        let (c, w) = auto_window(&v).unwrap();
        assert!(
            (c - 499.5).abs() < 1e-9 && (w - 989.01).abs() < 1e-9,
            "{c} {w}"
        );
        // A sparse binary mask uses min/max, so the foreground stays visible.
        let mut m = vec![0u8; 100_000];
        m[5] = 1;
        let v: AnyVolume = Volume::from_vec([100_000, 1, 1], m, Geometry::default())
            .unwrap()
            .into();
        assert_eq!(auto_window(&v), Some((0.5, 1.0)));
        let v: AnyVolume = Volume::from_vec([3, 1, 1], vec![f32::NAN; 3], Geometry::default())
            .unwrap()
            .into();
        assert_eq!(auto_window(&v), None);
    }

    #[test]
    fn grey_levels() {
        assert_eq!(grey(-1000.0, -160.0, 240.0), 0);
        assert_eq!(grey(40.0, -160.0, 240.0), 128);
        assert_eq!(grey(1e9, -160.0, 240.0), 255);
        assert_eq!(grey(f64::NAN, 0.0, 1.0), 0);
    }
}
