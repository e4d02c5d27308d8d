//! Circular scan geometry, exactly as RTK's `ThreeDCircularProjectionGeometry` defines it.
//!
//! Each projection has a source-to-isocentre distance `sid`, a source-to-detector
//! distance `sdd` (0 = parallel beam), a gantry angle, detector (projection) offsets,
//! source offsets and out-of-plane / in-plane angles (degrees in the API and the XML).
//! A world point `p` (mm) is first rotated into the gantry frame,
//! `q = Rz(-inplane) · Rx(-outofplane) · Ry(-gantry) · p` (ITK's ZXY Euler order), and
//! then lands on the detector at
//!
//! ```text
//! u = sx + sdd · (q_x − sx) / (sid − q_z) − px        v = sy + sdd · (q_y − sy) / (sid − q_z) − py
//! ```
//!
//! (parallel beam: `u = q_x − px`, `v = q_y − py`). `u, v` are the physical coordinates
//! of the projection image (its origin and spacing), as in RTK. The source sits at
//! `R^T · (sx, sy, sid)`: at gantry angle 0 on +z, at 90° on +x; the rotation axis is y.
//!
//! medvox adds two options that RTK's file does not store:
//! * [`Axis`]: `Y` (RTK, default for FDK) or `Z` (the rotation axis is the volume's z, so
//!   that 2D images and stacks of axial slices are reconstructed slice by slice, as
//!   scikit-image's `radon`/`iradon` do: with `Z`, `u = x·cos θ − y·sin θ` for parallel beam).
//! * fan beam: with `fan = true` and `sdd > 0`, every detector row is its own fan (flat
//!   detector) in the plane of constant `v` — a stack of 2D fan-beam sinograms.

use medvox_core::Geometry;

use crate::error::{param, ReconError, Result};

/// One projection of a circular scan (RTK parameters; angles in degrees, lengths in mm).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Projection {
    /// Source-to-isocentre distance (mm, > 0; ignored for parallel beam).
    pub sid: f64,
    /// Source-to-detector distance (mm; 0 = parallel beam).
    pub sdd: f64,
    /// Gantry angle (degrees).
    pub gantry_angle: f64,
    /// Detector offset along u (mm), RTK's `ProjectionOffsetX`.
    pub projection_offset_x: f64,
    /// Detector offset along v (mm), RTK's `ProjectionOffsetY`.
    pub projection_offset_y: f64,
    /// Out-of-plane angle (degrees).
    pub out_of_plane_angle: f64,
    /// In-plane angle (degrees).
    pub in_plane_angle: f64,
    /// Source offset along u (mm).
    pub source_offset_x: f64,
    /// Source offset along v (mm).
    pub source_offset_y: f64,
}

impl Projection {
    /// A projection with only distances and gantry angle (offsets and tilts 0).
    pub fn new(sid: f64, sdd: f64, gantry_angle: f64) -> Self {
        Projection {
            sid,
            sdd,
            gantry_angle,
            projection_offset_x: 0.0,
            projection_offset_y: 0.0,
            out_of_plane_angle: 0.0,
            in_plane_angle: 0.0,
            source_offset_x: 0.0,
            source_offset_y: 0.0,
        }
    }

    /// The rotation `R` (row-major) taking world coordinates to the gantry frame (RTK's rotation matrix).
    pub fn rotation(&self) -> [[f64; 3]; 3] {
        let (ax, ay, az) = (
            -self.out_of_plane_angle.to_radians(),
            -self.gantry_angle.to_radians(),
            -self.in_plane_angle.to_radians(),
        );
        let (cx, sx) = (ax.cos(), ax.sin());
        let (cy, sy) = (ay.cos(), ay.sin());
        let (cz, sz) = (az.cos(), az.sin());
        let rx = [[1.0, 0.0, 0.0], [0.0, cx, -sx], [0.0, sx, cx]];
        let ry = [[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]];
        let rz = [[cz, -sz, 0.0], [sz, cz, 0.0], [0.0, 0.0, 1.0]];
        mul3(&mul3(&rz, &rx), &ry)
    }

