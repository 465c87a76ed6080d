"""Options, CRS helpers, atomic writing and packaging metadata."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from shapely.geometry import Point

import basin
from basin import CRSError, DataError
from basin.crs import metric_crs, require_projected, to_metric
from basin.io import atomic_path, ensure_not_input, write_csv, write_json

ROOT = Path(__file__).resolve().parents[2]


def test_set_options_context_and_validation():
    default = basin.get_options()["metric_crs"]
    with basin.set_options(metric_crs="EPSG:32648"):
        assert basin.get_options()["metric_crs"] == "EPSG:32648"
        assert metric_crs().to_epsg() == 32648
    assert basin.get_options()["metric_crs"] == default
    with pytest.raises(ValueError, match=r"option 'metric_crs' got 'EPSG:4326'; expected a projected CRS in metres"):
        basin.set_options(metric_crs="EPSG:4326")
    with pytest.raises(ValueError, match=r"unknown option 'colour'"):
        basin.set_options(colour="red")


def test_metric_crs_rejects_degrees():
    with pytest.raises(CRSError, match="not a projected CRS in metres"):
        metric_crs("EPSG:4326")
    with pytest.raises(CRSError, match="unknown CRS"):
        metric_crs("EPSG:999999")


def test_require_projected_and_to_metric():
    pts = gpd.GeoDataFrame(geometry=[Point(106.5, 29.5)], crs=4326)
    with pytest.raises(CRSError, match="stations is in 'WGS 84' \\(not metres\\)"):
        require_projected(pts, "stations")
    m = to_metric(pts)
    assert require_projected(m).is_projected
    assert pts.crs.to_epsg() == 4326  # input unchanged
    with pytest.raises(CRSError, match="layer has no CRS"):
        to_metric(gpd.GeoDataFrame(geometry=[Point(0, 0)]))


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_writers_utf8(tmp_path):
    write_csv(pd.DataFrame({"name": ["长江"], "class_label": ["劣Ⅴ"]}), tmp_path / "a.csv")
    assert "长江,劣Ⅴ" in (tmp_path / "a.csv").read_text(encoding="utf-8")
    write_json({"label": "Ⅲ类"}, tmp_path / "a.json")
    assert "Ⅲ类" in (tmp_path / "a.json").read_text(encoding="utf-8")


def test_ensure_not_input(tmp_path):
    inp = tmp_path / "in.gpkg"
    inp.write_text("x")
    with pytest.raises(DataError, match="refusing to write .*in.gpkg: it is an input file"):
        ensure_not_input(tmp_path / "." / "in.gpkg", [inp, None])
    ensure_not_input(tmp_path / "out.gpkg", [inp])


def _norm(name: str) -> str:
    return re.split(r"[<>=!\[ ]", name.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = set()
    for d in project["dependencies"]:
        deps.add(_norm(d))
        extras = re.search(r"\[(.*)\]", d)
        if extras:
            deps |= {_norm(e) for e in extras.group(1).split(",")}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda: set[str] = set()
    for d in env["dependencies"]:
        if isinstance(d, dict):
            conda |= {_norm(p) for p in d["pip"] if not p.startswith("-e")}
        else:
            conda.add(_norm(d))
    conda -= {"python", "pip"}
    assert deps == conda, f"only in pyproject: {sorted(deps - conda)}; only in environment.yml: {sorted(conda - deps)}"
    assert any(str(p).startswith("-e") for d in env["dependencies"] if isinstance(d, dict) for p in d["pip"])


def test_import_is_cheap():
    import subprocess
    import sys

    code = "import sys, basin, basin.cli; print(' '.join(m for m in ('folium', 'matplotlib', 'dask') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == ""
