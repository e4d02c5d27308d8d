//! Connected components of the non-zero voxels ([`medvox_segment::components`]):
//! the same partition, labels, numbering and sizes as the CPU op.
//!
//! Algorithm (lock-free union–find, Playne & Hawick 2018): `init` gives every
//! foreground voxel its own linear index as parent (background: none); `merge`
//! unites each foreground voxel with its foreground neighbours earlier in memory
//! order (the backward half of the 6/18/26 neighbourhood) by hooking the larger root
//! under the smaller with `atomicMin`, retrying when another invocation hooked it
//! first; `compress` points every voxel at its root. Parents only decrease, so a
//! component's root is its first voxel in memory order and one merge pass suffices
//! (no iteration, whatever the shape). The host then numbers roots in memory order
//! in one in-place pass over the downloaded parents (a voxel's root precedes it),
//! which is the CPU's raster numbering, and applies `min_size`, size order (ties in
//! raster order) and `keep_largest` exactly as the CPU does.
//!
//! Tiles: [`components`] labels a device mask in one binding (the parents, one u32
//! per voxel, are the size of the mask). [`components_host`] uploads a host volume
//! in z-slabs of as many planes as one binding holds, labels each slab on the
//! device, and joins the slabs across their faces on the host with the same
//! smaller-root-wins union, so any number of slabs gives the same labels; only a
//! single plane larger than a binding is refused ([`GpuError::TooLarge`]).
//!
//! Bytes moved per voxel (ideal caching): init 8, merge 8 (mask and parent reads;
//! root updates are few), compress 8, readback 4 — [`BYTES_PER_VOXEL`] = 28.

use medvox_core::{AnyVolume, Geometry, Pixel, PixelType, Volume};
use medvox_segment::{ComponentsParams, Connectivity, LabelOrder, Labelling};

use crate::context::{GpuContext, Uniform};
use crate::error::{GpuError, Result};
use crate::stream::{stream, Produced};
use crate::volume::GpuVolume;

const SRC: &str = include_str!("components.wgsl");
const KEY: &str = "components";
const NONE: u32 = u32::MAX;

/// Bytes read and written per voxel by the three kernels and the readback.
pub const BYTES_PER_VOXEL: u64 = 28;

/// Records the union–find: returns a u32 buffer (one per voxel of `mask`) holding
/// each foreground voxel's root — the linear index of its component's first voxel —
/// and `u32::MAX` on background.
pub fn roots(
    ctx: &GpuContext,
    enc: &mut wgpu::CommandEncoder,
    mask: &GpuVolume,
    connectivity: Connectivity,
) -> Result<wgpu::Buffer> {
    let n = mask.len();
    if n as u64 >= u64::from(NONE) {
        return Err(GpuError::TooLarge {
            what: format!("components of a volume of size {:?}", mask.size()),
            bytes: n as u64 * 4,
            limit: u64::from(NONE) * 4,
        });
    }
    let s = mask.size();
    let order = match connectivity {
        Connectivity::Face => 1,
        Connectivity::Edge => 2,
        Connectivity::Full => 3,
    };
    let u = Uniform {
        dims: [s[0] as u32, s[1] as u32, s[2] as u32, n as u32],
        ia: [order, 0, 0, 0],
        ..Default::default()
    };
    let lab = ctx.storage(n as u64 * 4);
    for entry in ["init", "merge", "compress"] {
        let pipe = ctx.pipeline(KEY, SRC, entry);
        ctx.dispatch(enc, &pipe, &u, &mask.buffer, &lab, None, n as u64);
    }
    Ok(lab)
}

/// Connected components of the device mask (voxels not ±0 are foreground, NaN
/// included), labels on the host.
pub fn components(
    ctx: &GpuContext,
    mask: &GpuVolume,
    params: &ComponentsParams,
) -> Result<Labelling> {
    let mut enc = ctx.encoder();
    let lab = roots(ctx, &mut enc, mask, params.connectivity)?;
    ctx.submit(enc)?;
    let parents: Vec<u32> = bytemuck::pod_collect_to_vec(&ctx.read(&lab, mask.len() as u64 * 4)?);
    number(mask.size(), *mask.geometry(), parents, params)
}

/// Connected components of a host volume of any pixel type (its non-zero voxels,
/// as [`medvox_segment::components::components_any`]). A 0/1 f32 mask is uploaded
/// in z-slabs of as many planes as one binding holds (one slab when it fits); each
/// slab's roots are offset to global indices and the slab faces joined on the host.
pub fn components_host(
    ctx: &GpuContext,
    vol: &AnyVolume,
    params: &ComponentsParams,
) -> Result<Labelling> {
    fn mask<T: Pixel>(v: &Volume<T>) -> Vec<f32> {
        let zero = T::default();
        v.as_slice()
            .iter()
            .map(|&x| f32::from(u8::from(x != zero)))
            .collect()
    }
    let m = medvox_core::with_volume!(vol, v => mask(v));
    let lab = roots_tiled(ctx, vol.size(), &m, params.connectivity)?;
    number(vol.size(), *vol.geometry(), lab, params)
}

