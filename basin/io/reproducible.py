"""Byte-identical outputs: the same inputs give the same bytes in every file basin writes.

Every writer takes its timestamps from :func:`fixed_datetime`: ``SOURCE_DATE_EPOCH`` (the convention of
reproducible builds, https://reproducible-builds.org/specs/source-date-epoch/) when it is set, else
2000-01-01T00:00:00Z. The real run time is recorded only in the manifest (:mod:`basin.io.manifest`).

- GeoPackage: GDAL's ``OGR_CURRENT_DATE`` (``gpkg_contents.last_change``) - :func:`gdal_dates`.
- GeoJSON: the ``name`` member is the layer name, never the temporary file's name (see
  :func:`basin.io.atomic.write_vector`).
- PDF / SVG / PNG: :func:`figure_metadata` (a fixed ``CreationDate``, no ``Date`` in SVG, a fixed SVG id
  salt); PNG carries no date.
- HTML maps (folium): :func:`counted_ids` numbers the element ids in creation order (folium draws them at
  random); ``basin.maps.web.web_map`` builds and renders inside it. Renumbering a finished map is not
  enough: basin's scripts bake element names in when the map is built.
- Office files: for docx (python-docx) :func:`normalise_zip` fixes the zip entries' times and the
  document's created/modified dates; the workbook (XlsxWriter, :mod:`basin.reports.workbook`) is written
  with the document dates of :func:`fixed_datetime` and XlsxWriter's fixed zip entry times (1980-01-31).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import itertools
import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from basin._errors import DataError

#: The date used when ``SOURCE_DATE_EPOCH`` is not set.
DEFAULT_DATE = _dt.datetime(2000, 1, 1, tzinfo=_dt.UTC)

__all__ = [
    "DEFAULT_DATE",
    "counted_ids",
    "figure_metadata",
    "fixed_datetime",
    "gdal_dates",
    "normalise_zip",
]


def fixed_datetime() -> _dt.datetime:
    """Return the timestamp written into output files (UTC).

    Returns
    -------
    datetime.datetime
        ``SOURCE_DATE_EPOCH`` (seconds since 1970, UTC) when set, else :data:`DEFAULT_DATE`.

    Raises
    ------
    DataError
        ``SOURCE_DATE_EPOCH`` is set but not a whole number of seconds.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or raw.strip() == "":
        return DEFAULT_DATE
    try:
        return _dt.datetime.fromtimestamp(int(raw.strip()), tz=_dt.UTC)
    except (ValueError, OverflowError, OSError) as exc:
        msg = f"SOURCE_DATE_EPOCH={raw[:30]!r} is not a number of seconds since 1970-01-01"
        raise DataError(msg) from exc


@contextlib.contextmanager
def gdal_dates() -> Iterator[None]:
    """Within the block, GDAL writes :func:`fixed_datetime` as the "current date" (GeoPackage metadata).

    Yields
    ------
    None
    """
    import pyogrio

    stamp = fixed_datetime().strftime("%Y-%m-%dT%H:%M:%SZ")
    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": stamp})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})


def figure_metadata(fmt: str) -> dict[str, Any]:
    """Return ``savefig(metadata=...)`` for a reproducible figure file.

    Parameters
    ----------
    fmt
        ``"png"``, ``"pdf"`` or ``"svg"``.

    Returns
    -------
    dict
        PDF: ``Creator`` and a fixed ``CreationDate``; SVG: ``Creator`` and no ``Date``; PNG: ``Software``
        (matplotlib writes no date into a PNG).
    """
    if fmt == "pdf":
        return {"Creator": "basin", "CreationDate": fixed_datetime()}
    if fmt == "svg":
        return {"Creator": "basin", "Date": None}
    return {"Software": "basin"}


def figure_rc() -> dict[str, Any]:
    """Return the matplotlib settings that keep figure files reproducible (the SVG id salt).

    Returns
    -------
    dict
        For ``matplotlib.rc_context``.
    """
    return {"svg.hashsalt": "basin"}


@contextlib.contextmanager
def counted_ids(prefix: str = "r") -> Iterator[None]:
    """Within the block, new branca/folium elements get counted ids (``r0001`` …) instead of random ones.

    Yields
    ------
    None
    """
    from branca.element import Element

    counter = itertools.count(1)
    original = Element.__dict__["_generate_id"]
    Element._generate_id = classmethod(lambda cls: f"{prefix}{next(counter):04d}")  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Element._generate_id = original  # type: ignore[method-assign]


_CORE_DATE = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def normalise_zip(path: str | os.PathLike[str]) -> Path:
    """Rewrite an Office file (xlsx, docx: a zip) with fixed entry times and document dates, in place.

    openpyxl and python-docx stamp the zip entries and ``docProps/core.xml`` with the time of writing. Call
    this on the temporary file inside :func:`basin.io.atomic.atomic_path`, before it is moved into place.

    Parameters
    ----------
    path
        The zip file.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    p = Path(path)
    when = fixed_datetime()
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    zip_time = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    with zipfile.ZipFile(p) as zin:
        entries = [(info, zin.read(info.filename)) for info in zin.infolist()]
    tmp = p.with_name(p.name + ".zip-tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zout:
            for info, data in entries:
                if info.filename == "docProps/core.xml":
                    data = _CORE_DATE.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
                new = zipfile.ZipInfo(info.filename, date_time=zip_time)
                new.compress_type = zipfile.ZIP_DEFLATED
                new.external_attr = 0o600 << 16
                new.create_system = 3
                zout.writestr(new, data)
        os.replace(tmp, p)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return p
