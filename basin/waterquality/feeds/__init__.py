"""Real station feeds: the national release export and HJ 212-2017 packets, as a long table or a Dataset.

:func:`parse_feed` reads any feed file into a :class:`Feed` (long table + rejects + counts), :func:`read_feed`
returns the long table (``station_id, time, parameter, value, flag, status, line``) and :func:`feed_dataset`
turns a feed into the same ``(station, time)`` Dataset as :func:`basin.waterquality.read_wq`, with daily means
of the normal values (flag ``N``, station status 正常). See ``docs/waterquality.md`` ("Station feeds").
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from basin._errors import DataError, SchemaError
from basin.waterquality.feeds.hj212 import iter_packet_lines, packets_to_long
from basin.waterquality.feeds.national import read_national_export, sniff

__all__ = [
    "FEED_LAYOUTS",
    "Feed",
    "detect_layout",
    "feed_dataset",
    "parse_feed",
    "read_feed",
    "station_lookup",
]

Layout = Literal["auto", "long", "wide", "national_export", "hj212"]
FEED_LAYOUTS = ("auto", "long", "wide", "national_export", "hj212")
LONG_COLUMNS = ["station_id", "time", "parameter", "value", "flag", "status", "line"]
NORMAL_STATUS = ("正常", "")


@dataclass
class Feed:
    """A parsed feed: ``long`` (one row per value), ``rejects`` (line, reason, packet) and counts."""

    path: str
    layout: str
    long: pd.DataFrame
    rejects: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)


def detect_layout(path: str | os.PathLike[str], *, encoding: str | None = None) -> str:
    """Return ``"hj212"``, ``"national_export"`` or ``"table"`` (long or wide, decided by the reader)."""
    path = Path(path)
    if path.is_dir() or path.suffix.lower() in {".nc", ".nc4", ".netcdf", ".zarr"}:
        return "table"
    if path.suffix.lower() not in {".xlsx", ".xlsm", ".xls"}:
        try:
            with path.open("rb") as f:
                head = f.read(4096)
        except OSError as exc:
            msg = f"{path}: cannot read: {exc}"
            raise DataError(msg) from exc
        if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"##"):
            return "hj212"
    if sniff(path, encoding=encoding):
        return "national_export"
    return "table"


def station_lookup(stations: Any) -> tuple[dict[str, str] | None, dict[str, str] | None]:
    """Return ``(mn -> station_id, name -> station_id)`` of a stations table (None when not given).

    ``mn`` comes from a ``mn`` column (HJ 212 equipment code); without it the MN must be the station_id.
    """
    if stations is None:
        return None, None
    sid = stations["station_id"].astype(str)
    if "mn" in stations.columns:
        mn = stations["mn"].astype("string").fillna("").str.strip()
        have = mn != ""
        dup = mn[have][mn[have].duplicated()]
        if len(dup):
            msg = f"stations: column 'mn' has duplicate code(s) {sorted(set(dup))[:10]}"
            raise SchemaError(msg)
        mn_map = dict(zip(mn[have], sid[have], strict=True))
        mn_map.update({s: s for s in sid if s not in mn_map.values()})
    else:
        mn_map = {s: s for s in sid}
    name_map = None
    if "name" in stations.columns:
        names = stations["name"].astype("string").fillna("").str.strip()
        have = names != ""
        dup = names[have][names[have].duplicated()]
        if len(dup):
            msg = (
                f"stations: several stations are named {sorted(set(dup))[:10]}; "
                "names must be unique to match the export"
            )
            raise SchemaError(msg)
        name_map = dict(zip(names[have], sid[have], strict=True))
    return mn_map, name_map


def _table_feed(
    path: Path, stations: Any, *, layout: str, encoding: str | None, sheet: str | int | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long/wide tables through the reader's own checks (line numbers and reasons kept)."""
    from basin.waterquality import reader

    long, unknown, _notes, file_dl, mp = reader._read_wq_table(
        path, mapping=None, layout=layout, header_row=None, encoding=encoding, sheet=sheet
    )
    if unknown:
        msg = f"{path}: unknown parameter column(s) {unknown[:20]}"
        raise SchemaError(msg)
    if "unit" not in long.columns:
        long = long.assign(unit="")
    if stations is not None and len(long):
        long, _note = reader._names_to_ids(long, stations)
    ids = set(stations["station_id"].astype(str)) if stations is not None else None
    checked = reader._validate_long(
        long, ids, detection_limits=file_dl, excel=path.suffix.lower() in {".xlsx", ".xlsm", ".xls"}
    )
    bad = checked[checked["reason"].notna()]
    rejects = pd.DataFrame(
        {
            "line": bad["_line"].to_numpy(),
            "reason": bad["reason"].to_numpy(),
            "packet": (
                bad["station_id"].astype(str)
                + ","
                + bad["time"].astype(str)
                + ","
                + bad["parameter"].astype(str)
                + ","
                + bad["value"].astype(str)
            ).to_numpy(),
        }
    )
    good = checked[checked["reason"].isna()]
    flag = np.where(good["below"].to_numpy(bool), "L", "N")
    out = pd.DataFrame(
        {
            "station_id": good["station_id"].astype(str).to_numpy(),
            "time": pd.to_datetime(good["time"]).to_numpy("datetime64[ns]"),
            "parameter": good["code"].to_numpy(object),
            "value": good["value_c"].to_numpy(float),
            "flag": flag,
            "status": "",
            "line": good["_line"].to_numpy(),
        }
    )
    return out, rejects


