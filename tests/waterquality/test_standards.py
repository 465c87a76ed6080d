"""Standards as data: registry, validation on load, parameters, aliases, units."""

from __future__ import annotations

from pathlib import Path

import pytest

from basin._errors import SchemaError, UnknownStandardError
from basin.waterquality import canonical_parameter, class_table, list_standards, load_standard, unit_factor
from basin.waterquality.standards import LIMIT_COLUMNS, parameter_table

STD_DIR = Path(__file__).resolve().parents[2] / "basin" / "waterquality" / "standards"


@pytest.mark.parametrize("name", list_standards())
def test_every_shipped_standard_loads(name):
    std = load_standard(name)
    assert std.name == name
    assert std.sources
    assert std.confidence
    for param in std.parameters:
        assert param in parameter_table().index
    assert len(std.items) == 21


def test_gb3838_content():
    std = load_standard("GB3838-2002")
    # 23 Table-1 items with classes (water temperature has none)
    assert len(std.parameters) == 23
    assert "temperature" not in std.parameters
    assert set(std.supplementary["parameter"]) == {"sulfate", "chloride", "nitrate", "Fe", "Mn"}
    assert std.get_limits("TN", "river") is None
    assert std.get_limits("TN", "reservoir").upper[2] == 1.0
    assert std.class_limit("TP", 3, "river") == 0.2
    assert std.class_limit("TP", 3, "lake") == 0.05
    assert std.class_limit("DO", 3) == 5
    # items exclude temperature, TN and fecal coliform
    assert not {"temperature", "TN", "fecal_coliform"} & set(std.items)


def test_unknown_standard_lists_known():
    with pytest.raises(
        UnknownStandardError,
        match=r"unknown water-quality standard 'GB3838-1988'; known standards: GB3838-2002",
    ):
        load_standard("GB3838-1988")


def test_default_standard_from_options():
    import basin

    with basin.set_options(standard="nope"), pytest.raises(UnknownStandardError, match="'nope'"):
        load_standard()


def _write_std(tmp_path: Path, rows: list[str], name: str = "X") -> Path:
    (tmp_path / "x.csv").write_text(",".join(LIMIT_COLUMNS) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    reg = tmp_path / "reg.yml"
    reg.write_text(
        f"{name}:\n  title: t\n  version: v\n  limits: x.csv\n  confidence: U\n  sources: [here]\n",
        encoding="utf-8",
    )
    return reg


def _rows(param="CODMn", limits=(2, 4, 6, 10, 15), unit="mg/L", direction="upper", wb="all"):
    return [f"{param},{unit},{k},,{v},,true,{direction},{wb}" for k, v in enumerate(limits, start=1)]


def test_another_standard_as_another_file(tmp_path):
    reg = _write_std(tmp_path, _rows(limits=(1, 2, 3, 4, 5)), name="LOCAL-1")
    std = load_standard("LOCAL-1", registry=reg)
    assert std.parameters == ["CODMn"]
    from basin.waterquality import classify

    assert classify([1, 1.5, 5, 5.1], "CODMn", standard=std).tolist() == [1, 2, 5, 6]


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        (_rows(limits=(2, 4, 6, 10)), r"CODMn \(all\): classes \[1, 2, 3, 4\], expected exactly 1..5"),
        (_rows(limits=(2, 4, 3, 10, 15)), "class ranges are not nested"),
        (_rows(unit="µg/L"), "canonical unit is 'mg/L'"),
        (_rows(param="XYZ"), r"unknown parameter\(s\) \['XYZ'\]"),
        (_rows(direction="up"), r"unknown direction\(s\) \['up'\]"),
        (_rows(wb="sea"), r"unknown waterbody value\(s\) \['sea'\]"),
        (_rows(direction="lower"), "direction 'lower' needs"),
        ([r.replace(",true,", ",maybe,") for r in _rows()], "boolean columns must be true/false"),
        ([r.replace(",,2,", ",,two,") for r in _rows()], "non-numeric values"),
    ],
)
def test_broken_standard_rejected_on_load(tmp_path, rows, match):
    reg = _write_std(tmp_path, rows, name=f"BROKEN-{abs(hash(match))}")
    with pytest.raises(SchemaError, match=match):
        load_standard(f"BROKEN-{abs(hash(match))}", registry=reg)


