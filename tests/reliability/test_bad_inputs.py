"""A corpus of bad inputs on every CLI option that takes a file: exit 2 and one line naming the file.

The harness is a table: (command, its base arguments, the file options with the kind of file each expects).
Every kind has its bad inputs (zero bytes, truncated or fake GeoPackage, a folder, an empty CSV, a wrong
encoding, a YAML syntax error or alias bomb ...). Each case runs the command in-process on the demo project
with one option replaced by the bad file and must end with exit code 2, no traceback, and an ``error:`` line
that names the file. A new command or option joins the corpus by a row in :data:`COMMANDS`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from basin import datasets
from basin.cli import main

GEODATA = Path(datasets.get_path("rivers")).parent

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b]\n"


def _truncated(src: Path, n: int) -> bytes:
    return src.read_bytes()[:n]


# kind -> bad input name -> (file name, content: bytes | None for a folder)
BAD: dict[str, dict[str, tuple[str, bytes | None]]] = {
    "vector": {
        "zero-bytes": ("bad.gpkg", b""),
        "truncated-gpkg": ("bad.gpkg", _truncated(GEODATA / "rivers.gpkg", 4096)),
        "text-named-gpkg": ("bad.gpkg", "这不是 GeoPackage\nnot a geopackage\n".encode()),
        "folder": ("bad.gpkg", None),
        "empty-csv": ("bad.csv", b""),
        "gbk-csv": ("bad.csv", "名称,经度,纬度\n长江,106.5,29.5\n".encode("gbk")),
    },
    "raster": {
        "zero-bytes": ("bad.tif", b""),
        "truncated-tif": ("bad.tif", _truncated(GEODATA / "population.tif", 1024)),
        "text-named-tif": ("bad.tif", b"not a raster\n"),
        "folder": ("bad.tif", None),
    },
    "csv": {
        "zero-bytes": ("bad.csv", b""),
        "header-only": ("bad.csv", b"unit_id,cs,c0,q,q_in,k,x_km,u\n"),
        "gbk": ("bad.csv", "单元,流量\n嘉陵江,1\n".encode("gbk")),
        "binary": ("bad.csv", bytes(range(256)) * 4),
        "folder": ("bad.csv", None),
    },
    "yaml": {
        "zero-bytes": ("bad.yml", b""),
        "gbk": ("bad.yml", "名称: 长江\n".encode("gbk")),
        "syntax": ("bad.yml", b"a: [1, 2\nb: 3\n"),
        "alias-bomb": ("bad.yml", BOMB.encode()),
        "list": ("bad.yml", b"- a\n- b\n"),
        "folder": ("bad.yml", None),
    },
    "wq": {
        "zero-bytes": ("bad.csv", b""),
        "header-only": ("bad.csv", b"station_id,time,parameter,value\n"),
        "gbk": ("bad.csv", "站点,时间,指标,值\nS001,2019-01,氨氮,0.5\n".encode("gbk")),
        "fake-xlsx": ("bad.xlsx", b"PK\x03\x04 not a workbook"),
        "empty-folder": ("bad.zarr", None),
        "inf-value": ("bad.csv", b"station_id,time,parameter,value\nS001,2019-01-01,NH3_N,1e999\n"),
    },
}

_V, _R, _C, _Y, _W = "vector", "raster", "csv", "yaml", "wq"
WQ_FILE = str(GEODATA / "wq_monthly.csv")
DEMO = ["--project", "demo"]
#: the demo layers without the water-quality series and rasters: commands that do not use them start faster
LITE = ["--project", "@LITE"]
#: command -> (arguments before the file option, {option: kind}); "ARG" is a positional file argument.
COMMANDS: dict[str, tuple[list[str], dict[str, str]]] = {
    "riparian": (["riparian", *LITE], {"--rivers": _V, "--lakes": _V, "--admin": _V, "--mapping": _Y, "--rules": _Y}),
    "audit": (["audit", *LITE], {"ARG": _V, "--rivers": _V, "--lakes": _V, "--admin": _V, "--rules": _Y, "--mapping": _Y}),
    "units": (
        ["units", *LITE],
        {"--units": _V, "--rivers": _V, "--admin": _V, "--lakes": _V, "--stations": _V, "--zones": _V, "--dem": _R,
         "--population": _R, "--gdp": _R, "--flows": _C, "--loads": _C, "--config": _Y, "--mapping": _Y},
    ),
    "management": (
        ["management", *LITE],
        {"--redline": _V, "--water-sources": _V, "--classified-units": _V, "--zones": _V, "--rules": _Y,
         "--config": _Y, "--units": _V, "--rivers": _V, "--admin": _V, "--lakes": _V, "--stations": _V,
         "--mapping": _Y, "--dem": _R, "--population": _R, "--gdp": _R, "--flows": _C, "--loads": _C},
    ),
    "crossborder sections": (
        ["crossborder", "sections", *LITE], {"--rivers": _V, "--admin": _V, "--stations": _V, "--mapping": _Y}
    ),
    "crossborder audit": (
        ["crossborder", "audit", *LITE], {"--wq": _W, "--rivers": _V, "--admin": _V, "--stations": _V, "--mapping": _Y}
    ),
    "crossborder compensate": (
        ["crossborder", "compensate", *DEMO],
        {"--wq": _W, "--scheme": _Y, "--rivers": _V, "--admin": _V, "--stations": _V, "--mapping": _Y},
    ),
    "wq assess": (["wq", "assess", *DEMO], {"ARG": _W, "--stations": _V, "--detection-limits": _C, "--mapping": _Y}),
    "wq classify": (
        ["wq", "classify", *DEMO], {"ARG": _W, "--stations": _V, "--mapping": _Y}
    ),
    "map static": (
        ["map", "static", *DEMO],
        {"--facilities": _V, "--wq": _W, "--rivers": _V, "--admin": _V, "--lakes": _V, "--stations": _V,
         "--mapping": _Y},
    ),
    "map web": (
        ["map", "web", *DEMO],
        {"--rivers": _V, "--wq": _W, "--admin": _V, "--lakes": _V, "--stations": _V, "--facilities": _V,
         "--mapping": _Y},
    ),
    "run": (["run"], {"ARG": _Y}),
    # FEED files are not here: a bad feed is kept in the rejects table and never stops the watcher (by design)
    "watch": (
        ["watch", *DEMO, WQ_FILE],
        {"--rules": _Y, "--mn": _C, "--stations": _V, "--rivers": _V, "--facilities": _V, "--admin": _V},
    ),
}
#: options whose file the outputs need a file name for (-o is a file there)
FILE_OUT = {"wq classify": "out.csv", "map static": "out.png", "map web": "out.html"}
RIVERS = str(GEODATA / "rivers.gpkg")
WQ = str(GEODATA / "wq_monthly.csv")
#: (command, option) -> arguments the option needs to be used at all
EXTRA: dict[tuple[str, str], list[str]] = {
    **{(c, "--mapping"): ["--rivers", RIVERS] for c in ("riparian", "audit", "units", "crossborder sections",
                                                        "crossborder audit", "crossborder compensate")},
    **{(c, "--dem"): ["--dem-area", "50"] for c in ("units", "management")},
    **{(c, o): [WQ] for c in ("wq assess", "wq classify") for o in ("--stations", "--detection-limits", "--mapping")},
    **{(c, "--mapping"): ["--rivers", RIVERS] for c in ("management", "map static", "map web")},
}
#: cases that fail today because of a known bug (strict: they fail once fixed); none at present
KNOWN: dict[str, str] = {}


def _case(cmd: str, opt: str, bad: str) -> object:
    cid = f"{cmd.replace(' ', '-')}:{opt}:{bad}"
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN[cid])] if cid in KNOWN else []
    return pytest.param(cmd, opt, bad, id=cid, marks=marks)


def _cases() -> list[object]:
    """Every bad input of its kind on the first command with an option; one on the others with that option.

    The same option on two commands goes through the same reader (``basin._cli_common`` builds the project,
    ``basin.run.load_inputs`` reads it), so repeating every bad input there would only make the suite slower.
    """
    out, seen = [], set()
    for cmd, (_, opts) in COMMANDS.items():
        for opt, kind in opts.items():
            bads = list(BAD[kind]) if (opt, kind) not in seen else [next(iter(BAD[kind]))]
            seen.add((opt, kind))
            out += [_case(cmd, opt, bad) for bad in bads]
    return out


CASES = _cases()


def _make(tmp_path: Path, kind: str, bad: str) -> Path:
    name, content = BAD[kind][bad]
    path = tmp_path / "in" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    return path


@pytest.fixture(scope="module")
def lite(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("lite") / "basin.yml"
    layers = {
        "rivers": {"path": str(GEODATA / "rivers.gpkg")},
        "lakes": {"path": str(GEODATA / "lakes.gpkg")},
        "admin": {"path": str(GEODATA / "admin.gpkg"), "layer": "admin"},
        "stations": {"path": str(GEODATA / "stations.gpkg")},
        "facilities": {"path": str(GEODATA / "facilities.gpkg")},
    }
    rasters = {"population": str(GEODATA / "population.tif"), "gdp": str(GEODATA / "gdp.tif")}
    import yaml

    p.write_text(yaml.safe_dump({"layers": layers, "rasters": rasters}, allow_unicode=True), encoding="utf-8")
    return p


def _args(cmd: str, opt: str, path: Path, out: Path, lite: Path) -> list[str]:
    base = [str(lite) if a == "@LITE" else a for a in COMMANDS[cmd][0]]
    file_arg = [str(path)] if opt == "ARG" else [opt, str(path)]
    target = out / FILE_OUT[cmd] if cmd in FILE_OUT else out
    return [*base, *EXTRA.get((cmd, opt), []), *file_arg, "-o", str(target)]


@pytest.mark.parametrize(("cmd", "opt", "bad"), CASES)
def test_bad_input_is_exit_2_with_one_line_naming_the_file(cmd, opt, bad, tmp_path, monkeypatch, lite):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    kind = COMMANDS[cmd][1][opt]
    path = _make(tmp_path, kind, bad)
    res = CliRunner().invoke(main, _args(cmd, opt, path, tmp_path / "out", lite))
    out = res.output
    assert "Traceback" not in out, out[-2000:]
    assert res.exit_code == 2, f"exit {res.exit_code}: {out[-1500:]}"
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert errors, out[-1500:]
    assert path.name in errors[-1], errors[-1]  # the error that ended the run names the file
    assert not list((tmp_path / "state").rglob("crash-*.log"))


def test_unknown_layer_name_in_the_project(tmp_path):
    prj = tmp_path / "basin.yml"
    shutil.copy(GEODATA / "rivers.gpkg", tmp_path / "rivers.gpkg")
    prj.write_text("layers:\n  rivers: {path: rivers.gpkg, layer: nope}\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["run", str(prj), "-o", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    line = next(line for line in res.output.splitlines() if line.startswith("error:"))
    assert "rivers.gpkg" in line and "nope" in line


def test_every_file_option_is_in_the_corpus():
    """A new file option of any command must get a row in COMMANDS (or a reason here to be left out)."""
    import click

    left_out = {
        ("layers", "check"): "exit 1 is its answer for a failing layer (FAIL lines)",
        ("init",): "writes a project file for a folder; its input is the folder",
        ("demo",): "no input file",
        ("watch", "ARG"): "",
    }
    ctx = click.Context(main)
    missing = []

    def walk(cmd, path):
        if isinstance(cmd, click.Group):
            for name in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, name), (*path, name))
            return
        if path in left_out:
            return
        key = " ".join(path)
        opts = COMMANDS.get(key, ([], {}))[1]
        for p in cmd.params:
            if isinstance(p.type, click.Path) and p.name not in ("outdir", "out", "rejected"):
                name = "ARG" if isinstance(p, click.Argument) else p.opts[-1] if p.opts[-1].startswith("--") else p.opts[0]
                if (*path, name) in left_out:
                    continue
                if not any(o == name or o in p.opts for o in opts):
                    missing.append(f"{key} {name}")

    walk(main, ())
    assert not missing, f"file options without bad-input cases: {missing}"
