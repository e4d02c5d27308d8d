//! TOML pipelines: named inputs, steps (an op, its input, its output name, its
//! parameters and auxiliary inputs by name) and the outputs to write.
//!
//! ```toml
//! [input]                 # names bound to files (relative paths: relative to the TOML file)
//! ct = "ct.nii.gz"
//! [[step]]
//! op = "gaussian"         # any name from `medvox ops`
//! input = "ct"            # an [input] name or an earlier step's output
//! output = "smooth"       # this step's result name
//! sigma = 1.0             # parameters: the CLI's long option names with '-' → '_'
//! [[step]]
//! op = "otsu"
//! input = "smooth"
//! output = "mask"
//! [[step]]
//! op = "label-stats"
//! input = "mask"
//! image = "ct"            # auxiliary inputs by name
//! output = "stats"        # a table
//! [output]                # volumes by extension, tables as .csv/.json, reports as .json
//! mask = "mask.nii.gz"
//! stats = "stats.csv"
//! ```
//!
//! [`Pipeline::parse`] checks the file's shape, every op name (closest names
//! when unknown), every key (the op's parameters when unknown), every value's
//! type, and every name reference (missing input, a later step's output — a
//! cycle —, a reused output name); [`Pipeline::plan`] binds each step to its
//! input's grid and pixel type; [`Pipeline::run`] runs the steps in memory and
//! only then writes the outputs. Nothing is written when validation fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use medvox_core::AnyVolume;
use medvox_ops::{Data, DynOutput, Inputs, OpSpec, OpsError, OutputType, Registry, VolumeInfo};
use serde::Serialize;
use serde_json::{Map, Value};

/// Errors of pipeline files and runs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// The file is not valid TOML or not of the pipeline shape.
    #[error("{path}: {reason}")]
    File {
        /// The pipeline file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A step is wrong: step number (1-based), key and reason.
    #[error("step {step}{}: {reason}", .key.as_ref().map(|k| format!(", key `{k}`")).unwrap_or_default())]
    Step {
        /// 1-based step number.
        step: usize,
        /// The key at fault, if one.
        key: Option<String>,
        /// What is wrong.
        reason: String,
    },
    /// An `[input]` or `[output]` entry is wrong.
    #[error("[{table}] `{name}`: {reason}")]
    Entry {
        /// `input` or `output`.
        table: &'static str,
        /// The name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// Reading an input or writing an output failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A step failed while running.
    #[error("step {step} ({op}) failed: {source}")]
    Run {
        /// 1-based step number.
        step: usize,
        /// Op name.
        op: String,
        /// The op's error.
        #[source]
        source: Box<OpsError>,
    },
}

type Result<T> = std::result::Result<T, PipelineError>;

/// Runs one step: the op's output and the device it ran on.
pub type Runner<'a> =
    dyn Fn(&OpSpec, &Inputs<'_>) -> std::result::Result<(DynOutput, String), OpsError> + 'a;

/// One step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// The op and its parameters (normalized: every default filled in).
    pub spec: OpSpec,
    /// Main input name.
    pub input: String,
    /// Auxiliary inputs: op's input name → pipeline name.
    pub aux: BTreeMap<String, String>,
    /// Result name.
    pub output: String,
}

/// A validated pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pipeline {
    /// Input names → files (resolved against the TOML file's folder).
    pub inputs: BTreeMap<String, PathBuf>,
    /// Steps in order.
    pub steps: Vec<Step>,
    /// Names → files to write.
    pub outputs: BTreeMap<String, PathBuf>,
}

fn step_err(step: usize, key: Option<&str>, reason: impl Into<String>) -> PipelineError {
    PipelineError::Step {
        step,
        key: key.map(str::to_string),
        reason: reason.into(),
    }
}

fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

