//! `medvox run OP [--param value …] IN [OUT]`, generated from the op registry,
//! and the aliases `medvox filter NAME …` / `medvox segment NAME …` (the ops of
//! one group under their familiar names): all parse to the same [`OpSpec`].

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Arg, ArgAction, ArgMatches, Command};
use medvox::core::AnyVolume;
use medvox_engine::registry;
use medvox_ops::{Data, DynOp, OpSpec};
use serde_json::{Map, Value};

use crate::Ctx;

/// Which ops a generated command lists and under which names.
pub trait Group: Send + Sync + 'static {
    /// Registry group (`None`: every op).
    const GROUP: Option<&'static str>;
    /// Command-line name → op name where they differ (`segment mean` → `threshold-mean`).
    const RENAMES: &'static [(&'static str, &'static str)] = &[];
    /// Whether the command takes IN and OUT (`medvox bench` does not).
    const IO: bool = true;
}

/// Every op (`medvox run`).
#[derive(Debug, Clone)]
pub struct All;
impl Group for All {
    const GROUP: Option<&'static str> = None;
}

/// `medvox filter`.
#[derive(Debug, Clone)]
pub struct Filters;
impl Group for Filters {
    const GROUP: Option<&'static str> = Some("filter");
}

/// `medvox segment`.
#[derive(Debug, Clone)]
pub struct Segments;
impl Group for Segments {
    const GROUP: Option<&'static str> = Some("segment");
    const RENAMES: &'static [(&'static str, &'static str)] = &[
        ("mean", "threshold-mean"),
        ("fill-holes", "label-fill-holes"),
    ];
}

/// `medvox bench NAME` for filters (no IN/OUT).
#[derive(Debug, Clone)]
pub struct BenchFilters;
impl Group for BenchFilters {
    const GROUP: Option<&'static str> = Some("filter");
    const IO: bool = false;
}

/// `medvox bench segment NAME` (no IN/OUT).
#[derive(Debug, Clone)]
pub struct BenchSegments;
impl Group for BenchSegments {
    const GROUP: Option<&'static str> = Some("segment");
    const RENAMES: &'static [(&'static str, &'static str)] = Segments::RENAMES;
    const IO: bool = false;
}

/// A parsed op command: the spec, auxiliary files and IN/OUT.
#[derive(Debug, Clone)]
pub struct OpCommand<G> {
    /// The op and its parameters as given (defaults not filled in).
    pub spec: OpSpec,
    /// Auxiliary inputs by name → file.
    pub aux: BTreeMap<String, PathBuf>,
    /// Input image.
    pub input: Option<PathBuf>,
    /// Output file.
    pub output: Option<PathBuf>,
    /// `--json`: print the report as one JSON object.
    pub json: bool,
    _g: PhantomData<G>,
}

fn cli_name<G: Group>(op: &str) -> &str {
    G::RENAMES
        .iter()
        .find(|(_, o)| *o == op)
        .map_or(op, |(c, _)| c)
}

fn op_name<G: Group>(cli: &str) -> &str {
    G::RENAMES
        .iter()
        .find(|(c, _)| *c == cli)
        .map_or(cli, |(_, o)| o)
}

fn ops<G: Group>() -> impl Iterator<Item = &'static dyn DynOp> {
    registry()
        .ops()
        .filter(|o| G::GROUP.is_none_or(|g| o.group() == g))
}

