"""The 2011 evaluation method computed by hand: section class, main pollutants, compliance, rivers, TLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from basin._errors import SchemaError
from basin.waterquality import (
    assess,
    compliance,
    evaluate_river,
    evaluate_rivers,
    exceedance_multiple,
    main_pollutants,
    tli,
    trophic_state,
)

from .conftest import make_ds


# ---------------------------------------------------------------------------------- main pollutants
@pytest.mark.parametrize(
    ("means", "expected"),
    [
        # Class III or better: none
        ({"TP": 0.15, "NH3_N": 0.5, "DO": 7.0}, ""),
        # Class IV, one item above III
        ({"TP": 0.25, "NH3_N": 0.5}, "总磷(0.25)"),
        ({"TP": 0.29}, "总磷(0.45)"),
        # three Class V items; worst class first, ties by exceedance multiple (C - C_III)/C_III
        # CODMn 13.2 -> (13.2-6)/6 = 1.2; NH3-N 1.8 -> 0.8; TP 0.35 -> 0.75; BOD5 5 (IV) -> 0.25 left out
        ({"CODMn": 13.2, "NH3_N": 1.8, "TP": 0.35, "BOD5": 5.0}, "高锰酸盐指数(1.2)、氨氮(0.8)、总磷(0.75)"),
        # COD 45 is 劣V (> 40): first although its multiple (1.25) is near CODMn's
        (
            {"CODMn": 13.2, "NH3_N": 1.8, "TP": 0.35, "COD": 45.0},
            "化学需氧量(1.25)、高锰酸盐指数(1.2)、氨氮(0.8)",
        ),
        # heavy metal exceeding (Pb 0.06 = IV, multiple 0.2) comes first though its class is better
        (
            {"CODMn": 13.2, "NH3_N": 1.8, "TP": 0.35, "COD": 45.0, "Pb": 0.06},
            "铅(0.2)、化学需氧量(1.25)、高锰酸盐指数(1.2)",
        ),
        # cyanide 0.25 (劣V, 0.25) and Cd 0.008 (V, 0.6): both priority, then by class
        ({"CODMn": 13.2, "CN": 0.25, "Cd": 0.008}, "氰化物(0.25)、镉(0.6)、高锰酸盐指数(1.2)"),
        # pH and DO: no multiple, written without a number, after items of the same class with one
        ({"TP": 0.45, "DO": 1.5, "pH": 9.5}, "总磷(1.25)、pH、溶解氧"),
        # not evaluated: TN, fecal coliform, temperature never appear
        ({"TP": 0.25, "TN": 5.0, "fecal_coliform": 1e6, "temperature": 30}, "总磷(0.25)"),
    ],
)
def test_main_pollutants(means, expected):
    assert main_pollutants(means) == expected


def test_main_pollutants_lake_tp_uses_lake_class_iii():
    # lake Class III TP is 0.05: 0.08 -> IV, multiple 0.6
    assert main_pollutants({"TP": 0.08}, waterbody="lake") == "总磷(0.6)"
    assert main_pollutants({"TP": 0.08}, waterbody="river") == ""


def test_exceedance_multiple():
    assert exceedance_multiple([13.2, 5.0], "CODMn").tolist() == pytest.approx([1.2, np.nan], nan_ok=True)
    assert np.isnan(exceedance_multiple([1.0], "DO")).all()
    assert np.isnan(exceedance_multiple([10.0], "pH")).all()


# ---------------------------------------------------------------------------------- sections
def test_assess_year(two_stations):
    df = assess(two_stations, period="year")
    assert list(df.columns[:8]) == [
        "station_id",
        "period",
        "period_start",
        "class",
        "class_label",
        "status",
        "main_pollutants",
        "target_class",
    ]
    for col in ("compliant", "n_items", "tli", "trophic_state"):
        assert col in df.columns
    s1 = df[df.station_id == "S1"].iloc[0]
    assert (s1["period"], s1["class"], s1["class_label"], s1["status"], s1["main_pollutants"]) == (
        "2020",
        3,
        "Ⅲ",
        "良好",
        "",
    )
    assert bool(s1["compliant"]) is True
    s2 = df[df.station_id == "S2"].iloc[0]
    # lake: TP 0.45 vs lake III 0.05 -> 8; NH3-N 1.8 -> 0.8; DO 2.5 (V) has no multiple
    assert (s2["class"], s2["class_label"], s2["status"]) == (6, "劣Ⅴ", "重度污染")
    assert s2["main_pollutants"] == "总磷(8)、氨氮(0.8)、溶解氧"
    assert bool(s2["compliant"]) is False
    assert df["period"].tolist() == ["2020", "2021"] * 2


def test_section_class_is_worst_of_the_21_items_of_period_means():
    # Jan TP 0.1, Feb 0.5 -> mean 0.3 -> IV (not the class of each month); TN 5 and fecal coliform ignored
    ds = make_ds(
        {
            "TP": [[0.1, 0.5]],
            "NH3_N": [[0.1, 0.1]],
            "TN": [[5.0, 5.0]],
            "fecal_coliform": [[1e6, 1e6]],
            "temperature": [[40, 40]],
        }
    )
    df = assess(ds, period="year")
    assert df["class"].tolist() == [4]
    assert df["main_pollutants"].tolist() == ["总磷(0.5)"]
    assert df["n_items"].tolist() == [2]
    assert df["target_class"].isna().all()
    assert df["compliant"].isna().all()
    monthly = assess(ds, period="month")
    assert monthly["period"].tolist() == ["2020-01", "2020-02"]
    assert monthly["class"].tolist() == [2, 6]
    quarterly = assess(ds, period="quarter")
    assert quarterly["period"].tolist() == ["2020Q1"]


def test_assess_no_evaluated_items_gives_no_rows():
    ds = make_ds({"temperature": [[20.0, 21.0]]})
    assert assess(ds).empty


def test_assess_bad_period(two_stations):
    with pytest.raises(
        SchemaError, match=r"period must be one of \['year', 'quarter', 'month'\], got 'week'"
    ):
        assess(two_stations, period="week")  # type: ignore[arg-type]


def test_assess_dask_identical(two_stations):
    pd.testing.assert_frame_equal(assess(two_stations.chunk({"time": 7})), assess(two_stations))


def test_accessor(two_stations):
    pd.testing.assert_frame_equal(
        two_stations.wq.assess(period="month"), assess(two_stations, period="month")
    )
    pd.testing.assert_frame_equal(two_stations.wq.compliance(), compliance(two_stations))


def test_lake_tli_in_assessment():
    ds = make_ds(
        {
            "Chla": [[10.0], [10.0]],
            "TP": [[0.05], [0.05]],
            "TN": [[1.0], [1.0]],
            "SD": [[1.0], [1.0]],
            "CODMn": [[4.0], [4.0]],
        },
        waterbody=["lake", "river"],
    )
    df = assess(ds)
    assert df["tli"].iloc[0] == pytest.approx(48.018, abs=1e-3)
    assert df["trophic_state"].tolist() == ["中营养", ""]
    assert np.isnan(df["tli"].iloc[1])


# ---------------------------------------------------------------------------------- compliance
def test_compliance_runs_and_rates():
    # target III; TP > 0.2 is IV (out). 2020: out in Feb, Mar, May, Jun, Jul -> 5 out, longest run 3.
    # 2021: out Jan, Feb; Mar missing (breaks the run); Apr out; rest clean -> longest 2.
    y2020 = [0.1, 0.25, 0.25, 0.1, 0.25, 0.25, 0.25, 0.1, 0.1, 0.1, 0.1, 0.1]
    y2021 = [0.25, 0.25, np.nan, 0.25, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
    ds = make_ds({"TP": [y2020 + y2021, [0.1] * 24]}, target=[3, 0])
    df = compliance(ds)
    s1 = df[df.station_id == "S1"].set_index("year")
    assert s1.loc[
        2020, ["months_assessed", "months_compliant", "months_out", "longest_run_out"]
    ].tolist() == [12, 7, 5, 3]
    assert s1.loc[2020, "attainment_rate"] == pytest.approx(7 / 12)
    assert s1.loc[2021, ["months_assessed", "months_out", "longest_run_out"]].tolist() == [11, 3, 2]
    # annual mean 2020 = 0.1625 -> III: compliant although 5 months were out
    assert s1.loc[2020, "annual_class"] == 3
    assert bool(s1.loc[2020, "annual_compliant"]) is True
    s2 = df[df.station_id == "S2"]
    assert s2["target_class"].isna().all()
    assert s2["attainment_rate"].isna().all()
    assert s2["longest_run_out"].isna().all()


# ---------------------------------------------------------------------------------- rivers
@pytest.mark.parametrize(
    ("classes", "status", "good", "bad"),
    [
        ([1, 2, 3, 3, 4], "良好", 0.8, 0.0),  # exactly 5 sections: proportion method
        ([1, 2, 3, 3, 3, 3, 3, 3, 3, 6], "优", 0.9, 0.1),  # 90 % I-III
        ([1, 2, 3, 3, 3, 3, 3, 3, 4, 6], "良好", 0.8, 0.1),
        ([1, 2, 3, 4, 4, 4, 4, 4, 5, 6], "轻度污染", 0.3, 0.1),
        ([3, 4, 4, 6, 1], "中度污染", 0.4, 0.2),  # 劣V exactly 20 %
        ([4, 4, 6, 6, 1], "重度污染", 0.2, 0.4),  # 劣V exactly 40 %
        ([1, 1, 1, 4, 6, 6, 0], "中度污染", 0.5, 2 / 6),  # class 0 (no data) not counted
    ],
)
def test_river_proportion_method(classes, status, good, bad):
    r = evaluate_river(classes)
    assert r.method == "proportion"
    assert r.status == status
    assert r.share_good == pytest.approx(good)
    assert r.share_worse_than_v == pytest.approx(bad)


def test_river_mean_method_four_sections():
    # 4 sections: the means of each item over the sections are evaluated as one section (TP 0.25 -> IV);
    # the main pollutants are those of each section worse than III (二(一)3(2)): Q3 TP 0.3 -> (0.3-0.2)/0.2
    # = 0.5, Q4 TP 0.4 -> 1
    means = pd.DataFrame(
        {"TP": [0.1, 0.2, 0.3, 0.4], "NH3_N": [0.5, 0.5, 0.5, 0.5], "TN": [9, 9, 9, 9]},
        index=["Q1", "Q2", "Q3", "Q4"],
    )
    r = evaluate_river([2, 3, 4, 5], means=means)
    assert (r.method, r.n_sections, r.river_class, r.class_label, r.status) == ("mean", 4, 4, "Ⅳ", "轻度污染")
    assert r.main_pollutants == "Q3：总磷(0.5)；Q4：总磷(1)"


def test_river_four_sections_main_pollutants_per_section():
    # issue 12: sections Q3 and Q4 carry NH3-N 1.2 and 2.2 -> Q3 IV (0.2), Q4 劣V (1.2); the river mean
    # (0.5 + 0.5 + 1.2 + 2.2) / 4 = 1.1 -> IV, status 轻度污染
    means = pd.DataFrame({"NH3_N": [0.5, 0.5, 1.2, 2.2]}, index=["Q1", "Q2", "Q3", "Q4"])
    r = evaluate_river([2, 2, 4, 6], means=means)
    assert (r.river_class, r.status) == (4, "轻度污染")
    assert r.main_pollutants == "Q3：氨氮(0.2)；Q4：氨氮(1.2)"
    ds = make_ds({"NH3_N": [[0.5], [0.5], [1.2], [2.2]]}, stations=["Q1", "Q2", "Q3", "Q4"])
    out = evaluate_rivers(ds.assign_coords(river_id=("station", ["R"] * 4))).iloc[0]
    assert (out["method"], out["river_class"]) == ("mean", 4)
    assert out["main_pollutants"] == "Q3：氨氮(0.2)；Q4：氨氮(1.2)"


def test_river_errors():
    with pytest.raises(SchemaError, match=r"4 section\(s\) \(< 5\): pass means="):
        evaluate_river([1, 2, 3, 4])
    with pytest.raises(SchemaError, match="no classified section"):
        evaluate_river([0, np.nan])


def test_evaluate_rivers_from_dataset():
    ds = make_ds({"TP": [[0.1], [0.3], [0.1], [0.1], [0.1], [0.5]]})
    ds = ds.assign_coords(river_id=("station", ["R1"] * 5 + ["R2"]))
    out = evaluate_rivers(ds)
    r1 = out[out.river_id == "R1"].iloc[0]
    assert (r1["method"], r1["n_sections"], r1["status"]) == ("proportion", 5, "良好")
    r2 = out[out.river_id == "R2"].iloc[0]
    assert (r2["method"], r2["river_class"], r2["class_label"]) == ("mean", 6, "劣Ⅴ")
    with pytest.raises(SchemaError, match="no station coordinate 'lake_id'"):
        evaluate_rivers(ds, by="lake_id")


# ---------------------------------------------------------------------------------- TLI
def test_tli_domain_vector():
    total, comps = tli(chla=10, tp=0.05, tn=1.0, sd=1.0, codmn=4, components=True)
    assert total == pytest.approx(48.02, abs=0.005)
    assert [round(float(comps[k]), 2) for k in ("Chla", "TP", "TN", "SD", "CODMn")] == [
        50.01,
        45.71,
        54.53,
        51.18,
        37.98,
    ]
    assert trophic_state(total).tolist() == ["中营养"]


def test_tli_vectorised_and_missing():
    out = tli(chla=[10, np.nan, 10], tp=[0.05, 0.05, 0.0], tn=1.0, sd=1.0, codmn=4)
    assert out[0] == pytest.approx(48.018, abs=1e-3)
    assert np.isnan(out[1])
    assert np.isnan(out[2])


def test_trophic_state_boundaries():
    # CNEMC form: < 30 oligo; 30 <= TLI <= 50 meso; 50 < TLI <= 60 light; 60 < TLI <= 70 middle; > 70 hyper
    got = trophic_state([29.99, 30, 50, 50.01, 60, 60.01, 70, 70.01, np.nan]).tolist()
    assert got == [
        "贫营养",
        "中营养",
        "中营养",
        "轻度富营养",
        "轻度富营养",
        "中度富营养",
        "中度富营养",
        "重度富营养",
        "",
    ]


def test_evaluate_rivers_matches_evaluate_river_per_group():
    rng = np.random.default_rng(5)
    n_st = 13
    ds = make_ds(
        {
            "TP": rng.lognormal(np.log(0.2), 0.8, (n_st, 24)).tolist(),
            "NH3_N": rng.lognormal(np.log(0.8), 0.8, (n_st, 24)).tolist(),
            "DO": rng.normal(6, 2, (n_st, 24)).clip(0.5).tolist(),
            "Pb": rng.lognormal(np.log(0.03), 0.8, (n_st, 24)).tolist(),
        },
        waterbody=["lake"] * 3 + ["river"] * 10,
    )
    ds = ds.assign_coords(river_id=("station", ["A"] * 3 + ["B"] * 6 + ["C"] * 4))
    out = evaluate_rivers(ds, period="month").set_index(["river_id", "period"])
    sec = assess(ds, period="month")
    means = ds.resample(time="MS").mean().to_dataframe().reset_index()
    means["period"] = means["time"].dt.strftime("%Y-%m")
    rid = dict(zip(ds["station"].values, ds["river_id"].values, strict=True))
    sec["river_id"] = sec["station_id"].map(rid)
    for (r, per), part in sec.groupby(["river_id", "period"]):
        sel = means[(means["period"] == per) & means["station"].isin(part["station_id"])].set_index("station")
        wb = "lake" if r == "A" else "river"
        exp = evaluate_river(part["class"], means=sel[["TP", "NH3_N", "DO", "Pb"]], waterbody=wb)
        got = out.loc[(r, per)]
        assert got["method"] == exp.method
        assert got["status"] == exp.status
        assert got["share_good"] == pytest.approx(exp.share_good)
        assert got["method"] == ("lake_mean" if r == "A" else "proportion" if r == "B" else "mean")
        if exp.method != "proportion":
            assert got["river_class"] == exp.river_class
            assert got["main_pollutants"] == exp.main_pollutants
        else:
            assert pd.isna(got["river_class"])


def test_evaluate_rivers_proportion_main_pollutants_by_exceedance_rate():
    # 5 river sections, one year: TP worse than III in 3 sections (60 %), NH3-N in 2 (40 %), CODMn in 1 (20 %)
    ds = make_ds(
        {
            "TP": [[0.25], [0.35], [0.5], [0.1], [0.1]],
            "NH3_N": [[1.2], [2.5], [0.5], [0.5], [0.5]],
            "CODMn": [[3.0], [3.0], [3.0], [3.0], [11.0]],
        }
    )
    ds = ds.assign_coords(river_id=("station", ["R"] * 5))
    out = evaluate_rivers(ds).iloc[0]
    # classes: IV, 劣V, 劣V, II, V -> I-III 20 %, 劣V 40 % -> 重度污染
    assert (out["method"], out["status"]) == ("proportion", "重度污染")
    assert out["main_pollutants"] == "总磷(60%)、氨氮(40%)、高锰酸盐指数(20%)"
    clean = make_ds({"TP": [[0.1]] * 5}).assign_coords(river_id=("station", ["R"] * 5))
    assert evaluate_rivers(clean).iloc[0]["main_pollutants"] == ""
