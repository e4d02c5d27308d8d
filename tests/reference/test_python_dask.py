"""medvox.dask against the in-memory ops and cc3d, on the threaded scheduler and
on a real 2-worker LocalCluster (processes).

* `medvox.dask.apply` of local ops (Gaussian in mm on anisotropic spacing, median,
  erosion, a threshold, a pointwise window) equals `medvox.ops` on the whole array,
  bit for bit, with ragged last chunks and chunks smaller than the halo.
* `medvox.dask.label` gives the same partition as cc3d (6/18/26) with components
  crossing chunk faces, edges and corners, and the same numbering rule as
  `medvox.ops.components` on one chunk.
* `medvox.dask.pipeline` of a two-step local pipeline equals `medvox.pipeline`.
* Ops that need the whole volume are refused with a clear error.
"""
import cc3d
import dask
import dask.array as da
import numpy as np
import pytest

import medvox
import medvox.dask as mdask


def volume(shape=(37, 41, 45), seed=3):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 100).astype(np.float32)


SPACING = (0.7, 0.9, 2.5)
LOCAL_CASES = [
    ("gaussian", {"sigma": 1.5}),
    ("median", {"radius": [2, 1, 1]}),
    ("erode", {"radius": 2, "kernel": "ball"}),
    ("window", {"center": 0.0, "width": 100.0}),
    ("threshold", {"lower": 20.0}),
    ("gradient-magnitude", {}),
]


@pytest.mark.parametrize("chunks", [(16, 16, 16), (5, 40, 7)])
@pytest.mark.parametrize("op,params", LOCAL_CASES)
def test_apply_equals_in_memory(op, params, chunks):
    a = volume()
    want = getattr(medvox.ops, op.replace("-", "_"))(medvox.Image(a, spacing=SPACING), **params)
    want = want[0] if isinstance(want, tuple) else want
    got = mdask.apply(da.from_array(a, chunks=chunks), op, spacing=SPACING, **params)
    assert got.dtype == want.array.dtype
    with dask.config.set(scheduler="threads"):
        np.testing.assert_array_equal(got.compute(), want.array)


def test_apply_refuses_global_ops():
    d = da.from_array(volume(), chunks=16)
    with pytest.raises(medvox.ParameterError, match="whole volume"):
        mdask.apply(d, "otsu")
    with pytest.raises(medvox.ParameterError, match="whole volume"):
        mdask.apply(d, "components")
    with pytest.raises(TypeError, match="unknown parameter `sigmaa`.*sigma, sigma_voxels, method"):
        mdask.apply(d, "gaussian", sigmaa=1.0)
    with pytest.raises(medvox.ParameterError):
        mdask.apply(d, "gaussian", sigma=-1.0)


def blobs(shape=(48, 50, 52), seed=5, density=0.3):
    rng = np.random.default_rng(seed)
    return (rng.random(shape) < density).astype(np.uint8)


def same_partition(a, b):
    fa, fb = a.ravel().astype(np.int64), b.ravel().astype(np.int64)
    assert ((fa == 0) == (fb == 0)).all()
    pairs = np.unique(np.stack([fa[fa != 0], fb[fb != 0]]), axis=1)
    assert len(np.unique(pairs[0])) == pairs.shape[1] == len(np.unique(pairs[1]))


@pytest.mark.parametrize("connectivity", [6, 18, 26])
@pytest.mark.parametrize("chunks", [(16, 16, 16), (7, 50, 9)])
def test_label_same_partition_as_cc3d(connectivity, chunks):
    m = blobs()
    got = mdask.label(da.from_array(m, chunks=chunks), connectivity=connectivity).compute(scheduler="threads")
    ref = cc3d.connected_components(m, connectivity=connectivity)
    assert got.max() == ref.max()
    same_partition(got, ref)


def test_label_diagonal_across_chunk_corner():
    m = np.zeros((4, 4, 4), np.uint8)
    m[1, 1, 1] = m[2, 2, 2] = 1  # touch only at a corner shared by 8 chunks of 2^3
    d = da.from_array(m, chunks=2)
    assert mdask.label(d, connectivity=26).compute().max() == 1
    assert mdask.label(d, connectivity=18).compute().max() == 2
    m2 = np.zeros((4, 4, 4), np.uint8)
    m2[1, 1, 2] = m2[2, 2, 2] = 1  # an edge neighbour across two chunk faces
    d2 = da.from_array(m2, chunks=2)
    assert mdask.label(d2, connectivity=18).compute().max() == 1
    assert mdask.label(d2, connectivity=6).compute().max() == 2


def test_label_one_chunk_equals_components():
    m = blobs((20, 21, 22))
    got = mdask.label(da.from_array(m, chunks=m.shape)).compute()
    np.testing.assert_array_equal(got, medvox.ops.components(m)[0])


def test_pipeline_equals_in_memory():
    text = """
[input]
ct = "unused.nii.gz"
[[step]]
op = "gaussian"
sigma = 1.0
input = "ct"
output = "smooth"
[[step]]
op = "erode"
radius = 1
input = "smooth"
output = "eroded"
"""
    a = volume()
    want = medvox.pipeline.run_string(text, inputs={"ct": medvox.Image(a, spacing=SPACING)})["eroded"]
    got = mdask.pipeline(text, da.from_array(a, chunks=(12, 20, 15)), spacing=SPACING).compute()
    np.testing.assert_array_equal(got, want.array)


def test_local_cluster_two_workers():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        a = volume()
        d = da.from_array(a, chunks=16)
        got = mdask.apply(d, "gaussian", spacing=SPACING, sigma=1.5).compute()
        np.testing.assert_array_equal(got, medvox.ops.gaussian(medvox.Image(a, spacing=SPACING), sigma=1.5).array)
        m = blobs()
        lab = mdask.label(da.from_array(m, chunks=16)).compute()
        same_partition(lab, cc3d.connected_components(m, connectivity=26))
