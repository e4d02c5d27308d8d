//! The registry entry of this crate (`radiomics`): IBSI features per label as a
//! table, the op behind `medvox features` and pipeline steps.

use medvox_core::{AnyVolume, Executor, PixelType};
use medvox_ops::{
    AuxInfo, Bound, Data, Inputs, Kind, Op, OpsError, Output, OutputType, Registry, Result, Table,
    VolumeInfo,
};
use serde::Serialize;

use crate::{extract, Discretisation, RegionFeatures, Settings};

impl From<crate::RadiomicsError> for OpsError {
    fn from(e: crate::RadiomicsError) -> Self {
        OpsError::Failed(Box::new(e))
    }
}

/// Registers this crate's op.
pub fn register(r: &mut Registry) {
    r.add(Radiomics);
}

medvox_ops::params! {
    /// Parameters of `radiomics` (the options of `medvox features`).
    pub struct RadiomicsParams {
        /// Only these labels (empty: every positive label).
        labels: Vec<u32> = Vec::new(),
        /// Fixed bin size (pyradiomics `binWidth`), bins aligned on multiples of it.
        bin_width: f64 = 25.0,
        /// Lower bound of the first bin for the fixed bin size (IBSI `X_b`).
        bin_lower_bound: Option<f64> = None,
        /// Fixed bin number (pyradiomics `binCount`) instead of a bin width; 0: use the width.
        bin_count: u32 = 0,
    }
}

impl RadiomicsParams {
    /// The extraction settings these parameters mean.
    pub fn settings(&self) -> Settings {
        let discretisation = if self.bin_count > 0 {
            Discretisation::FixedBinNumber {
                bins: self.bin_count,
            }
        } else {
            Discretisation::FixedBinSize {
                width: self.bin_width,
                lower_bound: self.bin_lower_bound,
            }
        };
        Settings {
            discretisation,
            ..Settings::default()
        }
    }
}

/// One row of the `radiomics` table.
#[derive(Debug, Serialize)]
pub struct Row {
    /// Label value.
    pub label: u32,
    /// Voxels of the label.
    pub voxels: usize,
    /// IBSI family.
    pub family: &'static str,
    /// IBSI feature name.
    pub feature: &'static str,
    /// IBSI code.
    pub ibsi_code: &'static str,
    /// IBSI aggregation.
    pub aggregation: &'static str,
    /// Short key.
    pub key: &'static str,
    /// Value (null when undefined).
    pub value: Option<f64>,
}

/// Rows of a feature table, one per (label, feature).
pub fn rows(regions: &[RegionFeatures]) -> Vec<Row> {
    regions
        .iter()
        .flat_map(|r| {
            r.features.iter().map(|f| Row {
                label: r.label,
                voxels: r.voxels,
                family: f.family,
                feature: f.feature,
                ibsi_code: f.ibsi_code,
                aggregation: f.aggregation,
                key: f.key,
                value: f.value.is_finite().then_some(f.value),
            })
        })
        .collect()
}

/// Features of `labels` on `image` with `p` (f64 images stay f64; others in f32).
pub fn extract_any(
    image: &AnyVolume,
    labels: &AnyVolume,
    p: &RadiomicsParams,
) -> crate::Result<Vec<RegionFeatures>> {
    let which = (!p.labels.is_empty()).then_some(p.labels.as_slice());
    let lab = labels.to_volume::<u32>();
    let settings = p.settings();
    if image.pixel_type() == PixelType::F64 {
        extract(&image.to_volume::<f64>(), &lab, which, &settings)
    } else {
        extract(&image.to_volume::<f32>(), &lab, which, &settings)
    }
}

/// `radiomics`: IBSI features per label.
pub struct Radiomics;

impl Op for Radiomics {
    type Params = RadiomicsParams;
    type Report = ();
    fn name(&self) -> &'static str {
        "radiomics"
    }
    fn group(&self) -> &'static str {
        "label"
    }
    fn doc(&self) -> &'static str {
        "IBSI radiomics features of every label (main input: the label map; input `image`: the intensities on its grid). A table: label, voxels, family, feature, IBSI code, aggregation, key, value. `medvox features`."
    }
    fn aux(&self) -> Vec<AuxInfo> {
        vec![AuxInfo {
            name: "image",
            required: true,
            doc: "intensity image on the label map's grid",
        }]
    }
    fn bind(&self, p: &RadiomicsParams, input: &VolumeInfo) -> Result<Bound> {
        if p.bin_count == 0 && !(p.bin_width.is_finite() && p.bin_width > 0.0) {
            return Err(OpsError::invalid(
                "radiomics",
                format!("bin_width must be a positive number, got {}", p.bin_width),
            ));
        }
        if p.bin_lower_bound.is_some_and(|b| !b.is_finite()) {
            return Err(OpsError::invalid(
                "radiomics",
                "bin_lower_bound must be finite",
            ));
        }
        Ok(Bound::same_grid(
            Kind::WholeVolume,
            OutputType::Table,
            input,
        ))
    }
    fn run(&self, p: &RadiomicsParams, inputs: &Inputs<'_>, _: &Executor) -> Result<Output<()>> {
        let image = inputs.require("radiomics", "image")?;
        let regions = extract_any(image, inputs.main, p)?;
        Ok(Output {
            data: Data::Table(Table::from_records(&rows(&regions))?),
            report: (),
        })
    }
}
