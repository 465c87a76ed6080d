"""basin init's guesses: an office-style folder -> kinds, mappings, options, and a commented project file."""

from __future__ import annotations

import datetime as dt
import os
import warnings

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import yaml
from shapely.geometry import LineString, Polygon

from basin import SchemaError
from basin.io import read_layer
from basin.io.guess import guess_file, guess_folder, write_project_yaml
from basin.project import load_project
from basin.waterquality import read_wq


@pytest.fixture
def office(tmp_path):
    """An office's folder: GBK shapefile without .cpg, EPSG:4490 admin, Excel lists, a wide monthly export."""
    d = tmp_path / "data"
    d.mkdir()
    rivers = gpd.GeoDataFrame(
        {
            "编码": ["R1", "R2"],
            "河流名称": ["长江", "嘉陵江"],
            "河流等级": ["干流", "一级支流"],
            "下游河流编码": [None, "R1"],
        },
        geometry=[LineString([(106.0, 29.0), (106.1, 29.1)]), LineString([(106.1, 29.1), (106.2, 29.3)])],
        crs="EPSG:4490",
    )
    with warnings.catch_warnings():  # GDAL reports the cut field name in GBK, which pyogrio cannot decode
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(rivers, d / "河流.shp", encoding="GBK")
    os.remove(d / "河流.cpg")
    square = Polygon([(105, 28), (107, 28), (107, 30), (105, 30)])
    gpd.GeoDataFrame(
        {
            "行政区划代码": ["510000", "510101"],
            "名称": ["四川省", "某县"],
            "级别": ["省", "县"],
            "上级代码": [None, "510000"],
        },
        geometry=[square, square],
        crs="EPSG:4490",
    ).to_file(d / "行政区.gpkg", engine="pyogrio")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["XX县涉水企业清单（2024年）"])
    ws.append(["企业名称", "行业类别", "状态", "经度", "纬度"])
    ws.append(["甲化工有限公司", "化工", "拟建", 106.5, 29.5])
    ws.append(["乙造纸厂", "造纸", "现有", 106.6, 29.6])
    wb.save(d / "企业清单.xlsx")
    pd.DataFrame(
        {
            "断面名称": ["甲断面", "乙断面"],
            "河流编码": ["R1", "R2"],
            "目标水质": ["Ⅲ类", "Ⅱ类"],
            "经度": [106.05, 106.15],
            "纬度": [29.05, 29.2],
        }
    ).to_csv(d / "监测断面.csv", index=False, encoding="gbk")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2019年XX县地表水水质月报"])
    ws.append(
        ["序号", "断面名称", "监测时间", "pH(无量纲)", "溶解氧(mg/L)", "总磷(mg/L)", "氨氮(mg/L)", "水质类别"]
    )
    ws.append(["", "检出限", "", "", "", 0.01, 0.025, ""])
    ws.append([1, "甲断面", "2019年01月", 7.5, 8.1, "未检出", "0.05", "Ⅱ"])
    ws.append([2, "乙断面", "2019年01月", 7.6, 7.9, 0.12, "ND", "Ⅲ"])
    ws.append([3, "甲断面", dt.datetime(2019, 2, 1), 7.5, 8.0, "0.02", "0.1", "Ⅱ"])
    wb.save(d / "水质2019.xlsx")
    (d / "说明.md").write_text("notes", encoding="utf-8")
    return d


def test_guess_folder_kinds_mappings_options(office):
    guesses = {g.path.name: g for g in guess_folder(office)}
    assert set(guesses) == {"河流.shp", "行政区.gpkg", "企业清单.xlsx", "监测断面.csv", "水质2019.xlsx"}
    r = guesses["河流.shp"]
    assert (r.kind, r.encoding) == ("rivers", "gbk")
    # the shapefile cut 下游河流编码 to 10 bytes: 下游河流编
    assert r.mapping["columns"] == {
        "level": "河流等级",
        "river_id": "编码",
        "name": "河流名称",
        "downstream_id": "下游河流编",
    }
    assert "values 干流/一级支流" in r.why["columns.level"]
    f = guesses["企业清单.xlsx"]
    assert f.kind == "facilities"
    assert f.options["ids"] == "generate"
    assert f.options["header_row"] == 2
    assert f.mapping["columns"] == {
        "category": "行业类别",
        "status": "状态",
        "name": "企业名称",
        "lon": "经度",
        "lat": "纬度",
    }
    s = guesses["监测断面.csv"]
    assert s.kind == "stations"
    assert s.encoding == "gbk"
    assert s.mapping["columns"]["station_id"] == "断面名称"
    assert s.mapping["columns"]["target_class"] == "目标水质"
    a = guesses["行政区.gpkg"]
    assert a.kind == "admin"
    assert a.mapping["columns"]["parent_id"] == "上级代码"
    w = guesses["水质2019.xlsx"]
    assert w.kind == "wq"
    assert w.options == {"header_row": 2, "layout": "wide"}
    assert w.mapping["columns"] == {"station_id": "断面名称"}
    assert "检出限 row" in w.why["detection_limits"]
    assert all(not g.unresolved for g in guesses.values())


