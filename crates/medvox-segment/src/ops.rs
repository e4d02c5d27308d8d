//! The registry entries of this crate's ops ([`register`]): parameters as the
//! command line writes them (`medvox segment NAME`, `medvox label stats|compare`),
//! typed reports, kinds. See `medvox_ops` ("How to add an op").

use medvox_core::{AnyVolume, Executor, PixelType, Volume};
use medvox_ops::{
    AuxInfo, Bound, Data, Inputs, Kind, Op, OpsError, Output, OutputType, Registry, Result, Table,
    Triple, VolumeInfo,
};
use serde::Serialize;

use crate::auto_threshold::{auto_threshold_any, AutoThresholdParams, Method};
use crate::canny::{canny_any, CannyParams};
use crate::components::{components_any, ComponentsParams, LabelOrder};
use crate::labelstats::{label_stats_any, LabelStatsParams};
use crate::overlap::{overlap_any, OverlapParams, OverlapReport};
use crate::postprocess::{postprocess_any, PostOp, PostParams};
use crate::region_grow::{region_grow_any, Criterion, RegionGrowParams};
use crate::threshold::{nonzero, threshold_any, ThresholdParams};
use crate::watershed::{watershed_from_markers_any, watershed_level_any, WatershedParams};
use crate::Connectivity;

impl From<crate::SegmentError> for OpsError {
    fn from(e: crate::SegmentError) -> Self {
        OpsError::Failed(Box::new(e))
    }
}

/// Registers every op of this crate.
pub fn register(r: &mut Registry) {
    r.add(Threshold);
    for (name, method, doc) in [
        ("otsu", Method::Otsu, "Otsu threshold (SimpleITK OtsuThreshold bins); mask = value > t (u8); reports t."),
        ("li", Method::Li, "Li's minimum cross-entropy threshold (SimpleITK LiThreshold); mask = value > t."),
        ("triangle", Method::Triangle, "Triangle threshold (SimpleITK TriangleThreshold); mask = value > t."),
        ("yen", Method::Yen, "Yen threshold (SimpleITK YenThreshold); mask = value > t."),
        ("huang", Method::Huang, "Huang's fuzzy threshold (SimpleITK HuangThreshold); mask = value > t."),
        ("isodata", Method::IsoData, "IsoData (Ridler–Calvard) threshold (SimpleITK IsoDataThreshold); mask = value > t."),
        ("threshold-mean", Method::Mean, "Mean of the (masked) voxels as threshold (scikit-image threshold_mean); mask = value > t. `medvox segment mean`."),
    ] {
        r.add(AutoThreshold { name, method, doc });
    }
    r.add(MultiOtsu);
    for (name, doc) in [
        ("region-grow", "Connected threshold region growing from seeds (SimpleITK ConnectedThreshold); u8 out."),
        ("confidence-connected", "Confidence connected region growing (SimpleITK ConfidenceConnected); reports the final interval."),
        ("neighborhood-connected", "Neighbourhood connected region growing: the whole box of --radius lies in [lower, upper] (SimpleITK NeighborhoodConnected)."),
    ] {
        r.add(Grow { name, doc });
    }
    r.add(Components);
    r.add(Watershed);
    for (name, op, doc) in [
        ("relabel", PostOp::Relabel, "Renumber the labels of a label map 1..K (by first voxel, or --order size); u32 out."),
        ("keep-largest", PostOp::KeepLargest, "Keep only the largest connected component of every label; u32 out."),
        ("label-fill-holes", PostOp::FillHoles, "Fill the holes (enclosed background) of every label; u32 out. `medvox segment fill-holes`."),
    ] {
        r.add(Post { name, op, doc });
    }
    r.add(Canny);
    r.add(LabelStatsOp);
    r.add(LabelCompare);
}

fn conn(n: u32) -> Result<Connectivity> {
    Ok(Connectivity::from_count("segment", n)?)
}

