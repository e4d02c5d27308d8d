//! Series assembly: grouping objects into series and stacks, sorting slices,
//! geometry, warnings, and stacking decoded frames into volumes.
//!
//! - **Grouping.** Objects are grouped by SeriesInstanceUID; a series is split
//!   into stacks when its frames differ in orientation (ImageOrientationPatient,
//!   to 1e-4), size (Rows × Columns) or pixel spacing (to 1e-4 mm).
//! - **Sorting.** Within a stack, frames are sorted by their position projected
//!   on the slice normal n = row × column (ascending, as ITK's IPP sorter). Frames
//!   at the same position (to 1e-3 mm) are repeats in time or echo: a stack with
//!   k frames at each position gives k volumes (a 4D series), ordered by echo,
//!   temporal position, acquisition number, instance number and frame number.
//! - **Geometry** (ITK/LPS, as SimpleITK's ImageSeriesReader with its default
//!   orthogonal direction): origin = position of the first sorted slice;
//!   direction columns = row direction, column direction, n; spacing x, y =
//!   PixelSpacing (columns, rows); spacing z = distance along n from the first
//!   to the last slice / (slices − 1) — never SliceThickness. A single slice
//!   gets spacing z = SpacingBetweenSlices, else SliceThickness, else 1.
//! - **Warnings** (the volume is still built on the regular grid above, like
//!   ITK does): missing slices (a gap > 1.5 × the median gap), uneven spacing
//!   (a gap differs from the mean by > 0.01 mm + 0.1 %), gantry tilt (the line
//!   through the slice positions is not along n by more than 0.05°; the volume is
//!   not de-sheared), positions holding unequal frame counts (incomplete 4D:
//!   only complete volumes are kept), missing positions (slices ordered by
//!   instance number, spacing 1).

use std::collections::BTreeMap;

use medvox_core::{AnyVolume, Geometry, PixelType, Volume};
use rayon::prelude::*;

use crate::error::Result;
use crate::file::{cross, FrameInfo, ObjectInfo};
use crate::pixel;

/// One frame of a series: object index and frame index within it.
pub type FrameRef = (usize, usize);

/// One stack of one series: what `dicom ls` lists and `read` turns into volumes.
#[derive(Debug, Clone)]
pub struct Series {
    /// SeriesInstanceUID.
    pub uid: String,
    /// 0 when the series is one stack; 1, 2… for the stacks of a split series.
    pub stack: usize,
    /// SeriesNumber.
    pub number: Option<i64>,
    /// Modality.
    pub modality: String,
    /// SeriesDescription.
    pub description: String,
    /// The objects (files) of this stack.
    pub objects: Vec<ObjectInfo>,
    /// `volumes[t][z]`: the frame of slice z of volume t.
    pub volumes: Vec<Vec<FrameRef>>,
    /// Size [x, y, z] of each volume.
    pub size: [usize; 3],
    /// Geometry shared by the volumes.
    pub geometry: Geometry,
    /// Output pixel type.
    pub pixel_type: PixelType,
    /// Transfer syntax UIDs present.
    pub transfer_syntaxes: Vec<String>,
    /// Problems found while assembling.
    pub warnings: Vec<String>,
}

impl Series {
    /// Identifier for `--series`: the UID, with `#stack` when the series was split.
    pub fn id(&self) -> String {
        if self.stack == 0 {
            self.uid.clone()
        } else {
            format!("{}#{}", self.uid, self.stack)
        }
    }

    /// Decodes every frame (objects in parallel) into volumes.
    pub fn read(&self) -> Result<Vec<AnyVolume>> {
        medvox_core::for_pixel_type!(self.pixel_type, T => self.read_typed::<T>())
    }

    fn read_typed<T: medvox_core::Pixel>(&self) -> Result<Vec<AnyVolume>>
    where
        AnyVolume: From<Volume<T>>,
    {
        let [nx, ny, nz] = self.size;
        let slice = nx * ny;
        medvox_core::volume::checked_voxels([nx, ny, nz * self.volumes.len()])?;
        // Every size checked before anything is allocated (issue 19).
        let total = (slice * nz) as u128 * self.volumes.len() as u128 * T::TYPE.size() as u128;
        if let Some(first) = self.objects.first() {
            crate::mem::check(total, "the series' voxels")
                .map_err(|r| crate::DicomError::invalid(&first.path, r))?;
        }
        for info in &self.objects {
            pixel::check_size(info)?;
        }
        let mut bufs: Vec<Vec<T>> = (0..self.volumes.len())
            .map(|_| medvox_core::volume::zeroed_vec(slice * nz))
            .collect();
        // Hand each object the output slices its frames go to.
        let mut per_object: Vec<Vec<(usize, &mut [T])>> =
            (0..self.objects.len()).map(|_| Vec::new()).collect();
        for (vol, buf) in self.volumes.iter().zip(bufs.iter_mut()) {
            for (&(o, f), out) in vol.iter().zip(buf.chunks_exact_mut(slice)) {
                per_object[o].push((f, out));
            }
        }
        per_object
            .into_par_iter()
            .enumerate()
            .filter(|(_, outs)| !outs.is_empty())
            .try_for_each(|(o, mut outs)| -> Result<()> {
                let info = &self.objects[o];
                // One uncompressed frame already in the output type: read into place.
                if let [(f, out)] = &mut outs[..] {
                    if pixel::read_native_into(info, &info.frames[*f], out)? {
                        return Ok(());
                    }
                }
                // Uncompressed files: pixel bytes read straight into a per-thread buffer.
                thread_local! {
                    static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
                }
                let mut buf = BUF.with(|b| b.take());
                let obj;
                let dec = if pixel::read_native(info, &mut buf)? {
                    pixel::DecodedObject::from_raw(info, &buf)
                } else {
                    obj = crate::file::open(&info.path, false)?;
                    pixel::decode(&obj, info)?
                };
                for (f, out) in outs {
                    dec.frame_into(info, &info.frames[f], out);
                }
                drop(dec);
                BUF.with(|b| b.replace(buf));
                Ok(())
            })?;
        bufs.into_iter()
            .map(|b| Ok(Volume::from_vec([nx, ny, nz], b, self.geometry)?.into()))
            .collect()
    }