fn closest<'a>(name: &str, known: impl Iterator<Item = &'a String>) -> String {
    let mut v: Vec<&String> = known.collect();
    v.sort_by_key(|k| strsim_like(k, name));
    let list: Vec<String> = v.iter().take(5).map(|s| format!("`{s}`")).collect();
    if list.is_empty() {
        "none".into()
    } else {
        list.join(", ")
    }
}

/// Edit distance (for ordering "did you mean" lists).
fn strsim_like(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let c = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + c);
        }
        prev = cur;
    }
    prev[b.len()]
}

impl Pipeline {
    /// Reads and validates a pipeline file; `inputs`/`outputs` override or add
    /// `[input]`/`[output]` entries (`--input NAME=PATH`).
    pub fn load(
        registry: &Registry,
        path: &Path,
        inputs: &[(String, PathBuf)],
        outputs: &[(String, PathBuf)],
    ) -> Result<Pipeline> {
        let text = std::fs::read_to_string(path).map_err(|e| PipelineError::Io {
            path: path.display().to_string(),
            source: Box::new(e),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut p = Self::parse(registry, &text, base).map_err(|e| match e {
            PipelineError::File { reason, .. } => PipelineError::File {
                path: path.display().to_string(),
                reason,
            },
            e => e,
        })?;
        for (n, f) in inputs {
            p.inputs.insert(n.clone(), f.clone());
        }
        for (n, f) in outputs {
            p.outputs.insert(n.clone(), f.clone());
        }
        p.check_names(registry)?;
        Ok(p)
    }

    /// Parses and validates pipeline text; relative paths are resolved against `base`.
    pub fn parse(registry: &Registry, text: &str, base: &Path) -> Result<Pipeline> {
        let file = |reason: String| PipelineError::File {
            path: "pipeline".into(),
            reason,
        };
        let doc: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| file(e.to_string()))?;
        for k in doc.keys() {
            if !["input", "step", "output", "name", "description"].contains(&k.as_str()) {
                return Err(file(format!(
                    "unknown top-level key `{k}` (expected [input], [[step]], [output], name, description)"
                )));
            }
        }
        let paths = |table: &'static str| -> Result<BTreeMap<String, PathBuf>> {
            let mut out = BTreeMap::new();
            match doc.get(table) {
                None => {}
                Some(toml::Value::Table(t)) => {
                    for (k, v) in t {
                        let Some(s) = v.as_str() else {
                            return Err(PipelineError::Entry {
                                table,
                                name: k.clone(),
                                reason: format!(
                                    "expected a file path (string), got {}",
                                    v.type_str()
                                ),
                            });
                        };
                        out.insert(k.clone(), base.join(s));
                    }
                }
                Some(v) => {
                    return Err(file(format!(
                        "[{table}] must be a table of name = \"path\", got {}",
                        v.type_str()
                    )))
                }
            }
            Ok(out)
        };
        let inputs = paths("input")?;
        let outputs = paths("output")?;
        let steps_v = match doc.get("step") {
            None => Vec::new(),
            Some(toml::Value::Array(a)) => a.clone(),
            Some(v) => {
                return Err(file(format!(
                    "`step` must be an array of tables ([[step]]), got {}",
                    v.type_str()
                )))
            }
        };
        let mut steps = Vec::new();
        for (i, sv) in steps_v.iter().enumerate() {
            let n = i + 1;
            let Some(t) = sv.as_table() else {
                return Err(step_err(n, None, "a step must be a table ([[step]])"));
            };
            let s = |key: &str| -> Result<String> {
                match t.get(key) {
                    Some(toml::Value::String(s)) => Ok(s.clone()),
                    Some(v) => Err(step_err(
                        n,
                        Some(key),
                        format!("expected a name (string), got {}", v.type_str()),
                    )),
                    None => Err(step_err(
                        n,
                        Some(key),
                        "missing (every step needs op, input and output)",
                    )),
                }
            };
            let op_name = s("op")?;
            let op = registry
                .get(&op_name)
                .map_err(|e| step_err(n, Some("op"), e.to_string()))?;
            let (input, output) = (s("input")?, s("output")?);
            let aux_names: Vec<&str> = op.aux().iter().map(|a| a.name).collect();
            let mut aux = BTreeMap::new();
            let mut params = Map::new();
            for (k, v) in t {
                if ["op", "input", "output"].contains(&k.as_str()) {
                    continue;
                }
                if aux_names.contains(&k.as_str()) {
                    aux.insert(k.clone(), s(k)?);
                    continue;
                }
                if !op.params().iter().any(|p| p.name == k.as_str()) {
                    let mut known: Vec<String> =
                        op.params().iter().map(|p| p.name.to_string()).collect();
                    known.extend(aux_names.iter().map(|a| format!("{a} (input)")));
                    return Err(step_err(
                        n,
                        Some(k),
                        format!(
                            "unknown parameter of `{op_name}` (its parameters: {})",
                            if known.is_empty() {
                                "none".into()
                            } else {
                                known.join(", ")
                            }
                        ),
                    ));
                }
                params.insert(k.clone(), toml_to_json(v));
            }
            let params = op.normalize(&params).map_err(|e| match e {
                OpsError::BadParam {
                    key,
                    expected,
                    reason,
                    ..
                } => step_err(n, Some(&key), format!("expected {expected}: {reason}")),
                e => step_err(n, None, e.to_string()),
            })?;
            for a in op.aux() {
                if a.required && !aux.contains_key(a.name) {
                    return Err(step_err(
                        n,
                        Some(a.name),
                        format!("`{op_name}` needs the input `{}` ({})", a.name, a.doc),
                    ));
                }
            }
            steps.push(Step {
                spec: OpSpec {
                    op: op_name,
                    params,
                },
                input,
                aux,
                output,
            });
        }
        let p = Pipeline {
            inputs,
            steps,
            outputs,
        };
        Ok(p)
    }

