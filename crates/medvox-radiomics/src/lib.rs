//! medvox-radiomics: image biomarker (radiomics) features of labelled regions,
//! as defined by the Image Biomarker Standardisation Initiative (IBSI;
//! Zwanenburg et al., Radiology 2020;295:328–338; reference manual
//! arXiv:1612.07003), with the IBSI feature codes in the output.
//!
//! | family | module | IBSI | aggregations |
//! | --- | --- | --- | --- |
//! | morphology | [`morph`] (+ [`mesh`], [`hull`]) | 3.1 | 3D |
//! | local intensity | [`stats`] | 3.2 | 3D |
//! | intensity statistics | [`stats`] | 3.3 | 3D |
//! | intensity histogram | [`stats`] | 3.4 | 3D |
//! | intensity–volume histogram | [`stats`] | 3.5 | 3D |
//! | GLCM | [`glcm`] | 3.6 | 2D averaged / slice-merged, 2.5D direction-merged / merged, 3D averaged / merged |
//! | GLRLM | [`glrlm`] | 3.7 | as GLCM |
//! | GLSZM, GLDZM | [`zones`] | 3.8, 3.9 | 2D, 2.5D, 3D |
//! | NGTDM, NGLDM | [`neighbours`] | 3.10, 3.11 | 2D, 2.5D, 3D |
//!
//! Every value is checked against the IBSI digital phantom's consensus
//! reference values (`tests/ibsi_phantom.rs`, which prints the count matched per
//! family and aggregation). Slices (2D, 2.5D) are the volume's z-planes. Texture
//! matrices use Chebyshev distance 1 (δ = 1) and, for NGLDM, coarseness α = 0.
//!
//! Image processing: grey levels come from fixed bin size discretisation
//! (`floor((x − X_b) / w) + 1`; without a lower bound `X_b` the bins are aligned
//! on multiples of `w` as pyradiomics' `binWidth` does) or fixed bin number
//! (`binCount`). No resampling or re-segmentation is done here (run
//! `medvox filter resample` first). Regions are processed in parallel (rayon),
//! each on its bounding box only, so memory follows the regions.
//!
//! ```
//! use medvox_core::{Geometry, Volume};
//! use medvox_radiomics::{extract, Settings};
//! let g = Geometry::new([1.0; 3], [0.0; 3], Geometry::IDENTITY).unwrap();
//! let img = Volume::<f32>::from_vec([3, 3, 3], (0..27).map(|v| v as f32).collect(), g.clone()).unwrap();
//! let lab = Volume::<u8>::from_vec([3, 3, 3], vec![1; 27], g).unwrap();
//! let regions = extract(&img, &lab, None, &Settings::default()).unwrap();
//! let mean = regions[0].get("stat_mean", "3D").unwrap();
//! assert!((mean - 13.0).abs() < 1e-12);
//! ```

pub mod error;
pub mod glcm;
pub mod glrlm;
pub mod hull;
pub mod matrix;
pub mod mesh;
pub mod morph;
pub mod names;
pub mod neighbours;
pub mod roi;
pub mod stats;
pub mod zones;

use medvox_core::{Pixel, Volume};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub mod op;

pub use error::{RadiomicsError, Result};
pub use op::register;
pub use roi::Roi;

/// Aggregation of the single-valued families.
pub const AGG_3D: &str = "3D";
/// GLCM and GLRLM aggregations (IBSI wording).
pub const AGG_CM: [&str; 6] = [
    "2D, averaged",
    "2D, slice-merged",
    "2.5D, direction-merged",
    "2.5D, merged",
    "3D, averaged",
    "3D, merged",
];
/// GLSZM, GLDZM, NGTDM and NGLDM aggregations.
pub const AGG_ZONE: [&str; 3] = ["2D", "2.5D", "3D"];

/// Intensity discretisation (IBSI 2.7).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Discretisation {
    /// Fixed bin size `width`; bins start at `lower_bound` (IBSI) or, when `None`,
    /// at the multiple of `width` at or below the region's minimum (pyradiomics).
    FixedBinSize {
        /// Bin width in intensity units (pyradiomics `binWidth`).
        width: f64,
        /// Lower bound `X_b` of the first bin.
        lower_bound: Option<f64>,
    },
    /// Fixed number of bins between the region's minimum and maximum (pyradiomics `binCount`).
    FixedBinNumber {
        /// Number of bins.
        bins: u32,
    },
}

/// Which feature families to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Families {
    /// Morphology.
    pub morphology: bool,
    /// Local intensity peaks.
    pub local_intensity: bool,
    /// Intensity statistics.
    pub statistics: bool,
    /// Intensity histogram.
    pub histogram: bool,
    /// Intensity–volume histogram.
    pub ivh: bool,
    /// GLCM.
    pub glcm: bool,
    /// GLRLM.
    pub glrlm: bool,
    /// GLSZM and GLDZM.
    pub zones: bool,
    /// NGTDM and NGLDM.
    pub neighbours: bool,
}

