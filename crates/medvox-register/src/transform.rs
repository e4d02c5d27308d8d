//! Linear spatial transforms with ITK's parameters, centre and conventions.
//!
//! A transform maps a point of the **fixed** image's physical space (mm, LPS) to
//! the **moving** image's physical space — the direction ITK uses to resample a
//! moving image onto a fixed grid. Every kind is `T(x) = M·(x − c) + c + t`
//! with `c` the centre of rotation (ITK's fixed parameters) and:
//!
//! | kind | ITK class | parameters (ITK order) | `M` |
//! | --- | --- | --- | --- |
//! | [`Transform::Translation`] | `TranslationTransform` | `tx ty tz` | identity |
//! | [`Transform::Euler3d`] | `Euler3DTransform` | `θx θy θz tx ty tz` (radians) | `Rz·Rx·Ry` (ITK default), `Rz·Ry·Rx` with `compute_zyx` |
//! | [`Transform::Affine`] | `AffineTransform` | `m00 m01 m02 m10 … m22 tx ty tz` (row-major) | the matrix |
//!
//! `Rx(θ) = [[1,0,0],[0,cos θ,−sin θ],[0,sin θ,cos θ]]` and likewise for y, z, as
//! in `itk::Euler3DTransform::ComputeMatrix`. `VersorRigid3DTransform`,
//! `Similarity3DTransform`, `ScaleTransform` and composites read from `.tfm` files
//! (see [`crate::tfm`]) become an [`Transform::Affine`] with the same mapping.
//!
//! ```
//! use medvox_register::Transform;
//! // SimpleITK: sitk.Euler3DTransform((10, 0, 0), 0, 0, pi/2, (1, 2, 3))
//! let t = Transform::euler([0.0, 0.0, std::f64::consts::FRAC_PI_2], [1.0, 2.0, 3.0], [10.0, 0.0, 0.0]);
//! let p = t.apply([11.0, 0.0, 0.0]);
//! assert!((p[0] - 11.0).abs() < 1e-12 && (p[1] - 3.0).abs() < 1e-12 && (p[2] - 3.0).abs() < 1e-12);
//! ```

use medvox_core::geometry::{inverse3, mat_mul, mat_vec, Mat3};
use medvox_core::Geometry;

use crate::error::{RegisterError, Result};

/// Identity matrix.
pub const IDENTITY: Mat3 = Geometry::IDENTITY;

/// A linear (affine-family) transform, fixed → moving physical space (module docs).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Transform {
    /// `T(x) = x + t`.
    Translation {
        /// Offset (mm).
        offset: [f64; 3],
    },
    /// ITK `Euler3DTransform`.
    Euler3d {
        /// Rotation angles about x, y, z (radians).
        angles: [f64; 3],
        /// Translation (mm).
        translation: [f64; 3],
        /// Centre of rotation (mm).
        center: [f64; 3],
        /// Rotation order `Rz·Ry·Rx` instead of ITK's default `Rz·Rx·Ry`.
        compute_zyx: bool,
    },
    /// ITK `AffineTransform`.
    Affine {
        /// The matrix, row-major.
        matrix: Mat3,
        /// Translation (mm).
        translation: [f64; 3],
        /// Centre (mm).
        center: [f64; 3],
    },
}

impl Default for Transform {
    fn default() -> Self {
        Transform::Translation { offset: [0.0; 3] }
    }
}

fn rot(axis: usize, a: f64) -> Mat3 {
    let (s, c) = a.sin_cos();
    match axis {
        0 => [[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]],
        1 => [[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]],
        _ => [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]],
    }
}

/// Derivative of [`rot`] with respect to the angle.
fn drot(axis: usize, a: f64) -> Mat3 {
    let (s, c) = a.sin_cos();
    match axis {
        0 => [[0.0, 0.0, 0.0], [0.0, -s, -c], [0.0, c, -s]],
        1 => [[-s, 0.0, c], [0.0, 0.0, 0.0], [-c, 0.0, -s]],
        _ => [[-s, -c, 0.0], [c, -s, 0.0], [0.0, 0.0, 0.0]],
    }
}