def _mark_duplicates(long: pd.DataFrame, rejects: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    key = ["station_id", "time", "parameter"]
    dup = long.duplicated(key, keep="first")
    if not dup.any():
        return long, rejects
    first = long[~dup].set_index(key)["line"]
    d = long[dup]
    lines = first.reindex(pd.MultiIndex.from_frame(d[key])).to_numpy()
    extra = pd.DataFrame(
        {
            "line": d["line"].to_numpy(),
            "reason": [
                f"duplicate sample: {p} of station {s} at {t} already on line {ln}"
                for s, t, p, ln in zip(d["station_id"], d["time"], d["parameter"], lines, strict=True)
            ],
            "packet": "",
        }
    )
    return long[~dup].reset_index(drop=True), pd.concat([rejects, extra], ignore_index=True)


def parse_feed(
    path: str | os.PathLike[str],
    *,
    layout: Layout | str = "auto",
    year: int | None = None,
    stations: Any = None,
    codes: pd.DataFrame | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> Feed:
    """Read a feed file into a :class:`Feed`; bad rows and packets go to ``rejects`` with their reason.

    Parameters
    ----------
    path
        A release export (CSV/Excel), an HJ 212 packet file (one packet a line), or a long/wide table.
    layout
        ``"auto"`` (by the content: ``##`` packets, the export's header, else a table), ``"national_export"``,
        ``"hj212"``, ``"long"`` or ``"wide"``.
    year
        Year of the export's first row (required for ``national_export``).
    stations
        Stations table: ``mn`` maps HJ 212 equipment codes, ``name`` maps export section names, both to
        ``station_id``; codes and names not in it are rejected.
    codes
        Replacement HJ 212 pollutant-code table (:func:`basin.waterquality.feeds.hj212.code_table`).

    Raises
    ------
    DataError
        Missing or unreadable file.
    SchemaError
        Unknown layout; export without ``year`` or without its columns; table without station_id/time.
    """
    path = Path(path)
    if not path.exists():
        msg = f"{path}: no such file or directory"
        raise DataError(msg)
    if layout not in FEED_LAYOUTS:
        msg = f"layout must be one of {', '.join(FEED_LAYOUTS)}, got {str(layout)[:60]!r}"
        raise SchemaError(msg)
    kind = detect_layout(path, encoding=encoding) if layout == "auto" else layout
    mn_map, name_map = station_lookup(stations)
    info: dict[str, Any] = {}
    if kind == "hj212":
        long, rejects, counts = packets_to_long(iter_packet_lines(path), mn_map=mn_map, codes=codes)
        info.update(counts)  # packets = lines read (good or bad)
        info["packets"] = counts["lines"]
    elif kind == "national_export":
        long, rejects, info = read_national_export(
            path, year=year, station_names=name_map, encoding=encoding, sheet=sheet
        )
    else:
        long, rejects = _table_feed(
            path, stations, layout="auto" if kind == "table" else kind, encoding=encoding, sheet=sheet
        )
        kind = "table" if layout == "auto" else kind
    long, rejects = _mark_duplicates(long, rejects)
    rejects = rejects.sort_values("line", kind="stable").reset_index(drop=True)
    return Feed(str(path), kind, long, rejects, info)


def read_feed(
    path: str | os.PathLike[str],
    *,
    layout: Layout | str = "auto",
    year: int | None = None,
    stations: Any = None,
    on_invalid: Literal["raise", "report"] = "raise",
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Return the long table of a feed: ``station_id, time, parameter, value, flag, status, line``.

    ``time`` is naive China Standard Time (as the feeds give it); ``flag`` is the HJ 212 data flag (``N``
    normal) or ``N``/``L`` (below the detection limit) for tables; ``status`` the export's 站点情况 (empty for
    packets and tables). Rejected rows raise :class:`SchemaError` (``on_invalid="raise"``), or come back as a
    second table ``line, reason, packet`` (``"report"``). See :func:`parse_feed` for the other arguments.
    """
    feed = parse_feed(path, layout=layout, year=year, stations=_stations(stations))
    long = feed.long[LONG_COLUMNS].copy() if len(feed.long.columns) else pd.DataFrame(columns=LONG_COLUMNS)
    if on_invalid == "report":
        return long, feed.rejects
    if len(feed.rejects):
        _raise(feed.rejects, Path(path))
    return long


def _stations(stations: Any) -> Any:
    from basin.waterquality.reader import _load_stations

    return _load_stations(stations)


def _raise(rejects: pd.DataFrame, path: Path) -> None:
    from basin.waterquality.reader import _raise_rejected

    _raise_rejected(rejects, path)


def feed_dataset(feed: Feed, *, stations: Any = None) -> tuple[xr.Dataset, pd.DataFrame]:
    """Build the ``(station, time)`` Dataset of a feed: daily means of the normal values.

    A value counts when its flag is ``N`` (or ``L``, below the detection limit, from tables) and the station
    status is 正常 (or not given); the others are left out and counted in ``ds.attrs["excluded"]`` (JSON, by
    flag and status). The 4-hourly/hourly values of a day are averaged (``ds.attrs["aggregation"]``)
    before any period mean. Returns ``(ds, rejects)`` with the rejects in :func:`read_wq`'s report layout
    (line, station_id, time, parameter, value, unit, reason).
    """
    from basin.waterquality.reader import _build_dataset

    long = feed.long
    path = Path(feed.path)
    ok = long["flag"].isin(["N", "L"]) & long["status"].isin(NORMAL_STATUS)
    excluded = long[~ok]
    counts = {
        "by_flag": {
            str(k): int(v) for k, v in excluded["flag"].value_counts().items() if k not in ("N", "L")
        },
        "by_status": {
            str(k): int(v) for k, v in excluded["status"].value_counts().items() if k not in NORMAL_STATUS
        },
        "values": len(excluded),
    }
    use = long[ok]
    if use.empty:
        msg = f"{path}: no normal values (flag N and station status 正常) to build a series from"
        raise SchemaError(msg)
    day = use["time"].dt.floor("D")
    g = use.assign(day=day, below=use["flag"] == "L").groupby(["station_id", "day", "parameter"], sort=True)
    agg = g.agg(value_c=("value", "mean"), n=("value", "size"), below=("below", "all")).reset_index()
    good = pd.DataFrame(
        {
            "station_id": agg["station_id"].astype(str).to_numpy(object),
            "time": agg["day"].to_numpy("datetime64[ns]"),
            "code": agg["parameter"].to_numpy(object),
            "value_c": agg["value_c"].to_numpy(float),
            "below": agg["below"].to_numpy(bool),
        }
    )
    ds = _build_dataset(good, stations, path)
    per_day = agg["n"]
    ds.attrs.update(
        {
            "layout": feed.layout,
            "aggregation": (
                f"daily means of {len(use)} normal values ({per_day.min()}-{per_day.max()} per station, day "
                "and parameter)"
            ),
            "excluded": json.dumps(counts, ensure_ascii=False),
        }
    )
    rej = feed.rejects
    rejects = pd.DataFrame(
        {
            "line": rej["line"].to_numpy(),
            "station_id": "",
            "time": "",
            "parameter": "",
            "value": rej["packet"].to_numpy(),
            "unit": "",
            "reason": rej["reason"].to_numpy(),
        }
    )
    return ds, rejects


def feed_report(
    path: str | os.PathLike[str],
    *,
    layout: Layout | str = "auto",
    year: int | None = None,
    stations: Any = None,
    standard: Any = None,
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Return the feed's own checks for ``basin wq assess``: tables and a summary.

    For a national export: ``class_check`` (every compared sample: the file's 水质类别 against basin's class,
    :func:`~basin.waterquality.feeds.national.compare_classes`) and ``class_disagreements`` (the rows that
    differ); the summary gives the agreement, the counts of ``--`` and ``*`` and of the station statuses, and
    the values left out of the statistics (status not 正常, HJ 212 flag not N).
    """
    from basin.waterquality.feeds.national import compare_classes

    st = _stations(stations)
    feed = parse_feed(path, layout=layout, year=year, stations=st)
    tables: dict[str, pd.DataFrame] = {}
    ok = feed.long["flag"].isin(["N", "L"]) & feed.long["status"].isin(NORMAL_STATUS)
    summary: dict[str, Any] = {
        "layout": feed.layout,
        "values": len(feed.long),
        "excluded_values": int((~ok).sum()),
        "excluded_by_flag": {str(k): int(v) for k, v in feed.long.loc[~ok, "flag"].value_counts().items()},
        "rejected": len(feed.rejects),
    }
    if feed.layout == "national_export":
        wb: dict[str, str] | str = "river"
        if st is not None and "waterbody" in st.columns:
            wb = dict(zip(st["station_id"].astype(str), st["waterbody"].astype(str), strict=True))
        table, agreement = compare_classes(feed.long, feed.info["samples"], waterbody=wb, standard=standard)
        tables["class_check"] = table
        tables["class_disagreements"] = table[~table["agree"]].reset_index(drop=True)
        summary.update(
            {
                "class_agreement": agreement,
                "missing": feed.info["missing"],
                "not_measured": feed.info["not_measured"],
                "status": feed.info["status"],
            }
        )
    elif feed.layout == "hj212":
        summary["packets"] = feed.info.get("packets", 0)
    return tables, summary
