"""The maps drawn from a run's results: sections coloured by their audit, violations, zone A above rivers."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from matplotlib.colors import to_hex

from basin._errors import DataError, SchemaError
from basin.maps import fonts, offline_html, static_map, web_map
from basin.maps._style import theme
from basin.maps.static import Z_ON_TOP, Z_RIVERS, section_compliance

from .conftest import XSS

GREEN, RED, PURPLE = "#1a9850", "#d73027", "#7b3294"


@pytest.fixture
def bare_sections(sections):
    return sections.drop(columns="compliant")  # as the cross-border step makes them: no audit result in them


# ---------------------------------------------------------------------------------------- section colours
def test_section_compliance_latest_worst_and_period(bare_sections, audit):
    comp, shown = section_compliance(bare_sections, audit)
    assert comp.tolist() == [True, False]  # X2: 2024-02 misses (2024-01 met)
    assert shown == "2024-02"
    comp, shown = section_compliance(bare_sections, audit, period="2024-01")
    assert comp.tolist() == [True, True]
    assert shown == "2024-01"
    worst = audit.assign(compliant=[False, True, True])  # X1 missed once
    assert section_compliance(bare_sections, worst, period="worst")[0].tolist() == [False, True]


def test_a_period_without_data_does_not_hide_the_last_result(bare_sections, audit):
    gap = pd.concat(
        [audit, pd.DataFrame([{"section_id": "X2", "period": "2024-03", "compliant": pd.NA}])],
        ignore_index=True,
    )
    comp, _ = section_compliance(bare_sections, gap)
    assert comp.tolist() == [True, False]
    none = section_compliance(bare_sections.assign(section_id=["Y1", "Y2"]), audit)[0]
    assert none.isna().all()  # sections the audit does not know stay "not assessed"


def test_section_compliance_errors(bare_sections, audit):
    with pytest.raises(DataError, match="audit has no rows for period '1999'"):
        section_compliance(bare_sections, audit, period="1999")
    with pytest.raises(SchemaError, match="audit has no column 'compliant'"):
        section_compliance(bare_sections, audit.drop(columns="compliant"))


def _section_colours(ax):
    return [to_hex(c) for coll in ax.collections if coll.get_zorder() == 9 for c in coll.get_facecolors()]


def test_static_sections_are_coloured_by_the_audit(world, bare_sections, audit):
    layers = {**world, "sections": bare_sections}
    ax = static_map(**{k: layers[k] for k in ("admin", "rivers", "sections")}, audit=audit, theme="overview")
    assert _section_colours(ax) == [GREEN, RED]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("跨界断面 未达标" in t for t in texts)
    assert any("(2024-02)" in t for t in texts)  # the legend says which period is shown
    assert not any("未评价" in t for t in texts)
    # without the audit the same sections are "not assessed": the bug the audit fixes
    ax = static_map(**{k: layers[k] for k in ("admin", "rivers", "sections")}, theme="overview")
    assert _section_colours(ax) == [PURPLE, PURPLE]


def test_web_sections_are_coloured_by_the_audit(world, bare_sections, audit):
    page = offline_html(
        web_map(admin=world["admin"], sections=bare_sections, audit=audit, online_tiles=False)
    )
    data = _layer(page, "sections")
    assert [f["properties"]["_s"]["fillColor"] for f in data["features"]] == [GREEN, RED]


# ------------------------------------------------------------------------------------------- zone A on top
def test_static_zone_a_is_drawn_above_the_rivers(world):
    ax = static_map(admin=world["admin"], rivers=world["rivers"], zones=world["zones"], theme="zones")
    colour_a = theme("zones").lookup("A").colour
    river_z = {c.get_zorder() for c in ax.collections if c.get_zorder() == Z_RIVERS}
    top = [c for c in ax.collections if c.get_zorder() == Z_ON_TOP]
    assert river_z == {Z_RIVERS}
    assert Z_ON_TOP > Z_RIVERS
    assert len(top) == 1
    assert {to_hex(c) for c in top[0].get_facecolors()} == {colour_a}
    assert len(top[0].get_paths()) == 1  # zone A only, not B or C


def test_static_priority_protection_is_drawn_above_the_rivers(world):
    ax = static_map(rivers=world["rivers"], management=world["management"], theme="management")
    top = [c for c in ax.collections if c.get_zorder() == Z_ON_TOP]
    assert {to_hex(c) for c in top[0].get_facecolors()} == {theme("management").lookup("priority").colour}


def _layers(page: str) -> list[tuple[dict, str, str | None]]:
    out = []
    from basin.maps.web import expand_collection

    for m in re.finditer(r"var data = (\{.*?\}), lyr = null;", page, flags=re.S):
        tail = page[m.end() : m.end() + 1200]
        kind = re.search(r'basinBind\(f, l, "(\w+)"\)', tail).group(1)
        pane = re.search(r'pane: "(\w+)"', tail.split("data = null;")[0])
        out.append((expand_collection(json.loads(m.group(1))), kind, pane.group(1) if pane else None))
    return out


def _layer(page: str, kind: str) -> dict:
    return next(d for d, k, _ in _layers(page) if k == kind)


def test_web_zone_a_and_priority_are_in_a_pane_above_the_rivers(world):
    page = offline_html(web_map(**world, online_tiles=False))
    assert 'createPane("basinTop").style.zIndex = 440' in page
    assert 'createPane("basinPoints").style.zIndex = 450' in page  # points above zone A, clickable
    layers = _layers(page)
    top = [(d, k) for d, k, p in layers if p == "basinTop"]
    assert sorted(k for _, k in top) == ["management", "zones"]
    zone_top = next(d for d, k in top if k == "zones")
    assert [f["properties"]["_t"] for f in zone_top["features"]] == [theme("zones").lookup("A").label]
    rivers = next(p for _, k, p in layers if k == "rivers")
    assert rivers is None  # rivers stay in the overlay pane (z 400), under basinTop (440)
    zones_rest = next(d for d, k, p in layers if k == "zones" and p is None)
    assert len(zones_rest["features"]) == 2  # B and C under the rivers


# --------------------------------------------------------------------------------------------- violations
def test_web_violations_layer_with_popups(world, violations):
    page = offline_html(web_map(**world, violations=violations, online_tiles=False))
    data = _layer(page, "violations")
    assert len(data["features"]) == 2  # one marker per facility
    f1, f2 = data["features"]
    assert f1["properties"]["_s"]["fillColor"] == theme("violations").lookup("prohibited").colour
    assert f2["properties"]["_s"]["fillColor"] == theme("violations").lookup("phase_out_candidate").colour
    pop = f1["properties"]["_p"]
    for text in (
        "甲化工厂",
        "污染设施 polluting facility",
        "拟建 proposed",
        "规则 rule",
        "距离 distance (m)",
        "限值 limit (m)",
        "处理要求 action",
        "禁止新建 prohibited",
        "依法淘汰 phase-out candidate",
        "<td>600</td>",
        "<td>1,000</td>",
        "<td>5,000</td>",
        "A区（1 km 禁建区） Zone A (1 km)",
    ):
        assert text in pop
    assert "&lt;script&gt;" in f2["properties"]["_p"]
    assert XSS not in page
    assert "选址审查违规企业 Siting-audit violations" in page  # layer control and legend


def test_static_map_marks_each_violating_facility_once(world, violations):
    ax = static_map(admin=world["admin"], zones=world["zones"], violations=violations, theme="zones")
    marks = [c for c in ax.collections if c.get_zorder() == 10]
    assert sum(len(c.get_offsets()) for c in marks) == 2
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "禁止新建 prohibited (1)" in texts
    assert "依法淘汰 phase-out candidate (1)" in texts


def test_violations_with_an_unknown_action_are_refused(world, violations):
    bad = violations.assign(action="demolish")
    with pytest.raises(SchemaError, match="no map style"):
        web_map(admin=world["admin"], violations=bad)
    with pytest.raises(SchemaError, match="no map style"):
        static_map(admin=world["admin"], violations=bad)


# ----------------------------------------------------------------------------------- footer and the font
def test_web_map_names_its_sources_and_embeds_a_font_for_its_text(world, violations, monthly):
    note = "数据来源：河流: 河流.shp；企业清单: 企业清单.xlsx"
    page = offline_html(
        web_map(**world, violations=violations, monthly=monthly, sources=note, online_tiles=False)
    )
    assert "addAttribution(" in page
    assert "河流.shp" in page
    m = re.search(r"url\(data:font/woff2;base64,([A-Za-z0-9+/=]+)\)", page)
    import base64

    glyphs = fonts.font_glyphs(base64.b64decode(m.group(1)))
    have = fonts.cjk_charset()
    used = {ord(ch) for ch in page if ord(ch) > 0x7F and ord(ch) in have}
    assert used <= glyphs
    assert {ord(c) for c in "禁止新建依法淘汰劣Ⅴ类企业清单"} <= glyphs
    assert not re.search(r"""url\(\s*['"]?(?:https?:)?//""", page)


def test_section_compliance_latest_year(bare_sections):
    audit = pd.DataFrame(
        {
            "section_id": ["X1", "X1", "X1", "X2", "X2"],
            "period": ["2023-12", "2024-01", "2024-02", "2024-01", "2024-02"],
            "compliant": [False, False, True, True, True],
        }
    )
    comp, shown = section_compliance(bare_sections, audit, period="latest_year")
    assert comp.tolist() == [False, True]  # X1 missed in 2024-01; 2023 does not count
    assert shown == "2024"
    assert section_compliance(bare_sections, audit)[0].tolist() == [True, True]  # latest month only
