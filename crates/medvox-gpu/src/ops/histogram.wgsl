// Histogram of dims.w voxels into ia.x bins. aux holds the ia.x + 1 bin edges
// (f32, non-decreasing): voxel v counts in bin j when aux[j] <= v < aux[j + 1]
// (NaN and values outside [aux[0], aux[nb]) are not counted). hist: u32 counts,
// zeroed by the host.
@group(0) @binding(2) var<storage, read_write> hist: array<atomic<u32>>;

const LOCAL_BINS: u32 = 4096u;
var<workgroup> sub: array<atomic<u32>, 4096>;

// Bin of v (-1: not counted): a guess from the mean width, corrected against the
// edges so the result equals a search of the edges.
fn bin_of(v: f32, nb: u32) -> i32 {
    let lo = aux[0];
    let hi = aux[nb];
    if (!(v >= lo && v < hi)) { return -1; }
    var j = u32(clamp(floor((v - lo) / (hi - lo) * f32(nb)), 0.0, f32(nb - 1u)));
    loop {
        if (j > 0u && v < aux[j]) { j = j - 1u; } else { break; }
    }
    loop {
        if (j + 1u < nb && v >= aux[j + 1u]) { j = j + 1u; } else { break; }
    }
    return i32(j);
}

// nb <= LOCAL_BINS: each of dims.x workgroups strides over the voxels into a
// workgroup-local sub-histogram, then adds its non-zero bins to the global one.
@compute @workgroup_size(256)
fn hist_local(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let nb = u32(p.ia.x);
    for (var k = lid; k < nb; k = k + 256u) {
        atomicStore(&sub[k], 0u);
    }
    workgroupBarrier();
    let g = wid.y * nwg.x + wid.x;
    if (g < p.dims.x) {
        let stride = p.dims.x * 256u;
        for (var i = g * 256u + lid; i < p.dims.w; i = i + stride) {
            let j = bin_of(src[i], nb);
            if (j >= 0) { atomicAdd(&sub[u32(j)], 1u); }
        }
    }
    workgroupBarrier();
    for (var k = lid; k < nb; k = k + 256u) {
        let c = atomicLoad(&sub[k]);
        if (c != 0u) { atomicAdd(&hist[k], c); }
    }
}

// More bins than workgroup memory holds: one global atomic per voxel.
@compute @workgroup_size(256)
fn hist_global(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    let j = bin_of(src[i], u32(p.ia.x));
    if (j >= 0) { atomicAdd(&hist[u32(j)], 1u); }
}
