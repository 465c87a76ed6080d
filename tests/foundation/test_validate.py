"""basin._validate: the one validation mechanism of every loader."""

import tracemalloc

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from basin import _validate as v
from basin._errors import CRSError, DataError, SchemaError
from basin.crossborder.schemes import load_scheme
from basin.units.config import load_config
from basin.units.config import load_rules as load_mgmt_rules
from basin.zoning.rules import load_rules

BOMB = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_cut_never_expands_a_value():
    nested: list = ["x" * 1000]
    for _ in range(30):
        nested = [nested] * 9
    out = v.cut(nested)
    assert len(out) <= 60
    assert v.cut("abc") == "'abc'"
    assert ("…" in v.cut("y" * 500) or "..." in v.cut("y" * 500)) and len(v.cut("y" * 500)) <= 60


@pytest.mark.parametrize("loader", [load_config, load_rules, load_mgmt_rules, load_scheme])
def test_yaml_bomb_is_refused_quickly_with_small_memory(tmp_path, loader):
    f = tmp_path / "bomb.yaml"
    f.write_text(BOMB, encoding="utf-8")
    tracemalloc.start()
    try:
        with pytest.raises(SchemaError, match=r"bomb\.yaml: not valid YAML at line 2, column 8: YAML aliases \(\*a\) are not accepted"):
            loader(f)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20


@pytest.mark.parametrize("loader", [load_config, load_rules, load_mgmt_rules, load_scheme])
def test_yaml_syntax_error_is_one_line_with_line_and_column(tmp_path, loader):
    f = tmp_path / "bad.yaml"
    f.write_text("a: 1\nb: [1, 2\nc: 3\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"bad\.yaml: not valid YAML at line 3, column 2: ") as exc:
        loader(f)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("loader", [load_config, load_rules, load_mgmt_rules, load_scheme])
def test_gbk_yaml_names_the_encoding(tmp_path, loader):
    f = tmp_path / "gbk.yaml"
    f.write_bytes("名称: 长江\n".encode("gbk"))
    with pytest.raises(DataError, match=r"gbk\.yaml: not UTF-8 text \(byte 0\); it looks like GBK/GB18030 text; save it as UTF-8$"):
        loader(f)


@pytest.mark.parametrize("loader", [load_config, load_rules, load_mgmt_rules, load_scheme])
def test_folder_and_missing_file(tmp_path, loader):
    with pytest.raises(DataError, match=r"is a folder; expected a file"):
        loader(tmp_path)
    with pytest.raises(DataError, match=r"nope\.yaml does not exist"):
        loader(tmp_path / "nope.yaml")


def test_size_limit(tmp_path):
    f = tmp_path / "big.yaml"
    f.write_text("a: " + "x" * (v.MAX_YAML_BYTES + 10), encoding="utf-8")
    with pytest.raises(DataError, match=r"big\.yaml is [\d,]+ bytes, more than the 2,000,000 allowed"):
        load_config(f)


def test_read_text_with_an_encoding_option(tmp_path):
    f = tmp_path / "t.csv"
    f.write_bytes("站点,值\n".encode("gbk"))
    with pytest.raises(DataError, match=r"t\.csv: not UTF-8 text .*GBK/GB18030 text; save it as UTF-8 or set --encoding \(e\.g\. gbk\)"):
        v.read_text(f, what="flows file", option="--encoding")
    assert v.read_text(f, encoding="gbk").startswith("站点")
    with pytest.raises(SchemaError, match="unknown encoding 'klingon'; use e.g. utf-8, gbk or gb18030"):
        v.read_text(f, encoding="klingon")


def test_deep_nesting_is_a_schema_error(tmp_path):
    f = tmp_path / "deep.yaml"
    f.write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    with pytest.raises(SchemaError, match="deep.yaml"):
        load_config(f)


def test_check_keys_did_you_mean():
    with pytest.raises(SchemaError, match=r"x: unknown field\(s\) \['treshold'\] \(did you mean 'threshold'\?\); allowed"):
        v.check_keys({"treshold": 1}, "x", optional=("threshold", "indices"), noun="field")
    with pytest.raises(SchemaError, match=r"x: missing key\(s\) \['a'\]; needed: \['a', 'b'\]"):
        v.check_keys({"b": 1}, "x", required=("a", "b"))
    with pytest.raises(SchemaError, match=r"missing key\(s\) \['a'\]"):
        v.check_keys({"a": None, "b": 1}, "x", required=("a", "b"), none_is_missing=True)
    v.check_keys({"a": 1}, "x", required=("a",), optional=("b",))


def test_typed_values():
    assert v.number(3, "w", minimum=0) == 3.0
    for bad, match in [
        (True, "expected a number, got True"),
        ("1", "expected a number, got '1'"),
        (float("nan"), "expected a finite number"),
        (float("inf"), "expected a finite number"),
        (10**400, "expected a finite number"),
        (-1, "must be >= 0, got -1"),
    ]:
        with pytest.raises(SchemaError, match=match):
            v.number(bad, "w", minimum=0)
    with pytest.raises(SchemaError, match="expected a whole number"):
        v.number(1.5, "w", integer=True)
    assert v.choice(1, (1, -1), "w") == 1
    with pytest.raises(SchemaError, match=r"must be one of \[1, -1\], got True"):
        v.choice(True, (1, -1), "w")
    with pytest.raises(SchemaError, match=r"got 'yaer' \(did you mean 'year'\?\)"):
        v.choice("yaer", ("month", "year"), "w")
    with pytest.raises(SchemaError, match=r"got \[1\]"):
        v.choice([1], ("a",), "w")
    assert v.str_list(None, "w") == ()
    assert v.str_list("a", "w", allow_single=True) == ("a",)
    with pytest.raises(SchemaError, match="must be a list of strings"):
        v.str_list("a", "w")
    with pytest.raises(SchemaError, match="non-empty text"):
        v.text(" ", "w")
    assert v.text(1, "w", numbers=True) == "1"
    with pytest.raises(SchemaError, match=r"key 1 is not text"):
        v.mapping({1: 2}, "w")


def test_require_columns_and_projected():
    df = pd.DataFrame({"facility_id": [1], "nmae": ["a"]})
    with pytest.raises(SchemaError, match=r"facilities: missing column\(s\) \['name'\] \(did you mean 'nmae'\?\); found \['facility_id', 'nmae'\]"):
        v.require_columns(df, ["facility_id", "name"], "facilities")
    v.require_columns(df, ["facility_id"], "facilities")
    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=4326)
    assert v.is_metric_crs(32648) and not v.is_metric_crs(4326) and not v.is_metric_crs("nonsense")
    with pytest.raises(CRSError, match=r"units is in 'WGS 84' \(not metres\)"):
        v.require_projected(gdf.crs, "units")
    with pytest.raises(CRSError, match="units has no CRS"):
        v.require_projected(None, "units")
    with pytest.raises(CRSError, match="units: unknown CRS 'EPSG:99999999'"):
        v.require_projected("EPSG:99999999", "units")
    assert v.require_projected("EPSG:32648").to_epsg() == 32648


