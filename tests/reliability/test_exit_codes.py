"""Exit codes of the command line: 0 ok, 1 problems found, 2 bad input, 3 internal error (with a log)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from basin._cli_errors import crash_dir, one_line
from basin.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runner():
    return CliRunner()


def test_internal_error_is_exit_3_with_a_log(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))

    def boom(*a, **k):
        raise ZeroDivisionError("division by zero\nsecond line")

    monkeypatch.setattr("basin.io.layers.inspect_layers", boom)
    res = runner.invoke(main, ["layers", "check", "x.gpkg"])
    assert res.exit_code == 3, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("internal error, please report: ZeroDivisionError: division by zero second line")
    logs = list((tmp_path / "state" / "basin").glob("crash-*.log"))
    assert len(logs) == 1
    assert f"the traceback is in {logs[0]}" in lines[0]
    text = logs[0].read_text(encoding="utf-8")
    assert "Traceback" in text and "ZeroDivisionError" in text and "command: basin layers check x.gpkg" in text
    assert "Traceback" not in res.output


def test_internal_error_with_verbose_prints_the_traceback(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setattr("basin.io.layers.inspect_layers", lambda *a, **k: [][1])
    res = runner.invoke(main, ["-v", "layers", "check", "x.gpkg"])
    assert res.exit_code == 3
    assert "Traceback" in res.output and "IndexError" in res.output


def test_crash_dir_default(monkeypatch):
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    assert crash_dir() == Path.home() / ".local" / "state" / "basin"


def test_usage_errors_are_one_line_exit_2(runner):
    for args, match in [
        (["layers", "check"], "error: Missing argument 'PATHS...'."),
        (["layers", "check", "--nope", "x"], "error: No such option '--nope'"),
        (["nope"], "error: No such command 'nope'"),
        (["wq", "assess", "--period", "week", "x"], "error: Invalid value for '--period'"),
    ]:
        res = runner.invoke(main, args)
        assert res.exit_code == 2, (args, res.output)
        assert len(res.output.strip().splitlines()) == 1, res.output
        assert res.output.startswith(match), res.output
        assert "--help')" in res.output


def test_group_without_subcommand_shows_help(runner):
    res = runner.invoke(main, ["wq"])
    assert res.exit_code == 0
    assert "Usage:" in res.output


def test_basin_error_is_one_line_even_with_newlines(runner, monkeypatch):
    from basin._errors import DataError

    def bad(*a, **k):
        raise DataError("x.csv: line 1\n  context\n  ^")

    monkeypatch.setattr("basin.io.layers.inspect_layers", bad)
    res = runner.invoke(main, ["layers", "check", "x.gpkg"])
    # layers check reports a failing layer (exit 1) for a BasinError of one path
    assert res.exit_code == 1
    assert one_line("a\n  b\tc") == "a b c"


def test_real_process_exit_codes(tmp_path):
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path)}
    cmd = [sys.executable, "-m", "basin"]
    r = subprocess.run([*cmd, "layers", "check", "--kind", "nope", "x"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = subprocess.run([*cmd, "--version"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 0 and "basin" in r.stdout
