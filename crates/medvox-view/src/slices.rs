//! Orthogonal slices through one voxel: three panels (axial, coronal,
//! sagittal) side by side, with orientation letters, a window, and optionally a
//! label overlay ([`render`]) or a second volume fused in ([`render_pair`]).
//!
//! Conventions:
//! * **Patient orientation, radiological display**, whatever the storage order:
//!   the index axes are first permuted/flipped to the closest anatomical axes
//!   (see [`crate::orient`]). Then the axial panel is seen from the feet
//!   (patient's right on the image left, anterior at the top), the coronal from
//!   the front (right on the left, superior at the top) and the sagittal from the
//!   patient's left (anterior on the left, superior at the top). Orientation
//!   letters are drawn at the panel edges.
//! * **True physical aspect ratio**: every panel uses the same millimetres per
//!   display pixel (square pixels), chosen so the longest physical extent of the
//!   volume spans `max_panel_px`. Resampling is **nearest neighbour** (voxels stay
//!   visible as blocks; labels are never blended into each other).
//! * **Window** `(centre, width)`: see [`crate::window`]; the default is the
//!   0.5–99.5 percentile range. NaN shows as black.
//! * **Overlay**: a label map on the same grid (same size and the same physical
//!   voxel positions — it may be stored in another axis order). Each non-zero
//!   label (value rounded to an integer) is blended with its colour from a
//!   [`ColourTable`] with `overlay_alpha`, and its outline drawn opaque.
//! * **Pairs** (registration checks), both volumes on the same grid:
//!   [`Fusion::Checkerboard`] alternates blocks of the two (ITK's
//!   `CheckerBoardImageFilter` rule on the first volume's stored index: block
//!   size `size / pattern` voxels per axis, the first volume where the sum of
//!   block indices is even); [`Fusion::Colour`] shows the first volume in
//!   magenta and the second in green (grey where they agree).
//! * The slice point is a voxel index `[i, j, k]` of the stored (first) volume;
//!   the default is the centre voxel `size / 2`.

use medvox_core::{with_volume, AnyVolume, Geometry, Pixel};

use crate::colour::{blend, label_of, ColourTable};
use crate::error::{Result, ViewError};
use crate::image::{draw_char, draw_text, fmt_num, text_width, RgbImage};
use crate::orient::Canon;
use crate::window::{auto_window, grey};

/// Options of [`render`].
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotOptions {
    /// Display window `(centre, width)`; `None`: 0.5–99.5 percentile.
    pub window: Option<(f64, f64)>,
    /// Voxel index `[i, j, k]` the three slices go through; `None`: the centre voxel.
    pub point: Option<[usize; 3]>,
    /// Opacity of the label colours (0…1).
    pub overlay_alpha: f64,
    /// Draw label outlines opaque.
    pub overlay_outline: bool,
    /// Display pixels along the longest physical extent of the volume (16…8192).
    pub max_panel_px: u32,
    /// Colours of the overlay's labels.
    pub colours: ColourTable,
}

impl Default for SnapshotOptions {
    fn default() -> Self {
        SnapshotOptions {
            window: None,
            point: None,
            overlay_alpha: 0.4,
            overlay_outline: true,
            max_panel_px: 512,
            colours: ColourTable::default(),
        }
    }
}

/// How [`render_pair`] fuses two volumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fusion {
    /// Alternating blocks, `pattern` blocks along each stored axis (SimpleITK's
    /// `CheckerBoard(a, b, checkerPattern)`; SimpleITK's default is `[4, 4, 4]`).
    Checkerboard {
        /// Number of blocks along x, y, z (≥ 1).
        pattern: [usize; 3],
    },
    /// First volume in magenta (red + blue), second in green.
    Colour,
}

/// Options of [`render_pair`].
#[derive(Debug, Clone, PartialEq)]
pub struct PairOptions {
    /// How the two volumes are combined.
    pub fusion: Fusion,
    /// Window of the first volume; `None`: its 0.5–99.5 percentile range.
    pub window_a: Option<(f64, f64)>,
    /// Window of the second volume; `None`: its 0.5–99.5 percentile range.
    pub window_b: Option<(f64, f64)>,
    /// Voxel index `[i, j, k]` of the first volume; `None`: the centre voxel.
    pub point: Option<[usize; 3]>,
    /// Display pixels along the longest physical extent (16…8192).
    pub max_panel_px: u32,
}

