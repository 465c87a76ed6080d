"""The data-model loaders: every documented bad-input case fails with a message naming the problem."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, Polygon

from basin import CRSError, DataError, SchemaError
from basin._errors import GeometryRepairedWarning
from basin.io import check_layer, load_mapping, read_layer


def _write(gdf: gpd.GeoDataFrame, path, layer=None):
    gdf.to_file(path, layer=layer, engine="pyogrio")
    return path


def test_read_valid_rivers_types_columns(tmp_path, rivers_gdf):
    path = _write(rivers_gdf, tmp_path / "rivers.gpkg")
    out = read_layer(path, "rivers")
    assert list(out["river_id"]) == ["R1", "R2", "R3"]
    assert str(out["level"].dtype) == "Int64"
    assert out["downstream_id"].isna().tolist() == [True, False, False]
    assert out.crs == rivers_gdf.crs
    assert out.attrs["basin_source"]["kind"] == "rivers"


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nope\.gpkg: file does not exist"):
        read_layer(tmp_path / "nope.gpkg", "rivers")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.gpkg"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.gpkg: file is empty \(0 bytes\)"):
        read_layer(path, "rivers")


def test_text_file_renamed_gpkg(tmp_path):
    path = tmp_path / "rivers.gpkg"
    path.write_text("river_id,name\nR1,长江\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"rivers\.gpkg: cannot read as a vector layer"):
        read_layer(path, "rivers")


def test_layer_with_no_features(tmp_path, rivers_gdf):
    path = _write(rivers_gdf.iloc[:0], tmp_path / "none.gpkg")
    with pytest.raises(SchemaError, match=r"none\.gpkg \(rivers\): layer is empty \(no features\)"):
        read_layer(path, "rivers")


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
def test_no_crs(tmp_path, rivers_gdf):
    # a shapefile without .prj has no CRS (GDAL reads CRS-less GeoJSON as WGS84)
    shp = tmp_path / "nocrs.shp"
    rivers_gdf.drop(columns="downstream_id").set_crs(None, allow_override=True).to_file(shp, engine="pyogrio")
    with pytest.raises(CRSError, match=r"nocrs\.shp \(rivers\): no CRS; assign one"):
        read_layer(shp, "rivers")
    # with --crs it is accepted
    out = read_layer(shp, "rivers", crs="EPSG:32648")
    assert out.crs.to_epsg() == 32648


def test_crs_option_conflicts_with_file_crs(tmp_path, rivers_gdf):
    path = _write(rivers_gdf, tmp_path / "r.gpkg")
    with pytest.raises(CRSError, match="may only be given for a file without a CRS"):
        read_layer(path, "rivers", crs="EPSG:4326")


def test_missing_column(tmp_path, rivers_gdf):
    path = _write(rivers_gdf.drop(columns="level"), tmp_path / "r.gpkg")
    with pytest.raises(SchemaError, match=r"r\.gpkg \(rivers\): missing column\(s\) \['level'\]"):
        read_layer(path, "rivers")


def test_duplicate_ids(tmp_path, rivers_gdf):
    gdf = rivers_gdf.copy()
    gdf.loc[2, "river_id"] = "R2"
    gdf.loc[2, "downstream_id"] = "R1"
    path = _write(gdf, tmp_path / "r.gpkg")
    with pytest.raises(SchemaError, match=r"column 'river_id': duplicate id\(s\) R2"):
        read_layer(path, "rivers")


def test_unknown_level(tmp_path, rivers_gdf):
    gdf = rivers_gdf.copy()
    gdf["level"] = gdf["level"].astype(object)
    gdf.loc[1, "level"] = "小溪"
    path = _write(gdf, tmp_path / "r.gpkg")
    with pytest.raises(SchemaError, match=r"column 'level': not an integer: \['小溪'\] for id\(s\) R2"):
        read_layer(path, "rivers")


def test_level_out_of_range(tmp_path, rivers_gdf):
    gdf = rivers_gdf.copy()
    gdf.loc[0, "level"] = -1
    path = _write(gdf, tmp_path / "r.gpkg")
    with pytest.raises(SchemaError, match=r"column 'level': value\(s\) \[-1\] out of range 0-9 for id\(s\) R1"):
        read_layer(path, "rivers")


def test_dangling_downstream_id(tmp_path, rivers_gdf):
    gdf = rivers_gdf.copy()
    gdf.loc[2, "downstream_id"] = "R9"
    path = _write(gdf, tmp_path / "r.gpkg")
    with pytest.raises(SchemaError, match=r"'downstream_id': id\(s\) R9 are not river_ids \(rivers R3\)"):
        read_layer(path, "rivers")


def test_wrong_geometry_type(tmp_path, rivers_gdf):
    gdf = rivers_gdf.copy()
    gdf.geometry = [Point(0, 0), Point(1, 1), Point(2, 2)]
    path = _write(gdf, tmp_path / "r.gpkg")
    with pytest.raises(SchemaError, match=r"geometry type\(s\) \['Point'\] for id\(s\) R1, R2, R3"):
        read_layer(path, "rivers")


def _bowtie_lakes() -> gpd.GeoDataFrame:
    bowtie = Polygon([(0, 0), (1000, 1000), (1000, 0), (0, 1000)])
    square = Polygon([(2000, 0), (3000, 0), (3000, 1000), (2000, 1000)])
    return gpd.GeoDataFrame(
        {"lake_id": ["L1", "L2"], "name": ["甲湖", "乙库"], "kind": ["lake", "reservoir"], "connected": [True, False]},
        geometry=[bowtie, square],
        crs="EPSG:32648",
    )


def test_self_intersecting_polygon_repaired_and_reported(tmp_path):
    path = _write(_bowtie_lakes(), tmp_path / "lakes.gpkg")
    with pytest.warns(GeometryRepairedWarning, match=r"invalid geometry repaired with make_valid for id\(s\): L1: Self-intersection"):
        out = read_layer(path, "lakes")
    assert out.is_valid.all()
    assert out.geometry.iloc[0].area == pytest.approx(500_000)  # the two triangles of the bow-tie
    assert out.geom_type.iloc[0] == "MultiPolygon"
    assert len(out) == 2  # nothing dropped


def test_self_intersecting_polygon_fails_check_and_no_repair(tmp_path):
    path = _write(_bowtie_lakes(), tmp_path / "lakes.gpkg")
    rep = check_layer(path, "lakes")
    assert not rep.ok
    assert "invalid geometry for id(s): L1: Self-intersection" in rep.error_message()
    with pytest.raises(SchemaError, match=r"invalid geometry for id\(s\): L1"):
        read_layer(path, "lakes", repair=False)


def test_unknown_allowed_value_lists_allowed(tmp_path):
    gdf = _bowtie_lakes().iloc[1:].copy()
    gdf["kind"] = ["pond"]
    path = _write(gdf, tmp_path / "lakes.gpkg")
    with pytest.raises(SchemaError, match=r"column 'kind': unknown value\(s\) \['pond'\] for id\(s\) L2; allowed: \['lake', 'reservoir'\]"):
        read_layer(path, "lakes")


def test_bad_boolean(tmp_path):
    gdf = _bowtie_lakes().iloc[1:].copy()
    gdf["connected"] = ["maybe"]
    path = _write(gdf, tmp_path / "lakes.gpkg")
    with pytest.raises(SchemaError, match=r"column 'connected': expected true/false \(是/否\), got \['maybe'\]"):
        read_layer(path, "lakes")


def test_station_target_class_out_of_range(tmp_path, stations_gdf):
    gdf = stations_gdf.copy()
    gdf.loc[1, "target_class"] = 6
    path = _write(gdf, tmp_path / "s.gpkg")
    with pytest.raises(SchemaError, match=r"'target_class': value\(s\) \[6\] out of range 1-5 for id\(s\) S2"):
        read_layer(path, "stations")


def test_station_without_waterbody_id(tmp_path, stations_gdf):
    gdf = stations_gdf.copy()
    gdf.loc[0, "river_id"] = None
    path = _write(gdf, tmp_path / "s.gpkg")
    with pytest.raises(SchemaError, match=r"station\(s\) S1 have neither river_id nor lake_id"):
        read_layer(path, "stations")


def test_all_problems_in_one_message(tmp_path, rivers_gdf):
    gdf = rivers_gdf.copy()
    gdf.loc[2, "river_id"] = "R2"
    gdf["level"] = [0, 1, 12]
    path = _write(gdf, tmp_path / "r.gpkg")
    with pytest.raises(SchemaError) as info:
        read_layer(path, "rivers")
    text = str(info.value)
    assert "duplicate id(s) R2" in text and "out of range 0-9" in text


def test_csv_points_with_chinese_mapping(tmp_path):
    csv = tmp_path / "企业.csv"
    pd.DataFrame(
        {
            "编号": ["F1", "F2"],
            "名称": ["化工厂", "产业园"],
            "类别": ["污染设施", "工业园区"],
            "状态": ["拟建", "现有"],
            "经度": [106.5, 106.6],
            "纬度": [29.5, 29.6],
        }
    ).to_csv(csv, index=False, encoding="utf-8")
    mapping = tmp_path / "mapping.yml"
    mapping.write_text(
        "facilities:\n"
        "  columns: {facility_id: 编号, name: 名称, category: 类别, status: 状态}\n"
        "  values:\n"
        "    category: {污染设施: polluting_facility, 工业园区: industrial_park}\n"
        "    status: {拟建: proposed, 现有: existing}\n",
        encoding="utf-8",
    )
    out = read_layer(csv, "facilities", mapping=mapping)
    assert out.crs.to_epsg() == 4326
    assert list(out["category"]) == ["polluting_facility", "industrial_park"]
    assert list(out["status"]) == ["proposed", "existing"]
    assert out.geometry.iloc[1].x == pytest.approx(106.6)


def test_csv_bad_coordinates_names_rows(tmp_path):
    csv = tmp_path / "f.csv"
    csv.write_text("facility_id,name,category,status,lon,lat\nF1,a,other,proposed,106,29\nF2,b,other,proposed,,29\n")
    with pytest.raises(SchemaError, match=r"non-numeric, empty or infinite coordinates in row\(s\) 3 \(e.g. ''/'29'\); accepted: decimal degrees"):
        read_layer(csv, "facilities")


def test_mapping_errors(tmp_path):
    bad = tmp_path / "m.yml"
    bad.write_text("riverz:\n  columns: {river_id: id}\n")
    with pytest.raises(SchemaError, match=r"unknown layer kind\(s\) \['riverz'\]"):
        load_mapping(bad, "rivers")
    bad.write_text("rivers:\n  columns: {river_code: id}\n")
    with pytest.raises(SchemaError, match=r"rivers\.columns names unknown model column\(s\) \['river_code'\]"):
        load_mapping(bad, "rivers")
    bad.write_text("rivers: [1, 2\n")
    with pytest.raises(SchemaError, match=r"m\.yml: not valid YAML at line 2, column 1: expected .,. or .\]."):
        load_mapping(bad, "rivers")


def test_mapped_column_missing_in_file(tmp_path, rivers_gdf):
    path = _write(rivers_gdf, tmp_path / "r.gpkg")
    with pytest.raises(SchemaError, match=r"mapped column\(s\) \['河流等级'\] not in the file"):
        read_layer(path, "rivers", mapping={"rivers": {"columns": {"level": "河流等级"}}})


def test_valid_layer_reads_without_warnings(tmp_path, admin_gdf):
    path = _write(admin_gdf, tmp_path / "admin.gpkg")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = read_layer(path, "admin")
    assert set(out["level"]) == {"province", "county"}


def test_unknown_kind(tmp_path):
    with pytest.raises(SchemaError, match=r"unknown layer kind 'roads'"):
        read_layer(tmp_path / "x.gpkg", "roads")  # type: ignore[arg-type]


def test_multilayer_file_picks_layer_named_like_kind(tmp_path, rivers_gdf, admin_gdf):
    path = tmp_path / "all.gpkg"
    _write(admin_gdf, path, layer="admin")
    _write(rivers_gdf, path, layer="rivers")
    assert len(read_layer(path, "rivers")) == 3
    assert len(read_layer(path, "admin")) == 4


def test_line_polygon_mix_reports_ids(tmp_path, rivers_gdf):
    gdf = rivers_gdf.copy()
    gdf.geometry = [LineString([(0, 0), (1, 1)]), Polygon([(0, 0), (1, 0), (1, 1)]), LineString([(0, 0), (2, 2)])]
    path = tmp_path / "r.gpkg"
    gdf.to_file(path, engine="pyogrio", geometry_type="Unknown")
    with pytest.raises(SchemaError, match=r"geometry type\(s\) \['Polygon'\] for id\(s\) R2"):
        read_layer(path, "rivers")