fn vol_out(kind: Kind, t: PixelType, input: &VolumeInfo) -> Bound {
    Bound::same_grid(kind, OutputType::Volume(t), input)
}

medvox_ops::params! {
    /// `--lower`/`--upper` of `threshold`.
    pub struct IntervalParams {
        /// Smallest value inside (inclusive).
        lower: Option<f64> = None,
        /// Largest value inside (inclusive).
        upper: Option<f64> = None,
    }
}

struct Threshold;

impl Op for Threshold {
    type Params = IntervalParams;
    type Report = ();
    fn name(&self) -> &'static str {
        "threshold"
    }
    fn group(&self) -> &'static str {
        "segment"
    }
    fn doc(&self) -> &'static str {
        "Binary threshold: 1 where lower <= value <= upper (inclusive), else 0; u8 out."
    }
    fn bind(&self, _: &IntervalParams, input: &VolumeInfo) -> Result<Bound> {
        Ok(vol_out(Kind::POINTWISE, PixelType::U8, input))
    }
    fn run(&self, p: &IntervalParams, inputs: &Inputs<'_>, exec: &Executor) -> Result<Output<()>> {
        let t = ThresholdParams {
            lower: p.lower,
            upper: p.upper,
        };
        Ok(Output::volume(threshold_any(inputs.main, &t, exec)?))
    }
}

medvox_ops::params! {
    /// Parameters of the automatic thresholds.
    pub struct AutoParams {
        /// Histogram bins (SimpleITK convention; see the auto_threshold docs).
        bins: usize = 256,
    }
}

medvox_ops::params! {
    /// Parameters of `multi-otsu`.
    pub struct MultiOtsuParams {
        /// Number of classes (2..=6).
        classes: usize = 3,
        /// Histogram bins (SimpleITK convention).
        bins: usize = 256,
    }
}

/// Report of a single automatic threshold.
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdReport {
    /// The threshold chosen (mask = value > threshold).
    pub threshold: f64,
}

/// Report of `multi-otsu`.
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdsReport {
    /// The thresholds chosen, increasing.
    pub thresholds: Vec<f64>,
}

const MASK: AuxInfo = AuxInfo {
    name: "mask",
    required: false,
    doc: "mask on the same grid: histogram and output restricted to its voxels ≠ 0",
};

fn auto(
    method: Method,
    bins: usize,
    inputs: &Inputs<'_>,
    exec: &Executor,
) -> Result<crate::Thresholded> {
    let mask = inputs.aux("mask").map(|m| nonzero(m, exec));
    Ok(auto_threshold_any(
        inputs.main,
        mask.as_ref(),
        &AutoThresholdParams { method, bins },
        exec,
    )?)
}

struct AutoThreshold {
    name: &'static str,
    method: Method,
    doc: &'static str,
}

impl Op for AutoThreshold {
    type Params = AutoParams;
    type Report = ThresholdReport;
    fn name(&self) -> &'static str {
        self.name
    }
    fn group(&self) -> &'static str {
        "segment"
    }
    fn doc(&self) -> &'static str {
        self.doc
    }
    fn aux(&self) -> Vec<AuxInfo> {
        vec![MASK]
    }
    fn bind(&self, _: &AutoParams, input: &VolumeInfo) -> Result<Bound> {
        Ok(vol_out(
            Kind::ReduceThenLocal { halo: [0; 3] },
            PixelType::U8,
            input,
        ))
    }
    fn run(
        &self,
        p: &AutoParams,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> Result<Output<ThresholdReport>> {
        let t = auto(self.method, p.bins, inputs, exec)?;
        Ok(Output {
            report: ThresholdReport {
                threshold: t.thresholds[0],
            },
            data: Data::Volume(t.mask.into()),
        })
    }
}

struct MultiOtsu;

