//! [`OpSpec`] (an op name with its parameters) and [`BlockTask`] (a spec, a
//! region and its halo): what pipelines, the CLI, Python and cluster workers pass around.

use std::collections::BTreeMap;

use medvox_core::{AnyVolume, Executor, Region};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{OpsError, Result};
use crate::op::{Data, Inputs, Kind};
use crate::registry::Registry;

/// An op with its parameters; serialises as `{"op": "gaussian", "sigma": [1,1,1], …}`
/// (the same shape as a pipeline step without its input/output names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpSpec {
    /// Registered op name.
    pub op: String,
    /// Parameters by name (TOML/serde names).
    #[serde(flatten)]
    pub params: Map<String, Value>,
}

impl OpSpec {
    /// A spec with no parameters given (every default).
    pub fn new(op: impl Into<String>) -> Self {
        OpSpec {
            op: op.into(),
            params: Map::new(),
        }
    }

    /// Adds a parameter.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.params.insert(key.into(), value.into());
        self
    }
}

/// One block of a volume for one op: what a chunked-store executor or a Dask
/// worker runs with only the registry. Parameters never hold paths; the runner
/// reads the padded region of the input (and of the auxiliary inputs) itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockTask {
    /// The op and its parameters.
    pub spec: OpSpec,
    /// Size of the whole input volume.
    pub volume_size: [usize; 3],
    /// The block's interior (what this task writes).
    pub region: Region,
    /// Halo read around the interior (clamped to the volume).
    pub halo: [usize; 3],
    /// A merged result of an earlier reduction (reduce-then-local ops), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial: Option<Value>,
}

impl BlockTask {
    /// The region to read: the interior grown by the halo, within the volume.
    pub fn padded(&self) -> Region {
        self.region.grow(self.halo, self.volume_size)
    }

    /// The tasks of a local op over a plan of `block`-sized blocks (errors for
    /// other kinds, which have no block form yet).
    pub fn plan(
        registry: &Registry,
        spec: &OpSpec,
        input: &crate::op::VolumeInfo,
        block: [usize; 3],
    ) -> Result<Vec<BlockTask>> {
        let bound = registry.bind(spec, input)?;
        let Kind::Local { halo } = bound.kind else {
            return Err(OpsError::invalid(
                &spec.op,
                format!("no block tasks for a {:?} op yet", bound.kind),
            ));
        };
        let plan = medvox_core::BlockPlan::new(input.size, block, halo)?;
        Ok(plan
            .blocks()
            .into_iter()
            .map(|b| BlockTask {
                spec: spec.clone(),
                volume_size: input.size,
                region: b.interior,
                halo,
                partial: None,
            })
            .collect())
    }

    /// Runs the task on the padded region's voxels (`padded`, as read by the
    /// runner; auxiliary inputs likewise cut to the padded region) and returns the
    /// interior of the result.
    pub fn run(
        &self,
        registry: &Registry,
        padded: &AnyVolume,
        aux: &BTreeMap<String, AnyVolume>,
        exec: &Executor,
    ) -> Result<AnyVolume> {
        let pr = self.padded();
        if padded.size() != pr.size {
            return Err(OpsError::invalid(
                &self.spec.op,
                format!(
                    "block input is {:?} voxels, the padded region {:?}",
                    padded.size(),
                    pr.size
                ),
            ));
        }
        let out = registry.run(&self.spec, &Inputs { main: padded, aux }, exec)?;
        let Data::Volume(v) = out.data else {
            return Err(OpsError::invalid(&self.spec.op, "not a volume op"));
        };
        Ok(crop(&v, &pr.relative(&self.region)))
    }
}

/// The part of a volume inside `r` (origin moved to the region's first voxel).
pub fn crop(v: &AnyVolume, r: &Region) -> AnyVolume {
    medvox_core::with_volume!(v, v => {
        let mut g = *v.geometry();
        g.origin = g.index_to_physical(r.start.map(|s| s as f64));
        let a = r.view(&v.data()).to_owned();
        AnyVolume::from(medvox_core::Volume::new(a, g).expect("a valid volume's geometry"))
    })
}
