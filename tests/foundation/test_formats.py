"""Officers' formats: GBK shapefiles without .cpg, EPSG:4490, Excel/CSV point lists, mappings, synonyms."""

from __future__ import annotations

import os
import warnings

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString, Point

from basin import CRSError, DataError, SchemaError
from basin._errors import IdsGeneratedWarning
from basin.io import load_mapping, read_layer
from basin.io.encoding import decode_bytes, looks_mojibake
from basin.io.layers import category_of, parse_class

RIVER_MAP = {"columns": {"river_id": "编码", "name": "河流名称", "level": "河流等级"}}


def _gbk_rivers(tmp_path, *, cpg=False):
    g = gpd.GeoDataFrame(
        {"编码": ["R1", "R2"], "河流名称": ["长江", "嘉陵江"], "河流等级": ["干流", "一级支流"]},
        geometry=[LineString([(106.0, 29.0), (106.1, 29.1)]), LineString([(106.1, 29.1), (106.2, 29.3)])],
        crs="EPSG:4490",
    )
    path = tmp_path / "河流.shp"
    pyogrio.write_dataframe(g, path, encoding="GBK")
    if not cpg:
        os.remove(tmp_path / "河流.cpg")
    return path


def test_gbk_shapefile_without_cpg_is_detected(tmp_path):
    path = _gbk_rivers(tmp_path)
    out = read_layer(path, "rivers", mapping=RIVER_MAP)
    assert list(out["name"]) == ["长江", "嘉陵江"]
    assert list(out["level"]) == [0, 1]  # 干流 / 一级支流 by the built-in synonyms
    assert out.crs.to_epsg() == 4490
    notes = " | ".join(out.attrs["basin_notes"])
    assert "no .cpg file; attribute encoding detected as GB18030" in notes
    assert "干流 -> 0, 一级支流 -> 1" in notes
    # the same with the encoding stated
    assert list(read_layer(path, "rivers", mapping=RIVER_MAP, encoding="gbk")["name"]) == ["长江", "嘉陵江"]


def test_gbk_shapefile_read_as_latin1_is_garbled_error(tmp_path):
    path = _gbk_rivers(tmp_path)
    with pytest.raises(
        DataError,
        match=r"attribute text looks garbled \('±àÂë'.*set the layer's `encoding` \(e\.g\. `encoding: gbk`",
    ):
        read_layer(path, "rivers", mapping=RIVER_MAP, encoding="latin-1")


def test_shapefile_with_wrong_cpg_is_garbled_error(tmp_path):
    path = _gbk_rivers(tmp_path)
    (tmp_path / "河流.cpg").write_text("ISO-8859-1")
    with pytest.raises(DataError, match=r"looks garbled.*encoding: gbk"):
        read_layer(path, "rivers", mapping=RIVER_MAP)


def test_shapefile_undecodable_attributes_name_the_option(tmp_path):
    path = _gbk_rivers(tmp_path)
    with pytest.raises(
        DataError,
        match=r"attributes are not utf-8 text \(byte 0: invalid start byte\); set the layer's `encoding`",
    ):
        read_layer(path, "rivers", mapping=RIVER_MAP, encoding="utf-8")
    with pytest.raises(DataError, match=r"unknown text encoding 'klingon' in `encoding`"):
        read_layer(path, "rivers", mapping=RIVER_MAP, encoding="klingon")


def test_decode_and_mojibake_helpers():
    assert decode_bytes("河流".encode("gbk"), encoding=None, where="x") == ("河流", "gb18030")
    assert decode_bytes(b"\xef\xbb\xbfabc", encoding=None, where="x") == ("abc", "utf-8")
    assert looks_mojibake(["编码", "±àÂë"]) == "±àÂë"
    assert looks_mojibake(["编码", "Müller", "R1"]) is None
    with pytest.raises(DataError, match=r"x: text is neither UTF-8 nor GBK/GB18030 .*set its `encoding`"):
        decode_bytes(b"ab\x80\x80", encoding=None, where="x")