impl Op for MultiOtsu {
    type Params = MultiOtsuParams;
    type Report = ThresholdsReport;
    fn name(&self) -> &'static str {
        "multi-otsu"
    }
    fn group(&self) -> &'static str {
        "segment"
    }
    fn doc(&self) -> &'static str {
        "Multi-Otsu: K classes, labels 0..K-1 (SimpleITK OtsuMultipleThresholds); u8 out; reports the thresholds."
    }
    fn aux(&self) -> Vec<AuxInfo> {
        vec![MASK]
    }
    fn bind(&self, _: &MultiOtsuParams, input: &VolumeInfo) -> Result<Bound> {
        Ok(vol_out(
            Kind::ReduceThenLocal { halo: [0; 3] },
            PixelType::U8,
            input,
        ))
    }
    fn run(
        &self,
        p: &MultiOtsuParams,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> Result<Output<ThresholdsReport>> {
        let t = auto(
            Method::MultiOtsu { classes: p.classes },
            p.bins,
            inputs,
            exec,
        )?;
        Ok(Output {
            report: ThresholdsReport {
                thresholds: t.thresholds,
            },
            data: Data::Volume(t.mask.into()),
        })
    }
}

medvox_ops::params! {
    /// Parameters of the region-growing ops (each uses the fields its doc names).
    pub struct GrowParams {
        /// Seed voxel index x,y,z (repeatable).
        seed: Vec<Triple<i64>> = Vec::new(),
        /// Seed as a physical point in mm (LPS, nearest voxel; repeatable).
        seed_mm: Vec<Triple<f64>> = Vec::new(),
        /// Connectivity: 6 (4 in 2D), 18 or 26 (8 in 2D).
        connectivity: u32 = 6,
        /// Smallest value inside (region-grow, neighborhood-connected; required there).
        lower: Option<f64> = None,
        /// Largest value inside (region-grow, neighborhood-connected; required there).
        upper: Option<f64> = None,
        /// Interval half-width in standard deviations (confidence-connected).
        multiplier: f64 = 4.5,
        /// Re-estimations of mean and σ over the region (confidence-connected).
        iterations: usize = 4,
        /// Box radius in voxels: confidence-connected's first estimate (first value used), neighborhood-connected's box (x,y,z).
        radius: Triple<usize> = Triple::all(1),
    }
}

/// Report of region growing: the final interval.
#[derive(Debug, Clone, Serialize)]
pub struct GrowReport {
    /// Smallest value accepted.
    pub lower: f64,
    /// Largest value accepted.
    pub upper: f64,
}

struct Grow {
    name: &'static str,
    doc: &'static str,
}

impl Grow {
    fn params(&self, p: &GrowParams) -> Result<RegionGrowParams> {
        let both = || match (p.lower, p.upper) {
            (Some(l), Some(u)) => Ok((l, u)),
            _ => Err(OpsError::invalid(
                self.name,
                "--lower and --upper are required",
            )),
        };
        let criterion = match self.name {
            "region-grow" => {
                let (lower, upper) = both()?;
                Criterion::Threshold { lower, upper }
            }
            "confidence-connected" => Criterion::Confidence {
                multiplier: p.multiplier,
                iterations: p.iterations,
                radius: p.radius.0[0],
            },
            _ => {
                let (lower, upper) = both()?;
                Criterion::Neighborhood {
                    lower,
                    upper,
                    radius: p.radius.0,
                }
            }
        };
        Ok(RegionGrowParams {
            criterion,
            seeds: p.seed.iter().map(|t| t.0).collect(),
            seeds_mm: p.seed_mm.iter().map(|t| t.0).collect(),
            connectivity: conn(p.connectivity)?,
        })
    }
}

