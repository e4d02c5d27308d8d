//! Voxel-wise arithmetic with a constant or a second image on the same grid
//! (c3d `-add`/`-scale`, fslmaths `-add -sub -mul -div -min -max`), and masking
//! (fslmaths `-mas`). `add`, `subtract`, `multiply`, `divide`, `min`, `max`:
//! f32 out (f64 for an f64 input), computed in f64 and rounded once;
//! x/0 follows IEEE (±inf, NaN for 0/0), as numpy. `mask`: keeps the pixel type,
//! voxels where the mask is 0 become `outside`.

use medvox_core::{with_volume, AnyVolume, Executor, Pixel, PixelType, Volume};
use medvox_ops::{AuxInfo, Bound, Inputs, Kind, Op, OpsError, Output, OutputType, VolumeInfo};
use rayon::prelude::*;

/// `out[i] = f(a[i], b(i))` in f64, written as `U`.
fn zip_map<T: Pixel, U: Pixel>(
    a: &Volume<T>,
    b: &(dyn Fn(usize) -> f64 + Sync),
    f: fn(f64, f64) -> f64,
    exec: &Executor,
) -> Volume<U> {
    let mut out = a.zeros_like::<U>();
    exec.install(|| {
        out.as_slice_mut()
            .par_iter_mut()
            .zip(a.as_slice().par_iter())
            .enumerate()
            .for_each(|(i, (o, &x))| *o = U::from_f64(f(x.to_f64(), b(i))));
    });
    out
}

/// The second operand: a constant or an image (checked against the input's grid).
fn operand<'a>(
    op: &str,
    value: Option<f64>,
    image: Option<&'a AnyVolume>,
    input: &VolumeInfo,
) -> medvox_ops::Result<Option<&'a AnyVolume>> {
    match (value, image) {
        (Some(_), None) => Ok(None),
        (None, Some(img)) => {
            same_grid(op, "image", img, input)?;
            Ok(Some(img))
        }
        _ => Err(OpsError::invalid(
            op,
            "exactly one of --value and --image is required",
        )),
    }
}

/// An auxiliary volume must have the input's size and (within 1e-4 mm) geometry.
fn same_grid(op: &str, what: &str, v: &AnyVolume, input: &VolumeInfo) -> medvox_ops::Result<()> {
    if v.size() != input.size {
        return Err(OpsError::invalid(
            op,
            format!("{what} size {:?} differs from the input's {:?} (resample it first: `resample --reference`)", v.size(), input.size),
        ));
    }
    let (g, h) = (v.geometry(), &input.geometry);
    let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-4);
    let dir = |m: &[[f64; 3]; 3]| m.iter().flatten().copied().collect::<Vec<f64>>();
    if !close(&g.spacing, &h.spacing)
        || !close(&g.origin, &h.origin)
        || !close(&dir(&g.direction), &dir(&h.direction))
    {
        return Err(OpsError::invalid(
            op,
            format!(
                "{what} is on another grid (spacing {:?} vs {:?}, origin {:?} vs {:?}); resample it first: `resample --reference`",
                g.spacing, h.spacing, g.origin, h.origin
            ),
        ));
    }
    Ok(())
}

medvox_ops::params! {
    /// Parameters of the voxel-wise arithmetic ops.
    pub struct ArithParams {
        /// The constant second operand (or give --image).
        value: Option<f64> = None,
    }
}

/// One voxel-wise binary op (`add`, `subtract`…): the input with a constant or the `image`.
pub struct Arith {
    name: &'static str,
    doc: &'static str,
    f: fn(f64, f64) -> f64,
}

/// The arithmetic ops, each one registered.
pub const ARITH: [Arith; 6] = [
    Arith { name: "add", doc: "Voxel-wise x + (--value or --image); f32 out (f64 for f64 in). fslmaths -add, c3d -add.", f: |a, b| a + b },
    Arith { name: "subtract", doc: "Voxel-wise x − (--value or --image); f32 out (f64 for f64 in). fslmaths -sub.", f: |a, b| a - b },
    Arith { name: "multiply", doc: "Voxel-wise x · (--value or --image); f32 out (f64 for f64 in). fslmaths -mul, c3d -scale.", f: |a, b| a * b },
    Arith { name: "divide", doc: "Voxel-wise x / (--value or --image), IEEE division (x/0 = ±inf, 0/0 = NaN) as numpy; f32 out (f64 for f64 in). fslmaths -div.", f: |a, b| a / b },
    Arith { name: "min", doc: "Voxel-wise minimum of x and (--value or --image) (NaN if either is NaN, as numpy.minimum); f32 out (f64 for f64 in). fslmaths -min.", f: |a, b| if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(b) } },
    Arith { name: "max", doc: "Voxel-wise maximum of x and (--value or --image) (NaN if either is NaN, as numpy.maximum); f32 out (f64 for f64 in). fslmaths -max.", f: |a, b| if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) } },
];

