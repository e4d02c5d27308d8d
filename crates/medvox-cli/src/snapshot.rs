//! `medvox snapshot`: a PNG of the three orthogonal slices through one voxel,
//! for checking a volume (and optionally a label map) by eye.
//!
//! Conventions:
//! * **Patient orientation, radiological display**, whatever the storage order:
//!   the index axes are first permuted/flipped to the closest anatomical axes
//!   (as nibabel's `as_closest_canonical`; an oblique direction is shown on its
//!   voxel grid, not resampled onto world axes). Then the axial panel is seen
//!   from the feet (patient's right on the image left, anterior at the top), the
//!   coronal from the front (right on the left, superior at the top) and the
//!   sagittal from the patient's left (anterior on the left, superior at the top).
//!   Orientation letters are drawn at the panel edges.
//! * **True physical aspect ratio**: every panel uses the same millimetres per
//!   display pixel (square pixels), chosen so the longest physical extent of the
//!   volume spans `max_panel_px`. Resampling is **nearest neighbour** (voxels stay
//!   visible as blocks; labels are never blended into each other).
//! * **Window** `(centre, width)`: grey = `(v − (c − w/2)) / w`, clamped to
//!   0…255. The default window is the 0.5–99.5 percentile range of the finite
//!   voxels (a deterministic subsample of large volumes), or min/max for tiny,
//!   binary or mostly-constant images. NaN shows as black.
//! * **Overlay**: a label map on the same grid (same size and the same physical
//!   voxel positions — it may be stored in another axis order). Each non-zero
//!   label (value rounded to an integer) is blended with a fixed 16-colour
//!   palette cycling with the label, with `overlay_alpha`, and its outline drawn
//!   opaque.
//! * The slice point is a voxel index `[i, j, k]` of the stored volume; the
//!   default is the centre voxel `size / 2`.

use std::path::Path;

use anyhow::{bail, ensure, Context};
use medvox::core::{AnyVolume, Geometry, Pixel};

/// Options of [`render`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SnapshotOptions {
    /// Display window `(centre, width)`; `None`: 0.5–99.5 percentile (see the module doc).
    pub window: Option<(f64, f64)>,
    /// Voxel index `[i, j, k]` the three slices go through; `None`: the centre voxel.
    pub point: Option<[usize; 3]>,
    /// Opacity of the label colours (0…1).
    pub overlay_alpha: f64,
    /// Draw label outlines opaque.
    pub overlay_outline: bool,
    /// Display pixels along the longest physical extent of the volume (16…8192).
    pub max_panel_px: u32,
}

impl Default for SnapshotOptions {
    fn default() -> Self {
        SnapshotOptions {
            window: None,
            point: None,
            overlay_alpha: 0.4,
            overlay_outline: true,
            max_panel_px: 512,
        }
    }
}

/// An 8-bit RGB image, rows top to bottom, `data.len() == 3 · width · height`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixels, row-major, 3 bytes (R, G, B) each.
    pub data: Vec<u8>,
}

impl RgbImage {
    /// An image filled with one colour.
    pub fn new(width: u32, height: u32, fill: [u8; 3]) -> Self {
        let n = width as usize * height as usize;
        let mut data = Vec::with_capacity(n * 3);
        for _ in 0..n {
            data.extend_from_slice(&fill);
        }
        RgbImage {
            width,
            height,
            data,
        }
    }

    /// Pixel at `(x, y)`, `None` outside.
    #[allow(dead_code)] // API for library users and tests; the CLI only writes images
    pub fn get(&self, x: u32, y: u32) -> Option<[u8; 3]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let o = 3 * (y as usize * self.width as usize + x as usize);
        Some([self.data[o], self.data[o + 1], self.data[o + 2]])
    }

    /// Sets a pixel; coordinates outside are ignored.
    fn put(&mut self, x: i64, y: i64, c: [u8; 3]) {
        if x < 0 || y < 0 || x >= self.width as i64 || y >= self.height as i64 {
            return;
        }
        let o = 3 * (y as usize * self.width as usize + x as usize);
        self.data[o..o + 3].copy_from_slice(&c);
    }
}

