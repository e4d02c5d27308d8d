//! `medvox info`: what is in an image file.

use std::path::PathBuf;

use medvox::core::{stats::stats, with_volume};
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
    /// Minimum voxel value.
    pub min: f64,
    /// Maximum voxel value.
    pub max: f64,
    /// Mean voxel value.
    pub mean: f64,
    /// Population standard deviation.
    pub std: f64,
    /// Bytes of voxel memory (all volumes).
    pub memory_bytes: usize,
}

/// Reads a file and gathers its [`Info`] (statistics of the first volume).
pub fn gather(ctx: &Ctx, file: &std::path::Path, series: Option<&str>) -> anyhow::Result<Info> {
    let image = crate::input::read_input(ctx, file, series)?;
    let v = &image.volumes[0];
    let g = v.geometry();
    let s = with_volume!(v, v => stats(v, &ctx.exec));
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
        min: s.map_or(nan, |s| s.min),
        max: s.map_or(nan, |s| s.max),
        mean: s.map_or(nan, |s| s.mean),
        std: s.map_or(nan, |s| s.std),
        memory_bytes: image.volumes.iter().map(|v| v.nbytes()).sum(),
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
    println!("file        {}", a.file.display());
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
    println!(
        "memory      {:.1} MiB",
        i.memory_bytes as f64 / (1u64 << 20) as f64
    );
    Ok(())
}
