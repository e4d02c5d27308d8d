//! `medvox project` and `medvox reconstruct fbp|fdk`: CT forward projection and
//! filtered backprojection (`medvox_recon`).
//!
//! Projection stacks are volumes `[nu, nv, projections]` whose x/y origin and spacing
//! are the detector's (RTK's layout); the scan geometry is RTK's
//! `ThreeDCircularProjectionGeometry` XML or a uniform circular scan from options.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use medvox::core::{AnyVolume, Geometry, Volume};
use medvox_recon::fbp::{reconstruct, FbpOptions};
use medvox_recon::project::{forward_project, project_phantom, rasterize};
use medvox_recon::{Axis, Beam, Detector, Filter, Phantom, ScanGeometry};

use crate::Ctx;

/// Options that describe a scan (shared by `project` and `reconstruct`).
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// `parallel`, `fan` (flat detector, one fan per row), `cone`, or an RTK geometry XML file.
    #[arg(long, value_name = "KIND|GEOM.xml")]
    geometry: String,
    /// Number of projections of a generated scan (default: 360; `reconstruct`: the stack's count).
    #[arg(long, value_name = "N")]
    angles: Option<usize>,
    /// Scanned arc in degrees (default: 180 for parallel, 360 otherwise); angles start + i·arc/N.
    #[arg(long, value_name = "DEG")]
    arc: Option<f64>,
    /// First gantry angle (degrees).
    #[arg(long, value_name = "DEG", default_value_t = 0.0)]
    start: f64,
    /// Source-to-isocentre distance (mm).
    #[arg(long, value_name = "MM", default_value_t = 1000.0)]
    sid: f64,
    /// Source-to-detector distance (mm).
    #[arg(long, value_name = "MM", default_value_t = 1500.0)]
    sdd: f64,
    /// Rotation axis: y (RTK) or z (axial slices, scikit-image). Default: z for parallel
    /// and fan, y for cone; an XML file's medvox note, else y.
    #[arg(long, value_enum)]
    axis: Option<AxisArg>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum AxisArg {
    Y,
    Z,
}

impl ScanArgs {
    fn build(&self, count: Option<usize>) -> anyhow::Result<ScanGeometry> {
        let kind = self.geometry.as_str();
        let mut g = match kind {
            "parallel" | "fan" | "cone" => {
                let n = match (self.angles, count) {
                    (Some(a), Some(c)) if a != c => anyhow::bail!(
                        "--angles {a} does not match the {c} projections of the stack"
                    ),
                    (Some(a), _) => a,
                    (None, Some(c)) => c,
                    (None, None) => 360,
                };
                anyhow::ensure!(n >= 1, "--angles must be at least 1");
                let arc = self
                    .arc
                    .unwrap_or(if kind == "parallel" { 180.0 } else { 360.0 });
                anyhow::ensure!(
                    arc.is_finite() && arc > 0.0 && self.start.is_finite(),
                    "--arc must be > 0 and --start finite"
                );
                let sdd = if kind == "parallel" { 0.0 } else { self.sdd };
                let mut g = ScanGeometry::circular(n, arc, self.start, self.sid, sdd);
                g.fan = kind == "fan";
                g.axis = if kind == "cone" { Axis::Y } else { Axis::Z };
                g
            }
            path => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read geometry {path}"))?;
                ScanGeometry::from_xml(&text).with_context(|| format!("geometry {path}"))?
            }
        };
        if let Some(a) = self.axis {
            g.axis = match a {
                AxisArg::Y => Axis::Y,
                AxisArg::Z => Axis::Z,
            };
        }
        g.validate()?;
        Ok(g)
    }
}