/// Parses `--window C,W` (centre, width > 0).
pub fn parse_window(s: &str) -> Result<(f64, f64), String> {
    let v: Vec<&str> = s.split(',').map(str::trim).collect();
    let parse = |t: &str| t.parse::<f64>().ok().filter(|x| x.is_finite());
    match v.as_slice() {
        [c, w] => match (parse(c), parse(w)) {
            (Some(c), Some(w)) if w > 0.0 => Ok((c, w)),
            (Some(_), Some(_)) => Err(format!("window width must be > 0 in {s:?}")),
            _ => Err(format!("expected two numbers CENTRE,WIDTH, got {s:?}")),
        },
        _ => Err(format!("expected CENTRE,WIDTH (e.g. 40,400), got {s:?}")),
    }
}

/// Parses `--slice x,y,z` (voxel indices ≥ 0).
pub fn parse_point(s: &str) -> Result<[usize; 3], String> {
    let v: Vec<Option<usize>> = s.split(',').map(|t| t.trim().parse().ok()).collect();
    match v.as_slice() {
        [Some(x), Some(y), Some(z)] => Ok([*x, *y, *z]),
        _ => Err(format!(
            "expected three voxel indices x,y,z (e.g. 128,128,40), got {s:?}"
        )),
    }
}

/// Writes `img` as an 8-bit RGB PNG, atomically (no partial file on failure).
pub fn write_png(path: &Path, img: &RgbImage) -> anyhow::Result<()> {
    let bytes = encode_png(img)?;
    medvox::io::atomic::write_bytes_atomic(path, &bytes)?;
    Ok(())
}

/// Encodes `img` as an 8-bit RGB PNG in memory.
pub fn encode_png(img: &RgbImage) -> anyhow::Result<Vec<u8>> {
    ensure!(
        img.width > 0
            && img.height > 0
            && img.data.len() == 3 * img.width as usize * img.height as usize,
        "invalid image buffer ({}×{}, {} bytes)",
        img.width,
        img.height,
        img.data.len()
    );
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, img.width, img.height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().context("PNG header")?;
        w.write_image_data(&img.data).context("PNG data")?;
        w.finish().context("PNG end")?;
    }
    Ok(out)
}

/// The default display window `(centre, width)` of a volume: the 0.5–99.5
/// percentile range of its finite voxels, or min/max for tiny, binary or
/// mostly-constant images; `None` when it has no finite voxel.
pub fn auto_window(volume: &AnyVolume) -> Option<(f64, f64)> {
    let (lo, hi) = auto_range(volume)?;
    Some(((lo + hi) / 2.0, hi - lo))
}

/// Renders the axial, coronal and sagittal slices through `opts.point` side by
/// side, with `overlay` (a label map on the same grid) blended in.
pub fn render(
    volume: &AnyVolume,
    overlay: Option<&AnyVolume>,
    opts: &SnapshotOptions,
) -> anyhow::Result<RgbImage> {
    Ok(render_layout(volume, overlay, opts)?.0)
}

// ---------------------------------------------------------------------------
// Orientation

/// How the stored index axes map onto patient (LPS) axes: canonical coordinate
/// `u[a]` along world axis `a` (0 = towards L, 1 = towards P, 2 = towards S).
#[derive(Debug, Clone, Copy)]
struct Canon {
    /// Index axis along world axis `a`.
    perm: [usize; 3],
    /// True when that index axis runs towards R / A / I (so it is reversed).
    flip: [bool; 3],
    /// Stored size `[nx, ny, nz]`.
    size: [usize; 3],
    /// Canonical size along L, P, S.
    n: [usize; 3],
    /// Canonical spacing along L, P, S (mm).
    sp: [f64; 3],
}