def test_missing_limit_columns(tmp_path):
    (tmp_path / "x.csv").write_text("parameter,unit,class\nCODMn,mg/L,1\n", encoding="utf-8")
    reg = tmp_path / "reg.yml"
    reg.write_text(
        "M:\n  title: t\n  version: v\n  limits: x.csv\n  confidence: U\n  sources: [here]\n",
        encoding="utf-8",
    )
    with pytest.raises(SchemaError, match=r"missing column\(s\) \['lower'"):
        load_standard("M", registry=reg)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("溶解氧", "DO"),
        ("高锰酸盐指数", "CODMn"),
        ("氨氮", "NH3_N"),
        ("总磷", "TP"),
        ("w01009", "DO"),
        ("W21011", "TP"),
        ("w21003", "NH3_N"),
        ("w02003", "fecal_coliform"),
        ("NH3-N", "NH3_N"),
        ("CODmn", "CODMn"),
        ("Chl-a", "Chla"),
        ("六价铬", "Cr6"),
        ("Cr(VI)", "Cr6"),
        ("粪大肠菌群", "fecal_coliform"),
        ("  pH值 ", "pH"),
        ("ＴＰ", "TP"),  # full-width letters
    ],
)
def test_aliases(name, code):
    assert canonical_parameter(name) == code


def test_every_hj212_code_of_domain_maps():
    hj = {
        "w01001": "pH",
        "w01009": "DO",
        "w01019": "CODMn",
        "w01018": "COD",
        "w01017": "BOD5",
        "w21003": "NH3_N",
        "w21011": "TP",
        "w21001": "TN",
        "w20138": "Cu",
        "w20139": "Zn",
        "w21017": "F",
        "w20140": "Se",
        "w20141": "As",
        "w20142": "Hg",
        "w20143": "Cd",
        "w20117": "Cr6",
        "w20144": "Pb",
        "w21016": "CN",
        "w23002": "phenol",
        "w22001": "petroleum",
        "w19002": "LAS",
        "w21019": "sulfide",
        "w02003": "fecal_coliform",
    }
    assert {k: canonical_parameter(k) for k in hj} == hj


def test_unknown_alias():
    assert canonical_parameter("unobtainium") is None


@pytest.mark.parametrize(
    ("unit", "param", "factor"),
    [
        ("mg/L", "TP", 1.0),
        ("", "TP", 1.0),
        ("µg/L", "Hg", 0.001),
        ("μg/L", "Hg", 0.001),  # Greek mu
        ("ug/l", "Pb", 0.001),
        ("MPN/100mL", "fecal_coliform", 10.0),
        ("个/L", "fecal_coliform", 1.0),
        ("µg/L", "Chla", 1.0),
        ("mg/m3", "Chla", 1.0),
        ("cm", "SD", 0.01),
        ("°C", "temperature", 1.0),
        ("无量纲", "pH", 1.0),
    ],
)
def test_unit_factor(unit, param, factor):
    assert unit_factor(unit, param) == pytest.approx(factor, rel=1e-12)


@pytest.mark.parametrize(
    ("unit", "param"), [("m", "TP"), ("kg", "TP"), ("mg/L", "fecal_coliform"), ("mg/L", "SD")]
)
def test_unit_factor_unknown(unit, param):
    assert unit_factor(unit, param) is None


def test_class_table_labels():
    t = class_table()
    assert list(t.loc[1:6, "label"]) == ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"]
    assert list(t.loc[1:6, "status"]) == ["优", "优", "良好", "轻度污染", "中度污染", "重度污染"]


def test_exclusive_bounds_generic_kernel(tmp_path):
    """A standard with exclusive bounds (< limit) uses the generic kernel; numba and numpy agree."""
    import importlib

    import numpy as np

    from basin.waterquality import classify

    mod = importlib.import_module("basin.waterquality.classify")
    rows = [f"CODMn,mg/L,{k},,{v},,false,upper,all" for k, v in enumerate((1, 2, 3, 4, 5), start=1)]
    rows += [f"DO,mg/L,{k},{v},,false,,lower,all" for k, v in enumerate((7, 6, 5, 4, 3), start=1)]
    reg = _write_std(tmp_path, rows, name="EXCL")
    std = load_standard("EXCL", registry=reg)
    assert classify([1, 0.999, 5, 4.999], "CODMn", standard=std).tolist() == [2, 1, 6, 5]
    assert classify([7, 7.001, 3, 3.001], "DO", standard=std).tolist() == [2, 1, 6, 5]
    x = np.random.default_rng(3).choice([0.5, 1, 2, 3, 4, 5, 6, 7, 8, np.nan], 50_000)
    for p in ("CODMn", "DO"):
        big = classify(x, p, standard=std)
        assert np.array_equal(big, mod._classify_numpy(x, std.get_limits(p)))
