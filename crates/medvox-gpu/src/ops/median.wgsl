// Median over a (2rx+1)(2ry+1)(2rz+1) <= 125 box (radius in ia.xyz), edge
// replicate: the window is gathered into registers and the middle element found by
// partial selection sort.
@compute @workgroup_size(256)
fn median(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    let c = coords(i);
    var v: array<f32, 125>;
    var n = 0;
    for (var dz = -p.ia.z; dz <= p.ia.z; dz = dz + 1) {
        for (var dy = -p.ia.y; dy <= p.ia.y; dy = dy + 1) {
            for (var dx = -p.ia.x; dx <= p.ia.x; dx = dx + 1) {
                v[n] = at(c + vec3<i32>(dx, dy, dz));
                n = n + 1;
            }
        }
    }
    let m = n / 2;
    for (var a = 0; a <= m; a = a + 1) {
        var best = a;
        for (var b = a + 1; b < n; b = b + 1) {
            if (v[b] < v[best]) { best = b; }
        }
        let t = v[a];
        v[a] = v[best];
        v[best] = t;
    }
    dst[i] = v[m];
}