impl Canon {
    fn new(size: [usize; 3], g: &Geometry) -> Canon {
        // Greedy assignment on |direction|, largest cosine first (nibabel's
        // io_orientation does the same after orthogonalising).
        let d = &g.direction;
        let mut perm = [usize::MAX; 3];
        let mut flip = [false; 3];
        let mut row_used = [false; 3];
        let mut col_used = [false; 3];
        for _ in 0..3 {
            let mut best: Option<(usize, usize, f64)> = None;
            for (r, row) in d.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    if row_used[r] || col_used[c] {
                        continue;
                    }
                    let a = if v.is_finite() { v.abs() } else { 0.0 };
                    if best.is_none_or(|b| a > b.2) {
                        best = Some((r, c, a));
                    }
                }
            }
            if let Some((r, c, _)) = best {
                perm[r] = c;
                flip[r] = d[r][c] < 0.0;
                row_used[r] = true;
                col_used[c] = true;
            }
        }
        let n = perm.map(|c| size[c]);
        let sp = perm.map(|c| g.spacing[c]);
        Canon {
            perm,
            flip,
            size,
            n,
            sp,
        }
    }

    /// Stored index of canonical coordinates.
    fn index_of(&self, u: [usize; 3]) -> [usize; 3] {
        let mut idx = [0; 3];
        for a in 0..3 {
            idx[self.perm[a]] = if self.flip[a] {
                self.n[a] - 1 - u[a]
            } else {
                u[a]
            };
        }
        idx
    }

    /// Canonical coordinates of a stored index.
    fn canon_of(&self, idx: [usize; 3]) -> [usize; 3] {
        let mut u = [0; 3];
        for a in 0..3 {
            let i = idx[self.perm[a]];
            u[a] = if self.flip[a] { self.n[a] - 1 - i } else { i };
        }
        u
    }

    /// Offset of a stored index in the x-fastest voxel slice.
    fn flat(&self, u: [usize; 3]) -> usize {
        let i = self.index_of(u);
        i[0] + self.size[0] * (i[1] + self.size[1] * i[2])
    }
}

/// One panel: world axes along the image columns (left → right) and rows
/// (top → bottom), whether the canonical coordinate increases that way,
/// and the letters at the left, right, top and bottom edges.
struct PanelSpec {
    title: &'static str,
    h: usize,
    h_inc: bool,
    v: usize,
    v_inc: bool,
    letters: [char; 4],
}

