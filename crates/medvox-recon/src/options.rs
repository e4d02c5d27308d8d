//! Plain-value scan options → [`ScanGeometry`] and the default reconstruction grid.
//!
//! One place that turns what a user types (`--geometry parallel --angles 180 --sid …`,
//! or the same fields of a registry op / pipeline step) into a geometry, so the CLI
//! and the registered ops ([`crate::ops`]) build identical scans.

use medvox_core::Geometry;

use crate::error::{param, ReconError, Result};
use crate::geometry::{Axis, Beam, Detector, ScanGeometry};

/// A scan described by plain values.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanOptions {
    /// `parallel`, `fan` (flat detector, one fan per row), `cone`, or the path of an RTK geometry XML file.
    pub kind: String,
    /// Number of projections of a generated scan (default: the stack's count, else 360).
    pub angles: Option<usize>,
    /// Scanned arc in degrees (default: 180 for parallel, 360 otherwise).
    pub arc: Option<f64>,
    /// First gantry angle (degrees).
    pub start: f64,
    /// Source-to-isocentre distance (mm).
    pub sid: f64,
    /// Source-to-detector distance (mm; ignored for parallel beams).
    pub sdd: f64,
    /// Rotation axis (default: z for parallel and fan, y for cone; an XML file's medvox note, else y).
    pub axis: Option<Axis>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            kind: "parallel".into(),
            angles: None,
            arc: None,
            start: 0.0,
            sid: 1000.0,
            sdd: 1500.0,
            axis: None,
        }
    }
}

/// Largest number of projections a generated scan may have.
pub const MAX_ANGLES: usize = 1 << 20;

impl ScanOptions {
    /// Builds and validates the geometry. `count`: the projection count of an existing
    /// stack (must agree with `angles` when both are given).
    pub fn build(&self, count: Option<usize>) -> Result<ScanGeometry> {
        let kind = self.kind.as_str();
        let mut g = match kind {
            "parallel" | "fan" | "cone" => {
                let n = match (self.angles, count) {
                    (Some(a), Some(c)) if a != c => {
                        return Err(ReconError::Shape(format!(
                            "angles {a} does not match the {c} projections of the stack"
                        )))
                    }
                    (Some(a), _) => a,
                    (None, Some(c)) => c,
                    (None, None) => 360,
                };
                if n == 0 || n > MAX_ANGLES {
                    return Err(param("angles", format!("{n}: must be 1 to {MAX_ANGLES}")));
                }
                let arc = self
                    .arc
                    .unwrap_or(if kind == "parallel" { 180.0 } else { 360.0 });
                if !(arc.is_finite() && arc > 0.0) {
                    return Err(param("arc", format!("{arc}: must be finite and > 0")));
                }
                if !self.start.is_finite() {
                    return Err(param("start", "must be finite"));
                }
                if !self.sid.is_finite() || !(kind == "parallel" || self.sdd.is_finite()) {
                    return Err(param("sid/sdd", "must be finite"));
                }
                let sdd = if kind == "parallel" { 0.0 } else { self.sdd };
                let mut g = ScanGeometry::circular(n, arc, self.start, self.sid, sdd);
                g.fan = kind == "fan";
                g.axis = if kind == "cone" { Axis::Y } else { Axis::Z };
                g
            }
            path => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ReconError::Xml(format!("cannot read geometry {path}: {e}")))?;
                let g = ScanGeometry::from_xml(&text)?;
                if let Some(c) = count {
                    if c != g.projections.len() {
                        return Err(ReconError::Shape(format!(
                            "geometry {path} describes {} projections but the stack holds {c}",
                            g.projections.len()
                        )));
                    }
                }
                g
            }
        };
        if let Some(a) = self.axis {
            g.axis = a;
        }
        g.validate()?;
        Ok(g)
    }
}

/// Largest reconstruction grid (voxels) accepted from options.
pub const MAX_VOXELS: usize = 1 << 34;

