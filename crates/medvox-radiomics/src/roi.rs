//! A region of interest cut out of the image: intensities, mask and
//! discretised grey levels on the region's bounding box (plus the margin the
//! local-intensity sphere needs).

use crate::{Discretisation, RadiomicsError, Result};

/// One region on its own (cropped) voxel grid. Index `x + nx * (y + ny * z)`.
#[derive(Debug, Clone)]
pub struct Roi {
    /// Crop size `[nx, ny, nz]`.
    pub dims: [usize; 3],
    /// Voxel spacing in mm `[sx, sy, sz]`.
    pub spacing: [f64; 3],
    /// Intensities of every crop voxel (inside and outside the mask).
    pub intensity: Vec<f64>,
    /// True for voxels of the region.
    pub mask: Vec<bool>,
    /// Discretised grey level of region voxels (1, 2, …); 0 outside the region.
    pub levels: Vec<u32>,
    /// Number of grey levels `Ng` (largest level; the bin count for a fixed bin number).
    pub ng: u32,
    /// Number of region voxels.
    pub count: usize,
}

impl Roi {
    /// Build a region from a crop and discretise its intensities.
    pub fn new(
        dims: [usize; 3],
        spacing: [f64; 3],
        intensity: Vec<f64>,
        mask: Vec<bool>,
        disc: &Discretisation,
    ) -> Result<Roi> {
        let n = dims[0] * dims[1] * dims[2];
        assert_eq!(intensity.len(), n);
        assert_eq!(mask.len(), n);
        let count = mask.iter().filter(|&&m| m).count();
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for (&v, &m) in intensity.iter().zip(&mask) {
            if m {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        let mut levels = vec![0u32; n];
        let mut ng = 0u32;
        if count > 0 {
            match *disc {
                Discretisation::FixedBinSize { width, lower_bound } => {
                    if !(width > 0.0 && width.is_finite()) {
                        return Err(RadiomicsError::Setting {
                            name: "binWidth".into(),
                            reason: format!("{width} is not a positive number"),
                        });
                    }
                    // IBSI: floor((x - X_b) / w) + 1. Without a lower bound, pyradiomics'
                    // alignment: bins start at the multiple of w at or below the minimum.
                    let xb = lower_bound.unwrap_or((lo / width).floor() * width);
                    if xb > lo {
                        return Err(RadiomicsError::Setting {
                            name: "binLowerBound".into(),
                            reason: format!("{xb} is above the region's minimum {lo}"),
                        });
                    }
                    for ((l, &v), &m) in levels.iter_mut().zip(&intensity).zip(&mask) {
                        if m {
                            let b = ((v - xb) / width + 1e-9).floor() as u64 + 1;
                            *l = b.min(u32::MAX as u64) as u32;
                            ng = ng.max(*l);
                        }
                    }
                }
                Discretisation::FixedBinNumber { bins } => {
                    if bins == 0 {
                        return Err(RadiomicsError::Setting {
                            name: "binCount".into(),
                            reason: "must be at least 1".into(),
                        });
                    }
                    let nb = bins as f64;
                    for ((l, &v), &m) in levels.iter_mut().zip(&intensity).zip(&mask) {
                        if m {
                            *l = if hi > lo {
                                ((nb * (v - lo) / (hi - lo)).floor() as u32 + 1).min(bins)
                            } else {
                                1
                            };
                        }
                    }
                    ng = bins;
                }
            }
        }
        Ok(Roi {
            dims,
            spacing,
            intensity,
            mask,
            levels,
            ng,
            count,
        })
    }

    /// Linear index of `(x, y, z)`.
    #[inline]
    pub fn idx(&self, x: usize, y: usize, z: usize) -> usize {
        x + self.dims[0] * (y + self.dims[1] * z)
    }

    /// Level at a signed position, 0 outside the crop or the region.
    #[inline]
    pub fn level_at(&self, x: isize, y: isize, z: isize) -> u32 {
        if x < 0
            || y < 0
            || z < 0
            || x as usize >= self.dims[0]
            || y as usize >= self.dims[1]
            || z as usize >= self.dims[2]
        {
            return 0;
        }
        self.levels[self.idx(x as usize, y as usize, z as usize)]
    }

    /// Intensities of the region voxels.
    pub fn values(&self) -> Vec<f64> {
        self.intensity
            .iter()
            .zip(&self.mask)
            .filter(|(_, &m)| m)
            .map(|(&v, _)| v)
            .collect()
    }

    /// Compact grey-level indexing: for each level 1..=ng, its index among the
    /// levels present (or `u32::MAX`), and the present levels in order.
    pub fn compact_levels(&self) -> (Vec<u32>, Vec<f64>) {
        let mut present = vec![false; self.ng as usize + 1];
        for &l in &self.levels {
            if l > 0 {
                present[l as usize] = true;
            }
        }
        let mut map = vec![u32::MAX; self.ng as usize + 1];
        let mut vals = Vec::new();
        for (l, &p) in present.iter().enumerate() {
            if p {
                map[l] = vals.len() as u32;
                vals.push(l as f64);
            }
        }
        (map, vals)
    }
}