/// Rotation matrix of ITK's Euler angles.
pub fn euler_matrix(angles: [f64; 3], compute_zyx: bool) -> Mat3 {
    let [rx, ry, rz] = [0, 1, 2].map(|a| rot(a, angles[a]));
    if compute_zyx {
        mat_mul(&rz, &mat_mul(&ry, &rx))
    } else {
        mat_mul(&rz, &mat_mul(&rx, &ry))
    }
}

/// ITK's Euler angles of a rotation matrix (`Euler3DTransform::ComputeMatrixParameters`).
pub fn euler_angles(m: &Mat3, compute_zyx: bool) -> [f64; 3] {
    if compute_zyx {
        let ay = (-m[2][0]).clamp(-1.0, 1.0).asin();
        let ax = m[2][1].atan2(m[2][2]);
        let az = m[1][0].atan2(m[0][0]);
        [ax, ay, az]
    } else {
        let ax = m[2][1].clamp(-1.0, 1.0).asin();
        let ay = (-m[2][0]).atan2(m[2][2]);
        let az = (-m[0][1]).atan2(m[1][1]);
        [ax, ay, az]
    }
}

fn add(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn transpose(m: &Mat3) -> Mat3 {
    std::array::from_fn(|r| std::array::from_fn(|c| m[c][r]))
}

impl Transform {
    /// ITK `Euler3DTransform` (default `Rz·Rx·Ry` order).
    pub fn euler(angles: [f64; 3], translation: [f64; 3], center: [f64; 3]) -> Self {
        Transform::Euler3d {
            angles,
            translation,
            center,
            compute_zyx: false,
        }
    }

    /// ITK `AffineTransform`.
    pub fn affine(matrix: Mat3, translation: [f64; 3], center: [f64; 3]) -> Self {
        Transform::Affine {
            matrix,
            translation,
            center,
        }
    }

    /// The ITK class name written in `.tfm` files (`Euler3DTransform_double_3_3`…).
    pub fn itk_name(&self) -> &'static str {
        match self {
            Transform::Translation { .. } => "TranslationTransform_double_3_3",
            Transform::Euler3d { .. } => "Euler3DTransform_double_3_3",
            Transform::Affine { .. } => "AffineTransform_double_3_3",
        }
    }

    /// The matrix `M`.
    pub fn matrix(&self) -> Mat3 {
        match self {
            Transform::Translation { .. } => IDENTITY,
            Transform::Euler3d {
                angles,
                compute_zyx,
                ..
            } => euler_matrix(*angles, *compute_zyx),
            Transform::Affine { matrix, .. } => *matrix,
        }
    }

    /// The centre `c` (the origin for a translation).
    pub fn center(&self) -> [f64; 3] {
        match self {
            Transform::Translation { .. } => [0.0; 3],
            Transform::Euler3d { center, .. } | Transform::Affine { center, .. } => *center,
        }
    }

    /// The translation `t` (the offset for a translation).
    pub fn translation(&self) -> [f64; 3] {
        match self {
            Transform::Translation { offset } => *offset,
            Transform::Euler3d { translation, .. } | Transform::Affine { translation, .. } => {
                *translation
            }
        }
    }

    /// The offset `o` of `T(x) = M·x + o` (`o = c + t − M·c`, ITK's `GetOffset`).
    pub fn offset(&self) -> [f64; 3] {
        let m = self.matrix();
        let c = self.center();
        sub(add(c, self.translation()), mat_vec(&m, c))
    }

    /// `T(x)`.
    pub fn apply(&self, x: [f64; 3]) -> [f64; 3] {
        let c = self.center();
        add(
            add(mat_vec(&self.matrix(), sub(x, c)), c),
            self.translation(),
        )
    }

    /// Number of parameters (3, 6 or 12).
    pub fn n_params(&self) -> usize {
        match self {
            Transform::Translation { .. } => 3,
            Transform::Euler3d { .. } => 6,
            Transform::Affine { .. } => 12,
        }
    }

    /// The parameters in ITK's order (module docs).
    pub fn params(&self) -> Vec<f64> {
        match self {
            Transform::Translation { offset } => offset.to_vec(),
            Transform::Euler3d {
                angles,
                translation,
                ..
            } => angles.iter().chain(translation).copied().collect(),
            Transform::Affine {
                matrix,
                translation,
                ..
            } => matrix
                .iter()
                .flatten()
                .chain(translation)
                .copied()
                .collect(),
        }
    }

    /// ITK's fixed parameters: the centre (and the `ComputeZYX` flag for Euler3D).
    pub fn fixed_params(&self) -> Vec<f64> {
        match self {
            Transform::Translation { .. } => Vec::new(),
            Transform::Euler3d {
                center,
                compute_zyx,
                ..
            } => {
                let mut v = center.to_vec();
                v.push(if *compute_zyx { 1.0 } else { 0.0 });
                v
            }
            Transform::Affine { center, .. } => center.to_vec(),
        }
    }

    /// Sets the parameters (ITK order); `p` must have [`Transform::n_params`] finite values.
    pub fn set_params(&mut self, p: &[f64]) -> Result<()> {
        if p.len() != self.n_params() || p.iter().any(|v| !v.is_finite()) {
            return Err(RegisterError::Transform(format!(
                "{} needs {} finite parameters, got {:?}",
                self.itk_name(),
                self.n_params(),
                p
            )));
        }
        match self {
            Transform::Translation { offset } => offset.copy_from_slice(p),
            Transform::Euler3d {
                angles,
                translation,
                ..
            } => {
                angles.copy_from_slice(&p[..3]);
                translation.copy_from_slice(&p[3..]);
            }
            Transform::Affine {
                matrix,
                translation,
                ..
            } => {
                for (r, row) in matrix.iter_mut().enumerate() {
                    row.copy_from_slice(&p[3 * r..3 * r + 3]);
                }
                translation.copy_from_slice(&p[9..]);
            }
        }
        Ok(())
    }

    /// Checks that every number is finite and the matrix invertible.
    pub fn validate(&self) -> Result<()> {
        let all = self.params().into_iter().chain(self.fixed_params());
        if all.into_iter().any(|v| !v.is_finite()) {
            return Err(RegisterError::Transform(format!(
                "{} has a parameter that is not finite",
                self.itk_name()
            )));
        }
        if inverse3(&self.matrix()).is_none() {
            return Err(RegisterError::Transform(format!(
                "{} has a singular matrix",
                self.itk_name()
            )));
        }
        Ok(())
    }

    /// The same mapping as an [`Transform::Affine`] about the same centre.
    pub fn to_affine(&self) -> Transform {
        Transform::Affine {
            matrix: self.matrix(),
            translation: self.translation(),
            center: self.center(),
        }
    }

    /// The same mapping about another centre (the translation is adjusted).
    pub fn with_center(&self, center: [f64; 3]) -> Transform {
        // T(x) = M(x − c') + c' + t'  ⇒  t' = T(c') − c'.
        let t = sub(self.apply(center), center);
        match *self {
            Transform::Translation { .. } => *self,
            Transform::Euler3d {
                angles,
                compute_zyx,
                ..
            } => Transform::Euler3d {
                angles,
                translation: t,
                center,
                compute_zyx,
            },
            Transform::Affine { matrix, .. } => Transform::Affine {
                matrix,
                translation: t,
                center,
            },
        }
    }

    /// `self ∘ inner`: first `inner`, then `self` (an affine about `inner`'s centre,
    /// a translation when both are).
    pub fn compose(&self, inner: &Transform) -> Transform {
        if let (Transform::Translation { offset: a }, Transform::Translation { offset: b }) =
            (self, inner)
        {
            return Transform::Translation {
                offset: add(*a, *b),
            };
        }
        let m = mat_mul(&self.matrix(), &inner.matrix());
        let c = inner.center();
        let t = sub(self.apply(inner.apply(c)), c);
        Transform::Affine {
            matrix: m,
            translation: t,
            center: c,
        }
    }

    /// The inverse (moving → fixed), same kind and centre `T(c)`; an error when singular.
    pub fn inverse(&self) -> Result<Transform> {
        self.validate()?;
        let m = self.matrix();
        let inv = inverse3(&m).ok_or_else(|| {
            RegisterError::Transform(format!("{} is not invertible", self.itk_name()))
        })?;
        // T⁻¹(y) = M⁻¹(y − T(c)) + c: centre T(c), translation c − T(c).
        let c = self.center();
        let tc = self.apply(c);
        let translation = sub(c, tc);
        Ok(match *self {
            Transform::Translation { offset } => Transform::Translation {
                offset: offset.map(|v| -v),
            },
            Transform::Euler3d { compute_zyx, .. } => Transform::Euler3d {
                angles: euler_angles(&transpose(&m), compute_zyx),
                translation,
                center: tc,
                compute_zyx,
            },
            Transform::Affine { .. } => Transform::Affine {
                matrix: inv,
                translation,
                center: tc,
            },
        })
    }

    /// The derivative of `T` with respect to its parameters, ready for [`Jacobian::dot`].
    pub fn jacobian(&self) -> Jacobian {
        match *self {
            Transform::Translation { .. } => Jacobian::Translation,
            Transform::Euler3d {
                angles,
                center,
                compute_zyx,
                ..
            } => {
                let [rx, ry, rz] = [0, 1, 2].map(|a| rot(a, angles[a]));
                let [dx, dy, dz] = [0, 1, 2].map(|a| drot(a, angles[a]));
                let d = if compute_zyx {
                    [
                        mat_mul(&rz, &mat_mul(&ry, &dx)),
                        mat_mul(&rz, &mat_mul(&dy, &rx)),
                        mat_mul(&dz, &mat_mul(&ry, &rx)),
                    ]
                } else {
                    [
                        mat_mul(&rz, &mat_mul(&dx, &ry)),
                        mat_mul(&rz, &mat_mul(&rx, &dy)),
                        mat_mul(&dz, &mat_mul(&rx, &ry)),
                    ]
                };
                Jacobian::Euler {
                    dt: d.map(|m| transpose(&m)),
                    center,
                }
            }
            Transform::Affine { center, .. } => Jacobian::Affine { center },
        }
    }
}

