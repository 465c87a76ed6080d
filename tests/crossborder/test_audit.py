"""audit_sections on hand-made series: classes from the water-quality engine, responsibility by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from xb_worlds import CRS, NH3, admin_world, rivers_world, stations_world, write_wq

from basin import waterquality as wq
from basin._errors import SchemaError
from basin.crossborder import find_sections
from basin.crossborder.audit import AUDIT_COLUMNS, audit_sections, failing

# S1 upstream of R01's crossing (target III), S2 downstream (target II); R07 has no station
STATIONS = [("S1", "R01", 5000, 2000, 3), ("S2", "R01", 15000, 2000, 2)]
# S3 lies farther down R01 (never chosen: S2 is nearer) and has the only June sample, so June is in the series
S3 = [("S3", "R01", 17000, 2000, 2)]
# 2020-01 .. 2020-06, classes per month
UP = [3, 4, 2, 3, 3, None]  # Feb out of target; Jun no sample
DOWN = [2, 2, 3, 2, None, None]  # Mar out while upstream is fine; May, Jun no sample


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("wq")
    st = stations_world(STATIONS + S3)
    sections = find_sections(rivers_world(["R01", "R07"]), admin_world(), crs=CRS, stations=st)
    path = write_wq(
        tmp_path / "wq.csv",
        {
            "S1": {"NH3_N": [NH3.get(c) for c in UP]},
            "S2": {"NH3_N": [NH3.get(c) for c in DOWN]},
            "S3": {"NH3_N": [None] * 5 + [0.4]},
        },
    )
    ds = wq.read_wq(path, stations=st)
    return sections, ds


def test_monthly_audit_by_hand(world):
    sections, ds = world
    a = audit_sections(sections, ds, period="month")
    assert list(a.columns) == AUDIT_COLUMNS
    r = a[a.section_id == "R01:PA>PB"].set_index("period")
    assert list(r.index) == ["2020-01", "2020-02", "2020-03", "2020-04", "2020-05", "2020-06"]
    assert list(r.upstream_class) == [3, 4, 2, 3, 3, pd.NA]
    assert list(r.downstream_class) == [2, 2, 3, 2, pd.NA, pd.NA]
    assert list(r.responsibility) == ["none", "upstream", "downstream", "none", "none", "no data"]
    assert list(r.responsible_unit.fillna("")) == ["", "省A", "省B", "", "", ""]
    assert list(r.status) == ["assessed"] * 5 + ["no data"]
    assert list(r.compliant) == [True, False, False, True, True, pd.NA]
    # the reference station is the failing one
    assert list(r.station_id.fillna("")) == ["S1", "S1", "S2", "S1", "S1", ""]
    assert list(r.target_class) == [3, 3, 2, 3, 3, pd.NA]
    assert r.loc["2020-02", "class_label"] == "Ⅳ"
    assert r.loc["2020-02", "main_pollutants"].startswith("氨氮")
    # S1 in 2020: 5 months assessed, 1 out of target -> attainment 4/5, longest run 1
    assert r.loc["2020-01", "attainment_rate"] == pytest.approx(0.8)
    assert r.loc["2020-01", "months_out_of_target"] == 1
    assert r.loc["2020-01", "longest_run"] == 1
    # S2 in 2020: 4 months, 1 out
    assert r.loc["2020-03", "attainment_rate"] == pytest.approx(0.75)


def test_section_without_station_is_no_data_not_dropped(world):
    sections, ds = world
    a = audit_sections(sections, ds, period="month")
    r = a[a.section_id == "R07:PA>PB"]
    assert len(r) == 6
    assert set(r.status) == {"no station"}
    assert set(r.responsibility) == {"no data"}
    assert r.compliant.isna().all()


def test_yearly_audit(world):
    sections, ds = world
    a = audit_sections(sections, ds, period="year").set_index("section_id")
    r = a.loc["R01:PA>PB"]
    # annual means: S1 NH3 = (0.8+1.2+0.4+0.8+0.8)/5 = 0.8 -> III; S2 = (0.4+0.4+0.8+0.4)/4 = 0.5 -> II
    assert (r.period, r.upstream_class, r.downstream_class) == ("2020", 3, 2)
    assert (r.responsibility, bool(r.compliant)) == ("none", True)
    assert r.months_out_of_target == 1


def test_undetermined_when_upstream_has_no_data(tmp_path):
    st = stations_world(STATIONS)
    sections = find_sections(rivers_world(["R01"]), admin_world(), crs=CRS, stations=st)
    path = write_wq(tmp_path / "wq.csv", {"S1": {"NH3_N": [None, 0.8]}, "S2": {"NH3_N": [0.8, 0.8]}})
    a = audit_sections(sections, wq.read_wq(path, stations=st), period="month")
    assert list(a.responsibility) == ["undetermined", "downstream"]


def test_station_missing_from_the_series(tmp_path):
    st = stations_world(STATIONS)
    sections = find_sections(rivers_world(["R01"]), admin_world(), crs=CRS, stations=st)
    path = write_wq(tmp_path / "wq.csv", {"S1": {"NH3_N": [0.8, 0.8]}})
    a = audit_sections(sections, wq.read_wq(path, stations=st.iloc[:1]), period="month")
    assert set(a.note) == {"no water-quality series for S2"}
    assert list(a.responsibility) == ["none", "none"]


def test_failing_rows(world):
    sections, ds = world
    a = audit_sections(sections, ds, period="month")
    assert list(failing(a).period) == ["2020-02", "2020-03"]


def test_bad_period_and_inputs(world):
    sections, ds = world
    with pytest.raises(SchemaError, match="period must be 'month' or 'year'"):
        audit_sections(sections, ds, period="quarter")
    with pytest.raises(SchemaError, match=r"sections: missing column\(s\) \['upstream_station_id'\]"):
        audit_sections(sections.drop(columns="upstream_station_id"), ds)
    with pytest.raises(SchemaError, match=r"expected a water-quality Dataset with dims \(station, time\)"):
        audit_sections(sections, ds.isel(station=0))


def test_provenance_in_attrs(world):
    sections, ds = world
    a = audit_sections(sections, ds)
    assert a.attrs["standard"]["name"] == "GB3838-2002"
    assert "responsibility" in a.attrs["rules"]
