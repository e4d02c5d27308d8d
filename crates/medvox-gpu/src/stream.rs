//! Overlapped tile streaming: while the device computes tile `i + 1`, the host
//! reads tile `i`'s result back and prepares (converts, uploads) tile `i + 2`.
//!
//! Each tile is one submit: the upload (`write_buffer`), the op's passes and a
//! copy of the wanted byte range into one of two reused `MAP_READ` staging
//! buffers, mapped asynchronously. At most [`DEPTH`] tiles are in flight; the host
//! blocks only on the oldest one. wgpu orders work on one queue, so on a GPU the
//! overlap is between host work (conversion, the readback copy, the caller's
//! consumer) and device work; copy engines running beside compute are not
//! exposed by wgpu. Results do not depend on the order of completion: tiles are
//! consumed in index order.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::mpsc;

use crate::context::GpuContext;
use crate::error::{GpuError, Result};
use crate::volume::GpuVolume;

/// Tiles in flight at once (one computing, one being read back).
pub const DEPTH: usize = 2;

/// What a tile's recording leaves to read back: `bytes` of `buffer`.
pub(crate) struct Produced {
    /// The result on the device.
    pub buffer: wgpu::Buffer,
    /// Byte range of the result to read back (multiples of 4).
    pub bytes: Range<u64>,
}

impl Produced {
    /// All of `volume`.
    pub fn all(volume: GpuVolume) -> Self {
        Produced {
            bytes: 0..volume.nbytes(),
            buffer: volume.buffer,
        }
    }
}

struct InFlight {
    tile: usize,
    slot: usize,
    len: u64,
    submission: wgpu::SubmissionIndex,
    mapped: mpsc::Receiver<std::result::Result<(), wgpu::BufferAsyncError>>,
}

/// Streams `n` tiles: `record(i, encoder)` uploads tile `i` and records its op;
/// `consume(i, values)` receives the read-back values (f32 voxels, u32 labels),
/// in tile order.
pub(crate) fn stream<T: bytemuck::Pod>(
    ctx: &GpuContext,
    n: usize,
    mut record: impl FnMut(usize, &mut wgpu::CommandEncoder) -> Result<Produced>,
    mut consume: impl FnMut(usize, &[T]) -> Result<()>,
) -> Result<()> {
    let mut staging: [Option<wgpu::Buffer>; DEPTH] = Default::default();
    let mut queue: VecDeque<InFlight> = VecDeque::with_capacity(DEPTH);
    for tile in 0..n {
        if queue.len() == DEPTH {
            finish(ctx, &mut queue, &staging, &mut consume)?;
        }
        let slot = tile % DEPTH;
        let mut enc = ctx.encoder();
        let p = record(tile, &mut enc)?;
        let len = p.bytes.end - p.bytes.start;
        let buf = match &staging[slot] {
            Some(b) if b.size() >= len.max(4) => b.clone(),
            _ => {
                let b = ctx.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("medvox tile readback"),
                    size: len.max(4).next_multiple_of(4),
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                staging[slot] = Some(b.clone());
                b
            }
        };
        if len > 0 {
            enc.copy_buffer_to_buffer(&p.buffer, p.bytes.start, &buf, 0, len);
        }
        let submission = ctx.queue.submit([enc.finish()]);
        drop(p);
        let (tx, rx) = mpsc::channel();
        buf.map_async(wgpu::MapMode::Read, ..len.max(4), move |r| {
            let _ = tx.send(r);
        });
        queue.push_back(InFlight {
            tile,
            slot,
            len,
            submission,
            mapped: rx,
        });
    }
    while !queue.is_empty() {
        finish(ctx, &mut queue, &staging, &mut consume)?;
    }
    Ok(())
}

/// Waits for the oldest tile in flight, hands its values to `consume`, unmaps.
fn finish<T: bytemuck::Pod>(
    ctx: &GpuContext,
    queue: &mut VecDeque<InFlight>,
    staging: &[Option<wgpu::Buffer>; DEPTH],
    consume: &mut impl FnMut(usize, &[T]) -> Result<()>,
) -> Result<()> {
    let t = queue.pop_front().expect("a tile in flight");
    let readback = |e: String| GpuError::Readback(e);
    ctx.device
        .poll(wgpu::PollType::Wait {
            submission_index: Some(t.submission),
            timeout: None,
        })
        .map_err(|e| readback(e.to_string()))?;
    ctx.check_errors()?;
    t.mapped
        .recv()
        .map_err(|e| readback(e.to_string()))?
        .map_err(|e| readback(e.to_string()))?;
    let buf = staging[t.slot].as_ref().expect("staging buffer of a tile");
    let result = {
        let view = buf
            .get_mapped_range(..t.len.max(4))
            .map_err(|e| readback(format!("{e:?}")))?;
        let bytes = &view[..t.len as usize];
        match bytemuck::try_cast_slice::<u8, T>(bytes) {
            Ok(v) => consume(t.tile, v),
            Err(_) => consume(t.tile, &bytemuck::pod_collect_to_vec::<u8, T>(bytes)),
        }
    };
    buf.unmap();
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use medvox_core::{Geometry, PixelType};

    /// Tiles of growing and shrinking sizes (staging buffers regrown and reused),
    /// read back by sub-range, arrive whole and in order.
    #[test]
    fn tiles_arrive_in_order_with_their_values() {
        let ctx = GpuContext::new().expect("an adapter (lavapipe in CI)");
        let lens = [3usize, 40, 1, 17, 64, 2, 33];
        let values = |i: usize| (0..lens[i]).map(move |k| (i * 1000 + k) as f32);
        let mut seen = Vec::new();
        let record = |i: usize, _: &mut wgpu::CommandEncoder| {
            let v: Vec<f32> = values(i).collect();
            let g = GpuVolume::from_f32(
                &ctx,
                [v.len(), 1, 1],
                &v,
                Geometry::default(),
                PixelType::F32,
            )?;
            // Skip the first voxel: a sub-range starting inside the buffer.
            let skip = u64::from(lens[i] > 1) * 4;
            Ok(Produced {
                bytes: skip..g.nbytes(),
                buffer: g.buffer,
            })
        };
        stream(&ctx, lens.len(), record, |i, got: &[f32]| {
            let want: Vec<f32> = values(i).skip(usize::from(lens[i] > 1)).collect();
            assert_eq!(got, &want[..], "tile {i}");
            seen.push(i);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, (0..lens.len()).collect::<Vec<_>>());
    }

    /// An error from the consumer stops the stream and is returned.
    #[test]
    fn consumer_error_is_returned() {
        let ctx = GpuContext::new().expect("an adapter (lavapipe in CI)");
        let record = |_: usize, _: &mut wgpu::CommandEncoder| {
            let g = GpuVolume::from_f32(
                &ctx,
                [4, 1, 1],
                &[1.0; 4],
                Geometry::default(),
                PixelType::F32,
            )?;
            Ok(Produced::all(g))
        };
        let r = stream(&ctx, 5, record, |i, _: &[f32]| {
            if i == 2 {
                Err(GpuError::Readback("stop".into()))
            } else {
                Ok(())
            }
        });
        assert!(matches!(r, Err(GpuError::Readback(m)) if m == "stop"));
    }
}
