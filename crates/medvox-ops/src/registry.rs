//! [`Registry`]: every op by name, driven by JSON/TOML parameters.

use std::collections::BTreeMap;

use medvox_core::Executor;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{OpsError, Result};
use crate::op::{AuxInfo, Bound, Data, Inputs, Op, VolumeInfo};
use crate::param::{Describe, ParamInfo};
use crate::spec::OpSpec;

/// An op's result with its report as JSON.
#[derive(Debug, Clone)]
pub struct DynOutput {
    /// The volume or table.
    pub data: Data,
    /// The typed report, serialised (`null` for none).
    pub report: Value,
}

/// The object-safe face of an [`Op`]: parameters as JSON objects. Implemented for
/// every `Op`; the registry holds these.
pub trait DynOp: Send + Sync {
    /// Unique name.
    fn name(&self) -> &'static str;
    /// Command family (`filter`, `segment`, `label`).
    fn group(&self) -> &'static str;
    /// Documentation.
    fn doc(&self) -> &'static str;
    /// Parameters: name, type, default, doc.
    fn params(&self) -> Vec<ParamInfo>;
    /// Auxiliary inputs.
    fn aux(&self) -> Vec<AuxInfo>;
    /// Whether it reports anything besides its output (its report type is not `()`).
    fn has_report(&self) -> bool;
    /// Checks every key and value and returns the full parameter object (every
    /// default filled in): the canonical form of a spec.
    fn normalize(&self, params: &Map<String, Value>) -> Result<Map<String, Value>>;
    /// [`Op::bind`] on normalized parameters.
    fn bind(&self, params: &Map<String, Value>, input: &VolumeInfo) -> Result<Bound>;
    /// [`Op::warnings`].
    fn warnings(&self, params: &Map<String, Value>, input: &VolumeInfo) -> Vec<String>;
    /// [`Op::run`] on normalized parameters (validated by `bind` first).
    fn run(
        &self,
        params: &Map<String, Value>,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> Result<DynOutput>;
}

fn parse<O: Op>(op: &O, params: &Map<String, Value>) -> Result<O::Params> {
    let infos = O::Params::describe();
    for (k, v) in params {
        let Some(info) = infos.iter().find(|i| i.name == k.as_str()) else {
            return Err(OpsError::UnknownParam {
                op: Op::name(op).into(),
                key: k.clone(),
                known: infos.iter().map(|i| i.name.to_string()).collect(),
            });
        };
        // One key at a time, so a type error names its key.
        let one = Value::Object(Map::from_iter([(k.clone(), v.clone())]));
        if let Err(e) = serde_json::from_value::<O::Params>(one) {
            return Err(OpsError::BadParam {
                op: Op::name(op).into(),
                key: k.clone(),
                expected: info.kind.describe(),
                reason: e.to_string(),
            });
        }
    }
    serde_json::from_value(Value::Object(params.clone())).map_err(|e| OpsError::Invalid {
        op: Op::name(op).into(),
        reason: e.to_string(),
    })
}

impl<O: Op> DynOp for O {
    fn name(&self) -> &'static str {
        Op::name(self)
    }
    fn group(&self) -> &'static str {
        Op::group(self)
    }
    fn doc(&self) -> &'static str {
        Op::doc(self)
    }
    fn params(&self) -> Vec<ParamInfo> {
        O::Params::describe()
    }
    fn aux(&self) -> Vec<AuxInfo> {
        Op::aux(self)
    }
    fn has_report(&self) -> bool {
        std::mem::size_of::<O::Report>() != 0
    }
    fn normalize(&self, params: &Map<String, Value>) -> Result<Map<String, Value>> {
        let p = parse(self, params)?;
        match serde_json::to_value(&p) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Ok(Map::new()),
            Err(e) => Err(OpsError::Failed(Box::new(e))),
        }
    }
    fn bind(&self, params: &Map<String, Value>, input: &VolumeInfo) -> Result<Bound> {
        Op::bind(self, &parse(self, params)?, input)
    }
    fn warnings(&self, params: &Map<String, Value>, input: &VolumeInfo) -> Vec<String> {
        parse(self, params)
            .map(|p| Op::warnings(self, &p, input))
            .unwrap_or_default()
    }
    fn run(
        &self,
        params: &Map<String, Value>,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> Result<DynOutput> {
        let p = parse(self, params)?;
        for a in Op::aux(self) {
            if a.required && inputs.aux(a.name).is_none() {
                return Err(OpsError::Input {
                    op: Op::name(self).into(),
                    reason: format!("auxiliary input `{}` is required", a.name),
                });
            }
        }
        Op::bind(self, &p, &VolumeInfo::of(inputs.main))?;
        let out = Op::run(self, &p, inputs, exec)?;
        let report =
            serde_json::to_value(&out.report).map_err(|e| OpsError::Failed(Box::new(e)))?;
        Ok(DynOutput {
            data: out.data,
            report,
        })
    }
}