impl Op for Grow {
    type Params = GrowParams;
    type Report = GrowReport;
    fn name(&self) -> &'static str {
        self.name
    }
    fn group(&self) -> &'static str {
        "segment"
    }
    fn doc(&self) -> &'static str {
        self.doc
    }
    fn bind(&self, p: &GrowParams, input: &VolumeInfo) -> Result<Bound> {
        self.params(p)?;
        Ok(vol_out(Kind::GlobalWithMerge, PixelType::U8, input))
    }
    fn run(
        &self,
        p: &GrowParams,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> Result<Output<GrowReport>> {
        let g = region_grow_any(inputs.main, &self.params(p)?, exec)?;
        Ok(Output {
            report: GrowReport {
                lower: g.lower,
                upper: g.upper,
            },
            data: Data::Volume(g.mask.into()),
        })
    }
}

medvox_ops::choice! {
    /// Label numbering.
    pub enum OrderArg {
        /// By first voxel in memory order (scipy, cc3d).
        Raster = "raster",
        /// By decreasing size (SimpleITK RelabelComponent).
        Size = "size",
    }
}

impl From<OrderArg> for LabelOrder {
    fn from(o: OrderArg) -> Self {
        match o {
            OrderArg::Raster => LabelOrder::Raster,
            OrderArg::Size => LabelOrder::Size,
        }
    }
}

medvox_ops::params! {
    /// Parameters of `components`.
    pub struct ComponentsOpParams {
        /// Connectivity: 6 (4 in 2D), 18 or 26 (8 in 2D).
        connectivity: u32 = 26,
        /// Label numbering.
        order: OrderArg = OrderArg::Raster,
        /// Remove components with fewer voxels.
        min_size: u64 = 0,
        /// Keep only the largest component.
        keep_largest: bool = false,
    }
}

impl ComponentsOpParams {
    /// The library parameters.
    pub fn to_params(&self) -> Result<ComponentsParams> {
        Ok(ComponentsParams {
            connectivity: conn(self.connectivity)?,
            order: self.order.into(),
            min_size: self.min_size,
            keep_largest: self.keep_largest,
        })
    }
}

/// Report of `components`.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentsReport {
    /// Number of components (labels 1..=components).
    pub components: usize,
    /// Voxels per label.
    pub sizes: Vec<u64>,
}

struct Components;

impl Op for Components {
    type Params = ComponentsOpParams;
    type Report = ComponentsReport;
    fn name(&self) -> &'static str {
        "components"
    }
    fn group(&self) -> &'static str {
        "segment"
    }
    fn doc(&self) -> &'static str {
        "Connected components of the non-zero voxels (u32 labels; parallel over blocks, merged by union–find). scipy label, cc3d."
    }
    fn bind(&self, p: &ComponentsOpParams, input: &VolumeInfo) -> Result<Bound> {
        p.to_params()?;
        Ok(vol_out(Kind::GlobalWithMerge, PixelType::U32, input))
    }
    fn run(
        &self,
        p: &ComponentsOpParams,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> Result<Output<ComponentsReport>> {
        let c = components_any(inputs.main, &p.to_params()?, exec)?;
        Ok(Output {
            report: ComponentsReport {
                components: c.sizes.len(),
                sizes: c.sizes,
            },
            data: Data::Volume(c.labels.into()),
        })
    }
}

medvox_ops::params! {
    /// Parameters of `watershed` (markers: the auxiliary input `markers`; or `level`).
    pub struct WatershedOpParams {
        /// Flooding level (h-minima depth) for the watershed from regional minima.
        level: Option<f64> = None,
        /// Mark watershed lines with label 0.
        lines: bool = false,
        /// Connectivity: 6 (4 in 2D) or 26 (8 in 2D).
        connectivity: u32 = 6,
    }
}

struct Watershed;