    /// RTK's 3×4 projection matrix (world mm → detector mm, homogeneous), as written in the XML.
    pub fn matrix(&self) -> [[f64; 4]; 3] {
        let r = self.rotation();
        let (sx, sy) = (self.source_offset_x, self.source_offset_y);
        // rotation then source translation (4×4), as rows of [R | t]
        let mut rt = [[0.0; 4]; 3];
        for i in 0..3 {
            rt[i][..3].copy_from_slice(&r[i]);
        }
        rt[0][3] = -sx;
        rt[1][3] = -sy;
        // magnification (3×4) times [R|t; 0 0 0 1]
        let mag: [[f64; 4]; 3] = if self.sdd == 0.0 {
            [
                [1.0, 0.0, 0.0, 0.0],
                [0.0, 1.0, 0.0, 0.0],
                [0.0, 0.0, 0.0, 1.0],
            ]
        } else {
            [
                [-self.sdd, 0.0, 0.0, 0.0],
                [0.0, -self.sdd, 0.0, 0.0],
                [0.0, 0.0, 1.0, -self.sid],
            ]
        };
        let mut m = [[0.0; 4]; 3];
        for i in 0..3 {
            for j in 0..4 {
                let mut s = 0.0;
                for k in 0..3 {
                    s += mag[i][k] * rt[k][j];
                }
                if j == 3 {
                    s += mag[i][3];
                }
                m[i][j] = s;
            }
        }
        // projection translation (sx - px, sy - py)
        let (tx, ty) = (sx - self.projection_offset_x, sy - self.projection_offset_y);
        let mut out = m;
        for j in 0..4 {
            out[0][j] = m[0][j] + tx * m[2][j];
            out[1][j] = m[1][j] + ty * m[2][j];
        }
        out
    }
}

/// Which world axis the gantry rotates about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Axis {
    /// RTK's convention: rotation about world y; the detector's v is along y.
    #[default]
    Y,
    /// Rotation about world z (axial slices, scikit-image's 2D convention); v is along z.
    Z,
}

/// The kind of beam of a geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beam {
    /// Parallel rays (`sdd = 0`).
    Parallel,
    /// A stack of 2D fans, one per detector row, flat detector.
    Fan,
    /// A cone (flat detector).
    Cone,
}

/// A circular scan: projections plus the medvox options RTK's file does not hold.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanGeometry {
    /// One entry per projection, in the order of the projection stack.
    pub projections: Vec<Projection>,
    /// Rotation axis (RTK: y).
    pub axis: Axis,
    /// Detector rows are independent fans (only when `sdd > 0`).
    pub fan: bool,
}

impl ScanGeometry {
    /// `n` projections evenly spread over `arc` degrees starting at `start` (angles `start + i·arc/n`).
    pub fn circular(n: usize, arc: f64, start: f64, sid: f64, sdd: f64) -> Self {
        let projections = (0..n)
            .map(|i| Projection::new(sid, sdd, start + i as f64 * arc / n as f64))
            .collect();
        ScanGeometry {
            projections,
            axis: Axis::Y,
            fan: false,
        }
    }

    /// The beam kind (checked by [`ScanGeometry::validate`]).
    pub fn beam(&self) -> Beam {
        match self.projections.first() {
            Some(p) if p.sdd != 0.0 => {
                if self.fan {
                    Beam::Fan
                } else {
                    Beam::Cone
                }
            }
            _ => Beam::Parallel,
        }
    }

