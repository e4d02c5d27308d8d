//! numpy arrays ⇄ volumes: inputs viewed in place, outputs handed over without a copy.

use std::collections::BTreeMap;
use std::mem::ManuallyDrop;

use medvox_core::volume::checked_voxels;
use medvox_core::{with_volume, AnyVolume, Geometry, Pixel, Volume};
use numpy::{Element, PyArray3, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::prelude::*;

use crate::errors::Failure;

/// Geometry as Python passes it: spacing and origin `(x, y, z)`, direction
/// row-major (column c is index axis c), as SimpleITK's `GetDirection()`.
pub type Geom = ([f64; 3], [f64; 3], [f64; 9]);

/// The geometry of a Python triple (validated).
pub fn geometry(g: &Geom) -> Result<Geometry, Failure> {
    let d = g.2;
    let geom = Geometry {
        spacing: g.0,
        origin: g.1,
        direction: [[d[0], d[1], d[2]], [d[3], d[4], d[5]], [d[6], d[7], d[8]]],
    };
    geom.validate().map_err(|e| Failure::from_error(&e))?;
    Ok(geom)
}

fn geom_of(g: &Geometry) -> Geom {
    let d = g.direction;
    (
        g.spacing,
        g.origin,
        [
            d[0][0], d[0][1], d[0][2], d[1][0], d[1][1], d[1][2], d[2][0], d[2][1], d[2][2],
        ],
    )
}

/// Something kept alive while a view is in use (the numpy read borrow).
trait Held {}
impl<T> Held for T {}

/// A numpy array seen as a volume for the length of one call, without a copy.
///
/// The volume's buffer is the array's memory: it is never dropped or grown
/// (`ManuallyDrop`, and ops only get `&AnyVolume`), and numpy's read borrow is
/// held for as long as the view lives.
pub struct VolumeIn<'py> {
    vol: ManuallyDrop<AnyVolume>,
    _borrow: Box<dyn Held + 'py>,
}

impl<'py> VolumeIn<'py> {
    /// Views a 3D numpy array `(z, y, x)` with `geometry`. The Python side makes
    /// arrays C-contiguous, aligned, native-endian and of a supported dtype first.
    pub fn view(array: &Bound<'py, PyAny>, geometry_in: &Geom) -> PyResult<Self> {
        let g = geometry(geometry_in)?;
        macro_rules! try_types {
            ($($t:ty),*) => {$(
                if let Some(v) = view_as::<$t>(array, g)? {
                    return Ok(v);
                }
            )*};
        }
        try_types!(u8, i8, u16, i16, u32, i32, f32, f64);
        let what = array
            .getattr("dtype")
            .map(|d| d.to_string())
            .unwrap_or_else(|_| array.get_type().to_string());
        Err(Failure::type_error(format!(
            "expected a 3D numpy array of uint8, int8, uint16, int16, uint32, int32, float32 or float64, got {what}"
        ))
        .into())
    }

    /// The volume.
    pub fn volume(&self) -> &AnyVolume {
        &self.vol
    }
}

fn view_as<'py, T: Pixel + Element>(
    array: &Bound<'py, PyAny>,
    g: Geometry,
) -> PyResult<Option<VolumeIn<'py>>>
where
    AnyVolume: From<Volume<T>>,
{
    let Ok(a) = array.cast::<PyArray3<T>>() else {
        return Ok(None);
    };
    let shape = a.shape();
    let size = [shape[2], shape[1], shape[0]];
    if !a.is_c_contiguous() || !a.is_aligned() {
        return Err(Failure::type_error("the array must be C-contiguous and aligned").into());
    }
    let ro = a
        .try_readonly()
        .map_err(|e| Failure::parameter(format!("array is being written elsewhere: {e}")))?;
    let s = ro
        .as_slice()
        .map_err(|e| Failure::type_error(format!("array: {e}")))?;
    // Every check `Volume::from_vec` makes, made first: it must not fail (its
    // error path would drop the borrowed buffer).
    if s.is_empty() || checked_voxels(size).ok() != Some(s.len()) {
        return Err(Failure::parameter(format!("array of shape {shape:?}: no voxels")).into());
    }
    // SAFETY: `s` is the array's aligned, initialised buffer of `s.len()`
    // elements, kept alive (and not written through numpy's borrow rules) by
    // `ro`, which the view holds. The Vec is wrapped in `ManuallyDrop` before it
    // can be dropped, never grown (ops see `&AnyVolume`), and never freed by Rust.
    let v = unsafe { Vec::from_raw_parts(s.as_ptr() as *mut T, s.len(), s.len()) };
    let vol = match Volume::from_vec(size, v, g) {
        Ok(v) => v,
        Err(_) => unreachable!("size and geometry were checked"),
    };
    Ok(Some(VolumeIn {
        vol: ManuallyDrop::new(vol.into()),
        _borrow: Box::new(ro),
    }))
}

/// A name → volume map over views (for `Inputs::aux`) that never frees the
/// borrowed buffers: its volumes are forgotten, not dropped.
pub struct BorrowedMap(ManuallyDrop<BTreeMap<String, AnyVolume>>);

impl BorrowedMap {
    /// The map of `views`' volumes (the same buffers, no copy).
    pub fn new(views: &[(String, VolumeIn<'_>)]) -> Self {
        BorrowedMap(ManuallyDrop::new(
            views
                .iter()
                // SAFETY: a bitwise copy of a view's volume; like the view it is
                // never dropped (see Drop below), so the buffer is freed by no one
                // but numpy.
                .map(|(k, v)| (k.clone(), unsafe { std::ptr::read(v.volume()) }))
                .collect(),
        ))
    }

    /// The map.
    pub fn get(&self) -> &BTreeMap<String, AnyVolume> {
        &self.0
    }
}

impl Drop for BorrowedMap {
    fn drop(&mut self) {
        // SAFETY: taken once, here; the map is not used again.
        let map = unsafe { ManuallyDrop::take(&mut self.0) };
        map.into_values().for_each(std::mem::forget);
    }
}

/// A volume as `(numpy array (z, y, x) owning the voxels, geometry)`.
pub fn to_numpy(py: Python<'_>, v: AnyVolume) -> PyResult<(Bound<'_, PyAny>, Geom)> {
    let g = geom_of(v.geometry());
    let a = with_volume!(v, v => {
        let (data, _) = v.into_parts();
        PyArray3::from_owned_array(py, data).into_any()
    });
    Ok((a, g))
}
