//! medvox-segment: segmentation and label analysis.
//!
//! Automatic thresholds, region growing, connected components, watershed and
//! Canny edges produce masks and label maps; label statistics and overlap
//! metrics measure them (in mm, honouring anisotropic spacing). Every op is
//! checked against SimpleITK, scikit-image or cc3d on the same input.

pub mod auto_threshold;
pub mod canny;
pub mod components;
pub mod connectivity;
pub mod error;
pub mod labelstats;
pub mod ops;
pub mod overlap;
pub mod postprocess;
pub mod region_grow;
pub mod surface;
pub mod threshold;
pub mod watershed;

pub use auto_threshold::{auto_threshold, AutoThresholdParams, Method, Thresholded};
pub use canny::{canny, CannyParams};
pub use components::{components, ComponentsParams, LabelOrder, Labelling};
pub use connectivity::Connectivity;
pub use error::{Result, SegmentError};
pub use labelstats::{label_stats, label_stats_with_image, LabelStats, LabelStatsParams};
pub use ops::register;
pub use overlap::{overlap, LabelOverlap, OverlapParams, OverlapReport};
pub use region_grow::{region_grow, Criterion, Grown, RegionGrowParams};
pub use threshold::{threshold, ThresholdParams};
pub use watershed::{watershed_from_markers, watershed_level, WatershedParams};
