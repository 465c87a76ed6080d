"""``basin run``: every capability a project has inputs for, in one process, results passed in memory.

The run reads the project's layers and water-quality data once, then calls each capability's step with the
objects in memory (:data:`STEPS`); a step returns its result or raises :class:`Skipped` with what is missing
and how to supply it. No step reads another step's output files. After the steps the writers put each result
under ``outdir/<folder>/`` and the reports (index page, workbook, Word report) and the run manifest at the top.

A missing optional input is skipped with one line saying what was skipped and how to supply it; outside the
demo no demo file is ever read. The run summary (``summary.json`` and the reports) lists where every input
came from: the user's file with its SHA-256, or ``demo``.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from basin._errors import BasinError, DataError
from basin.project import LAYER_KINDS, POLYGON_LAYERS, Project

log = logging.getLogger(__name__)


class Skipped(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised by a step that cannot run with the inputs given."""

    def __init__(self, what: str, reason: str, how: str) -> None:
        super().__init__(f"{what} skipped: {reason}; {how}")
        self.what, self.reason, self.how = what, reason, how


@dataclass
class Source:
    """Where one input came from."""

    kind: str
    origin: str  # "user" | "demo" | "builtin"
    path: str | None
    sha256: str | None
    layer: str | None = None
    features: int | None = None
    size: int | None = None


@dataclass
class Skip:
    """A step or input that was skipped, why, and how to supply it."""

    what: str
    reason: str
    how: str

    def text(self) -> str:
        """One line for the terminal and the reports."""
        return f"{self.what} skipped: {self.reason}; {self.how}"


@dataclass
class WriteOptions:
    """What the writers write: formats, CSV encoding and report language."""

    formats: tuple[str, ...]
    csv_encoding: str = "utf-8-sig"
    lang: str = "zh"

    def wants(self, fmt: str) -> bool:
        """Return True when ``fmt`` is one of the requested formats."""
        return fmt in self.formats


