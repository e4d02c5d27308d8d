//! `medvox._medvox`: the Rust half of the `medvox` Python package.
//!
//! Volumes cross the boundary as a numpy array in `(z, y, x)` order plus a
//! geometry `(spacing, origin, direction)` in ITK's `(x, y, z)` order; the Python
//! half (`python/medvox`) wraps them in `medvox.Image`, generates one function per
//! registry op and defines the exceptions. Every read, write, op and pipeline runs
//! with the GIL released; a C-contiguous, aligned numpy input of a supported dtype
//! is used in place (no copy), and results come back as numpy arrays that own the
//! Rust buffers (no copy). No panic crosses into Python: it becomes a
//! `medvox.MedvoxError`.

mod array;
mod errors;
mod value;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use medvox_core::{AnyVolume, Executor};
use medvox_engine::pipeline::{write_output, Pipeline};
use medvox_ops::{Data, DynOutput, Inputs, OpSpec};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use array::{Geom, VolumeIn};
use errors::{catch, Failure};

/// Threads of calls that do not say (`None`: rayon's global pool, all cores).
static THREADS: Mutex<Option<usize>> = Mutex::new(None);

/// The executor for `threads` (or the global setting). Pools are built once per
/// count and per calling thread, so two Python threads asking for `threads=1`
/// each get their own thread instead of queueing on a shared one.
fn executor(threads: Option<usize>) -> Result<Executor, Failure> {
    thread_local! {
        static POOLS: std::cell::RefCell<BTreeMap<usize, Executor>> =
            const { std::cell::RefCell::new(BTreeMap::new()) };
    }
    let n = threads.or(*THREADS.lock().unwrap_or_else(|e| e.into_inner()));
    let Some(n) = n else {
        return Ok(Executor::default());
    };
    if n == 0 {
        return Err(Failure::parameter("threads must be at least 1"));
    }
    POOLS.with_borrow_mut(|pools| {
        if let Some(e) = pools.get(&n) {
            return Ok(e.clone());
        }
        let e = Executor::new(n).map_err(|e| Failure::from_error(&e))?;
        pools.insert(n, e.clone());
        Ok(e)
    })
}

/// Sets the threads used by calls that do not pass `threads=` (`None`: all cores).
#[pyfunction]
#[pyo3(signature = (threads=None))]
fn set_threads(threads: Option<usize>) -> PyResult<()> {
    if threads == Some(0) {
        return Err(Failure::parameter("threads must be at least 1").into());
    }
    *THREADS.lock().unwrap_or_else(|e| e.into_inner()) = threads;
    Ok(())
}

