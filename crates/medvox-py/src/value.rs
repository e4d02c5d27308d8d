//! Python values ⇄ JSON values (op parameters in, reports out).

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// A parameter value: None, bool, int, float (finite), str, path, a list or
/// tuple of those, numpy scalars and arrays (through `tolist()`).
pub fn from_py(ob: &Bound<'_, PyAny>) -> Result<Value, String> {
    if ob.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = ob.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if ob.is_instance_of::<PyInt>() {
        return int(ob);
    }
    if ob.is_instance_of::<PyFloat>() {
        return float(ob);
    }
    if let Ok(s) = ob.cast::<PyString>() {
        return s
            .to_cow()
            .map(|s| Value::String(s.into_owned()))
            .map_err(|e| e.to_string());
    }
    if ob.is_instance_of::<PyList>() || ob.is_instance_of::<PyTuple>() {
        let items = ob.try_iter().map_err(|e| e.to_string())?;
        return items
            .map(|x| from_py(&x.map_err(|e| e.to_string())?))
            .collect::<Result<_, _>>()
            .map(Value::Array);
    }
    if ob.hasattr("__fspath__").unwrap_or(false) {
        let p: std::path::PathBuf = ob.extract().map_err(|e: PyErr| e.to_string())?;
        return Ok(Value::String(p.to_string_lossy().into_owned()));
    }
    // numpy scalars and arrays: bool_, integer, floating, ndarray.
    if ob.hasattr("dtype").unwrap_or(false) && ob.hasattr("tolist").unwrap_or(false) {
        let v = ob.call_method0("tolist").map_err(|e| e.to_string())?;
        if !v.is(ob) {
            return from_py(&v);
        }
    }
    Err(format!(
        "expected a number, bool, text or a list of them, got {}",
        ob.get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "an object".into())
    ))
}

fn int(ob: &Bound<'_, PyAny>) -> Result<Value, String> {
    if let Ok(i) = ob.extract::<i64>() {
        return Ok(Value::from(i));
    }
    ob.extract::<u64>()
        .map(Value::from)
        .map_err(|_| format!("{ob} is out of range"))
}

fn float(ob: &Bound<'_, PyAny>) -> Result<Value, String> {
    let x: f64 = ob.extract().map_err(|e: PyErr| e.to_string())?;
    Number::from_f64(x)
        .map(Value::Number)
        .ok_or_else(|| format!("{x} is not a finite number"))
}

/// A JSON value as Python: dict, list, int, float, str, bool or None.
pub fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(a) => PyList::new(
            py,
            a.iter()
                .map(|x| to_py(py, x))
                .collect::<PyResult<Vec<_>>>()?,
        )?
        .into_any(),
        Value::Object(m) => object(py, m)?.into_any(),
    })
}

fn object<'py>(py: Python<'py>, m: &Map<String, Value>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, x) in m {
        d.set_item(k, to_py(py, x)?)?;
    }
    Ok(d)
}
