//! `medvox segment NAME [params] IN OUT`: thresholds, region growing,
//! connected components, watershed and label post-processing
//! (`medvox-segment`). `medvox bench NAME …` times the same [`SegmentOp`]
//! with auxiliary images (markers, masks) read before the timing.

use std::path::{Path, PathBuf};

use anyhow::Context;
use medvox::core::{AnyVolume, Executor, Volume};
use medvox::segment::auto_threshold::{auto_threshold_any, AutoThresholdParams, Method};
use medvox::segment::canny::{canny_any, CannyParams};
use medvox::segment::components::{components_any, ComponentsParams, LabelOrder};
use medvox::segment::postprocess::{postprocess_any, PostOp, PostParams};
use medvox::segment::region_grow::{region_grow_any, Criterion, RegionGrowParams};
use medvox::segment::threshold::{nonzero, threshold_any, ThresholdParams};
use medvox::segment::watershed::{
    watershed_from_markers_any, watershed_level_any, WatershedParams,
};
use medvox::segment::Connectivity;

use crate::filter_cmd::Triple;
use crate::Ctx;

/// A segmentation op and its options, followed by `X` (input/output paths for
/// `medvox segment`, nothing for `medvox bench`).
#[derive(Debug, Clone, clap::Subcommand)]
pub enum SegmentOp<X: clap::Args> {
    /// Binary threshold: 1 where lower <= value <= upper (inclusive), else 0; u8 out.
    Threshold {
        #[command(flatten)]
        params: IntervalArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Otsu threshold (SimpleITK OtsuThreshold bins); mask = value > t; prints t.
    Otsu {
        #[command(flatten)]
        params: AutoArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Multi-Otsu: K classes, labels 0..K-1 (SimpleITK OtsuMultipleThresholds); prints the thresholds.
    MultiOtsu {
        /// Number of classes (2..=6).
        #[arg(long, default_value_t = 3)]
        classes: usize,
        #[command(flatten)]
        params: AutoArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Li's minimum cross-entropy threshold (SimpleITK LiThreshold); mask = value > t.
    Li {
        #[command(flatten)]
        params: AutoArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Triangle threshold (SimpleITK TriangleThreshold); mask = value > t.
    Triangle {
        #[command(flatten)]
        params: AutoArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Yen threshold (SimpleITK YenThreshold); mask = value > t.
    Yen {
        #[command(flatten)]
        params: AutoArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Huang's fuzzy threshold (SimpleITK HuangThreshold); mask = value > t.
    Huang {
        #[command(flatten)]
        params: AutoArgs,
        #[command(flatten)]
        extra: X,
    },
    /// IsoData (Ridler–Calvard) threshold (SimpleITK IsoDataThreshold); mask = value > t.
    Isodata {
        #[command(flatten)]
        params: AutoArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Mean of the (masked) voxels as threshold (scikit-image threshold_mean); mask = value > t.
    Mean {
        #[command(flatten)]
        params: AutoArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Connected threshold region growing from seeds (SimpleITK ConnectedThreshold); u8 out.
    RegionGrow {
        #[command(flatten)]
        seeds: SeedArgs,
        #[command(flatten)]
        params: IntervalArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Confidence connected region growing (SimpleITK ConfidenceConnected); prints the final interval.
    ConfidenceConnected {
        #[command(flatten)]
        seeds: SeedArgs,
        /// Interval half-width in standard deviations.
        #[arg(long, default_value_t = 4.5)]
        multiplier: f64,
        /// Re-estimations of mean and σ over the region.
        #[arg(long, default_value_t = 4)]
        iterations: usize,
        /// Box radius (voxels) around the seeds for the first estimate.
        #[arg(long, default_value_t = 1)]
        radius: usize,
        #[command(flatten)]
        extra: X,
    },
    /// Neighbourhood connected region growing: the whole box of --radius lies in [lower, upper] (SimpleITK NeighborhoodConnected).
    NeighborhoodConnected {
        #[command(flatten)]
        seeds: SeedArgs,
        #[command(flatten)]
        params: IntervalArgs,
        /// Box radius in voxels: one value or x,y,z.
        #[arg(long, value_name = "R", default_value = "1")]
        radius: Triple<usize>,
        #[command(flatten)]
        extra: X,
    },
    /// Connected components of the non-zero voxels (u32 labels; parallel over blocks).
    Components {
        #[command(flatten)]
        params: ComponentsArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Watershed: from --markers (priority flood) or from regional minima after h-minima --level.
    Watershed {
        #[command(flatten)]
        params: WatershedArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Renumber the labels of a label map 1..K (by first voxel, or --order size).
    Relabel {
        #[command(flatten)]
        params: PostArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Keep only the largest connected component of every label.
    KeepLargest {
        #[command(flatten)]
        params: PostArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Fill the holes (enclosed background) of every label.
    FillHoles {
        #[command(flatten)]
        params: PostArgs,
        #[command(flatten)]
        extra: X,
    },
    /// Canny edges as ITK's CannyEdgeDetection (Gaussian variance in mm², hysteresis on |∇|); u8 out.
    Canny {
        #[command(flatten)]
        params: CannyArgs,
        #[command(flatten)]
        extra: X,
    },
}

/// Options of `canny`.
#[derive(Debug, Clone, clap::Args)]
pub struct CannyArgs {
    /// Gaussian variance in mm² (SimpleITK's `variance`).
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    variance: f64,
    /// Lower hysteresis threshold on the gradient magnitude.
    #[arg(long, allow_hyphen_values = true)]
    lower: f64,
    /// Upper hysteresis threshold on the gradient magnitude.
    #[arg(long, allow_hyphen_values = true)]
    upper: f64,
    /// Hysteresis neighbourhood: 6, 18 or 26 (4 or 8 in 2D).
    #[arg(long, default_value_t = 26)]
    connectivity: u32,
}

/// `--lower`/`--upper`.
#[derive(Debug, Clone, clap::Args)]
pub struct IntervalArgs {
    /// Smallest value inside (inclusive).
    #[arg(long, allow_negative_numbers = true)]
    lower: Option<f64>,
    /// Largest value inside (inclusive).
    #[arg(long, allow_negative_numbers = true)]
    upper: Option<f64>,
}

impl IntervalArgs {
    fn both(&self, op: &str) -> anyhow::Result<(f64, f64)> {
        match (self.lower, self.upper) {
            (Some(l), Some(u)) => Ok((l, u)),
            _ => anyhow::bail!("{op}: --lower and --upper are required"),
        }
    }
}

/// Options of the automatic thresholds.
#[derive(Debug, Clone, clap::Args)]
pub struct AutoArgs {
    /// Histogram bins (SimpleITK convention; see `medvox-segment` auto_threshold docs).
    #[arg(long, default_value_t = 256)]
    bins: usize,
    /// Mask image (same grid): histogram and output restricted to its non-zero voxels.
    #[arg(long, value_name = "MASK")]
    mask: Option<PathBuf>,
}

/// Seeds of region growing.
#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    /// Seed voxel index x,y,z (repeatable).
    #[arg(long = "seed", value_name = "X,Y,Z")]
    seeds: Vec<Triple<i64>>,
    /// Seed as a physical point in mm (LPS, nearest voxel; repeatable).
    #[arg(long = "seed-mm", value_name = "X,Y,Z", allow_negative_numbers = true)]
    seeds_mm: Vec<Triple<f64>>,
    /// Connectivity: 6 (4 in 2D), 18 or 26 (8 in 2D).
    #[arg(long, default_value_t = 6)]
    connectivity: u32,
}

/// Label numbering on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum OrderArg {
    /// By first voxel in memory order (scipy, cc3d).
    Raster,
    /// By decreasing size (SimpleITK RelabelComponent).
    Size,
}

impl From<OrderArg> for LabelOrder {
    fn from(o: OrderArg) -> Self {
        match o {
            OrderArg::Raster => LabelOrder::Raster,
            OrderArg::Size => LabelOrder::Size,
        }
    }
}

/// Options of `components`.
#[derive(Debug, Clone, clap::Args)]
pub struct ComponentsArgs {
    /// Connectivity: 6 (4 in 2D), 18 or 26 (8 in 2D).
    #[arg(long, default_value_t = 26)]
    connectivity: u32,
    /// Label numbering.
    #[arg(long, value_enum, default_value = "raster")]
    order: OrderArg,
    /// Remove components with fewer voxels.
    #[arg(long, default_value_t = 0)]
    min_size: u64,
    /// Keep only the largest component.
    #[arg(long)]
    keep_largest: bool,
}

/// Options of `watershed`.
#[derive(Debug, Clone, clap::Args)]
pub struct WatershedArgs {
    /// Marker label image (labels > 0; same grid): marker-controlled watershed.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "level",
        required_unless_present = "level"
    )]
    markers: Option<PathBuf>,
    /// Flooding level (h-minima depth) for the watershed from regional minima.
    #[arg(long, value_name = "H", allow_negative_numbers = true)]
    level: Option<f64>,
    /// Mark watershed lines with label 0.
    #[arg(long)]
    lines: bool,
    /// Connectivity: 6 (4 in 2D) or 26 (8 in 2D).
    #[arg(long, default_value_t = 6)]
    connectivity: u32,
}

/// Options of the label post-processing ops.
#[derive(Debug, Clone, clap::Args)]
pub struct PostArgs {
    /// Connectivity: 6 (4 in 2D), 18 or 26 (8 in 2D).
    #[arg(long, default_value_t = 6)]
    connectivity: u32,
    /// Numbering for `relabel`.
    #[arg(long, value_enum, default_value = "raster")]
    order: OrderArg,
}

fn conn(n: u32) -> anyhow::Result<Connectivity> {
    Ok(Connectivity::from_count("segment", n)?)
}

/// Reads the first volume of an auxiliary image.
fn read_aux(what: &str, p: &Path) -> anyhow::Result<AnyVolume> {
    Ok(medvox::io::read(p)
        .with_context(|| format!("cannot read {what} {}", p.display()))?
        .into_first())
}

/// An op with its auxiliary images loaded, ready to run on a volume.
#[derive(Debug)]
pub enum Prepared {
    /// Binary threshold.
    Threshold(ThresholdParams),
    /// Automatic threshold (+ mask).
    Auto(AutoThresholdParams, Option<Volume<u8>>),
    /// Region growing.
    Grow(RegionGrowParams),
    /// Connected components.
    Components(ComponentsParams),
    /// Marker watershed (markers loaded) or level watershed.
    Watershed(WatershedParams, Option<AnyVolume>),
    /// Label post-processing.
    Post(PostOp, PostParams),
    /// Canny edges.
    Canny(CannyParams),
}

/// What an op produced: the image to write and a report to print.
pub struct Output {
    /// The output image.
    pub image: AnyVolume,
    /// Values worth printing (threshold, component count…).
    pub report: serde_json::Value,
}

impl<X: clap::Args> SegmentOp<X> {
    /// The op's name.
    pub fn name(&self) -> &'static str {
        match self {
            SegmentOp::Threshold { .. } => "threshold",
            SegmentOp::Otsu { .. } => "otsu",
            SegmentOp::MultiOtsu { .. } => "multi-otsu",
            SegmentOp::Li { .. } => "li",
            SegmentOp::Triangle { .. } => "triangle",
            SegmentOp::Yen { .. } => "yen",
            SegmentOp::Huang { .. } => "huang",
            SegmentOp::Isodata { .. } => "isodata",
            SegmentOp::Mean { .. } => "mean",
            SegmentOp::RegionGrow { .. } => "region-grow",
            SegmentOp::ConfidenceConnected { .. } => "confidence-connected",
            SegmentOp::NeighborhoodConnected { .. } => "neighborhood-connected",
            SegmentOp::Components { .. } => "components",
            SegmentOp::Watershed { .. } => "watershed",
            SegmentOp::Relabel { .. } => "relabel",
            SegmentOp::KeepLargest { .. } => "keep-largest",
            SegmentOp::FillHoles { .. } => "fill-holes",
            SegmentOp::Canny { .. } => "canny",
        }
    }

    /// The remaining arguments (`X`).
    pub fn extra(&self) -> &X {
        match self {
            SegmentOp::Threshold { extra, .. }
            | SegmentOp::Otsu { extra, .. }
            | SegmentOp::MultiOtsu { extra, .. }
            | SegmentOp::Li { extra, .. }
            | SegmentOp::Triangle { extra, .. }
            | SegmentOp::Yen { extra, .. }
            | SegmentOp::Huang { extra, .. }
            | SegmentOp::Isodata { extra, .. }
            | SegmentOp::Mean { extra, .. }
            | SegmentOp::RegionGrow { extra, .. }
            | SegmentOp::ConfidenceConnected { extra, .. }
            | SegmentOp::NeighborhoodConnected { extra, .. }
            | SegmentOp::Components { extra, .. }
            | SegmentOp::Watershed { extra, .. }
            | SegmentOp::Relabel { extra, .. }
            | SegmentOp::KeepLargest { extra, .. }
            | SegmentOp::FillHoles { extra, .. }
            | SegmentOp::Canny { extra, .. } => extra,
        }
    }

    /// Validates the options and reads the auxiliary images.
    pub fn prepare(&self, exec: &Executor) -> anyhow::Result<Prepared> {
        let auto = |method: Method, a: &AutoArgs| -> anyhow::Result<Prepared> {
            let mask = match &a.mask {
                Some(p) => Some(nonzero(&read_aux("mask", p)?, exec)),
                None => None,
            };
            Ok(Prepared::Auto(
                AutoThresholdParams {
                    method,
                    bins: a.bins,
                },
                mask,
            ))
        };
        let grow = |criterion: Criterion, s: &SeedArgs| -> anyhow::Result<Prepared> {
            Ok(Prepared::Grow(RegionGrowParams {
                criterion,
                seeds: s.seeds.iter().map(|t| t.0).collect(),
                seeds_mm: s.seeds_mm.iter().map(|t| t.0).collect(),
                connectivity: conn(s.connectivity)?,
            }))
        };
        let post = |op: PostOp, a: &PostArgs| -> anyhow::Result<Prepared> {
            Ok(Prepared::Post(
                op,
                PostParams {
                    connectivity: conn(a.connectivity)?,
                    order: a.order.into(),
                },
            ))
        };
        Ok(match self {
            SegmentOp::Threshold { params, .. } => Prepared::Threshold(ThresholdParams {
                lower: params.lower,
                upper: params.upper,
            }),
            SegmentOp::Otsu { params, .. } => auto(Method::Otsu, params)?,
            SegmentOp::MultiOtsu {
                classes, params, ..
            } => auto(Method::MultiOtsu { classes: *classes }, params)?,
            SegmentOp::Li { params, .. } => auto(Method::Li, params)?,
            SegmentOp::Triangle { params, .. } => auto(Method::Triangle, params)?,
            SegmentOp::Yen { params, .. } => auto(Method::Yen, params)?,
            SegmentOp::Huang { params, .. } => auto(Method::Huang, params)?,
            SegmentOp::Isodata { params, .. } => auto(Method::IsoData, params)?,
            SegmentOp::Mean { params, .. } => auto(Method::Mean, params)?,
            SegmentOp::RegionGrow { seeds, params, .. } => {
                let (lower, upper) = params.both("region-grow")?;
                grow(Criterion::Threshold { lower, upper }, seeds)?
            }
            SegmentOp::ConfidenceConnected {
                seeds,
                multiplier,
                iterations,
                radius,
                ..
            } => grow(
                Criterion::Confidence {
                    multiplier: *multiplier,
                    iterations: *iterations,
                    radius: *radius,
                },
                seeds,
            )?,
            SegmentOp::NeighborhoodConnected {
                seeds,
                params,
                radius,
                ..
            } => {
                let (lower, upper) = params.both("neighborhood-connected")?;
                grow(
                    Criterion::Neighborhood {
                        lower,
                        upper,
                        radius: radius.0,
                    },
                    seeds,
                )?
            }
            SegmentOp::Components { params: a, .. } => Prepared::Components(ComponentsParams {
                connectivity: conn(a.connectivity)?,
                order: a.order.into(),
                min_size: a.min_size,
                keep_largest: a.keep_largest,
            }),
            SegmentOp::Watershed { params: a, .. } => {
                let c = conn(a.connectivity)?;
                anyhow::ensure!(
                    c != Connectivity::Edge,
                    "watershed: --connectivity must be 6 or 26 (as SimpleITK fullyConnected)"
                );
                let markers = match &a.markers {
                    Some(p) => Some(read_aux("markers", p)?),
                    None => None,
                };
                Prepared::Watershed(
                    WatershedParams {
                        connectivity: c,
                        lines: a.lines,
                        level: a.level.unwrap_or(0.0),
                    },
                    markers,
                )
            }
            SegmentOp::Relabel { params, .. } => post(PostOp::Relabel, params)?,
            SegmentOp::KeepLargest { params, .. } => post(PostOp::KeepLargest, params)?,
            SegmentOp::FillHoles { params, .. } => post(PostOp::FillHoles, params)?,
            SegmentOp::Canny { params: c, .. } => Prepared::Canny(CannyParams {
                connectivity: conn(c.connectivity)?,
                ..CannyParams::new(c.variance, c.lower, c.upper)
            }),
        })
    }
}

impl Prepared {
    /// Runs the op on `vol`.
    pub fn run(&self, vol: &AnyVolume, exec: &Executor) -> anyhow::Result<Output> {
        Ok(match self {
            Prepared::Threshold(p) => Output {
                image: threshold_any(vol, p, exec)?.into(),
                report: serde_json::json!({}),
            },
            Prepared::Auto(p, mask) => {
                let t = auto_threshold_any(vol, mask.as_ref(), p, exec)?;
                let report = match p.method {
                    Method::MultiOtsu { .. } => serde_json::json!({ "thresholds": t.thresholds }),
                    _ => serde_json::json!({ "threshold": t.thresholds[0] }),
                };
                Output {
                    image: t.mask.into(),
                    report,
                }
            }
            Prepared::Grow(p) => {
                let g = region_grow_any(vol, p, exec)?;
                Output {
                    image: g.mask.into(),
                    report: serde_json::json!({ "lower": g.lower, "upper": g.upper }),
                }
            }
            Prepared::Components(p) => {
                let c = components_any(vol, p, exec)?;
                Output {
                    report: serde_json::json!({ "components": c.sizes.len(), "sizes": c.sizes }),
                    image: c.labels.into(),
                }
            }
            Prepared::Watershed(p, markers) => {
                let w = match markers {
                    Some(m) => watershed_from_markers_any(vol, m, p)?,
                    None => watershed_level_any(vol, p, exec)?,
                };
                Output {
                    image: w.into(),
                    report: serde_json::json!({}),
                }
            }
            Prepared::Post(op, p) => Output {
                image: postprocess_any(vol, *op, p, exec)?.into(),
                report: serde_json::json!({}),
            },
            Prepared::Canny(p) => Output {
                image: canny_any(vol, p, exec)?,
                report: serde_json::json!({}),
            },
        })
    }
}

/// Input/output images of `medvox segment`, and `--json`.
#[derive(Debug, Clone, clap::Args)]
pub struct SegIo {
    /// Input image.
    #[arg(value_name = "IN")]
    input: PathBuf,
    /// Output image; the format follows the extension (.nii, .nii.gz, .nrrd, .mha…).
    #[arg(value_name = "OUT")]
    output: PathBuf,
    /// Print the chosen values (threshold, interval, component count) as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Arguments of `medvox segment`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    op: SegmentOp<SegIo>,
}

/// Runs `medvox segment`.
pub fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let io = a.op.extra().clone();
    medvox::io::writer_for(&io.output)?;
    let prepared = a.op.prepare(&ctx.exec)?;
    let vol = crate::progress::spin(
        ctx.chatty,
        format!("reading {}", io.input.display()),
        || medvox::io::read(&io.input),
    )
    .with_context(|| format!("cannot read {}", io.input.display()))?
    .into_first();
    let out = match crate::gpu_cmd::segment(ctx, a.op.name(), &prepared, &vol) {
        Ok(Some(out)) => Ok(out),
        Ok(None) => prepared.run(&vol, &ctx.exec),
        Err(e) => Err(e),
    }
    .with_context(|| format!("{} failed", a.op.name()))?;
    crate::progress::spin(
        ctx.chatty,
        format!("writing {}", io.output.display()),
        || medvox::io::write(&io.output, &out.image),
    )
    .with_context(|| format!("cannot write {}", io.output.display()))?;
    let obj = out.report.as_object().filter(|o| !o.is_empty());
    if io.json {
        println!("{}", serde_json::to_string(&out.report)?);
    } else if let Some(o) = obj {
        let parts: Vec<String> = o
            .iter()
            .filter(|(k, _)| *k != "sizes")
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        println!("{}: {}", a.op.name(), parts.join(", "));
    }
    Ok(())
}
