//! `medvox features IMAGE LABELS`: IBSI radiomics features per label
//! (`medvox_radiomics`), every region in parallel.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use medvox::core::AnyVolume;
use medvox_radiomics::op::{extract_any, RadiomicsParams};
use medvox_radiomics::RegionFeatures;

use crate::Ctx;

/// Arguments of `medvox features`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Intensity image.
    image: PathBuf,
    /// Label map on the same grid (every positive integer value is a region).
    labels: PathBuf,
    /// Only these labels (comma-separated), e.g. `--labels 1,3,7`.
    #[arg(long = "labels", value_delimiter = ',', value_name = "L1,L2")]
    labels_only: Option<Vec<u32>>,
    /// Fixed bin size (pyradiomics `binWidth`; default 25, bins aligned on multiples of it).
    #[arg(long, conflicts_with = "bin_count")]
    bin_width: Option<f64>,
    /// Lower bound of the first bin for --bin-width (IBSI `X_b`).
    #[arg(long, allow_hyphen_values = true)]
    bin_lower_bound: Option<f64>,
    /// Fixed bin number (pyradiomics `binCount`) instead of a bin width.
    #[arg(long)]
    bin_count: Option<u32>,
    /// Print a JSON list of objects (label, family, feature, ibsi_code, aggregation, value, key).
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV with a header line.
    #[arg(long)]
    csv: bool,
}

fn read(path: &std::path::Path) -> anyhow::Result<AnyVolume> {
    Ok(medvox::io::read(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .into_first())
}

/// Runs `medvox features`.
pub fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let image = read(&a.image)?;
    let labels = read(&a.labels)?;
    let params = RadiomicsParams {
        labels: a.labels_only.unwrap_or_default(),
        bin_width: a.bin_width.unwrap_or(25.0),
        bin_lower_bound: a.bin_lower_bound,
        bin_count: a.bin_count.unwrap_or(0),
    };
    let t0 = std::time::Instant::now();
    let regions: Vec<RegionFeatures> =
        extract_any(&image, &labels, &params).map_err(|e| anyhow::anyhow!("{e}"))?;
    let secs = t0.elapsed().as_secs_f64();
    if !ctx.quiet {
        eprintln!(
            "medvox: note: {} regions, {} features each, extracted in {secs:.3} s",
            regions.len(),
            regions.first().map_or(0, |r| r.features.len())
        );
    }
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let num = |v: f64| -> serde_json::Value {
        serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
    };
    if a.json {
        let mut rows = Vec::new();
        for r in &regions {
            for f in &r.features {
                rows.push(serde_json::json!({
                    "label": r.label,
                    "voxels": r.voxels,
                    "family": f.family,
                    "feature": f.feature,
                    "ibsi_code": f.ibsi_code,
                    "aggregation": f.aggregation,
                    "key": f.key,
                    "value": num(f.value),
                }));
            }
        }
        serde_json::to_writer(&mut w, &rows)?;
        writeln!(w)?;
    } else if a.csv {
        writeln!(
            w,
            "label,voxels,family,feature,ibsi_code,aggregation,key,value"
        )?;
        for r in &regions {
            for f in &r.features {
                writeln!(
                    w,
                    "{},{},{},\"{}\",{},\"{}\",{},{}",
                    r.label,
                    r.voxels,
                    f.family,
                    f.feature,
                    f.ibsi_code,
                    f.aggregation,
                    f.key,
                    f.value
                )?;
            }
        }
    } else {
        for r in &regions {
            writeln!(w, "label {} ({} voxels)", r.label, r.voxels)?;
            for f in &r.features {
                writeln!(
                    w,
                    "  {:<28} {:<55} {:<4} {:<24} {}",
                    f.family, f.feature, f.ibsi_code, f.aggregation, f.value
                )?;
            }
        }
    }
    w.flush()?;
    Ok(())
}
