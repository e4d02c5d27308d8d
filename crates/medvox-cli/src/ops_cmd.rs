//! `medvox ops [--json]`: every registered op with its parameters (name, type,
//! default, doc), auxiliary inputs and the devices with a kernel for it.

use serde::Serialize;

use crate::Ctx;

/// Arguments of `medvox ops`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON list.
    #[arg(long)]
    json: bool,
    /// Only this op (full documentation).
    name: Option<String>,
}

#[derive(Serialize)]
struct Listed {
    #[serde(flatten)]
    info: medvox_ops::OpInfo,
    devices: Vec<&'static str>,
}

/// Runs `medvox ops`.
pub fn run(_ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let r = medvox_engine::registry();
    if let Some(n) = &a.name {
        r.get(n)?;
    }
    let list: Vec<Listed> = r
        .info()
        .into_iter()
        .filter(|i| a.name.as_deref().is_none_or(|n| n == i.name))
        .map(|info| Listed {
            devices: if medvox::gpu::backend::KERNELS.contains(&info.name) {
                vec!["cpu", "gpu"]
            } else {
                vec!["cpu"]
            },
            info,
        })
        .collect();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    for l in &list {
        let i = &l.info;
        println!("{} ({}; {})", i.name, i.group, l.devices.join(", "));
        println!("    {}", i.doc);
        for p in &i.params {
            let d = if p.default.is_null() {
                String::new()
            } else {
                format!(" = {}", p.default)
            };
            println!("    {}: {}{d} — {}", p.name, p.kind.describe(), p.doc);
        }
        for x in &i.aux {
            let req = if x.required { "required" } else { "optional" };
            println!("    input {} ({req}): {}", x.name, x.doc);
        }
    }
    Ok(())
}
