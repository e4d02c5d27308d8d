//! `medvox project` and `medvox reconstruct fbp|fdk`: CT forward projection and
//! filtered backprojection (`medvox_recon`).
//!
//! Projection stacks are volumes `[nu, nv, projections]` whose x/y origin and spacing
//! are the detector's (RTK's layout); the scan geometry is RTK's
//! `ThreeDCircularProjectionGeometry` XML or a uniform circular scan from options.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use medvox::core::{AnyVolume, Volume};
use medvox_recon::fbp::{reconstruct, FbpOptions};
use medvox_recon::options::{detector_for, for_method};
use medvox_recon::project::{forward_project, project_phantom, rasterize};
use medvox_recon::{recon_grid, Axis, Detector, Filter, Phantom, ScanGeometry, ScanOptions};

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
    #[arg(long, allow_hyphen_values = true, value_name = "DEG")]
    arc: Option<f64>,
    /// First gantry angle (degrees).
    #[arg(
        long,
        allow_hyphen_values = true,
        value_name = "DEG",
        default_value_t = 0.0
    )]
    start: f64,
    /// Source-to-isocentre distance (mm).
    #[arg(
        long,
        allow_hyphen_values = true,
        value_name = "MM",
        default_value_t = 1000.0
    )]
    sid: f64,
    /// Source-to-detector distance (mm).
    #[arg(
        long,
        allow_hyphen_values = true,
        value_name = "MM",
        default_value_t = 1500.0
    )]
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
    /// The plain-value options (shared with the registry ops in `medvox_recon::ops`).
    fn options(&self) -> ScanOptions {
        ScanOptions {
            kind: self.geometry.clone(),
            angles: self.angles,
            arc: self.arc,
            start: self.start,
            sid: self.sid,
            sdd: self.sdd,
            axis: self.axis.map(|a| match a {
                AxisArg::Y => Axis::Y,
                AxisArg::Z => Axis::Z,
            }),
        }
    }

    fn build(&self, count: Option<usize>) -> anyhow::Result<ScanGeometry> {
        Ok(self.options().build(count)?)
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
    #[arg(long, value_delimiter = ',', value_name = "U,V")]
    detector: Option<Vec<usize>>,
    /// Detector pixel spacing `DU,DV` in mm (default: the volume's x and z spacing, or 1).
    #[arg(long, value_delimiter = ',', value_name = "DU,DV")]
    detector_spacing: Option<Vec<f64>>,
    /// Physical (u, v) of detector pixel 0 (default: centred, −(n−1)/2·spacing).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "U0,V0",
        allow_hyphen_values = true
    )]
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
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "X,Y,Z",
        default_value = "256,256,256"
    )]
    truth_size: Vec<usize>,
    /// Spacing of --truth (mm).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "SX,SY,SZ",
        default_value = "1,1,1"
    )]
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
    #[arg(
        long,
        default_value = "ram-lak",
        value_name = "ram-lak|shepp-logan|cosine|hamming|hann"
    )]
    filter: String,
    /// Output size in voxels (default: the detector's width, rows or width along the axis).
    #[arg(long, value_delimiter = ',', value_name = "X,Y,Z")]
    size: Option<Vec<usize>>,
    /// Output spacing in mm (default: detector spacing scaled to the isocentre).
    #[arg(long, value_delimiter = ',', value_name = "SX,SY,SZ")]
    spacing: Option<Vec<f64>>,
    /// Output origin (centre of voxel 0, mm; default: centred on the isocentre like the detector on its principal point).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "X,Y,Z",
        allow_hyphen_values = true
    )]
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
    medvox::io::writer_for(&output)
        .with_context(|| format!("cannot write {}", output.display()))?;
    let geom = a.scan.build(None)?;
    let volume = input.as_deref().map(|p| read_f32(ctx, p)).transpose()?;
    let axial = geom.axis == Axis::Z;
    let det = if let Some(like) = &a.like {
        let l = crate::input::read_quiet(like)?.into_first();
        let d = Detector::from_stack(l.size(), l.geometry());
        d.validate()?;
        d
    } else {
        detector_for(
            &geom,
            volume.as_ref().map(|v| (v.size(), v.geometry())),
            fixed("--detector", &a.detector)?,
            fixed("--detector-spacing", &a.detector_spacing)?,
            fixed("--detector-origin", &a.detector_origin)?,
        )?
    };
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
        std::fs::write(gp, geom.to_xml())
            .with_context(|| format!("cannot write {}", gp.display()))?;
    }
    let size = stack.size();
    write(&output, stack)?;
    if let (Some(t), Some(p)) = (&a.truth, &phantom) {
        finite_pos("--truth-spacing", &a.truth_spacing)?;
        let ts: [usize; 3] =
            fixed("--truth-size", &Some(a.truth_size.clone()))?.unwrap_or_default();
        let tsp: [f64; 3] =
            fixed("--truth-spacing", &Some(a.truth_spacing.clone()))?.unwrap_or_default();
        let grid = medvox_recon::project::centred_grid(ts, tsp)?;
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

/// A comma-separated option of exactly `N` values.
fn fixed<T: Copy, const N: usize>(
    name: &str,
    v: &Option<Vec<T>>,
) -> anyhow::Result<Option<[T; N]>> {
    v.as_ref()
        .map(|s| {
            <[T; N]>::try_from(s.as_slice()).map_err(|_| {
                anyhow::anyhow!("{name} needs {N} comma-separated values, got {}", s.len())
            })
        })
        .transpose()
}

/// `medvox reconstruct`.
pub fn run_reconstruct(ctx: &Ctx, a: ReconArgs) -> anyhow::Result<()> {
    medvox::io::writer_for(&a.output)
        .with_context(|| format!("cannot write {}", a.output.display()))?;
    let filter: Filter = a.filter.parse()?;
    let proj = read_f32(ctx, &a.proj)?;
    let mut geom = a.scan.build(Some(proj.size()[2]))?;
    for_method(&mut geom, a.method == Method::Fdk)?;
    let det = Detector::from_stack(proj.size(), proj.geometry());
    det.validate()?;
    let (size, grid) = recon_grid(
        &geom,
        &det,
        fixed("--size", &a.size)?,
        fixed("--spacing", &a.spacing)?,
        fixed("--origin", &a.origin)?,
    )?;
    let (spacing, origin) = (grid.spacing, grid.origin);
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
