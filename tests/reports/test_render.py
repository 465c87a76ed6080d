"""render_maps on a fake run: every map from the run's own results, no demo file read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from basin import datasets
from basin.maps.render import chart_choice, render_maps


@pytest.fixture
def no_demo(monkeypatch):
    def refuse(*a, **k):
        msg = "a demo file was read"
        raise AssertionError(msg)

    for name in ("get_path", "data_dir"):
        if hasattr(datasets, name):
            monkeypatch.setattr(datasets, name, refuse)


def test_render_maps_from_the_runs_results(run, tmp_path, no_demo):
    files = render_maps(run, tmp_path / "maps", lang="zh", formats=["png", "pdf", "html", "csv"])
    names = sorted(p.name for p in files.values())
    assert names == ["map.html", "overview.pdf", "overview.png", "zones.pdf", "zones.png"]
    assert all(p.is_file() and p.stat().st_size > 1000 for p in files.values())
    assert "总览图（PNG）" in files
    page = (tmp_path / "maps" / "map.html").read_text(encoding="utf-8")
    assert "选址审查违规企业" in page  # the run's violations
    assert "甲化工厂" in page
    assert "企业清单.xlsx" in page  # the footer names the user's file
    assert "示例" in page  # and says the admin layer is demo data
    assert '"2024-02"' in page  # the run's own monthly classes in the time control
    assert "示例县 2024" in page


def test_render_maps_formats_and_language(run, tmp_path, no_demo):
    files = render_maps(run, tmp_path, lang="en", formats=["html"])
    assert list(files) == ["interactive map (HTML)"]
    assert render_maps(run, tmp_path / "none", formats=[]) == {}


def test_render_maps_without_rivers_or_admin_draws_nothing(run, tmp_path):
    run.layers = {"stations": run.layers["stations"]}
    assert render_maps(run, tmp_path) == {}


def test_chart_choice_picks_the_worst_station_and_its_pollutant():
    ds = xr.Dataset(
        {p: (("station", "time"), np.ones((2, 2))) for p in ("TP", "NH3_N")},
        coords={"station": ["S1", "S2"], "time": pd.to_datetime(["2024-01-01", "2024-02-01"])},
    )
    monthly = pd.DataFrame(
        {
            "station_id": ["S1", "S2", "S1", "S2"],
            "period": ["2024-01", "2024-01", "2024-02", "2024-02"],
            "class": [6, 2, 3, 5],
            "main_pollutants": [None, None, None, "TP(1.2)"],
        }
    )
    assert chart_choice(monthly, ds) == ("S2", "TP")
    assert chart_choice(monthly.assign(main_pollutants=None), ds) == ("S2", "NH3_N")
    assert chart_choice(None, ds) is None


def test_render_maps_reuses_the_runs_dissolved_management_zones(run, tmp_path, monkeypatch):
    import types

    import geopandas as gpd
    from shapely.geometry import box

    import basin.maps.web as web

    x0, y0, x1, y1 = run.layers["admin"].to_crs(3857).total_bounds
    xm = (x0 + x1) / 2
    cells = [box(x0, y0, xm, y1), box(xm, y0, x1, y1), box(x0, y1, xm, y1 + 1000), box(xm, y1, x1, y1 + 1000)]
    kinds = ["key", "general", "key", "general"]
    labels = {"key": ("重点管控区", "key control"), "general": ("一般维护区", "general maintenance")}
    pieces = gpd.GeoDataFrame(
        {"unit_id": ["U1", "U2", "U3", "U4"], "mgmt_zone": kinds, "label_zh": [labels[k][0] for k in kinds],
         "label_en": [labels[k][1] for k in kinds]},
        geometry=cells, crs=3857,
    )
    dissolved = pieces.dissolve(by=["mgmt_zone", "label_zh", "label_en"], as_index=False)
    run.management = types.SimpleNamespace(management=pieces, zones=dissolved)
    seen: dict = {}
    build = web.web_map

    def spy(**kw):
        seen.update(kw)
        return build(**kw)

    monkeypatch.setattr(web, "web_map", spy)
    monkeypatch.setattr(web, "CANVAS_MIN", 3)  # 4 pieces are "many": the dissolved zones are shown
    render_maps(run, tmp_path / "a", formats=["html"])
    assert seen["management"] is dissolved
    monkeypatch.setattr(web, "CANVAS_MIN", 3000)  # a few pieces: shown one by one, as before
    render_maps(run, tmp_path / "b", formats=["html"])
    assert seen["management"] is pieces
