//! `medvox convert`: between all supported formats, optionally changing the pixel type;
//! `--to dicom` writes a DICOM series folder (medvox-dicom's export).

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
    /// Output image; the format follows the extension (.nii, .nii.gz, .hdr, .nrrd, .nhdr, .mha, .mhd),
    /// or a folder with `--to dicom`.
    output: PathBuf,
    /// Write a DICOM series (one file per slice, explicit VR little endian) into the folder OUTPUT.
    #[arg(long, value_enum, value_name = "FORMAT")]
    to: Option<To>,
    /// DICOM export: modality and SOP class (CT, MR, OT = Secondary Capture); default CT for
    /// integer data whose minimum is air in HU (-3100 to -500), else OT.
    #[arg(long, value_name = "CT|MR|OT", requires = "to")]
    modality: Option<medvox::dicom::export::Modality>,
    /// DICOM export: PatientName.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "medvox^export",
        requires = "to"
    )]
    patient_name: String,
    /// DICOM export: replace an existing non-empty OUTPUT folder.
    #[arg(long, requires = "to")]
    force: bool,
    /// Convert voxels to this type (u8, i8, u16, i16, u32, i32, f32, f64): integers are
    /// rounded to nearest (ties away from zero) and clamped to the type's range.
    #[arg(long, value_name = "T")]
    pixel_type: Option<PixelType>,
    /// DICOM series to read when the folder holds several (UID or 1-based N of `dicom ls`).
    #[arg(long, value_name = "UID|N")]
    series: Option<String>,
    /// Write only this volume of a 4D file (0-based). Default: every volume, as a 4D
    /// NIfTI/NRRD/MetaImage (a DICOM export takes volume 0, with a note).
    #[arg(long, value_name = "N")]
    volume: Option<usize>,
    /// Compress where the format leaves it open (NRRD gzip, MetaImage zlib).
    #[arg(long)]
    compress: bool,
    /// Compression level, 1 (fastest, default) to 9.
    #[arg(long, value_name = "L", default_value_t = medvox::io::gz::DEFAULT_LEVEL, value_parser = clap::value_parser!(u32).range(1..=9))]
    level: u32,
}

/// Output formats chosen by name rather than by extension.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum To {
    /// A DICOM series folder.
    Dicom,
}

/// Runs `medvox convert`.
pub fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    // Fail on an unwritable extension or output before the (possibly long) read.
    match a.to {
        None => {
            medvox::io::writer_for(&a.output)?;
        }
        Some(To::Dicom) => {
            anyhow::ensure!(!a.compress, "--compress does not apply to --to dicom");
            let inside = |p: &std::path::Path, dir: &std::path::Path| match (
                std::fs::canonicalize(p),
                std::fs::canonicalize(dir),
            ) {
                (Ok(p), Ok(d)) => p.starts_with(d),
                _ => false,
            };
            anyhow::ensure!(
                !inside(&a.input, &a.output),
                "the input {} is inside the output folder {}",
                a.input.display(),
                a.output.display()
            );
        }
    }
    let image = crate::input::read_input(ctx, &a.input, a.series.as_deref())?;
    let n = image.volumes.len();
    if let Some(k) = a.volume {
        anyhow::ensure!(
            k < n,
            "--volume {k} but {} holds {n} volume(s)",
            a.input.display()
        );
    }
    let dicom = matches!(a.to, Some(To::Dicom));
    let pick = a.volume.or(dicom.then_some(0));
    if let (true, Some(k), false) = (n > 1, pick, ctx.quiet) {
        eprintln!(
            "medvox: note: {} holds {n} volumes; writing volume {k}",
            a.input.display()
        );
    }
    let mut volumes = match pick {
        Some(k) => vec![image.volumes.into_iter().nth(k).expect("checked above")],
        None => image.volumes,
    };
    if let Some(t) = a.pixel_type {
        volumes = volumes.into_iter().map(|v| v.cast(t)).collect();
    }
    if dicom {
        let v = &volumes[0];
        let opts = medvox::dicom::export::ExportOptions {
            modality: a.modality,
            patient_name: a.patient_name.clone(),
            force: a.force,
            ..Default::default()
        };
        let sum = crate::progress::spin(
            ctx.chatty,
            format!("writing {}", a.output.display()),
            || medvox::dicom::export::export(v, &a.output, &opts),
        )
        .with_context(|| format!("cannot write {}", a.output.display()))?;
        if !ctx.quiet {
            let e = &sum.encoding;
            let stored = if e.signed { "i16" } else { "u16" };
            let how = if e.lossless {
                "lossless".to_string()
            } else {
                format!("quantised, max error {:.6e}", sum.max_error)
            };
            eprintln!(
                "medvox: wrote {} DICOM file(s) to {} (modality {}, {stored} x {} + {}, {how})",
                sum.files,
                sum.dir.display(),
                sum.modality,
                e.slope_ds,
                e.intercept_ds
            );
            for n in &sum.notes {
                eprintln!("medvox: note: {n}");
            }
        }
        return Ok(());
    }
    let opts = WriteOptions {
        level: a.level,
        compress: a.compress,
    };
    crate::progress::spin(
        ctx.chatty,
        format!("writing {}", a.output.display()),
        || medvox::io::write_series_with(&a.output, &volumes, &opts),
    )
    .with_context(|| format!("cannot write {}", a.output.display()))?;
    Ok(())
}
