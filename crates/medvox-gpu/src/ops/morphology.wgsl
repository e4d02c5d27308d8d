// Flat grey morphology; ia.w = 1: maximum (dilation), 0: minimum (erosion).
// Out-of-image voxels are ignored (= edge replicate for these symmetric elements).

fn pick(m: f32, v: f32) -> f32 {
    return select(min(m, v), max(m, v), p.ia.w == 1);
}

fn load(q: vec3<i32>) -> f32 {
    return src[(u32(q.z) * p.dims.y + u32(q.y)) * p.dims.x + u32(q.x)];
}

// Box: one pass along axis ia.x with radius ia.y.
@compute @workgroup_size(256)
fn line(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    let c = coords(i);
    let a = p.ia.x;
    let e = vec3<i32>(select(0, 1, a == 0), select(0, 1, a == 1), select(0, 1, a == 2));
    let n = i32(p.dims[a]);
    var m = src[i];
    for (var k = -p.ia.y; k <= p.ia.y; k = k + 1) {
        let t = c[a] + k;
        if (t >= 0 && t < n) { m = pick(m, load(c + k * e)); }
    }
    dst[i] = m;
}

// Ball: ia.x x-runs (dy, dz, half width) as f32 triples in aux.
@compute @workgroup_size(256)
fn runs(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    let c = coords(i);
    let hi = vec3<i32>(p.dims.xyz) - vec3<i32>(1);
    var m = src[i];
    for (var r = 0; r < p.ia.x; r = r + 1) {
        let y = c.y + i32(aux[3 * r]);
        let z = c.z + i32(aux[3 * r + 1]);
        if (y < 0 || y > hi.y || z < 0 || z > hi.z) { continue; }
        let w = i32(aux[3 * r + 2]);
        let x0 = max(c.x - w, 0);
        let x1 = min(c.x + w, hi.x);
        for (var x = x0; x <= x1; x = x + 1) {
            m = pick(m, load(vec3<i32>(x, y, z)));
        }
    }
    dst[i] = m;
}
