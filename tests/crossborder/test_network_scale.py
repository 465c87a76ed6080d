"""Network helpers at scale: the extension stops at its length; the numpy substring equals shapely's."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.ops import substring

from basin.crossborder.network import _extension, _substring, build_network, near_lines

UTM = "EPSG:32648"


def _chain(seed: int) -> gpd.GeoDataFrame:
    """A tributary T joins a main river of 8 wiggly segments (random walks of ~8 km, Albers-like numbers)."""
    rng = np.random.default_rng(seed)
    c = np.cumsum(rng.normal(0, 700, (8 * 11 + 1, 2)), axis=0) + [431234.5678, 3312345.678]
    lines = [shapely.LineString(c[11 * k : 11 * k + 12]) for k in range(8)]
    ids = [f"M{k}" for k in range(8)]
    trib = shapely.LineString([c[0] + np.array([-2500.0, 1700.0]), c[0]])
    return gpd.GeoDataFrame(
        {
            "river_id": ["T", *ids],
            "level": [1] + [0] * 8,
            "downstream_id": ["M0", *ids[1:], None],
            "stem_id": ["S2"] + ["S1"] * 8,
        },
        geometry=[trib, *lines],
        crs=UTM,
    )


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_extension_stops_at_its_length(seed):
    """A rounding remainder (the piece is 1e-10 m short) must not walk on to the outlet (seed 0 has one)."""
    riv = _chain(seed)
    assert substring(riv.geometry.iloc[1], 0.0, 2000.0).length < 2000.0 or seed > 0
    net = build_network(riv, key_column=None, snap_m=1.0, extension_m=2000.0)
    trib = next(p for p in net.paths if p.segments == ["T"])
    ext = _extension(net, trib, 2000.0)
    assert ext.length == pytest.approx(2000.0, abs=1e-6)
    # it lies on the first main-stem segment only (no zero-length pieces of the segments further down)
    assert shapely.distance(shapely.points(shapely.get_coordinates(ext)), net.geom["M0"]).max() < 1e-6
    assert len(shapely.get_coordinates(ext)) <= 12


def test_numpy_substring_equals_shapely():
    rng = np.random.default_rng(3)
    line = shapely.LineString(np.cumsum(rng.normal(0, 500, (40, 2)), axis=0))
    for start, end in [(0.0, 100.0), (0.0, line.length), (123.4, 5678.9), (1.0, line.length - 1.0)]:
        ours = _substring(line, start, end)
        ref = shapely.get_coordinates(substring(line, start, end))
        np.testing.assert_array_equal(ours, ref)
    assert _substring(line, 5.0, 5.0) is None


def test_near_lines_equals_dwithin():
    rng = np.random.default_rng(4)
    border = shapely.MultiLineString([np.cumsum(rng.normal(0, 800, (200, 2)), axis=0)])
    pts = shapely.points(rng.uniform(-20_000, 20_000, (500, 2)))
    np.testing.assert_array_equal(near_lines(pts, border, 1500.0), shapely.dwithin(pts, border, 1500.0))
