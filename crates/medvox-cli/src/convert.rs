//! `medvox convert`: between all supported formats, optionally changing the pixel type.

use std::path::PathBuf;

use anyhow::Context;
use medvox::core::PixelType;
use medvox::io::WriteOptions;

use crate::Ctx;

/// Arguments of `medvox convert`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input image, or DICOM file, folder or DICOMDIR.
    input: PathBuf,
    /// Output image; the format follows the extension (.nii, .nii.gz, .hdr, .nrrd, .nhdr, .mha, .mhd).
    output: PathBuf,
    /// Convert voxels to this type (u8, i8, u16, i16, u32, i32, f32, f64): integers are
    /// rounded to nearest (ties away from zero) and clamped to the type's range.
    #[arg(long, value_name = "T")]
    pixel_type: Option<PixelType>,
    /// DICOM series to read when the folder holds several (UID or 1-based N of `dicom ls`).
    #[arg(long, value_name = "UID|N")]
    series: Option<String>,
    /// Which volume of a 4D file to write (0-based; default 0).
    #[arg(long, value_name = "N", default_value_t = 0)]
    volume: usize,
    /// Compress where the format leaves it open (NRRD gzip, MetaImage zlib).
    #[arg(long)]
    compress: bool,
    /// Compression level, 1 (fastest, default) to 9.
    #[arg(long, value_name = "L", default_value_t = medvox::io::gz::DEFAULT_LEVEL, value_parser = clap::value_parser!(u32).range(1..=9))]
    level: u32,
}

/// Runs `medvox convert`.
pub fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    // Fail on an unwritable extension before the (possibly long) read.
    medvox::io::writer_for(&a.output)?;
    let image = crate::input::read_input(ctx, &a.input, a.series.as_deref())?;
    let n = image.volumes.len();
    anyhow::ensure!(
        a.volume < n,
        "--volume {} but {} holds {n} volume(s)",
        a.volume,
        a.input.display()
    );
    if n > 1 && !ctx.quiet {
        eprintln!(
            "medvox: note: {} holds {n} volumes; writing volume {}",
            a.input.display(),
            a.volume
        );
    }
    let mut v = image
        .volumes
        .into_iter()
        .nth(a.volume)
        .expect("checked above");
    if let Some(t) = a.pixel_type {
        v = v.cast(t);
    }
    let opts = WriteOptions {
        level: a.level,
        compress: a.compress,
    };
    crate::progress::spin(
        ctx.chatty,
        format!("writing {}", a.output.display()),
        || medvox::io::write_with(&a.output, &v, &opts),
    )
    .with_context(|| format!("cannot write {}", a.output.display()))?;
    Ok(())
}
