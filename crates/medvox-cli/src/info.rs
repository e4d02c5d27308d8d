//! `medvox info`: what is in an image file.

use std::path::PathBuf;

use medvox::core::stats::{merge_stats, nonfinite, stats, Stats};
use medvox::core::with_volume;
use serde::Serialize;

use crate::Ctx;

/// Arguments of `medvox info`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Image file (NIfTI, NRRD, MetaImage, Analyze) or DICOM file, folder or DICOMDIR.
    file: PathBuf,
    /// DICOM series to read when the folder holds several (UID or 1-based N of `dicom ls`).
    #[arg(long, value_name = "UID|N")]
    series: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// The facts `info` reports (also its JSON schema).
#[derive(Debug, Serialize)]
pub struct Info {
    /// Format read.
    pub format: &'static str,
    /// Size [x, y, z].
    pub size: [usize; 3],
    /// Pixel type (u8 … f64).
    pub pixel_type: String,
    /// Spacing (mm).
    pub spacing: [f64; 3],
    /// Origin (mm, LPS).
    pub origin: [f64; 3],
    /// Direction, 9 numbers row-major.
    pub direction: [f64; 9],
    /// Orientation letters (index axes towards).
    pub orientation: String,
    /// Number of 3D volumes in the file (> 1 for 4D data).
    pub volumes: usize,
    /// NaN voxels of volume 0 (left out of min/max/mean/std).
    pub nan_count: u64,
    /// +inf/-inf voxels of volume 0 (left out of min/max/mean/std).
    pub inf_count: u64,
    /// Minimum finite voxel value (volume 0).
    pub min: f64,
    /// Maximum voxel value.
    pub max: f64,
    /// Mean voxel value.
    pub mean: f64,
    /// Population standard deviation.
    pub std: f64,
    /// Bytes of voxel memory (all volumes).
    pub memory_bytes: usize,
    /// Statistics over every volume of a 4D file (`null` for one volume, or
    /// when no voxel is finite): count, nan, inf, min, max, mean, std.
    pub all_volumes: Option<Stats>,
}

/// Reads a file and gathers its [`Info`] (statistics of the first volume).
pub fn gather(ctx: &Ctx, file: &std::path::Path, series: Option<&str>) -> anyhow::Result<Info> {
    let image = crate::input::read_input(ctx, file, series)?;
    let v = &image.volumes[0];
    let g = v.geometry();
    let s = with_volume!(v, v => stats(v, &ctx.exec));
    let (nan_count, inf_count) = match s {
        Some(s) => (s.nan, s.inf),
        None => with_volume!(v, v => nonfinite(v, &ctx.exec)),
    };
    let all_volumes = if image.volumes.len() > 1 {
        image
            .volumes
            .iter()
            .filter_map(|v| with_volume!(v, v => stats(v, &ctx.exec)))
            .reduce(merge_stats)
    } else {
        None
    };
    let nan = f64::NAN;
    Ok(Info {
        format: image.format,
        size: v.size(),
        pixel_type: v.pixel_type().to_string(),
        spacing: g.spacing,
        origin: g.origin,
        direction: g.direction_row_major(),
        orientation: g.orientation_code(),
        volumes: image.volumes.len(),
        nan_count,
        inf_count,
        min: s.map_or(nan, |s| s.min),
        max: s.map_or(nan, |s| s.max),
        mean: s.map_or(nan, |s| s.mean),
        std: s.map_or(nan, |s| s.std),
        memory_bytes: image.volumes.iter().map(|v| v.nbytes()).sum(),
        all_volumes,
    })
}

/// Runs `medvox info`.
pub fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let i = gather(ctx, &a.file, a.series.as_deref())?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&i)?);
        return Ok(());
    }
    let d = &i.direction;
    println!(
        "file        {}",
        medvox::core::text::printable(&a.file.display().to_string(), 1000)
    );
    println!("format      {}", i.format);
    println!(
        "size        {} x {} x {}{}",
        i.size[0],
        i.size[1],
        i.size[2],
        if i.volumes > 1 {
            format!(" x {} volumes", i.volumes)
        } else {
            String::new()
        }
    );
    println!("pixel type  {}", i.pixel_type);
    println!("spacing     {:?} mm", i.spacing);
    println!("origin      {:?} mm (LPS)", i.origin);
    println!(
        "direction   [{} {} {}; {} {} {}; {} {} {}] ({})",
        d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], i.orientation
    );
    println!("min / max   {} / {}", i.min, i.max);
    println!("mean / std  {:.6} / {:.6}", i.mean, i.std);
    if i.nan_count > 0 || i.inf_count > 0 {
        println!(
            "non-finite  {} NaN, {} inf (left out of the statistics)",
            i.nan_count, i.inf_count
        );
    }
    if let Some(s) = &i.all_volumes {
        println!(
            "all volumes min / max {} / {}, mean / std {:.6} / {:.6}, {} NaN, {} inf",
            s.min, s.max, s.mean, s.std, s.nan, s.inf
        );
    }
    println!(
        "memory      {:.1} MiB",
        i.memory_bytes as f64 / (1u64 << 20) as f64
    );
    Ok(())
}
