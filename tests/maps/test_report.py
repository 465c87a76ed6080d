from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from basin.cli import main
from basin.report import summary_lines, write_index


def _fake_outputs(out):
    (out / "maps").mkdir(parents=True)
    (out / "maps" / "map.html").write_text("<html></html>", encoding="utf-8")
    (out / "maps" / "overview.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (out / "zones").mkdir()
    pd.DataFrame(
        {
            "level": ["province", "province", "county"],
            "name": ["四川省", "四川省", "<b>x</b>"],
            "zone": ["A", "B", "A"],
            "area_km2": [100.0, 250.5, 7.0],
        }
    ).to_csv(out / "zones" / "zone_areas.csv", index=False)
    (out / "wq").mkdir()
    (out / "wq" / "summary.json").write_text(
        json.dumps(
            {"stations": 61, "period": "year", "class_counts": {"Ⅱ": 10, "劣Ⅴ": 2}, "compliant_share": 0.75}
        ),
        encoding="utf-8",
    )
    (out / "crossborder").mkdir()
    pd.DataFrame(
        {
            "section_id": ["X1", "X1", "X2"],
            "period": ["2024-01", "2024-02", "2024-01"],
            "compliant": [True, False, True],
        }
    ).to_csv(out / "crossborder" / "audit.csv", index=False)
    (out / "crossborder" / "report.html").write_text("<html></html>", encoding="utf-8")
    pd.DataFrame({"payer": ["a"], "payee": ["b"], "amount": [1_000_000]}).to_csv(
        out / "crossborder" / "ledger.csv", index=False
    )


def test_summary_lines(tmp_path):
    _fake_outputs(tmp_path)
    lines = summary_lines(tmp_path)
    assert "Riparian zones: zone A 100 km², zone B 250 km²." in lines  # provinces only, not counties twice
    assert (
        "Water quality: 61 stations assessed by year; classes Ⅱ: 10, 劣Ⅴ: 2; "
        "75% of station-periods meet their target." in lines
    )
    assert "Cross-border sections: 2 audited; 1 missed their target in at least one period." in lines
    assert "Compensation ledger: 1 entries, 1 with a transfer, 1,000,000 transferred in total." in lines


def test_index_links_every_result_and_escapes(tmp_path):
    _fake_outputs(tmp_path)
    page = write_index(tmp_path).read_text(encoding="utf-8")
    assert 'href="maps/map.html"' in page
    assert 'img src="maps/overview.png"' in page
    assert 'href="crossborder/report.html"' in page
    assert 'href="crossborder/ledger.csv"' in page
    assert 'href="zones/zone_areas.csv"' in page
    assert 'href="wq/summary.json"' in page
    assert "<b>x</b>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "http://" not in page
    assert "https://" not in page
    assert "<script" not in page
    assert "units" not in [s.split("/")[0] for s in page.split('href="')[1:]]  # absent folders not listed


def test_index_of_an_empty_folder(tmp_path):
    page = write_index(tmp_path).read_text(encoding="utf-8")
    assert "No results found" in page


def test_map_cli(tmp_path):
    runner = CliRunner()
    res = runner.invoke(
        main, ["map", "static", "--project", "demo", "--paper", "A4", "--dpi", "50", "-o", str(tmp_path / "m.png")]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"
    res = runner.invoke(
        main, ["map", "web", "--project", "demo", "--no-monthly", "--no-online-tiles", "-o", str(tmp_path / "m.html")]
    )
    assert res.exit_code == 0, res.output
    assert "tile.openstreetmap" not in (tmp_path / "m.html").read_text(encoding="utf-8")
    from basin import datasets

    rivers, admin = str(datasets.get_path("rivers")), str(datasets.get_path("admin"))
    res = runner.invoke(main, ["map", "static", "--rivers", rivers, "--admin", admin, "-o", str(tmp_path / "m.jpg")])
    assert res.exit_code == 2
    assert "expected a .png, .pdf or .svg" in res.output
    assert "map" in runner.invoke(main, ["--help"]).output
