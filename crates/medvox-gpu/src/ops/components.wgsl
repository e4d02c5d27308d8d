// Connected components by lock-free union-find (Playne & Hawick 2018): every
// foreground voxel's parent is a voxel index no larger than its own, a root is its
// own parent, and a union hooks the larger root under the smaller with atomicMin,
// so each component's root ends as its first voxel in memory order.
// src: the mask (f32, foreground = not ±0, NaN included); lab: parents, NONE on
// background. ia.x: connectivity order (1 face, 2 edge, 3 vertex).
@group(0) @binding(2) var<storage, read_write> lab: array<atomic<u32>>;

const NONE: u32 = 0xffffffffu;

fn fg(i: u32) -> bool {
    return (bitcast<u32>(src[i]) & 0x7fffffffu) != 0u;
}

fn find(x: u32) -> u32 {
    var r = x;
    loop {
        let q = atomicLoad(&lab[r]);
        if (q == r) { return r; }
        r = q;
    }
    return r;
}

fn unite(x: u32, y: u32) {
    var a = x;
    var b = y;
    loop {
        a = find(a);
        b = find(b);
        if (a == b) { return; }
        if (a < b) {
            let old = atomicMin(&lab[b], a);
            if (old == b) { return; }
            b = old;
        } else {
            let old = atomicMin(&lab[a], b);
            if (old == a) { return; }
            a = old;
        }
    }
}

@compute @workgroup_size(256)
fn init(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    atomicStore(&lab[i], select(NONE, i, fg(i)));
}

// Unites each foreground voxel with its foreground neighbours earlier in memory
// order (the backward half of the neighbourhood).
@compute @workgroup_size(256)
fn merge(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    if (!fg(i)) { return; }
    let c = coords(i);
    let hi = vec3<i32>(p.dims.xyz) - vec3<i32>(1);
    for (var dz = -1; dz <= 0; dz = dz + 1) {
        for (var dy = -1; dy <= 1; dy = dy + 1) {
            if (dz == 0 && dy > 0) { break; }
            for (var dx = -1; dx <= 1; dx = dx + 1) {
                if (dz == 0 && dy == 0 && dx >= 0) { break; }
                let order = abs(dx) + abs(dy) + abs(dz);
                if (order > p.ia.x) { continue; }
                let q = c + vec3<i32>(dx, dy, dz);
                if (any(q < vec3<i32>(0)) || any(q > hi)) { continue; }
                let j = (u32(q.z) * p.dims.y + u32(q.y)) * p.dims.x + u32(q.x);
                if (fg(j)) { unite(i, j); }
            }
        }
    }
}

// Points every foreground voxel at its root.
@compute @workgroup_size(256)
fn compress(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = linear_id(wid, nwg, lid);
    if (i >= p.dims.w) { return; }
    let q = atomicLoad(&lab[i]);
    if (q == NONE || q == i) { return; }
    atomicStore(&lab[i], find(q));
}
