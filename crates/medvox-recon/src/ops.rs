//! Registry ops (`medvox-ops`): `project` (volume → projection stack), `fbp` and `fdk`
//! (projection stack → volume). Whole-volume ops; the scan is given by plain values
//! (or a geometry XML path) and built by [`ScanOptions::build`], as the CLI does.

use medvox_core::{Executor, PixelType, Volume};
use medvox_ops::{
    Bound, Inputs, Kind, Op, OpsError, Output, OutputType, Result, Triple, VolumeInfo,
};

use crate::error::ReconError;
use crate::fbp::{reconstruct, FbpOptions};
use crate::geometry::{Axis, Detector, ScanGeometry};
use crate::options::{detector_for, for_method, recon_grid, ScanOptions};
use crate::project::forward_project;
use crate::Filter;

impl From<ReconError> for OpsError {
    fn from(e: ReconError) -> Self {
        OpsError::Failed(Box::new(e))
    }
}

medvox_ops::choice! {
    /// Rotation axis.
    pub enum AxisParam {
        /// RTK's axis.
        Y = "y",
        /// Axial slices (scikit-image).
        Z = "z"
    }
}

medvox_ops::choice! {
    /// Ramp filter window.
    pub enum FilterParam {
        /// Plain ramp.
        RamLak = "ram-lak",
        /// Ramp × sinc.
        SheppLogan = "shepp-logan",
        /// Ramp × cosine.
        Cosine = "cosine",
        /// Ramp × Hamming.
        Hamming = "hamming",
        /// Ramp × Hann.
        Hann = "hann"
    }
}

impl FilterParam {
    fn filter(self) -> Filter {
        let s = match self {
            FilterParam::RamLak => "ram-lak",
            FilterParam::SheppLogan => "shepp-logan",
            FilterParam::Cosine => "cosine",
            FilterParam::Hamming => "hamming",
            FilterParam::Hann => "hann",
        };
        s.parse().unwrap_or_default()
    }
}

fn scan(
    geometry: &str,
    angles: Option<usize>,
    arc: Option<f64>,
    start: f64,
    sid: f64,
    sdd: f64,
    axis: Option<AxisParam>,
) -> ScanOptions {
    ScanOptions {
        kind: geometry.to_string(),
        angles,
        arc,
        start,
        sid,
        sdd,
        axis: axis.map(|a| match a {
            AxisParam::Y => Axis::Y,
            AxisParam::Z => Axis::Z,
        }),
    }
}

fn pair<T: Copy>(op: &str, name: &str, v: &Option<Vec<T>>) -> Result<Option<[T; 2]>> {
    match v {
        None => Ok(None),
        Some(v) if v.len() == 2 => Ok(Some([v[0], v[1]])),
        Some(v) => Err(OpsError::invalid(
            op,
            format!("{name}: expected two values (u,v), got {}", v.len()),
        )),
    }
}

medvox_ops::params! {
    /// Parameters of `project`.
    pub struct ProjectParams {
        /// parallel, fan, cone, or the path of an RTK geometry XML file.
        geometry: String = "parallel".to_string(),
        /// Number of projections (default 360).
        angles: Option<usize> = None,
        /// Scanned arc in degrees (default 180 parallel, 360 otherwise).
        arc: Option<f64> = None,
        /// First gantry angle (degrees).
        start: f64 = 0.0,
        /// Source-to-isocentre distance (mm).
        sid: f64 = 1000.0,
        /// Source-to-detector distance (mm).
        sdd: f64 = 1500.0,
        /// Rotation axis (default z for parallel/fan, y for cone).
        axis: Option<AxisParam> = None,
        /// Detector pixels u,v.
        detector: Option<Vec<usize>> = None,
        /// Detector spacing du,dv (mm).
        detector_spacing: Option<Vec<f64>> = None,
        /// Physical (u,v) of detector pixel 0 (mm).
        detector_origin: Option<Vec<f64>> = None,
    }
}

impl ProjectParams {
    fn setup(&self, input: &VolumeInfo) -> Result<(ScanGeometry, Detector)> {
        let o = scan(
            &self.geometry,
            self.angles,
            self.arc,
            self.start,
            self.sid,
            self.sdd,
            self.axis,
        );
        let g = o.build(None)?;
        let d = detector_for(
            &g,
            Some((input.size, &input.geometry)),
            pair("project", "detector", &self.detector)?,
            pair("project", "detector_spacing", &self.detector_spacing)?,
            pair("project", "detector_origin", &self.detector_origin)?,
        )?;
        Ok((g, d))
    }
}

