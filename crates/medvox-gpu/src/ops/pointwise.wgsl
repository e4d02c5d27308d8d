// Pointwise kernels: one voxel in, one voxel out (dims.w voxels).

fn idx(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return linear_id(wid, nwg, lid);
}

// Window/level: fa = (lo, hi, out_min, out_max), fb.x = scale.
@compute @workgroup_size(256)
fn window(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = idx(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    let x = src[i];
    var y = p.fa.z + (x - p.fa.x) * p.fb.x;
    if (x <= p.fa.x) { y = p.fa.z; }
    if (x >= p.fa.y) { y = p.fa.w; }
    dst[i] = y;
}

// Affine: y = fa.x + (x - fa.y) * fa.z (rescale; mean's last division uses box.wgsl).
@compute @workgroup_size(256)
fn affine(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = idx(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    dst[i] = p.fa.x + (src[i] - p.fa.y) * p.fa.z;
}

// Clamp: below fa.x -> fb.x, above fa.y -> fb.y (the bounds in the pixel type), else x.
@compute @workgroup_size(256)
fn clamp_op(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = idx(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    let x = src[i];
    var y = x;
    if (p.ia.x != 0 && x < p.fa.x) { y = p.fb.x; }
    if (p.ia.y != 0 && x > p.fa.y) { y = p.fb.y; }
    dst[i] = y;
}

// Binary threshold: fa.x <= x <= fa.y -> fa.z, else fa.w.
@compute @workgroup_size(256)
fn threshold(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = idx(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    let x = src[i];
    dst[i] = select(p.fa.w, p.fa.z, x >= p.fa.x && x <= p.fa.y);
}

// Cast to an integer type (ia.x = 1): round half away from zero, saturate to
// [fa.x, fa.y], NaN -> 0; float types (ia.x = 0) copy.
@compute @workgroup_size(256)
fn cast_to(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = idx(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    let x = src[i];
    if (p.ia.x == 0) { dst[i] = x; return; }
    if (!(x == x)) { dst[i] = 0.0; return; }
    var t = trunc(x);
    if (abs(x - t) >= 0.5) { t = t + sign(x); }
    dst[i] = clamp(t, p.fa.x, p.fa.y);
}

// Mask of x == fa.x as 0/1.
@compute @workgroup_size(256)
fn binarize(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = idx(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    dst[i] = select(0.0, 1.0, src[i] == p.fa.x);
}

// 0/1 mask back to 0/fa.x.
@compute @workgroup_size(256)
fn unbinarize(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = idx(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    dst[i] = select(0.0, p.fa.x, src[i] != 0.0);
}

// Min and max (NaN skipped): each of dims.x workgroups strides over the voxels and
// writes (min, max) at dst[2g], dst[2g+1]; the host merges the partials.
var<workgroup> wmin: array<f32, 256>;
var<workgroup> wmax: array<f32, 256>;
@compute @workgroup_size(256)
fn min_max(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let g = wid.y * nwg.x + wid.x;
    let stride = p.dims.x * 256u;
    var lo = 3.4028235e38;
    var hi = -3.4028235e38;
    for (var i = g * 256u + lid; i < p.dims.w; i = i + stride) {
        let x = src[i];
        if (x == x) {
            lo = min(lo, x);
            hi = max(hi, x);
        }
    }
    wmin[lid] = lo;
    wmax[lid] = hi;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s = s >> 1u) {
        if (lid < s) {
            wmin[lid] = min(wmin[lid], wmin[lid + s]);
            wmax[lid] = max(wmax[lid], wmax[lid + s]);
        }
        workgroupBarrier();
    }
    if (lid == 0u && g < p.dims.x) {
        dst[2u * g] = wmin[0];
        dst[2u * g + 1u] = wmax[0];
    }
}
