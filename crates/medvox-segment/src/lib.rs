//! medvox-segment: segmentation and label analysis.
//!
//! Automatic thresholds, region growing, connected components, watershed and
//! Canny edges produce masks and label maps; label statistics and overlap
//! metrics measure them (in mm, honouring anisotropic spacing). Every op is
//! checked against SimpleITK, scikit-image or cc3d on the same input.

pub mod error;

pub use error::{Result, SegmentError};
