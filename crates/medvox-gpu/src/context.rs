//! [`GpuContext`]: one adapter, one device and queue, cached pipelines.
//!
//! Adapter choice: every adapter of the enabled backends (Vulkan, Metal, DX12) is
//! listed; `MEDVOX_GPU_ADAPTER=<substring>` keeps those whose name contains the
//! substring (case-insensitive); otherwise a discrete GPU is preferred, then an
//! integrated one, then a virtual one, then a CPU (software) adapter such as Mesa's
//! lavapipe. The device is created with the adapter's own limits (not wgpu's
//! defaults), so the storage binding limit is the hardware's.
//!
//! `MEDVOX_GPU_MAX_BINDING=<bytes>` (or [`GpuContext::with_max_binding`]) lowers the
//! binding size used to plan tiles, to force multi-tile runs in tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use wgpu::util::DeviceExt;

use crate::error::{GpuError, Result};

/// Threads per workgroup of every 1D-indexed kernel.
pub const WORKGROUP: u32 = 256;

/// Uniform block every kernel gets (`struct P` in the WGSL prelude).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Uniform {
    /// `nx, ny, nz, n` of the grid the kernel runs over.
    pub dims: [u32; 4],
    /// Integer parameters.
    pub ia: [i32; 4],
    /// Float parameters.
    pub fa: [f32; 4],
    /// More float parameters.
    pub fb: [f32; 4],
}

const PRELUDE: &str = include_str!("prelude.wgsl");

/// Adapter, device and queue with the facts `medvox gpu info` prints.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GpuInfo {
    /// Adapter name.
    pub name: String,
    /// Backend (Vulkan, Metal, Dx12).
    pub backend: String,
    /// Device type (DiscreteGpu, IntegratedGpu, Cpu…).
    pub device_type: String,
    /// Driver name.
    pub driver: String,
    /// Driver version / info.
    pub driver_info: String,
    /// Largest storage buffer binding (bytes).
    pub max_storage_buffer_binding_size: u64,
    /// Largest buffer (bytes).
    pub max_buffer_size: u64,
    /// Largest workgroup count per dispatch dimension.
    pub max_compute_workgroups_per_dimension: u32,
    /// Largest invocations per workgroup.
    pub max_compute_invocations_per_workgroup: u32,
    /// Workgroup shared memory (bytes).
    pub max_compute_workgroup_storage_size: u32,
    /// Binding size used to plan tiles (the limit, or the override).
    pub tile_binding_bytes: u64,
    /// GPU timestamp queries available (kernel times from the device clock).
    pub timestamp_query: bool,
    /// Every adapter seen, `name (backend, type)`.
    pub adapters: Vec<String>,
}

/// A GPU device and queue with cached compute pipelines.
pub struct GpuContext {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    info: GpuInfo,
    max_binding: u64,
    layout: wgpu::BindGroupLayout,
    pipeline_layout: wgpu::PipelineLayout,
    pipelines: Mutex<HashMap<(&'static str, &'static str), Arc<wgpu::ComputePipeline>>>,
    dummy: wgpu::Buffer,
    timer: Mutex<Option<Timer>>,
    /// First device error (validation, out of memory) since the last check.
    errors: Arc<Mutex<Option<String>>>,
}

/// GPU timestamps around the passes recorded while a timer runs.
struct Timer {
    set: wgpu::QuerySet,
    started: bool,
}

impl std::fmt::Debug for GpuContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuContext")
            .field("info", &self.info)
            .finish()
    }
}

fn rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

fn describe(i: &wgpu::AdapterInfo) -> String {
    format!("{} ({:?}, {:?})", i.name, i.backend, i.device_type)
}

impl GpuContext {
    /// Opens the preferred adapter (see the module docs).
    pub fn new() -> Result<Self> {
        let filter = std::env::var("MEDVOX_GPU_ADAPTER").ok();
        let mut ctx = Self::with_adapter(filter.as_deref())?;
        if let Ok(v) = std::env::var("MEDVOX_GPU_MAX_BINDING") {
            let b: u64 = v.trim().parse().map_err(|_| {
                GpuError::Device(format!("MEDVOX_GPU_MAX_BINDING={v} is not a byte count"))
            })?;
            ctx = ctx.with_max_binding(b);
        }
        Ok(ctx)
    }