    /// Checks every name reference: inputs exist and come before use, outputs
    /// are not reused, every `[output]` name is produced.
    pub fn check_names(&self, _registry: &Registry) -> Result<()> {
        if self.steps.is_empty() {
            return Err(PipelineError::File {
                path: "pipeline".into(),
                reason: "no [[step]]".into(),
            });
        }
        let mut known: Vec<String> = self.inputs.keys().cloned().collect();
        for (i, s) in self.steps.iter().enumerate() {
            let n = i + 1;
            let refs = std::iter::once(("input".to_string(), &s.input))
                .chain(s.aux.iter().map(|(k, v)| (k.clone(), v)));
            for (key, name) in refs {
                if known.contains(name) {
                    continue;
                }
                let later = self.steps[i..].iter().position(|t| &t.output == name);
                let reason = match later {
                    Some(j) => format!(
                        "`{name}` is the output of step {} (this step or a later one): a cycle",
                        n + j
                    ),
                    None => format!(
                        "`{name}` is not an [input] name or an earlier step's output (known: {})",
                        closest(name, known.iter())
                    ),
                };
                return Err(step_err(n, Some(&key), reason));
            }
            if known.contains(&s.output) {
                let what = if self.inputs.contains_key(&s.output) {
                    "an [input] name".to_string()
                } else {
                    let j = self.steps[..i]
                        .iter()
                        .position(|t| t.output == s.output)
                        .unwrap_or(0);
                    format!("the output of step {}", j + 1)
                };
                return Err(step_err(
                    n,
                    Some("output"),
                    format!("output name `{}` is already {what}", s.output),
                ));
            }
            known.push(s.output.clone());
        }
        for name in self.outputs.keys() {
            if !known.contains(name) || self.inputs.contains_key(name) {
                return Err(PipelineError::Entry {
                    table: "output",
                    name: name.clone(),
                    reason: format!(
                        "not a step's output (outputs: {})",
                        closest(name, self.steps.iter().map(|s| &s.output))
                    ),
                });
            }
        }
        Ok(())
    }

