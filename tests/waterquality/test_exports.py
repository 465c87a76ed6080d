"""Officers' water-quality exports: wide tables with titles, Chinese dates, 未检出, detection-limit rows."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
import xarray as xr

from basin import DataError, SchemaError
from basin.waterquality import read_wq
from basin.waterquality.reader import load_detection_limits, parse_times

HEAD = ["序号", "断面名称", "监测时间", "pH(无量纲)", "溶解氧(mg/L)", "总磷(mg/L)", "氨氮(mg/L)", "水质类别"]


def _export(path, rows, *, title=True, dl=True):
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append(["2019年XX县地表水水质月报"])
    ws.append(HEAD)
    if dl:
        ws.append(["", "检出限", "", "", "", 0.01, 0.025, ""])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


ROWS = [
    [1, "甲断面", "2019年01月", 7.5, 8.1, "未检出", "0.05", "Ⅱ"],
    [2, "乙断面", "2019年01月", 7.6, 7.9, 0.12, "ND", "Ⅲ"],
    [3, "甲断面", "2019年02月", 7.5, 8.0, "<0.02", "0.025L", "Ⅱ"],
    [4, "乙断面", dt.datetime(2019, 2, 1), 7.5, 8.0, "0.1", "0.3", "Ⅱ"],
]


@pytest.fixture
def stations():
    """Stations keyed by 断面名称 with Ⅲ类 targets (as read_layer returns them)."""
    return gpd.GeoDataFrame(
        {
            "station_id": ["甲断面", "乙断面"],
            "name": ["甲断面", "乙断面"],
            "river_id": ["R1", "R2"],
            "waterbody": ["river", "river"],
            "target_class": pd.array([3, 2], dtype="Int64"),
        },
        geometry=shapely.points([(106.05, 29.05), (106.15, 29.2)]),
        crs=4490,
    )


def test_wide_monthly_export_with_title_nd_and_dl_row(tmp_path, stations):
    path = _export(tmp_path / "水质.xlsx", ROWS)
    ds = read_wq(path, stations=stations)
    assert list(ds["station"].values) == ["乙断面", "甲断面"]
    assert [str(t)[:10] for t in ds["time"].values] == ["2019-01-01", "2019-02-01"]
    tp = ds["TP"].sel(station="甲断面").values
    assert tp.tolist() == [0.005, 0.01]  # 未检出 -> half the DL row's 0.01; <0.02 -> 0.01
    assert ds["TP_flag"].sel(station="甲断面").values.tolist() == [1, 1]
    nh3 = ds["NH3_N"].sel(station="乙断面").values
    assert nh3.tolist() == [0.0125, 0.3]  # ND -> half of 0.025
    assert list(ds["target_class"].values) == [2, 3]
    notes = ds.attrs["notes"]
    assert "header found on line 2" in notes
    assert "detection-limit row on line 3: ['NH3_N', 'TP']" in notes
    assert "column(s) not used: ['序号', '水质类别']" in notes


def test_header_row_given_and_wrong(tmp_path):
    path = _export(tmp_path / "w.xlsx", ROWS)
    assert read_wq(path, header_row=2)["TP"].shape == (2, 2)
    with pytest.raises(
        SchemaError,
        match=(
            r"w\.xlsx: line 1: column 2 has values but no header name \(is the header on another line\? set "
            r"`header_row`\)"
        ),
    ):
        read_wq(path, header_row=1)
    with pytest.raises(SchemaError, match=r"header_row 40 is empty or beyond the last line \(7\)"):
        read_wq(path, header_row=40)


def test_nd_without_any_detection_limit_names_the_ways_to_give_one(tmp_path):
    path = _export(tmp_path / "w.xlsx", ROWS, dl=False)
    with pytest.raises(
        SchemaError,
        match=(
            r"line 3: value '未检出' \(not detected\) without a detection limit for TP: give one \(a "
            r"detection-limit row 检出限 in the file, `detection_limits: \{TP: 0\.01\}`"
        ),
    ):
        read_wq(path)
    ds = read_wq(path, detection_limits={"总磷": 0.01, "NH3-N": "25 µg/L"})
    assert ds["TP"].sel(station="甲断面").values[0] == 0.005
    assert ds["NH3_N"].sel(station="乙断面").values[0] == pytest.approx(0.0125)


def test_detection_limit_table_and_conflict(tmp_path):
    table = tmp_path / "dl.csv"
    table.write_text("指标,检出限,单位\n总磷,10,ug/L\n氨氮,0.025,mg/L\n", encoding="gbk")
    assert load_detection_limits(table) == {"TP": pytest.approx(0.01), "NH3_N": 0.025}
    path = _export(tmp_path / "w.xlsx", ROWS)
    with pytest.raises(
        SchemaError,
        match=r"detection limit of TP is 0\.01 in the file's 检出限 row and 0\.02 in detection_limits",
    ):
        read_wq(path, detection_limits={"TP": 0.02})
    with pytest.raises(
        SchemaError, match=r"detection_limits: 磷酸: unknown parameter '磷酸' in the detection limits"
    ):
        load_detection_limits({"磷酸": 0.1})
    with pytest.raises(SchemaError, match=r"detection limit '-1' of TP is not a positive number"):
        load_detection_limits({"TP": -1})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-01", "2019-01-01 00:00"),
        ("2019/1/15", "2019-01-15 00:00"),
        ("2019.1.15", "2019-01-15 00:00"),
        ("2019年01月", "2019-01-01 00:00"),
        ("2019年1月15日", "2019-01-15 00:00"),
        ("2019年1月15日 10时", "2019-01-15 10:00"),
        ("201901", "2019-01-01 00:00"),
        ("20190115", "2019-01-15 00:00"),
        ("2019-01-15 10:30", "2019-01-15 10:30"),
        ("2019-01-15T02:30:00Z", "2019-01-15 10:30"),  # UTC -> China Standard Time
        ("2019-01-15T10:30:00+08:00", "2019-01-15 10:30"),
        ("2019-01-14T21:30:00-05:00", "2019-01-15 10:30"),
        ("２０１９年１月", "2019-01-01 00:00"),
    ],
)
def test_accepted_time_forms(text, expected):
    t, reasons = parse_times([text])
    assert reasons == [None]
    assert pd.Timestamp(t.iloc[0]).strftime("%Y-%m-%d %H:%M") == expected


def test_refused_times_report_row_and_accepted_forms(tmp_path):
    p = tmp_path / "wq.csv"
    p.write_text(
        "station_id,time,parameter,value\nS1,2019-01-15,TP,0.1\nS1,01/02/2019,TP,0.1\nS1,2019-02-30,TP,0.1\n"
        "S1,last week,TP,0.1\n",
        encoding="utf-8",
    )
    with pytest.raises(SchemaError) as info:
        read_wq(p)
    text = str(info.value)
    assert "3 rejected value(s)" in text
    assert (
        "line 3: ambiguous date '01/02/2019' (day/month order unknown); write it as 2019-01-15, or give the "
        "format (`time_format: '%d/%m/%Y'`" in text
    )
    assert "line 4: bad time '2019-02-30' (not a valid date)" in text
    assert (
        "line 5: bad time 'last week' (accepted: 2019-01, 2019-01-15, 2019/1/15, 2019.1.15, 2019年01月, "
        "2019年1月15日" in text
    )
    p.write_text(
        "station_id,time,parameter,value\nS1,01/02/2019,TP,0.1\nS1,15/02/2019,TP,0.2\n", encoding="utf-8"
    )
    ds = read_wq(p, time_format="%d/%m/%Y")
    assert [str(t)[:10] for t in ds["time"].values] == ["2019-02-01", "2019-02-15"]
    ds = read_wq(p, mapping={"wq": {"time_format": "%d/%m/%Y"}})
    assert ds.sizes["time"] == 2
    p.write_text(
        "station_id,time,parameter,value\nS1,01/02/2019,TP,0.1\nS1,2019-02-15,TP,0.2\n", encoding="utf-8"
    )
    _, rej = read_wq(p, time_format="%Y-%m-%d", on_invalid="report")
    assert rej["line"].tolist() == [2]
    assert rej["reason"].tolist() == ["bad time '01/02/2019' (does not match time_format '%Y-%m-%d')"]


def test_excel_date_cells_and_serials(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["断面编码", "采样日期", "总磷"])
    ws.append(["S1", dt.datetime(2019, 1, 15), 0.1])
    ws.append(["S1", dt.date(2019, 2, 15), 0.1])
    ws.append(["S1", 43539, 0.1])  # an Excel serial day number: 2019-03-15
    wb.save(tmp_path / "d.xlsx")
    ds = read_wq(tmp_path / "d.xlsx")
    assert [str(t)[:10] for t in ds["time"].values] == ["2019-01-15", "2019-02-15", "2019-03-15"]


@pytest.mark.parametrize("bad", ["inf", "1e999", "-inf", "nan", "Infinity"])
def test_non_finite_concentrations_rejected(tmp_path, bad):
    p = tmp_path / "wq.csv"
    p.write_text(
        f"station_id,time,parameter,value\nS1,2019-01-15,TP,{bad}\nS1,2019-02-15,TP,0.1\n", encoding="utf-8"
    )
    with pytest.raises(
        SchemaError, match=r"wq\.csv: 1 rejected value\(s\): line 2: (not a finite number|missing value)"
    ):
        read_wq(p)


def test_non_finite_in_netcdf_rejected(tmp_path):
    ds = xr.Dataset(
        {"TP": (("station", "time"), np.array([[0.1, np.inf]]), {"units": "mg/L"})},
        coords={"station": ["S1"], "time": pd.date_range("2020-01-01", periods=2, freq="MS")},
    )
    path = tmp_path / "wq.nc"
    ds.to_netcdf(path)
    with pytest.raises(
        SchemaError,
        match=(
            r"variable 'TP': 1 value\(s\) rejected, e\.g\. station S1 time 2020-02-01.*not a finite number "
            r"inf"
        ),
    ):
        read_wq(path)


def test_text_value_reason_lists_accepted_forms(tmp_path):
    p = tmp_path / "wq.csv"
    p.write_text("station_id,time,parameter,value\nS1,2019-01-15,TP,abc\n", encoding="utf-8")
    with pytest.raises(
        SchemaError,
        match=(
            r"line 2: text 'abc' where a number is expected \(accepted: a number, 0\.01L, <0\.02, "
            r"ND/未检出 with "
            r"a detection limit\)"
        ),
    ):
        read_wq(p)


def test_unknown_columns_mapping_and_ignore(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("断面编码,监测时间,总磷含量,色度\nS1,2019-01,0.1,5\n", encoding="gbk")
    with pytest.raises(
        SchemaError,
        match=(
            r"unknown parameter column\(s\) \['总磷含量', '色度'\]; map them "
            r"\(`columns: \{TP: 列名\}` in the "
            r"water-quality mapping\) or leave them out \(`ignore: \[列名\]`\)"
        ),
    ):
        read_wq(p)
    ds = read_wq(p, mapping={"wq": {"columns": {"TP": "总磷含量"}, "ignore": ["色度"]}})
    assert float(ds["TP"].values[0, 0]) == 0.1
    with pytest.raises(SchemaError, match=r"`ignore` names column\(s\) \['颜色'\] that are not in the file"):
        read_wq(p, mapping={"columns": {"TP": "总磷含量"}, "ignore": ["颜色"]})
    with pytest.raises(SchemaError, match=r"the water-quality mapping names unknown model column 'colour'"):
        read_wq(p, mapping={"columns": {"colour": "色度"}})
    with pytest.raises(SchemaError, match=r"wq\.ignore must be a list of file column names, got a mapping"):
        read_wq(p, mapping={"ignore": {"色度": 1}})


def test_station_names_matched_to_layer_ids(tmp_path):
    st = gpd.GeoDataFrame(
        {
            "station_id": ["S1", "S2"],
            "name": ["甲断面", "乙断面"],
            "river_id": ["R1", "R1"],
            "waterbody": ["river", "river"],
            "target_class": pd.array([3, 3], dtype="Int64"),
        },
        geometry=shapely.points([(106.0, 29.0), (106.1, 29.0)]),
        crs=4326,
    )
    p = tmp_path / "w.csv"
    p.write_text("断面名称,监测时间,总磷\n甲断面,2019-01,0.1\n乙断面,2019-01,0.2\n", encoding="utf-8")
    ds = read_wq(p, stations=st)
    assert list(ds["station"].values) == ["S1", "S2"]
    assert "station names of the data matched to the stations layer's ids (2 name(s))" in ds.attrs["notes"]


def test_unit_row_summary_rows_and_not_measured(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text(
        "断面编码,监测时间,总磷,汞\n单位,,mg/L,µg/L\nS1,2019-01,0.1,0.05\nS1,2019-02,/,0.04\n平均值,,0.1,0.045\n",
        encoding="utf-8",
    )
    ds = read_wq(p)
    assert ds["Hg"].values[0].tolist() == pytest.approx([0.00005, 0.00004])
    assert np.isnan(ds["TP"].values[0, 1])
    notes = ds.attrs["notes"]
    assert "unit row on line 2" in notes
    assert "summary row(s) skipped on line(s) 5" in notes
    assert "1 cell(s) marked not measured (/, -, 未监测) left empty" in notes


def test_year_and_month_columns(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("断面编码,年份,月份,总磷\nS1,2019,1,0.1\nS1,2019,2,0.2\n", encoding="utf-8")
    ds = read_wq(p)
    assert [str(t)[:7] for t in ds["time"].values] == ["2019-01", "2019-02"]


def test_station_attributes_in_the_table_with_class_labels(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text(
        "断面编码,监测时间,目标水质,水体类型,总磷\nS1,2019-01,Ⅲ类,河流,0.1\nS2,2019-01,II,水库,0.02\n",
        encoding="utf-8",
    )
    ds = read_wq(p)
    assert ds["target_class"].values.tolist() == [3, 2]
    assert ds["waterbody"].values.tolist() == ["river", "reservoir"]


def test_bad_encoding_and_sheet(tmp_path):
    path = _export(tmp_path / "w.xlsx", ROWS)
    with pytest.raises(
        SchemaError, match=r"w\.xlsx: no sheet '数据'; the workbook has \['Sheet'\] \(set `sheet`\)"
    ):
        read_wq(path, sheet="数据")
    p = tmp_path / "w.csv"
    p.write_bytes("断面编码,监测时间,总磷\nS1,2019-01,0.1\n".encode("gbk"))
    with pytest.raises(DataError, match=r"w\.csv: not utf-8 text .*set the right `encoding`"):
        read_wq(p, encoding="utf-8")
    assert float(read_wq(p, encoding="gbk")["TP"].values[0, 0]) == 0.1


def test_csv_with_title_row_gbk(tmp_path):
    p = tmp_path / "w.csv"
    p.write_bytes("2019年水质监测数据\n断面编码,监测时间,总磷\nS1,2019-01,0.1\n\nS1,2019-02,0.2\n".encode("gbk"))
    ds = read_wq(p)
    assert ds["TP"].values.tolist() == [[0.1, 0.2]]
    notes = ds.attrs["notes"]
    assert "header found on line 2; line(s) above it skipped as titles: 2019年水质监测数据" in notes
    assert "text encoding detected as gb18030" in notes
    p.write_text("2019年水质监测数据\n断面编码,监测时间,总磷\nS1,2019-01,x\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"line 3: text 'x' where a number is expected"):
        read_wq(p)
