//! Ellipsoid phantoms with exact line integrals (no inverse crime) and voxelisation.
//!
//! An ellipsoid has a centre `c`, semi-axes `(a, b, c)` and a rotation `R`; a point `p`
//! is inside when `|diag(1/axes) · R · (p − c)| ≤ 1`. Densities add where ellipsoids overlap.
//! [`Phantom::shepp_logan`] is RTK's 3D Shepp–Logan (`rtk::SheppLoganPhantom`, ellipsoids
//! rotated about y, scaled by `PhantomScale`); [`Phantom::shepp_logan_axial`] is the same
//! phantom turned so that its slices lie in the x-y plane (for `Axis::Z` scans).

/// One ellipsoid of constant density.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ellipsoid {
    /// Centre (mm).
    pub center: [f64; 3],
    /// Semi-axes (mm, > 0).
    pub axes: [f64; 3],
    /// Rotation taking world offsets to the ellipsoid's axes (row-major).
    pub rotation: [[f64; 3]; 3],
    /// Density added inside.
    pub density: f64,
}

impl Ellipsoid {
    /// An ellipsoid rotated by `angle` degrees about y, as RTK's `QuadricShape::SetEllipsoid`.
    pub fn about_y(center: [f64; 3], axes: [f64; 3], angle: f64, density: f64) -> Self {
        let (s, c) = angle.to_radians().sin_cos();
        Ellipsoid {
            center,
            axes,
            rotation: [[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]],
            density,
        }
    }

    fn local(&self, v: [f64; 3]) -> [f64; 3] {
        let r = &self.rotation;
        [
            (r[0][0] * v[0] + r[0][1] * v[1] + r[0][2] * v[2]) / self.axes[0],
            (r[1][0] * v[0] + r[1][1] * v[1] + r[1][2] * v[2]) / self.axes[1],
            (r[2][0] * v[0] + r[2][1] * v[1] + r[2][2] * v[2]) / self.axes[2],
        ]
    }

    /// Length (mm) of the chord of the line `s + t·d` (`d` unit) inside the ellipsoid.
    pub fn chord(&self, s: [f64; 3], d: [f64; 3]) -> f64 {
        let e = self.local([
            s[0] - self.center[0],
            s[1] - self.center[1],
            s[2] - self.center[2],
        ]);
        let f = self.local(d);
        let ff = f[0] * f[0] + f[1] * f[1] + f[2] * f[2];
        let ef = e[0] * f[0] + e[1] * f[1] + e[2] * f[2];
        let ee = e[0] * e[0] + e[1] * e[1] + e[2] * e[2];
        let disc = ef * ef - ff * (ee - 1.0);
        if disc <= 0.0 || ff == 0.0 {
            0.0
        } else {
            2.0 * disc.sqrt() / ff
        }
    }

    /// Whether a point is inside (boundary included, as RTK's `IsInside`).
    pub fn contains(&self, p: [f64; 3]) -> bool {
        let e = self.local([
            p[0] - self.center[0],
            p[1] - self.center[1],
            p[2] - self.center[2],
        ]);
        e[0] * e[0] + e[1] * e[1] + e[2] * e[2] <= 1.0
    }
}

/// A sum of ellipsoids.
#[derive(Debug, Clone, PartialEq)]
pub struct Phantom {
    /// The ellipsoids.
    pub ellipsoids: Vec<Ellipsoid>,
}

/// RTK's Shepp–Logan table: semi-axes, centre, angle about y (degrees), density.
const SHEPP_LOGAN: [[f64; 8]; 10] = [
    [0.69, 0.90, 0.92, 0., 0., 0., 0., 2.],
    [0.6624, 0.880, 0.874, 0., 0., 0., 0., -0.98],
    [0.41, 0.21, 0.16, -0.22, -0.25, 0., 108., -0.02],
    [0.31, 0.22, 0.11, 0.22, -0.25, 0., 72., -0.02],
    [0.21, 0.50, 0.25, 0., -0.25, 0.35, 0., 0.02],
    [0.046, 0.046, 0.046, 0., -0.25, 0.10, 0., 0.02],
    [0.046, 0.02, 0.023, -0.08, -0.25, -0.65, 0., 0.01],
    [0.046, 0.02, 0.023, 0.06, -0.25, -0.65, 90., 0.01],
    [0.056, 0.1, 0.04, 0.06, 0.625, -0.105, 90., 0.02],
    [0.056, 0.1, 0.056, 0., 0.625, 0.1, 0., -0.02],
];

impl Phantom {
    /// RTK's 3D Shepp–Logan scaled by `scale` mm (RTK's `PhantomScale`; values 0…2).
    pub fn shepp_logan(scale: f64) -> Self {
        Phantom {
            ellipsoids: SHEPP_LOGAN
                .iter()
                .map(|r| {
                    Ellipsoid::about_y(
                        [r[3] * scale, r[4] * scale, r[5] * scale],
                        [r[0] * scale, r[1] * scale, r[2] * scale],
                        r[6],
                        r[7],
                    )
                })
                .collect(),
        }
    }

    /// The same phantom with its y and z axes swapped, so that RTK's axial planes
    /// (x-z) become x-y planes (for scans about z).
    pub fn shepp_logan_axial(scale: f64) -> Self {
        let mut p = Self::shepp_logan(scale);
        for e in &mut p.ellipsoids {
            e.center.swap(1, 2);
            for row in e.rotation.iter_mut() {
                row.swap(1, 2);
            }
            e.rotation.swap(1, 2);
            e.axes.swap(1, 2);
        }
        p
    }

    /// Line integral along `s + t·d` (`d` unit).
    pub fn line_integral(&self, s: [f64; 3], d: [f64; 3]) -> f64 {
        self.ellipsoids
            .iter()
            .map(|e| e.density * e.chord(s, d))
            .sum()
    }

    /// Value at a point.
    pub fn value(&self, p: [f64; 3]) -> f64 {
        self.ellipsoids
            .iter()
            .filter(|e| e.contains(p))
            .map(|e| e.density)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sphere_chord_and_value() {
        let e = Ellipsoid::about_y([1.0, 2.0, 3.0], [5.0, 5.0, 5.0], 30.0, 1.0);
        // a line 3 mm from the centre: chord 2·4 = 8
        assert!((e.chord([1.0, -100.0, 6.0], [0.0, 1.0, 0.0]) - 8.0).abs() < 1e-9);
        assert_eq!(e.chord([1.0, -100.0, 9.0], [0.0, 1.0, 0.0]), 0.0);
        let p = Phantom::shepp_logan(100.0);
        assert!((p.value([0.0, 0.0, 0.0]) - 1.02).abs() < 1e-12);
        let a = Phantom::shepp_logan_axial(100.0);
        assert_eq!(p.value([10.0, -25.0, 35.0]), a.value([10.0, 35.0, -25.0]));
        assert_eq!(p.value([30.0, 5.0, -10.0]), a.value([30.0, -10.0, 5.0]));
    }
}
