//! `medvox snapshot`: a PNG of the three orthogonal slices through a point.

use std::path::PathBuf;

use crate::snapshot::{self, SnapshotOptions};
use crate::Ctx;

/// Arguments of `medvox snapshot`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Image to show.
    input: PathBuf,
    /// PNG to write.
    output: PathBuf,
    /// Label map on the same grid, blended in colour.
    #[arg(long, value_name = "LABELS")]
    overlay: Option<PathBuf>,
    /// Window centre,width (e.g. 40,400 for brain CT); default: 0.5–99.5 percentiles.
    #[arg(long, value_name = "C,W", value_parser = snapshot::parse_window, allow_hyphen_values = true)]
    window: Option<(f64, f64)>,
    /// Voxel index x,y,z the slices pass through (default: the centre).
    #[arg(long, value_name = "X,Y,Z", value_parser = snapshot::parse_point)]
    slice: Option<[usize; 3]>,
    /// Longest panel side in pixels.
    #[arg(long, default_value_t = 512)]
    size: u32,
}

/// Runs `medvox snapshot`.
pub fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let read = |p: &PathBuf| crate::input::read_input(ctx, p, None).map(|i| i.into_first());
    let vol = read(&a.input)?;
    let overlay = a.overlay.as_ref().map(read).transpose()?;
    let opts = SnapshotOptions {
        window: a.window,
        point: a.slice,
        max_panel_px: a.size,
        ..Default::default()
    };
    let img = snapshot::render(&vol, overlay.as_ref(), &opts)?;
    snapshot::write_png(&a.output, &img)
}
