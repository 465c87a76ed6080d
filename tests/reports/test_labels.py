import pandas as pd
import pytest
import yaml

from basin._errors import SchemaError
from basin.reports.labels import header, label, localize, parse_labels, table_title


@pytest.mark.parametrize(
    ("field", "value", "lang", "expected"),
    [
        ("action", "phase_out_candidate", "zh", "依法淘汰"),
        ("action", "prohibited", "zh", "禁止新建"),
        ("action", "prohibited", "en", "prohibited (no new construction)"),
        ("category", "polluting_facility", "zh", "污染设施"),
        ("category", "industrial_park", "zh", "工业园区"),
        ("status", "proposed", "zh", "拟建"),
        ("status", "existing", "zh", "现有"),
        ("class", 3, "zh", "Ⅲ类"),
        ("class", 6.0, "zh", "劣Ⅴ类"),
        ("class", 6, "en", "Worse than V"),
        ("compliant", True, "zh", "达标"),
        ("compliant", "False", "zh", "未达标"),
        ("mgmt_zone", "priority", "zh", "优先保护区"),
        ("mgmt_zone", "key", "zh", "重点管控区"),
        ("zone", "A", "en", "Zone A (1 km)"),
        ("unit_class", "HPLC", "zh", "高压低容"),
        ("wq_class", 1, "zh", "Ⅰ类"),
        ("action", "something new", "zh", "something new"),  # unknown values pass through as text
        ("action", None, "zh", ""),
    ],
)
def test_label(field, value, lang, expected):
    assert label(field, value, lang) == expected


def test_short_forms_and_headers_with_units():
    assert label("class", 6, short=True) == "劣Ⅴ"
    assert label("class", 3, short=True) == "Ⅲ"
    assert header("distance_m") == "距离(m)"
    assert header("area_km2") == "面积(km²)"
    assert header("distance_m", "en") == "Distance (m)"
    assert header("not_a_field") == "not_a_field"


def test_localize_headers_values_and_drops():
    df = pd.DataFrame(
        {
            "class": [3, 6],
            "class_label": ["Ⅲ", "劣Ⅴ"],  # doubles class: dropped
            "compliant": [True, pd.NA],
            "label_zh": ["甲", "乙"],
            "label_en": ["a", "b"],  # English-only column: dropped in Chinese
            "distance_m": [1.5, 2.5],
            "mystery": ["x", "y"],
        }
    )
    zh = localize(df)
    assert list(zh.columns) == ["水质类别", "达标情况", "分区名称", "距离(m)", "mystery"]
    assert zh["水质类别"].tolist() == ["Ⅲ类", "劣Ⅴ类"]
    assert zh["达标情况"].tolist() == ["达标", ""]
    assert zh["距离(m)"].tolist() == [1.5, 2.5]  # numbers stay numbers
    assert zh.attrs["fields"] == ["class", "compliant", "label_zh", "distance_m", "mystery"]
    en = localize(df, "en")
    assert "Label" in en.columns
    assert "分区名称" not in en.columns
    assert en["Class"].tolist() == ["Class III", "Worse than V"]


def test_localize_keeps_headers_unique():
    df = pd.DataFrame({"status": ["proposed"], "trophic_state": ["中营养"], "class_label": ["Ⅲ"]})
    out = localize(df)
    assert len(set(out.columns)) == 3


def test_table_titles_with_prefixes():
    assert table_title("violations") == "选址违规"
    assert table_title("xb_ledger_summary_demo") == "补偿汇总 demo"
    assert table_title("xb_ledger_demo", "en") == "Compensation ledger demo"
    assert table_title("unknown_table") == "unknown_table"


def test_unknown_language_is_refused():
    with pytest.raises(SchemaError, match="unknown language 'fr'"):
        label("class", 3, "fr")


def test_bad_label_tables_are_refused():
    base = {"values": {}, "fields": {}, "tables": {}, "source_kinds": {}}
    with pytest.raises(SchemaError, match="missing section"):
        parse_labels({"values": {}})
    with pytest.raises(SchemaError, match="unknown value set 'nope'"):
        parse_labels({**base, "fields": {"x": {"zh": "甲", "en": "a", "values": "nope"}}})
    with pytest.raises(SchemaError, match="unknown format 'money'"):
        parse_labels({**base, "fields": {"x": {"zh": "甲", "en": "a", "format": "money"}}})
    with pytest.raises(SchemaError, match=r"values.s.k: expected a mapping with zh and en"):
        parse_labels({**base, "values": {"s": {"k": {"zh": "甲"}}}})
    # the values of a flow mapping with a comma split into keys: caught, not silently half-read
    raw = yaml.safe_load("values: {s: {k: {zh: 甲, en: a, b}}}\nfields: {}\ntables: {}\nsource_kinds: {}")
    with pytest.raises(SchemaError, match="unknown keys"):
        parse_labels(raw)


def test_pattern_fields_and_the_tables_own_titles():
    assert header("cwqi_TP") == "CWQI 分指数 TP"
    assert label("TN_class", 4) == "Ⅳ类"
    assert label("Fe_compliant", False, "en") == "misses target"
    df = pd.DataFrame({"TN_class": [4], "TN_class_label": ["Ⅳ"], "upstream_class": [2]})
    assert list(localize(df).columns) == ["TN 类别", "上游水质类别"]  # the label column doubles TN_class
    titled = pd.DataFrame({"a": [1]})
    titled.attrs.update(title_zh="水质指数 CWQI 及排名", title_en="Water-quality index CWQI and ranking")
    assert table_title("wq_cwqi", "zh", titled) == "水质指数 CWQI 及排名"
    assert table_title("wq_cwqi", "en", titled) == "Water-quality index CWQI and ranking"
    assert table_title("wq_cwqi") == "水质 cwqi"


def test_bad_patterns_are_refused():
    base = {"values": {}, "fields": {}, "tables": {}, "source_kinds": {}}
    with pytest.raises(SchemaError, match=r"patterns\[0\]: match '\(' is not a regular expression"):
        parse_labels({**base, "patterns": [{"match": "(", "zh": "甲", "en": "a"}]})
    with pytest.raises(SchemaError, match=r"patterns\[0\]: expected a mapping with match, zh and en"):
        parse_labels({**base, "patterns": [{"zh": "甲"}]})
