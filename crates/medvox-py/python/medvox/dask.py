"""medvox ops on Dask arrays: one machine's threads or a `dask.distributed` cluster.

    import dask.array as da, medvox.dask
    smooth = medvox.dask.apply(darr, "gaussian", sigma=2.0, spacing=(0.8, 0.8, 2.0))
    labels = medvox.dask.label(mask, connectivity=26)       # distributed connected components
    out = medvox.dask.pipeline(toml_text, darr, output="smooth")

Arrays are (z, y, x), as everywhere in medvox; `spacing`, `origin` and
`direction` are (x, y, z) as in `medvox.Image`. The halo (overlap depth), output
dtype and boundary rule come from the op registry (`bind`): nothing to choose.
Each block runs the GIL-free kernel, so the threaded scheduler uses every core
and workers of a cluster need only `import medvox`.

Ops that cut into independent blocks (kind `local`) run through `map_overlap`
with no padding at the volume's border (boundary "none": the op itself
replicates edges there, as in memory), which equals the in-memory op — also for
a chain of ops in one overlap (`pipeline`).
Ops that need the whole volume (Otsu's histogram, resampling, watershed…) are
refused with a ParameterError; connected components have their own algorithm
(`label`): label each chunk, find the equivalences across chunk faces, one small
union-find, relabel, so the graph grows with the number of chunks only.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from . import _medvox, ops
from ._image import Image, _PIXEL_TYPE
from .errors import ParameterError

_DTYPE = {v: k for k, v in _PIXEL_TYPE.items()}
_IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)


def _geometry(spacing, origin, direction) -> tuple:
    img = Image(np.zeros((1, 1, 1), np.uint8), spacing, origin, direction)
    return img.geometry


def _pixel_type(dtype) -> str:
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return "u8"
    if dt.newbyteorder("=") not in _PIXEL_TYPE:
        raise TypeError(f"dtype {dt} is not supported; use one of {', '.join(d.name for d in _PIXEL_TYPE)}")
    return _PIXEL_TYPE[dt.newbyteorder("=")]


def _run_block(block, op, params, geometry):
    img = Image(block, *geometry)
    out = getattr(ops, op.replace("-", "_"))(img, **params)
    return (out[0] if isinstance(out, tuple) else out).array


def apply(
    darr,
    op: str,
    *,
    spacing: Sequence[float] = (1.0, 1.0, 1.0),
    origin: Sequence[float] = (0.0, 0.0, 0.0),
    direction: Sequence[float] = _IDENTITY,
    **params: Any,
):
    """The registry op `op` (a local op: filters, morphology, thresholds) on a 3D
    Dask array, lazily: `map_overlap` with the op's declared halo and output
    dtype, no padding at the volume's border (the op replicates edges there). Parameters are the op's (as in
    `medvox.ops`); `threads=` applies per block (default: all cores)."""
    import dask.array as da

    if darr.ndim != 3:
        raise TypeError(f"expected a 3D (z, y, x) dask array, got {darr.ndim}D")
    geometry = _geometry(spacing, origin, direction)
    p = {k: v for k, v in params.items() if k not in ("threads", "device")}
    b = _medvox.bind(op, p, tuple(darr.shape), _pixel_type(darr.dtype), geometry)
    if b["kind"] != "local":
        raise ParameterError(
            f"{op}: a {b['kind']} op needs the whole volume; medvox.dask.apply runs local ops "
            f"(use medvox.dask.label for connected components)")
    if b["output"] != "volume" or tuple(b["size"]) != tuple(darr.shape[::-1]):
        raise ParameterError(f"{op}: its output is not a volume on the input's grid")
    hx, hy, hz = b["halo"]
    dtype = _DTYPE[b["pixel_type"]]
    fn = _run_block
    kwargs = dict(op=op, params=params, geometry=geometry)
    if hx == hy == hz == 0:
        return darr.map_blocks(fn, dtype=dtype, **kwargs)
    return da.map_overlap(fn, darr, depth={0: hz, 1: hy, 2: hx}, boundary="none", dtype=dtype,
                          trim=True, **kwargs)


# -- connected components ----------------------------------------------------------
def _label_block(block, connectivity):
    labels, _ = ops.components(block, connectivity=connectivity, order="raster")
    return labels.astype(np.uint32, copy=False)


def _materialized(darr, fn, *args, name):
    """`fn` on every chunk as a plain (non-blockwise) graph layer: Dask does not
    fuse it into its consumers, so each chunk is computed once however many
    consumers it has."""
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    key = f"{name}-{tokenize(darr, fn.__name__, args)}"
    dsk = {(key, *idx): (fn, (darr.name, *idx), *args) for idx in np.ndindex(darr.numblocks)}
    graph = HighLevelGraph.from_collections(key, dsk, dependencies=[darr])
    return da.Array(graph, key, chunks=darr.chunks, dtype=np.uint32)


def _block_max(block):
    return np.full((1, 1, 1), block.max() if block.size else 0, np.uint64)


def _add_offset(labels, offset):
    off = int(offset.reshape(()))
    if off + int(labels.max(initial=0)) >= 2**32:
        raise ParameterError("more than 2^32 - 1 chunk-local components: use larger chunks")
    out = labels.copy()
    np.add(out, np.uint32(off), out=out, where=out != 0)
    return out


def _shifts(connectivity: int) -> list:
    """In-plane offsets (dy, dx) that connect two voxels on either side of a face."""
    if connectivity == 6:
        return [(0, 0)]
    if connectivity == 18:
        return [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]
    return [(a, b) for a in (-1, 0, 1) for b in (-1, 0, 1)]


def _face_pairs(slab, connectivity):
    """Label pairs (a, b) touching across the boundary between slab[0] and slab[1]."""
    a, b = slab[0], slab[1]
    pairs = []
    ny, nx = a.shape
    for dy, dx in _shifts(connectivity):
        ya, yb = slice(max(0, -dy), ny - max(0, dy)), slice(max(0, dy), ny - max(0, -dy))
        xa, xb = slice(max(0, -dx), nx - max(0, dx)), slice(max(0, dx), nx - max(0, -dx))
        la, lb = a[ya, xa], b[yb, xb]
        m = (la != 0) & (lb != 0)
        if m.any():
            # One 64-bit key per pair: a 1D unique is much faster than rows.
            pairs.append((la[m].astype(np.uint64) << np.uint64(32)) | lb[m].astype(np.uint64))
    if not pairs:
        return np.zeros((0, 2), np.uint64)
    keys = np.unique(np.concatenate(pairs))
    return np.stack([keys >> np.uint64(32), keys & np.uint64(0xFFFFFFFF)], axis=1)


def _resolve(pairs, total):
    """Final label of each provisional label 1..total: equivalence classes of the
    pairs, numbered 1.. in the order of their smallest provisional label."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = int(np.asarray(total).ravel()[0]) + 1
    if len(pairs):
        g = coo_matrix((np.ones(len(pairs), np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    else:
        g = coo_matrix((n, n), dtype=np.int8)
    _, comp = connected_components(g, directed=False)
    # Number classes by their first (smallest) provisional label; 0 stays 0.
    first = np.full(comp.max() + 1, n, np.int64)
    np.minimum.at(first, comp, np.arange(n))
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    lut = rank[comp]
    lut = lut - lut[0]
    return lut.astype(np.uint32)


def label(darr, *, connectivity: int = 26):
    """Connected components of a 3D Dask array (voxels != 0 are foreground), as
    `medvox.ops.components`: each chunk is labelled with the GIL-free kernel, the
    labels are made unique with per-chunk offsets, pairs of labels touching across
    every chunk boundary plane (6/18/26-connectivity, diagonals across chunk edges
    and corners included) are collected, one union-find over those pairs (its size
    is the number of chunk-local components) gives the final numbering, and a
    lookup relabels each chunk. Labels are uint32, numbered by the first chunk
    (in chunk order) and position where a component appears. Returns a Dask
    array; the union-find runs when it is computed."""
    import dask
    import dask.array as da

    if connectivity not in (6, 18, 26):
        raise ParameterError(f"connectivity {connectivity}: expected 6, 18 or 26")
    if darr.ndim != 3:
        raise TypeError(f"expected a 3D (z, y, x) dask array, got {darr.ndim}D")
    # Chunk labels (1..n in raster order, so a chunk's count is its maximum),
    # made unique by adding the count of the chunks before (C order).
    local = _materialized(darr, _label_block, connectivity, name="medvox-label-chunks")
    counts = local.map_blocks(_block_max, chunks=(1, 1, 1), dtype=np.uint64)
    flat = counts.ravel()
    offsets = (da.cumsum(flat) - flat).reshape(counts.shape).rechunk(1)
    (total,) = flat.sum().reshape((1,)).to_delayed(optimize_graph=False)
    provisional = da.map_blocks(_add_offset, local, offsets, dtype=np.uint32)
    # Pairs across every chunk boundary plane, along each axis.
    pairs = []
    for axis in range(3):
        edges = np.cumsum(darr.chunks[axis])[:-1]
        for e in edges:
            sl = [slice(None)] * 3
            sl[axis] = slice(int(e) - 1, int(e) + 1)
            slab = da.moveaxis(provisional[tuple(sl)], axis, 0)
            # One chunk, handed over as it is (delayed(array) would copy the graph).
            (whole,) = slab.rechunk(slab.shape).to_delayed(optimize_graph=False).ravel()
            pairs.append(dask.delayed(_face_pairs)(whole, connectivity))
    lut = dask.delayed(_resolve)(dask.delayed(_concat)(pairs), total)
    parts = provisional.to_delayed(optimize_graph=False)
    shape = parts.shape
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(shape):
        bs = tuple(darr.chunks[a][idx[a]] for a in range(3))
        out[idx] = da.from_delayed(dask.delayed(_relabel)(parts[idx], lut), shape=bs, dtype=np.uint32)
    return da.block(out.tolist())


def _concat(pairs):
    pairs = [p for p in pairs if len(p)]
    return np.concatenate(pairs) if pairs else np.zeros((0, 2), np.uint64)


def _relabel(block, lut):
    return lut[block]


# -- pipelines ------------------------------------------------------------------------
def pipeline(
    text: str,
    darr,
    *,
    input: str | None = None,
    output: str | None = None,
    spacing: Sequence[float] = (1.0, 1.0, 1.0),
    origin: Sequence[float] = (0.0, 0.0, 0.0),
    direction: Sequence[float] = _IDENTITY,
    threads: int | None = None,
):
    """A pipeline of local ops (TOML text, as `medvox pipeline run` takes) on a
    Dask array: one `map_overlap` whose depth is the sum of the steps' halos, each
    block running the whole chain in memory. `input` names the pipeline input the
    array feeds (default: the only one); `output` the step output returned
    (default: the last step's)."""
    import dask.array as da

    from . import pipeline as _pipeline

    geometry = _geometry(spacing, origin, direction)
    names = _input_names(text)
    if input is None:
        if len(names) != 1:
            raise ParameterError(f"the pipeline has inputs {names}: say which one the array is (input=)")
        input = names[0]
    plan = _medvox.plan_pipeline(text, ".", {input: (tuple(darr.shape), _pixel_type(darr.dtype), geometry)})
    output = output or plan[-1]["output"]
    halo = [0, 0, 0]
    for s in plan:
        if s["kind"]["kind"] != "local":
            raise ParameterError(f"step {s['step']} ({s['op']}) is a {s['kind']['kind']} op: medvox.dask.pipeline runs local ops only")
        halo = [h + x for h, x in zip(halo, s["halo"])]
    final = next(s for s in plan if s["output"] == output)
    if final["output_type"]["output"] != "volume":
        raise ParameterError(f"`{output}` is not a volume")
    dtype = _DTYPE[final["output_type"]["pixel_type"]]

    def run(block):
        r = _pipeline.run_string(text, inputs={input: Image(block, *geometry)}, threads=threads)[output]
        return (r[0] if isinstance(r, tuple) else r).array

    hx, hy, hz = halo
    return da.map_overlap(run, darr, depth={0: hz, 1: hy, 2: hx}, boundary="none", dtype=dtype, trim=True)


def _input_names(text: str) -> list:
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib
    return sorted(tomllib.loads(text).get("input", {}))
