//! medvox-register: ITK-compatible linear transforms, `.tfm` files, warping, and
//! rigid/affine registration.
//!
//! | module | what | matches |
//! | --- | --- | --- |
//! | [`transform`] | [`Transform`]: translation, Euler 3D, affine — ITK's parameters, centre and order | `itk::Euler3DTransform`, `itk::AffineTransform` |
//! | [`tfm`] | read/write `#Insight Transform File V1.0` text files | SimpleITK `ReadTransform`/`WriteTransform` |
//! | [`warp`] | resample a moving image onto a reference grid through a transform | SimpleITK `Resample(moving, reference, transform, …)` |
//! | [`metric`] | Mattes MI, NCC, MSE with exact parameter gradients, deterministic parallel sums | ITK v4 metrics |
//! | [`ops`] | registry ops `register` and `warp` (`medvox-ops`) | — |
//! | [`register`](mod@register) | multi-resolution rigid → affine registration, regular-step gradient optimiser | SimpleITK `ImageRegistrationMethod`, elastix rigid/affine |
//!
//! A transform maps **fixed → moving** physical points (mm, LPS), the ITK
//! convention: warping the moving image with it puts it on the fixed grid.
//!
//! ```
//! use medvox_core::{Executor, Geometry, Volume};
//! use medvox_register::{register, warp::warp, RegisterParams, Transform};
//! use medvox_filters::{resample::Grid, Interpolation};
//! // A smooth blob and a copy moved by 2 mm along x.
//! let n = 24;
//! let blob = |sx: f64| -> Volume<f32> {
//!     let v = (0..n * n * n).map(|i| {
//!         let (x, y, z) = ((i % n) as f64 - 11.5 - sx, ((i / n) % n) as f64 - 11.5, (i / (n * n)) as f64 - 11.5);
//!         (100.0 * (-(x * x / 20.0 + y * y / 12.0 + z * z / 16.0)).exp()) as f32
//!     }).collect();
//!     Volume::from_vec([n, n, n], v, Geometry::default()).unwrap()
//! };
//! let (fixed, moving) = (blob(0.0), blob(2.0));
//! let params = RegisterParams { levels: vec![2, 1], ..Default::default() };
//! let exec = Executor::default();
//! let r = register(&fixed, &moving, &params, None, None, &exec).unwrap();
//! let t = r.transform.apply(fixed.geometry().index_to_physical([11.5, 11.5, 11.5]));
//! assert!((t[0] - 13.5).abs() < 0.1 && (t[1] - 11.5).abs() < 0.1, "{t:?}");
//! let warped = warp(&moving, &Grid::of(&fixed), &r.transform, Interpolation::Linear, 0.0, &exec).unwrap();
//! assert_eq!(warped.size(), fixed.size());
//! ```

pub mod error;
pub mod metric;
pub mod ops;
pub mod register;
pub mod tfm;
pub mod transform;
pub mod warp;

pub use error::{RegisterError, Result};
pub use metric::MetricKind;
pub use ops::register_ops;
pub use register::{register, Init, LevelReport, RegisterParams, Registration, TransformKind};
pub use tfm::{read_tfm, write_tfm};
pub use transform::Transform;
pub use warp::{warp, warp_any};