    /// Checks finiteness, distances and that parallel and divergent projections are not mixed.
    pub fn validate(&self) -> Result<()> {
        if self.projections.is_empty() {
            return Err(ReconError::Geometry("no projections".into()));
        }
        let parallel = self.projections[0].sdd == 0.0;
        for (i, p) in self.projections.iter().enumerate() {
            let vals = [
                p.sid,
                p.sdd,
                p.gantry_angle,
                p.projection_offset_x,
                p.projection_offset_y,
                p.out_of_plane_angle,
                p.in_plane_angle,
                p.source_offset_x,
                p.source_offset_y,
            ];
            if vals.iter().any(|v| !v.is_finite()) {
                return Err(ReconError::Geometry(format!(
                    "projection {i}: non-finite parameter"
                )));
            }
            if (p.sdd == 0.0) != parallel {
                return Err(ReconError::Geometry(format!(
                    "projection {i}: parallel (sdd 0) and divergent projections mixed"
                )));
            }
            if !parallel {
                if p.sid <= 0.0 {
                    return Err(ReconError::Geometry(format!(
                        "projection {i}: source-to-isocentre distance {} must be > 0",
                        p.sid
                    )));
                }
                if p.sdd <= 0.0 {
                    return Err(ReconError::Geometry(format!(
                        "projection {i}: source-to-detector distance {} must be > 0",
                        p.sdd
                    )));
                }
            }
        }
        Ok(())
    }

    /// The rotation taking world coordinates to projection `k`'s gantry frame, including the axis permutation.
    pub(crate) fn world_to_gantry(&self, k: usize) -> [[f64; 3]; 3] {
        let r = self.projections[k].rotation();
        match self.axis {
            Axis::Y => r,
            // gantry-frame (x, y, z) = world (x, z, y): the rotation axis is world z
            Axis::Z => {
                let p = [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]];
                mul3(&r, &p)
            }
        }
    }

    /// Angular weight of each projection (radians): parallel beam integrates over π
    /// (angles taken modulo 180°), divergent beams over 2π with a factor ½; each
    /// projection gets half the gap between its neighbours (RTK's `GetAngularGaps`).
    pub fn angular_weights(&self) -> Vec<f64> {
        let parallel = self.beam() == Beam::Parallel;
        let period = if parallel {
            std::f64::consts::PI
        } else {
            2.0 * std::f64::consts::PI
        };
        let n = self.projections.len();
        let angles: Vec<f64> = self
            .projections
            .iter()
            .map(|p| p.gantry_angle.to_radians().rem_euclid(period))
            .collect();
        let scale = if parallel { 1.0 } else { 0.5 };
        if n == 1 {
            return vec![period * scale];
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| angles[a].total_cmp(&angles[b]).then(a.cmp(&b)));
        let mut w = vec![0.0; n];
        for (pos, &i) in order.iter().enumerate() {
            let prev = if pos == 0 {
                angles[order[n - 1]] - period
            } else {
                angles[order[pos - 1]]
            };
            let next = if pos == n - 1 {
                angles[order[0]] + period
            } else {
                angles[order[pos + 1]]
            };
            w[i] = 0.5 * (next - prev) * scale;
        }
        w
    }
}

/// The detector of a projection stack: size, pixel spacing and the physical (u, v) of pixel 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detector {
    /// Pixels along u and v.
    pub size: [usize; 2],
    /// Pixel spacing along u and v (mm).
    pub spacing: [f64; 2],
    /// Physical (u, v) of pixel (0, 0) (mm).
    pub origin: [f64; 2],
}

impl Detector {
    /// A detector centred on the principal ray: origin `-(n-1)/2 · spacing` (RTK's usual choice).
    pub fn centred(size: [usize; 2], spacing: [f64; 2]) -> Self {
        Detector {
            size,
            spacing,
            origin: [
                -(size[0] as f64 - 1.0) / 2.0 * spacing[0],
                -(size[1] as f64 - 1.0) / 2.0 * spacing[1],
            ],
        }
    }

    /// The detector described by a projection stack's geometry (x = u, y = v, as RTK).
    pub fn from_stack(size: [usize; 3], geometry: &Geometry) -> Self {
        Detector {
            size: [size[0], size[1]],
            spacing: [geometry.spacing[0], geometry.spacing[1]],
            origin: [geometry.origin[0], geometry.origin[1]],
        }
    }

