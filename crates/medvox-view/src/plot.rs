//! Plots for reports: an intensity histogram as a bar chart.
//!
//! ```
//! use medvox_view::plot::{histogram_plot, Histogram, HistogramPlot};
//! let h = Histogram { counts: vec![5, 50, 20, 0, 3], lo: -1000.0, hi: 1000.0 };
//! let img = histogram_plot(&h, &HistogramPlot::default()).unwrap();
//! assert_eq!((img.width, img.height), (640, 320));
//! ```

use medvox_core::stats::histogram;
use medvox_core::{with_volume, AnyVolume, Executor};

use crate::error::{Result, ViewError};
use crate::image::{draw_text, fmt_num, text_width, RgbImage};
use crate::window::finite_min_max;

/// Counts of equal bins over `[lo, hi]` (core's [`histogram`] rule: value x in
/// bin `floor((x − lo) / (hi − lo) · bins)`, x = hi in the last bin).
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Voxels per bin.
    pub counts: Vec<u64>,
    /// Lower edge of the first bin.
    pub lo: f64,
    /// Upper edge of the last bin.
    pub hi: f64,
}

impl Histogram {
    /// The histogram of a volume's voxels in `bins` bins over `range` (default:
    /// its finite min…max; NaN and values outside are not counted).
    pub fn of(
        volume: &AnyVolume,
        bins: usize,
        range: Option<(f64, f64)>,
        exec: &Executor,
    ) -> Result<Histogram> {
        if bins == 0 {
            return Err(ViewError::Option(
                "a histogram needs at least one bin".into(),
            ));
        }
        let (lo, hi) = range
            .or_else(|| finite_min_max(volume))
            .unwrap_or((0.0, 1.0));
        if !(lo.is_finite() && hi.is_finite() && hi >= lo) {
            return Err(ViewError::Option(format!(
                "histogram range must be finite with lo ≤ hi, got {lo}…{hi}"
            )));
        }
        let counts = with_volume!(volume, v => histogram(v, exec, bins, lo, hi));
        Ok(Histogram { counts, lo, hi })
    }
}

/// Options of [`histogram_plot`].
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramPlot {
    /// Image width in pixels (≥ 120).
    pub width: u32,
    /// Image height in pixels (≥ 80).
    pub height: u32,
    /// Logarithmic count axis (`log10(1 + count)`), so small classes stay visible.
    pub log: bool,
    /// Text above the plot (upper-cased by the bitmap font).
    pub title: String,
    /// Vertical marker lines at these values, with a short label each (e.g. a threshold).
    pub markers: Vec<(f64, String)>,
}

impl Default for HistogramPlot {
    fn default() -> Self {
        HistogramPlot {
            width: 640,
            height: 320,
            log: true,
            title: String::new(),
            markers: Vec::new(),
        }
    }
}

const BG: [u8; 3] = [255, 255, 255];
const AXIS: [u8; 3] = [60, 60, 60];
const BAR: [u8; 3] = [70, 110, 180];
const MARK: [u8; 3] = [220, 40, 40];
const SCALE: i64 = 1;
const LINE_H: i64 = 7 * SCALE + 4;

