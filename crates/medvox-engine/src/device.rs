//! Running an op spec on a device: the CPU registry, or medvox-gpu's kernels
//! for the ops that have one (the filters the GPU backend knows, Otsu without a
//! mask, connected components). One place for the CLI's `--device`, pipelines
//! and the Python module's `device=`.

use medvox_core::{AnyVolume, Executor};
pub use medvox_gpu::Device;
use medvox_gpu::{GpuBackend, GpuError};
use medvox_ops::{Data, DynOutput, Inputs, OpSpec, OpsError};
use serde_json::{json, Value};

fn failed(e: GpuError) -> OpsError {
    OpsError::Failed(Box::new(e))
}

/// The GPU was asked for an op it cannot run (no kernel, no adapter).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DeviceError(pub String);

/// Runs `spec` on `device`: the output and the device it ran on (`"cpu"` or
/// `"gpu"`). `note` receives what a user may want to know ("device: gpu
/// (adapter)", "device: cpu (why not the GPU)"). Under [`Device::Gpu`] an op
/// without a kernel, or a missing adapter, is an error; under [`Device::Auto`]
/// it runs on the CPU with a note.
pub fn run(
    spec: &OpSpec,
    inputs: &Inputs<'_>,
    exec: &Executor,
    device: Device,
    note: &mut dyn FnMut(String),
) -> Result<(DynOutput, String), OpsError> {
    let cpu = |note: &mut dyn FnMut(String), why: Option<String>| {
        if let Some(w) = why {
            note(format!("device: cpu ({w})"));
        }
        crate::registry()
            .run(spec, inputs, exec)
            .map(|o| (o, "cpu".to_string()))
    };
    if device == Device::Cpu {
        return cpu(note, None);
    }
    let vol = inputs.main;
    if inputs.aux.is_empty() {
        if let Some(f) = medvox_filters::ops::library_filter(spec) {
            let f = f.map_err(|e| OpsError::Failed(Box::new(e)))?;
            let (backend, said) = medvox_gpu::select(device, &f, vol, exec).map_err(failed)?;
            if said.starts_with("device: cpu") {
                note(said);
                return cpu(note, None);
            }
            note(said);
            return match backend.apply(&f, vol) {
                Ok(v) => Ok((
                    DynOutput {
                        data: Data::Volume(v),
                        report: Value::Null,
                    },
                    "gpu".into(),
                )),
                // Turned down at run time (e.g. more distinct values than the GPU histogram).
                Err(e) if device == Device::Auto && e.is_unsupported() => {
                    cpu(note, Some(e.to_string()))
                }
                Err(e) => Err(failed(e)),
            };
        }
    }
    let name = spec.op.as_str();
    let kernel = match (name, inputs.aux.is_empty()) {
        ("otsu", true) => medvox_gpu::volume::check_type(vol).map_err(|e| e.to_string()),
        ("components", _) => Ok(()),
        ("otsu", false) => Err(format!(
            "{name}: no GPU kernel with a mask (use device cpu or auto)"
        )),
        _ => Err(format!("{name}: no GPU kernel (use device cpu or auto)")),
    };
    let gpu = kernel.and_then(|()| GpuBackend::new().map_err(|e| e.to_string()));
    let gpu = match (gpu, device) {
        (Ok(g), _) => g,
        (Err(why), Device::Auto) => return cpu(note, Some(why)),
        (Err(why), _) => return Err(OpsError::Failed(Box::new(DeviceError(why)))),
    };
    note(format!("device: gpu ({})", gpu.context().info().name));
    Ok((segment_on(&gpu, spec, vol)?, "gpu".into()))
}

/// Runs Otsu or connected components on `gpu`.
pub fn segment_on(gpu: &GpuBackend, spec: &OpSpec, vol: &AnyVolume) -> Result<DynOutput, OpsError> {
    let c = gpu.context();
    Ok(match spec.op.as_str() {
        "otsu" => {
            let bins = spec
                .params
                .get("bins")
                .and_then(Value::as_u64)
                .unwrap_or(256) as usize;
            let t = medvox_gpu::ops::otsu::otsu(c, vol, bins).map_err(failed)?;
            DynOutput {
                data: Data::Volume(t.mask.into()),
                report: json!({ "threshold": t.thresholds[0] }),
            }
        }
        _ => {
            let p: medvox_segment::ops::ComponentsOpParams =
                serde_json::from_value(Value::Object(spec.params.clone()))
                    .map_err(|e| OpsError::Failed(Box::new(e)))?;
            let p = p.to_params().map_err(|e| OpsError::Failed(Box::new(e)))?;
            let l = medvox_gpu::ops::components::components_host(c, vol, &p).map_err(failed)?;
            DynOutput {
                report: json!({ "components": l.sizes.len(), "sizes": l.sizes }),
                data: Data::Volume(l.labels.into()),
            }
        }
    })
}