    /// The geometry of a projection stack with this detector (z spacing 1, origin 0, as RTK writes them).
    pub fn stack_geometry(&self) -> Geometry {
        Geometry {
            spacing: [self.spacing[0], self.spacing[1], 1.0],
            origin: [self.origin[0], self.origin[1], 0.0],
            direction: Geometry::IDENTITY,
        }
    }

    /// Checks sizes and spacings.
    pub fn validate(&self) -> Result<()> {
        if self.size[0] == 0 || self.size[1] == 0 {
            return Err(param("detector", "size must be at least 1x1"));
        }
        if self
            .spacing
            .iter()
            .chain(self.origin.iter())
            .any(|v| !v.is_finite())
            || self.spacing.iter().any(|&s| s <= 0.0)
        {
            return Err(param(
                "detector-spacing",
                "spacing must be finite and > 0, origin finite",
            ));
        }
        Ok(())
    }
}

pub(crate) fn mul3(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut m = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            m[i][j] = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

// ------------------------------------------------------------------ RTK XML

const TAGS: [&str; 9] = [
    "SourceToIsocenterDistance",
    "SourceToDetectorDistance",
    "GantryAngle",
    "ProjectionOffsetX",
    "ProjectionOffsetY",
    "OutOfPlaneAngle",
    "InPlaneAngle",
    "SourceOffsetX",
    "SourceOffsetY",
];

fn get(p: &Projection, i: usize) -> f64 {
    [
        p.sid,
        p.sdd,
        p.gantry_angle,
        p.projection_offset_x,
        p.projection_offset_y,
        p.out_of_plane_angle,
        p.in_plane_angle,
        p.source_offset_x,
        p.source_offset_y,
    ][i]
}

fn set(p: &mut Projection, i: usize, v: f64) {
    let f = match i {
        0 => &mut p.sid,
        1 => &mut p.sdd,
        2 => &mut p.gantry_angle,
        3 => &mut p.projection_offset_x,
        4 => &mut p.projection_offset_y,
        5 => &mut p.out_of_plane_angle,
        6 => &mut p.in_plane_angle,
        7 => &mut p.source_offset_x,
        _ => &mut p.source_offset_y,
    };
    *f = v;
}

/// Writes RTK's geometry XML (`RTKThreeDCircularGeometry` version 3): parameters equal
/// for all projections once at the top (zeros omitted), the rest and the matrix per projection.
pub fn to_rtk_xml(projections: &[Projection]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE RTKGEOMETRY>\n<RTKThreeDCircularGeometry version=\"3\">\n",
    );
    let mut global = [false; 9];
    for (i, g) in global.iter_mut().enumerate() {
        if i == 2 || projections.is_empty() {
            continue;
        }
        let v0 = get(&projections[0], i);
        if projections.iter().all(|p| get(p, i) == v0) {
            *g = true;
            if v0 != 0.0 {
                s.push_str(&format!("  <{0}>{1}</{0}>\n", TAGS[i], v0));
            }
        }
    }
    for p in projections {
        s.push_str("  <Projection>\n");
        for (i, g) in global.iter().enumerate() {
            if !g {
                s.push_str(&format!("    <{0}>{1}</{0}>\n", TAGS[i], get(p, i)));
            }
        }
        s.push_str("    <Matrix>\n");
        for row in p.matrix() {
            let r: Vec<String> = row.iter().map(|v| format!("{v:>19.12e}")).collect();
            s.push_str(&format!("      {}\n", r.join(" ")));
        }
        s.push_str("    </Matrix>\n  </Projection>\n");
    }
    s.push_str("</RTKThreeDCircularGeometry>\n");
    s
}