def test_project_file_loads_and_every_input_reads(office):
    target = write_project_yaml(guess_folder(office), office / "basin.yml")
    text = target.read_text(encoding="utf-8")
    assert "# guessed: no .cpg file; the attributes decode as GBK/GB18030" in text
    assert "ids: generate  # guessed: the list has no id column" in text
    assert "TODO" not in text.split("\n", 3)[3]  # nothing to fill (the header explains TODO marks)
    project = load_project(target)
    layers = {}
    for kind, spec in project.layers.given().items():
        layers[kind] = read_layer(spec.path, kind, **spec.read_kwargs(kind))
    assert list(layers["facilities"]["facility_id"]) == ["F0001", "F0002"]
    assert list(layers["stations"]["target_class"]) == [3, 2]
    assert list(layers["rivers"]["level"]) == [0, 1]
    assert list(layers["admin"]["level"]) == ["province", "county"]
    wq = project.water_quality
    ds = read_wq(
        wq.paths[0],
        stations=layers["stations"],
        layout=wq.layout,
        mapping=wq.mapping,
        header_row=wq.header_row,
    )
    assert ds["TP"].sel(station="甲断面").values.tolist() == [0.005, 0.02]


def test_todo_lines_for_what_cannot_be_guessed(office, tmp_path):
    pd.DataFrame({"断面名称": ["甲断面"], "目标水质": ["Ⅲ类"], "经度": [106.05], "纬度": [29.05]}).to_csv(
        office / "监测断面.csv", index=False, encoding="utf-8"
    )
    wb = openpyxl.load_workbook(office / "企业清单.xlsx")
    wb.active.append(["丙电厂", "火电", "现有", 106.7, 29.7])
    wb.save(office / "企业清单.xlsx")
    (office / "other.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    guesses = guess_folder(office)
    target = write_project_yaml(guesses, office / "basin.yml")
    text = target.read_text(encoding="utf-8")
    assert (
        "    river_id:  # TODO: no column gives each station's river: name the column holding the river_id "
        "(河流编码)" in text
    )
    assert (
        "      火电:  # TODO: 行业类别 value '火电' is not known: give one of ['polluting_facility', "
        "'industrial_park', 'other']" in text
    )
    assert "# TODO: other.csv: kind: not a layer (no lon/lat columns) nor a water-quality table" in text
    data = yaml.safe_load(text)
    assert data["layers"]["stations"]["mapping"]["columns"]["river_id"] is None
    project = load_project(target)
    spec = project.layers.stations
    assert "    waterbody:  # TODO: no column found for waterbody" in text
    with pytest.raises(
        SchemaError, match=r"stations\.columns\.waterbody is empty \(a `# TODO` left by `basin init`\?\)"
    ):
        read_layer(spec.path, "stations", **spec.read_kwargs("stations"))
    spec = project.layers.facilities
    with pytest.raises(
        SchemaError, match=r"facilities\.values\.category\.火电 must be one model value, got NoneType"
    ):
        read_layer(spec.path, "facilities", **spec.read_kwargs("facilities"))
    # filled in, it reads
    text = text.replace("      火电:  # TODO", "      火电: polluting_facility  # TODO")
    (office / "basin.yml").write_text(text, encoding="utf-8")
    spec = load_project(office / "basin.yml").layers.facilities
    out = read_layer(spec.path, "facilities", **spec.read_kwargs("facilities"))
    assert list(out["category"]) == ["polluting_facility"] * 3


def test_guess_nd_without_limit_and_ambiguous_dates(tmp_path):
    p = tmp_path / "水质.csv"
    p.write_text(
        "断面编码,监测时间,总磷,氨氮\nS1,2019-01-15,ND,0.1\nS1,03/04/2019,0.1,0.2\n", encoding="utf-8"
    )
    g = guess_file(p)
    assert g.kind == "wq"
    assert g.options["layout"] == "wide"
    fields = dict(g.unresolved)
    assert (
        fields["detection_limits.TP"] == "ND/未检出 values of TP without a detection limit: give it in mg/L"
    )
    assert "could be day/month or month/day: give time_format" in fields["time_format"]


def test_guess_raster_and_unknown_polygons(tmp_path):
    import numpy as np
    import rasterio
    from affine import Affine

    with rasterio.open(
        tmp_path / "人口密度.tif",
        "w",
        driver="GTiff",
        width=2,
        height=2,
        count=1,
        dtype="float32",
        crs="EPSG:4490",
        transform=Affine(0.01, 0, 106, 0, -0.01, 30),
    ) as dst:
        dst.write(np.ones((1, 2, 2), dtype="float32"))
    assert guess_file(tmp_path / "人口密度.tif").kind == "raster:population"
    gpd.GeoDataFrame(
        {"x": [1]}, geometry=[Polygon([(106, 29), (106.1, 29), (106.1, 29.1)])], crs=4490
    ).to_file(tmp_path / "a.gpkg", engine="pyogrio")
    g = guess_file(tmp_path / "a.gpkg")
    assert g.kind is None
    assert g.unresolved[0][0] == "kind"
    (tmp_path / "红线.gpkg").write_bytes((tmp_path / "a.gpkg").read_bytes())
    assert guess_file(tmp_path / "红线.gpkg").kind == "redline"


def test_demo_folder_guesses_everything(tmp_path):
    from basin import datasets

    guesses = guess_folder(datasets.data_dir())
    kinds = sorted(str(g.kind) for g in guesses)
    assert kinds == [
        "admin",
        "facilities",
        "lakes",
        "raster:gdp",
        "raster:population",
        "rivers",
        "stations",
        "wq",
    ]
    assert all(not g.unresolved for g in guesses)
    out = write_project_yaml([], tmp_path / "demo.yml", demo=True)
    assert "from the built-in demo data" in out.read_text(encoding="utf-8")
    assert load_project(out).layers.rivers is not None
