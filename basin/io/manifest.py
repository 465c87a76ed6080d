"""What the run manifest (``manifest.json``) records besides the run's own data: file digests, library versions.

The manifest itself is written by :func:`basin.run.write_manifest` (layout in ``docs/reliability.md``). It is
the one output that holds the run time; every other file is byte-identical for the same inputs
(:mod:`basin.io.reproducible`).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
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

__all__ = ["MANIFEST_NAME", "MANIFEST_VERSION", "file_digest", "library_versions"]


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