fn tag_value(block: &str, tag: &str) -> Result<Option<f64>> {
    let open = format!("<{tag}>");
    let Some(a) = block.find(&open) else {
        return Ok(None);
    };
    let rest = &block[a + open.len()..];
    let close = format!("</{tag}>");
    let b = rest
        .find(&close)
        .ok_or_else(|| ReconError::Xml(format!("<{tag}> without </{tag}>")))?;
    let text = rest[..b].trim();
    let v: f64 = text
        .parse()
        .map_err(|_| ReconError::Xml(format!("<{tag}>: `{text}` is not a number")))?;
    if !v.is_finite() {
        return Err(ReconError::Xml(format!("<{tag}>: {text} is not finite")));
    }
    Ok(Some(v))
}

/// Reads RTK's geometry XML (`RTKThreeDCircularGeometry`, versions 2 and 3): top-level
/// parameters are defaults for every `<Projection>`; a projection's own values win.
/// Matrices are not read (they follow from the parameters). Angles in degrees.
pub fn from_rtk_xml(text: &str) -> Result<Vec<Projection>> {
    let root = text
        .find("<RTKThreeDCircularGeometry")
        .ok_or_else(|| ReconError::Xml("no <RTKThreeDCircularGeometry> element".into()))?;
    let body = &text[root..];
    let first = body.find("<Projection>").unwrap_or(body.len());
    let header = &body[..first];
    let mut defaults = Projection::new(0.0, 0.0, 0.0);
    for (i, tag) in TAGS.iter().enumerate() {
        if let Some(v) = tag_value(header, tag)? {
            set(&mut defaults, i, v);
        }
    }
    let mut out = Vec::new();
    let mut rest = &body[first..];
    while let Some(a) = rest.find("<Projection>") {
        let after = &rest[a + "<Projection>".len()..];
        let b = after
            .find("</Projection>")
            .ok_or_else(|| ReconError::Xml("<Projection> without </Projection>".into()))?;
        let block = &after[..b];
        // the matrix holds numbers only; strip it so tags are looked up in parameters
        let block = match (block.find("<Matrix>"), block.find("</Matrix>")) {
            (Some(m0), Some(m1)) if m1 > m0 => format!("{}{}", &block[..m0], &block[m1..]),
            _ => block.to_string(),
        };
        let mut p = defaults;
        for (i, tag) in TAGS.iter().enumerate() {
            if let Some(v) = tag_value(&block, tag)? {
                set(&mut p, i, v);
            }
        }
        if tag_value(&block, "GantryAngle")?.is_none() {
            return Err(ReconError::Xml(format!(
                "projection {} has no <GantryAngle>",
                out.len()
            )));
        }
        out.push(p);
        rest = &after[b..];
    }
    if out.is_empty() {
        return Err(ReconError::Xml("no <Projection> elements".into()));
    }
    Ok(out)
}

impl ScanGeometry {
    /// RTK's XML of the projections, plus a comment `<!-- medvox: axis=z fan=1 -->` holding
    /// the options RTK's format has no place for (RTK ignores comments).
    pub fn to_xml(&self) -> String {
        let mut s = to_rtk_xml(&self.projections);
        if self.axis == Axis::Z || self.fan {
            let axis = if self.axis == Axis::Z { "z" } else { "y" };
            let note = format!("<!-- medvox: axis={axis} fan={} -->\n", u8::from(self.fan));
            if let Some(at) = s.find("<RTKThreeDCircularGeometry") {
                s.insert_str(at, &note);
            }
        }
        s
    }