/// The threads calls use by default (`None`: all cores).
#[pyfunction]
fn get_threads() -> Option<usize> {
    *THREADS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads every volume of a file or DICOM series: (volumes as (array, geometry), format, warnings).
#[pyfunction]
#[pyo3(signature = (path, series=None))]
#[allow(clippy::type_complexity)]
fn read<'py>(
    py: Python<'py>,
    path: PathBuf,
    series: Option<String>,
) -> PyResult<(Vec<(Bound<'py, PyAny>, Geom)>, String, Vec<String>)> {
    let (image, warnings) = py.detach(|| catch(|| read_path(&path, series.as_deref())))?;
    let format = image.format.to_string();
    let vols = image
        .volumes
        .into_iter()
        .map(|v| array::to_numpy(py, v))
        .collect::<PyResult<Vec<_>>>()?;
    Ok((vols, format, warnings))
}

/// Reads a file (any medvox-io format) or a DICOM file/folder/DICOMDIR (series
/// `series`, or the only one), with the DICOM warnings.
fn read_path(
    path: &Path,
    series: Option<&str>,
) -> Result<(medvox_io::Image, Vec<String>), Failure> {
    let ctx = |e: &(dyn std::error::Error + 'static)| Failure::from_error(e).context(path);
    if !medvox_dicom::looks_like_dicom(path) {
        if series.is_some() {
            return Err(Failure::parameter(format!(
                "series= applies to DICOM input only, {} is not DICOM",
                path.display()
            )));
        }
        return Ok((medvox_io::read(path).map_err(|e| ctx(&e))?, Vec::new()));
    }
    let r = medvox_dicom::read(path, series).map_err(|e| ctx(&e))?;
    let mut warnings: Vec<String> = r
        .series
        .warnings
        .iter()
        .map(|w| format!("series {}: {w}", r.series.id()))
        .collect();
    warnings.extend(
        r.bad
            .iter()
            .map(|(p, why)| format!("skipped {}: {why}", p.display())),
    );
    Ok((r.image, warnings))
}

/// Writes volumes (one, or the time points of a 4D image) to `path`; the format
/// comes from the extension. Inputs are not copied.
#[pyfunction]
#[pyo3(signature = (volumes, path, level=None, compress=None))]
fn write(
    py: Python<'_>,
    volumes: Vec<(Bound<'_, PyAny>, Geom)>,
    path: PathBuf,
    level: Option<u32>,
    compress: Option<bool>,
) -> PyResult<()> {
    let views = volumes
        .iter()
        .map(|(a, g)| VolumeIn::view(a, g))
        .collect::<PyResult<Vec<_>>>()?;
    let mut opts = medvox_io::WriteOptions::default();
    if let Some(l) = level {
        if !(1..=9).contains(&l) {
            return Err(Failure::parameter(format!("level {l}: expected 1 to 9")).into());
        }
        opts.level = l;
    }
    if let Some(c) = compress {
        opts.compress = c;
    }
    let vols: Vec<&AnyVolume> = views.iter().map(VolumeIn::volume).collect();
    py.detach(|| {
        catch(|| {
            let r = if vols.len() == 1 {
                medvox_io::write_with(&path, vols[0], &opts)
            } else {
                // write_series takes owned volumes: one copy for a 4D write.
                let owned: Vec<AnyVolume> = vols.iter().map(|v| (*v).clone()).collect();
                medvox_io::write_series_with(&path, &owned, &opts)
            };
            r.map_err(|e| Failure::from_error(&e).context(&path))
        })
    })?;
    Ok(())
}

/// Every op as `medvox ops --json` lists it (JSON text), with the devices that run it.
#[pyfunction]
fn ops_json() -> PyResult<String> {
    let r = medvox_engine::registry();
    // What each op makes, from binding its defaults to a small f32 volume.
    let probe = medvox_ops::VolumeInfo {
        size: [8, 8, 8],
        pixel_type: medvox_core::PixelType::F32,
        geometry: Default::default(),
    };
    let info: Vec<serde_json::Value> = r
        .info()
        .into_iter()
        .map(|i| {
            let mut v = serde_json::to_value(&i).unwrap_or_default();
            let mut devices = vec!["cpu"];
            if medvox_gpu::backend::KERNELS.contains(&i.name) {
                devices.push("gpu");
            }
            v["devices"] = devices.into();
            // Ops whose defaults do not bind (a sigma, a seed, a model is required)
            // are image-to-image in every group but `label` (which all bind).
            v["output"] = match r.bind(&OpSpec::new(i.name), &probe).map(|b| b.output) {
                Ok(medvox_ops::OutputType::Volume(_)) => "volume".into(),
                Ok(medvox_ops::OutputType::Table) => "table".into(),
                Ok(_) => "report".into(),
                Err(_) if i.group != "label" => "volume".into(),
                Err(_) => serde_json::Value::Null,
            };
            v
        })
        .collect();
    serde_json::to_string(&info).map_err(|e| Failure::from_error(&e).into())
}

/// The normalized parameters of an op (every default filled in), or the
/// parameter error the CLI would print.
#[pyfunction]
fn normalize<'py>(
    py: Python<'py>,
    name: &str,
    params: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    let spec = spec_of(name, params)?;
    let n = medvox_engine::registry()
        .normalize(&spec)
        .map_err(|e| Failure::from_error(&e))?;
    value::to_py(py, &serde_json::Value::Object(n.params))
}

fn spec_of(name: &str, params: &Bound<'_, PyDict>) -> PyResult<OpSpec> {
    let mut spec = OpSpec::new(name);
    for (k, v) in params.iter() {
        let key: String = k.extract()?;
        let val = value::from_py(&v)
            .map_err(|reason| Failure::parameter(format!("{name}: parameter `{key}`: {reason}")))?;
        spec.params.insert(key, val);
    }
    Ok(spec)
}

/// What an op makes of an input of this shape (`(z, y, x)`), pixel type and
/// geometry: `{"kind", "halo" (x, y, z), "output", "pixel_type", "size" (x, y,
/// z)}` (the plan the Dask and streaming executors cut blocks from).
#[pyfunction]
fn bind<'py>(
    py: Python<'py>,
    name: &str,
    params: &Bound<'py, PyDict>,
    shape: [usize; 3],
    pixel_type: &str,
    geometry: Geom,
) -> PyResult<Bound<'py, PyAny>> {
    let spec = spec_of(name, params)?;
    let info = volume_info(shape, pixel_type, &geometry)?;
    let b = medvox_engine::registry()
        .bind(&spec, &info)
        .map_err(|e| Failure::from_error(&e))?;
    let mut v = serde_json::to_value(&b).map_err(|e| Failure::from_error(&e))?;
    v["halo"] = serde_json::json!(b.kind.halo());
    value::to_py(py, &v)
}