impl Default for PairOptions {
    fn default() -> Self {
        PairOptions {
            fusion: Fusion::Checkerboard { pattern: [4; 3] },
            window_a: None,
            window_b: None,
            point: None,
            max_panel_px: 512,
        }
    }
}

/// Renders the axial, coronal and sagittal slices through `opts.point` side by
/// side, with `overlay` (a label map on the same grid) blended in.
pub fn render(
    volume: &AnyVolume,
    overlay: Option<&AnyVolume>,
    opts: &SnapshotOptions,
) -> Result<RgbImage> {
    Ok(render_layout(volume, overlay, opts)?.0)
}

/// Renders two volumes on the same grid fused together (see [`Fusion`]), as
/// three orthogonal panels like [`render`].
pub fn render_pair(a: &AnyVolume, b: &AnyVolume, opts: &PairOptions) -> Result<RgbImage> {
    Ok(render_pair_layout(a, b, opts)?.0)
}

// ---------------------------------------------------------------------------
// Panels

/// One panel: world axes along the image columns (left → right) and rows
/// (top → bottom), whether the canonical coordinate increases that way,
/// and the letters at the left, right, top and bottom edges.
pub(crate) struct PanelSpec {
    title: &'static str,
    pub(crate) h: usize,
    h_inc: bool,
    pub(crate) v: usize,
    v_inc: bool,
    letters: [char; 4],
}

pub(crate) const PANELS: [PanelSpec; 3] = [
    PanelSpec {
        title: "AXIAL",
        h: 0,
        h_inc: true,
        v: 1,
        v_inc: true,
        letters: ['R', 'L', 'A', 'P'],
    },
    PanelSpec {
        title: "CORONAL",
        h: 0,
        h_inc: true,
        v: 2,
        v_inc: false,
        letters: ['R', 'L', 'S', 'I'],
    },
    PanelSpec {
        title: "SAGITTAL",
        h: 1,
        h_inc: true,
        v: 2,
        v_inc: false,
        letters: ['A', 'P', 'S', 'I'],
    },
];

/// Where a panel landed in the output image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct PanelRect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// The volume's canonical frame, the slice point and the display scale.
struct Frame {
    canon: Canon,
    point: [usize; 3],
    pu: [usize; 3],
    px_per_mm: f64,
    max_px: u32,
}

impl Frame {
    fn new(volume: &AnyVolume, point: Option<[usize; 3]>, max_px: u32) -> Result<Frame> {
        let size = volume.size();
        if size.contains(&0) {
            return Err(ViewError::Empty {
                what: "volume",
                size,
            });
        }
        if !(16..=8192).contains(&max_px) {
            return Err(ViewError::Option(format!(
                "panel size must be 16…8192 pixels, got {max_px}"
            )));
        }
        let canon = Canon::new(size, volume.geometry());
        let point = point.unwrap_or([size[0] / 2, size[1] / 2, size[2] / 2]);
        if (0..3).any(|a| point[a] >= size[a]) {
            return Err(ViewError::PointOutside { point, size });
        }
        // Common scale: the longest physical extent spans max_px.
        let longest = canon.extent().iter().cloned().fold(0.0f64, f64::max);
        Ok(Frame {
            pu: canon.canon_of(point),
            canon,
            point,
            px_per_mm: max_px as f64 / longest,
            max_px,
        })
    }

    /// Size of a panel and the canonical coordinates shown at each of its
    /// pixels (row-major).
    fn panel(&self, spec: &PanelSpec) -> (u32, u32, Vec<[usize; 3]>) {
        let ext = self.canon.extent();
        let dims = |e: f64| ((e * self.px_per_mm).round() as u32).clamp(1, self.max_px);
        let (w, h) = (dims(ext[spec.h]), dims(ext[spec.v]));
        let n = self.canon.n;
        let cols: Vec<usize> = (0..w)
            .map(|x| voxel_at(x, w, n[spec.h], spec.h_inc))
            .collect();
        let rows: Vec<usize> = (0..h)
            .map(|y| voxel_at(y, h, n[spec.v], spec.v_inc))
            .collect();
        let mut coords = Vec::with_capacity(w as usize * h as usize);
        for &r in &rows {
            for &c in &cols {
                let mut u = self.pu;
                u[spec.h] = c;
                u[spec.v] = r;
                coords.push(u);
            }
        }
        (w, h, coords)
    }
}

