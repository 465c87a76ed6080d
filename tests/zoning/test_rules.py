"""The rule file: the shipped rules and every malformed case."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from basin._errors import DataError, SchemaError
from basin.zoning.rules import CATEGORIES, load_rules, parse_rules, rules_table


def test_shipped_rules():
    rules = {r.id: r for r in load_rules()}
    assert list(rules) == ["R1", "R2", "R3"]
    r1, r2, r3 = rules["R1"], rules["R2"], rules["R3"]
    assert (r1.distance_m, r1.zone, r1.river_levels, r1.lakes) == (1000, "A", (0, 1, 2), None)
    assert set(r1.prohibits) == {"polluting_facility", "industrial_park"}
    assert r1.phase_out == ()
    assert (r2.distance_m, r2.zone, r2.river_levels, r2.prohibits, r2.phase_out) == (
        5000,
        "B",
        (0, 1, 2),
        ("industrial_park",),
        ("polluting_facility",),
    )
    assert (r3.distance_m, r3.river_levels, r3.lakes, r3.prohibits) == (
        3000,
        (3,),
        "true",
        ("industrial_park",),
    )
    assert all(r.basin_exclude == ("黄河",) for r in rules.values())
    assert all(r.text_zh and r.text_en and r.source for r in rules.values())
    assert set(CATEGORIES) == {"polluting_facility", "industrial_park", "other"}
    assert list(rules_table(list(rules.values()))["rule_id"]) == ["R1", "R2", "R3"]


def test_river_and_lake_masks(rivers, lakes):
    r1, _, r3 = load_rules()
    # M0 level 0 counts; T3 level 3 does not; Y1 is level 1 but in the Yellow River basin; Q4 level 4
    assert list(r1.river_mask(rivers)) == [True, False, False, False]
    assert list(r3.river_mask(rivers)) == [False, True, False, False]
    assert list(r3.lake_mask(lakes)) == [True, False]
    assert list(r1.lake_mask(lakes)) == [False, False]
    no_basin = rivers.drop(columns="basin")
    assert list(r1.river_mask(no_basin)) == [True, False, True, False]  # no basin column: every river counts


def _rule(**over):
    base = {
        "id": "X1",
        "zone": "A",
        "distance_m": 1000,
        "rivers": {"levels": [0]},
        "prohibits": ["polluting_facility"],
        "text_zh": "测试",
        "text_en": "test",
        "source": "test",
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not ...}


def test_custom_rule_file(tmp_path):
    p = tmp_path / "r.yaml"
    doc = {
        "version": 1,
        "rules": [
            _rule(id="T1", distance_m=3000, rivers={"levels": [0], "basin": {"include": ["长江"]}}),
            _rule(
                id="T2", zone="B", rivers=..., lakes={"connected": "any"}, prohibits=[], phase_out=["other"]
            ),
        ],
    }
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    t1, t2 = load_rules(p)
    assert t1.basin_include == ("长江",) and t1.distance_m == 3000
    assert t2.lakes == "any" and t2.river_levels is None and t2.phase_out == ("other",)
    riv = pd.DataFrame({"level": [0, 0, 0], "basin": ["长江 Yangtze", None, "黄河"]})
    assert list(t1.river_mask(riv)) == [True, False, False]


@pytest.mark.parametrize(
    ("rule", "match"),
    [
        (_rule(distance_m=...), r"missing field\(s\) \['distance_m'\]"),
        (_rule(text_en=...), r"missing field\(s\) \['text_en'\]"),
        (
            _rule(prohibits=["chemical_plant"]),
            r"unknown categor.*\['chemical_plant'\].*allowed: \['polluting_facility'",
        ),
        (_rule(phase_out=["mine"]), r"'phase_out' has unknown categor.*\['mine'\]"),
        (_rule(distance_m=-5), "'distance_m' must be positive, got -5"),
        (_rule(distance_m=0), "'distance_m' must be positive"),
        (_rule(distance_m="1 km"), "'distance_m' must be a number of metres"),
        (_rule(distance_m=500_000), "over 100 km"),
        (_rule(zone="D"), r"unknown zone 'D'; expected one of \['A', 'B'\]"),
        (_rule(rivers={"levels": []}), "'rivers.levels' must be a non-empty list"),
        (_rule(rivers={"levels": [12]}), "'rivers.levels' must be a non-empty list of river levels 0-9"),
        (_rule(rivers={"level": [1]}), r"'rivers': unknown key\(s\) \['level'\] \(did you mean 'levels'\?\)"),
        (_rule(rivers={"levels": [1], "basin": "长江"}), "'rivers.basin' must be a mapping"),
        (_rule(rivers=..., lakes={"connected": "maybe"}), "'lakes.connected' must be true, false or any"),
        (_rule(rivers=...), "neither 'rivers' nor 'lakes'"),
        (_rule(prohibits=[], phase_out=[]), "would never be broken"),
        (_rule(colour="red"), r"unknown field\(s\) \['colour'\]"),
        (_rule(prohibits="industrial_park"), "'prohibits': must be a list of strings"),
    ],
)
def test_malformed_rule(rule, match):
    with pytest.raises(SchemaError, match=match):
        parse_rules({"version": 1, "rules": [rule]}, "r.yaml")


def test_duplicate_ids_and_file_level_errors(tmp_path):
    with pytest.raises(SchemaError, match=r"duplicate rule id\(s\) \['X1'\]"):
        parse_rules({"rules": [_rule(), _rule()]})
    with pytest.raises(SchemaError, match="no 'rules' list found"):
        parse_rules({"rule": []})
    with pytest.raises(SchemaError, match="non-empty list of rules"):
        parse_rules({"rules": []})
    with pytest.raises(SchemaError, match="unsupported rule file version 2"):
        parse_rules({"version": 2, "rules": [_rule()]})
    with pytest.raises(SchemaError, match="a rule must be a mapping"):
        parse_rules({"rules": ["R1"]})
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [id: R1\n  zone", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"rule file .*bad\.yaml: not valid YAML at line \d+, column \d+: "):
        load_rules(bad)
    with pytest.raises(DataError, match="does not exist"):
        load_rules(tmp_path / "missing.yaml")
    # the message names the file and the rule
    p = tmp_path / "neg.yaml"
    p.write_text(yaml.safe_dump({"rules": [_rule(id="R9", distance_m=-1)]}), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"neg.yaml: rule 1 \(id 'R9'\): 'distance_m' must be positive"):
        load_rules(p)
