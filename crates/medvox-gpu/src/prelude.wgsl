// Prelude of every medvox kernel: one uniform block, a source, a destination
// and an auxiliary read-only buffer (weights, offsets); voxels x fastest.
struct P {
    dims: vec4<u32>, // nx, ny, nz, n
    ia: vec4<i32>,
    fa: vec4<f32>,
    fb: vec4<f32>,
};
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read> aux: array<f32>;

// Linear invocation index over a 2D grid of 256-wide workgroups.
fn linear_id(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return (wid.y * nwg.x + wid.x) * 256u + lid;
}

// (x, y, z) of a voxel index.
fn coords(i: u32) -> vec3<i32> {
    let nx = p.dims.x;
    let ny = p.dims.y;
    return vec3<i32>(i32(i % nx), i32((i / nx) % ny), i32(i / (nx * ny)));
}

// Source voxel at (x, y, z) clamped into the grid (edge replicate).
fn at(c: vec3<i32>) -> f32 {
    let hi = vec3<i32>(p.dims.xyz) - vec3<i32>(1);
    let q = clamp(c, vec3<i32>(0), hi);
    return src[(u32(q.z) * p.dims.y + u32(q.y)) * p.dims.x + u32(q.x)];
}
