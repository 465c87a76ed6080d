import pandas as pd
import pytest
from openpyxl import load_workbook

from basin._errors import DataError
from basin.reports.workbook import display_width, sheet_name, write_workbook


def test_workbook_sheets_headers_formats(run, tmp_path):
    path = write_workbook(run.tables(), tmp_path / "results.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames[:3] == ["岸线分区面积", "岸线规则", "选址违规"]
    assert "补偿台账 chongqing_target_trend" in wb.sheetnames
    ws = wb["选址违规"]
    heads = [c.value for c in ws[1]]
    assert heads[:9] == [
        "企业编号",
        "企业名称",
        "规则编号",
        "岸线分区",
        "类别",
        "状态",
        "处理要求",
        "距离(m)",
        "限值距离(m)",
    ]
    assert ws.freeze_panes == "A2"
    row = {h: c for h, c in zip(heads, ws[2], strict=True)}
    assert row["处理要求"].value == "禁止新建"
    assert ws.cell(3, heads.index("处理要求") + 1).value == "依法淘汰"
    assert row["类别"].value == "污染设施"
    assert row["状态"].value == "拟建"
    assert row["距离(m)"].value == pytest.approx(600.4)
    assert row["距离(m)"].number_format == "#,##0"
    assert row["县级行政区代码"].value == "510100"  # a code stays text
    ws = wb["断面水质评价"]
    heads = [c.value for c in ws[1]]
    assert "水质类别" in heads
    assert heads.count("水质类别") == 1
    cls = [ws.cell(r, heads.index("水质类别") + 1).value for r in range(2, 6)]
    assert cls == ["Ⅲ", "Ⅳ", "Ⅱ", "劣Ⅴ"]
    share = ws.cell(2, heads.index("优良（Ⅰ～Ⅲ类）比例") + 1)
    assert share.value == 0.5
    assert share.number_format == "0.0%"
    assert ws.cell(2, heads.index("达标情况") + 1).value == "达标"
    assert ws.column_dimensions["A"].width >= display_width("监测断面编号")
    ws = wb["跨界断面考核"]
    heads = [c.value for c in ws[1]]
    assert ws.cell(3, heads.index("达标率") + 1).number_format == "0.0%"
    assert ws.cell(3, heads.index("责任方") + 1).value == "上游"


def test_workbook_in_english(run, tmp_path):
    wb = load_workbook(write_workbook(run.tables(), tmp_path / "r.xlsx", lang="en"))
    assert "Siting violations" in wb.sheetnames
    ws = wb["Siting violations"]
    assert [c.value for c in ws[1]][7] == "Distance (m)"
    assert ws["G3"].value == "phase-out candidate"


def test_sheet_names_are_valid_and_unique():
    taken: set[str] = set()
    assert sheet_name("a/b:c", taken) == "a_b_c"
    long = "补" * 40
    first = sheet_name(long, taken)
    second = sheet_name(long, taken)
    assert len(first) == 31
    assert len(second) <= 31
    assert first != second


def test_workbook_errors(tmp_path):
    with pytest.raises(DataError, match="expected an .xlsx file"):
        write_workbook({"t": pd.DataFrame({"a": [1]})}, tmp_path / "r.xls")
    with pytest.raises(DataError, match="no result table"):
        write_workbook({}, tmp_path / "r.xlsx")