const PANELS: [PanelSpec; 3] = [
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PanelRect {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
}

// ---------------------------------------------------------------------------
// Window

const MAX_SAMPLES: usize = 1 << 21;

fn finite_sample(volume: &AnyVolume) -> Vec<f64> {
    medvox::core::with_volume!(volume, v => {
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

fn finite_min_max(volume: &AnyVolume) -> Option<(f64, f64)> {
    medvox::core::with_volume!(volume, v => {
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

fn grey(v: f64, lo: f64, hi: f64) -> u8 {
    if v.is_nan() {
        return 0;
    }
    ((v - lo) / (hi - lo) * 255.0).clamp(0.0, 255.0).round() as u8
}

// ---------------------------------------------------------------------------
// Overlay

/// 16 well-separated colours (Sasha Trubetskoy's list); label `l` gets entry `(l − 1) mod 16`.
const PALETTE: [[u8; 3]; 16] = [
    [230, 25, 75],
    [60, 180, 75],
    [255, 225, 25],
    [0, 130, 200],
    [245, 130, 48],
    [145, 30, 180],
    [70, 240, 240],
    [240, 50, 230],
    [210, 245, 60],
    [250, 190, 212],
    [0, 128, 128],
    [220, 190, 255],
    [170, 110, 40],
    [255, 250, 200],
    [128, 0, 0],
    [170, 255, 195],
];

fn label_colour(label: i64) -> [u8; 3] {
    PALETTE[(label.wrapping_sub(1)).rem_euclid(PALETTE.len() as i64) as usize]
}

fn label_of(v: f64) -> i64 {
    if v.is_nan() {
        0
    } else {
        v.round() as i64 // saturating
    }
}

/// Checks that the overlay lies on the image's grid (same canonical size and the
/// same physical corner positions within half a voxel).
fn check_overlay(
    img: &Canon,
    ig: &Geometry,
    ov: &Canon,
    og: &Geometry,
    ov_vol: &AnyVolume,
) -> anyhow::Result<()> {
    if img.n != ov.n {
        bail!(
            "overlay size {:?} does not match the image size {:?}: the label map must be on the image's voxel grid",
            ov_vol.size(),
            img.size
        );
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
            bail!(
                "overlay is not on the image's grid: voxel corner {:?} is at {:.3?} mm in the image but {:.3?} mm in the overlay (resample the label map onto the image first)",
                img.index_of(u),
                p,
                q
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Rendering

fn gather(volume: &AnyVolume, offsets: &[usize]) -> Vec<f64> {
    medvox::core::with_volume!(volume, v => {
        let s = v.as_slice();
        offsets
            .iter()
            .map(|&o| s.get(o).map_or(f64::NAN, |x| x.to_f64()))
            .collect()
    })
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

const BG: [u8; 3] = [18, 18, 18];
const LETTER: [u8; 3] = [255, 210, 0];
const TEXT: [u8; 3] = [190, 190, 190];
const FONT_SCALE: i64 = 2;
const GLYPH_W: i64 = 5 * FONT_SCALE;
const GLYPH_H: i64 = 7 * FONT_SCALE;
const ADVANCE: i64 = 6 * FONT_SCALE;
const PAD: u32 = 20;
const TITLE_H: u32 = 22;
const FOOTER_H: u32 = 22;
const OUTER: u32 = 4;

fn text_width(s: &str) -> i64 {
    let n = s.chars().count() as i64;
    if n == 0 {
        0
    } else {
        n * ADVANCE - FONT_SCALE
    }
}

fn fmt_num(x: f64) -> String {
    if x == x.round() && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn render_layout(
    volume: &AnyVolume,
    overlay: Option<&AnyVolume>,
    opts: &SnapshotOptions,
) -> anyhow::Result<(RgbImage, [PanelRect; 3])> {
    let size = volume.size();
    ensure!(
        size.iter().all(|&n| n > 0),
        "cannot snapshot an empty volume (size {size:?})"
    );
    ensure!(
        (16..=8192).contains(&opts.max_panel_px),
        "panel size must be 16…8192 pixels, got {}",
        opts.max_panel_px
    );
    ensure!(
        opts.overlay_alpha.is_finite() && (0.0..=1.0).contains(&opts.overlay_alpha),
        "overlay opacity must be within 0…1, got {}",
        opts.overlay_alpha
    );
    let g = volume.geometry();
    let canon = Canon::new(size, g);

    let point = opts
        .point
        .unwrap_or([size[0] / 2, size[1] / 2, size[2] / 2]);
    if (0..3).any(|a| point[a] >= size[a]) {
        bail!(
            "slice point {},{},{} is outside the volume (size {}×{}×{}: valid indices 0…{}, 0…{}, 0…{})",
            point[0],
            point[1],
            point[2],
            size[0],
            size[1],
            size[2],
            size[0] - 1,
            size[1] - 1,
            size[2] - 1
        );
    }
    let pu = canon.canon_of(point);

    let (c, w) = opts
        .window
        .or_else(|| auto_window(volume))
        .unwrap_or((0.5, 1.0));
    ensure!(
        c.is_finite() && w.is_finite() && w > 0.0,
        "window needs a finite centre and a width > 0, got {c},{w}"
    );
    let (lo, hi) = (c - w / 2.0, c + w / 2.0);

    let ov = match overlay {
        Some(o) => {
            ensure!(
                o.size().iter().all(|&n| n > 0),
                "overlay is empty (size {:?})",
                o.size()
            );
            let oc = Canon::new(o.size(), o.geometry());
            check_overlay(&canon, g, &oc, o.geometry(), o)?;
            Some((o, oc))
        }
        None => None,
    };

    // Common scale: the longest physical extent spans max_panel_px.
    let ext: [f64; 3] = [0, 1, 2].map(|a| canon.n[a] as f64 * canon.sp[a]);
    let longest = ext.iter().cloned().fold(0.0f64, f64::max);
    let px_per_mm = opts.max_panel_px as f64 / longest;
    let dims = |e: f64| ((e * px_per_mm).round() as u32).clamp(1, opts.max_panel_px);

    let alpha = opts.overlay_alpha;
    let mut panels: Vec<(u32, u32, Vec<[u8; 3]>)> = Vec::with_capacity(3);
    for spec in &PANELS {
        let (w, h) = (dims(ext[spec.h]), dims(ext[spec.v]));
        let cols: Vec<usize> = (0..w)
            .map(|x| voxel_at(x, w, canon.n[spec.h], spec.h_inc))
            .collect();
        let rows: Vec<usize> = (0..h)
            .map(|y| voxel_at(y, h, canon.n[spec.v], spec.v_inc))
            .collect();
        let canon_at = |x: usize, y: usize| {
            let mut u = pu;
            u[spec.h] = cols[x];
            u[spec.v] = rows[y];
            u
        };
        let npx = w as usize * h as usize;
        let mut offsets = Vec::with_capacity(npx);
        for y in 0..h as usize {
            for x in 0..w as usize {
                offsets.push(canon.flat(canon_at(x, y)));
            }
        }
        let mut pix: Vec<[u8; 3]> = gather(volume, &offsets)
            .into_iter()
            .map(|v| [grey(v, lo, hi); 3])
            .collect();
        if let Some((o, oc)) = &ov {
            offsets.clear();
            for y in 0..h as usize {
                for x in 0..w as usize {
                    offsets.push(oc.flat(canon_at(x, y)));
                }
            }
            let labels: Vec<i64> = gather(o, &offsets).into_iter().map(label_of).collect();
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
                let c = label_colour(l);
                for k in 0..3 {
                    px[k] = ((1.0 - a) * px[k] as f64 + a * c[k] as f64).round() as u8;
                }
            }
        }
        panels.push((w, h, pix));
    }

    // Layout: one cell per panel, letters in the padding, titles above, a footer line.
    let max_h = panels.iter().map(|p| p.1).max().unwrap_or(1);
    let cell_w: Vec<u32> = panels
        .iter()
        .zip(&PANELS)
        .map(|(p, s)| (p.0 + 2 * PAD).max(text_width(s.title) as u32 + 8))
        .collect();
    let footer = format!(
        "VOXEL {},{},{}  WINDOW {},{}",
        point[0],
        point[1],
        point[2],
        fmt_num(c),
        fmt_num(w)
    );
    let width =
        (cell_w.iter().sum::<u32>() + 2 * OUTER).max(text_width(&footer) as u32 + 2 * OUTER);
    let height = OUTER + TITLE_H + max_h + 2 * PAD + FOOTER_H;
    let mut img = RgbImage::new(width, height, BG);
    let mut rects = [PanelRect {
        x: 0,
        y: 0,
        w: 0,
        h: 0,
    }; 3];
    let mut cx = OUTER;
    for (i, ((w, h, pix), spec)) in panels.iter().zip(&PANELS).enumerate() {
        let x0 = cx + (cell_w[i] - w) / 2;
        let y0 = OUTER + TITLE_H + PAD + (max_h - h) / 2;
        for y in 0..*h {
            let row = (y0 + y) as usize * width as usize + x0 as usize;
            let src = &pix[(y * w) as usize..((y + 1) * w) as usize];
            for (k, c) in src.iter().enumerate() {
                let o = 3 * (row + k);
                img.data[o..o + 3].copy_from_slice(c);
            }
        }
        rects[i] = PanelRect {
            x: x0,
            y: y0,
            w: *w,
            h: *h,
        };
        let tx = cx as i64 + (cell_w[i] as i64 - text_width(spec.title)) / 2;
        draw_text(&mut img, tx, OUTER as i64 + 3, spec.title, TEXT);
        let (x0, y0, w, h, pad) = (x0 as i64, y0 as i64, *w as i64, *h as i64, PAD as i64);
        let mid_x = x0 + w / 2 - GLYPH_W / 2;
        let mid_y = y0 + h / 2 - GLYPH_H / 2;
        let [l, r, t, b] = spec.letters;
        draw_char(&mut img, x0 - pad / 2 - GLYPH_W / 2, mid_y, l, LETTER);
        draw_char(&mut img, x0 + w + pad / 2 - GLYPH_W / 2, mid_y, r, LETTER);
        draw_char(&mut img, mid_x, y0 - pad / 2 - GLYPH_H / 2, t, LETTER);
        draw_char(&mut img, mid_x, y0 + h + pad / 2 - GLYPH_H / 2, b, LETTER);
        cx += cell_w[i];
    }
    draw_text(
        &mut img,
        OUTER as i64,
        (height - FOOTER_H + 4) as i64,
        &footer,
        TEXT,
    );
    Ok((img, rects))
}

// ---------------------------------------------------------------------------
// A 5×7 bitmap font (upper case, digits, a few symbols), drawn at FONT_SCALE.

fn glyph(c: char) -> [u8; 7] {
    match c.to_ascii_uppercase() {
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x0A, 0x04, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        '-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
        '+' => [0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00],
        '.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
        ',' => [0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08],
        ':' => [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00],
        '=' => [0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00],
        '/' => [0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x10],
        '(' => [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
        ')' => [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
        ' ' => [0; 7],
        _ => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04], // '?'
    }
}

fn draw_char(img: &mut RgbImage, x: i64, y: i64, c: char, colour: [u8; 3]) {
    for (r, bits) in glyph(c).iter().enumerate() {
        for col in 0..5i64 {
            if bits >> (4 - col) & 1 == 1 {
                for dy in 0..FONT_SCALE {
                    for dx in 0..FONT_SCALE {
                        img.put(
                            x + col * FONT_SCALE + dx,
                            y + r as i64 * FONT_SCALE + dy,
                            colour,
                        );
                    }
                }
            }
        }
    }
}

fn draw_text(img: &mut RgbImage, x: i64, y: i64, s: &str, colour: [u8; 3]) {
    for (i, c) in s.chars().enumerate() {
        draw_char(img, x + i as i64 * ADVANCE, y, c, colour);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use medvox::core::{Mat3, Volume};

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
            ..opts
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
    fn parses_cli_values() {
        assert_eq!(parse_window("40,400"), Ok((40.0, 400.0)));
        assert_eq!(parse_window(" -600 , 1500 "), Ok((-600.0, 1500.0)));
        assert!(parse_window("40").is_err());
        assert!(parse_window("40,0").is_err());
        assert!(parse_window("a,b").is_err());
        assert_eq!(parse_point("1,2,3"), Ok([1, 2, 3]));
        assert!(parse_point("1,2").is_err());
        assert!(parse_point("1,-2,3").is_err());
    }

    #[test]
    fn png_round_trip() {
        let v = phys_volume([20, 20, 10], [1.0, 1.0, 2.0], Geometry::IDENTITY, |p| {
            (p[0] + p[1] * 2.0 + p[2]) as f32
        });
        let img = render(&v, None, &SnapshotOptions::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snap.png");
        write_png(&path, &img).unwrap();
        let file = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
        let mut reader = png::Decoder::new(file).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (img.width, img.height));
        assert_eq!(info.color_type, png::ColorType::Rgb);
        assert_eq!(&buf[..info.buffer_size()], &img.data[..]);
        // Only the PNG is left in the folder (atomic write, no temporary).
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