impl Op for Watershed {
    type Params = WatershedOpParams;
    type Report = ();
    fn name(&self) -> &'static str {
        "watershed"
    }
    fn group(&self) -> &'static str {
        "segment"
    }
    fn doc(&self) -> &'static str {
        "Watershed: from --markers (priority flood) or from regional minima after h-minima --level; u32 labels. SimpleITK MorphologicalWatershed(FromMarkers)."
    }
    fn aux(&self) -> Vec<AuxInfo> {
        vec![AuxInfo {
            name: "markers",
            required: false,
            doc: "marker label image (labels > 0; same grid): marker-controlled watershed",
        }]
    }
    fn bind(&self, p: &WatershedOpParams, input: &VolumeInfo) -> Result<Bound> {
        let c = conn(p.connectivity)?;
        if c == Connectivity::Edge {
            return Err(OpsError::invalid(
                "watershed",
                "--connectivity must be 6 or 26 (as SimpleITK fullyConnected)",
            ));
        }
        Ok(vol_out(Kind::WholeVolume, PixelType::U32, input))
    }
    fn run(
        &self,
        p: &WatershedOpParams,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> Result<Output<()>> {
        let wp = WatershedParams {
            connectivity: conn(p.connectivity)?,
            lines: p.lines,
            level: p.level.unwrap_or(0.0),
        };
        let w: Volume<u32> = match (inputs.aux("markers"), p.level) {
            (Some(m), None) => watershed_from_markers_any(inputs.main, m, &wp)?,
            (None, Some(_)) => watershed_level_any(inputs.main, &wp, exec)?,
            _ => {
                return Err(OpsError::invalid(
                    "watershed",
                    "give exactly one of --markers and --level",
                ))
            }
        };
        Ok(Output::volume(w))
    }
}

medvox_ops::params! {
    /// Parameters of the label post-processing ops.
    pub struct PostOpParams {
        /// Connectivity: 6 (4 in 2D), 18 or 26 (8 in 2D).
        connectivity: u32 = 6,
        /// Numbering for `relabel`.
        order: OrderArg = OrderArg::Raster,
    }
}

struct Post {
    name: &'static str,
    op: PostOp,
    doc: &'static str,
}

impl Op for Post {
    type Params = PostOpParams;
    type Report = ();
    fn name(&self) -> &'static str {
        self.name
    }
    fn group(&self) -> &'static str {
        "segment"
    }
    fn doc(&self) -> &'static str {
        self.doc
    }
    fn bind(&self, p: &PostOpParams, input: &VolumeInfo) -> Result<Bound> {
        conn(p.connectivity)?;
        Ok(vol_out(Kind::GlobalWithMerge, PixelType::U32, input))
    }
    fn run(&self, p: &PostOpParams, inputs: &Inputs<'_>, exec: &Executor) -> Result<Output<()>> {
        let pp = PostParams {
            connectivity: conn(p.connectivity)?,
            order: p.order.into(),
        };
        Ok(Output::volume(postprocess_any(
            inputs.main,
            self.op,
            &pp,
            exec,
        )?))
    }
}

medvox_ops::params! {
    /// Parameters of `canny`.
    pub struct CannyOpParams {
        /// Gaussian variance in mm² (SimpleITK's `variance`).
        variance: f64 = 1.0,
        /// Lower hysteresis threshold on the gradient magnitude (required).
        lower: Option<f64> = None,
        /// Upper hysteresis threshold on the gradient magnitude (required).
        upper: Option<f64> = None,
        /// Hysteresis neighbourhood: 6, 18 or 26 (4 or 8 in 2D).
        connectivity: u32 = 26,
    }
}

struct Canny;

impl Canny {
    fn params(p: &CannyOpParams) -> Result<CannyParams> {
        let (Some(lower), Some(upper)) = (p.lower, p.upper) else {
            return Err(OpsError::invalid(
                "canny",
                "--lower and --upper are required",
            ));
        };
        Ok(CannyParams {
            connectivity: conn(p.connectivity)?,
            ..CannyParams::new(p.variance, lower, upper)
        })
    }
}

