"""CSV for Excel, the cross-border report in Chinese and English, the run's reports together."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from basin.crossborder.report import write_audit_report
from basin.io import write_csv
from basin.reports import write_run_reports
from basin.reports.html import check_offline, embedded_font, visible_text


def test_csv_has_a_bom_for_excel_by_default_and_plain_utf8_on_request(tmp_path):
    df = pd.DataFrame({"河流名称": ["长江"], "n": [1]})
    bom = write_csv(df, tmp_path / "a.csv").read_bytes()
    assert bom.startswith(b"\xef\xbb\xbf")
    assert bom.decode("utf-8-sig").splitlines()[0] == "河流名称,n"
    plain = write_csv(df, tmp_path / "b.csv", encoding="utf-8").read_bytes()
    assert plain.startswith("河流名称".encode())
    assert list(pd.read_csv(tmp_path / "a.csv").columns) == ["河流名称", "n"]  # pandas reads both


def _audit() -> pd.DataFrame:
    base = {
        "section_id": "R1:51>50",
        "river_name": "长江",
        "kind": "crossing",
        "from_admin": "51",
        "from_admin_name": "四川省",
        "to_admin": "50",
        "to_admin_name": "重庆市",
        "upstream_station_id": "S1",
        "downstream_station_id": "S2",
        "upstream_target": 3,
        "downstream_target": 3,
        "main_pollutants": pd.NA,
        "note": pd.NA,
    }
    rows = [
        {
            **base,
            "period": "2024-01",
            "status": "assessed",
            "upstream_class": 3,
            "downstream_class": 3,
            "upstream_compliant": True,
            "downstream_compliant": True,
            "compliant": True,
            "responsibility": "none",
        },
        {
            **base,
            "period": "2024-02",
            "status": "assessed",
            "upstream_class": 5,
            "downstream_class": 4,
            "upstream_compliant": False,
            "downstream_compliant": False,
            "compliant": False,
            "responsibility": "upstream",
            "main_pollutants": "总磷(0.5)",
        },
    ]
    return pd.DataFrame(rows)


def test_crossborder_report_in_chinese_by_default_and_in_english(tmp_path):
    prov = {"basin_version": "0", "inputs": {"wq": {"path": "wq.xlsx", "sha256": "ab" * 32, "bytes": 1}}}
    files = write_audit_report(_audit(), tmp_path / "zh", prov=prov)
    page = files["report html"].read_text(encoding="utf-8")
    text = visible_text(page)
    for part in (
        "跨界断面水质考核报告",
        "共 1 个断面，其中 1 个在至少一个时段未达到水质目标。",
        "上游 ×1",
        "未达标",
        "跨界断面",
        "上游断面：S1；下游断面：S2",
        "数据与方法来源",
        "ab" * 32,
    ):
        assert part in text
    assert "misses target" not in text
    check_offline(page)
    assert embedded_font(page)
    md = files["report md"].read_text(encoding="utf-8")
    assert "# 跨界断面水质考核报告" in md
    en = write_audit_report(_audit(), tmp_path / "en", prov=prov, lang="en")["report html"]
    text = visible_text(en.read_text(encoding="utf-8"))
    assert "Cross-border sections: audit against targets" in text
    assert "upstream ×1" in text
    assert "misses target" in text
    csv = pd.read_csv(files["audit csv"])
    assert csv["responsibility"].tolist() == ["none", "upstream"]  # the data files keep the codes


@dataclass
class Opts:
    formats: tuple[str, ...]
    lang: str = "zh"

    def wants(self, fmt: str) -> bool:
        return fmt in self.formats


def test_write_run_reports_links_the_reports_from_the_index(run):
    files = write_run_reports(run, run.outdir, Opts(("xlsx", "docx", "html")))
    assert sorted(p.name for p in files.values()) == ["index.html", "report.docx", "results.xlsx"]
    page = (run.outdir / "index.html").read_text(encoding="utf-8")
    assert 'href="results.xlsx"' in page
    assert 'href="report.docx"' in page
    only = write_run_reports(run, run.outdir, Opts(("csv",)))
    assert only == {}