/// Roots of a host mask, slab by slab (see [`components_host`]).
fn roots_tiled(
    ctx: &GpuContext,
    size: [usize; 3],
    m: &[f32],
    conn: Connectivity,
) -> Result<Vec<u32>> {
    let [nx, ny, nz] = size;
    let plane = nx * ny;
    if m.is_empty() {
        return Ok(Vec::new());
    }
    if m.len() as u64 >= u64::from(NONE) {
        return Err(GpuError::TooLarge {
            what: format!("components of a volume of size {size:?}"),
            bytes: m.len() as u64 * 4,
            limit: u64::from(NONE) * 4,
        });
    }
    let planes = (ctx.max_binding() / 4) as usize / plane;
    if planes == 0 {
        return Err(GpuError::TooLarge {
            what: format!("components: one {nx}×{ny} plane of u32 labels"),
            bytes: plane as u64 * 4,
            limit: ctx.max_binding(),
        });
    }
    let mut lab: Vec<u32> = Vec::with_capacity(m.len());
    let slabs: Vec<(usize, usize)> = (0..nz)
        .step_by(planes)
        .map(|z| (z, (z + planes).min(nz)))
        .collect();
    let record = |i: usize, enc: &mut wgpu::CommandEncoder| {
        let (z0, z1) = slabs[i];
        let g = GpuVolume::from_f32(
            ctx,
            [nx, ny, z1 - z0],
            &m[z0 * plane..z1 * plane],
            Geometry::default(),
            PixelType::U8,
        )?;
        let buffer = roots(ctx, enc, &g, conn)?;
        Ok(Produced {
            bytes: 0..g.len() as u64 * 4,
            buffer,
        })
    };
    stream(ctx, slabs.len(), record, |i, r: &[u32]| {
        let z0 = slabs[i].0;
        let off = (z0 * plane) as u32;
        lab.extend(r.iter().map(|&x| if x == NONE { NONE } else { x + off }));
        if z0 > 0 {
            join_face(&mut lab, size, z0, conn);
        }
        Ok(())
    })?;
    Ok(lab)
}

/// Unites the voxels of plane `z` with their neighbours in plane `z − 1` (host
/// union–find on the parents; the smaller root wins, so parents still precede
/// their children).
fn join_face(lab: &mut [u32], size: [usize; 3], z: usize, conn: Connectivity) {
    fn find(lab: &mut [u32], mut a: u32) -> u32 {
        while lab[a as usize] != a {
            let g = lab[lab[a as usize] as usize];
            lab[a as usize] = g;
            a = g;
        }
        a
    }
    let [nx, ny, _] = size;
    let steps: Vec<[isize; 3]> = conn.backward().into_iter().filter(|d| d[2] == -1).collect();
    for y in 0..ny {
        for x in 0..nx {
            let i = (z * ny + y) * nx + x;
            if lab[i] == NONE {
                continue;
            }
            for d in &steps {
                let (qx, qy) = (x as isize + d[0], y as isize + d[1]);
                if qx < 0 || qy < 0 || qx >= nx as isize || qy >= ny as isize {
                    continue;
                }
                let j = ((z - 1) * ny + qy as usize) * nx + qx as usize;
                if lab[j] == NONE {
                    continue;
                }
                let (a, b) = (find(lab, i as u32), find(lab, j as u32));
                if a < b {
                    lab[b as usize] = a;
                } else if b < a {
                    lab[a as usize] = b;
                }
            }
        }
    }
}

/// Numbers the roots as the CPU does: by first voxel, then `min_size`, size order
/// and `keep_largest`; `lab` (a forest whose parents precede their children, roots
/// their own parents) becomes the labels in place.
fn number(
    size: [usize; 3],
    geometry: Geometry,
    mut lab: Vec<u32>,
    params: &ComponentsParams,
) -> Result<Labelling> {
    let mut count: Vec<u64> = Vec::new();
    for j in 0..lab.len() {
        let r = lab[j];
        lab[j] = if r == NONE {
            0
        } else if r as usize == j {
            count.push(1);
            count.len() as u32
        } else if (r as usize) < j {
            // Earlier voxels already hold their final raster number.
            let id = lab[r as usize];
            count[id as usize - 1] += 1;
            id
        } else {
            return Err(GpuError::Device(format!(
                "components: voxel {j} has root {r} after it (device union–find failed)"
            )));
        };
    }
    let mut keep: Vec<u32> = (0..count.len() as u32)
        .filter(|&l| count[l as usize] >= params.min_size)
        .collect();
    if params.order == LabelOrder::Size || params.keep_largest {
        keep.sort_by(|&a, &b| count[b as usize].cmp(&count[a as usize]));
    }
    if params.keep_largest {
        keep.truncate(1);
    }
    let identity =
        keep.len() == count.len() && keep.iter().enumerate().all(|(k, &l)| k as u32 == l);
    if !identity {
        let mut fin = vec![0u32; count.len() + 1];
        for (k, &l) in keep.iter().enumerate() {
            fin[l as usize + 1] = k as u32 + 1;
        }
        for x in &mut lab {
            *x = fin[*x as usize];
        }
    }
    let sizes = keep.iter().map(|&l| count[l as usize]).collect();
    Ok(Labelling {
        labels: Volume::from_vec(size, lab, geometry)?,
        sizes,
    })
}