/// Draws `h` as a bar chart: the x axis labelled with its range (the values at
/// the plot's left edge, middle and right edge), the y axis with the largest
/// count, markers as red vertical lines.
pub fn histogram_plot(h: &Histogram, opts: &HistogramPlot) -> Result<RgbImage> {
    if opts.width < 120 || opts.height < 80 || opts.width > 8192 || opts.height > 8192 {
        return Err(ViewError::Option(format!(
            "histogram plot must be 120…8192 × 80…8192 pixels, got {}×{}",
            opts.width, opts.height
        )));
    }
    if h.counts.is_empty() || !(h.lo.is_finite() && h.hi.is_finite() && h.hi >= h.lo) {
        return Err(ViewError::Option(format!(
            "histogram needs at least one bin and a finite range, got {} bins over {}…{}",
            h.counts.len(),
            h.lo,
            h.hi
        )));
    }
    let mut img = RgbImage::new(opts.width, opts.height, BG);
    let (w, ht) = (opts.width as i64, opts.height as i64);
    let max = h.counts.iter().copied().max().unwrap_or(0);
    let ylab = format!("{max}");
    let left = 8 + text_width(&ylab, SCALE).max(text_width("0", SCALE)) + 6;
    let (right, top, bottom) = (w - 12, 8 + LINE_H + 4, ht - 2 * LINE_H - 6);
    draw_text(&mut img, left, 6, &opts.title, SCALE, AXIS);
    let f = |c: u64| {
        if opts.log {
            (1.0 + c as f64).log10()
        } else {
            c as f64
        }
    };
    let fmax = f(max).max(f64::MIN_POSITIVE);
    let pw = (right - left).max(1);
    let n = h.counts.len() as i64;
    for x in 0..pw {
        // The bins under this pixel column: draw the largest.
        let (b0, b1) = (x * n / pw, ((x + 1) * n / pw).max(x * n / pw + 1).min(n));
        let c = h.counts[b0 as usize..b1 as usize]
            .iter()
            .copied()
            .max()
            .unwrap_or(0);
        if c == 0 {
            continue;
        }
        let bar = ((f(c) / fmax) * (bottom - top) as f64).round().max(1.0) as i64;
        img.fill_rect(left + x, bottom - bar, left + x + 1, bottom, BAR);
    }
    // Axes, ticks and labels.
    img.fill_rect(left - 1, top, left, bottom + 1, AXIS);
    img.fill_rect(left - 1, bottom, right + 1, bottom + 1, AXIS);
    draw_text(&mut img, 8, top, &ylab, SCALE, AXIS);
    draw_text(
        &mut img,
        8 + text_width(&ylab, SCALE) - text_width("0", SCALE),
        bottom - 7 * SCALE,
        "0",
        SCALE,
        AXIS,
    );
    let value_x = |v: f64| -> i64 {
        if h.hi > h.lo {
            left + ((v - h.lo) / (h.hi - h.lo) * pw as f64).round() as i64
        } else {
            left + pw / 2
        }
    };
    let y_lab = bottom + 5;
    for (i, v) in [h.lo, (h.lo + h.hi) / 2.0, h.hi].into_iter().enumerate() {
        let s = fmt_num(v);
        let x = value_x(v);
        img.fill_rect(x, bottom, x + 1, bottom + 4, AXIS);
        let tw = text_width(&s, SCALE);
        let tx = match i {
            0 => x,
            1 => x - tw / 2,
            _ => x - tw,
        };
        draw_text(
            &mut img,
            tx.clamp(0, (w - tw).max(0)),
            y_lab,
            &s,
            SCALE,
            AXIS,
        );
    }
    let axis_note = if opts.log { "COUNT (LOG)" } else { "COUNT" };
    draw_text(
        &mut img,
        w - 12 - text_width(axis_note, SCALE),
        6,
        axis_note,
        SCALE,
        AXIS,
    );
    for (v, label) in &opts.markers {
        if !v.is_finite() || *v < h.lo || *v > h.hi {
            continue;
        }
        let x = value_x(*v);
        for y in (top..bottom).step_by(2) {
            img.put(x, y, MARK);
        }
        let tw = text_width(label, SCALE);
        let tx = if x + 3 + tw <= right {
            x + 3
        } else {
            x - 3 - tw
        };
        draw_text(&mut img, tx, top + 2, label, SCALE, MARK);
    }
    Ok(img)
}

#[cfg(test)]
mod tests {
    use super::*;
    use medvox_core::{Geometry, Volume};

    #[test]
    fn bars_where_the_counts_are() {
        let h = Histogram {
            counts: vec![0, 100, 0, 0],
            lo: 0.0,
            hi: 4.0,
        };
        let opts = HistogramPlot {
            log: false,
            markers: vec![(3.5, "T".into())],
            ..Default::default()
        };
        let img = histogram_plot(&h, &opts).unwrap();
        let bar_cols: Vec<u32> = (0..img.width)
            .filter(|&x| (0..img.height).any(|y| img.get(x, y) == Some(BAR)))
            .collect();
        assert!(!bar_cols.is_empty());
        // Bin 1 of 4 covers the second quarter of the plot area.
        let (first, last) = (bar_cols[0] as f64, *bar_cols.last().unwrap() as f64);
        let w = img.width as f64;
        assert!(first > 0.2 * w && last < 0.55 * w, "{first} {last}");
        let mark_cols: Vec<u32> = (0..img.width)
            .filter(|&x| {
                (0..img.height)
                    .filter(|&y| img.get(x, y) == Some(MARK))
                    .count()
                    > 50
            })
            .collect();
        assert_eq!(mark_cols.len(), 1);
        assert!(mark_cols[0] as f64 > 0.8 * w);
    }

    #[test]
    fn histogram_of_a_volume() {
        let v: AnyVolume = Volume::from_vec([4, 1, 1], vec![0i16, 1, 1, 3], Geometry::default())
            .unwrap()
            .into();
        let exec = Executor::new(1).unwrap();
        let h = Histogram::of(&v, 3, None, &exec).unwrap();
        assert_eq!(h.counts, vec![1, 2, 1]);
        assert_eq!((h.lo, h.hi), (0.0, 3.0));
        assert!(Histogram::of(&v, 0, None, &exec).is_err());
        let flat = Histogram {
            counts: vec![7],
            lo: 2.0,
            hi: 2.0,
        };
        histogram_plot(&flat, &HistogramPlot::default()).unwrap();
        let bad = HistogramPlot {
            width: 10,
            ..Default::default()
        };
        assert!(histogram_plot(&flat, &bad).is_err());
    }
}