/// Arguments of `medvox project`.
#[derive(Debug, clap::Args)]
pub struct ProjectArgs {
    /// `IN OUT` (a volume to project with Joseph's method), or only `OUT` with `--phantom`.
    #[arg(num_args = 1..=2, required = true, value_name = "IN OUT")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    scan: ScanArgs,
    /// Project an analytic phantom (exact line integrals) instead of a volume.
    #[arg(long, value_enum)]
    phantom: Option<PhantomArg>,
    /// Phantom scale (mm): RTK's `PhantomScale` (semi-axes of the outer ellipsoid 69 × 90 × 92 % of it).
    #[arg(long, value_name = "MM", default_value_t = 100.0)]
    phantom_scale: f64,
    /// Detector pixels `U,V` (default: 256,256 for cone; for parallel/fan, the volume's width or 256, and its slice count).
    #[arg(long, value_delimiter = ',', num_args = 2, value_name = "U,V")]
    detector: Option<Vec<usize>>,
    /// Detector pixel spacing `DU,DV` in mm (default: the volume's x and z spacing, or 1).
    #[arg(long, value_delimiter = ',', num_args = 2, value_name = "DU,DV")]
    detector_spacing: Option<Vec<f64>>,
    /// Physical (u, v) of detector pixel 0 (default: centred, −(n−1)/2·spacing).
    #[arg(long, value_delimiter = ',', num_args = 2, value_name = "U0,V0", allow_hyphen_values = true)]
    detector_origin: Option<Vec<f64>>,
    /// Take the detector size, spacing and origin from this projection stack.
    #[arg(long, value_name = "PROJ")]
    like: Option<PathBuf>,
    /// Write the scan geometry as RTK XML here.
    #[arg(long, value_name = "GEOM.xml")]
    geometry_out: Option<PathBuf>,
    /// With --phantom: also write the voxelised phantom on a grid (`--truth-size`, `--truth-spacing`, centred).
    #[arg(long, value_name = "IMAGE")]
    truth: Option<PathBuf>,
    /// Grid of --truth (voxels).
    #[arg(long, value_delimiter = ',', num_args = 3, value_name = "X,Y,Z", default_value = "256,256,256")]
    truth_size: Vec<usize>,
    /// Spacing of --truth (mm).
    #[arg(long, value_delimiter = ',', num_args = 3, value_name = "SX,SY,SZ", default_value = "1,1,1")]
    truth_spacing: Vec<f64>,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum PhantomArg {
    /// RTK's 3D Shepp–Logan (ellipsoids about y; with `--axis z` turned so slices are x-y planes).
    SheppLogan,
}

/// Arguments of `medvox reconstruct`.
#[derive(Debug, clap::Args)]
pub struct ReconArgs {
    /// Method: fbp (parallel or fan beam) or fdk (cone beam).
    #[arg(value_enum)]
    method: Method,
    /// Projection stack `[nu, nv, projections]` (detector origin/spacing in its x/y geometry).
    proj: PathBuf,
    /// Output volume (f32).
    output: PathBuf,
    #[command(flatten)]
    scan: ScanArgs,
    /// Ramp filter window.
    #[arg(long, default_value = "ram-lak", value_name = "ram-lak|shepp-logan|cosine|hamming|hann")]
    filter: String,
    /// Output size in voxels (default: the detector's width, rows or width along the axis).
    #[arg(long, value_delimiter = ',', num_args = 3, value_name = "X,Y,Z")]
    size: Option<Vec<usize>>,
    /// Output spacing in mm (default: detector spacing scaled to the isocentre).
    #[arg(long, value_delimiter = ',', num_args = 3, value_name = "SX,SY,SZ")]
    spacing: Option<Vec<f64>>,
    /// Output origin (centre of voxel 0, mm; default: centred on the isocentre like the detector on its principal point).
    #[arg(long, value_delimiter = ',', num_args = 3, value_name = "X,Y,Z", allow_hyphen_values = true)]
    origin: Option<Vec<f64>>,
    /// Print a JSON summary (sizes, seconds) on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Method {
    Fbp,
    Fdk,
}

fn read_f32(ctx: &Ctx, path: &Path) -> anyhow::Result<Volume<f32>> {
    let v = crate::input::read_input(ctx, path, None)?.into_first();
    Ok(ctx.exec.install(|| v.to_volume::<f32>()))
}

fn write(path: &Path, v: Volume<f32>) -> anyhow::Result<()> {
    medvox::io::write(path, &AnyVolume::from(v))
        .with_context(|| format!("cannot write {}", path.display()))
}

fn finite_pos(name: &str, v: &[f64]) -> anyhow::Result<()> {
    anyhow::ensure!(
        v.iter().all(|x| x.is_finite() && *x > 0.0),
        "{name} must be finite and > 0"
    );
    Ok(())
}

/// `medvox project`.
pub fn run_project(ctx: &Ctx, a: ProjectArgs) -> anyhow::Result<()> {
    let (input, output) = match (a.paths.as_slice(), a.phantom) {
        ([out], Some(_)) => (None, out.clone()),
        ([inp, out], None) => (Some(inp.clone()), out.clone()),
        ([_], None) => anyhow::bail!("give IN OUT, or OUT with --phantom"),
        (_, _) => anyhow::bail!("--phantom replaces IN: give only OUT"),
    };
    medvox::io::writer_for(&output).with_context(|| format!("cannot write {}", output.display()))?;
    let geom = a.scan.build(None)?;
    let volume = input.as_deref().map(|p| read_f32(ctx, p)).transpose()?;
    let axial = geom.axis == Axis::Z;
    let det = if let Some(like) = &a.like {
        let l = crate::input::read_quiet(like)?.into_first();
        Detector::from_stack(l.size(), l.geometry())
    } else {
        let (vsize, vsp) = volume.as_ref().map_or(([256, 256, 256], [1.0; 3]), |v| {
            (v.size(), v.geometry().spacing)
        });
        let size = match &a.detector {
            Some(d) => [d[0], d[1]],
            None if geom.beam() == Beam::Cone => [256, 256],
            None if axial => [vsize[0], vsize[2]],
            None => [vsize[0], vsize[1]],
        };
        let spacing = match &a.detector_spacing {
            Some(s) => [s[0], s[1]],
            None if axial => [vsp[0], vsp[2]],
            None => [vsp[0], vsp[1]],
        };
        finite_pos("--detector-spacing", &spacing)?;
        anyhow::ensure!(size[0] >= 1 && size[1] >= 1, "--detector must be at least 1,1");
        let mut d = Detector::centred(size, spacing);
        if let Some(o) = &a.detector_origin {
            d.origin = [o[0], o[1]];
        } else if axial && a.detector.is_none() {
            // stacked slices: detector rows at the volume's slice positions
            if let Some(v) = &volume {
                d.origin[1] = v.geometry().origin[2];
            } else {
                d.origin[1] = 0.0;
            }
        }
        d
    };
    det.validate()?;
    let phantom = match a.phantom {
        Some(PhantomArg::SheppLogan) => {
            finite_pos("--phantom-scale", &[a.phantom_scale])?;
            Some(if axial {
                Phantom::shepp_logan_axial(a.phantom_scale)
            } else {
                Phantom::shepp_logan(a.phantom_scale)
            })
        }
        None => None,
    };
    let t0 = Instant::now();
    let stack = crate::progress::spin(ctx.chatty, "projecting".to_string(), || {
        ctx.exec.install(|| match (&phantom, &volume) {
            (Some(p), _) => project_phantom(p, &geom, &det),
            (None, Some(v)) => forward_project(v, &geom, &det),
            (None, None) => unreachable!("checked above"),
        })
    })?;
    let seconds = t0.elapsed().as_secs_f64();
    if let Some(gp) = &a.geometry_out {
        std::fs::write(gp, geom.to_xml()).with_context(|| format!("cannot write {}", gp.display()))?;
    }
    let size = stack.size();
    write(&output, stack)?;
    if let (Some(t), Some(p)) = (&a.truth, &phantom) {
        finite_pos("--truth-spacing", &a.truth_spacing)?;
        let ts = [a.truth_size[0], a.truth_size[1], a.truth_size[2]];
        let grid = medvox_recon::project::centred_grid(ts, [a.truth_spacing[0], a.truth_spacing[1], a.truth_spacing[2]])?;
        let vol = ctx.exec.install(|| rasterize(p, ts, grid))?;
        write(t, vol)?;
    }
    if a.json {
        let j = serde_json::json!({"size": size, "projections": geom.projections.len(),
            "detector_spacing": det.spacing, "detector_origin": det.origin, "seconds": seconds});
        println!("{}", serde_json::to_string_pretty(&j)?);
    }
    Ok(())
}

/// `medvox reconstruct`.
pub fn run_reconstruct(ctx: &Ctx, a: ReconArgs) -> anyhow::Result<()> {
    medvox::io::writer_for(&a.output).with_context(|| format!("cannot write {}", a.output.display()))?;
    let filter: Filter = a.filter.parse()?;
    let proj = read_f32(ctx, &a.proj)?;
    let mut geom = a.scan.build(Some(proj.size()[2]))?;
    match a.method {
        Method::Fdk => anyhow::ensure!(
            geom.beam() == Beam::Cone,
            "fdk needs a cone-beam geometry (sdd > 0, not fan); use fbp for parallel and fan beams"
        ),
        Method::Fbp => {
            if geom.beam() == Beam::Cone {
                // a divergent RTK geometry given to fbp: one fan per detector row
                geom.fan = true;
            }
        }
    }
    let det = Detector::from_stack(proj.size(), proj.geometry());
    det.validate()?;
    let p0 = geom.projections[0];
    let mag = if p0.sdd == 0.0 { 1.0 } else { p0.sid / p0.sdd };
    let (du, dv) = (det.spacing[0] * mag, det.spacing[1]);
    let (u0, v0) = (det.origin[0] * mag, det.origin[1]);
    let [nu, nv] = det.size;
    // default grid: the detector's grid brought to the isocentre (axis z: x-y from u, z from v)
    let (dsize, dsp, dor) = match (geom.axis, geom.beam()) {
        (Axis::Z, Beam::Cone) => ([nu, nu, nv], [du, du, dv * mag], [u0, u0, v0 * mag]),
        (Axis::Z, _) => ([nu, nu, nv], [du, du, dv], [u0, u0, v0]),
        (Axis::Y, Beam::Cone) => ([nu, nv, nu], [du, dv * mag, du], [u0, v0 * mag, u0]),
        (Axis::Y, _) => ([nu, nv, nu], [du, dv, du], [u0, v0, u0]),
    };
    let size = a.size.as_ref().map_or(dsize, |s| [s[0], s[1], s[2]]);
    anyhow::ensure!(size.iter().all(|&n| n >= 1), "--size must be at least 1,1,1");
    let spacing = a.spacing.as_ref().map_or(dsp, |s| [s[0], s[1], s[2]]);
    finite_pos("--spacing", &spacing)?;
    let origin = match &a.origin {
        Some(o) => [o[0], o[1], o[2]],
        // a size or spacing other than the default: centre the grid on the isocentre
        None if a.size.is_some() || a.spacing.is_some() => [0, 1, 2].map(|i| {
            -(size[i] as f64 - 1.0) / 2.0 * spacing[i]
        }),
        None => dor,
    };
    let grid = Geometry::new(spacing, origin, Geometry::IDENTITY)?;
    let t0 = Instant::now();
    let vol = crate::progress::spin(ctx.chatty, "reconstructing".to_string(), || {
        ctx.exec
            .install(|| reconstruct(&proj, &geom, size, grid, FbpOptions { filter }))
    })?;
    let seconds = t0.elapsed().as_secs_f64();
    write(&a.output, vol)?;
    if a.json {
        let j = serde_json::json!({"method": format!("{:?}", a.method).to_lowercase(),
            "size": size, "spacing": spacing, "origin": origin,
            "projections": geom.projections.len(), "seconds": seconds});
        println!("{}", serde_json::to_string_pretty(&j)?);
    }
    Ok(())
}