impl Default for Families {
    fn default() -> Self {
        Families {
            morphology: true,
            local_intensity: true,
            statistics: true,
            histogram: true,
            ivh: true,
            glcm: true,
            glrlm: true,
            zones: true,
            neighbours: true,
        }
    }
}

/// Extraction settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Grey-level discretisation for the histogram, IVH and texture families.
    pub discretisation: Discretisation,
    /// Families to compute.
    pub families: Families,
    /// Most voxels used by Moran's I and Geary's C (O(n²)); larger regions use
    /// an evenly strided subsample of this size.
    pub moran_max_voxels: usize,
}

impl Default for Settings {
    /// pyradiomics' defaults: bin width 25 aligned on multiples of 25; all families.
    fn default() -> Self {
        Settings {
            discretisation: Discretisation::FixedBinSize {
                width: 25.0,
                lower_bound: None,
            },
            families: Families::default(),
            moran_max_voxels: 1000,
        }
    }
}

impl Settings {
    /// The IBSI digital-phantom configuration: fixed bin size 1 from 1, exact Moran's I.
    pub fn ibsi_phantom() -> Self {
        Settings {
            discretisation: Discretisation::FixedBinSize {
                width: 1.0,
                lower_bound: Some(1.0),
            },
            families: Families::default(),
            moran_max_voxels: usize::MAX,
        }
    }
}

/// One feature value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Feature {
    /// IBSI family ("morphology", "GLCM", …).
    pub family: &'static str,
    /// IBSI feature name.
    pub feature: &'static str,
    /// Short key (mirp's tag, e.g. `cm_joint_max`).
    pub key: &'static str,
    /// IBSI four-character code.
    pub ibsi_code: &'static str,
    /// IBSI aggregation wording (`3D`, `2D, averaged`, `2.5D, merged`, …).
    pub aggregation: &'static str,
    /// The value (NaN when undefined, e.g. texture of a region with no voxel pairs).
    pub value: f64,
}

/// The features of one label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionFeatures {
    /// Label value.
    pub label: u32,
    /// Number of voxels.
    pub voxels: usize,
    /// All features.
    pub features: Vec<Feature>,
}

impl RegionFeatures {
    /// Value of a feature by key and aggregation.
    pub fn get(&self, key: &str, aggregation: &str) -> Option<f64> {
        self.features
            .iter()
            .find(|f| f.key == key && f.aggregation == aggregation)
            .map(|f| f.value)
    }
}

/// Collects features, attaching names and codes from [`names::FEATURES`].
#[derive(Debug, Default)]
pub struct Out {
    /// The features so far.
    pub features: Vec<Feature>,
}

impl Out {
    /// Add one value.
    pub fn put(&mut self, key: &str, aggregation: &'static str, value: f64) {
        let (k, fam, name, code) = names::FEATURES
            .iter()
            .find(|f| f.0 == key)
            .copied()
            .unwrap_or_else(|| panic!("feature key {key} missing from the IBSI names table"));
        self.features.push(Feature {
            family: fam,
            feature: name,
            key: k,
            ibsi_code: code,
            aggregation,
            value,
        });
    }
    /// Add a feature vector (NaN for each key when `None`).
    pub fn put_all(&mut self, keys: &[&str], aggregation: &'static str, values: Option<Vec<f64>>) {
        for (i, k) in keys.iter().enumerate() {
            let v = values.as_ref().map_or(f64::NAN, |v| v[i]);
            self.put(k, aggregation, v);
        }
    }
}

/// All features of one region.
pub fn region_features(roi: &Roi, settings: &Settings) -> Vec<Feature> {
    let mut out = Out::default();
    if roi.count == 0 {
        return out.features;
    }
    let f = &settings.families;
    if f.morphology {
        morph::morphology(roi, settings.moran_max_voxels, &mut out);
    }
    if f.local_intensity {
        stats::local_intensity(roi, &mut out);
    }
    if f.statistics {
        stats::intensity_statistics(roi, &mut out);
    }
    if f.histogram {
        stats::intensity_histogram(roi, &mut out);
    }
    if f.ivh {
        stats::intensity_volume_histogram(roi, &mut out);
    }
    if f.glcm || f.glrlm || f.zones || f.neighbours {
        let (map, vals) = roi.compact_levels();
        let cl: Vec<u32> = roi
            .levels
            .iter()
            .map(|&l| {
                if l == 0 {
                    matrix::NONE
                } else {
                    map[l as usize]
                }
            })
            .collect();
        if f.glcm {
            glcm::glcm(roi, &cl, &vals, &mut out);
        }
        if f.glrlm {
            glrlm::glrlm(roi, &cl, &vals, &mut out);
        }
        if f.zones {
            zones::size_and_distance_zones(roi, &cl, &vals, &mut out);
        }
        if f.neighbours {
            neighbours::ngtdm_ngldm(roi, &cl, &vals, &mut out);
        }
    }
    out.features
}

/// Label value of a label-map voxel (0 for background, negative or non-integer values).
fn label_of<L: Pixel>(v: L) -> u32 {
    let f = v.to_f64();
    if f >= 1.0 && f.fract() == 0.0 && f <= u32::MAX as f64 {
        f as u32
    } else {
        0
    }
}

