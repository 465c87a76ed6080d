import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm

from basin._errors import DataError
from basin.reports.docx import write_docx

from .conftest import XSS


def _tables(doc):
    return [[[c.text for c in r.cells] for r in t.rows] for t in doc.tables]


def test_docx_headings_tables_chinese_values(run, tmp_path):
    doc = Document(str(write_docx(run, tmp_path / "report.docx")))
    heads = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert heads[0] == "示例县 2024 流域监测与分区成果报告"
    for h in (
        "一、摘要",
        "二、地图",
        "三、成果表",
        "四、数据来源",
        "五、未运行的内容与提示",
        "选址违规",
        "跨界断面考核",
    ):
        assert h in heads
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "选址审查：2 处违规（禁止新建 1，依法淘汰 1）。" in text
    tables = _tables(doc)
    viol = next(t for t in tables if t[0][0] == "企业编号")
    assert viol[0][:9] == [
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
    assert viol[1][3:9] == ["A区（1 km 禁建区）", "污染设施", "拟建", "禁止新建", "600", "1,000"]
    assert viol[2][6] == "依法淘汰"
    assert viol[2][1] == XSS  # Word holds text, not markup: the name as it is
    wq = next(t for t in tables if t[0][0] == "监测断面编号")
    col = {h: i for i, h in enumerate(wq[0])}
    assert [r[col["时段"]] for r in wq[1:]] == ["2024", "2024"]  # the latest period printed
    assert [r[col["水质类别"]] for r in wq[1:]] == ["Ⅱ类", "劣Ⅴ类"]
    assert [r[col["达标情况"]] for r in wq[1:]] == ["达标", "未达标"]
    xb = next(t for t in tables if t[0][0] == "跨界断面编号" and "责任方" in t[0])
    assert xb[1][xb[0].index("达标率")] == "25.0%"
    assert xb[1][xb[0].index("责任方")] == "上游"
    src = next(t for t in tables if t[0][-1] == "SHA-256")
    assert ["河流", "用户数据", "data/河流.shp", "", "2", "ab" * 32] in src
    assert any(r[1] == "示例数据" for r in src)
    assert len(doc.inline_shapes) == 1  # the run's PNG map


def test_docx_prints_on_a4_with_repeated_headers(run, tmp_path):
    doc = Document(str(write_docx(run, tmp_path / "report.docx")))
    s = doc.sections[0]
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)  # A4 portrait
    assert round(s.left_margin.mm) == 20
    for t in doc.tables:
        assert t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        width = sum(c.width for c in t.rows[0].cells)
        assert width <= s.page_width - s.left_margin - s.right_margin + Mm(1)
    assert "PAGE" in s.footer.paragraphs[0]._p.xml


def test_docx_in_english(run, tmp_path):
    doc = Document(str(write_docx(run, tmp_path / "report.docx", lang="en")))
    assert doc.paragraphs[0].text == "示例县 2024 Basin monitoring and zoning report"
    viol = next(t for t in _tables(doc) if t[0][0] == "Facility ID")
    assert viol[2][6] == "phase-out candidate"


def test_docx_path_must_be_docx(run, tmp_path):
    with pytest.raises(DataError, match="expected a .docx file"):
        write_docx(run, tmp_path / "report.doc")
