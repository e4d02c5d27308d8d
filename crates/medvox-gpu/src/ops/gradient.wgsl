// Gradient magnitude by central differences: g_a = (f[i+e_a] − f[i−e_a]) / fa[a]
// (fa = 2·spacing or 2), edge replicate.
@compute @workgroup_size(256)
fn gradient(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    let c = coords(i);
    let gx = (at(c + vec3<i32>(1, 0, 0)) - at(c - vec3<i32>(1, 0, 0))) / p.fa.x;
    let gy = (at(c + vec3<i32>(0, 1, 0)) - at(c - vec3<i32>(0, 1, 0))) / p.fa.y;
    let gz = (at(c + vec3<i32>(0, 0, 1)) - at(c - vec3<i32>(0, 0, 1))) / p.fa.z;
    dst[i] = sqrt(gx * gx + gy * gy + gz * gz);
}