/// Canonical voxel coordinate shown at display pixel `p` of `len` pixels
/// covering `n` voxels (nearest neighbour).
fn voxel_at(p: u32, len: u32, n: usize, increasing: bool) -> usize {
    let u = (((p as f64 + 0.5) * n as f64 / len as f64).floor() as usize).min(n - 1);
    if increasing {
        u
    } else {
        n - 1 - u
    }
}

fn gather(volume: &AnyVolume, offsets: impl Iterator<Item = usize>) -> Vec<f64> {
    with_volume!(volume, v => {
        let s = v.as_slice();
        offsets.map(|o| s.get(o).map_or(f64::NAN, |x| x.to_f64())).collect()
    })
}

fn check_window(window: Option<(f64, f64)>, volume: &AnyVolume) -> Result<(f64, f64)> {
    let (c, w) = window.or_else(|| auto_window(volume)).unwrap_or((0.5, 1.0));
    if !(c.is_finite() && w.is_finite() && w > 0.0) {
        return Err(ViewError::Option(format!(
            "window needs a finite centre and a width > 0, got {c},{w}"
        )));
    }
    Ok((c, w))
}

/// Checks that `other` lies on the grid of the volume with frame `img` (same
/// canonical size and the same physical corner positions within half a voxel),
/// and returns its canonical frame.
fn check_grid(img: &Canon, ig: &Geometry, other: &AnyVolume, what: &str) -> Result<Canon> {
    if other.size().contains(&0) {
        return Err(ViewError::Grid(format!(
            "{what} is empty (size {:?})",
            other.size()
        )));
    }
    let og = other.geometry();
    let ov = Canon::new(other.size(), og);
    if img.n != ov.n {
        return Err(ViewError::Grid(format!(
            "{what} size {:?} does not match the image size {:?}: the {what} must be on the image's voxel grid",
            other.size(),
            img.size
        )));
    }
    let tol = 0.5 * img.sp.iter().cloned().fold(f64::INFINITY, f64::min);
    for corner in 0..8 {
        let u = [0, 1, 2].map(|a| {
            if corner >> a & 1 == 1 {
                img.n[a] - 1
            } else {
                0
            }
        });
        let to_f = |i: [usize; 3]| i.map(|x| x as f64);
        let p = ig.index_to_physical(to_f(img.index_of(u)));
        let q = og.index_to_physical(to_f(ov.index_of(u)));
        let d = (0..3).map(|a| (p[a] - q[a]).powi(2)).sum::<f64>().sqrt();
        if d.is_nan() || d > tol {
            return Err(ViewError::Grid(format!(
                "{what} is not on the image's grid: voxel corner {:?} is at {:.3?} mm in the image but {:.3?} mm in the {what} (resample it onto the image first)",
                img.index_of(u),
                p,
                q
            )));
        }
    }
    Ok(ov)
}

pub(crate) fn render_layout(
    volume: &AnyVolume,
    overlay: Option<&AnyVolume>,
    opts: &SnapshotOptions,
) -> Result<(RgbImage, [PanelRect; 3])> {
    let frame = Frame::new(volume, opts.point, opts.max_panel_px)?;
    if !(opts.overlay_alpha.is_finite() && (0.0..=1.0).contains(&opts.overlay_alpha)) {
        return Err(ViewError::Option(format!(
            "overlay opacity must be within 0…1, got {}",
            opts.overlay_alpha
        )));
    }
    let (c, w) = check_window(opts.window, volume)?;
    let (lo, hi) = (c - w / 2.0, c + w / 2.0);
    let ov = match overlay {
        Some(o) => Some((
            o,
            check_grid(&frame.canon, volume.geometry(), o, "overlay")?,
        )),
        None => None,
    };

    let alpha = opts.overlay_alpha;
    let mut panels = Vec::with_capacity(3);
    for spec in &PANELS {
        let (w, h, coords) = frame.panel(spec);
        let values = gather(volume, coords.iter().map(|&u| frame.canon.flat(u)));
        let mut pix: Vec<[u8; 3]> = values.into_iter().map(|v| [grey(v, lo, hi); 3]).collect();
        if let Some((o, oc)) = &ov {
            let labels: Vec<i64> = gather(o, coords.iter().map(|&u| oc.flat(u)))
                .into_iter()
                .map(label_of)
                .collect();
            let (wu, hu) = (w as usize, h as usize);
            for (i, (px, &l)) in pix.iter_mut().zip(&labels).enumerate() {
                if l == 0 {
                    continue;
                }
                let (x, y) = (i % wu, i / wu);
                let edge = opts.overlay_outline
                    && ((x > 0 && labels[i - 1] != l)
                        || (x + 1 < wu && labels[i + 1] != l)
                        || (y > 0 && labels[i - wu] != l)
                        || (y + 1 < hu && labels[i + wu] != l));
                let a = if edge { 1.0 } else { alpha };
                *px = blend(*px, opts.colours.colour(l), a);
            }
        }
        panels.push((w, h, pix));
    }
    let p = frame.point;
    let footer = format!(
        "VOXEL {},{},{}  WINDOW {},{}",
        p[0],
        p[1],
        p[2],
        fmt_num(c),
        fmt_num(w)
    );
    Ok(compose(&panels, &footer))
}

