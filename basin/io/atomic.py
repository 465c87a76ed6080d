"""Write outputs atomically, never over an input, under a lock, with file names safe to use.

- :func:`atomic_path` writes to a hidden ``.NAME.part.XXXXXXXX.SUFFIX`` file beside the target and moves it
  onto the target only when the block succeeds; the partial file is removed on an error and on SIGTERM
  (:func:`remove_active_partials`, called by the CLI's signal handler); left-overs of a killed run
  (SIGKILL, power cut) are removed by the next run in the same folder (:func:`clean_partials`).
- :func:`ensure_not_input` refuses an output that is an input, by resolved path *and* by inode (a hard
  link or a second mount of the same file); :func:`protect_inputs` registers inputs so that *every* write
  through this module is checked against them.
- :func:`basin.io.lock.output_lock` keeps two runs out of one output folder and calls :func:`clean_partials`.
- :func:`basin.io.names.safe_filename` turns text from the data (station ids, river names) into a file name.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from basin._errors import DataError
from basin.io.reproducible import gdal_dates

_PART = re.compile(r"^\..+\.part\.[A-Za-z0-9_]{8}(\..*)?$")
_SIDECARS = ("-journal", "-wal", "-shm", ".aux.xml")
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qmd", ".shp.xml")

_LOCK = threading.Lock()
_ACTIVE: set[Path] = set()
_PROTECTED: list[tuple[Path, tuple[int, int] | None]] = []


# ------------------------------------------------------------------------------------------ inputs
def _identity(path: Path) -> tuple[Path, tuple[int, int] | None]:
    resolved = path.resolve()
    try:
        st = os.stat(resolved)
    except OSError:
        return resolved, None
    return resolved, (st.st_dev, st.st_ino)


def _expand_input(path: Path) -> list[Path]:
    """Return an input and the files that belong to it (the parts of a shapefile)."""
    out = [path]
    name = path.name.lower()
    if name.endswith(".shp"):
        stem = path.name[: -len(".shp")]
        out += [path.with_name(stem + ext) for ext in _SHAPEFILE_PARTS if ext != ".shp"]
        out += [path.with_name(stem + ext.upper()) for ext in _SHAPEFILE_PARTS if ext != ".shp"]
    return out


def _is_input(out: Path, inputs: Iterable[tuple[Path, tuple[int, int] | None]]) -> Path | None:
    out_p, out_id = _identity(out)
    for inp, inp_id in inputs:
        if inp == out_p or (out_id is not None and inp_id is not None and inp_id == out_id):
            return inp
        # an input folder (a FileGDB .gdb, a folder of shapefiles) holds its layers: never write into it
        if inp_id is not None and inp == out_p.parent and inp.is_dir():
            return inp
    return None


def ensure_not_input(out: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str] | None]) -> None:
    """Raise :class:`DataError` when ``out`` is one of ``inputs`` (basin never overwrites an input).

    The check compares resolved paths (symbolic links, ``..``) and file identities (device and inode: a hard
    link to an input is the input), covers the parts of a shapefile (``x.dbf`` of an input ``x.shp``) and
    refuses a path inside an input folder. The inputs registered with :func:`protect_inputs` are checked too.

    Parameters
    ----------
    out
        The output path.
    inputs
        Input paths (None entries are ignored).

    Raises
    ------
    DataError
        ``refusing to write OUT: it is the input INPUT; choose another output path``.
    """
    ids = [_identity(p) for inp in inputs if inp is not None for p in _expand_input(Path(inp))]
    with _LOCK:
        ids += list(_PROTECTED)
    hit = _is_input(Path(out), ids)
    if hit is not None:
        same = "it is an input file" if hit == Path(out).resolve() else f"it is the input {hit}"
        if hit.is_dir() and hit != Path(out).resolve():
            same = f"it is inside the input folder {hit}"
        msg = f"refusing to write {out}: {same}; choose another output path"
        raise DataError(msg)


@contextlib.contextmanager
def protect_inputs(inputs: Iterable[str | os.PathLike[str] | None]) -> Iterator[None]:
    """Within the block, refuse every write of this module onto one of ``inputs``.

    See :func:`ensure_not_input` for what counts as the same file.

    Parameters
    ----------
    inputs
        Every input of the run: layers, tables, mapping, rules, scheme, config and project files.

    Yields
    ------
    None
    """
    ids = [_identity(p) for inp in inputs if inp is not None for p in _expand_input(Path(inp))]
    with _LOCK:
        start = len(_PROTECTED)
        _PROTECTED.extend(ids)
    try:
        yield
    finally:
        with _LOCK:
            del _PROTECTED[start : start + len(ids)]


# ------------------------------------------------------------------------------------------ partial files
def _forget(tmp: Path) -> None:
    with _LOCK:
        _ACTIVE.discard(tmp)
    for p in (tmp, *(tmp.with_name(tmp.name + s) for s in _SIDECARS)):
        with contextlib.suppress(OSError):
            p.unlink()


def remove_active_partials() -> list[Path]:
    """Remove the partial files being written now (called on SIGTERM); return their paths."""
    with _LOCK:
        active = sorted(_ACTIVE)
    for tmp in active:
        _forget(tmp)
    return active


def clean_partials(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the partial files (``.NAME.part.XXXXXXXX.SUFFIX``) that a killed run left in ``folder``.

    Parameters
    ----------
    folder
        An output folder (searched recursively; a missing folder has none).

    Returns
    -------
    list of pathlib.Path
        The removed files.
    """
    root = Path(folder)
    if not root.is_dir():
        return []
    with _LOCK:
        active = set(_ACTIVE)
    removed = []
    for path in sorted(root.rglob(".*.part.*")):
        base = path.name
        for s in _SIDECARS:
            base = base.removesuffix(s)
        if _PART.match(base) and path.is_file() and path not in active:
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` only if the block succeeds.

    Parameters
    ----------
    target
        The final path. It is checked against the protected inputs (:func:`protect_inputs`) first.

    Yields
    ------
    pathlib.Path
        A path that does not exist yet, in the same folder, with the same suffix.

    Raises
    ------
    DataError
        ``target`` is an input.
    """
    target = Path(target)
    ensure_not_input(target, ())
    target.parent.mkdir(parents=True, exist_ok=True)
    # the temporary name keeps the real suffix last: GDAL picks and checks the format by it (.gpkg, .geojson)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.part.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # writers such as GDAL want to create the file themselves
    tmp_p = Path(tmp)
    with _LOCK:
        _ACTIVE.add(tmp_p)
    try:
        yield tmp_p
        ensure_not_input(target, ())  # the target may have become a link to an input meanwhile
        os.replace(tmp_p, target)
    finally:
        _forget(tmp_p)


def write_text(text: str, target: str | os.PathLike[str]) -> Path:
    """Write UTF-8 text atomically and return the path."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_json(obj: Any, target: str | os.PathLike[str]) -> Path:
    """Write JSON (UTF-8, Chinese kept as is, indented) atomically."""
    return write_text(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n", target)


def write_csv(
    df: pd.DataFrame, target: str | os.PathLike[str], *, index: bool = False, encoding: str = "utf-8-sig"
) -> Path:
    """Write a CSV atomically (geometry columns are dropped).

    The default encoding is UTF-8 with a byte-order mark (``utf-8-sig``), so that Excel on Windows opens the
    file with its Chinese text intact; ``encoding="utf-8"`` writes plain UTF-8.
    """
    if isinstance(df, gpd.GeoDataFrame):
        df = pd.DataFrame(df.drop(columns=df.geometry.name))
    with atomic_path(target) as tmp:
        df.to_csv(tmp, index=index, encoding=encoding)
    return Path(target)


def write_vector(
    gdf: gpd.GeoDataFrame, target: str | os.PathLike[str], *, layer: str | None = None
) -> Path:
    """Write a vector file (format from the suffix: .gpkg, .geojson, .parquet, .shp) atomically.

    A GeoPackage that already exists at ``target`` is replaced whole, not appended to. GeoJSON is written in
    WGS84 as RFC 7946 asks. The bytes depend only on the data (see :mod:`basin.io.reproducible`).
    """
    target = Path(target)
    suffix = target.suffix.lower()
    with atomic_path(target) as tmp:
        if suffix == ".parquet":
            gdf.to_parquet(tmp)
        elif suffix in {".geojson", ".json"}:
            out = gdf.to_crs(4326) if gdf.crs is not None else gdf
            # the layer name becomes the GeoJSON "name" member: the target's, never the temporary file's
            out.to_file(tmp, driver="GeoJSON", layer=layer or target.stem, engine="pyogrio")
        elif suffix == ".gpkg":
            with gdal_dates():
                gdf.to_file(tmp, driver="GPKG", layer=layer or target.stem, engine="pyogrio")
        else:
            msg = f"cannot write {target}: unknown vector format {suffix!r} (use .gpkg, .geojson or .parquet)"
            raise DataError(msg)
    return target


def write_gpkg_layers(layers: dict[str, gpd.GeoDataFrame], target: str | os.PathLike[str]) -> Path:
    """Write several layers into one GeoPackage atomically (the whole file is replaced)."""
    with atomic_path(target) as tmp, gdal_dates():
        for name, gdf in layers.items():
            gdf.to_file(tmp, driver="GPKG", layer=name, engine="pyogrio")
    return Path(target)
