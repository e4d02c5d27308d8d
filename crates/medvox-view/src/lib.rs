//! Rendering for medvox: what a person looks at to check a volume or a run.
//!
//! * [`slices`]: the three orthogonal slices through one voxel, in patient
//!   orientation (radiological display) with orientation letters, true
//!   physical aspect ratio, a display window, and a label overlay with a
//!   [`ColourTable`]; two volumes on the same grid as a checkerboard or a
//!   magenta/green colour fusion (registration checks).
//! * [`plot`]: an intensity histogram as a bar chart.
//! * [`report`]: a self-contained HTML page (images embedded) with sections of
//!   text, snapshots, tables and per-step timings.
//! * [`RgbImage`] and its PNG encoding ([`RgbImage::to_png`]); writing files is
//!   left to the caller (medvox-io's atomic writes).
//!
//! Orientation has one source of truth, [`medvox_core::Geometry::orientation_axes`].
//!
//! ```
//! use medvox_core::{AnyVolume, Geometry, Volume};
//! use medvox_view::{render, SnapshotOptions};
//! let g = Geometry::new([1.0, 1.0, 4.0], [0.0; 3], Geometry::IDENTITY).unwrap();
//! let v: AnyVolume = Volume::<i16>::zeros([32, 32, 8], g).unwrap().into();
//! let img = render(&v, None, &SnapshotOptions { max_panel_px: 64, ..Default::default() }).unwrap();
//! let png = img.to_png().unwrap();
//! assert_eq!(&png[1..4], b"PNG");
//! ```

pub mod colour;
pub mod error;
pub mod image;
pub mod orient;
pub mod plot;
pub mod report;
pub mod slices;
pub mod window;

pub use colour::ColourTable;
pub use error::{Result, ViewError};
pub use image::RgbImage;
pub use slices::{render, render_pair, Fusion, PairOptions, SnapshotOptions};
pub use window::auto_window;
