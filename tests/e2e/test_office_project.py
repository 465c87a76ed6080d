"""Issue 10's acceptance test: an office's own files, `basin init`, `basin run`, outputs officers use as they are.

The office folder is built from the demo geometry (tests/e2e/office.py); then the demo data is moved out of
reach, and `basin init` + `basin run` must work on the office's files alone.
"""

from __future__ import annotations

import json
import re

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from basin import datasets
from basin._errors import DataError
from basin.cli import main
from tests.e2e.office import build_office
from tests.maps.test_web import _layer_data

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def office_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("office") / "我的数据"
    paths = build_office(folder)
    mp = pytest.MonkeyPatch()

    def gone(*a, **k):
        raise DataError("demo dataset not found (moved out of reach by the test)")

    def refuse(*a, **k):
        raise AssertionError("a demo file was read")

    mp.setattr(datasets, "data_dir", gone)
    mp.setattr(datasets, "get_path", refuse)
    try:
        runner = CliRunner()
        init = runner.invoke(main, ["init", str(folder)])
        project = folder / "basin.yml"
        text = project.read_text(encoding="utf-8")
        run = runner.invoke(main, ["run", str(project)])
    finally:
        mp.undo()
    return {"folder": folder, "paths": paths, "init": init, "project_text": text, "run": run, "out": folder / "out"}


def test_init_guesses_every_file_and_leaves_nothing_to_fill(office_run):
    init = office_run["init"]
    assert init.exit_code == 0, init.output
    for name, kind in (("河流水系.shp", "rivers"), ("行政区划.gpkg", "admin"), ("湖库.geojson", "lakes"),
                       ("涉水企业清单.xlsx", "facilities"), ("监测断面.xlsx", "stations"), ("水质月报.xlsx", "wq"),
                       ("人口密度.tif", "raster:population"), ("GDP密度.tif", "raster:gdp")):
        assert f"ok {name}: {kind}" in init.output
    text = office_run["project_text"]
    assert "TODO" not in text.split("\n", 3)[3]  # nothing left to fill in beyond the header's explanation
    assert "encoding: gbk" in text and "ids: generate" in text and "header_row: 2" in text


def test_run_succeeds_on_the_offices_files_alone(office_run):
    run = office_run["run"]
    assert run.exit_code == 0, run.output
    for step in ("riparian", "audit", "wq", "units", "management", "crossborder", "maps"):
        assert f"[{step}] done" in run.output
    summary = json.loads((office_run["out"] / "summary.json").read_text(encoding="utf-8"))
    assert {s["origin"] for s in summary["sources"].values()} == {"user"}
    assert summary["sources"]["rivers"]["path"].endswith("河流水系.shp")
    assert "facility_id generated in file order, F0001" in " ".join(summary["notes"])


def test_workbook(office_run):
    wb = openpyxl.load_workbook(office_run["out"] / "results.xlsx")
    for sheet in ("选址违规", "断面水质评价", "跨界断面考核", "评价单元"):
        assert sheet in wb.sheetnames
    ws = wb["选址违规"]
    header = [c.value for c in ws[1]]
    assert "距离(m)" in header and "企业名称" in header
    assert ws.freeze_panes == "A2"
    values = {str(c.value) for row in ws.iter_rows(min_row=2) for c in row}
    assert {"禁止新建", "依法淘汰"} & values and ("拟建" in values or "现有" in values)
    assert {"长江", "嘉陵江"} & values  # river names decoded from the GBK shapefile
    sec = wb["断面水质评价"]
    classes = {str(c.value) for row in sec.iter_rows(min_row=2) for c in row}
    assert {"Ⅱ", "Ⅲ"} & classes or {"Ⅱ类", "Ⅲ类"} & classes


def test_word_report(office_run):
    d = docx.Document(str(office_run["out"] / "report.docx"))
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert "一、摘要" in headings and "四、数据来源" in headings
    cells = " ".join(c.text for t in d.tables for row in t.rows for c in row.cells)
    assert "河流水系.shp" in cells
    assert re.search(r"\b[0-9a-f]{64}\b", cells) or re.search(r"[0-9a-f]{12}", cells)
    assert "达标" in cells or "未达标" in cells
    assert d.sections[0].page_width.mm == pytest.approx(210, abs=1)  # A4


def test_html_reports_are_chinese_and_name_the_real_sources(office_run):
    out = office_run["out"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "成果文件" in index and "河流水系.shp" in index
    from basin.reports.html import visible_text

    shown = visible_text(index)  # the text, not the embedded font's base64 (which may spell "demo")
    assert "SYNTHETIC" not in shown and "demo" not in shown.lower().replace("demo_index", "")
    report = (out / "crossborder" / "report.html").read_text(encoding="utf-8")
    assert "跨界断面" in report
    for page in (index, report):
        assert "@font-face" in page  # a CJK subset embedded: renders without system fonts
        assert not re.search(r"(src|href)=\"https?://", page)


def test_maps_show_the_runs_results(office_run):
    page = (office_run["out"] / "maps" / "map.html").read_text(encoding="utf-8")
    sections = _layer_data(page, "sections")
    assert sections["features"]
    colours = {f["properties"]["_s"].get("fillColor") for f in sections["features"]}
    assert colours - {"#9e9e9e"}  # coloured by their audit, not all "not assessed"
    violations = _layer_data(page, "violations")
    assert violations["features"]
    popup = " ".join(f["properties"]["_p"] for f in violations["features"])
    assert "禁止新建" in popup or "依法淘汰" in popup
    assert "basinSetPeriod" in page and "长江-1" in page  # the office's own stations (keyed by 断面名称) in the slider
    assert "2024-12" in page
    assert "河流水系.shp" in page  # the footer names the office's file