/// Bounding boxes `[x0, y0, z0, x1, y1, z1]` (inclusive) and voxel counts per label.
fn bounding_boxes<L: Pixel>(labels: &Volume<L>) -> Vec<(u32, [usize; 6], usize)> {
    use std::collections::BTreeMap;
    let [nx, ny, nz] = labels.size();
    let data = labels.as_slice();
    let plane = nx * ny;
    let per_slice: Vec<BTreeMap<u32, ([usize; 6], usize)>> = (0..nz)
        .into_par_iter()
        .map(|z| {
            let mut m: BTreeMap<u32, ([usize; 6], usize)> = BTreeMap::new();
            for (k, &v) in data[z * plane..(z + 1) * plane].iter().enumerate() {
                let l = label_of(v);
                if l == 0 {
                    continue;
                }
                let (x, y) = (k % nx, k / nx);
                let e = m.entry(l).or_insert(([x, y, z, x, y, z], 0));
                e.0[0] = e.0[0].min(x);
                e.0[1] = e.0[1].min(y);
                e.0[3] = e.0[3].max(x);
                e.0[4] = e.0[4].max(y);
                e.1 += 1;
            }
            m
        })
        .collect();
    let mut all: BTreeMap<u32, ([usize; 6], usize)> = BTreeMap::new();
    for m in per_slice {
        for (l, (b, c)) in m {
            let e = all.entry(l).or_insert((b, 0));
            for k in 0..3 {
                e.0[k] = e.0[k].min(b[k]);
                e.0[k + 3] = e.0[k + 3].max(b[k + 3]);
            }
            e.1 += c;
        }
    }
    all.into_iter().map(|(l, (b, c))| (l, b, c)).collect()
}

/// Cut out the region of `label` with a margin for the local-intensity sphere.
pub fn crop_region<T: Pixel, L: Pixel>(
    image: &Volume<T>,
    labels: &Volume<L>,
    label: u32,
    bbox: [usize; 6],
    settings: &Settings,
) -> Result<Roi> {
    let size = image.size();
    let s = image.geometry().spacing;
    let margin: Vec<usize> = (0..3)
        .map(|k| {
            if settings.families.local_intensity {
                (stats::PEAK_RADIUS_MM / s[k]).ceil() as usize
            } else {
                0
            }
        })
        .collect();
    let lo: Vec<usize> = (0..3).map(|k| bbox[k].saturating_sub(margin[k])).collect();
    let hi: Vec<usize> = (0..3)
        .map(|k| (bbox[k + 3] + margin[k]).min(size[k] - 1))
        .collect();
    let dims = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
    let n = dims[0] * dims[1] * dims[2];
    let mut intensity = Vec::with_capacity(n);
    let mut mask = Vec::with_capacity(n);
    let (img, lab) = (image.as_slice(), labels.as_slice());
    for z in lo[2]..=hi[2] {
        for y in lo[1]..=hi[1] {
            let row = size[0] * (y + size[1] * z);
            for x in lo[0]..=hi[0] {
                let v = img[row + x].to_f64();
                let m = label_of(lab[row + x]) == label;
                if m && !v.is_finite() {
                    return Err(RadiomicsError::NonFinite(label));
                }
                intensity.push(v);
                mask.push(m);
            }
        }
    }
    Roi::new(dims, s, intensity, mask, &settings.discretisation)
}

/// Features of every label (or of `which`) in `labels`, one region per rayon task.
///
/// The image and label map must share the voxel grid (size and spacing). Labels
/// are the positive integer values of the label map.
pub fn extract<T: Pixel, L: Pixel>(
    image: &Volume<T>,
    labels: &Volume<L>,
    which: Option<&[u32]>,
    settings: &Settings,
) -> Result<Vec<RegionFeatures>> {
    if image.size() != labels.size() {
        return Err(RadiomicsError::Grid(format!(
            "image size {:?}, label map size {:?}",
            image.size(),
            labels.size()
        )));
    }
    let (si, sl) = (image.geometry().spacing, labels.geometry().spacing);
    if (0..3).any(|k| (si[k] - sl[k]).abs() > 1e-4 * si[k].abs().max(1e-6)) {
        return Err(RadiomicsError::Grid(format!(
            "image spacing {si:?}, label map spacing {sl:?}"
        )));
    }
    let boxes = bounding_boxes(labels);
    let chosen: Vec<(u32, [usize; 6], usize)> = match which {
        None => boxes,
        Some(w) => {
            let mut v = Vec::new();
            for &l in w {
                match boxes.iter().find(|b| b.0 == l) {
                    Some(b) => v.push(*b),
                    None => return Err(RadiomicsError::MissingLabel(l)),
                }
            }
            v
        }
    };
    chosen
        .par_iter()
        .map(|&(label, bbox, voxels)| {
            let roi = crop_region(image, labels, label, bbox, settings)?;
            Ok(RegionFeatures {
                label,
                voxels,
                features: region_features(&roi, settings),
            })
        })
        .collect()
}
