//! medvox-segment: segmentation and label analysis.
//!
//! Automatic thresholds, region growing, connected components, watershed and
//! Canny edges produce masks and label maps; label statistics and overlap
//! metrics measure them (in mm, honouring anisotropic spacing). Every op is
//! checked against SimpleITK, scikit-image or cc3d on the same input.

pub mod error;
pub mod labelstats;
pub mod overlap;
pub mod surface;

pub use error::{Result, SegmentError};
pub use labelstats::{label_stats, label_stats_with_image, LabelStats, LabelStatsParams};
pub use overlap::{overlap, LabelOverlap, OverlapParams, OverlapReport};