    /// Reads every `[input]` file (first volume of each).
    pub fn read_inputs(&self) -> Result<BTreeMap<String, AnyVolume>> {
        self.inputs
            .iter()
            .map(|(n, p)| {
                medvox_io::read(p)
                    .map(|img| (n.clone(), img.into_first()))
                    .map_err(|e| PipelineError::Io {
                        path: p.display().to_string(),
                        source: Box::new(e),
                    })
            })
            .collect()
    }

    /// Binds every step to its input's grid and pixel type (the plan of `--dry-run`);
    /// checks that every `[output]` file's extension fits what the step produces.
    pub fn plan(
        &self,
        registry: &Registry,
        inputs: &BTreeMap<String, VolumeInfo>,
    ) -> Result<Vec<PlannedStep>> {
        let mut infos: BTreeMap<String, Option<VolumeInfo>> =
            inputs.iter().map(|(k, v)| (k.clone(), Some(*v))).collect();
        let mut live: u64 = inputs.values().map(bytes).sum();
        let mut out = Vec::new();
        for (i, s) in self.steps.iter().enumerate() {
            let n = i + 1;
            let Some(Some(info)) = infos.get(&s.input) else {
                return Err(step_err(
                    n,
                    Some("input"),
                    format!("`{}` is not a volume", s.input),
                ));
            };
            let bound = registry
                .bind(&s.spec, info)
                .map_err(|e| step_err(n, None, e.to_string()))?;
            let next = match bound.output {
                OutputType::Volume(t) => Some(VolumeInfo {
                    size: bound.size,
                    pixel_type: t,
                    geometry: info.geometry,
                }),
                _ => None,
            };
            live += next.as_ref().map_or(0, bytes);
            if let Some(path) = self.outputs.get(&s.output) {
                check_extension(n, &bound.output, path)?;
            }
            infos.insert(s.output.clone(), next);
            out.push(PlannedStep {
                step: n,
                op: s.spec.op.clone(),
                input: s.input.clone(),
                output: s.output.clone(),
                kind: bound.kind,
                halo: bound.kind.halo(),
                output_type: bound.output,
                size: bound.size,
                peak_bytes: live,
            });
        }
        Ok(out)
    }

    /// Validates against the inputs, runs every step in memory with `runner`
    /// (the CPU registry or a device-aware one), then writes the outputs.
    pub fn run(
        &self,
        registry: &Registry,
        inputs: BTreeMap<String, AnyVolume>,
        runner: &Runner<'_>,
    ) -> Result<RunReport> {
        let (mut report, results) = self.execute(registry, inputs, runner)?;
        for (name, path) in &self.outputs {
            write_output(&results[name], path)?;
            report.written.push(path.display().to_string());
        }
        Ok(report)
    }

    /// Validates against the inputs and runs every step in memory; returns the
    /// run report (nothing written) and every step's output by name.
    pub fn execute(
        &self,
        registry: &Registry,
        inputs: BTreeMap<String, AnyVolume>,
        runner: &Runner<'_>,
    ) -> Result<(RunReport, BTreeMap<String, DynOutput>)> {
        let infos = inputs
            .iter()
            .map(|(k, v)| (k.clone(), VolumeInfo::of(v)))
            .collect();
        self.plan(registry, &infos)?;
        let t0 = Instant::now();
        let mut vols = inputs;
        let mut results: BTreeMap<String, DynOutput> = BTreeMap::new();
        let mut reports = Vec::new();
        for (i, s) in self.steps.iter().enumerate() {
            let n = i + 1;
            let aux: BTreeMap<String, AnyVolume> = s
                .aux
                .iter()
                .map(|(k, v)| (k.clone(), vols[v].clone()))
                .collect();
            let t = Instant::now();
            let (out, device) = runner(
                &s.spec,
                &Inputs {
                    main: &vols[&s.input],
                    aux: &aux,
                },
            )
            .map_err(|source| PipelineError::Run {
                step: n,
                op: s.spec.op.clone(),
                source: Box::new(source),
            })?;
            reports.push(StepReport {
                step: n,
                op: s.spec.op.clone(),
                input: s.input.clone(),
                output: s.output.clone(),
                params: Value::Object(s.spec.params.clone()),
                report: out.report.clone(),
                seconds: t.elapsed().as_secs_f64(),
                device,
            });
            if let Data::Volume(v) = &out.data {
                vols.insert(s.output.clone(), v.clone());
            }
            results.insert(s.output.clone(), out);
        }
        let report = RunReport {
            steps: reports,
            total_seconds: t0.elapsed().as_secs_f64(),
            written: Vec::new(),
        };
        Ok((report, results))
    }
}

