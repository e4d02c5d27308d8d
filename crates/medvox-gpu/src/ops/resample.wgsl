// Resampling of one output z-slab (dims: nx, ny, slab nz, n) from an input z-slab.
// ia = (input nx, ny, nz of the whole input, first input plane of the slab);
// fa = (dc/dix per axis, default value bits as f32); fb.x = 0 nearest, 1 linear.
// aux: per output row (y, z of the slab) the continuous input index (x, y, z) of
// its first voxel; voxel ix adds ix * fa.xyz. Voxels within the f32 error bound of
// a rounding or range boundary are written as AMBIG and resolved on the host in f64.
@group(0) @binding(2) var<storage, read_write> outw: array<u32>;

const AMBIG: u32 = 0x7fc5a5a5u;

fn sample(q: vec3<i32>) -> f32 {
    let z = q.z - p.ia.w;
    return src[(u32(z) * u32(p.ia.y) + u32(q.y)) * u32(p.ia.x) + u32(q.x)];
}

@compute @workgroup_size(256)
fn resample(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    let ix = i % p.dims.x;
    let r = i / p.dims.x;
    let b = vec3<f32>(aux[3u * r], aux[3u * r + 1u], aux[3u * r + 2u]);
    let st = p.fa.xyz * f32(ix);
    let c = b + st;
    // A generous bound on the f32 error of c (the host's f64 value rounded, a
    // product and two sums of a few ulps each).
    let tol = (abs(b) + abs(st) + vec3<f32>(1.0)) * 1e-6;
    let t = c + vec3<f32>(0.5);
    let n = vec3<f32>(vec3<i32>(p.ia.xy, p.ia.z));
    if (any(abs(t) <= tol) || any(abs(t - n) <= tol)) { outw[i] = AMBIG; return; }
    if (any(t < vec3<f32>(0.0)) || any(t >= n)) { outw[i] = bitcast<u32>(p.fa.w); return; }
    let last = vec3<i32>(p.ia.xy, p.ia.z) - vec3<i32>(1);
    if (p.fb.x == 0.0) {
        if (any(abs(t - round(t)) <= tol)) { outw[i] = AMBIG; return; }
        let q = clamp(vec3<i32>(floor(t)), vec3<i32>(0), last);
        outw[i] = bitcast<u32>(sample(q));
        return;
    }
    let f = floor(c);
    let w1 = c - f;
    let w0 = vec3<f32>(1.0) - w1;
    let q0 = clamp(vec3<i32>(f), vec3<i32>(0), last);
    let q1 = clamp(vec3<i32>(f) + vec3<i32>(1), vec3<i32>(0), last);
    var s = 0.0;
    for (var a = 0; a < 2; a = a + 1) {
        let z = select(q0.z, q1.z, a == 1);
        let wz = select(w0.z, w1.z, a == 1);
        for (var bb = 0; bb < 2; bb = bb + 1) {
            let y = select(q0.y, q1.y, bb == 1);
            let w = wz * select(w0.y, w1.y, bb == 1);
            s = s + w * w0.x * sample(vec3<i32>(q0.x, y, z));
            s = s + w * w1.x * sample(vec3<i32>(q1.x, y, z));
        }
    }
    outw[i] = bitcast<u32>(s);
}