impl Op for Arith {
    type Params = ArithParams;
    type Report = ();
    fn name(&self) -> &'static str {
        self.name
    }
    fn group(&self) -> &'static str {
        "filter"
    }
    fn doc(&self) -> &'static str {
        self.doc
    }
    fn aux(&self) -> Vec<AuxInfo> {
        vec![AuxInfo {
            name: "image",
            required: false,
            doc: "the second operand, on the input's grid (instead of --value)",
        }]
    }
    fn bind(&self, p: &ArithParams, input: &VolumeInfo) -> medvox_ops::Result<Bound> {
        if p.value.is_some_and(f64::is_nan) {
            return Err(OpsError::invalid(self.name, "--value is NaN"));
        }
        let t = if input.pixel_type == PixelType::F64 {
            PixelType::F64
        } else {
            PixelType::F32
        };
        Ok(Bound::same_grid(
            Kind::POINTWISE,
            OutputType::Volume(t),
            input,
        ))
    }
    fn run(
        &self,
        p: &ArithParams,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> medvox_ops::Result<Output<()>> {
        let info = VolumeInfo::of(inputs.main);
        let other = operand(self.name, p.value, inputs.aux("image"), &info)?;
        let wide = info.pixel_type == PixelType::F64
            || other.is_some_and(|o| o.pixel_type() == PixelType::F64);
        let f = self.f;
        let out: AnyVolume = with_volume!(inputs.main, a => {
            match other {
                None => {
                    let c = p.value.unwrap_or_default();
                    let b = move |_: usize| c;
                    if wide { zip_map::<_, f64>(a, &b, f, exec).into() } else { zip_map::<_, f32>(a, &b, f, exec).into() }
                }
                Some(img) => with_volume!(img, o => {
                    let s = o.as_slice();
                    let b = |i: usize| s[i].to_f64();
                    if wide { zip_map::<_, f64>(a, &b, f, exec).into() } else { zip_map::<_, f32>(a, &b, f, exec).into() }
                }),
            }
        });
        Ok(Output::volume(out))
    }
}

medvox_ops::params! {
    /// Parameters of `mask`.
    pub struct MaskParams {
        /// Value of the voxels outside the mask (rounded and clamped to the pixel type).
        outside: f64 = 0.0,
    }
}

/// `mask`: the input where `mask` ≠ 0, `outside` elsewhere; keeps the pixel type.
pub struct MaskOp;

impl Op for MaskOp {
    type Params = MaskParams;
    type Report = ();
    fn name(&self) -> &'static str {
        "mask"
    }
    fn group(&self) -> &'static str {
        "filter"
    }
    fn doc(&self) -> &'static str {
        "The input where --mask ≠ 0, --outside (default 0) elsewhere; keeps the pixel type. fslmaths -mas, SimpleITK Mask."
    }
    fn aux(&self) -> Vec<AuxInfo> {
        vec![AuxInfo {
            name: "mask",
            required: true,
            doc: "mask on the input's grid (voxels ≠ 0 are kept)",
        }]
    }
    fn bind(&self, p: &MaskParams, input: &VolumeInfo) -> medvox_ops::Result<Bound> {
        if p.outside.is_nan() && !matches!(input.pixel_type, PixelType::F32 | PixelType::F64) {
            return Err(OpsError::invalid(
                "mask",
                "--outside NaN needs a float image",
            ));
        }
        Ok(Bound::same_grid(
            Kind::POINTWISE,
            OutputType::Volume(input.pixel_type),
            input,
        ))
    }
    fn run(
        &self,
        p: &MaskParams,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> medvox_ops::Result<Output<()>> {
        let m = inputs.require("mask", "mask")?;
        same_grid("mask", "mask", m, &VolumeInfo::of(inputs.main))?;
        let out: AnyVolume = with_volume!(inputs.main, a => {
            let outside = Pixel::from_f64(p.outside);
            let mut out = a.clone();
            with_volume!(m, mv => {
                let ms = mv.as_slice();
                exec.install(|| {
                    out.as_slice_mut().par_iter_mut().zip(ms.par_iter()).for_each(|(o, &k)| {
                        if k.to_f64() == 0.0 {
                            *o = outside;
                        }
                    })
                });
            });
            out.into()
        });
        Ok(Output::volume(out))
    }
}