    /// One line for listings.
    pub fn summary(&self) -> String {
        format!(
            "{} {} \"{}\" {}x{}x{}{} {} files",
            self.id(),
            self.modality,
            self.description,
            self.size[0],
            self.size[1],
            self.size[2],
            if self.volumes.len() > 1 {
                format!("x{}", self.volumes.len())
            } else {
                String::new()
            },
            self.objects.len()
        )
    }
}

fn key_f(v: f64, q: f64) -> i64 {
    (v / q).round() as i64
}

/// Stack key: orientation, size, spacing.
fn stack_key(info: &ObjectInfo, f: &FrameInfo) -> (Vec<i64>, u32, u32, Vec<i64>) {
    (
        f.orientation
            .map_or(vec![], |o| o.iter().map(|v| key_f(*v, 1e-4)).collect()),
        info.rows,
        info.cols,
        f.spacing
            .map_or(vec![], |s| s.iter().map(|v| key_f(*v, 1e-4)).collect()),
    )
}

/// Groups objects into series stacks (sorted by series number, then UID).
pub fn assemble(objects: Vec<ObjectInfo>) -> Vec<Series> {
    let mut by_uid: BTreeMap<(i64, String), Vec<ObjectInfo>> = BTreeMap::new();
    for o in objects
        .into_iter()
        .filter(|o| o.has_pixels && !o.frames.is_empty())
    {
        by_uid
            .entry((o.series_number.unwrap_or(i64::MAX), o.series_uid.clone()))
            .or_default()
            .push(o);
    }
    let mut out = Vec::new();
    for ((_, uid), mut objs) in by_uid {
        objs.sort_by(|a, b| a.path.cmp(&b.path));
        // Split into stacks, keeping first-seen order of keys.
        let mut keys: Vec<(Vec<i64>, u32, u32, Vec<i64>)> = Vec::new();
        let mut stacks: Vec<Vec<FrameRef>> = Vec::new();
        for (oi, o) in objs.iter().enumerate() {
            for (fi, f) in o.frames.iter().enumerate() {
                let k = stack_key(o, f);
                let s = match keys.iter().position(|x| *x == k) {
                    Some(s) => s,
                    None => {
                        keys.push(k);
                        stacks.push(Vec::new());
                        stacks.len() - 1
                    }
                };
                stacks[s].push((oi, fi));
            }
        }
        let split = stacks.len() > 1;
        for (si, frames) in stacks.into_iter().enumerate() {
            // Keep only the objects of this stack, re-indexed.
            let mut used: Vec<usize> = frames.iter().map(|f| f.0).collect();
            used.sort_unstable();
            used.dedup();
            let sub: Vec<ObjectInfo> = used.iter().map(|&i| objs[i].clone()).collect();
            let frames: Vec<FrameRef> = frames
                .into_iter()
                .map(|(o, f)| (used.binary_search(&o).unwrap_or(0), f))
                .collect();
            let mut s = build_stack(uid.clone(), sub, frames);
            s.stack = if split { si + 1 } else { 0 };
            if split {
                s.warnings.push(format!(
                    "series holds several stacks (orientation, size or spacing differ): this is stack {}",
                    si + 1
                ));
            }
            out.push(s);
        }
    }
    out
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn build_stack(uid: String, objects: Vec<ObjectInfo>, frames: Vec<FrameRef>) -> Series {
    let first = &objects[frames[0].0];
    let f0 = &first.frames[frames[0].1];
    let mut warnings = Vec::new();
    let (row, col) = match f0.orientation {
        Some(o) => ([o[0], o[1], o[2]], [o[3], o[4], o[5]]),
        None => ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]),
    };
    let normal = cross(row, col);
    let nn = dot(normal, normal).sqrt();
    let normal = if nn > 1e-6 {
        normal.map(|v| v / nn)
    } else {
        [0.0, 0.0, 1.0]
    };
    let frame = |r: &FrameRef| &objects[r.0].frames[r.1];
    let have_pos = frames.iter().all(|r| frame(r).position.is_some());
    if !have_pos && frames.len() > 1 {
        warnings.push(
            "ImagePositionPatient missing: slices ordered by instance number, spacing z = 1"
                .to_string(),
        );
    }
    let dist = |r: &FrameRef| frame(r).position.map_or(0.0, |p| dot(p, normal));
    let mut sorted = frames.clone();
    sorted.sort_by(|a, b| {
        let (da, db) = if have_pos {
            (dist(a), dist(b))
        } else {
            (0.0, 0.0)
        };
        da.total_cmp(&db)
            .then_with(|| frame(a).order.cmp(&frame(b).order))
    });
    // Cluster frames at the same position.
    let mut positions: Vec<Vec<FrameRef>> = Vec::new();
    for r in sorted {
        // Without positions every frame is its own slice.
        match positions.last_mut() {
            Some(p) if have_pos && (dist(&p[0]) - dist(&r)).abs() < 1e-3 => p.push(r),
            _ => positions.push(vec![r]),
        }
    }
    for p in positions.iter_mut() {
        p.sort_by_key(|a| frame(a).order);
    }
    let kmin = positions.iter().map(Vec::len).min().unwrap_or(1);
    let kmax = positions.iter().map(Vec::len).max().unwrap_or(1);
    if kmin != kmax {
        warnings.push(format!(
            "slice positions hold between {kmin} and {kmax} frames: incomplete time/echo series, \
             only {kmin} complete volume(s) kept"
        ));
    }
    let volumes: Vec<Vec<FrameRef>> = (0..kmin)
        .map(|t| positions.iter().map(|p| p[t]).collect())
        .collect();
    let nz = positions.len();
    let spacing_xy = f0.spacing.unwrap_or([1.0, 1.0]);
    let dists: Vec<f64> = positions.iter().map(|p| dist(&p[0])).collect();
    let mut sz = 1.0;
    if nz > 1 && have_pos {
        sz = (dists[nz - 1] - dists[0]) / (nz - 1) as f64;
        let gaps: Vec<f64> = dists.windows(2).map(|w| w[1] - w[0]).collect();
        let mut med = gaps.clone();
        med.sort_by(f64::total_cmp);
        let median = med[med.len() / 2];
        if let Some((i, g)) = gaps.iter().enumerate().find(|(_, g)| **g > 1.5 * median) {
            warnings.push(format!(
                "missing slices: gap of {g:.4} mm after slice {i} (typical {median:.4} mm); \
                 the volume uses the mean spacing {sz:.4} mm"
            ));
        } else if gaps.iter().any(|g| (g - sz).abs() > 0.01 + 1e-3 * sz.abs()) {
            warnings.push(format!(
                "uneven slice spacing ({:.4} to {:.4} mm); the volume uses the mean {sz:.4} mm",
                med[0],
                med[med.len() - 1]
            ));
        }
        let p0 = frame(&positions[0][0]).position.unwrap_or_default();
        let p1 = frame(&positions[nz - 1][0]).position.unwrap_or_default();
        let v: [f64; 3] = std::array::from_fn(|i| p1[i] - p0[i]);
        let len = dot(v, v).sqrt();
        if len > 0.0 {
            let c = (dot(v, normal) / len).clamp(-1.0, 1.0);
            let angle = c.acos().to_degrees();
            if angle > 0.05 {
                warnings.push(format!(
                    "gantry tilt of {angle:.2} degrees: slices are sheared along the normal and \
                     the volume is not corrected"
                ));
            }
        }
    } else if nz == 1 {
        sz = first.slice_gap.unwrap_or(1.0);
    }
    if sz <= 0.0 || !sz.is_finite() {
        sz = 1.0;
    }
    let origin = frame(&positions[0][0]).position.unwrap_or([0.0; 3]);
    let direction = [
        [row[0], col[0], normal[0]],
        [row[1], col[1], normal[1]],
        [row[2], col[2], normal[2]],
    ];
    let geometry = Geometry::new([spacing_xy[0], spacing_xy[1], sz], origin, direction)
        .unwrap_or_else(|e| {
            warnings.push(format!("invalid geometry ({e}); identity used"));
            Geometry::default()
        });
    let pixel_type = pixel::output_type(
        volumes
            .iter()
            .flatten()
            .map(|r| (&objects[r.0], &objects[r.0].frames[r.1])),
    );
    let mut transfer_syntaxes: Vec<String> =
        objects.iter().map(|o| o.transfer_syntax.clone()).collect();
    transfer_syntaxes.sort();
    transfer_syntaxes.dedup();
    Series {
        uid,
        stack: 0,
        number: first.series_number,
        modality: first.modality.clone(),
        description: first.description.clone(),
        size: [first.cols as usize, first.rows as usize, nz],
        geometry,
        pixel_type,
        transfer_syntaxes,
        warnings,
        volumes,
        objects,
    }
}
