// Separable 3D Sobel magnitude (scipy.ndimage.sobel per axis): derivative
// [-1, 0, 1] along the axis, smoothing [1, 2, 1] along the two others, edge replicate.
@compute @workgroup_size(256)
fn sobel(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    let c = coords(i);
    var g = vec3<f32>(0.0);
    for (var dz = -1; dz <= 1; dz = dz + 1) {
        for (var dy = -1; dy <= 1; dy = dy + 1) {
            for (var dx = -1; dx <= 1; dx = dx + 1) {
                let v = at(c + vec3<i32>(dx, dy, dz));
                let s = vec3<f32>(f32(2 - abs(dx)), f32(2 - abs(dy)), f32(2 - abs(dz)));
                g.x = g.x + f32(dx) * s.y * s.z * v;
                g.y = g.y + f32(dy) * s.x * s.z * v;
                g.z = g.z + f32(dz) * s.x * s.y * v;
            }
        }
    }
    dst[i] = sqrt(dot(g, g));
}
