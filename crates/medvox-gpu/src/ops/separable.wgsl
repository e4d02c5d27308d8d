// One 1D pass of a symmetric separable filter along axis ia.x with radius ia.y:
// y = (w0·c + Σ_k w_k·(f[i−k] + f[i+k])) / fa.x, half-kernel w in aux, edge replicate.
// The order of the sum is the CPU's (gaussian_block), so f32 results agree to rounding.
@compute @workgroup_size(256)
fn conv1d(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    let c = coords(i);
    let a = p.ia.x;
    let e = vec3<i32>(select(0, 1, a == 0), select(0, 1, a == 1), select(0, 1, a == 2));
    var s = aux[0] * src[i];
    for (var k = 1; k <= p.ia.y; k = k + 1) {
        s = s + aux[k] * (at(c - k * e) + at(c + k * e));
    }
    dst[i] = s / p.fa.x;
}