pub(crate) fn render_pair_layout(
    a: &AnyVolume,
    b: &AnyVolume,
    opts: &PairOptions,
) -> Result<(RgbImage, [PanelRect; 3])> {
    let frame = Frame::new(a, opts.point, opts.max_panel_px)?;
    let bc = check_grid(&frame.canon, a.geometry(), b, "second volume")?;
    let (ca, wa) = check_window(opts.window_a, a)?;
    let (cb, wb) = check_window(opts.window_b, b)?;
    if let Fusion::Checkerboard { pattern } = opts.fusion {
        if pattern.contains(&0) {
            return Err(ViewError::Option(format!(
                "checkerboard pattern needs at least one block per axis, got {pattern:?}"
            )));
        }
    }
    let size = frame.canon.size;
    let mut panels = Vec::with_capacity(3);
    for spec in &PANELS {
        let (w, h, coords) = frame.panel(spec);
        let ga: Vec<u8> = gather(a, coords.iter().map(|&u| frame.canon.flat(u)))
            .into_iter()
            .map(|v| grey(v, ca - wa / 2.0, ca + wa / 2.0))
            .collect();
        let gb: Vec<u8> = gather(b, coords.iter().map(|&u| bc.flat(u)))
            .into_iter()
            .map(|v| grey(v, cb - wb / 2.0, cb + wb / 2.0))
            .collect();
        let pix: Vec<[u8; 3]> = match opts.fusion {
            Fusion::Colour => ga.iter().zip(&gb).map(|(&x, &y)| [x, y, x]).collect(),
            Fusion::Checkerboard { pattern } => coords
                .iter()
                .zip(ga.iter().zip(&gb))
                .map(|(&u, (&x, &y))| {
                    let g = if checker_first(frame.canon.index_of(u), size, pattern) {
                        x
                    } else {
                        y
                    };
                    [g; 3]
                })
                .collect(),
        };
        panels.push((w, h, pix));
    }
    let p = frame.point;
    let how = match opts.fusion {
        Fusion::Colour => "A MAGENTA B GREEN".to_string(),
        Fusion::Checkerboard { pattern } => {
            format!("CHECKER {},{},{}", pattern[0], pattern[1], pattern[2])
        }
    };
    let footer = format!("VOXEL {},{},{}  {how}", p[0], p[1], p[2]);
    Ok(compose(&panels, &footer))
}

/// Whether stored voxel `index` shows the first volume in a checkerboard of
/// `pattern` blocks (ITK `CheckerBoardImageFilter`: block size
/// `max(1, size / pattern)` per axis, first volume where the sum of the
/// block indices is even).
pub fn checker_first(index: [usize; 3], size: [usize; 3], pattern: [usize; 3]) -> bool {
    let sum: usize = (0..3)
        .map(|d| index[d] / (size[d] / pattern[d].max(1)).max(1))
        .sum();
    sum % 2 == 0
}

// ---------------------------------------------------------------------------
// Layout

const BG: [u8; 3] = [18, 18, 18];
const LETTER: [u8; 3] = [255, 210, 0];
const TEXT: [u8; 3] = [190, 190, 190];
const FONT_SCALE: i64 = 2;
const GLYPH_W: i64 = 5 * FONT_SCALE;
const GLYPH_H: i64 = 7 * FONT_SCALE;
const PAD: u32 = 20;
const TITLE_H: u32 = 22;
const FOOTER_H: u32 = 22;
const OUTER: u32 = 4;