/// `project`: Joseph forward projection of a volume → projection stack `[nu, nv, n]`.
pub struct ProjectOp;

impl Op for ProjectOp {
    type Params = ProjectParams;
    type Report = ();
    fn name(&self) -> &'static str {
        "project"
    }
    fn group(&self) -> &'static str {
        "recon"
    }
    fn doc(&self) -> &'static str {
        "CT forward projection (Joseph): volume → projection stack [nu, nv, projections]; f32 out."
    }
    fn bind(&self, p: &ProjectParams, input: &VolumeInfo) -> Result<Bound> {
        let (g, d) = p.setup(input)?;
        Ok(Bound {
            kind: Kind::WholeVolume,
            output: OutputType::Volume(PixelType::F32),
            size: [d.size[0], d.size[1], g.projections.len()],
        })
    }
    fn run(&self, p: &ProjectParams, inputs: &Inputs<'_>, exec: &Executor) -> Result<Output<()>> {
        let (g, d) = p.setup(&VolumeInfo::of(inputs.main))?;
        let v: Volume<f32> = inputs.main.to_volume::<f32>();
        let out = exec.install(|| forward_project(&v, &g, &d))?;
        Ok(Output::volume(out))
    }
}

medvox_ops::params! {
    /// Parameters of `fbp` and `fdk`.
    pub struct ReconParams {
        /// parallel, fan, cone, or the path of an RTK geometry XML file.
        geometry: String = "parallel".to_string(),
        /// Number of projections (default: the stack's).
        angles: Option<usize> = None,
        /// Scanned arc in degrees (default 180 parallel, 360 otherwise).
        arc: Option<f64> = None,
        /// First gantry angle (degrees).
        start: f64 = 0.0,
        /// Source-to-isocentre distance (mm).
        sid: f64 = 1000.0,
        /// Source-to-detector distance (mm).
        sdd: f64 = 1500.0,
        /// Rotation axis (default z for parallel/fan, y for cone).
        axis: Option<AxisParam> = None,
        /// Ramp filter window.
        filter: FilterParam = FilterParam::RamLak,
        /// Output size in voxels (default: from the detector).
        size: Option<Triple<usize>> = None,
        /// Output spacing in mm (default: detector spacing at the isocentre).
        spacing: Option<Triple<f64>> = None,
        /// Output origin (mm; default: centred on the isocentre).
        origin: Option<Triple<f64>> = None,
    }
}

impl ReconParams {
    fn setup(
        &self,
        input: &VolumeInfo,
        fdk: bool,
    ) -> Result<(ScanGeometry, [usize; 3], medvox_core::Geometry)> {
        let o = scan(
            &self.geometry,
            self.angles,
            self.arc,
            self.start,
            self.sid,
            self.sdd,
            self.axis,
        );
        let mut g = o.build(Some(input.size[2]))?;
        for_method(&mut g, fdk)?;
        let det = Detector::from_stack(input.size, &input.geometry);
        det.validate()?;
        let (size, grid) = recon_grid(
            &g,
            &det,
            self.size.map(|t| t.0),
            self.spacing.map(|t| t.0),
            self.origin.map(|t| t.0),
        )?;
        Ok((g, size, grid))
    }
}

/// `fbp` (parallel and fan beams) or `fdk` (cone beam): projection stack → volume.
pub struct ReconOp {
    fdk: bool,
}