def test_units_config_short_forms_and_wrong_types(tmp_path):
    """REVIEW.md item 1: threshold as a string crashed with AttributeError, robustness: x too."""
    assert load_config({"threshold": "median"})["threshold"]["method"] == "median"
    with pytest.raises(SchemaError, match=r"threshold\.method must be one of"):
        load_config({"threshold": "mean"})
    with pytest.raises(SchemaError, match=r"config: threshold: expected a mapping with 'method'.*got list"):
        load_config({"threshold": [1]})
    with pytest.raises(SchemaError, match=r"config: robustness: expected a mapping with 'steps', got str 'x'"):
        load_config({"robustness": "x"})
    with pytest.raises(SchemaError, match=r"robustness: unknown key\(s\) \['step'\] \(did you mean 'steps'\?\)"):
        load_config({"robustness": {"step": [0.1]}})
    with pytest.raises(SchemaError, match=r"unknown key\(s\) \['treshold'\] \(did you mean 'threshold'\?\)"):
        load_config({"treshold": {"method": "median"}})
    with pytest.raises(SchemaError, match=r"sensitivity: unknown ingredient\(s\) \['lakes'\]"):
        load_config({"sensitivity": {"lakes": 1}})
    with pytest.raises(SchemaError, match=r"config: sensitivity: expected a mapping"):
        load_config({"sensitivity": 3})
    with pytest.raises(SchemaError, match=r"town_pressure\.optional: must be true or false"):
        load_config({"indices": {"pressure": {"town_pressure": {"weight": 1, "optional": "yes"}}}})
    f = tmp_path / "c.yaml"
    f.write_text("- 1\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"config file .*c\.yaml: expected a mapping at the top level, got list"):
        load_config(f)