/// Lays out the three panels: one cell each, letters in the padding, titles
/// above, a footer line.
fn compose(panels: &[(u32, u32, Vec<[u8; 3]>)], footer: &str) -> (RgbImage, [PanelRect; 3]) {
    let max_h = panels.iter().map(|p| p.1).max().unwrap_or(1);
    let cell_w: Vec<u32> = panels
        .iter()
        .zip(&PANELS)
        .map(|(p, s)| (p.0 + 2 * PAD).max(text_width(s.title, FONT_SCALE) as u32 + 8))
        .collect();
    let width = (cell_w.iter().sum::<u32>() + 2 * OUTER)
        .max(text_width(footer, FONT_SCALE) as u32 + 2 * OUTER);
    let height = OUTER + TITLE_H + max_h + 2 * PAD + FOOTER_H;
    let mut img = RgbImage::new(width, height, BG);
    let mut rects = [PanelRect::default(); 3];
    let mut cx = OUTER;
    for (i, ((w, h, pix), spec)) in panels.iter().zip(&PANELS).enumerate() {
        let x0 = cx + (cell_w[i] - w) / 2;
        let y0 = OUTER + TITLE_H + PAD + (max_h - h) / 2;
        img.blit(x0, y0, *w, *h, pix);
        rects[i] = PanelRect {
            x: x0,
            y: y0,
            w: *w,
            h: *h,
        };
        let tx = cx as i64 + (cell_w[i] as i64 - text_width(spec.title, FONT_SCALE)) / 2;
        draw_text(&mut img, tx, OUTER as i64 + 3, spec.title, FONT_SCALE, TEXT);
        let (x0, y0, w, h, pad) = (x0 as i64, y0 as i64, *w as i64, *h as i64, PAD as i64);
        let mid_x = x0 + w / 2 - GLYPH_W / 2;
        let mid_y = y0 + h / 2 - GLYPH_H / 2;
        let [l, r, t, b] = spec.letters;
        let s = FONT_SCALE;
        draw_char(&mut img, x0 - pad / 2 - GLYPH_W / 2, mid_y, l, s, LETTER);
        draw_char(
            &mut img,
            x0 + w + pad / 2 - GLYPH_W / 2,
            mid_y,
            r,
            s,
            LETTER,
        );
        draw_char(&mut img, mid_x, y0 - pad / 2 - GLYPH_H / 2, t, s, LETTER);
        draw_char(
            &mut img,
            mid_x,
            y0 + h + pad / 2 - GLYPH_H / 2,
            b,
            s,
            LETTER,
        );
        cx += cell_w[i];
    }
    draw_text(
        &mut img,
        OUTER as i64,
        (height - FOOTER_H + 4) as i64,
        footer,
        FONT_SCALE,
        TEXT,
    );
    (img, rects)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::colour::PALETTE;
    use medvox_core::{Mat3, Volume};

    /// A volume whose voxel centres are placed by `dir`/`spacing` around the
    /// physical origin, valued by a function of the physical point (LPS).
    fn phys_volume(
        size: [usize; 3],
        spacing: [f64; 3],
        dir: Mat3,
        f: impl Fn([f64; 3]) -> f32,
    ) -> AnyVolume {
        let mut g = Geometry::new(spacing, [0.0; 3], dir).unwrap();
        let c = g.index_to_physical(size.map(|n| (n as f64 - 1.0) / 2.0));
        g.origin = c.map(|x| -x);
        let mut data = Vec::new();
        for k in 0..size[2] {
            for j in 0..size[1] {
                for i in 0..size[0] {
                    data.push(f(g.index_to_physical([i as f64, j as f64, k as f64])));
                }
            }
        }
        Volume::from_vec(size, data, g).unwrap().into()
    }

    /// Centroid (x, y) in panel-relative fractions of the pixels equal to `c`.
    fn centroid(img: &RgbImage, r: PanelRect, c: [u8; 3]) -> Option<(f64, f64)> {
        let (mut sx, mut sy, mut n) = (0.0, 0.0, 0.0);
        for y in 0..r.h {
            for x in 0..r.w {
                if img.get(r.x + x, r.y + y) == Some(c) {
                    sx += (x as f64 + 0.5) / r.w as f64;
                    sy += (y as f64 + 0.5) / r.h as f64;
                    n += 1.0;
                }
            }
        }
        (n > 0.0).then(|| (sx / n, sy / n))
    }

    fn rot_z(t: f64) -> Mat3 {
        [
            [t.cos(), -t.sin(), 0.0],
            [t.sin(), t.cos(), 0.0],
            [0.0, 0.0, 1.0],
        ]
    }

    #[test]
    fn radiological_orientation_for_any_direction() {
        // Markers in patient space: left (+x) = 100, anterior (−y) = 50, superior (+z) = 76.
        let marker = |p: [f64; 3]| {
            if p[0] > 5.0 {
                100.0
            } else if p[1] < -5.0 {
                50.0
            } else if p[2] > 5.0 {
                76.0
            } else {
                0.0
            }
        };
        let dirs: [(&str, Mat3); 5] = [
            ("identity (LPS)", Geometry::IDENTITY),
            (
                "RAS-like",
                [[-1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]],
            ),
            // i → S, j → L, k → P
            (
                "permuted",
                [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]],
            ),
            // i → I, j → R, k → A
            (
                "permuted+flipped",
                [[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [-1.0, 0.0, 0.0]],
            ),
            ("oblique 20°", rot_z(20f64.to_radians())),
        ];
        let opts = SnapshotOptions {
            window: Some((50.0, 100.0)),
            max_panel_px: 128,
            ..Default::default()
        };
        let left = [255u8; 3];
        let ant = [128u8; 3];
        let sup = [194u8; 3];
        for (name, dir) in dirs {
            let v = phys_volume([30, 24, 20], [1.0, 1.25, 1.5], dir, marker);
            let (img, rects) = render_layout(&v, None, &opts).unwrap();
            let [ax, co, sa] = rects;
            let (lx, _) = centroid(&img, ax, left).expect(name);
            assert!(lx > 0.7, "{name}: left marker at x={lx} in the axial panel");
            let (_, ay) = centroid(&img, ax, ant).expect(name);
            assert!(
                ay < 0.3,
                "{name}: anterior marker at y={ay} in the axial panel"
            );
            let (lx, _) = centroid(&img, co, left).expect(name);
            assert!(
                lx > 0.7,
                "{name}: left marker at x={lx} in the coronal panel"
            );
            let (_, sy) = centroid(&img, co, sup).expect(name);
            assert!(
                sy < 0.3,
                "{name}: superior marker at y={sy} in the coronal panel"
            );
            let (ax_, _) = centroid(&img, sa, ant).expect(name);
            assert!(ax_ < 0.3, "{name}: anterior marker at x={ax_} in sagittal");
            let (_, sy) = centroid(&img, sa, sup).expect(name);
            assert!(sy < 0.3, "{name}: superior marker at y={sy} in sagittal");
            // Physical extents: L–R 30 mm, A–P 30 mm, S–I 30 mm for the
            // non-oblique cases, whatever axis holds them.
            if !name.starts_with("oblique") {
                let ext = |a: usize| {
                    let c = Canon::new(v.size(), v.geometry());
                    c.n[a] as f64 * c.sp[a]
                };
                for (r, spec) in rects.iter().zip(&PANELS) {
                    let want = ext(spec.h) / ext(spec.v);
                    let got = r.w as f64 / r.h as f64;
                    assert!((got - want).abs() < 0.03, "{name}: {got} vs {want}");
                }
            }
        }
    }

    #[test]
    fn anisotropic_aspect_ratio() {
        let g = Geometry::new([1.0, 1.0, 4.0], [0.0; 3], Geometry::IDENTITY).unwrap();
        let v: AnyVolume = Volume::<i16>::zeros([32, 32, 8], g).unwrap().into();
        let (_, [ax, co, sa]) = render_layout(&v, None, &SnapshotOptions::default()).unwrap();
        assert_eq!((ax.w, ax.h), (512, 512));
        assert!((co.h as f64 / co.w as f64 - 1.0).abs() < 0.01, "{co:?}");
        assert!((sa.h as f64 / sa.w as f64 - 1.0).abs() < 0.01, "{sa:?}");
        // 0.7 × 0.7 × 2.5 mm: coronal stretched in z.
        let g = Geometry::new([0.7, 0.7, 2.5], [0.0; 3], Geometry::IDENTITY).unwrap();
        let v: AnyVolume = Volume::<i16>::zeros([100, 100, 20], g).unwrap().into();
        let (_, [ax, co, _]) = render_layout(&v, None, &SnapshotOptions::default()).unwrap();
        assert_eq!((ax.w, ax.h), (512, 512));
        let want = 20.0 * 2.5 / 70.0;
        assert!((co.h as f64 / co.w as f64 - want).abs() < 0.01, "{co:?}");
    }

    #[test]
    fn overlay_colour_where_the_label_is() {
        let g = Geometry::new([1.0; 3], [0.0; 3], Geometry::IDENTITY).unwrap();
        let v: AnyVolume = Volume::from_vec([16, 16, 16], vec![0u8; 4096], g)
            .unwrap()
            .into();
        let mut lab = vec![0u8; 4096];
        for k in 6..10 {
            for j in 6..10 {
                for i in 6..10 {
                    lab[i + 16 * (j + 16 * k)] = 3;
                }
            }
        }
        let l: AnyVolume = Volume::from_vec([16, 16, 16], lab, g).unwrap().into();
        let opts = SnapshotOptions {
            window: Some((0.5, 1.0)),
            ..Default::default()
        };
        let (img, rects) = render_layout(&v, Some(&l), &opts).unwrap();
        let c = PALETTE[2];
        let blended = c.map(|x| (0.4 * x as f64).round() as u8);
        for r in rects {
            let centre = img.get(r.x + r.w / 2, r.y + r.h / 2).unwrap();
            assert_eq!(centre, blended);
            assert_eq!(img.get(r.x + 2, r.y + 2).unwrap(), [0, 0, 0]);
            // The outline is opaque.
            let mut found = false;
            for x in 0..r.w {
                if img.get(r.x + x, r.y + r.h / 2) == Some(c) {
                    found = true;
                }
            }
            assert!(found, "no outline");
        }
        // The same label map stored RAS-like still lands on the same voxels.
        let mut g2 = g;
        g2.direction = [[-1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]];
        g2.origin = [15.0, 15.0, 0.0];
        let mut flipped = vec![0u8; 4096];
        for k in 0..16 {
            for j in 0..16 {
                for i in 0..16 {
                    let src = (15 - i) + 16 * ((15 - j) + 16 * k);
                    flipped[i + 16 * (j + 16 * k)] = l.to_volume::<u8>().as_slice()[src];
                }
            }
        }
        let l2: AnyVolume = Volume::from_vec([16, 16, 16], flipped, g2).unwrap().into();
        let (img2, _) = render_layout(&v, Some(&l2), &opts).unwrap();
        assert_eq!(img2, img);
        // Without an outline, every label pixel is blended.
        let opts = SnapshotOptions {
            overlay_outline: false,
            ..opts.clone()
        };
        let (img, rects) = render_layout(&v, Some(&l), &opts).unwrap();
        assert_eq!(centroid(&img, rects[0], c), None);
        assert!(centroid(&img, rects[0], blended).is_some());
    }

    #[test]
    fn overlay_mismatch_is_an_error() {
        let g = Geometry::default();
        let v: AnyVolume = Volume::<u8>::zeros([8, 8, 4], g).unwrap().into();
        let l: AnyVolume = Volume::<u8>::zeros([8, 8, 5], g).unwrap().into();
        let e = render(&v, Some(&l), &SnapshotOptions::default()).unwrap_err();
        assert!(e.to_string().contains("does not match"), "{e}");
        let shifted = Geometry::new([1.0; 3], [10.0, 0.0, 0.0], Geometry::IDENTITY).unwrap();
        let l: AnyVolume = Volume::<u8>::zeros([8, 8, 4], shifted).unwrap().into();
        let e = render(&v, Some(&l), &SnapshotOptions::default()).unwrap_err();
        assert!(e.to_string().contains("not on the image's grid"), "{e}");
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let g = Geometry::default();
        let one: AnyVolume = Volume::from_vec([1, 1, 1], vec![7i16], g).unwrap().into();
        let img = render(&one, Some(&one), &SnapshotOptions::default()).unwrap();
        assert_eq!(img.data.len(), 3 * (img.width * img.height) as usize);
        for size in [[1, 1, 50], [50, 1, 1], [200, 3, 1]] {
            let n = size.iter().product();
            let v: AnyVolume = Volume::from_vec(size, vec![f32::NAN; n], g).unwrap().into();
            render(&v, None, &SnapshotOptions::default()).unwrap();
        }
        let weird = Geometry::new([1e-6, 1e6, 1.0], [0.0; 3], Geometry::IDENTITY).unwrap();
        let v: AnyVolume = Volume::from_vec([4, 4, 4], vec![f64::INFINITY; 64], weird)
            .unwrap()
            .into();
        render(&v, None, &SnapshotOptions::default()).unwrap();
        let empty: AnyVolume = Volume::<u8>::zeros([0, 4, 4], g).unwrap().into();
        assert!(render(&empty, None, &SnapshotOptions::default()).is_err());
        let v: AnyVolume = Volume::<u8>::zeros([4, 5, 6], g).unwrap().into();
        let bad_point = SnapshotOptions {
            point: Some([3, 5, 0]),
            ..Default::default()
        };
        let e = render(&v, None, &bad_point).unwrap_err();
        assert!(e.to_string().contains("outside the volume"), "{e}");
        for bad in [
            SnapshotOptions {
                window: Some((0.0, 0.0)),
                ..Default::default()
            },
            SnapshotOptions {
                overlay_alpha: f64::NAN,
                ..Default::default()
            },
            SnapshotOptions {
                max_panel_px: 0,
                ..Default::default()
            },
        ] {
            assert!(render(&v, None, &bad).is_err());
        }
    }

    #[test]
    fn checkerboard_rule_is_itk() {
        // SimpleITK 2.5.7 CheckerBoard(ones, zeros, pattern), first row along x
        // and first column along z (1 = first volume).
        let row = |size: [usize; 3], pattern, axis: usize| -> String {
            (0..size[axis])
                .map(|t| {
                    let mut idx = [0; 3];
                    idx[axis] = t;
                    if checker_first(idx, size, pattern) {
                        '1'
                    } else {
                        '0'
                    }
                })
                .collect()
        };
        assert_eq!(row([10, 7, 5], [4, 3, 2], 0), "1100110011");
        assert_eq!(row([10, 7, 5], [4, 3, 2], 2), "11001");
        assert_eq!(row([9, 9, 9], [4; 3], 0), "110011001");
        assert_eq!(row([9, 9, 9], [4; 3], 2), "110011001");
        // Smaller than the pattern (ITK divides by zero): one-voxel blocks.
        assert_eq!(row([3, 5, 2], [4; 3], 0), "101");
    }

    #[test]
    fn pair_fusion_checkerboard_and_colour() {
        let g = Geometry::new([1.0, 1.0, 2.0], [0.0; 3], Geometry::IDENTITY).unwrap();
        let a: AnyVolume = Volume::from_vec([8, 8, 4], vec![100u8; 256], g)
            .unwrap()
            .into();
        let b: AnyVolume = Volume::from_vec([8, 8, 4], vec![0u8; 256], g)
            .unwrap()
            .into();
        let opts = PairOptions {
            window_a: Some((50.0, 100.0)),
            window_b: Some((50.0, 100.0)),
            max_panel_px: 64,
            ..Default::default()
        };
        let (img, rects) = render_pair_layout(&a, &b, &opts).unwrap();
        // Axial panel: blocks of 8 / 4 = 2 voxels; the top-left (R, A) corner is
        // voxel x = 0 (x runs towards L), y = 0 (y runs towards P), 8 px per voxel.
        let ax = rects[0];
        let at = |fx: f64, fy: f64| {
            img.get(
                ax.x + (fx * ax.w as f64) as u32,
                ax.y + (fy * ax.h as f64) as u32,
            )
            .unwrap()
        };
        let first = |x: usize, y: usize| checker_first([x, y, 2], [8, 8, 4], [4; 3]);
        let grey_of = |f: bool| if f { [255u8; 3] } else { [0u8; 3] };
        assert_eq!(at(0.1, 0.1), grey_of(first(0, 0)));
        assert_eq!(at(0.6, 0.1), grey_of(first(4, 0)));
        assert_eq!(at(0.6, 0.35), grey_of(first(4, 2)));
        assert_ne!(at(0.1, 0.1), at(0.3, 0.1));
        let opts = PairOptions {
            fusion: Fusion::Colour,
            ..opts
        };
        let (img, rects) = render_pair_layout(&a, &b, &opts).unwrap();
        let r = rects[1];
        assert_eq!(img.get(r.x + r.w / 2, r.y + r.h / 2), Some([255, 0, 255]));
        let (img, _) = render_pair_layout(&a, &a, &opts).unwrap();
        assert_eq!(img.get(r.x + r.w / 2, r.y + r.h / 2), Some([255, 255, 255]));
        // Not on the same grid, or a zero pattern: errors.
        let c: AnyVolume = Volume::<u8>::zeros([8, 8, 5], g).unwrap().into();
        assert!(render_pair(&a, &c, &opts).is_err());
        let bad = PairOptions {
            fusion: Fusion::Checkerboard { pattern: [0, 1, 1] },
            ..opts
        };
        assert!(render_pair(&a, &b, &bad).is_err());
    }
}