fn volume_info(
    shape: [usize; 3],
    pixel_type: &str,
    geometry: &Geom,
) -> PyResult<medvox_ops::VolumeInfo> {
    Ok(medvox_ops::VolumeInfo {
        size: [shape[2], shape[1], shape[0]],
        pixel_type: pixel_type
            .parse()
            .map_err(|e: medvox_core::CoreError| Failure::from_error(&e))?,
        geometry: array::geometry(geometry)?,
    })
}

/// The dry-run plan of pipeline text for inputs of these shapes, pixel types
/// and geometries (name → `((z, y, x), pixel_type, geometry)`): one dict per step.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn plan_pipeline<'py>(
    py: Python<'py>,
    text: &str,
    base: PathBuf,
    inputs: BTreeMap<String, ([usize; 3], String, Geom)>,
) -> PyResult<Bound<'py, PyAny>> {
    let registry = medvox_engine::registry();
    let mut p = Pipeline::parse(registry, text, &base).map_err(|e| Failure::from_error(&e))?;
    let mut infos = BTreeMap::new();
    for (name, (shape, pt, g)) in &inputs {
        infos.insert(name.clone(), volume_info(*shape, pt, g)?);
        p.inputs.insert(name.clone(), PathBuf::from("<array>"));
    }
    p.check_names(registry)
        .map_err(|e| Failure::from_error(&e))?;
    let plan = p
        .plan(registry, &infos)
        .map_err(|e| Failure::from_error(&e))?;
    let v = serde_json::to_value(&plan).map_err(|e| Failure::from_error(&e))?;
    value::to_py(py, &v)
}

/// Runs one registry op: `(data, report, device)` where data is `(array,
/// geometry)` for a volume, `{"columns", "rows"}` for a table, or `None`.
#[pyfunction]
#[pyo3(signature = (name, params, image, geometry, aux, threads=None, device="cpu"))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn run_op<'py>(
    py: Python<'py>,
    name: &str,
    params: &Bound<'py, PyDict>,
    image: &Bound<'py, PyAny>,
    geometry: Geom,
    aux: BTreeMap<String, (Bound<'py, PyAny>, Geom)>,
    threads: Option<usize>,
    device: &str,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>, String)> {
    let spec = spec_of(name, params)?;
    let device = parse_device(device)?;
    let exec = executor(threads)?;
    let main = VolumeIn::view(image, &geometry)?;
    let aux_in = aux
        .iter()
        .map(|(k, (a, g))| Ok((k.clone(), VolumeIn::view(a, g)?)))
        .collect::<PyResult<Vec<_>>>()?;
    let out = {
        let aux_map = array::BorrowedMap::new(&aux_in);
        let main = main.volume();
        let aux = aux_map.get();
        py.detach(|| {
            catch(|| {
                let inputs = Inputs { main, aux };
                medvox_engine::device::run(&spec, &inputs, &exec, device, &mut |_| {})
                    .map_err(|e| Failure::from_error(&e))
            })
        })
    };
    let (out, used) = out?;
    let data = output_to_py(py, out.data)?;
    Ok((data, value::to_py(py, &out.report)?, used))
}

fn parse_device(d: &str) -> PyResult<medvox_engine::device::Device> {
    d.parse()
        .map_err(|e: String| Failure::parameter(format!("device: {e}")).into())
}

