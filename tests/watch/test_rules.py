"""Warning rules as data: the shipped file, and every documented error of a user file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from basin._errors import DataError, SchemaError
from basin.watch.rules import load_warning_rules, parse_warning_rules


def _doc(**rule: object) -> dict:
    base = {
        "id": "X1",
        "kind": "sudden_change",
        "level": "预警",
        "text_zh": "突变",
        "text_en": "sudden",
        "source": "test",
        "false_alarm": {"rate": 1e-6, "per": "sample", "assumption": "iid Gaussian"},
    }
    base.update(rule)
    return {"version": 1, "rules": [base]}


def test_shipped_rules_cover_every_kind_and_state_false_alarms() -> None:
    wr = load_warning_rules()
    kinds = {r.kind for r in wr.rules}
    assert kinds == {
        "class_exceedance",
        "sudden_change",
        "sustained_shift",
        "no_data",
        "flatline",
        "impossible",
        "station_status",
    }
    assert [lv.name for lv in wr.levels] == ["提示", "预警", "报警"]
    for r in wr.rules:
        assert r.false_alarm.assumption
        if r.kind in ("sudden_change", "sustained_shift"):
            assert r.false_alarm.rate is not None
            assert 0 < r.false_alarm.rate < 0.01
    table = wr.table()
    assert list(table["rule_id"]) == [r.id for r in wr.rules]
    assert table.loc[table["rule_id"] == "W3", "level"].item() == "报警"


def test_user_file_round_trip(tmp_path: Path) -> None:
    doc = _doc(window=24, z=4.5, parameters=["氨氮", "TP"])
    doc["levels"] = [{"name": "低", "en": "low"}, {"name": "预警", "en": "high"}]
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    wr = load_warning_rules(p)
    (r,) = wr.rules
    assert r.parameters == ("NH3_N", "TP")
    assert r.options["window"] == 24
    assert r.options["z"] == 4.5
    assert r.options["direction"] == "worse"
    assert wr.level("预警").en == "high"


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"kind": "bogus"}, r"rule 1 \(id 'X1'\): unknown kind 'bogus'"),
        ({"level": "红色"}, r"field 'level' '红色' is not one of the file's levels"),
        ({"window": 2}, r"field 'window' must be at least 3"),
        ({"window": 1.5}, r"field 'window' must be a whole number"),
        ({"z": -1}, r"field 'z' must be positive"),
        ({"direction": "sideways"}, r"field 'direction' must be one of"),
        ({"parameters": ["NOPE"]}, r"field 'parameters' names unknown parameter 'NOPE'"),
        ({"false_alarm": None}, r"must state its false-alarm rate"),
        ({"false_alarm": {"rate": 2, "assumption": "x"}}, r"'false_alarm.rate' is a probability"),
        ({"false_alarm": {"rate": 0.1, "assumption": " "}}, r"'false_alarm.assumption' must say"),
        ({"colour": "red"}, r"unknown field\(s\) \['colour'\]"),
        ({"text_zh": None}, r"missing field\(s\) \['text_zh'\]"),
        ({"merge_gap_h": -1}, r"field 'merge_gap_h' must be at least 0"),
    ],
)
def test_bad_rule_names_file_rule_and_field(change: dict, match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        parse_warning_rules(_doc(**change), "my.yaml")


@pytest.mark.parametrize(
    ("rule", "match"),
    [
        ({"kind": "class_exceedance", "trigger": "worse", "false_alarm": None}, r"field 'trigger' must be"),
        (
            {"kind": "class_exceedance", "trigger": "reaches_class", "class": 7, "false_alarm": None},
            r"'class' must be a class 2-6",
        ),
        (
            {
                "kind": "class_exceedance",
                "trigger": "worse_than_target",
                "basis": "hourly",
                "false_alarm": None,
            },
            r"'basis'",
        ),
        (
            {"kind": "impossible", "limits": {"DO": [5, 1]}, "false_alarm": None},
            r"'limits.DO' must be \[min, max\]",
        ),
        (
            {"kind": "sustained_shift", "min_days": 4, "min_size_days": 3},
            r"'min_days' must be at least twice",
        ),
        ({"kind": "no_data", "hours": 0, "false_alarm": None}, r"field 'hours' must be positive"),
    ],
)
def test_bad_kind_fields(rule: dict, match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        parse_warning_rules(_doc(**rule), "my.yaml")


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_warning_rules(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [a: b: c]", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"bad.yaml: not valid YAML at line \d+"):
        load_warning_rules(bad)
    bomb = tmp_path / "alias.yaml"
    bomb.write_text("a: &x [1, 2]\nrules: *x\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"alias.yaml: not valid YAML at line 2, column 8: YAML aliases"):
        load_warning_rules(bomb)
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("规则: 1".encode("gbk"))
    with pytest.raises(SchemaError, match="is not UTF-8"):
        load_warning_rules(gbk)
    with pytest.raises(SchemaError, match="duplicate rule id"):
        parse_warning_rules({"rules": _doc()["rules"] * 2}, "d.yaml")
    with pytest.raises(SchemaError, match="unsupported rule file version"):
        parse_warning_rules({"version": 2, "rules": _doc()["rules"]}, "v.yaml")
    with pytest.raises(SchemaError, match="non-empty list"):
        parse_warning_rules({"rules": []}, "e.yaml")
