"""Schemes as data and ledgers computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from basin._errors import DataError, SchemaError
from basin.crossborder.compensation import LEDGER_COLUMNS, SUMMARY_COLUMNS, settle, summarize
from basin.crossborder.schemes import list_schemes, load_scheme


def one_section(**kw) -> pd.DataFrame:
    base = {
        "section_id": "X1",
        "kind": "crossing",
        "river_name": "河",
        "from_admin": "PA",
        "from_admin_name": "省A",
        "to_admin": "PB",
        "to_admin_name": "省B",
        "net_crossing": True,
        "upstream_station_id": "S1",
        "upstream_distance_m": 5000.0,
        "downstream_station_id": "S2",
        "downstream_distance_m": 3000.0,
    }
    base.update(kw)
    return pd.DataFrame([base])


def audit_table(rows: list[tuple[str, object, object]]) -> pd.DataFrame:
    """(period, upstream class, downstream class); targets III upstream, II downstream."""
    return pd.DataFrame(
        {
            "section_id": "X1",
            "period": [r[0] for r in rows],
            "upstream_class": pd.array([r[1] for r in rows], dtype="Int64"),
            "upstream_target": pd.array([3] * len(rows), dtype="Int64"),
            "downstream_class": pd.array([r[2] for r in rows], dtype="Int64"),
            "downstream_target": pd.array([2] * len(rows), dtype="Int64"),
        }
    )


MONTHS = [
    ("2020-01", 2, 2),
    ("2020-02", 2, 2),
    ("2020-04", 2, 2),
    ("2021-01", 1, 2),  # better than 2020-01 -> improves: downstream pays upstream
    ("2021-02", 3, 2),  # meets III but worse than 2020-02 -> upstream pays downstream
    ("2021-03", 4, 2),  # fails III -> upstream pays downstream
    ("2021-04", 2, 2),  # same as 2020-04 -> no transfer
    ("2021-05", None, 2),  # no data
]


@pytest.mark.parametrize("name", list_schemes())
def test_every_shipped_scheme_loads(name):
    s = load_scheme(name)
    assert s.name == name
    assert s.sources
    assert len(s.sha256) == 64


def test_xinanjiang_marked_unverified():
    s = load_scheme("xinanjiang_index")
    assert s.confidence == "U"
    assert {"K0", "weights", "baseline"} <= set(s.unverified)
    assert s.K0 == 0.85
    assert s.weights == {"CODMn": 0.25, "NH3_N": 0.25, "TN": 0.25, "TP": 0.25}
    assert s.baseline == {"method": "mean_of_years", "years": [2008, 2010]}


def test_chongqing_amounts_from_file():
    s = load_scheme("chongqing_target_trend")
    assert (s.period, s.unit, s.station) == ("month", "万元", "upstream")
    assert s.outcomes["meets_improves"].payer == "downstream"
    assert s.outcomes["meets_improves"].amount == 100
    assert s.outcomes["meets_improves"].confidence == "V2"
    assert s.outcomes["fails"].confidence == "U"


def test_target_trend_ledger_by_hand():
    ledger = settle(audit_table(MONTHS), one_section(), "chongqing_target_trend")
    assert list(ledger.columns) == LEDGER_COLUMNS
    got = [
        (r.period, r.outcome, r.payer if pd.notna(r.payer) else None, r.amount) for r in ledger.itertuples()
    ]
    assert got == [
        ("2020-01", "meets_no_previous", None, 0.0),
        ("2020-02", "meets_no_previous", None, 0.0),
        ("2020-04", "meets_no_previous", None, 0.0),
        ("2021-01", "meets_improves", "省B", 100.0),
        ("2021-02", "meets_worsens", "省A", 100.0),
        ("2021-03", "fails", "省A", 100.0),
        ("2021-04", "meets_unchanged", None, 0.0),
        ("2021-05", "no data", None, 0.0),
    ]
    r = ledger.set_index("period").loc["2021-01"]
    assert (r.payee, r.payer_id, r.payee_id, r.unit, r.currency) == ("省A", "PB", "PA", "万元", "CNY")
    assert "better than 2 in 2020-01" in r.reason
    assert "UNVERIFIED" in ledger.set_index("period").loc["2021-03", "reason"]
    assert ledger.set_index("period").loc["2021-05", "reason"] == "no data at S1 in 2021-05"
    assert set(ledger.station_id) == {"S1"}


def test_summary_per_pair_by_hand():
    ledger = settle(audit_table(MONTHS), one_section(), "chongqing_target_trend")
    s = summarize(ledger)
    assert list(s.columns) == SUMMARY_COLUMNS
    assert len(s) == 1
    r = s.iloc[0]
    assert (r.party_a, r.party_b) == ("省A", "省B")
    assert (r.paid_a_to_b, r.paid_b_to_a, r.net_a_to_b) == (200.0, 100.0, 100.0)
    assert (r.transfers, r.periods_settled, r.periods_without_data) == (3, 7, 1)


def test_downstream_and_nearest_station():
    ledger = settle(
        audit_table(MONTHS), one_section(), {**_raw("chongqing_target_trend"), "station": "downstream"}
    )
    assert set(ledger.station_id) == {"S2"}
    assert set(ledger.outcome) == {"meets_no_previous", "meets_unchanged"}
    near = settle(
        audit_table(MONTHS), one_section(), {**_raw("chongqing_target_trend"), "station": "nearest"}
    )
    assert set(near.station_id) == {"S2"}  # 3 km against 5 km


def test_no_station_is_listed():
    sec = one_section(upstream_station_id=pd.NA)
    ledger = settle(audit_table(MONTHS), sec, "chongqing_target_trend")
    assert set(ledger.outcome) == {"no station"}
    assert (ledger.amount == 0).all()
    assert summarize(ledger).iloc[0].periods_without_data == len(MONTHS)


def test_boundary_reach_without_net_crossing_not_settled():
    sec = one_section(kind="boundary_reach", net_crossing=False)
    ledger = settle(audit_table(MONTHS), sec, "chongqing_target_trend")
    assert list(ledger.outcome) == ["not settled"]
    assert summarize(ledger).empty


def test_start_end_window():
    raw = {**_raw("chongqing_target_trend"), "start": "2021-02", "end": "2021-03"}
    ledger = settle(audit_table(MONTHS), one_section(), raw)
    assert list(ledger.period) == ["2021-02", "2021-03"]


def test_audit_period_must_match_scheme():
    yearly = audit_table([("2020", 2, 2), ("2021", 1, 2)])
    with pytest.raises(SchemaError, match=r"settles per month, the audit has yearly periods"):
        settle(yearly, one_section(), "chongqing_target_trend")
    raw = {**_raw("chongqing_target_trend"), "period": "year"}
    ledger = settle(yearly, one_section(), raw)
    assert list(ledger.outcome) == ["meets_no_previous", "meets_improves"]


def test_index_scheme_needs_the_dataset():
    with pytest.raises(SchemaError, match="needs concentrations: pass the water-quality Dataset"):
        settle(audit_table(MONTHS), one_section(), "xinanjiang_index")


# -------------------------------------------------------------------------------------------- bad schemes
def _raw(name: str) -> dict:
    from importlib.resources import files

    return yaml.safe_load(
        (files("basin.crossborder") / "schemes" / f"{name}.yaml").read_text(encoding="utf-8")
    )


def _write(tmp_path, data) -> str:
    p = tmp_path / "scheme.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(p)


def test_scheme_file_missing_field(tmp_path):
    data = _raw("chongqing_target_trend")
    del data["unit"]
    with pytest.raises(SchemaError, match=r"scheme file .*scheme.yaml: missing field\(s\) \['unit'\]"):
        load_scheme(_write(tmp_path, data))


def test_scheme_outcome_missing_amount(tmp_path):
    data = _raw("chongqing_target_trend")
    del data["outcomes"]["fails"]["amount"]
    with pytest.raises(SchemaError, match=r"outcome 'fails': missing field\(s\) \['amount'\]"):
        load_scheme(_write(tmp_path, data))


def test_scheme_missing_outcome(tmp_path):
    data = _raw("chongqing_target_trend")
    del data["outcomes"]["meets_worsens"]
    with pytest.raises(SchemaError, match="a 'target_trend' scheme needs exactly"):
        load_scheme(_write(tmp_path, data))


def test_index_scheme_missing_k0(tmp_path):
    data = _raw("xinanjiang_index")
    del data["K0"]
    with pytest.raises(SchemaError, match=r"missing field\(s\) \['K0'\]"):
        load_scheme(_write(tmp_path, data))


def test_weights_must_sum_to_one():
    data = _raw("xinanjiang_index")
    data["weights"]["TP"] = 0.5
    with pytest.raises(SchemaError, match="weights must sum to 1, they sum to 1.25"):
        load_scheme(data)


def test_unknown_field_and_bad_values():
    data = {**_raw("chongqing_target_trend"), "amout": 3}
    with pytest.raises(SchemaError, match=r"unknown field\(s\) \['amout'\]"):
        load_scheme(data)
    data = _raw("chongqing_target_trend")
    data["outcomes"]["meets_unchanged"]["amount"] = 5
    with pytest.raises(SchemaError, match="payer 'none' needs amount 0"):
        load_scheme(data)
    data = _raw("chongqing_target_trend")
    data["outcomes"]["fails"]["amount"] = -1
    with pytest.raises(SchemaError, match=r"field 'amount' must be >= 0"):
        load_scheme(data)
    data = {**_raw("chongqing_target_trend"), "period": "week"}
    with pytest.raises(SchemaError, match=r"field 'period' must be one of \['month', 'year'\]"):
        load_scheme(data)
    data = _raw("xinanjiang_index")
    data["baseline"] = {"method": "mean_of_years", "years": [2010, 2008]}
    with pytest.raises(SchemaError, match=r"baseline.years must be \[first, last\]"):
        load_scheme(data)
    data = _raw("xinanjiang_index")
    data["baseline"] = {"method": "values", "values": {"CODMn": 2}}
    with pytest.raises(SchemaError, match=r"baseline.values has no value for \['NH3_N', 'TN', 'TP'\]"):
        load_scheme(data)


def test_unknown_scheme_and_files(tmp_path):
    with pytest.raises(SchemaError, match=r"unknown scheme 'nope'; shipped schemes: \["):
        load_scheme("nope")
    with pytest.raises(DataError, match="does not exist"):
        load_scheme(str(tmp_path / "missing.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("scheme: [unclosed", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"bad\.yaml: not valid YAML at line 1, column 18: expected"):
        load_scheme(str(bad))
    lst = tmp_path / "list.yaml"
    lst.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="expected a mapping of fields, got list"):
        load_scheme(str(lst))


def test_sections_missing_columns():
    with pytest.raises(SchemaError, match=r"sections: missing column\(s\) \['upstream_station_id'"):
        settle(
            audit_table(MONTHS), one_section().drop(columns=["upstream_station_id"]), "chongqing_target_trend"
        )
