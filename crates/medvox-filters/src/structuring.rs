//! Flat structuring elements (box and ITK's ball) and their decomposition into
//! x-runs, which is what the morphology engine computes with.
//!
//! * **Box** of radius `r`: every offset with `|d_a| <= r_a`.
//! * **Ball** of radius `r` (ITK's `FlatStructuringElement::Ball(r)`, SimpleITK's
//!   `sitkBall`): every offset with `Σ_a (d_a / (r_a + ½))² <= 1`, i.e. the ellipsoid
//!   whose axes are the `2r_a + 1` voxel sides of the kernel. Tested here in exact
//!   integer arithmetic as `Σ_a (2d_a)² Π_{b≠a} (2r_b+1)² <= Π_b (2r_b+1)²`; the two
//!   sides are never equal (left even, right odd), so there is no rounding tie and
//!   the set equals ITK's for every radius (checked against SimpleITK for all radii
//!   0..=5 per axis and several larger ones). Radius 2 gives the 81 offsets with
//!   `d·d <= 6`; a radius of 0 on an axis flattens the ball on that axis.
//!
//! Both shapes are symmetric and "unconditional" (if `d` is in, so is every `d'` with
//! `|d'_a| <= |d_a|`), so clamping coordinates to the image (edge replicate) gives
//! the same min/max as ignoring out-of-image voxels.

/// Largest radius (per axis) for which [`Kernel::contains`] is exact integer arithmetic.
pub const MAX_RADIUS: usize = 1 << 16;

/// Shape of a flat structuring element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kernel {
    /// ITK's ball (ellipsoid for anisotropic radii), SimpleITK `sitkBall`.
    #[default]
    Ball,
    /// The full `(2r_x+1)(2r_y+1)(2r_z+1)` box, SimpleITK `sitkBox`.
    Box,
}

impl Kernel {
    /// Whether offset `d = [dx, dy, dz]` belongs to the element of radius `r`.
    pub fn contains(&self, r: [usize; 3], d: [i64; 3]) -> bool {
        if (0..3).any(|a| d[a].unsigned_abs() > r[a] as u64) {
            return false;
        }
        match self {
            Kernel::Box => true,
            Kernel::Ball if r.iter().any(|&ra| ra > MAX_RADIUS) => {
                let q: f64 = (0..3)
                    .map(|a| (2.0 * d[a] as f64 / (2.0 * r[a] as f64 + 1.0)).powi(2))
                    .sum();
                q <= 1.0
            }
            Kernel::Ball => {
                let side = r.map(|ra| (2 * ra as u128 + 1).pow(2));
                let all: u128 = side.iter().product();
                let lhs: u128 = (0..3)
                    .map(|a| (2 * d[a].unsigned_abs() as u128).pow(2) * all / side[a])
                    .sum();
                lhs <= all
            }
        }
    }

    /// Half-width of the x-run of the element at `(dy, dz)`, `None` when the row is empty.
    pub fn half_width(&self, r: [usize; 3], dy: i64, dz: i64) -> Option<usize> {
        (0..=r[0])
            .rev()
            .find(|&w| self.contains(r, [w as i64, dy, dz]))
    }

    /// Number of offsets in the element.
    pub fn count(&self, r: [usize; 3]) -> usize {
        let mut n = 0;
        for dz in -(r[2] as i64)..=r[2] as i64 {
            for dy in -(r[1] as i64)..=r[1] as i64 {
                if let Some(w) = self.half_width(r, dy, dz) {
                    n += 2 * w + 1;
                }
            }
        }
        n
    }
}

/// A profile: the x-runs of one z-plane of the element, `(dy, width index)` pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Profile {
    pub rows: Vec<(isize, usize)>,
    /// `Some(ry)` when the rows are every `dy` in `-ry..=ry` with one width (a box
    /// profile: computed as a running min over rows).
    pub uniform: Option<usize>,
}

/// The element as x-runs: distinct half-widths, distinct y-profiles, and per `dz`
/// the profile it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decomposition {
    pub radius: [usize; 3],
    pub widths: Vec<usize>,
    pub profiles: Vec<Profile>,
    /// `(dz, profile index)` for every non-empty plane of the element.
    pub planes: Vec<(isize, usize)>,
    /// `Some(rz)` when every `dz` in `-rz..=rz` uses the same profile (a box).
    pub uniform_z: Option<usize>,
}

impl Decomposition {
    pub fn new(kernel: Kernel, r: [usize; 3]) -> Self {
        let mut widths: Vec<usize> = Vec::new();
        let mut profiles: Vec<Profile> = Vec::new();
        let mut planes = Vec::new();
        for dz in -(r[2] as i64)..=r[2] as i64 {
            let mut rows = Vec::new();
            for dy in -(r[1] as i64)..=r[1] as i64 {
                if let Some(w) = kernel.half_width(r, dy, dz) {
                    let wi = match widths.iter().position(|&x| x == w) {
                        Some(i) => i,
                        None => {
                            widths.push(w);
                            widths.len() - 1
                        }
                    };
                    rows.push((dy as isize, wi));
                }
            }
            if rows.is_empty() {
                continue;
            }
            let uniform = (rows.len() == 2 * r[1] + 1 && rows.iter().all(|&(_, w)| w == rows[0].1))
                .then_some(r[1]);
            let p = Profile { rows, uniform };
            let pi = match profiles.iter().position(|q| *q == p) {
                Some(i) => i,
                None => {
                    profiles.push(p);
                    profiles.len() - 1
                }
            };
            planes.push((dz as isize, pi));
        }
        let uniform_z = (planes.len() == 2 * r[2] + 1 && profiles.len() == 1).then_some(r[2]);
        Decomposition {
            radius: r,
            widths,
            profiles,
            planes,
            uniform_z,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn itk_ball_sizes() {
        assert_eq!(Kernel::Ball.count([2, 2, 2]), 81);
        assert_eq!(Kernel::Ball.count([1, 1, 1]), 19);
        assert_eq!(Kernel::Ball.count([0, 0, 0]), 1);
        // Values measured with SimpleITK 2.5 GrayscaleDilate of a single voxel.
        assert_eq!(Kernel::Ball.count([7, 7, 7]), 1791);
        assert_eq!(Kernel::Ball.count([12, 3, 1]), 289);
        assert_eq!(Kernel::Ball.count([9, 0, 6]), 199);
        assert_eq!(Kernel::Ball.count([1, 20, 0]), 103);
        assert_eq!(Kernel::Box.count([2, 1, 0]), 15);
        for dz in -2i64..=2 {
            for dy in -2i64..=2 {
                for dx in -2i64..=2 {
                    let want = dx * dx + dy * dy + dz * dz <= 6;
                    assert_eq!(Kernel::Ball.contains([2, 2, 2], [dx, dy, dz]), want);
                }
            }
        }
    }

    #[test]
    fn decomposition_of_ball2() {
        let d = Decomposition::new(Kernel::Ball, [2, 2, 2]);
        assert_eq!(d.widths, vec![1, 2]);
        assert_eq!(d.profiles.len(), 2);
        assert_eq!(d.planes.len(), 5);
        assert!(d.uniform_z.is_none());
        let b = Decomposition::new(Kernel::Box, [3, 2, 1]);
        assert_eq!(b.uniform_z, Some(1));
        assert_eq!(b.profiles[0].uniform, Some(2));
    }
}