fn bytes(v: &VolumeInfo) -> u64 {
    v.len() as u64 * v.pixel_type.size() as u64
}

fn ext(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

fn check_extension(step: usize, out: &OutputType, path: &Path) -> Result<()> {
    let name = ext(path);
    let ok = match out {
        OutputType::Volume(_) => medvox_io::writer_for(path).is_ok(),
        OutputType::Table => name.ends_with(".csv") || name.ends_with(".json"),
        _ => name.ends_with(".json"),
    };
    if ok {
        Ok(())
    } else {
        let want = match out {
            OutputType::Volume(_) => "an image extension (.nii, .nii.gz, .nrrd, .mha…)",
            OutputType::Table => ".csv or .json (a table)",
            _ => ".json (a report)",
        };
        Err(step_err(
            step,
            Some("output"),
            format!("{} needs {want}", path.display()),
        ))
    }
}

/// Writes one step output: a volume by extension, a table as .csv or .json, a report as .json.
pub fn write_output(out: &DynOutput, path: &Path) -> Result<()> {
    let io = |e: Box<dyn std::error::Error + Send + Sync>| PipelineError::Io {
        path: path.display().to_string(),
        source: e,
    };
    let bytes = match &out.data {
        Data::Volume(v) => return medvox_io::write(path, v).map_err(|e| io(Box::new(e))),
        Data::Table(t) if ext(path).ends_with(".csv") => t.to_csv().into_bytes(),
        Data::Table(t) => {
            (serde_json::to_string_pretty(&t.to_json()).unwrap_or_default() + "\n").into_bytes()
        }
        _ => (serde_json::to_string_pretty(&out.report).unwrap_or_default() + "\n").into_bytes(),
    };
    medvox_io::atomic::write_bytes_atomic(path, &bytes).map_err(|e| io(Box::new(e)))
}

/// One line of the dry-run plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedStep {
    /// 1-based step number.
    pub step: usize,
    /// Op name.
    pub op: String,
    /// Main input name.
    pub input: String,
    /// Output name.
    pub output: String,
    /// How the op can be cut into blocks.
    pub kind: medvox_ops::Kind,
    /// Halo of the local part (voxels).
    pub halo: [usize; 3],
    /// What it produces.
    pub output_type: OutputType,
    /// Output grid size.
    pub size: [usize; 3],
    /// Estimated peak memory so far (every named volume kept in memory).
    pub peak_bytes: u64,
}

/// One step of a run report.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// 1-based step number.
    pub step: usize,
    /// Op name.
    pub op: String,
    /// Main input name.
    pub input: String,
    /// Output name.
    pub output: String,
    /// Parameters (every default filled in).
    pub params: Value,
    /// The op's report (threshold, component count…).
    pub report: Value,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Where it ran.
    pub device: String,
}

/// What `medvox pipeline run --report` writes.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Per step.
    pub steps: Vec<StepReport>,
    /// Seconds for all steps.
    pub total_seconds: f64,
    /// Files written.
    pub written: Vec<String>,
}