def test_epsg4490_layer(tmp_path, rivers_gdf):
    g = rivers_gdf.set_geometry(rivers_gdf.geometry.scale(1e-5, 1e-5, origin=(0, 0)).translate(106, 29))
    g = g.set_crs(4490, allow_override=True)
    path = tmp_path / "r.gpkg"
    g.to_file(path, engine="pyogrio")
    out = read_layer(path, "rivers")
    assert out.crs.to_epsg() == 4490
    assert len(out) == 3


def _facility_workbook(path, *, title=True):
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append(["XX县涉水企业清单（2024年）"])
    ws.append(["企业名称", "行业类别", "状态", "东经", "北纬"])
    ws.append(["甲化工有限公司", "化工", "拟建", 106.5, 29.5])
    ws.append(["乙造纸厂", "造纸", "现有", "106°36′0″", "29°36′0″"])
    ws.append(["丙化工园区", "化工园区", "在建", 106.7, 29.7])
    wb.save(path)
    return path


def test_xlsx_facilities_without_ids_one_column_two_model_columns(tmp_path):
    path = _facility_workbook(tmp_path / "企业清单.xlsx")
    mapping = {
        "facilities": {
            "columns": {
                "facility_id": "企业名称",
                "name": "企业名称",
                "category": "行业类别",
                "status": "状态",
            }
        }
    }
    out = read_layer(path, "facilities", mapping=mapping, crs="EPSG:4490")
    assert list(out["facility_id"]) == list(out["name"]) == ["甲化工有限公司", "乙造纸厂", "丙化工园区"]
    assert list(out["category"]) == ["polluting_facility", "polluting_facility", "industrial_park"]
    assert list(out["status"]) == ["proposed", "existing", "proposed"]
    assert out.geometry.iloc[1].x == pytest.approx(106.6)
    assert out.geometry.iloc[1].y == pytest.approx(29.6)
    assert out.crs.to_epsg() == 4490
    assert "header found on line 2" in out.attrs["basin_notes"][0]