@dataclass
class RunResult:
    """Everything a run produced, in memory; the writers and the reports render it."""

    project: Project
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    wq: Any = None
    riparian: Any = None
    audit: Any = None
    waterquality: Any = None
    units: Any = None
    management: Any = None
    crossborder: Any = None
    skipped: list[Skip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: dict[str, dict[str, Path]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    outdir: Path | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every result table by a stable name (the sheets of the workbook), in reading order."""
        out: dict[str, pd.DataFrame] = {}
        for step in STEPS:
            result = getattr(self, step.attr)
            if result is None:
                continue
            for name, df in result.tables().items():
                if df is not None:
                    out[name] = df
        return out

    def summary(self) -> dict[str, Any]:
        """Return a JSON-ready summary: what ran, what was skipped, the sources, the headline numbers."""
        steps: dict[str, Any] = {}
        for step in STEPS:
            result = getattr(self, step.attr)
            if result is not None:
                steps[step.name] = result.summary() if hasattr(result, "summary") else {}
        return {
            "project": self.project.name,
            "steps": steps,
            "skipped": [s.text() for s in self.skipped],
            "notes": list(self.notes),
            "sources": {k: vars(v) for k, v in self.sources.items()},
        }


@dataclass(frozen=True)
class Step:
    """One capability's step: computes from the run (``compute``) and writes its result (``write``)."""

    name: str
    attr: str
    folder: str
    compute: str
    write: str
    title_zh: str
    title_en: str

    def _resolve(self, ref: str) -> Callable[..., Any]:
        module, func = ref.split(":")
        return getattr(importlib.import_module(module), func)

    def run(self, res: RunResult) -> Any:
        """Compute the step's result from the run so far."""
        return self._resolve(self.compute)(res)

    def write_result(self, result: Any, folder: Path, opts: WriteOptions) -> dict[str, Path]:
        """Write the step's result into ``folder``."""
        return self._resolve(self.write)(result, folder, opts)


#: The steps of a run, in order (a step may use the results of the steps before it).
STEPS: list[Step] = [
    Step("riparian", "riparian", "zones", "basin.zoning.step:riparian_step", "basin.zoning.step:write_riparian",
         "岸线分区", "Riparian zones"),
    Step("audit", "audit", "audit", "basin.zoning.step:audit_step", "basin.zoning.step:write_audit",
         "选址审查", "Facility siting audit"),
    Step("wq", "waterquality", "wq", "basin.waterquality.step:wq_step", "basin.waterquality.step:write_wq",
         "水质评价", "Water-quality assessment"),
    Step("units", "units", "units", "basin.units.step:units_step", "basin.units.step:write_units",
         "评价单元", "Evaluation units"),
    Step("management", "management", "zoning", "basin.units.step:management_step",
         "basin.units.step:write_management", "管控分区", "Management zoning"),
    Step("crossborder", "crossborder", "crossborder", "basin.crossborder.step:crossborder_step",
         "basin.crossborder.step:write_crossborder", "跨界断面", "Cross-border sections"),
]
STEP_NAMES = [s.name for s in STEPS]


# ------------------------------------------------------------------------------------------------ inputs
def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _origin(path: Path, project: Project) -> str:
    """``demo`` for a file of the embedded demo dataset, else ``user``."""
    from basin import datasets

    try:
        demo_dir = datasets.data_dir().resolve()
    except DataError:
        return "user"
    return "demo" if demo_dir in path.resolve().parents else "user"


def source_of(kind: str, path: str | os.PathLike[str], project: Project, **extra: Any) -> Source:
    """Describe one input: its origin (``user`` or ``demo``), SHA-256 and size.

    A folder input (a FileGDB) gets the digest of its files in name order and their total size
    (:func:`basin.io.manifest.file_digest`).
    """
    from basin.io.manifest import file_digest

    p = Path(path)
    digest = file_digest(p) if p.is_file() or p.is_dir() else {"sha256": None, "bytes": None}
    return Source(
        kind=kind,
        origin=_origin(p, project),
        path=str(p),
        sha256=digest["sha256"],
        size=digest["bytes"],
        **extra,
    )


def _check_exists(key: str, path: Path) -> None:
    if not path.exists():
        msg = f"{key}: {path} does not exist (check the path in the project file; relative paths are relative to it)"
        raise DataError(msg)


def _read_polygons(path: Path, what: str, *, layer: str | None = None, crs: str | None = None) -> gpd.GeoDataFrame:
    from basin.units.pipeline import read_polygons

    gdf = read_polygons(path, what) if layer is None else gpd.read_file(path, layer=layer, engine="pyogrio")
    assert gdf is not None  # read_polygons returns None only for path None
    if crs is not None and gdf.crs is None:
        gdf = gdf.set_crs(crs)
    return gdf


def load_inputs(res: RunResult) -> None:
    """Read every layer and the water-quality data the project names into ``res`` (nothing else)."""
    from basin.io import read_layer

    project = res.project
    for kind, spec in project.layers.given().items():
        _check_exists(f"layers.{kind}.path", spec.path)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if kind in LAYER_KINDS:
                gdf = read_layer(spec.path, kind, **spec.read_kwargs(kind))  # type: ignore[arg-type]
            else:
                what = {"redline": "red line", "water_sources": "drinking-water sources"}.get(kind, kind)
                gdf = _read_polygons(spec.path, what, layer=spec.layer, crs=spec.crs)
        for w in caught:
            res.notes.append(str(w.message))
            log.warning("warning: %s", w.message)
        for note in gdf.attrs.get("basin_notes", []):
            res.notes.append(str(note))
        res.layers[kind] = gdf
        res.sources[kind] = source_of(kind, spec.path, project, layer=spec.layer, features=len(gdf))
    for kind in (*LAYER_KINDS, *POLYGON_LAYERS):
        if kind not in res.layers and kind in {"rivers", "admin"}:
            res.notes.append(f"no {kind} layer in the project (layers.{kind})")
    wq = project.water_quality
    if wq is not None:
        res.wq = read_water_quality(res)


def read_water_quality(res: RunResult) -> Any:
    """Read the project's water-quality files (with its stations layer) into one ``(station, time)`` Dataset."""
    import xarray as xr

    from basin.waterquality import read_wq

    spec = res.project.water_quality
    assert spec is not None
    kwargs: dict[str, Any] = {"standard": res.project.choices.standard}
    for name in ("mapping", "detection_limits", "header_row", "year", "encoding", "sheet"):
        value = getattr(spec, name)
        if value is not None:
            kwargs[name] = value
    if spec.layout != "auto":
        kwargs["layout"] = spec.layout
    if res.options.get("rejected"):
        kwargs["on_invalid"] = "report"
    stations = res.layers.get("stations")
    datasets = []
    rejected = []
    for i, path in enumerate(spec.paths):
        _check_exists(f"water_quality.paths[{i}]", path)
        out = read_wq(path, stations=stations, **kwargs)
        if isinstance(out, tuple):
            ds, rej = out
            rejected.append(rej)
        else:
            ds = out
        datasets.append(ds)
        for note in str(ds.attrs.get("notes") or "").split("; "):
            if note:
                res.notes.append(f"{path.name}: {note}")
        res.sources[f"wq:{i}" if len(spec.paths) > 1 else "wq"] = source_of("wq", path, res.project)
    if rejected:
        res.options["rejected_rows"] = pd.concat(rejected, ignore_index=True)
    if len(datasets) == 1:
        return datasets[0]
    merged = xr.concat(datasets, dim="time", join="outer", coords="minimal", compat="override")
    return merged.sortby("time")


# -------------------------------------------------------------------------------------------- output set
MANIFEST = "manifest.json"


def _previous_outputs(outdir: Path) -> set[Path]:
    path = outdir / MANIFEST
    if not path.is_file():
        return set()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {outdir / o["path"] for o in data.get("outputs", []) if isinstance(o, dict) and "path" in o}


def prepare_outdir(outdir: Path, *, inputs: Iterable[Path], force: bool) -> set[Path]:
    """Check the output folder: never an input, never foreign files unless ``force``; return old outputs.

    A folder that holds an earlier run's outputs (listed in its ``manifest.json``) is fine: those files are
    replaced as a set. Other files in it make the run refuse, unless ``force``.
    """
    outdir = Path(outdir)
    resolved_inputs = [Path(p).resolve() for p in inputs]
    out_r = outdir.resolve()
    for inp in resolved_inputs:
        if inp == out_r or out_r in inp.parents:
            msg = f"output folder {outdir} holds the input {inp}; choose another output folder"
            raise DataError(msg)
    if outdir.exists() and not outdir.is_dir():
        msg = f"output folder {outdir} is a file; choose a folder"
        raise DataError(msg)
    old = _previous_outputs(outdir)
    if outdir.is_dir() and not force:
        known = {p.resolve() for p in old} | {(outdir / MANIFEST).resolve()}
        foreign = [
            p for p in sorted(outdir.rglob("*"))
            if p.is_file() and p.resolve() not in known and ".part." not in p.name and p.name != ".basin.lock"
        ]
        if foreign:
            names = ", ".join(str(p.relative_to(outdir)) for p in foreign[:5])
            more = f" (+{len(foreign) - 5} more)" if len(foreign) > 5 else ""
            msg = (
                f"output folder {outdir} holds files that no basin run wrote ({names}{more}); "
                "choose an empty folder or pass --force to replace its contents"
            )
            raise DataError(msg)
    return old


def _remove_stale(outdir: Path, old: set[Path], written: set[Path], *, force: bool) -> list[Path]:
    removed = []
    keep = {p.resolve() for p in written}
    candidates = set(old)
    if force and outdir.is_dir():
        candidates |= {p for p in outdir.rglob("*") if p.is_file()}
    for p in sorted(candidates):
        if p.resolve() not in keep and p.is_file() and p.name != ".basin.lock":
            p.unlink()
            removed.append(p)
    for d in sorted((d for d in outdir.rglob("*") if d.is_dir()), key=lambda d: -len(d.parts)):
        if not any(d.iterdir()):
            d.rmdir()
    return removed


def write_manifest(res: RunResult, outdir: Path, written: list[Path], *, started: float) -> Path:
    """Write ``manifest.json``: inputs and outputs with SHA-256 and size, versions, options, the run time.

    The layout is described in ``docs/reliability.md`` ("The manifest"); the library versions come from
    :func:`basin.io.manifest.library_versions` (with GDAL and PROJ).
    """
    import platform

    from basin import __version__
    from basin.io import write_json

    outputs = []
    for p in sorted(set(written)):
        if p.is_file():
            outputs.append(
                {"path": p.relative_to(outdir).as_posix(), "sha256": sha256_file(p), "size": p.stat().st_size}
            )
    from basin.io.manifest import MANIFEST_VERSION, library_versions

    versions = {"basin": __version__, "python": platform.python_version()}
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "basin_version": __version__,
        "project": str(res.project.source_path) if res.project.source_path else None,
        "run_started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "run_seconds": round(time.time() - started, 3),
        "inputs": {k: vars(v) for k, v in res.sources.items()},
        "outputs": outputs,
        "choices": json.loads(res.project.choices.model_dump_json()),
        "output_options": json.loads(res.project.output.model_dump_json()),
        "options": {k: v for k, v in res.options.items() if isinstance(v, str | int | float | bool | type(None))},
        "versions": versions,
        "libraries": library_versions(),
        "platform": {"python": platform.python_version(), "system": platform.platform(terse=True)},
        "skipped": [s.text() for s in res.skipped],
        "timings_s": {k: round(v, 3) for k, v in res.timings.items()},
    }
    return write_json(manifest, outdir / MANIFEST)


# ----------------------------------------------------------------------------------------------- the run
def run_project(
    project: Project,
    *,
    steps: Iterable[str] | None = None,
    outdir: str | os.PathLike[str] | None = None,
    force: bool = False,
    reports: bool = True,
    maps: bool = True,
    flat: bool = False,
    options: dict[str, Any] | None = None,
    echo: Callable[[str], None] = print,
) -> RunResult:
    """Run every step the project has inputs for, write the outputs and return the results.

    Parameters
    ----------
    project
        The project (:func:`basin.project.load_project` or :func:`basin.project.demo_project`).
    steps
        Names of the steps to run (default: all of :data:`STEP_NAMES`); a step the inputs do not allow is
        skipped with a line saying why.
    outdir
        Output folder (default: the project's ``output.dir``).
    force
        Replace a folder's contents even when it holds files that no basin run wrote.
    reports, maps
        Write the maps and the reports (index page, workbook, Word report).
    flat
        Write the outputs of a single step directly into ``outdir`` (the subcommands) instead of
        ``outdir/<folder>/``.
    options
        Step options that are not part of the project (``scheduler`` for the audit, ``rejected`` …).
    echo
        Where progress lines go.

    Returns
    -------
    RunResult
        The results in memory, with the written files in ``files``.

    Raises
    ------
    BasinError
        Bad input (a layer, a water-quality file, the output folder …), with a message naming it.
    """
    started = time.time()
    wanted = list(steps) if steps is not None else list(STEP_NAMES)
    unknown = [s for s in wanted if s not in STEP_NAMES]
    if unknown:
        msg = f"unknown step(s) {unknown}; expected some of {STEP_NAMES}"
        raise BasinError(msg)
    out = Path(outdir) if outdir is not None else project.output.dir
    res = RunResult(project=project, options=dict(options or {}), outdir=out)
    inputs = list(project.input_paths().values())
    old = prepare_outdir(out, inputs=inputs, force=force)
    from basin.io import output_lock
    from basin.io.atomic import protect_inputs

    with output_lock(out), protect_inputs(inputs):  # no write of the run can land on an input
        compute(res, wanted, echo=echo)
        opts = WriteOptions(
            formats=tuple(project.output.formats),
            csv_encoding=project.output.csv_encoding,
            lang=project.output.lang,
        )
        written: list[Path] = []
        for step in STEPS:
            result = getattr(res, step.attr)
            if step.name not in wanted or result is None:
                continue
            files = step.write_result(result, out if flat else out / step.folder, opts)
            res.files[step.name] = files
            written.extend(files.values())
        if maps and ({"png", "pdf", "html"} & set(opts.formats)):
            t0 = time.perf_counter()
            files = render_maps(res, out if flat else out / "maps", opts)
            if files:
                res.files["maps"] = files
                written.extend(files.values())
                res.timings["maps"] = time.perf_counter() - t0
                echo(f"[maps] done in {res.timings['maps']:.1f} s")
        if reports:
            t0 = time.perf_counter()
            files = write_reports(res, out, opts)
            res.files["reports"] = files
            written.extend(files.values())
            res.timings["reports"] = time.perf_counter() - t0
        written.append(write_manifest(res, out, written, started=started))
        _remove_stale(out, old, set(written), force=force)
    return res


def compute(res: RunResult, steps: Iterable[str], *, echo: Callable[[str], None] = print) -> RunResult:
    """Read the inputs and run ``steps`` in memory (no file is written); returns ``res`` filled in."""
    from basin._progress import track

    wanted = list(steps)
    t0 = time.perf_counter()
    load_inputs(res)
    res.timings["inputs"] = time.perf_counter() - t0
    for step in track([s for s in STEPS if s.name in wanted], "basin run"):
        t0 = time.perf_counter()
        try:
            result = step.run(res)
        except Skipped as sk:
            res.skipped.append(Skip(sk.what, sk.reason, sk.how))
            echo(f"[{step.name}] skipped: {sk.reason}; {sk.how}")
            continue
        setattr(res, step.attr, result)
        res.timings[step.name] = time.perf_counter() - t0
        echo(f"[{step.name}] done in {res.timings[step.name]:.1f} s")
    return res


def compute_project(
    project: Project,
    *,
    steps: Iterable[str] | None = None,
    options: dict[str, Any] | None = None,
    echo: Callable[[str], None] = print,
) -> RunResult:
    """Run the steps of ``project`` in memory and return the results without writing anything."""
    wanted = list(steps) if steps is not None else list(STEP_NAMES)
    res = RunResult(project=project, options=dict(options or {}))
    return compute(res, wanted, echo=echo)


def render_maps(res: RunResult, folder: Path, opts: WriteOptions) -> dict[str, Path]:
    """Draw the run's maps (static PNG/PDF and the web map) from the results in memory."""
    from basin.maps.render import render_maps as _render

    return _render(res, folder, opts)


def write_reports(res: RunResult, outdir: Path, opts: WriteOptions) -> dict[str, Path]:
    """Write the run summary, the index page, the workbook and the Word report at the top of ``outdir``."""
    from basin.io import write_json
    from basin.reports import write_run_reports

    files = {"summary": write_json(res.summary(), outdir / "summary.json")}
    files.update(write_run_reports(res, outdir, opts))
    return files


__all__ = [
    "STEPS",
    "STEP_NAMES",
    "RunResult",
    "Skip",
    "Skipped",
    "Source",
    "Step",
    "WriteOptions",
    "compute",
    "compute_project",
    "load_inputs",
    "run_project",
    "sha256_file",
    "source_of",
]