/// The clap command of one op.
pub fn op_command(op: &dyn DynOp, name: &str, io: bool) -> Command {
    let doc = op.doc();
    let about = doc.split(". ").next().unwrap_or(doc).to_string();
    let mut c = Command::new(name.to_string())
        .about(about)
        .long_about(doc.to_string());
    for p in op.params() {
        let mut help = p.doc.clone();
        if !p.default.is_null() && !p.kind.is_flag() {
            let d = match &p.default {
                Value::Array(a) if a.iter().all(|x| x == &a[0]) && a.len() == 3 => a[0].to_string(),
                Value::Array(a) if a.is_empty() => String::new(),
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            if !d.is_empty() {
                help += &format!(" [default: {d}]");
            }
        }
        let mut a = Arg::new(p.name).long(p.cli_name()).help(help);
        for al in &p.aliases {
            a = a.alias(al.to_string());
        }
        a = if p.kind.is_flag() {
            a.action(ArgAction::SetTrue)
        } else {
            a.value_name(p.name.to_uppercase())
                .allow_hyphen_values(true)
                .action(if p.kind.is_list() {
                    ArgAction::Append
                } else {
                    ArgAction::Set
                })
        };
        c = c.arg(a);
    }
    for x in op.aux() {
        c = c.arg(
            Arg::new(format!("aux:{}", x.name))
                .long(x.name)
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .required(x.required)
                .help(x.doc),
        );
    }
    if io {
        c = c
            .arg(
                Arg::new("IN")
                    .value_parser(clap::value_parser!(PathBuf))
                    .required(true)
                    .help("Input image"),
            )
            .arg(
                Arg::new("OUT")
                    .value_parser(clap::value_parser!(PathBuf))
                    .required(true)
                    .help("Output: an image (format from the extension), or .csv/.json for tables and reports"),
            )
            .arg(
                Arg::new("json")
                    .long("json")
                    .action(ArgAction::SetTrue)
                    .help("Print the op's report (threshold, component count…) as one JSON object"),
            );
    }
    c
}

/// The spec of a parsed op command line.
pub fn spec_from_matches(op: &dyn DynOp, m: &ArgMatches) -> Result<OpSpec, clap::Error> {
    let mut params = Map::new();
    for p in op.params() {
        if p.kind.is_flag() {
            if m.get_flag(p.name) {
                params.insert(p.name.into(), Value::Bool(true));
            }
            continue;
        }
        let Some(vals) = m.get_many::<String>(p.name) else {
            continue;
        };
        let parsed = vals
            .map(|s| p.kind.parse_cli(s))
            .collect::<Result<Vec<Value>, String>>()
            .map_err(|e| {
                clap::Error::raw(
                    clap::error::ErrorKind::ValueValidation,
                    format!("invalid value for '--{}': {e}\n", p.cli_name()),
                )
            })?;
        let v = if p.kind.is_list() {
            Value::Array(parsed)
        } else {
            parsed.into_iter().next().unwrap_or(Value::Null)
        };
        params.insert(p.name.into(), v);
    }
    Ok(OpSpec {
        op: op.name().into(),
        params,
    })
}

impl<G: Group> clap::FromArgMatches for OpCommand<G> {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let Some((name, sub)) = m.subcommand() else {
            return Err(clap::Error::raw(
                clap::error::ErrorKind::MissingSubcommand,
                "an op name is required (medvox ops lists them)\n",
            ));
        };
        let op = registry().get(op_name::<G>(name)).map_err(|e| {
            clap::Error::raw(clap::error::ErrorKind::InvalidSubcommand, format!("{e}\n"))
        })?;
        let spec = spec_from_matches(op, sub)?;
        let aux = op
            .aux()
            .iter()
            .filter_map(|x| {
                sub.get_one::<PathBuf>(&format!("aux:{}", x.name))
                    .map(|p| (x.name.to_string(), p.clone()))
            })
            .collect();
        let (input, output, json) = if G::IO {
            (
                sub.get_one::<PathBuf>("IN").cloned(),
                sub.get_one::<PathBuf>("OUT").cloned(),
                sub.get_flag("json"),
            )
        } else {
            (None, None, false)
        };
        Ok(OpCommand {
            spec,
            aux,
            input,
            output,
            json,
            _g: PhantomData,
        })
    }
    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl<G: Group> clap::Subcommand for OpCommand<G> {
    fn augment_subcommands(cmd: Command) -> Command {
        cmd.subcommands(ops::<G>().map(|o| op_command(o, cli_name::<G>(o.name()), G::IO)))
    }
    fn augment_subcommands_for_update(cmd: Command) -> Command {
        Self::augment_subcommands(cmd)
    }
    fn has_subcommand(name: &str) -> bool {
        ops::<G>().any(|o| cli_name::<G>(o.name()) == name)
    }
}

/// Arguments of `medvox run` (and of the `filter`/`segment` aliases).
#[derive(Debug, clap::Args)]
pub struct Args<G: Group + Clone + std::fmt::Debug> {
    #[command(subcommand)]
    op: OpCommand<G>,
}

/// Reads the first volume of an image, with a note when it holds several.
pub fn read_volume(ctx: &Ctx, what: &str, path: &std::path::Path) -> anyhow::Result<AnyVolume> {
    let image = crate::progress::spin(ctx.chatty, format!("reading {}", path.display()), || {
        medvox::io::read(path)
    })
    .with_context(|| format!("cannot read {what}{}", path.display()))?;
    if image.volumes.len() > 1 && !ctx.quiet {
        eprintln!(
            "medvox: note: {} holds {} volumes; using volume 0",
            path.display(),
            image.volumes.len()
        );
    }
    Ok(image.into_first())
}

/// Reads the auxiliary files of a command.
pub fn read_aux(
    ctx: &Ctx,
    aux: &BTreeMap<String, PathBuf>,
) -> anyhow::Result<BTreeMap<String, AnyVolume>> {
    aux.iter()
        .map(|(k, p)| Ok((k.clone(), read_volume(ctx, &format!("{k} "), p)?)))
        .collect()
}

/// Runs `medvox run` / `filter` / `segment`.
pub fn run<G: Group + Clone + std::fmt::Debug>(ctx: &Ctx, a: Args<G>) -> anyhow::Result<()> {
    let c = a.op;
    let (Some(input), Some(output)) = (&c.input, &c.output) else {
        anyhow::bail!("IN and OUT are required");
    };
    let r = registry();
    let spec = r.normalize(&c.spec)?;
    let name = spec.op.clone();
    let op = r.get(&name)?;
    // Fail on an unwritable extension before the (possibly long) read.
    let out_ext = output.to_string_lossy().to_lowercase();
    let data_file = out_ext.ends_with(".csv") || out_ext.ends_with(".json");
    if !data_file {
        medvox::io::writer_for(output)?;
    }
    let aux = read_aux(ctx, &c.aux)?;
    let vol = read_volume(ctx, "", input)?;
    let info = medvox_ops::VolumeInfo::of(&vol);
    r.bind(&spec, &info)
        .with_context(|| format!("{name} failed"))?;
    if !ctx.quiet {
        for w in op.warnings(&spec.params, &info) {
            eprintln!("medvox: warning: {w}");
        }
    }
    let out = crate::gpu_cmd::run_spec(ctx, &spec, &vol, &aux)
        .with_context(|| format!("{name} failed"))?;
    match &out.data {
        Data::Volume(v) => {
            crate::progress::spin(ctx.chatty, format!("writing {}", output.display()), || {
                medvox::io::write(output, v)
            })
            .with_context(|| format!("cannot write {}", output.display()))?
        }
        Data::Table(t) => {
            let text = if out_ext.ends_with(".csv") {
                t.to_csv()
            } else {
                serde_json::to_string_pretty(&t.to_json())? + "\n"
            };
            medvox::io::atomic::write_bytes_atomic(output, text.as_bytes())?;
        }
        _ => {
            let text = serde_json::to_string_pretty(&out.report)? + "\n";
            medvox::io::atomic::write_bytes_atomic(output, text.as_bytes())?;
        }
    }
    print_report(&name, cli_name::<G>(&name), &out.report, c.json)
}

/// Prints an op's report: `--json` as one object, else `name: key value, …`.
pub fn print_report(_op: &str, shown: &str, report: &Value, json: bool) -> anyhow::Result<()> {
    let empty = Map::new();
    let obj = report.as_object().unwrap_or(&empty);
    if json {
        println!("{}", serde_json::to_string(&Value::Object(obj.clone()))?);
    } else if !obj.is_empty() {
        let parts: Vec<String> = obj
            .iter()
            .filter(|(k, _)| *k != "sizes")
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        println!("{shown}: {}", parts.join(", "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Group;

    use crate::{Cli, Command};

    /// The spec `medvox ARGS…` parses to (normalized: every default filled in).
    fn spec(args: &[&str]) -> medvox_ops::OpSpec {
        let cli = Cli::try_parse_from(std::iter::once("medvox").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        let s = match cli.command {
            Command::Run(a) => a.op.spec,
            Command::Filter(a) => a.op.spec,
            Command::Segment(a) => a.op.spec,
            _ => panic!("not an op command"),
        };
        medvox_engine::registry().normalize(&s).unwrap()
    }

    /// Options that every filter/segment alias needs (or a typical choice).
    fn options(op: &str) -> Vec<&'static str> {
        match op {
            "gaussian" => vec!["--sigma", "1.5", "--method", "recursive"],
            "log" | "gradient-magnitude-gaussian" => vec!["--sigma-voxels", "1,2,3"],
            "median" | "mean" | "erode" | "white-tophat" => vec!["--radius", "2,1,0"],
            "window" => vec!["--center", "-40", "--width", "400"],
            "clamp" => vec!["--lower", "-100"],
            "cast" => vec!["--pixel-type", "u8"],
            "clahe" => vec!["--2d", "--clip-limit", "0.02"],
            "resample" => vec!["--spacing", "1.5", "--interpolation", "bspline"],
            "distance" => vec!["--signed", "--voxel-units"],
            "threshold" => vec!["--lower", "-5", "--upper", "5"],
            "multi-otsu" => vec!["--classes", "4"],
            "region-grow" => vec![
                "--seed", "1,2,3", "--seed", "4,5,6", "--lower", "0", "--upper", "9",
            ],
            "components" => vec!["--connectivity", "6", "--order", "size"],
            "canny" => vec!["--lower", "1", "--upper", "2"],
            "watershed" => vec!["--level", "3"],
            "mask" => vec!["--mask", "m.nii", "--outside", "-1"],
            "add" | "divide" => vec!["--value", "2.5"],
            _ => vec![],
        }
    }

    #[test]
    fn every_gpu_kernel_is_a_registered_op() {
        let r = medvox_engine::registry();
        for k in medvox::gpu::backend::KERNELS {
            assert!(r.get(k).is_ok(), "GPU kernel for unknown op {k}");
        }
    }

    #[test]
    fn every_alias_parses_to_the_same_spec_as_run() {
        let r = medvox_engine::registry();
        let mut n = 0;
        for (alias, group, renames) in [
            ("filter", "filter", super::Filters::RENAMES),
            ("segment", "segment", super::Segments::RENAMES),
        ] {
            for op in r.ops().filter(|o| o.group() == group) {
                let shown = renames
                    .iter()
                    .find(|(_, o)| *o == op.name())
                    .map_or(op.name(), |(c, _)| c);
                let opts = options(op.name());
                let mut a = vec![alias, shown];
                a.extend(&opts);
                a.extend(["in.nii", "out.nii"]);
                let mut b = vec!["run", op.name()];
                b.extend(&opts);
                b.extend(["in.nii", "out.nii"]);
                assert_eq!(spec(&a), spec(&b), "{a:?} vs {b:?}");
                n += 1;
            }
        }
        assert!(n >= 40, "{n} aliases");
        // And the values mean what the old options meant.
        let s = spec(&["segment", "mean", "--bins", "64", "a.nii", "b.nii"]);
        assert_eq!(s.op, "threshold-mean");
        assert_eq!(s.params["bins"], 64);
        let s = spec(&["filter", "clahe", "--2d", "a.nii", "b.nii"]);
        assert_eq!(s.params["slice_by_slice"], true);
        let s = spec(&["filter", "median", "a.nii", "b.nii"]);
        assert_eq!(s.params["radius"], serde_json::json!([1, 1, 1]));
    }
}
