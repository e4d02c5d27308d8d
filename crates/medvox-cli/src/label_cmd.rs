//! `medvox label stats|compare`: label statistics and overlap metrics
//! (`medvox_segment::labelstats`, `medvox_segment::overlap`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use medvox::core::AnyVolume;
use medvox::segment::labelstats::{label_stats_any, LabelStats, LabelStatsParams};
use medvox::segment::overlap::{overlap_any, OverlapParams, OverlapReport};

use crate::Ctx;

/// Arguments of `medvox label`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: LabelCmd,
}

#[derive(Debug, clap::Subcommand)]
enum LabelCmd {
    /// Per label: voxels, volume (mm³), centroid (mm, LPS), bounding box; with --image
    /// mean, sample std, min, max, exact median, sum of the image.
    Stats {
        /// Label map (every value ≠ background is a label).
        labels: PathBuf,
        /// Intensity image on the same grid.
        #[arg(long)]
        image: Option<PathBuf>,
        /// Background value (not a label).
        #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
        background: i64,
        /// Print a JSON list of objects.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print CSV with a header line.
        #[arg(long)]
        csv: bool,
    },
    /// Overlap of A (e.g. a prediction) with B (the reference): per label and overall
    /// Dice, Jaccard, volume similarity, Hausdorff, HD95 and ASSD (mm).
    Compare {
        /// Label map A (source).
        a: PathBuf,
        /// Label map B (target), same grid.
        b: PathBuf,
        /// Background value (not a label).
        #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
        background: i64,
        /// Skip the distance metrics (counts only; much faster).
        #[arg(long)]
        no_distances: bool,
        /// Print one JSON object {"labels": [...], "overall": {...}}.
        #[arg(long)]
        json: bool,
    },
}

fn read(ctx: &Ctx, path: &Path) -> anyhow::Result<AnyVolume> {
    crate::run_cmd::read_volume(ctx, "", path)
}

/// Runs `medvox label …`.
pub fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    match a.cmd {
        LabelCmd::Stats {
            labels,
            image,
            background,
            json,
            csv,
        } => {
            let lab = read(ctx, &labels)?;
            let img = image.as_deref().map(|p| read(ctx, p)).transpose()?;
            let stats = label_stats_any(
                &lab,
                img.as_ref(),
                &LabelStatsParams { background },
                &ctx.exec,
            )
            .context("label stats failed")?;
            if json {
                emit(serde_json::to_string_pretty(&stats)? + "\n")?;
            } else {
                emit(format_stats(&stats, csv, img.is_some()))?;
            }
        }
        LabelCmd::Compare {
            a,
            b,
            background,
            no_distances,
            json,
        } => {
            let (va, vb) = (read(ctx, &a)?, read(ctx, &b)?);
            let params = OverlapParams {
                background,
                distances: !no_distances,
            };
            let report = crate::progress::spin(ctx.chatty, "comparing".to_string(), || {
                overlap_any(&va, &vb, &params, &ctx.exec)
            })
            .context("label compare failed")?;
            if json {
                emit(serde_json::to_string_pretty(&report)? + "\n")?;
            } else {
                emit(format_compare(&report))?;
            }
        }
    }
    Ok(())
}

/// Writes a report to stdout; a closed pipe (`| head`) is not an error.
fn emit(text: String) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn format_stats(stats: &[LabelStats], csv: bool, intensity: bool) -> String {
    use std::fmt::Write;
    let mut head = vec![
        "label",
        "voxels",
        "volume_mm3",
        "centroid_x_mm",
        "centroid_y_mm",
        "centroid_z_mm",
        "bbox_min_x",
        "bbox_min_y",
        "bbox_min_z",
        "bbox_max_x",
        "bbox_max_y",
        "bbox_max_z",
        "bbox_min_x_mm",
        "bbox_min_y_mm",
        "bbox_min_z_mm",
        "bbox_max_x_mm",
        "bbox_max_y_mm",
        "bbox_max_z_mm",
    ];
    if intensity {
        head.extend(["mean", "std", "min", "max", "median", "sum"]);
    }
    let sep = if csv { "," } else { "\t" };
    let mut out = head.join(sep) + "\n";
    for s in stats {
        let mut row = vec![s.label.to_string(), s.voxels.to_string()];
        row.push(format!("{}", s.volume_mm3));
        row.extend(s.centroid_mm.iter().map(|c| format!("{c:.6}")));
        row.extend(s.bbox_min.iter().chain(&s.bbox_max).map(|i| i.to_string()));
        row.extend(
            s.bbox_min_mm
                .iter()
                .chain(&s.bbox_max_mm)
                .map(|c| format!("{c:.6}")),
        );
        if let Some(i) = &s.intensity {
            row.extend([i.mean, i.std, i.min, i.max, i.median, i.sum].map(|v| format!("{v}")));
        }
        let _ = writeln!(out, "{}", row.join(sep));
    }
    out
}

fn format_compare(r: &OverlapReport) -> String {
    use std::fmt::Write;
    let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4}"));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "label\tvoxels_a\tvoxels_b\tdice\tjaccard\tvol_sim\thausdorff_mm\thd95_mm\tassd_mm"
    );
    for l in &r.labels {
        let d = &l.distances;
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{:.4}\t{:.4}\t{:.4}\t{}\t{}\t{}",
            l.label,
            l.voxels_a,
            l.voxels_b,
            l.dice,
            l.jaccard,
            l.volume_similarity,
            f(d.hausdorff_mm),
            f(d.hausdorff95_mm),
            f(d.assd_mm)
        );
    }
    let o = &r.overall;
    let d = &o.distances;
    let _ = writeln!(
        out,
        "overall\t\t\t{}\t{}\t{}\t{}\t{}\t{}",
        f(o.dice),
        f(o.jaccard),
        f(o.volume_similarity),
        f(d.hausdorff_mm),
        f(d.hausdorff95_mm),
        f(d.assd_mm)
    );
    out
}
