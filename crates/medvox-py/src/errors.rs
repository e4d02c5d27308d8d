//! Errors as Python exceptions: the classes of `medvox.errors` (format,
//! parameter, geometry, device), the CLI's one-line message.

use std::path::Path;

use medvox_core::CoreError;
use medvox_ops::OpsError;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// Which exception class of `medvox.errors` a failure raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// `MedvoxError` (anything else).
    Medvox,
    /// `FormatError`: a file could not be read or written.
    Format,
    /// `ParameterError`: a parameter (or an input for it) is wrong.
    Parameter,
    /// `GeometryError`: spacing, origin or direction are not usable.
    Geometry,
    /// `DeviceError`: the GPU is missing or turned the op down.
    Device,
    /// Python's `TypeError` (an argument of the wrong kind).
    Type,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Medvox => "MedvoxError",
            Class::Format => "FormatError",
            Class::Parameter => "ParameterError",
            Class::Geometry => "GeometryError",
            Class::Device => "DeviceError",
            Class::Type => "TypeError",
        }
    }
}

/// A failure on its way to Python: class and one-line message.
#[derive(Debug)]
pub struct Failure {
    class: Class,
    message: String,
}

impl Failure {
    /// A parameter error.
    pub fn parameter(message: impl Into<String>) -> Self {
        Failure {
            class: Class::Parameter,
            message: message.into(),
        }
    }

    /// A `TypeError`.
    pub fn type_error(message: impl Into<String>) -> Self {
        Failure {
            class: Class::Type,
            message: message.into(),
        }
    }

    /// The class and message of an error: its own text plus each cause not
    /// already in it (as the CLI prints it), classified by the first cause medvox knows.
    pub fn from_error(e: &(dyn std::error::Error + 'static)) -> Self {
        let mut message = e.to_string();
        let mut class = None;
        let mut cur = Some(e);
        while let Some(err) = cur {
            class = class.or_else(|| classify(err));
            let text = err.to_string();
            if !message.contains(&text) {
                message = format!("{message}: {text}");
            }
            cur = err.source();
        }
        // Op crates wrap core errors transparently (no `source`): their text says.
        let class = class.unwrap_or(if message.contains("invalid parameter") {
            Class::Parameter
        } else if message.contains("invalid geometry") {
            Class::Geometry
        } else {
            Class::Medvox
        });
        Failure { class, message }
    }

    /// The message prefixed by the file it concerns (unless it names it already).
    pub fn context(mut self, path: &Path) -> Self {
        let p = path.display().to_string();
        if !self.message.contains(&p) {
            self.message = format!("{p}: {}", self.message);
        }
        self
    }
}

fn classify(e: &(dyn std::error::Error + 'static)) -> Option<Class> {
    if let Some(o) = e.downcast_ref::<OpsError>() {
        return match o {
            OpsError::Failed(inner) => {
                classify(inner.as_ref()).or_else(|| inner.source().and_then(classify))
            }
            OpsError::UnknownOp { .. } | OpsError::Duplicate(_) => None,
            // As Python reports an unexpected keyword argument.
            OpsError::UnknownParam { .. } => Some(Class::Type),
            _ => Some(Class::Parameter),
        };
    }
    if let Some(c) = e.downcast_ref::<CoreError>() {
        return Some(match c {
            CoreError::Geometry(_) => Class::Geometry,
            CoreError::Parameter { .. } | CoreError::UnknownPixelType(_) => Class::Parameter,
            _ => Class::Medvox,
        });
    }
    if let Some(s) = e.downcast_ref::<medvox_segment::SegmentError>() {
        use medvox_segment::SegmentError as S;
        return match s {
            S::Parameter { .. } | S::Mismatch { .. } => Some(Class::Parameter),
            S::Filter(f) => classify(f),
            S::Core(c) => classify(c),
            _ => None,
        };
    }
    if let Some(f) = e.downcast_ref::<medvox_filters::FilterError>() {
        use medvox_filters::FilterError as F;
        return match f {
            F::Parameter { .. } => Some(Class::Parameter),
            F::Core(c) => classify(c),
            _ => None,
        };
    }
    if e.is::<medvox_io::IoError>() || e.is::<medvox_dicom::DicomError>() {
        return Some(Class::Format);
    }
    if e.is::<medvox_gpu::GpuError>() || e.is::<medvox_engine::device::DeviceError>() {
        return Some(Class::Device);
    }
    if let Some(p) = e.downcast_ref::<medvox_engine::pipeline::PipelineError>() {
        use medvox_engine::pipeline::PipelineError as P;
        return match p {
            P::Io { .. } => Some(Class::Format),
            P::Run { source, .. } => classify(source.as_ref()),
            _ => Some(Class::Parameter),
        };
    }
    None
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        let msg = medvox_core::text::one_line(&f.message).into_owned();
        if f.class == Class::Type {
            return PyTypeError::new_err(msg);
        }
        Python::attach(|py| match class(py, f.class) {
            Ok(cls) => PyErr::from_type(cls, msg),
            Err(e) => e,
        })
    }
}

/// The exception class `name` of the Python module `medvox.errors` (looked up once).
fn class(py: Python<'_>, c: Class) -> PyResult<Bound<'_, PyType>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let m = MODULE.get_or_try_init(py, || py.import("medvox.errors").map(|m| m.unbind()))?;
    Ok(m.bind(py).getattr(c.name())?.cast_into::<PyType>()?)
}

/// Runs `f`, turning a panic into a `MedvoxError` ("internal error").
pub fn catch<T>(f: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(Failure {
                class: Class::Medvox,
                message: format!("internal error (a bug in medvox, please report it): {msg}"),
            })
        }
    }
}
