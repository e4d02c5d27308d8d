//! The [`Op`] trait: what one registered op declares and does.

use std::collections::BTreeMap;
use std::fmt::Debug;

use medvox_core::{AnyVolume, Executor, Geometry, PixelType};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::error::{OpsError, Result};
use crate::param::Describe;

/// How an op can be cut into blocks (what the engine plans from).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Kind {
    /// Each output block depends only on the input block grown by `halo` voxels
    /// (edge replicate at the volume's border): pointwise and neighbourhood filters.
    Local {
        /// Voxels per axis `[x, y, z]` read around a block.
        halo: [usize; 3],
    },
    /// A parallel reduction over the whole volume (histogram, moments), then a
    /// local pass with `halo`: Otsu, equalisation, z-score.
    ReduceThenLocal {
        /// Halo of the local pass.
        halo: [usize; 3],
    },
    /// Per-block work plus a merge (union–find over block faces): connected
    /// components, watershed, distance transform, region growing.
    GlobalWithMerge,
    /// Its own decomposition over the whole volume (resampling, label statistics…).
    WholeVolume,
}

impl Kind {
    /// The halo of the local part (zero for the other kinds).
    pub fn halo(&self) -> [usize; 3] {
        match self {
            Kind::Local { halo } | Kind::ReduceThenLocal { halo } => *halo,
            _ => [0; 3],
        }
    }

    /// A local op with the same halo on every axis.
    pub fn local(halo: [usize; 3]) -> Self {
        Kind::Local { halo }
    }

    /// A pointwise op (local, no halo).
    pub const POINTWISE: Kind = Kind::Local { halo: [0; 3] };
}

/// What an op produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "output", content = "pixel_type", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum OutputType {
    /// A volume of this pixel type.
    Volume(PixelType),
    /// A table (rows of named columns), e.g. label statistics.
    Table,
    /// Only a report (e.g. overlap metrics).
    Report,
}

/// The input an op is bound to: its grid and pixel type.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VolumeInfo {
    /// Voxels `[x, y, z]`.
    pub size: [usize; 3],
    /// Pixel type.
    pub pixel_type: PixelType,
    /// Spacing, origin, direction.
    pub geometry: Geometry,
}

impl VolumeInfo {
    /// The info of a volume.
    pub fn of(v: &AnyVolume) -> Self {
        VolumeInfo {
            size: v.size(),
            pixel_type: v.pixel_type(),
            geometry: *v.geometry(),
        }
    }

    /// Voxel count.
    pub fn len(&self) -> usize {
        self.size.iter().product()
    }

    /// Whether there are no voxels.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What `bind` returns: parameters validated against an input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bound {
    /// How the op can be cut into blocks.
    #[serde(flatten)]
    pub kind: Kind,
    /// What it produces.
    #[serde(flatten)]
    pub output: OutputType,
    /// Output grid size (voxels; the input's unless the op resamples).
    pub size: [usize; 3],
}

impl Bound {
    /// An op whose output has the input's grid.
    pub fn same_grid(kind: Kind, output: OutputType, input: &VolumeInfo) -> Self {
        Bound {
            kind,
            output,
            size: input.size,
        }
    }
}

/// An auxiliary volume input (never a path: the runner resolves names to volumes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuxInfo {
    /// Name (`mask`, `markers`, `image`, `reference`): `--NAME FILE` on the command
    /// line, `NAME = "step"` in a pipeline.
    pub name: &'static str,
    /// Whether the op needs it.
    pub required: bool,
    /// What it is.
    pub doc: &'static str,
}

/// The volumes an op runs on.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The main input.
    pub main: &'a AnyVolume,
    /// Auxiliary inputs by name.
    pub aux: &'a BTreeMap<String, AnyVolume>,
}

impl<'a> Inputs<'a> {
    /// An input without auxiliary volumes.
    pub fn main(main: &'a AnyVolume) -> Self {
        static EMPTY: BTreeMap<String, AnyVolume> = BTreeMap::new();
        Inputs { main, aux: &EMPTY }
    }

    /// The auxiliary input `name`, if given.
    pub fn aux(&self, name: &str) -> Option<&'a AnyVolume> {
        self.aux.get(name)
    }

    /// The auxiliary input `name`, or an error naming op and input.
    pub fn require(&self, op: &str, name: &str) -> Result<&'a AnyVolume> {
        self.aux(name).ok_or_else(|| OpsError::Input {
            op: op.into(),
            reason: format!("auxiliary input `{name}` is required"),
        })
    }
}

/// A table: named columns, rows of JSON values (label statistics…).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Table {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, one value per column.
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    /// A table from serialisable records (their fields, flattened with `_`, become
    /// the columns in the order they are serialised; nested arrays become
    /// `name_0`, `name_1`…).
    pub fn from_records<R: Serialize>(records: &[R]) -> Result<Table> {
        let mut t = Table::default();
        for r in records {
            let err = |e: serde_json::Error| OpsError::Failed(Box::new(e));
            let json = serde_json::to_string(r).map_err(err)?;
            let v: Ordered = serde_json::from_str(&json).map_err(err)?;
            let mut flat = Vec::new();
            flatten("", v, &mut flat);
            if t.columns.is_empty() {
                t.columns = flat.iter().map(|(k, _)| k.clone()).collect();
            }
            t.rows.push(flat.into_iter().map(|(_, v)| v).collect());
        }
        Ok(t)
    }

    /// CSV (RFC 4180) with a header line: numbers as serde_json prints them,
    /// empty for null, text quoted when it holds a comma, quote or line break.
    pub fn to_csv(&self) -> String {
        let quote = |s: &str| {
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let cell = |v: &Value| match v {
            Value::Null => String::new(),
            Value::String(s) => quote(s),
            v => v.to_string(),
        };
        let head: Vec<String> = self.columns.iter().map(|c| quote(c)).collect();
        let mut out = head.join(",") + "\n";
        for r in &self.rows {
            out += &r.iter().map(cell).collect::<Vec<_>>().join(",");
            out.push('\n');
        }
        out
    }

    /// A JSON list of objects, one per row.
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.rows
                .iter()
                .map(|r| {
                    Value::Object(
                        self.columns
                            .iter()
                            .cloned()
                            .zip(r.iter().cloned())
                            .collect(),
                    )
                })
                .collect(),
        )
    }
}