def test_xlsx_facilities_ids_generated_with_warning_or_asked(tmp_path):
    path = _facility_workbook(tmp_path / "f.xlsx", title=False)
    mapping = {"columns": {"name": "企业名称", "category": "行业类别", "status": "状态"}}
    with pytest.warns(
        IdsGeneratedWarning,
        match=(
            r"facility_id generated in file order, F0001\.\.\.F0003 \(the file has no facility_id column; "
            r"`ids: generate` to confirm\)"
        ),
    ):
        out = read_layer(path, "facilities", mapping={"facilities": mapping})
    assert list(out["facility_id"]) == ["F0001", "F0002", "F0003"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        asked = read_layer(path, "facilities", mapping={"facilities": mapping}, ids="generate")
    assert list(asked["facility_id"]) == ["F0001", "F0002", "F0003"]
    assert any("`ids: generate`" in n for n in asked.attrs["basin_notes"])
    with pytest.raises(
        SchemaError, match=r"missing column\(s\) \['facility_id'\].*or `ids: generate` to number the features"
    ):
        read_layer(path, "facilities", mapping={"facilities": mapping}, ids="file")
    with pytest.raises(SchemaError, match=r"`ids` must be 'generate', 'file' \(never generate\) or empty"):
        read_layer(path, "facilities", mapping={"facilities": mapping}, ids="maybe")  # type: ignore[arg-type]


def test_stations_keyed_by_name_with_class_targets_gbk_csv(tmp_path):
    path = tmp_path / "断面.csv"
    pd.DataFrame(
        {
            "断面名称": ["甲断面", "乙断面"],
            "河流编码": ["R1", "R2"],
            "目标水质": ["Ⅲ类", "II"],
            "经度": [106.05, 106.15],
            "纬度": [29.05, 29.2],
        }
    ).to_csv(path, index=False, encoding="gbk")
    out = read_layer(
        path, "stations", mapping={"stations": {"columns": {"station_id": "断面名称", "name": "断面名称"}}}
    )
    assert list(out["station_id"]) == ["甲断面", "乙断面"]
    assert list(out["target_class"]) == [3, 2]
    assert list(out["river_id"]) == ["R1", "R2"]
    assert list(out["waterbody"]) == ["river", "river"]
    notes = " | ".join(out.attrs["basin_notes"])
    assert "text encoding detected as gb18030" in notes
    assert "column '目标水质' read as target_class" in notes
    assert "waterbody = river" in notes


def test_missing_column_message_points_at_project_mapping_or_option(tmp_path, stations_gdf):
    path = tmp_path / "s.gpkg"
    stations_gdf.drop(columns="target_class").to_file(path, engine="pyogrio")
    with pytest.raises(
        SchemaError,
        match=(
            r"missing column\(s\) \['target_class'\].*the layer's `mapping:` in the project file, or "
            r"--mapping\)"
        ),
    ):
        read_layer(path, "stations")


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ("F1,a,other,proposed,,29\n", r"non-numeric, empty or infinite coordinates in row\(s\) 2"),
        (
            "F1,a,other,proposed,inf,29\n",
            r"non-numeric, empty or infinite coordinates in row\(s\) 2 \(e\.g\. 'inf'/'29'\)",
        ),
        ("F1,a,other,proposed,nan,29\n", r"non-numeric, empty or infinite coordinates in row\(s\) 2"),
        (
            "F1,a,other,proposed,29.5,106.5\n",
            r"lon/lat out of range .* in row\(s\) 2 \(are lon and lat swapped\?\)",
        ),
        (
            "F1,a,other,proposed,500000,3300000\n",
            r"lon/lat out of range .* row\(s\) 2; projected coordinates need their CRS",
        ),
    ],
)
def test_csv_bad_coordinates(tmp_path, rows, match):
    path = tmp_path / "f.csv"
    path.write_text("facility_id,name,category,status,lon,lat\n" + rows, encoding="utf-8")
    with pytest.raises(SchemaError, match=match):
        read_layer(path, "facilities")


