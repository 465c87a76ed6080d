from __future__ import annotations

import pandas as pd
import pytest

from basin import datasets
from basin.demo import STEPS
from basin.maps import demo as maps_demo


def test_maps_step_is_last():
    assert STEPS[-1] == ("maps", "basin.maps.demo:demo_step")


@pytest.fixture
def small_series(tmp_path, monkeypatch):
    """The demo series cut to two years, so that the step runs in seconds."""
    wq = pd.read_csv(datasets.get_path("wq"), dtype=str)
    cut = tmp_path / "wq.csv"
    wq[wq["time"] >= "2023-01-01"].to_csv(cut, index=False)
    real = maps_demo.read_series
    monkeypatch.setattr(maps_demo, "read_series", lambda **kw: real(wq=cut, **kw))


def test_demo_step_writes_maps_and_index(tmp_path, small_series):
    out = tmp_path / "out"
    written = maps_demo.demo_step(out)
    for label in ("overview map (PNG)", "overview map (PDF)", "interactive map", "index", "station chart"):
        assert written[label].exists()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="maps/map.html"' in page
    assert "maps/overview.pdf" in page
    html = (out / "maps" / "map.html").read_text(encoding="utf-8")
    assert "basinSetPeriod" in html
    assert "2024-12" in html


def test_load_outputs_reads_what_exists(tmp_path, world, audit):
    (tmp_path / "zones").mkdir()
    world["zones"].to_file(tmp_path / "zones" / "zones.gpkg", layer="zones", engine="pyogrio")
    audit.to_csv((tmp_path / "crossborder").mkdir() or tmp_path / "crossborder" / "audit.csv", index=False)
    found = maps_demo.load_outputs(tmp_path)
    assert set(found) == {"zones", "audit"}
    assert list(found["zones"]["zone"]) == ["A", "B", "C"]
    assert found["audit"]["section_id"].tolist() == ["X1", "X2", "X2"]
