//! CT reconstruction for medvox: RTK-compatible circular geometry, forward projectors
//! and filtered backprojection (parallel beam, fan beam, FDK cone beam).
//!
//! * [`geometry`]: RTK's `ThreeDCircularProjectionGeometry` (read/write its XML), the
//!   rotation axis option (RTK's y, or z for axial slices as scikit-image) and fan beams.
//! * [`project`]: Joseph's ray-driven projector and exact ellipsoid line integrals.
//! * [`fbp`]: weighted, ramp-filtered, voxel-driven backprojection — FBP for parallel
//!   and fan beams and FDK for cone beams, one code path.
//!
//! Projection stacks are volumes `[nu, nv, n_projections]` whose x/y origin and spacing
//! are the detector's (as RTK's projection images).
//!
//! ```
//! use medvox_recon::{fbp, geometry::{Detector, ScanGeometry}, phantom::Phantom, project};
//! let geom = ScanGeometry::circular(90, 360.0, 0.0, 500.0, 750.0);
//! let det = Detector::centred([48, 48], [1.5, 1.5]);
//! let phantom = Phantom::shepp_logan(20.0);
//! let proj = project::project_phantom(&phantom, &geom, &det).unwrap();
//! let grid = project::centred_grid([32, 32, 32], [1.5; 3]).unwrap();
//! let rec = fbp::reconstruct(&proj, &geom, [32, 32, 32], grid, fbp::FbpOptions::default()).unwrap();
//! assert_eq!(rec.size(), [32, 32, 32]);
//! ```

pub mod error;
pub mod fbp;
pub mod filter;
pub mod geometry;
pub mod ops;
pub mod options;
pub mod phantom;
pub mod project;

pub use error::{ReconError, Result};
pub use filter::Filter;
pub use geometry::{Axis, Beam, Detector, Projection, ScanGeometry};
pub use ops::register;
pub use options::{recon_grid, ScanOptions};
pub use phantom::Phantom;