def test_degrees_labelled_as_utm_is_crs_error(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(
        "facility_id,name,category,status,x,y\nF1,a,other,proposed,106.5,29.5\n", encoding="utf-8"
    )
    with pytest.raises(
        CRSError, match=r"coordinates look like degrees .* but the CRS EPSG:32648 .* is in metres"
    ):
        read_layer(path, "facilities", crs="EPSG:32648")
    # Gauss-Krüger with the zone number in front (36 500 000) labelled as UTM 48N
    path.write_text(
        "facility_id,name,category,status,x,y\nF1,a,other,proposed,36500000,3300000\n", encoding="utf-8"
    )
    with pytest.raises(
        CRSError, match=r"coordinates outside the area of use of EPSG:32648 .*102..108°E.* for id\(s\) F1"
    ):
        read_layer(path, "facilities", crs="EPSG:32648")
    with pytest.raises(CRSError, match=r"unknown CRS 'EPSG:99999' in `crs`"):
        read_layer(path, "facilities", crs="EPSG:99999")


def test_vector_out_of_range_lonlat_rejected(tmp_path):
    g = gpd.GeoDataFrame(
        {"facility_id": ["F1"], "name": ["a"], "category": ["other"], "status": ["proposed"]},
        geometry=[Point(500000, 3300000)],
        crs=4326,
    )
    path = tmp_path / "f.gpkg"
    g.to_file(path, engine="pyogrio")
    with pytest.raises(
        CRSError, match=r"coordinates out of range for lon/lat in EPSG:4326 .* for id\(s\) F1"
    ):
        read_layer(path, "facilities")


def test_table_without_coordinates(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("facility_id,name,category,status\nF1,a,other,proposed\n", encoding="utf-8")
    with pytest.raises(
        SchemaError, match=r"a table layer needs coordinate columns; no lon/lat column: map them"
    ):
        read_layer(path, "facilities")
    with pytest.raises(
        SchemaError, match=r"no lon/lat column \(mapped column\(s\) \['经度', '纬度'\] not in the file\)"
    ):
        read_layer(path, "facilities", mapping={"facilities": {"columns": {"lon": "经度", "lat": "纬度"}}})


def test_mapping_entry_of_wrong_type(tmp_path):
    with pytest.raises(
        SchemaError,
        match=r"mapping: facilities\.columns\.name must be one file column name \(text\), got a list",
    ):
        load_mapping({"facilities": {"columns": {"name": ["企业名称", "名称"]}}}, "facilities")
    with pytest.raises(
        SchemaError, match=r"stations\.columns\.river_id is empty \(a `# TODO` left by `basin init`\?\)"
    ):
        load_mapping({"stations": {"columns": {"river_id": None}}}, "stations")
    with pytest.raises(
        SchemaError,
        match=r"facilities\.values\.category must be a mapping \{file value: model value\}, got a list",
    ):
        load_mapping({"facilities": {"values": {"category": ["化工"]}}}, "facilities")
    with pytest.raises(SchemaError, match=r"values\.category\.火电 must be one model value, got NoneType"):
        load_mapping({"facilities": {"values": {"category": {"火电": None}}}}, "facilities")
    with pytest.raises(SchemaError, match=r"entry 'rivers' must be a mapping .* got a list"):
        load_mapping({"rivers": ["编码"]}, "rivers")
    # a single entry (as a layer's `mapping:` in the project file) is accepted
    assert load_mapping({"columns": {"name": "名称"}}, "rivers")["columns"] == {"name": "名称"}


def test_mapping_yaml_gbk_alias_and_syntax(tmp_path):
    m = tmp_path / "m.yml"
    m.write_bytes("rivers:\n  columns: {river_id: 编码, name: 河流名称}\n".encode("gbk"))
    assert load_mapping(m, "rivers")["columns"] == {"river_id": "编码", "name": "河流名称"}
    with pytest.raises(DataError, match=r"mapping file .*m\.yml: not utf-8 text .*set the right `encoding`"):
        load_mapping(m, "rivers", encoding="utf-8")
    m.write_text("a: &x [1, 2]\nrivers: *x\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"line 2, column 9: YAML aliases \(\*x\) are not accepted"):
        load_mapping(m, "rivers")


@pytest.mark.parametrize(
    ("text", "cls"),
    [
        ("Ⅲ类", 3),
        ("III", 3),
        ("3类", 3),
        ("Ⅲ", 3),
        ("三类", 3),
        ("II类", 2),
        ("IV类", 4),
        ("Ⅴ类", 5),
        ("Ⅰ", 1),
        ("3", 3),
        ("地表水Ⅲ类", 3),
        ("劣Ⅴ类", None),
        ("6", None),
        ("好", None),
    ],
)
def test_parse_class(text, cls):
    assert parse_class(text) == cls


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("化工", "polluting_facility"),
        ("造纸", "polluting_facility"),
        ("印染", "polluting_facility"),
        ("化学原料和化学制品制造业", "polluting_facility"),
        ("工业园区", "industrial_park"),
        ("化工园区", "industrial_park"),
        ("其他", "other"),
        ("餐饮", None),
    ],
)
def test_category_synonyms(text, category):
    assert category_of(text) == category


def test_unknown_category_names_values_and_how_to_map(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("facility_id,name,category,status,lon,lat\nF1,a,餐饮,拟建,106,29\n", encoding="utf-8")
    with pytest.raises(
        SchemaError,
        match=(
            r"column 'category': unknown value\(s\) \['餐饮'\] for id\(s\) F1; allowed: .* \(map the others "
            r"under `values: \{category: \{file value: model value\}\}`\)"
        ),
    ):
        read_layer(path, "facilities")
    out = read_layer(path, "facilities", mapping={"facilities": {"values": {"category": {"餐饮": "other"}}}})
    assert list(out["category"]) == ["other"]
    assert list(out["status"]) == ["proposed"]


def test_bad_target_class_lists_accepted_forms(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "station_id,name,river_id,waterbody,target_class,lon,lat\nS1,a,R1,river,好,106,29\n", encoding="utf-8"
    )
    with pytest.raises(
        SchemaError,
        match=(
            r"column 'target_class': not an integer: \['好'\] for id\(s\) S1 \(accepted: 1-5, Ⅲ类, III, 3类, "
            r"三类\)"
        ),
    ):
        read_layer(path, "stations")


def test_known_headers_need_no_mapping(tmp_path):
    path = _gbk_rivers(tmp_path)
    out = read_layer(path, "rivers")  # 编码 / 河流名称 / 河流等级 are known names of the model columns
    assert list(out.columns) == ["river_id", "name", "level", "geometry"]
    assert any("column '河流等级' read as level" in n for n in out.attrs["basin_notes"])


def test_station_key_hint_and_name_from_the_same_column(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("断面名称,河流编码,目标水质,经度,纬度\n甲,R1,Ⅲ类,106,29\n", encoding="utf-8")
    with pytest.raises(
        SchemaError,
        match=r"missing column\(s\) \['station_id'\].*e\.g\. `station_id: 断面名称` to key the stations by",
    ):
        read_layer(path, "stations")
    out = read_layer(path, "stations", mapping={"columns": {"station_id": "断面名称"}})
    assert list(out["station_id"]) == list(out["name"]) == ["甲"]


def test_layers_check_guesses_the_kind_of_an_excel_list(tmp_path):
    from click.testing import CliRunner

    from basin.cli import main

    path = _facility_workbook(tmp_path / "企业清单.xlsx")
    m = tmp_path / "m.yml"
    m.write_text("facilities:\n  columns: {facility_id: 企业名称, name: 企业名称}\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["layers", "check", str(path), "--mapping", str(m)])
    assert res.exit_code == 0, res.output
    assert "(facilities): 3 features, CRS EPSG:4326" in res.output


def test_xls_workbook_points_and_dates(tmp_path):
    import datetime as dt

    import xlwt

    from basin.waterquality import read_wq

    wb = xlwt.Workbook()
    ws = wb.add_sheet("企业")
    for j, h in enumerate(["企业名称", "类别", "状态", "经度", "纬度"]):
        ws.write(0, j, h)
    for j, v in enumerate(["甲化工", "化工", "现有", 106.5, 29.5]):
        ws.write(1, j, v)
    wq = wb.add_sheet("水质")
    for j, h in enumerate(["断面编码", "采样日期", "总磷"]):
        wq.write(0, j, h)
    wq.write(1, 0, "S1")
    wq.write(1, 1, dt.datetime(2019, 1, 15), xlwt.easyxf(num_format_str="YYYY-MM-DD"))
    wq.write(1, 2, 0.1)
    path = tmp_path / "旧表.xls"
    wb.save(str(path))
    out = read_layer(path, "facilities", mapping={"columns": {"facility_id": "企业名称", "name": "企业名称"}})
    assert list(out["category"]) == ["polluting_facility"]
    assert list(out["status"]) == ["existing"]
    ds = read_wq(path, sheet="水质")
    assert str(ds["time"].values[0])[:10] == "2019-01-15"
    assert float(ds["TP"].values[0, 0]) == 0.1


def test_empty_cells_of_a_table_are_missing_values(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "station_id,name,river_id,lake_id,waterbody,target_class,lon,lat\n"
        "S1,a,R1,,river,3,106,29\nS2,b,,L1,lake,2,106.1,29\n",
        encoding="utf-8",
    )
    out = read_layer(path, "stations")
    assert out["lake_id"].isna().tolist() == [True, False]
    assert out["river_id"].isna().tolist() == [False, True]
