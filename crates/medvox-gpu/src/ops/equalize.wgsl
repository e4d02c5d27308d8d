// Table lookup for integer voxels: dst = aux[clamp(i32(src) - ia.x, 0, ia.y - 1)]
// (histogram equalisation's cdf per value from the minimum ia.x, ia.y values).
@compute @workgroup_size(256)
fn lut(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    let k = clamp(i32(src[i]) - p.ia.x, 0, p.ia.y - 1);
    dst[i] = aux[u32(k)];
}