    /// Reads RTK's XML ([`from_rtk_xml`]) and the medvox comment if present (default: axis y, cone).
    pub fn from_xml(text: &str) -> Result<Self> {
        let projections = from_rtk_xml(text)?;
        let (mut axis, mut fan) = (Axis::Y, false);
        if let Some(at) = text.find("<!-- medvox:") {
            let note = &text[at..text[at..].find("-->").map_or(text.len(), |e| at + e)];
            axis = if note.contains("axis=z") {
                Axis::Z
            } else {
                Axis::Y
            };
            fan = note.contains("fan=1");
        }
        let g = ScanGeometry {
            projections,
            axis,
            fan,
        };
        g.validate()?;
        Ok(g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medvox_note_round_trip() {
        let mut g = ScanGeometry::circular(3, 360.0, 0.0, 500.0, 800.0);
        g.axis = Axis::Z;
        g.fan = true;
        assert_eq!(ScanGeometry::from_xml(&g.to_xml()).unwrap(), g);
        let plain = ScanGeometry::circular(3, 360.0, 0.0, 500.0, 800.0);
        assert_eq!(ScanGeometry::from_xml(&plain.to_xml()).unwrap(), plain);
    }

    #[test]
    fn matrix_projects_like_the_formula() {
        let mut p = Projection::new(1000.0, 1500.0, 33.0);
        p.projection_offset_x = 3.0;
        p.projection_offset_y = -2.0;
        p.source_offset_x = 1.5;
        let m = p.matrix();
        let r = p.rotation();
        let x = [12.0, -40.0, 25.0];
        let q: Vec<f64> = (0..3)
            .map(|i| (0..3).map(|k| r[i][k] * x[k]).sum())
            .collect();
        let u = 1.5 + 1500.0 * (q[0] - 1.5) / (1000.0 - q[2]) - 3.0;
        let v = 1500.0 * q[1] / (1000.0 - q[2]) + 2.0;
        let h: Vec<f64> = (0..3)
            .map(|i| (0..3).map(|k| m[i][k] * x[k]).sum::<f64>() + m[i][3])
            .collect();
        assert!((h[0] / h[2] - u).abs() < 1e-9, "{} {u}", h[0] / h[2]);
        assert!((h[1] / h[2] - v).abs() < 1e-9);
    }

    #[test]
    fn source_at_plus_x_for_90_degrees() {
        let r = Projection::new(1000.0, 1500.0, 90.0).rotation();
        // source = R^T (0, 0, sid)
        let s: Vec<f64> = (0..3).map(|i| r[2][i] * 1000.0).collect();
        assert!((s[0] - 1000.0).abs() < 1e-9 && s[1].abs() < 1e-9 && s[2].abs() < 1e-9);
    }

    #[test]
    fn xml_round_trip() {
        let mut g = ScanGeometry::circular(5, 360.0, 0.0, 1000.0, 1500.0).projections;
        g[2].projection_offset_x = 4.25;
        let text = to_rtk_xml(&g);
        assert!(text.contains("<SourceToIsocenterDistance>1000</SourceToIsocenterDistance>"));
        let back = from_rtk_xml(&text).unwrap();
        assert_eq!(back, g);
        assert!(from_rtk_xml("<RTKThreeDCircularGeometry></RTKThreeDCircularGeometry>").is_err());
        assert!(from_rtk_xml(
            "<RTKThreeDCircularGeometry><Projection><GantryAngle>x</GantryAngle></Projection></RTKThreeDCircularGeometry>"
        )
        .is_err());
    }

    #[test]
    fn weights_sum_to_the_scanned_arc() {
        let g = ScanGeometry::circular(720, 180.0, 0.0, 0.0, 0.0);
        let s: f64 = g.angular_weights().iter().sum();
        assert!((s - std::f64::consts::PI).abs() < 1e-9);
        let g = ScanGeometry::circular(360, 360.0, 0.0, 1000.0, 1500.0);
        let s: f64 = g.angular_weights().iter().sum();
        assert!((s - std::f64::consts::PI).abs() < 1e-9);
        // 360° parallel: each line measured twice, each projection gets π/n
        let g = ScanGeometry::circular(8, 360.0, 0.0, 0.0, 0.0);
        let w = g.angular_weights();
        assert!(
            w.iter()
                .all(|&x| (x - std::f64::consts::PI / 8.0).abs() < 1e-9),
            "{w:?}"
        );
    }
}
