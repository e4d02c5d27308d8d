//! medvox-core: the volume type, pixel types, physical space and the block engine.
//!
//! * [`Volume<T>`] — a 3D voxel array (x fastest) with [`Geometry`] (spacing,
//!   origin, direction, ITK/LPS conventions); [`AnyVolume`] when the pixel type is
//!   known only at run time.
//! * [`BlockPlan`] and [`Executor`] — cut a volume into blocks with a halo and
//!   run an operation over them on a rayon pool; results never depend on the
//!   thread count or the block size.
//! * [`budget`] — the memory budget for buffers sized by untrusted files, and
//!   fallible allocation.
//! * [`stats`] — deterministic parallel statistics and histograms.
//! * [`text`] — file text made safe to print (control characters escaped, length cut).
//! * [`phantom`] — the synthetic CT phantom used by `medvox demo` and the tests.

pub mod any;
pub mod block;
pub mod budget;
pub mod error;
pub mod exec;
pub mod geometry;
pub mod phantom;
pub mod pixel;
pub mod stats;
pub mod text;
pub mod volume;

pub use any::AnyVolume;
pub use block::{Block, BlockPlan, Region};
pub use error::{CoreError, Result};
pub use exec::{BlockInput, Executor, NoProgress, Progress};
pub use geometry::{Geometry, Mat3};
pub use pixel::{Pixel, PixelType};
pub use volume::Volume;