/// The reconstruction grid: `size`/`spacing`/`origin` where given, else the detector's grid
/// brought to the isocentre (axis z: x-y from u, z from v). A size or spacing without an
/// origin gives a grid centred on the isocentre.
pub fn recon_grid(
    geom: &ScanGeometry,
    det: &Detector,
    size: Option<[usize; 3]>,
    spacing: Option<[f64; 3]>,
    origin: Option<[f64; 3]>,
) -> Result<([usize; 3], Geometry)> {
    let p0 = geom
        .projections
        .first()
        .ok_or_else(|| ReconError::Geometry("no projections".into()))?;
    let mag = if p0.sdd == 0.0 { 1.0 } else { p0.sid / p0.sdd };
    let (du, dv) = (det.spacing[0] * mag, det.spacing[1]);
    let (u0, v0) = (det.origin[0] * mag, det.origin[1]);
    let [nu, nv] = det.size;
    let (dsize, dsp, dor) = match (geom.axis, geom.beam()) {
        (Axis::Z, Beam::Cone) => ([nu, nu, nv], [du, du, dv * mag], [u0, u0, v0 * mag]),
        (Axis::Z, _) => ([nu, nu, nv], [du, du, dv], [u0, u0, v0]),
        (Axis::Y, Beam::Cone) => ([nu, nv, nu], [du, dv * mag, du], [u0, v0 * mag, u0]),
        (Axis::Y, _) => ([nu, nv, nu], [du, dv, du], [u0, v0, u0]),
    };
    let sz = size.unwrap_or(dsize);
    let total = sz
        .iter()
        .try_fold(1usize, |a, &n| a.checked_mul(n))
        .unwrap_or(usize::MAX);
    if sz.contains(&0) || total > MAX_VOXELS {
        return Err(param(
            "size",
            format!("{sz:?}: each at least 1 and at most {MAX_VOXELS} voxels in all"),
        ));
    }
    let sp = spacing.unwrap_or(dsp);
    if !sp.iter().all(|s| s.is_finite() && *s > 0.0) {
        return Err(param("spacing", format!("{sp:?}: must be finite and > 0")));
    }
    let or = match origin {
        Some(o) => {
            if !o.iter().all(|x| x.is_finite()) {
                return Err(param("origin", "must be finite"));
            }
            o
        }
        None if size.is_some() || spacing.is_some() => {
            [0, 1, 2].map(|i| -(sz[i] as f64 - 1.0) / 2.0 * sp[i])
        }
        None => dor,
    };
    Ok((sz, Geometry::new(sp, or, Geometry::IDENTITY)?))
}

/// Adapts a geometry to a reconstruction method: `fdk` needs a cone beam; `fbp` given a
/// divergent cone geometry (e.g. an RTK file) treats each detector row as a fan.
pub fn for_method(geom: &mut ScanGeometry, fdk: bool) -> Result<()> {
    if fdk {
        if geom.beam() != Beam::Cone {
            return Err(ReconError::Geometry(
                "fdk needs a cone-beam geometry (sdd > 0, not fan); use fbp for parallel and fan beams"
                    .into(),
            ));
        }
    } else if geom.beam() == Beam::Cone {
        geom.fan = true;
    }
    Ok(())
}

/// The detector of a projection: `size`/`spacing`/`origin` where given, else from the
/// projected volume (`vol`: its size and geometry; `None`: an analytic phantom, 256³ of
/// 1 mm). Cone beams default to 256×256 pixels; parallel and fan beams about z to the
/// volume's width × slice count, with rows at the slices' z.
pub fn detector_for(
    geom: &ScanGeometry,
    vol: Option<([usize; 3], &Geometry)>,
    size: Option<[usize; 2]>,
    spacing: Option<[f64; 2]>,
    origin: Option<[f64; 2]>,
) -> Result<Detector> {
    let axial = geom.axis == Axis::Z;
    let (vsize, vsp) = vol.map_or(([256, 256, 256], [1.0; 3]), |(s, g)| (s, g.spacing));
    let sz = match size {
        Some(d) => d,
        None if geom.beam() == Beam::Cone => [256, 256],
        None if axial => [vsize[0], vsize[2]],
        None => [vsize[0], vsize[1]],
    };
    let sp = match spacing {
        Some(s) => s,
        None if axial => [vsp[0], vsp[2]],
        None => [vsp[0], vsp[1]],
    };
    if !sp.iter().all(|s| s.is_finite() && *s > 0.0) {
        return Err(param(
            "detector_spacing",
            format!("{sp:?}: must be finite and > 0"),
        ));
    }
    if sz.contains(&0) || sz[0].saturating_mul(sz[1]) > MAX_VOXELS {
        return Err(param(
            "detector",
            format!("{sz:?}: each at least 1, not absurdly large"),
        ));
    }
    let mut d = Detector::centred(sz, sp);
    if let Some(o) = origin {
        if !o.iter().all(|x| x.is_finite()) {
            return Err(param("detector_origin", "must be finite"));
        }
        d.origin = o;
    } else if axial && size.is_none() {
        // stacked slices: detector rows at the volume's slice positions
        d.origin[1] = vol.map_or(0.0, |(_, g)| g.origin[2]);
    }
    d.validate()?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_options_are_errors() {
        let o = ScanOptions {
            kind: "cone".into(),
            sid: f64::NAN,
            ..Default::default()
        };
        assert!(o.build(None).is_err());
        let o = ScanOptions {
            angles: Some(0),
            ..Default::default()
        };
        assert!(o.build(None).is_err());
        let o = ScanOptions {
            angles: Some(10),
            ..Default::default()
        };
        assert!(o.build(Some(12)).is_err());
        let g = o.build(Some(10)).unwrap();
        assert_eq!(g.projections.len(), 10);
        assert_eq!(g.axis, Axis::Z);
    }
}
