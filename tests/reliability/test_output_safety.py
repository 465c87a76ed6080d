"""Output safety: never over an input (path and inode), safe names from data, one run per folder, no partials."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from basin._errors import DataError
from basin.io import atomic
from basin.io.atomic import (
    atomic_path,
    clean_partials,
    ensure_not_input,
    protect_inputs,
    write_csv,
    write_text,
)
from basin.io.lock import LOCK_NAME, output_lock
from basin.io.names import safe_filename

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def inp(tmp_path):
    p = tmp_path / "in" / "data.csv"
    p.parent.mkdir()
    p.write_text("a\n1\n", encoding="utf-8")
    return p


def test_same_path_symlink_dotdot_and_hard_link_are_refused(tmp_path, inp):
    with pytest.raises(DataError, match=r"refusing to write .*data\.csv: it is an input file"):
        ensure_not_input(inp, [inp])
    with pytest.raises(DataError, match="it is an input file"):
        ensure_not_input(tmp_path / "in" / ".." / "in" / "data.csv", [inp])
    link = tmp_path / "link.csv"
    link.symlink_to(inp)
    with pytest.raises(DataError, match="it is an input file"):
        ensure_not_input(link, [inp])
    hard = tmp_path / "hard.csv"
    os.link(inp, hard)
    with pytest.raises(DataError, match=rf"refusing to write {hard}: it is the input .*data\.csv; choose another"):
        ensure_not_input(hard, [inp])
    ensure_not_input(tmp_path / "other.csv", [inp, None])


def test_shapefile_parts_and_input_folders(tmp_path):
    shp = tmp_path / "rivers.shp"
    shp.write_bytes(b"")
    with pytest.raises(DataError, match="rivers.dbf"):
        ensure_not_input(tmp_path / "rivers.dbf", [shp])
    gdb = tmp_path / "x.gdb"
    gdb.mkdir()
    with pytest.raises(DataError, match=r"it is inside the input folder .*x\.gdb"):
        ensure_not_input(gdb / "a000001.gdbtable", [gdb])


def test_protect_inputs_guards_every_writer(tmp_path, inp):
    hard = tmp_path / "hard.csv"
    os.link(inp, hard)
    with protect_inputs([inp]):
        with pytest.raises(DataError, match="refusing to write"):
            write_csv(pd.DataFrame({"a": [2]}), hard)
        with pytest.raises(DataError, match="refusing to write"):
            write_text("x", inp)
        write_text("ok", tmp_path / "out.txt")
    assert inp.read_text(encoding="utf-8") == "a\n1\n"
    write_text("x", hard)  # outside the block nothing is protected any more
    assert not list(tmp_path.glob(".*part*"))


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("S01", "S01"),
        ("长江-朱沱", "长江-朱沱"),
        ("../../x", None),
        ("a/b\\c", None),
        ("..", None),
        ("CON", None),
        ("nul.txt", None),
        ("tab\there\x00", None),
        ("  .hidden. ", None),
        ("", None),
        ("嘉陵江" * 60, None),
    ],
)
def test_safe_filename(tmp_path, text, expect):
    name = safe_filename(text)
    if expect is not None:
        assert name == expect
    else:
        assert name != text
    assert "/" not in name and "\\" not in name and ".." not in name and name not in ("", ".")
    assert not any(ord(c) < 32 for c in name)
    assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}
    assert len(name.encode("utf-8")) <= 150 and len(name) <= 120
    (tmp_path / f"station_{name}.png").write_bytes(b"x")  # a real, single path component
    assert (tmp_path / f"station_{name}.png").parent == tmp_path


def test_safe_filename_is_unique():
    assert safe_filename("a/b") != safe_filename("a_b")
    assert safe_filename("x" * 200) != safe_filename("x" * 201)
    used: set[str] = set()
    names = [safe_filename(t, used=used) for t in ["S1", "s1", "S1"]]
    assert names == ["S1", "s1-2", "S1-3"]


def test_station_id_from_data_cannot_leave_the_output_folder(tmp_path, monkeypatch):
    """The maps step writes station_{id}_NH3_N.png with the id from the data (issue 11: ``../../x``)."""
    import matplotlib.pyplot as plt

    from basin import datasets
    from basin.maps import static
    from basin.maps.demo import demo_layers
    from basin.maps.render import render_maps
    from basin.waterquality import read_wq

    ds = read_wq(datasets.get_path("wq"))
    ds = ds.assign_coords(station=[("../../x" if i == 0 else str(s)) for i, s in enumerate(ds["station"].values)])
    monkeypatch.setattr(static, "static_map", lambda **k: SimpleNamespace(figure=plt.figure()))
    layers = demo_layers()
    res = SimpleNamespace(
        layers=layers,
        sources={},
        wq=ds,
        waterquality=SimpleNamespace(
            sections=None, monthly=pd.DataFrame({"station_id": ["../../x"], "class": [6], "period": ["2019-01"]})
        ),
        crossborder=None,
        riparian=None,
        management=None,
        units=None,
    )
    out = tmp_path / "a" / "b" / "out"
    written = render_maps(res, out, formats=["png"], lang="en")
    plt.close("all")
    chart = next(p for p in written.values() if p.name.startswith("station"))
    assert chart.parent == out and chart.exists()
    assert chart.name.startswith("station_") and "_NH3_N" in chart.name and chart.suffix == ".png" and ".." not in chart.name
    assert sorted(p.name for p in tmp_path.rglob("*.png") if p.name.startswith("station")) == [chart.name]


def test_output_lock(tmp_path):
    out = tmp_path / "out"
    with output_lock(out) as lock:
        held = json.loads(lock.read_text(encoding="utf-8"))
        assert held["pid"] == os.getpid()
        # a second run (another process) gets a clear error
        r = subprocess.run(
            [sys.executable, "-c", f"from basin.io.lock import output_lock\nwith output_lock({str(out)!r}): pass"],
            capture_output=True, text=True, cwd=ROOT,
        )
        assert r.returncode != 0
        assert f"output folder {out} is in use by another basin run (pid {os.getpid()}" in r.stderr
        assert "choose another output folder" in r.stderr
    assert not (out / LOCK_NAME).exists()


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    p = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(p.stdout)
    import socket

    (out / LOCK_NAME).write_text(json.dumps({"pid": dead, "host": socket.gethostname(), "started": "x"}))
    with output_lock(out):
        assert json.loads((out / LOCK_NAME).read_text())["pid"] == os.getpid()
    (out / LOCK_NAME).write_text("garbage")
    with pytest.raises(DataError, match=r"in use by another basin run \(unreadable lock\)"):
        with output_lock(out):
            pass


def test_output_lock_on_a_file(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    with pytest.raises(DataError, match="is a file; choose a folder"):
        with output_lock(f):
            pass


def test_partials_removed_on_error_and_by_the_next_run(tmp_path):
    target = tmp_path / "sub" / "t.gpkg"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            (tmp.parent / (tmp.name + "-journal")).write_bytes(b"j")
            raise RuntimeError
    assert list(target.parent.iterdir()) == []
    # left-overs of a killed run
    (tmp_path / "sub" / ".t.part.abcd1234.gpkg").write_bytes(b"x")
    (tmp_path / "sub" / ".t.part.abcd1234.gpkg-wal").write_bytes(b"x")
    (tmp_path / "sub" / ".keep.me").write_bytes(b"x")
    (tmp_path / "sub" / "t.part.txt").write_bytes(b"x")
    with output_lock(tmp_path):
        pass
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == [".keep.me", "t.part.txt"]
    assert clean_partials(tmp_path / "missing") == []


SLOW_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from basin._cli_errors import install_signal_handlers, run_cli
    from basin.io.atomic import atomic_path
    from basin.io.lock import output_lock

    def work():
        out = Path(sys.argv[1])
        with output_lock(out), atomic_path(out / "big.gpkg") as tmp:
            tmp.write_bytes(b"partial")
            print("writing", flush=True)
            time.sleep(60)

    install_signal_handlers()
    run_cli(work, argv=sys.argv[1:], verbose=lambda: 0)
    """
)


def test_sigterm_removes_partial_files_and_the_lock(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout.readline().strip() == "writing"
    assert [p.name for p in out.glob(".big.part.*")]
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert "terminated (SIGTERM); partial files removed" in err
    assert list(out.iterdir()) == []


def test_sigterm_handler_removes_partials_of_other_threads(tmp_path):
    with pytest.raises(FileNotFoundError), atomic_path(tmp_path / "x.csv") as tmp:
        tmp.write_text("x")
        removed = atomic.remove_active_partials()
        assert removed == [tmp] and not tmp.exists()
    assert list(tmp_path.iterdir()) == []
