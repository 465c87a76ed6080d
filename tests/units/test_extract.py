"""The fast exactextract feed (WKB features, a small band read once) against exactextract's own sources."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from exactextract import exact_extract
from exactextract.raster import RasterioRasterSource
from pyproj import CRS

from basin.units import _extract
from tests.units.conftest import NODATA, UTM, X0, Y0, write_raster


def _polygons(n: int, seed: int = 3) -> np.ndarray:
    """Irregular polygons (some with holes, some multi) over a 6 x 6 km raster."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        cx, cy = X0 + rng.uniform(300, 5700), Y0 + rng.uniform(300, 5700)
        poly = shapely.Point(cx, cy).buffer(rng.uniform(100, 1500), quad_segs=rng.integers(2, 8))
        if rng.random() < 0.3:
            poly = poly.difference(shapely.Point(cx, cy).buffer(50))
        if rng.random() < 0.2:
            poly = shapely.union(poly, shapely.box(cx + 2000, cy, cx + 2300, cy + 300))
        out.append(poly.intersection(shapely.box(X0, Y0, X0 + 6000, Y0 + 6000)))
    return np.array(out, dtype=object)


@pytest.fixture
def raster(tmp_path):
    rng = np.random.default_rng(7)
    vals = rng.uniform(0, 100, (6, 6)).astype("float32")
    vals[2, 3] = NODATA
    vals[0, 0] = NODATA
    return write_raster(tmp_path / "r.tif", vals, x0=X0, y0=Y0 + 6000, res=1000, crs=UTM)


def _reference(path, geoms, ops):
    with rasterio.open(path) as src:
        vec = gpd.GeoDataFrame({"_pos": np.arange(len(geoms))}, geometry=geoms, crs=src.crs)
        res = exact_extract(RasterioRasterSource(src, 1), vec, ops, output="pandas", include_cols=["_pos"])
    return res.set_index("_pos").reindex(np.arange(len(geoms)))


@pytest.mark.parametrize("cached", [True, False])
def test_extract_equals_exactextract_sources(raster, cached, monkeypatch):
    """Means, sums, counts and unique/frac are those of exactextract's GeoPandas and rasterio sources."""
    if not cached:
        monkeypatch.setattr(_extract, "MAX_CACHED_CELLS", 0)
    geoms = _polygons(60)
    ops = ["mean", "sum", "count"]
    with rasterio.open(raster) as src:
        fast = _extract.extract(src, 1, geoms, CRS.from_user_input(src.crs), ops)
        assert (fast.attrs, len(fast)) == ({}, 60)
        assert (_extract.CachedRasterioSource(src, 1)._whole is None) is (not cached)
    ref = _reference(raster, geoms, ops)
    for op in ops:
        np.testing.assert_array_equal(fast[op].to_numpy(dtype=float), ref[op].to_numpy(dtype=float))


def test_extract_unique_frac(raster):
    geoms = _polygons(25, seed=11)
    with rasterio.open(raster) as src:
        fast = _extract.extract(src, 1, geoms, CRS.from_user_input(src.crs), ["unique", "frac"])
    ref = _reference(raster, geoms, ["unique", "frac"])
    for a, b in zip(fast["unique"], ref["unique"], strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(fast["frac"], ref["frac"], strict=True):
        np.testing.assert_array_equal(a, b)


def test_extract_keeps_order_and_empty_polygons(raster):
    """Row i is polygon i; a polygon outside the raster gets count 0 (not dropped, not moved)."""
    geoms = np.array(
        [
            shapely.box(X0, Y0, X0 + 1000, Y0 + 1000),
            shapely.box(X0 - 9000, Y0 - 9000, X0 - 8000, Y0 - 8000),
            shapely.box(X0, Y0 + 5000, X0 + 1000, Y0 + 6000),
        ],
        dtype=object,
    )
    with rasterio.open(raster) as src:
        vals = src.read(1)
        fast = _extract.extract(src, 1, geoms, CRS.from_user_input(src.crs), ["mean", "count"])
    assert fast["count"].tolist() == [1.0, 0.0, 0.0]  # the north-west cell [0, 0] is nodata
    assert fast["mean"].iloc[0] == pytest.approx(float(vals[5, 0]))
