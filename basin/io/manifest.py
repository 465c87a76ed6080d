"""The run manifest (``manifest.json``): what went in, what came out, with which versions and options.

The manifest is the one output that holds the run time; every other file is byte-identical for the same
inputs (:mod:`basin.io.reproducible`). Layout::

    {
      "manifest_version": 1,
      "basin_version": "0.1.0",
      "run": {"written_utc": "...", "started_utc": "...", "seconds": 12.3, "command": "basin run ..."},
      "platform": {"python": "3.11.9", "system": "Linux-..."},
      "libraries": {"numpy": "...", "GDAL": "...", "PROJ": "...", ...},
      "versions": {"standard": "GB3838-2002", "rules": {...}, "scheme:...": {...}, "config": {...}},
      "options": {...},
      "inputs": {"rivers": {"path": "...", "sha256": "...", "bytes": 123}, "wq": null, ...},
      "outputs": [{"path": "zones/zones.gpkg", "sha256": "...", "bytes": 456}, ...]
    }

Output paths are relative to the output folder; input paths are absolute (resolved).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata
import os
import platform
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from basin._errors import DataError

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
#: Distributions whose versions are recorded (those that shape the results or the files).
LIBRARIES = (
    "numpy",
    "pandas",
    "geopandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "xarray",
    "scipy",
    "pymannkendall",
    "ruptures",
    "dask",
    "numba",
    "rasterio",
    "exactextract",
    "pyflwdir",
    "matplotlib",
    "folium",
    "openpyxl",
    "xlsxwriter",
    "python-docx",
    "pyyaml",
)

__all__ = ["MANIFEST_NAME", "file_digest", "library_versions", "write_manifest"]


def file_digest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return ``{"sha256", "bytes"}`` of a file; of a folder (a FileGDB), over its files in name order.

    Parameters
    ----------
    path
        A file or folder.

    Returns
    -------
    dict
        ``sha256`` (hex) and ``bytes`` (total size); a folder also gets ``files`` (their number).

    Raises
    ------
    DataError
        The path does not exist or cannot be read.
    """
    p = Path(path)
    h = hashlib.sha256()
    try:
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file())
            size = 0
            for f in files:
                h.update(f.relative_to(p).as_posix().encode("utf-8") + b"\0")
                size += _update(h, f)
            return {"sha256": h.hexdigest(), "bytes": size, "files": len(files)}
        size = _update(h, p)
    except OSError as exc:
        msg = f"cannot read {p} for the manifest: {exc.strerror or exc}"
        raise DataError(msg) from exc
    return {"sha256": h.hexdigest(), "bytes": size}


def _update(h: Any, path: Path) -> int:
    size = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return size


def library_versions() -> dict[str, str | None]:
    """Return the versions of the libraries of :data:`LIBRARIES` and of GDAL and PROJ (None if absent).

    Returns
    -------
    dict
        Distribution name -> version.
    """
    out: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    try:
        import pyogrio

        out["GDAL"] = str(pyogrio.__gdal_version_string__)
    except (ImportError, AttributeError):
        out["GDAL"] = None
    try:
        import pyproj

        out["PROJ"] = str(pyproj.proj_version_str)
    except (ImportError, AttributeError):
        out["PROJ"] = None
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _utc(when: _dt.datetime | None) -> str | None:
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.astimezone()
    return when.astimezone(_dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def write_manifest(
    outdir: str | os.PathLike[str],
    *,
    inputs: Mapping[str, str | os.PathLike[str] | None],
    outputs: Iterable[str | os.PathLike[str]],
    options: Mapping[str, Any],
    versions: Mapping[str, Any],
    started: _dt.datetime | None = None,
    command: str | None = None,
) -> Path:
    """Write ``outdir/manifest.json`` (atomically) and return its path.

    Parameters
    ----------
    outdir
        The output folder.
    inputs
        Input name (``rivers``, ``wq``, ``rules``, ``scheme:chongqing_target_trend``, ``project`` …) -> path
        (None: not given; recorded as null). Each file gets its SHA-256 and size.
    outputs
        The files written (absolute, or relative to ``outdir``); recorded relative to ``outdir``, sorted,
        with SHA-256 and size. The manifest itself and the lock file are left out.
    options
        Every option of the run (paths become text).
    versions
        Versions of the standard, rules, schemes and configuration used (name -> version or a dict such
        as ``Scheme.provenance()``).
    started
        When the run started (for the run time).
    command
        The command line, if the run came from one.

    Returns
    -------
    pathlib.Path
        The manifest.

    Raises
    ------
    DataError
        An input or output cannot be read.
    """
    from basin import __version__
    from basin.io.atomic import write_json
    from basin.io.lock import LOCK_NAME

    root = Path(outdir)
    now = _dt.datetime.now(_dt.UTC)
    ins: dict[str, Any] = {}
    for name, path in inputs.items():
        if path is None:
            ins[str(name)] = None
            continue
        p = Path(path)
        ins[str(name)] = {"path": str(p.resolve()), **file_digest(p)}
    outs: dict[str, dict[str, Any]] = {}
    for path in outputs:
        p = Path(path)
        full = p if p.is_absolute() else root / p
        try:
            rel = full.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            rel = str(full.resolve())  # written outside the folder (an explicit path): recorded as is
        if Path(rel).name in (MANIFEST_NAME, LOCK_NAME):
            continue
        outs[rel] = {"path": rel, **file_digest(full)}
    run: dict[str, Any] = {"written_utc": _utc(now)}
    if started is not None:
        run["started_utc"] = _utc(started)
        start = started if started.tzinfo is not None else started.astimezone()
        run["seconds"] = round((now - start).total_seconds(), 3)
    if command is not None:
        run["command"] = command
    doc = {
        "manifest_version": MANIFEST_VERSION,
        "basin_version": __version__,
        "run": run,
        "platform": {"python": platform.python_version(), "system": platform.platform()},
        "libraries": library_versions(),
        "versions": _jsonable(dict(versions)),
        "options": _jsonable(dict(options)),
        "inputs": ins,
        "outputs": [outs[k] for k in sorted(outs)],
    }
    return write_json(doc, root / MANIFEST_NAME)