impl Op for ReconOp {
    type Params = ReconParams;
    type Report = ();
    fn name(&self) -> &'static str {
        if self.fdk {
            "fdk"
        } else {
            "fbp"
        }
    }
    fn group(&self) -> &'static str {
        "recon"
    }
    fn doc(&self) -> &'static str {
        if self.fdk {
            "FDK cone-beam reconstruction: projection stack [nu, nv, n] → volume; f32 out."
        } else {
            "Filtered backprojection (parallel or fan beam): projection stack [nu, nv, n] → volume; f32 out."
        }
    }
    fn bind(&self, p: &ReconParams, input: &VolumeInfo) -> Result<Bound> {
        let (_, size, _) = p.setup(input, self.fdk)?;
        Ok(Bound {
            kind: Kind::WholeVolume,
            output: OutputType::Volume(PixelType::F32),
            size,
        })
    }
    fn run(&self, p: &ReconParams, inputs: &Inputs<'_>, exec: &Executor) -> Result<Output<()>> {
        let (g, size, grid) = p.setup(&VolumeInfo::of(inputs.main), self.fdk)?;
        let proj: Volume<f32> = inputs.main.to_volume::<f32>();
        let opts = FbpOptions {
            filter: p.filter.filter(),
        };
        let out = exec.install(|| reconstruct(&proj, &g, size, grid, opts))?;
        Ok(Output::volume(out))
    }
}

/// Registers `project`, `fbp` and `fdk`.
pub fn register(r: &mut medvox_ops::Registry) {
    r.add(ProjectOp);
    r.add(ReconOp { fdk: false });
    r.add(ReconOp { fdk: true });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::centred_grid;
    use crate::{Phantom, ScanGeometry};
    use medvox_core::AnyVolume;
    use medvox_ops::OpSpec;

    #[test]
    fn registered_ops_match_plain_functions() {
        let mut r = medvox_ops::Registry::new();
        register(&mut r);
        let exec = Executor::default();
        // project: a rasterised phantom, parallel beam about z
        let grid = centred_grid([24, 24, 2], [1.0; 3]).unwrap();
        let vol = crate::project::rasterize(&Phantom::shepp_logan_axial(10.0), [24, 24, 2], grid)
            .unwrap();
        let any: AnyVolume = vol.clone().into();
        let spec = OpSpec::new("project").with("angles", 30);
        let out = r.run(&spec, &Inputs::main(&any), &exec).unwrap();
        let mut g = ScanGeometry::circular(30, 180.0, 0.0, 1000.0, 0.0);
        g.axis = Axis::Z;
        let mut d = Detector::centred([24, 2], [1.0, 1.0]);
        d.origin[1] = grid.origin[2];
        let plain = forward_project(&vol, &g, &d).unwrap();
        let got = match &out.data {
            medvox_ops::Data::Volume(v) => v.to_volume::<f32>(),
            _ => panic!("not a volume"),
        };
        assert_eq!(got.size(), plain.size());
        assert_eq!(got.as_slice(), plain.as_slice());

        // fdk: analytic cone-beam projections
        let g = ScanGeometry::circular(40, 360.0, 0.0, 500.0, 750.0);
        let d = Detector::centred([32, 32], [1.5, 1.5]);
        let proj = crate::project::project_phantom(&Phantom::shepp_logan(15.0), &g, &d).unwrap();
        let pany: AnyVolume = proj.clone().into();
        let spec = OpSpec::new("fdk")
            .with("geometry", "cone")
            .with("sid", 500.0)
            .with("sdd", 750.0)
            .with("size", 16)
            .with("spacing", 1.5)
            .with("filter", "hann");
        let out = r.run(&spec, &Inputs::main(&pany), &exec).unwrap();
        let grid = centred_grid([16; 3], [1.5; 3]).unwrap();
        let opts = FbpOptions {
            filter: "hann".parse().unwrap(),
        };
        let plain = reconstruct(&proj, &g, [16; 3], grid, opts).unwrap();
        let got = match &out.data {
            medvox_ops::Data::Volume(v) => v.to_volume::<f32>(),
            _ => panic!("not a volume"),
        };
        assert_eq!(got.size(), plain.size());
        assert_eq!(got.geometry(), plain.geometry());
        assert_eq!(got.as_slice(), plain.as_slice());

        // fbp on a parallel stack; fdk refuses it
        let spec = OpSpec::new("fdk");
        let sino = r
            .run(
                &OpSpec::new("project").with("angles", 30),
                &Inputs::main(&any),
                &exec,
            )
            .unwrap();
        let sino = match sino.data {
            medvox_ops::Data::Volume(v) => v,
            _ => panic!("not a volume"),
        };
        assert!(r.run(&spec, &Inputs::main(&sino), &exec).is_err());
        assert!(r
            .run(&OpSpec::new("fbp"), &Inputs::main(&sino), &exec)
            .is_ok());
    }
}