/// Every op by name. Build it with [`Registry::new`] and each op crate's
/// `register` function (see the crate docs).
#[derive(Default)]
pub struct Registry {
    ops: Vec<Box<dyn DynOp>>,
    by_name: BTreeMap<&'static str, usize>,
    duplicates: Vec<&'static str>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("ops", &self.by_name.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// One op as `medvox ops --json` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct OpInfo {
    /// Name.
    pub name: &'static str,
    /// Command family.
    pub group: &'static str,
    /// Documentation.
    pub doc: &'static str,
    /// Parameters.
    pub params: Vec<ParamInfo>,
    /// Auxiliary inputs.
    pub aux: Vec<AuxInfo>,
    /// Whether a run returns a report besides its output (threshold, counts…).
    pub report: bool,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers an op (the one line a new op needs, in its crate's `register`).
    pub fn add<O: Op>(&mut self, op: O) -> &mut Self {
        let name = Op::name(&op);
        if self.by_name.contains_key(name) {
            self.duplicates.push(name);
        } else {
            self.by_name.insert(name, self.ops.len());
            self.ops.push(Box::new(op));
        }
        self
    }

    /// Errors when a name was registered twice.
    pub fn check_unique(&self) -> Result<()> {
        match self.duplicates.first() {
            Some(d) => Err(OpsError::Duplicate(d.to_string())),
            None => Ok(()),
        }
    }

    /// Op names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.by_name.keys().copied()
    }

    /// Every op, sorted by name.
    pub fn ops(&self) -> impl Iterator<Item = &dyn DynOp> + '_ {
        self.by_name.values().map(|&i| self.ops[i].as_ref())
    }

    /// The op `name`, or [`OpsError::UnknownOp`] with the closest names.
    pub fn get(&self, name: &str) -> Result<&dyn DynOp> {
        match self.by_name.get(name) {
            Some(&i) => Ok(self.ops[i].as_ref()),
            None => Err(OpsError::UnknownOp {
                name: name.into(),
                closest: self.closest(name),
            }),
        }
    }

    /// Up to three registered names nearest to `name` (edit distance).
    pub fn closest(&self, name: &str) -> Vec<String> {
        let mut d: Vec<(usize, &str)> = self
            .names()
            .map(|n| {
                let mut s = strsim::levenshtein(n, name);
                if n.contains(name) || name.contains(n) {
                    s = s.min(1);
                }
                (s, n)
            })
            .collect();
        d.sort();
        d.into_iter()
            .filter(|(s, _)| *s <= 3.max(name.len() / 2))
            .take(3)
            .map(|(_, n)| n.to_string())
            .collect()
    }

    /// The listing of `medvox ops --json`.
    pub fn info(&self) -> Vec<OpInfo> {
        self.ops()
            .map(|o| OpInfo {
                name: o.name(),
                group: o.group(),
                doc: o.doc(),
                params: o.params(),
                aux: o.aux(),
                report: o.has_report(),
            })
            .collect()
    }

    /// The spec with every parameter checked and every default filled in.
    pub fn normalize(&self, spec: &OpSpec) -> Result<OpSpec> {
        let op = self.get(&spec.op)?;
        Ok(OpSpec {
            op: spec.op.clone(),
            params: op.normalize(&spec.params)?,
        })
    }

    /// Binds a spec to an input.
    pub fn bind(&self, spec: &OpSpec, input: &VolumeInfo) -> Result<Bound> {
        self.get(&spec.op)?.bind(&spec.params, input)
    }

    /// Runs a spec on the CPU.
    pub fn run(&self, spec: &OpSpec, inputs: &Inputs<'_>, exec: &Executor) -> Result<DynOutput> {
        self.get(&spec.op)?.run(&spec.params, inputs, exec)
    }
}