fn output_to_py(py: Python<'_>, data: Data) -> PyResult<Bound<'_, PyAny>> {
    Ok(match data {
        Data::Volume(v) => array::to_numpy(py, v)?.into_pyobject(py)?.into_any(),
        Data::Table(t) => {
            let d = PyDict::new(py);
            d.set_item("columns", t.columns)?;
            d.set_item(
                "rows",
                value::to_py(
                    py,
                    &serde_json::Value::Array(
                        t.rows.into_iter().map(serde_json::Value::Array).collect(),
                    ),
                )?,
            )?;
            d.into_any()
        }
        _ => py.None().into_bound(py),
    })
}

/// Runs a TOML pipeline: `inputs` maps names to `(array, geometry)` or a path,
/// `outputs` adds files to write. Returns every step's output by name and the
/// run report (as `medvox pipeline run --report` writes it).
#[pyfunction]
#[pyo3(signature = (text, base, inputs, outputs, threads=None, device="cpu"))]
#[allow(clippy::too_many_arguments)]
fn run_pipeline<'py>(
    py: Python<'py>,
    text: &str,
    base: PathBuf,
    inputs: &Bound<'py, PyDict>,
    outputs: BTreeMap<String, PathBuf>,
    threads: Option<usize>,
    device: &str,
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyAny>)> {
    let registry = medvox_engine::registry();
    let device = parse_device(device)?;
    let exec = executor(threads)?;
    let mut p = Pipeline::parse(registry, text, &base).map_err(|e| Failure::from_error(&e))?;
    // Arrays are copied: the pipeline owns its volumes while it runs.
    let mut given: BTreeMap<String, AnyVolume> = BTreeMap::new();
    for (k, v) in inputs.iter() {
        let name: String = k.extract()?;
        if v.is_instance_of::<PyString>() || v.hasattr("__fspath__")? {
            let path: PathBuf = v.extract()?;
            p.inputs.insert(name, path);
        } else {
            let (a, g): (Bound<'py, PyAny>, Geom) = v.extract()?;
            given.insert(name.clone(), VolumeIn::view(&a, &g)?.volume().clone());
            p.inputs.insert(name, PathBuf::from("<array>"));
        }
    }
    p.outputs.extend(outputs);
    p.check_names(registry)
        .map_err(|e| Failure::from_error(&e))?;
    let (report, results) = py.detach(|| {
        catch(|| {
            let mut vols = given;
            for (n, path) in &p.inputs {
                if !vols.contains_key(n) {
                    let (img, _) = read_path(path, None)?;
                    vols.insert(n.clone(), img.into_first());
                }
            }
            let runner = |spec: &OpSpec, inputs: &Inputs<'_>| {
                medvox_engine::device::run(spec, inputs, &exec, device, &mut |_| {})
            };
            let (mut report, results) = p
                .execute(registry, vols, &runner)
                .map_err(|e| Failure::from_error(&e))?;
            for (name, path) in &p.outputs {
                write_output(&results[name], path).map_err(|e| Failure::from_error(&e))?;
                report.written.push(path.display().to_string());
            }
            Ok((report, results))
        })
    })?;
    let out = PyDict::new(py);
    for (name, r) in results {
        let DynOutput { data, report } = r;
        let t = (output_to_py(py, data)?, value::to_py(py, &report)?);
        out.set_item(name, t)?;
    }
    let report = serde_json::to_value(&report).map_err(|e| Failure::from_error(&e))?;
    Ok((out, value::to_py(py, &report)?))
}

/// The `medvox._medvox` module.
#[pymodule]
fn _medvox(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(read, m)?)?;
    m.add_function(wrap_pyfunction!(write, m)?)?;
    m.add_function(wrap_pyfunction!(ops_json, m)?)?;
    m.add_function(wrap_pyfunction!(normalize, m)?)?;
    m.add_function(wrap_pyfunction!(run_op, m)?)?;
    m.add_function(wrap_pyfunction!(run_pipeline, m)?)?;
    m.add_function(wrap_pyfunction!(bind, m)?)?;
    m.add_function(wrap_pyfunction!(plan_pipeline, m)?)?;
    m.add_function(wrap_pyfunction!(set_threads, m)?)?;
    m.add_function(wrap_pyfunction!(get_threads, m)?)?;
    Ok(())
}
