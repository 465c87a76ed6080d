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


def _sheet_data(path, sheet=1):
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        xml = z.read(f"xl/worksheets/sheet{sheet}.xml").decode()
    return re.search(r"<sheetData>.*</sheetData>", xml).group(0)


def _every_kind():
    """One column of each kind the writer meets; the first row full (formats get their ids in column order)."""
    import numpy as np

    return pd.DataFrame(
        {
            "county_id": pd.array(["510100", "500102", None, "0123"], dtype="string"),
            "name": ["长江 & <嘉陵江>", " 前后空格 ", "控制\x01字符 _x0041_", ""],
            "distance_m": [600.4, np.inf, np.nan, -np.inf],
            "area_km2": [0.1 + 0.2, 1e-20, 123456789.123456789, -0.0],
            "n_samples": [12, 0, -3, 2**40],
            "first_year": pd.array([2017, None, 2019, 2020], dtype="Int64"),
            "worst_time": pd.to_datetime(
                ["2017-03-01", None, "2018-12-31 06:30", "2019-01-01"], format="ISO8601"
            ),
            "rate": [0.125, 1.0, np.nan, 0.0],
            "station_id": [1.0, 2.0, np.nan, 4.5],  # text (ids) though stored as floats
            "notes": pd.Series([1, 1.0, True, None], dtype=object),  # 1, 1.0 and True stay apart
            "flag": pd.array([True, False, None, True], dtype="boolean"),
        }
    )


def test_sheet_rows_are_the_xml_xlsxwriter_writes(tmp_path):
    """The rows put together per column are byte for byte what XlsxWriter's own write_* calls write."""
    import xlsxwriter

    from basin.reports.labels import localize
    from basin.reports.workbook import _cell, number_format

    df = _every_kind()
    path = write_workbook({"t": df}, tmp_path / "fast.xlsx")
    loc = localize(df, "zh", short=True)
    fields = loc.attrs["fields"]
    ref = tmp_path / "ref.xlsx"
    wb = xlsxwriter.Workbook(str(ref), {"constant_memory": True})
    ws = wb.add_worksheet("t")
    head = wb.add_format({"bold": True, "pattern": 1, "bg_color": "#DDEBF7", "valign": "vcenter"})
    for j, h in enumerate(loc.columns):
        ws.write_string(0, j, str(h), head)
    styles: dict = {}
    columns = []
    for f, h in zip(fields, loc.columns, strict=True):
        fmt = number_format(f, df[f])
        text = fmt == "@" or not pd.api.types.is_numeric_dtype(loc[h])
        style = None if fmt is None else styles.setdefault(fmt, wb.add_format({"num_format": fmt}))
        columns.append(([_cell(v, text) for v in loc[h]], style))
    for i in range(len(loc)):  # constant_memory: row by row
        for j, (values, style) in enumerate(columns):
            value = values[i]
            if isinstance(value, str) and value:  # an empty text is no cell (as openpyxl wrote it)
                ws.write_string(i + 1, j, value, style)
            elif isinstance(value, bool):
                ws.write_boolean(i + 1, j, value, style)
            elif value is not None and value != "":
                ws.write_number(i + 1, j, value, style)
    wb.close()
    assert _sheet_data(path) == _sheet_data(ref)


def test_every_kind_reads_back(tmp_path):
    ws = load_workbook(write_workbook({"t": _every_kind()}, tmp_path / "r.xlsx"))["t"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    heads = [c.value for c in ws[1]]
    col = {h: [r[j] for r in rows] for j, h in enumerate(heads)}
    assert col["县级行政区代码"] == ["510100", "500102", None, "0123"]
    assert col["距离(m)"] == [pytest.approx(600.4), "∞", None, "-∞"]
    assert ws.cell(3, heads.index("距离(m)") + 1).number_format == "#,##0"  # ∞ keeps the column's format
    assert col["名称"][:2] == ["长江 & <嘉陵江>", " 前后空格 "]
    assert col["名称"][3] is None  # an empty text: an empty cell
    # control characters in Excel's escape (Excel shows them decoded; openpyxl reads the escape as it is)
    assert col["名称"][2] == "控制_x0001_字符 _x005F_x0041_"
    assert col["notes"] == ["1", "1", "True", None]
    assert col["最大值时间"][2] == "2018-12-31 06:30:00"
    assert col["起始年份"] == [2017, None, 2019, 2020]
    assert col["监测断面编号"] == ["1", "2", None, "4.5"]
    assert col["超标率"][:2] == [0.125, 1]


def test_long_table_continues_on_further_sheets(tmp_path, monkeypatch):
    import basin.reports.workbook as wbmod

    monkeypatch.setattr(wbmod, "MAX_ROWS", 3)
    monkeypatch.setattr(wbmod, "BLOCK", 2)
    df = pd.DataFrame(
        {"county_id": [f"{i:06d}" for i in range(8)], "distance_m": [float(i) for i in range(8)]}
    )
    wb = load_workbook(write_workbook({"violations": df, "rules": df.head(2)}, tmp_path / "r.xlsx"))
    assert wb.sheetnames == ["选址违规", "选址违规 (2)", "选址违规 (3)", "岸线规则"]
    got = []
    for name in wb.sheetnames[:3]:
        ws = wb[name]
        assert [c.value for c in ws[1]] == ["县级行政区代码", "距离(m)"]
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:B{ws.max_row}"
        got += [r for r in ws.iter_rows(min_row=2, values_only=True)]
    assert [ws.max_row for ws in wb.worksheets] == [4, 4, 3, 3]
    assert got == [(f"{i:06d}", i) for i in range(8)]


def test_workbook_bytes_are_reproducible(tmp_path, monkeypatch):
    import time
    import zipfile

    a = write_workbook({"t": _every_kind()}, tmp_path / "a.xlsx")
    time.sleep(1.05)
    b = write_workbook({"t": _every_kind()}, tmp_path / "b.xlsx")
    assert a.read_bytes() == b.read_bytes()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    with zipfile.ZipFile(write_workbook({"t": _every_kind()}, tmp_path / "c.xlsx")) as z:
        core = z.read("docProps/core.xml").decode()
    assert '<dcterms:created xsi:type="dcterms:W3CDTF">2023-11-14T22:13:20Z</dcterms:created>' in core
    assert "<dc:creator>basin</dc:creator>" in core


def test_text_over_excel_limit_is_cut_and_marked(tmp_path):
    from openpyxl import load_workbook

    from basin.reports.workbook import MAX_TEXT, write_workbook

    long = "长" * (MAX_TEXT + 10)
    path = write_workbook({"t": pd.DataFrame({"note": [long, "short"]})}, tmp_path / "r.xlsx")
    ws = load_workbook(path).worksheets[0]
    cut = ws.cell(2, 1).value
    assert len(cut) == MAX_TEXT and cut.endswith("…") and cut[:-1] == long[: MAX_TEXT - 1]
    assert ws.cell(3, 1).value == "short"