/// A JSON value whose objects keep their fields' order (serde_json's own maps
/// sort keys), so table columns follow the record's field order.
enum Ordered {
    Object(Vec<(String, Ordered)>),
    Array(Vec<Ordered>),
    Leaf(Value),
}

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::{MapAccess, SeqAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> std::result::Result<Ordered, E> {
                Ok(Ordered::Leaf(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<Ordered, E> {
                Ok(Ordered::Leaf(Value::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Ordered, E> {
                Ok(Ordered::Leaf(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> std::result::Result<Ordered, E> {
                Ok(Ordered::Leaf(Value::from(v)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Ordered, E> {
                Ok(Ordered::Leaf(Value::from(v)))
            }
            fn visit_unit<E>(self) -> std::result::Result<Ordered, E> {
                Ok(Ordered::Leaf(Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Ordered, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Ordered::Array(v))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<Ordered, A::Error> {
                let mut v = Vec::new();
                while let Some(kv) = m.next_entry()? {
                    v.push(kv);
                }
                Ok(Ordered::Object(v))
            }
        }
        d.deserialize_any(V)
    }
}

fn flatten(prefix: &str, v: Ordered, out: &mut Vec<(String, Value)>) {
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}_{k}")
        }
    };
    match v {
        Ordered::Object(m) => m.into_iter().for_each(|(k, v)| flatten(&key(&k), v, out)),
        Ordered::Array(a) => a
            .into_iter()
            .enumerate()
            .for_each(|(i, v)| flatten(&key(&i.to_string()), v, out)),
        Ordered::Leaf(v) => out.push((prefix.to_string(), v)),
    }
}

/// What an op's run returns.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Data {
    /// A volume.
    Volume(AnyVolume),
    /// A table.
    Table(Table),
    /// Nothing but the report.
    None,
}

/// The result of a run: data plus a typed report (threshold chosen, component count…).
#[derive(Debug, Clone)]
pub struct Output<R> {
    /// The volume or table.
    pub data: Data,
    /// The op's report.
    pub report: R,
}

impl Output<()> {
    /// A volume with an empty report.
    pub fn volume(v: impl Into<AnyVolume>) -> Self {
        Output {
            data: Data::Volume(v.into()),
            report: (),
        }
    }
}

/// One registered op: a thin layer over a plain Rust function.
///
/// See the crate docs ("How to add an op").
pub trait Op: Send + Sync + 'static {
    /// The parameters: a [`params!`](crate::params) struct (every field has its
    /// default there; names are the CLI's long options with `-` → `_`).
    type Params: Describe + Serialize + DeserializeOwned + Default + Clone + Debug + Send + Sync;
    /// What the op reports besides its output (`()` for nothing).
    type Report: Serialize;

    /// Unique name (`gaussian`, `otsu`, `label-stats`).
    fn name(&self) -> &'static str;
    /// Which family of commands lists it (`filter`, `segment`, `label`; the CLI
    /// aliases `medvox filter NAME …` use this).
    fn group(&self) -> &'static str;
    /// One line (more may follow) saying what it computes, boundary rule, units,
    /// output type and the peer it matches.
    fn doc(&self) -> &'static str;
    /// Auxiliary volume inputs.
    fn aux(&self) -> Vec<AuxInfo> {
        Vec::new()
    }
    /// Validates the parameters against the input once: kind, halo, output type and grid.
    fn bind(&self, p: &Self::Params, input: &VolumeInfo) -> Result<Bound>;
    /// Runs the op.
    fn run(
        &self,
        p: &Self::Params,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> Result<Output<Self::Report>>;
    /// Warnings for this input that do not stop the run (an unstable time step).
    fn warnings(&self, _p: &Self::Params, _input: &VolumeInfo) -> Vec<String> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_follow_field_order() {
        #[derive(Serialize)]
        struct Inner {
            mean: f64,
            std: f64,
        }
        #[derive(Serialize)]
        struct Row {
            label: u32,
            voxels: u64,
            centroid: [f64; 2],
            intensity: Option<Inner>,
        }
        let t = Table::from_records(&[Row {
            label: 3,
            voxels: 7,
            centroid: [1.5, -2.0],
            intensity: Some(Inner {
                mean: 4.0,
                std: 0.5,
            }),
        }])
        .unwrap();
        assert_eq!(
            t.columns,
            [
                "label",
                "voxels",
                "centroid_0",
                "centroid_1",
                "intensity_mean",
                "intensity_std"
            ]
        );
        assert_eq!(t.to_csv(), "label,voxels,centroid_0,centroid_1,intensity_mean,intensity_std\n3,7,1.5,-2.0,4.0,0.5\n");
    }

    #[test]
    fn csv_quotes_text_with_commas_quotes_and_newlines() {
        let t = Table {
            columns: vec!["label".into(), "aggregation".into(), "note".into()],
            rows: vec![vec![
                Value::from(1),
                Value::from("2D, averaged"),
                Value::from("say \"hi\"\nnow"),
            ]],
        };
        assert_eq!(
            t.to_csv(),
            "label,aggregation,note\n1,\"2D, averaged\",\"say \"\"hi\"\"\nnow\"\n"
        );
    }
}