/// `∂T/∂p` at a point, applied to a vector (see [`Transform::jacobian`]).
#[derive(Debug, Clone, Copy)]
#[allow(clippy::large_enum_variant)] // a small stack value, built once per evaluation
pub enum Jacobian {
    /// Translation: the identity.
    Translation,
    /// Euler3D: the transposed derivative matrices of the rotation, and the centre.
    Euler {
        /// `(∂M/∂θ_i)ᵀ`.
        dt: [Mat3; 3],
        /// Centre.
        center: [f64; 3],
    },
    /// Affine: the centre.
    Affine {
        /// Centre.
        center: [f64; 3],
    },
}

impl Jacobian {
    /// `out[i] = g · ∂T(x)/∂p_i` for every parameter `i` (`out` has `n_params` entries).
    #[inline]
    pub fn dot(&self, x: [f64; 3], g: [f64; 3], out: &mut [f64]) {
        match self {
            Jacobian::Translation => out[..3].copy_from_slice(&g),
            Jacobian::Euler { dt, center } => {
                let d = sub(x, *center);
                for i in 0..3 {
                    let v = mat_vec(&dt[i], g);
                    out[i] = v[0] * d[0] + v[1] * d[1] + v[2] * d[2];
                }
                out[3..6].copy_from_slice(&g);
            }
            Jacobian::Affine { center } => {
                let d = sub(x, *center);
                for r in 0..3 {
                    for c in 0..3 {
                        out[3 * r + c] = g[r] * d[c];
                    }
                }
                out[9..12].copy_from_slice(&g);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [f64; 3], b: [f64; 3], tol: f64) -> bool {
        (0..3).all(|i| (a[i] - b[i]).abs() <= tol)
    }

    #[test]
    fn euler_angles_round_trip() {
        for zyx in [false, true] {
            let a = [0.3, -0.2, 1.1];
            let m = euler_matrix(a, zyx);
            let b = euler_angles(&m, zyx);
            assert!(close(a, b, 1e-12), "{a:?} {b:?}");
        }
    }

    #[test]
    fn inverse_and_compose() {
        let t = Transform::euler([0.1, 0.2, -0.3], [4.0, -3.0, 2.0], [10.0, 20.0, 30.0]);
        let inv = t.inverse().unwrap();
        assert!(matches!(inv, Transform::Euler3d { .. }));
        let x = [1.0, -7.0, 3.5];
        assert!(close(inv.apply(t.apply(x)), x, 1e-10));
        let a = Transform::affine(
            [[1.1, 0.1, 0.0], [0.0, 0.9, 0.2], [0.05, 0.0, 1.0]],
            [1.0, 2.0, 3.0],
            [5.0, 5.0, 5.0],
        );
        let c = a.compose(&t);
        assert!(close(c.apply(x), a.apply(t.apply(x)), 1e-10));
        let ai = a.inverse().unwrap();
        assert!(close(ai.apply(a.apply(x)), x, 1e-10));
        let moved = a.with_center([-3.0, 1.0, 2.0]);
        assert!(close(moved.apply(x), a.apply(x), 1e-10));
    }

    #[test]
    fn jacobian_matches_finite_differences() {
        let x = [12.0, -5.0, 7.0];
        let g = [0.3, -1.2, 0.7];
        for zyx in [false, true] {
            for t in [
                Transform::Euler3d {
                    angles: [0.2, -0.1, 0.4],
                    translation: [1.0, 2.0, 3.0],
                    center: [1.0, 2.0, 3.0],
                    compute_zyx: zyx,
                },
                Transform::affine(
                    [[1.1, 0.1, 0.0], [0.0, 0.9, 0.2], [0.05, 0.0, 1.0]],
                    [1.0, 2.0, 3.0],
                    [5.0, 5.0, 5.0],
                ),
                Transform::Translation {
                    offset: [1.0, 2.0, 3.0],
                },
            ] {
                let n = t.n_params();
                let mut out = vec![0.0; n];
                t.jacobian().dot(x, g, &mut out);
                let p = t.params();
                for i in 0..n {
                    let h = 1e-6;
                    let (mut a, mut b) = (t, t);
                    let mut pa = p.clone();
                    pa[i] += h;
                    a.set_params(&pa).unwrap();
                    let mut pb = p.clone();
                    pb[i] -= h;
                    b.set_params(&pb).unwrap();
                    let (ya, yb) = (a.apply(x), b.apply(x));
                    let fd: f64 = (0..3).map(|k| g[k] * (ya[k] - yb[k]) / (2.0 * h)).sum();
                    assert!(
                        (fd - out[i]).abs() < 1e-6,
                        "{t:?} param {i}: {fd} vs {}",
                        out[i]
                    );
                }
            }
        }
    }

    #[test]
    fn rejects_bad_params() {
        let mut t = Transform::euler([0.0; 3], [0.0; 3], [0.0; 3]);
        assert!(t.set_params(&[0.0, f64::NAN, 0.0, 0.0, 0.0, 0.0]).is_err());
        assert!(t.set_params(&[0.0; 5]).is_err());
        let s = Transform::affine([[0.0; 3]; 3], [0.0; 3], [0.0; 3]);
        assert!(s.inverse().is_err());
    }
}
