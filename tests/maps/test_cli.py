"""The map commands (the index page and the other reports are tested in tests/reports)."""

from __future__ import annotations

from click.testing import CliRunner

from basin.cli import main


def test_map_cli(tmp_path):
    runner = CliRunner()
    res = runner.invoke(
        main,
        ["map", "static", "--project", "demo", "--paper", "A4", "--dpi", "50", "-o", str(tmp_path / "m.png")],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"
    res = runner.invoke(
        main,
        [
            "map",
            "web",
            "--project",
            "demo",
            "--no-monthly",
            "--no-online-tiles",
            "-o",
            str(tmp_path / "m.html"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "tile.openstreetmap" not in (tmp_path / "m.html").read_text(encoding="utf-8")
    from basin import datasets

    rivers, admin = str(datasets.get_path("rivers")), str(datasets.get_path("admin"))
    res = runner.invoke(
        main, ["map", "static", "--rivers", rivers, "--admin", admin, "-o", str(tmp_path / "m.jpg")]
    )
    assert res.exit_code == 2
    assert "expected a .png, .pdf or .svg" in res.output
    assert "map" in runner.invoke(main, ["--help"]).output