    /// Opens the preferred adapter whose name contains `name` (case-insensitive), if given.
    pub fn with_adapter(name: Option<&str>) -> Result<Self> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        desc.backends = wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12;
        let instance = wgpu::Instance::new(desc);
        let adapters = pollster::block_on(instance.enumerate_adapters(desc_backends()));
        let seen: Vec<String> = adapters.iter().map(|a| describe(&a.get_info())).collect();
        let mut cands: Vec<wgpu::Adapter> = adapters
            .into_iter()
            .filter(|a| match name {
                Some(n) => a.get_info().name.to_lowercase().contains(&n.to_lowercase()),
                None => true,
            })
            .collect();
        cands.sort_by_key(|a| rank(a.get_info().device_type));
        let Some(adapter) = cands.into_iter().next() else {
            let mut detail = String::new();
            if let Some(n) = name {
                detail += &format!(" matching MEDVOX_GPU_ADAPTER={n:?}");
            }
            if !seen.is_empty() {
                detail += &format!("; adapters seen: {}", seen.join(", "));
            }
            return Err(GpuError::NoAdapter { detail });
        };
        let ai = adapter.get_info();
        let limits = adapter.limits();
        let want = wgpu::Features::TIMESTAMP_QUERY;
        let features = adapter.features() & want;
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("medvox"),
            required_features: features,
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| GpuError::Device(format!("{}: {e}", ai.name)))?;
        let errors: Arc<Mutex<Option<String>>> = Arc::default();
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            let mut slot = sink.lock().expect("error slot");
            if slot.is_none() {
                *slot = Some(e.to_string());
            }
        }));
        let max_binding = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        let info = GpuInfo {
            name: ai.name.clone(),
            backend: format!("{:?}", ai.backend),
            device_type: format!("{:?}", ai.device_type),
            driver: ai.driver.clone(),
            driver_info: ai.driver_info.clone(),
            max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
            max_buffer_size: limits.max_buffer_size,
            max_compute_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
            max_compute_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
            max_compute_workgroup_storage_size: limits.max_compute_workgroup_storage_size,
            tile_binding_bytes: max_binding,
            timestamp_query: features.contains(wgpu::Features::TIMESTAMP_QUERY),
            adapters: seen,
        };
        let storage = |binding, read_only| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("medvox kernel"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
                storage(1, true),
                storage(2, false),
                storage(3, true),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("medvox kernel"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let dummy = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("medvox dummy"),
            size: 16,
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        Ok(GpuContext {
            device,
            queue,
            info,
            max_binding,
            layout,
            pipeline_layout,
            pipelines: Mutex::new(HashMap::new()),
            dummy,
            timer: Mutex::new(None),
            errors,
        })
    }

    /// Plans tiles as if one storage binding held at most `bytes` (tests force tiling with it).
    pub fn with_max_binding(mut self, bytes: u64) -> Self {
        self.max_binding = bytes.clamp(256, self.max_binding);
        self.info.tile_binding_bytes = self.max_binding;
        self
    }

    /// Adapter, driver and limits.
    pub fn info(&self) -> &GpuInfo {
        &self.info
    }

    /// Bytes one volume buffer may hold (the binding limit or the test override).
    pub fn max_binding(&self) -> u64 {
        self.max_binding
    }

    /// The compute pipeline for entry point `entry` of kernel source `src`
    /// (prelude prepended), compiled once per context.
    pub(crate) fn pipeline(
        &self,
        key: &'static str,
        src: &'static str,
        entry: &'static str,
    ) -> Arc<wgpu::ComputePipeline> {
        let mut cache = self.pipelines.lock().expect("pipeline cache");
        cache
            .entry((key, entry))
            .or_insert_with(|| {
                let module = self
                    .device
                    .create_shader_module(wgpu::ShaderModuleDescriptor {
                        label: Some(key),
                        source: wgpu::ShaderSource::Wgsl(format!("{PRELUDE}\n{src}").into()),
                    });
                Arc::new(
                    self.device
                        .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                            label: Some(entry),
                            layout: Some(&self.pipeline_layout),
                            module: &module,
                            entry_point: Some(entry),
                            compilation_options: Default::default(),
                            cache: None,
                        }),
                )
            })
            .clone()
    }

    /// A storage buffer of `bytes` bytes (at least 4).
    pub(crate) fn storage(&self, bytes: u64) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("medvox volume"),
            size: bytes.max(4).next_multiple_of(4),
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// A read-only storage buffer holding `data` (kernel weights, offsets).
    pub(crate) fn aux(&self, data: &[f32]) -> wgpu::Buffer {
        let data: &[f32] = if data.is_empty() { &[0.0] } else { data };
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("medvox aux"),
                contents: bytemuck::cast_slice(data),
                usage: wgpu::BufferUsages::STORAGE,
            })
    }

    /// Records one dispatch of `threads` invocations (1D index, flattened onto a
    /// 2D grid of workgroups when more than 65535 are needed).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn dispatch(
        &self,
        enc: &mut wgpu::CommandEncoder,
        pipeline: &wgpu::ComputePipeline,
        uniform: &Uniform,
        src: &wgpu::Buffer,
        dst: &wgpu::Buffer,
        aux: Option<&wgpu::Buffer>,
        threads: u64,
    ) {
        if threads == 0 {
            return;
        }
        let ubuf = self
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("medvox uniform"),
                contents: bytemuck::bytes_of(uniform),
                usage: wgpu::BufferUsages::UNIFORM,
            });
        let bind = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: ubuf.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: src.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: dst.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: aux.unwrap_or(&self.dummy).as_entire_binding(),
                },
            ],
        });
        let groups = threads.div_ceil(u64::from(WORKGROUP));
        let maxd = u64::from(self.info.max_compute_workgroups_per_dimension.max(1));
        let gx = groups.min(maxd);
        let gy = groups.div_ceil(gx);
        let mut timer = self.timer.lock().expect("timer");
        let timestamp_writes = timer.as_mut().map(|t| {
            let first = !t.started;
            t.started = true;
            wgpu::ComputePassTimestampWrites {
                query_set: &t.set,
                beginning_of_pass_write_index: first.then_some(0),
                end_of_pass_write_index: Some(1),
            }
        });
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: None,
            timestamp_writes,
        });
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(gx as u32, gy as u32, 1);
    }

    /// Records `entry` of kernel `code` once per voxel of `src` into a new volume of
    /// pixel type `pixel` (uniform dims from `src`, then `ia`/`fa`; optional aux).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn per_voxel(
        &self,
        enc: &mut wgpu::CommandEncoder,
        (key, code, entry): (&'static str, &'static str, &'static str),
        src: &crate::volume::GpuVolume,
        pixel: medvox_core::PixelType,
        ia: [i32; 4],
        fa: [f32; 4],
        aux: Option<&wgpu::Buffer>,
    ) -> crate::volume::GpuVolume {
        let s = src.size();
        let u = Uniform {
            dims: [s[0] as u32, s[1] as u32, s[2] as u32, src.len() as u32],
            ia,
            fa,
            ..Default::default()
        };
        let dst = crate::volume::GpuVolume::like(self, src, pixel);
        let pipe = self.pipeline(key, code, entry);
        self.dispatch(
            enc,
            &pipe,
            &u,
            &src.buffer,
            &dst.buffer,
            aux,
            src.len() as u64,
        );
        dst
    }

    /// Starts timing the passes recorded from now on with GPU timestamps (first
    /// pass's start to last pass's end); false when the adapter has no timestamp queries.
    pub(crate) fn start_timer(&self) -> bool {
        if !self.info.timestamp_query {
            return false;
        }
        let set = self.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("medvox timer"),
            ty: wgpu::QueryType::Timestamp,
            count: 2,
        });
        *self.timer.lock().expect("timer") = Some(Timer {
            set,
            started: false,
        });
        true
    }

    /// Seconds between the timestamps of a [`GpuContext::start_timer`] run (waits
    /// for the device); `None` when no timer ran or no pass was recorded.
    pub(crate) fn stop_timer(&self) -> Result<Option<f64>> {
        let Some(t) = self.timer.lock().expect("timer").take() else {
            return Ok(None);
        };
        if !t.started {
            return Ok(None);
        }
        let buf = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("medvox timestamps"),
            size: 16,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let mut enc = self.encoder();
        enc.resolve_query_set(&t.set, 0..2, &buf, 0);
        self.submit(enc)?;
        let ts: Vec<u64> = bytemuck::pod_collect_to_vec(&self.read(&buf, 16)?);
        let period = f64::from(self.queue.get_timestamp_period());
        Ok(Some(ts[1].wrapping_sub(ts[0]) as f64 * period * 1e-9))
    }

    /// A command encoder; submit it with [`GpuContext::submit`].
    pub(crate) fn encoder(&self) -> wgpu::CommandEncoder {
        self.device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None })
    }

    /// Submits and waits until the device is idle.
    pub(crate) fn submit(&self, enc: wgpu::CommandEncoder) -> Result<()> {
        let idx = self.queue.submit([enc.finish()]);
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: Some(idx),
                timeout: None,
            })
            .map_err(|e| GpuError::Device(format!("waiting for the GPU: {e}")))?;
        self.check_errors()
    }

    /// The first device error (validation, out of memory) raised since the last
    /// check, as a [`GpuError::Device`].
    pub(crate) fn check_errors(&self) -> Result<()> {
        match self.errors.lock().expect("error slot").take() {
            Some(e) => Err(GpuError::Device(e)),
            None => Ok(()),
        }
    }

    /// Waits until every submitted command has run (reports a device error).
    pub fn wait(&self) -> Result<()> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Device(format!("waiting for the GPU: {e}")))?;
        self.check_errors()
    }

    /// Copies `bytes` bytes of `buf` back to the host.
    pub(crate) fn read(&self, buf: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>> {
        if bytes == 0 {
            return Ok(Vec::new());
        }
        let size = bytes.next_multiple_of(4);
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("medvox readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = self.encoder();
        enc.copy_buffer_to_buffer(buf, 0, &staging, 0, size);
        self.submit(enc)?;
        let (tx, rx) = std::sync::mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        rx.recv()
            .map_err(|e| GpuError::Readback(e.to_string()))?
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        let view = staging
            .get_mapped_range(..)
            .map_err(|e| GpuError::Readback(format!("{e:?}")))?;
        let out = view[..bytes as usize].to_vec();
        drop(view);
        staging.unmap();
        Ok(out)
    }
}

fn desc_backends() -> wgpu::Backends {
    wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12
}
