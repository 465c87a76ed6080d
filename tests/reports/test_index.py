import re

import pytest

from basin._errors import BasinError, DataError
from basin.maps import fonts
from basin.reports.html import check_offline, embedded_font, html_page, visible_text
from basin.reports.index import write_index

from .conftest import XSS


def _links(page: str) -> set[str]:
    return set(re.findall(r'(?:href|src)="([^"]+)"', page))


def test_index_links_only_this_runs_files(run):
    page = write_index(run, run.outdir / "index.html").read_text(encoding="utf-8")
    assert _links(page) == {"maps/overview.png", "audit/violations.csv"}
    assert "stale.csv" not in page  # in the folder, not written by this run


def test_index_chinese_summary_sources_skipped(run):
    page = write_index(run, run.outdir / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page
    assert "示例县 2024 成果汇总" in page
    assert "选址审查：2 处违规（禁止新建 1，依法淘汰 1）。" in page
    assert "岸线分区：A区 12 km²" in page
    assert "劣Ⅴ类 1" in page  # 2024: S1 Ⅱ类, S2 劣Ⅴ类
    assert "ab" * 32 in page
    assert "企业清单.xlsx" in page
    assert "示例数据" in page  # the demo admin layer is marked as demo
    assert "evaluation units" in page
    assert "add `rasters: population:`" in page
    assert "3 features outside the region" in page


def test_index_escapes_everything_from_the_data(run):
    page = write_index(run, run.outdir / "index.html").read_text(encoding="utf-8")
    assert XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "population raster <b>" not in page


def test_index_in_english(run):
    page = write_index(run, run.outdir / "index.html", lang="en").read_text(encoding="utf-8")
    assert '<html lang="en">' in page
    assert (
        "Siting audit: 2 rule violation(s) (prohibited (no new construction) 1, phase-out candidate 1)."
        in page
    )


def test_index_embeds_a_font_covering_its_text_and_nothing_external(run):
    page = write_index(run, run.outdir / "index.html").read_text(encoding="utf-8")
    check_offline(page)
    glyphs = fonts.font_glyphs(embedded_font(page))
    text = visible_text(page)
    have = fonts.cjk_charset()
    missing = {ch for ch in text if not ch.isspace() and ord(ch) not in glyphs and ord(ch) in have}
    assert missing == set()
    assert {ord(ch) for ch in "成果汇总禁止新建依法淘汰劣Ⅴ类"} <= glyphs
    assert len(glyphs) < 1500  # a subset, not the 65,535-glyph face
    assert "@font-face" in page
    assert "data:font/woff2;base64," in page


def test_pages_with_external_references_are_refused():
    with pytest.raises(BasinError, match="external resource"):
        check_offline('<img src="https://example.com/a.png">')
    with pytest.raises(BasinError, match="external resource"):
        check_offline("<style>@import url(//cdn.example.com/x.css);</style>")
    with pytest.raises(BasinError, match="external resource"):
        html_page("t", '<a href="http://x.org">x</a>')
    check_offline('<a href="maps/map.html">ok</a> https://text.example.org is just text')


def test_index_path_must_be_html(run):
    with pytest.raises(DataError, match="expected an .html file"):
        write_index(run, run.outdir / "index.txt")


def test_index_names_the_files_in_the_page_language(run):
    """A step writer's file label (`violations (CSV)`) reads 选址违规（CSV 表格） on the Chinese page."""
    zh = write_index(run, run.outdir / "index.html").read_text(encoding="utf-8")
    assert '<li>选址违规（CSV 表格）: <a href="audit/violations.csv">' in zh
    en = write_index(run, run.outdir / "index.html", lang="en").read_text(encoding="utf-8")
    assert '<li>Siting violations (CSV): <a href="audit/violations.csv">' in en


def test_file_label_patterns_and_fallback():
    from basin.reports.labels import file_label

    assert file_label("zones/zones.gpkg") == "岸线分区（GeoPackage）"
    assert file_label("zones/zones.gpkg", "en") == "Riparian zones (GeoPackage)"
    assert file_label("crossborder/chongqing_target_trend_ledger.csv") == "补偿台账 chongqing_target_trend（CSV 表格）"
    assert file_label("crossborder/x_ledger_provenance.json", "en") == "Compensation ledger provenance x (JSON)"
    assert file_label("crossborder/ledger.csv") == "补偿台账（CSV 表格）"
    assert file_label("elsewhere/own.csv", fallback="own (CSV)") == "own (CSV)"
    assert file_label("elsewhere/own.csv") == "elsewhere/own.csv"