impl Op for Canny {
    type Params = CannyOpParams;
    type Report = ();
    fn name(&self) -> &'static str {
        "canny"
    }
    fn group(&self) -> &'static str {
        "segment"
    }
    fn doc(&self) -> &'static str {
        "Canny edges as ITK's CannyEdgeDetection (Gaussian variance in mm², hysteresis on |∇|); u8 out."
    }
    fn bind(&self, p: &CannyOpParams, input: &VolumeInfo) -> Result<Bound> {
        Self::params(p)?;
        Ok(vol_out(Kind::GlobalWithMerge, PixelType::U8, input))
    }
    fn run(&self, p: &CannyOpParams, inputs: &Inputs<'_>, exec: &Executor) -> Result<Output<()>> {
        let out: AnyVolume = canny_any(inputs.main, &Self::params(p)?, exec)?;
        Ok(Output::volume(out))
    }
}

medvox_ops::params! {
    /// Parameters of `label-stats`.
    pub struct LabelStatsOpParams {
        /// Background value (not a label).
        background: i64 = 0,
    }
}

struct LabelStatsOp;

impl Op for LabelStatsOp {
    type Params = LabelStatsOpParams;
    type Report = ();
    fn name(&self) -> &'static str {
        "label-stats"
    }
    fn group(&self) -> &'static str {
        "label"
    }
    fn doc(&self) -> &'static str {
        "Per label: voxels, volume (mm³), centroid (mm, LPS), bounding box; with the auxiliary input `image`: mean, sample std, min, max, exact median, sum. A table. SimpleITK LabelShapeStatistics/LabelStatistics."
    }
    fn aux(&self) -> Vec<AuxInfo> {
        vec![AuxInfo {
            name: "image",
            required: false,
            doc: "intensity image on the label map's grid",
        }]
    }
    fn bind(&self, _: &LabelStatsOpParams, input: &VolumeInfo) -> Result<Bound> {
        Ok(Bound::same_grid(
            Kind::WholeVolume,
            OutputType::Table,
            input,
        ))
    }
    fn run(
        &self,
        p: &LabelStatsOpParams,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> Result<Output<()>> {
        let s = label_stats_any(
            inputs.main,
            inputs.aux("image"),
            &LabelStatsParams {
                background: p.background,
            },
            exec,
        )?;
        Ok(Output {
            data: Data::Table(Table::from_records(&s)?),
            report: (),
        })
    }
}

medvox_ops::params! {
    /// Parameters of `label-compare`.
    pub struct LabelCompareParams {
        /// Background value (not a label).
        background: i64 = 0,
        /// Skip the distance metrics (counts only; much faster).
        no_distances: bool = false,
    }
}

struct LabelCompare;

impl Op for LabelCompare {
    type Params = LabelCompareParams;
    type Report = OverlapReport;
    fn name(&self) -> &'static str {
        "label-compare"
    }
    fn group(&self) -> &'static str {
        "label"
    }
    fn doc(&self) -> &'static str {
        "Overlap of the input (e.g. a prediction) with the auxiliary input `reference`: per label and overall Dice, Jaccard, volume similarity, Hausdorff, HD95 and ASSD (mm). A report."
    }
    fn aux(&self) -> Vec<AuxInfo> {
        vec![AuxInfo {
            name: "reference",
            required: true,
            doc: "reference label map on the same grid",
        }]
    }
    fn bind(&self, _: &LabelCompareParams, input: &VolumeInfo) -> Result<Bound> {
        Ok(Bound::same_grid(
            Kind::WholeVolume,
            OutputType::Report,
            input,
        ))
    }
    fn run(
        &self,
        p: &LabelCompareParams,
        inputs: &Inputs<'_>,
        exec: &Executor,
    ) -> Result<Output<OverlapReport>> {
        let b = inputs.require("label-compare", "reference")?;
        let params = OverlapParams {
            background: p.background,
            distances: !p.no_distances,
        };
        Ok(Output {
            report: overlap_any(inputs.main, b, &params, exec)?,
            data: Data::None,
        })
    }
}
