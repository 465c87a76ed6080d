"""scripts/make_dense_network.py at a small size: the network it writes is a valid dendritic tree.

The checks here are written independently of the script's own ``topology_problems``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from basin import datasets
from basin.io import read_layer

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location(
        "make_dense_network", ROOT / "scripts" / "make_dense_network.py"
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_dense_network"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def dense(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("dense")
    figs = _script().main(
        ["1500", "--out", str(out), "--facilities", "300", "--stations", "12", "--years", "2"]
    )
    return out, figs


def test_size_and_files(dense):
    out, figs = dense
    riv = read_layer(out / "rivers.gpkg", "rivers")  # the data model's checks (ids unique, levels 0-9 ...)
    assert 1300 <= len(riv) <= 1700
    assert figs["reaches"] == len(riv)
    assert riv["synthetic"].sum() > 0.6 * len(riv)
    fac = read_layer(out / "facilities.gpkg", "facilities")
    assert len(fac) == 300
    st = read_layer(out / "stations.gpkg", "stations")
    assert len(st) == 12
    assert set(st["river_id"]) <= set(riv["river_id"])
    d = riv.set_index("river_id").geometry.to_crs(32648)
    on = gpd.GeoSeries(st.geometry.values, crs=st.crs).to_crs(32648)
    dist = shapely.distance(on.values, d.loc[st["river_id"]].values)
    assert dist.max() < 1.0
    wq = pd.read_csv(out / "wq_monthly.csv", dtype=str)
    assert list(wq.columns) == ["station_id", "time", "parameter", "value", "unit"]
    assert set(wq["station_id"]) == set(st["station_id"])
    assert wq["time"].nunique() == 24
    assert (out / "basin.yml").exists()


def test_topology(dense):
    out, _ = dense
    riv = gpd.read_file(out / "rivers.gpkg")
    demo = gpd.read_file(datasets.get_path("rivers"))
    outlets = set(demo.loc[demo["downstream_id"].isna(), "river_id"])
    ids = riv["river_id"].tolist()
    pos = {v: i for i, v in enumerate(ids)}
    down = [None if pd.isna(d) else str(d) for d in riv["downstream_id"]]
    # every downstream_id exists
    assert all(d is None or d in pos for d in down)
    # acyclic and drains to an outlet of the demo network
    root = {}
    for start in range(len(ids)):
        seen, k = [], start
        while k not in root and down[k] is not None:
            assert k not in seen, f"cycle through {ids[k]}"
            seen.append(k)
            k = pos[down[k]]
        r = root.get(k, ids[k])
        for s in seen:
            root[s] = r
        root[k] = r
    assert set(root.values()) <= outlets
    # end vertex == start vertex of the downstream reach, bit for bit
    g = riv.geometry.values
    for i, d in enumerate(down):
        if d is not None:
            assert (
                shapely.get_coordinates(g[i])[-1].tolist() == shapely.get_coordinates(g[pos[d]])[0].tolist()
            )
    # two reaches meet only at shared end points
    tree = shapely.STRtree(g)
    a, b = tree.query(g, predicate="intersects")
    ends = [{tuple(c) for c in shapely.get_coordinates(x)[[0, -1]]} for x in g]
    for i, j in zip(a, b, strict=True):
        if i >= j:
            continue
        inter = shapely.intersection(g[i], g[j])
        pts = {tuple(c) for c in shapely.get_coordinates(inter)}
        assert inter.geom_type in ("Point", "MultiPoint"), (ids[i], ids[j], inter.geom_type)
        assert pts <= (ends[i] & ends[j]), (ids[i], ids[j])
    # levels: the tributary of a level-k river is level k+1; the same river keeps its level
    lv = riv["level"].to_numpy()
    stem = riv["stem_id"].to_numpy()
    for i, d in enumerate(down):
        if d is not None:
            j = pos[d]
            assert (stem[i] == stem[j] and lv[i] == lv[j]) or lv[i] == lv[j] + 1, (ids[i], d)
    # synthetic tributaries of the demo rivers start one level below them
    syn = riv["synthetic"].to_numpy()
    mouths = [i for i, d in enumerate(down) if syn[i] and d is not None and not syn[pos[d]]]
    assert mouths
    assert all(lv[i] == lv[pos[down[i]]] + 1 for i in mouths)


def test_crosses_the_provincial_border(dense):
    out, _ = dense
    riv = gpd.read_file(out / "rivers.gpkg")
    border = gpd.read_file(datasets.get_path("admin"), layer="border").geometry.iloc[0]
    syn = riv[riv["synthetic"]]
    assert shapely.intersects(syn.geometry.values, border).sum() >= 3


def test_seeded(tmp_path):
    mod = _script()
    a = mod.main(
        ["400", "--out", str(tmp_path / "a"), "--facilities", "5", "--stations", "2", "--years", "1"]
    )
    b = mod.main(
        ["400", "--out", str(tmp_path / "b"), "--facilities", "5", "--stations", "2", "--years", "1"]
    )
    ra = gpd.read_file(tmp_path / "a" / "rivers.gpkg")
    rb = gpd.read_file(tmp_path / "b" / "rivers.gpkg")
    assert a["reaches"] == b["reaches"]
    assert np.array_equal(
        shapely.get_coordinates(ra.geometry.values), shapely.get_coordinates(rb.geometry.values)
    )
