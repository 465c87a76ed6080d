"""The dense-network generator and ``basin run`` end to end at a small size (the benchmark's path)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from basin.project import load_project
from basin.run import run_project

ROOT = Path(__file__).resolve().parents[2]


def test_generated_project_runs(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "make_dense_network", ROOT / "scripts" / "make_dense_network.py"
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_dense_network"] = mod
    spec.loader.exec_module(mod)
    data = tmp_path / "data"
    mod.main(["300", "--out", str(data), "--facilities", "60", "--stations", "6", "--years", "1"])
    project = load_project(data / "basin.yml")
    lines: list[str] = []
    res = run_project(project, outdir=tmp_path / "out", force=True, echo=lines.append)
    for step in ("riparian", "audit", "wq", "units", "management", "crossborder", "maps"):
        assert step in res.timings, (step, lines)
    assert len(res.layers["rivers"]) == len(mod.gpd.read_file(data / "rivers.gpkg"))
    assert res.units is not None and len(res.units.units) > 100
    assert res.crossborder is not None and len(res.crossborder.sections) > 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["timings_s"]["units"] > 0
    html = [p for p in res.files["maps"].values() if str(p).endswith(".html")]
    assert html and html[0].stat().st_size < 5e6
