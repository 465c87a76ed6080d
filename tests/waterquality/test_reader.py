"""read_wq: formats, aliases, units, detection limits, station coordinates, and every rejected-input case."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import xarray as xr

from basin._errors import DataError, SchemaError, UnknownStandardError
from basin.waterquality import read_wq

HEADER = "station_id,time,parameter,value,unit\n"


def write(tmp_path, text, name="wq.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture
def stations_gdf():
    return gpd.GeoDataFrame(
        {
            "station_id": pd.array(["S1", "S2", "S3"], dtype="string"),
            "name": ["上游", "下游", "湖心"],
            "river_id": ["R1", "R1", None],
            "lake_id": [None, None, "L1"],
            "waterbody": ["river", "river", "lake"],
            "target_class": pd.array([2, 3, 3], dtype="Int64"),
        },
        geometry=shapely.points([(104.0, 30.0), (105.0, 30.0), (106.0, 29.5)]),
        crs=4326,
    )


def test_long_csv_basic(tmp_path):
    p = write(
        tmp_path,
        HEADER
        + "S1,2020-01-15,总磷,0.1,mg/L\n"
        + "S1,2020-01-15,w01009,6.5,\n"
        + "S1,2020-02-15,TP,100,µg/L\n"
        + "S2,2020-01-15,粪大肠菌群,50,MPN/100mL\n"
        + "S2,2020-01-15,Chl-a,12,µg/L\n"
        + "S2,2020-01-15,SD,80,cm\n",
    )
    ds = read_wq(p)
    assert ds["TP"].dims == ("station", "time")
    assert list(ds["station"].values) == ["S1", "S2"]
    assert ds["TP"].sel(station="S1").values.tolist() == pytest.approx([0.1, 0.1])
    assert ds["DO"].sel(station="S1").values[0] == 6.5
    assert ds["fecal_coliform"].sel(station="S2").values[0] == pytest.approx(500.0)
    assert ds["fecal_coliform"].attrs["units"] == "个/L"
    assert ds["Chla"].sel(station="S2").values[0] == pytest.approx(12.0)
    assert ds["Chla"].attrs["units"] == "mg/m³"
    assert ds["SD"].sel(station="S2").values[0] == pytest.approx(0.8)
    assert ds["TP"].attrs["units"] == "mg/L"
    assert ds["TP"].attrs["long_name"] == "总磷"
    assert ds["TP_flag"].dtype == np.int8
    assert np.isnan(ds["TP"].sel(station="S2").values).all()


@pytest.mark.parametrize(
    ("text", "value"),
    [("0.05L", 0.025), ("0.05l", 0.025), ("<0.05", 0.025), ("＜0.05", 0.025)],
)
def test_below_detection_limit_is_half_and_flagged(tmp_path, text, value):
    p = write(tmp_path, HEADER + f"S1,2020-01-15,TP,{text},mg/L\nS1,2020-02-15,TP,0.2,mg/L\n")
    ds = read_wq(p)
    assert ds["TP"].values[0].tolist() == pytest.approx([value, 0.2])
    assert ds["TP_flag"].values[0].tolist() == [1, 0]
    assert ds["TP_flag"].attrs["flag_meanings"] == "measured below_detection_limit"


def test_below_dl_in_other_unit_is_converted(tmp_path):
    p = write(tmp_path, HEADER + "S1,2020-01-15,Hg,0.04L,µg/L\n")
    assert read_wq(p)["Hg"].values[0, 0] == pytest.approx(0.00002)


def test_nd_with_detection_limit_column_and_flag_column(tmp_path):
    p = write(
        tmp_path,
        "station_id,time,parameter,value,unit,flag,detection_limit\n"
        "S1,2020-01-15,CN,ND,mg/L,,0.004\n"
        "S1,2020-02-15,CN,0.004,mg/L,L,\n"
        "S1,2020-03-15,CN,0.01,mg/L,N,\n",
    )
    ds = read_wq(p)
    assert ds["CN"].values[0].tolist() == pytest.approx([0.002, 0.002, 0.01])
    assert ds["CN_flag"].values[0].tolist() == [1, 1, 0]


def test_wide_csv_with_units_in_header(tmp_path):
    p = write(
        tmp_path,
        "断面编码,监测时间,总磷(mg/L),氨氮,汞[µg/L],pH\nS1,2020-01-15,0.1,0.5,0.04L,7.1\nS2,2020-01-15,0.3,,0.2,8\n",
    )
    ds = read_wq(p)
    assert ds["TP"].values[:, 0].tolist() == pytest.approx([0.1, 0.3])
    assert ds["NH3_N"].values[0, 0] == 0.5
    assert np.isnan(ds["NH3_N"].values[1, 0])  # empty cell = no sample
    assert ds["Hg"].values[:, 0].tolist() == pytest.approx([0.00002, 0.0002])
    assert ds["Hg_flag"].values[:, 0].tolist() == [1, 0]


def test_excel_same_as_csv(tmp_path):
    df = pd.DataFrame(
        {
            "station_id": ["S1", "S1"],
            "time": ["2020-01-15", "2020-02-15"],
            "parameter": ["TP", "TP"],
            "value": ["0.1", "0.05L"],
        }
    )
    df.to_excel(tmp_path / "wq.xlsx", index=False)
    df.to_csv(tmp_path / "wq.csv", index=False)
    xr.testing.assert_identical(
        read_wq(tmp_path / "wq.xlsx").drop_attrs(), read_wq(tmp_path / "wq.csv").drop_attrs()
    )


def test_excel_line_numbers(tmp_path):
    df = pd.DataFrame(
        {
            "station_id": ["S1", "S1"],
            "time": ["2020-01-15", "2020-02-15"],
            "parameter": ["TP", "TP"],
            "value": ["0.1", "-1"],
        }
    )
    df.to_excel(tmp_path / "wq.xlsx", index=False)
    with pytest.raises(SchemaError, match=r"line 3: negative concentration -1"):
        read_wq(tmp_path / "wq.xlsx")


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_netcdf_and_zarr_round_trip(tmp_path, suffix):
    p = write(
        tmp_path, HEADER + "S1,2020-01-15,TP,0.1,mg/L\nS1,2020-02-15,TP,0.05L,mg/L\nS2,2020-01-15,DO,6,mg/L\n"
    )
    ds = read_wq(p)
    out = tmp_path / f"wq{suffix}"
    if suffix == ".nc":
        ds.to_netcdf(out)
    else:
        ds.to_zarr(out, consolidated=False)
    back = read_wq(out).load()
    np.testing.assert_array_equal(back["TP"].values, ds["TP"].values)
    np.testing.assert_array_equal(back["TP_flag"].values, ds["TP_flag"].values)
    assert back["TP"].attrs["units"] == "mg/L"


def test_netcdf_units_converted_and_names_mapped(tmp_path):
    ds = xr.Dataset(
        {"汞": (("station", "time"), [[0.2, 0.04]], {"units": "µg/L"})},
        coords={"station": ["S1"], "time": pd.date_range("2020-01-01", periods=2, freq="MS")},
    )
    ds.to_netcdf(tmp_path / "a.nc")
    back = read_wq(tmp_path / "a.nc")
    assert back["Hg"].values[0].tolist() == pytest.approx([0.0002, 0.00004])
    assert back["Hg_flag"].values.tolist() == [[0, 0]]


def test_netcdf_rejections(tmp_path):
    ds = xr.Dataset(
        {
            "TP": (("station", "time"), [[0.1, -0.2]], {"units": "mg/L"}),
            "foo": (("station", "time"), [[1.0, 2.0]], {"units": "mg/L"}),
            "DO": (("station", "time"), [[1.0, 2.0]], {"units": "furlong"}),
        },
        coords={"station": ["S1"], "time": pd.date_range("2020-01-01", periods=2, freq="MS")},
    )
    ds.to_netcdf(tmp_path / "bad.nc")
    with pytest.raises(
        SchemaError,
        match=r"variable 'TP': 1 value\(s\) rejected, e.g. station S1 time 2020-02-01.*negative concentration -0.2",
    ) as ei:
        read_wq(tmp_path / "bad.nc")
    assert "unknown parameter variable 'foo'" in str(ei.value)
    assert "variable 'DO': unknown unit 'furlong'" in str(ei.value)
    good, rejected = read_wq(tmp_path / "bad.nc", on_invalid="report")
    assert np.isnan(good["TP"].values[0, 1])
    assert "negative concentration" in rejected["reason"].iloc[0]
    ds2 = xr.Dataset({"TP": (("site", "t"), [[0.1]])})
    ds2.to_netcdf(tmp_path / "dims.nc")
    with pytest.raises(SchemaError, match=r"expected dims \('station', 'time'\), found \('site', 't'\)"):
        read_wq(tmp_path / "dims.nc")


def test_stations_coordinates(tmp_path, stations_gdf):
    p = write(tmp_path, HEADER + "S1,2020-01-15,TP,0.1,mg/L\nS3,2020-01-15,TP,0.1,mg/L\n")
    ds = read_wq(p, stations=stations_gdf)
    assert ds["waterbody"].values.tolist() == ["river", "lake"]
    assert ds["target_class"].values.tolist() == [2, 3]
    assert ds["target_class"].dtype == np.int8
    assert ds["name"].values.tolist() == ["上游", "湖心"]
    assert ds["river_id"].values.tolist() == ["R1", ""]
    assert ds["lake_id"].values.tolist() == ["", "L1"]
    assert ds["lon"].values.tolist() == pytest.approx([104.0, 106.0])


def test_stations_from_path(tmp_path, stations_gdf):
    stations_gdf.to_file(tmp_path / "st.gpkg", engine="pyogrio")
    p = write(tmp_path, HEADER + "S2,2020-01-15,TP,0.1,mg/L\n")
    ds = read_wq(p, stations=tmp_path / "st.gpkg")
    assert ds["target_class"].values.tolist() == [3]


def test_station_attributes_from_columns(tmp_path):
    p = write(
        tmp_path,
        "station_id,time,parameter,value,waterbody,target_class\nS1,2020-01-15,TP,0.1,lake,2\nS1,2020-02-15,TP,0.1,lake,2\n",
    )
    ds = read_wq(p)
    assert ds["waterbody"].values.tolist() == ["lake"]
    assert ds["target_class"].values.tolist() == [2]


def test_conflicting_station_attributes(tmp_path):
    p = write(
        tmp_path,
        "station_id,time,parameter,value,waterbody\nS1,2020-01-15,TP,0.1,lake\nS1,2020-02-15,TP,0.1,river\n",
    )
    with pytest.raises(SchemaError, match=r"column 'waterbody' has several values for station\(s\) \['S1'\]"):
        read_wq(p)


REJECTS = [
    ("S1,2020-01-15,TP,-0.1,mg/L", "line 2: negative concentration -0.1"),
    ("S1,2020-01-15,pH,15,", "line 2: pH value 15 outside the plausible range 0-14"),
    ("S1,2020-01-15,pH,-1,", "line 2: pH value -1 outside the plausible range 0-14"),
    ("S1,2020-01-15,TP,abc,mg/L", "line 2: text 'abc' where a number is expected"),
    ("S1,2020-01-15,TP,,mg/L", "line 2: empty value"),
    ("S1,2020-01-15,TP,--,mg/L", "line 2: missing value '--'"),
    ("S1,2020-01-15,TP,ND,mg/L", r"line 2: value 'ND' \(not detected\) without a detection limit"),
    ("S1,2020-01-15,foo,1,mg/L", "line 2: unknown parameter 'foo'"),
    ("S1,2020-01-15,TP,1,kg", r"line 2: unknown unit 'kg' for TP \(accepted: mg/L"),
    ("S1,2020-01-15,SD,1,mg/L", r"line 2: unknown unit 'mg/L' for SD \(accepted: m, cm"),
    ("S1,yesterday,TP,0.1,mg/L", "line 2: bad time 'yesterday'"),
    (",2020-01-15,TP,0.1,mg/L", "line 2: missing station_id"),
]


@pytest.mark.parametrize(("row", "match"), REJECTS, ids=[r[1][:30] for r in REJECTS])
def test_every_rejected_case(tmp_path, row, match):
    p = write(tmp_path, HEADER + row + "\nS9,2020-01-15,TP,0.1,mg/L\n")
    with pytest.raises(SchemaError, match=rf"wq.csv: 1 rejected value\(s\): {match}"):
        read_wq(p)
    ds, rejected = read_wq(p, on_invalid="report")
    assert rejected["line"].tolist() == [2]
    assert list(rejected.columns) == ["line", "station_id", "time", "parameter", "value", "unit", "reason"]
    assert list(ds["station"].values) == ["S9"]  # the good row is kept, the bad one is not used


def test_bad_flag_rejected(tmp_path):
    p = write(tmp_path, "station_id,time,parameter,value,flag\nS1,2020-01-15,TP,0.1,M\n")
    with pytest.raises(SchemaError, match=r"line 2: flag 'M': not a valid measurement"):
        read_wq(p)


def test_duplicates_rejected_with_both_lines(tmp_path):
    p = write(tmp_path, HEADER + "S1,2020-01-15,TP,0.1,mg/L\nS1,2020-01-15,总磷,0.2,mg/L\n")
    with pytest.raises(
        SchemaError, match=r"line 2: duplicate sample: same station, time and parameter on lines 2, 3; line 3"
    ):
        read_wq(p)


def test_unknown_station_rejected(tmp_path, stations_gdf):
    p = write(tmp_path, HEADER + "S1,2020-01-15,TP,0.1,mg/L\nSX,2020-01-15,TP,0.1,mg/L\n")
    with pytest.raises(SchemaError, match=r"line 3: unknown station 'SX' \(not in the stations layer\)"):
        read_wq(p, stations=stations_gdf)


def test_many_rejections_are_all_counted(tmp_path):
    rows = "".join(f"S1,2020-{m:02d}-15,TP,-1,mg/L\n" for m in range(1, 13)) * 2
    rows = "".join(f"S{i},2020-01-15,TP,-1,mg/L\n" for i in range(30))
    p = write(tmp_path, HEADER + rows)
    with pytest.raises(SchemaError, match=r"30 rejected value\(s\): line 2: .*; \.\.\. and 10 more"):
        read_wq(p)


def test_wide_unknown_column(tmp_path):
    p = write(tmp_path, "station_id,time,TP,colour\nS1,2020-01-15,0.1,blue\n")
    with pytest.raises(SchemaError, match=r"unknown parameter column\(s\) \['colour'\]"):
        read_wq(p)
    ds, rej = read_wq(p, on_invalid="report")
    assert rej["reason"].tolist() == ["unknown parameter 'colour'"]
    assert "TP" in ds


def test_missing_columns_and_files(tmp_path):
    with pytest.raises(
        SchemaError, match=r"missing column\(s\) \['time'\]; found \['station_id', 'parameter', 'value'\]"
    ):
        read_wq(write(tmp_path, "station_id,parameter,value\nS1,TP,1\n"))
    with pytest.raises(SchemaError, match=r"long table without column\(s\) \['value'\]"):
        read_wq(write(tmp_path, "station_id,time,parameter\nS1,2020-01-01,TP\n"))
    with pytest.raises(DataError, match="no such file"):
        read_wq(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="no data rows"):
        read_wq(write(tmp_path, HEADER))
    with pytest.raises(UnknownStandardError, match="known standards"):
        read_wq(write(tmp_path, HEADER + "S1,2020-01-15,TP,0.1,mg/L\n"), standard="XX")
    with pytest.raises(ValueError, match="on_invalid must be"):
        read_wq(write(tmp_path, HEADER + "S1,2020-01-15,TP,0.1,mg/L\n"), on_invalid="ignore")  # type: ignore[call-overload]


def test_gbk_detected_and_undecodable_refused(tmp_path):
    p = tmp_path / "gbk.csv"
    p.write_bytes(("station_id,time,parameter,value\nS1,2020-01-15,总磷,0.1\n").encode("gbk"))
    assert float(read_wq(p)["TP"].values[0, 0]) == pytest.approx(0.1)
    p.write_bytes(b"station_id,time,parameter,value\nS\xe9,2020-01-15,TP,0.1\n")
    with pytest.raises(DataError, match=r"gbk\.csv: text is neither UTF-8 nor GBK/GB18030 .*set its `encoding`"):
        read_wq(p)
    with pytest.raises(DataError, match=r"gbk\.csv: not utf-8 text \(byte 33: invalid continuation byte\); set the right `encoding`"):
        read_wq(p, encoding="utf-8")


def test_all_rejected(tmp_path):
    p = write(tmp_path, HEADER + "S1,2020-01-15,TP,-1,mg/L\n")
    with pytest.raises(SchemaError, match=r"no valid values \(1 rejected\)"):
        read_wq(p, on_invalid="report")
