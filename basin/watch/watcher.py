"""The watcher's run: ingest what is new, evaluate the warning rules on it, trace new alarms, write outputs.

One pass (:func:`watch_once`) is what ``basin watch --once`` (cron) does; ``--interval`` repeats it and
``--listen`` calls :func:`evaluate_batch` after every batch of packets received over TCP.

Re-evaluation of late and out-of-order data: the rules run on every station's values from ``lookback`` before
the earliest new value up to the latest one, with the warnings still open in the store, so an episode that a
late value extends is extended (one warning per episode, never one per sample).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from basin._errors import BasinError
from basin.io import write_csv, write_json, write_text
from basin.watch.ingest import IngestSummary, ingest_paths
from basin.watch.store import FeedStore

__all__ = ["TRACED_KINDS", "WatchContext", "evaluate_batch", "watch_once", "write_outputs"]

#: rule kinds whose new warnings are traced upstream (pollution, not data problems)
TRACED_KINDS = ("class_exceedance", "sudden_change", "sustained_shift")
DEFAULT_LOOKBACK = timedelta(days=30)
#: the watcher's own tables in OUT (never read back as feeds when OUT is a feed folder)
OUTPUT_TABLES = ("warnings.csv", "candidates.csv", "rejects.csv")


@dataclass
class WatchContext:
    """The layers and choices a watcher works with; every layer is optional (what is missing is skipped)."""

    stations: gpd.GeoDataFrame | pd.DataFrame | None = None
    rivers: gpd.GeoDataFrame | None = None
    facilities: gpd.GeoDataFrame | None = None
    admin: gpd.GeoDataFrame | None = None
    sections: gpd.GeoDataFrame | None = None
    flows: pd.DataFrame | None = None
    rules: Any = None
    standard: str | None = None
    skipped: list[str] = field(default_factory=list)
    _network: Any = None

    def network(self) -> Any:
        """Return the river network prepared for tracing (built once), or None when it cannot be built."""
        if self._network is None and self.rivers is not None and self.stations is not None:
            from basin.watch.trace import Network

            try:
                self._network = Network.from_layers(
                    self.rivers,
                    stations=self.stations if isinstance(self.stations, gpd.GeoDataFrame) else None,
                    facilities=self.facilities,
                    sections=self.sections,
                    admin=self.admin,
                    flows=self.flows,
                )
            except BasinError as exc:
                self.skipped.append(f"source tracing skipped: the river network cannot be used ({exc})")
                self._network = False
        return self._network or None


def _stations_table(ctx: WatchContext, obs: pd.DataFrame) -> pd.DataFrame:
    if ctx.stations is not None:
        return ctx.stations
    ids = sorted(set(obs["station_id"].astype(str)))
    return pd.DataFrame({"station_id": ids, "target_class": pd.NA})


def evaluate_batch(
    store: FeedStore,
    batch_id: int,
    ctx: WatchContext,
    *,
    lookback: timedelta = DEFAULT_LOOKBACK,
    now: Any = None,
) -> dict[str, Any]:
    """Evaluate the warning rules on what a batch added; trace new alarms; keep warnings, candidates, notices.

    Returns
    -------
    dict
        ``warnings_new``, ``warnings_updated``, ``warnings_closed``, ``traced``, ``notices`` (warning ids).
    """
    from basin.watch.rules import load_warning_rules
    from basin.watch.trace import crossborder_notice, trace_sources
    from basin.watch.warnings import evaluate_warnings

    out: dict[str, Any] = {
        "warnings_new": [],
        "warnings_updated": [],
        "warnings_closed": [],
        "traced": [],
        "notices": [],
    }
    changed = store.changed(batch_id)
    if changed.empty:
        return out
    start = changed["start"].min() - lookback
    end = changed["end"].max()
    obs = store.observations(start=start, end=end)
    stations = _stations_table(ctx, obs)
    known = set(stations["station_id"].astype(str))
    obs = obs[obs["station_id"].isin(known)]
    open_w = store.warnings(status="open")
    before = open_w.set_index("warning_id")["status"].to_dict()
    warnings = evaluate_warnings(
        obs,
        stations,
        rules=ctx.rules,
        open_warnings=open_w if len(open_w) else None,
        now=now,
        standard=ctx.standard,
    )
    # keep what is new or changed (the open warnings come back too, possibly unchanged)
    new_ids, upd_ids = store.save_warnings(warnings, batch_id=batch_id)
    out["warnings_new"], out["warnings_updated"] = new_ids, upd_ids
    closed = warnings[(warnings["status"] == "closed") & warnings["warning_id"].isin(list(before))]
    out["warnings_closed"] = closed["warning_id"].tolist()
    wr = load_warning_rules(ctx.rules)
    kinds = {r.id: r.kind for r in wr.rules}
    rank = {lv.name: lv.rank for lv in wr.levels}
    to_trace = warnings[
        warnings["warning_id"].isin(new_ids)
        & warnings["rule_id"].map(kinds).isin(TRACED_KINDS)
        & (warnings["parameter"] != "*")
    ]
    if to_trace.empty:
        return out
    net = ctx.network()
    if net is None:
        if ctx.rivers is None:
            msg = "source tracing skipped: no rivers layer (give --project with layers.rivers, or --rivers)"
            if msg not in ctx.skipped:
                ctx.skipped.append(msg)
        return out
    # one trace per episode: the new warnings of a station and parameter whose times overlap (several rules
    # firing on one pulse) share the trace of the most severe one, and one notice
    for group in _episodes(to_trace, rank):
        w = group.iloc[0]
        try:
            cand = trace_sources(w, rivers=net, obs=obs)
        except BasinError as exc:  # e.g. the warned station is not on the network
            ctx.skipped.append(f"warning {w['warning_id']}: not traced ({exc})")
            continue
        for wid in group["warning_id"]:
            store.save_candidates(str(wid), cand, batch_id=batch_id)
            out["traced"].append(str(wid))
        notice = crossborder_notice(w, cand, sections=ctx.sections, admin=ctx.admin)
        if notice is not None:
            notice["warnings"] = group["warning_id"].astype(str).tolist()
            store.save_notice(str(w["warning_id"]), notice, batch_id=batch_id)
            out["notices"].append(str(w["warning_id"]))
    return out


def _episodes(warnings: pd.DataFrame, rank: dict[str, int]) -> list[pd.DataFrame]:
    """Group warnings of one station and parameter whose [first, last] times overlap; most severe first."""
    groups: list[pd.DataFrame] = []
    w = warnings.assign(_rank=warnings["level"].map(rank).fillna(-1))
    for _, g in w.sort_values("first_time").groupby(["station_id", "parameter"], sort=True):
        cur: list[int] = []
        end = None
        for i, r in g.iterrows():
            if end is not None and r["first_time"] > end:
                groups.append(g.loc[cur])
                cur, end = [], None
            cur.append(i)
            end = r["last_time"] if end is None else max(end, r["last_time"])
        if cur:
            groups.append(g.loc[cur])
    return [
        x.sort_values(["_rank", "first_time"], ascending=[False, True], kind="stable").drop(columns="_rank")
        for x in groups
    ]


def _feature_collection(gdf: gpd.GeoDataFrame | None, path: Path) -> Path:
    """Write GeoJSON (WGS84); an empty layer is an empty FeatureCollection (not an error)."""
    from basin.io import write_vector

    if gdf is None or gdf.empty:
        return write_text(json.dumps({"type": "FeatureCollection", "features": []}), path)
    g = gdf.copy()
    for c in g.columns:
        if c != g.geometry.name and pd.api.types.is_datetime64_any_dtype(g[c]):
            g[c] = g[c].dt.strftime("%Y-%m-%d %H:%M")
    return write_vector(g, path)


def _walk(down: dict[str, str], start: str, stop: str, limit: int = 100_000) -> list[str]:
    """Reaches from ``start`` down to ``stop`` (inclusive) along ``downstream_id``; [] when not connected."""
    path = [start]
    cur = start
    for _ in range(limit):
        if cur == stop:
            return path
        nxt = down.get(cur)
        if not nxt:
            return []
        path.append(nxt)
        cur = nxt
    return []


def map_layers(store: FeedStore, ctx: WatchContext, *, top: int = 3) -> dict[str, gpd.GeoDataFrame | None]:
    """Return the web-map layers ``warnings`` (points), ``candidates`` (points), ``traced_reaches``."""
    warnings = store.warnings()
    layers: dict[str, gpd.GeoDataFrame | None] = {
        "warnings": None,
        "candidates": None,
        "traced_reaches": None,
    }
    st = ctx.stations
    if isinstance(st, gpd.GeoDataFrame) and len(warnings):
        pts = st[["station_id", "geometry"]].assign(station_id=st["station_id"].astype(str))
        g = pts.merge(warnings, on="station_id", how="inner")
        layers["warnings"] = gpd.GeoDataFrame(g, geometry="geometry", crs=st.crs)
    cand = store.candidates()
    net = ctx.network() if len(cand) else None
    if len(cand) and net is not None:
        cand = cand[cand["rank"] <= top]
        p = net.points[["id", "geometry"]].drop_duplicates("id")
        g = cand.merge(p, on="id", how="inner")
        layers["candidates"] = gpd.GeoDataFrame(g, geometry="geometry", crs=net.geometry.crs)
        if (
            ctx.rivers is not None
            and "downstream_id" in ctx.rivers.columns
            and isinstance(st, gpd.GeoDataFrame)
        ):
            rv = ctx.rivers
            down = dict(
                zip(rv["river_id"].astype(str), rv["downstream_id"].astype("string").fillna(""), strict=True)
            )
            st_reach = dict(
                zip(
                    st["station_id"].astype(str),
                    st.get("river_id", pd.Series("", index=st.index)).astype("string").fillna(""),
                    strict=True,
                )
            )
            wst = warnings.set_index("warning_id")["station_id"].to_dict()
            rows = []
            for r in cand.itertuples():
                target = st_reach.get(str(wst.get(r.warning_id, "")), "")
                if r.reach_id and target:
                    for reach in _walk(down, str(r.reach_id), target):
                        rows.append({"warning_id": r.warning_id, "rank": r.rank, "river_id": reach})
            if rows:
                tr = pd.DataFrame(rows).drop_duplicates(["warning_id", "river_id"])
                g = (
                    rv[["river_id", "name", "geometry"]]
                    .assign(river_id=rv["river_id"].astype(str))
                    .merge(tr, on="river_id")
                )
                layers["traced_reaches"] = gpd.GeoDataFrame(g, geometry="geometry", crs=rv.crs)
    return layers


def write_outputs(
    store: FeedStore, ctx: WatchContext, outdir: str | os.PathLike[str], summary: dict[str, Any]
) -> dict[str, Path]:
    """Write the watcher's outputs into ``outdir`` (atomically) and return them by label.

    ``warnings.csv`` (every warning episode in the store, newest first), ``candidates.csv`` (traced sources),
    ``notices.json`` and ``notices.md`` (cross-border notices, Chinese then English), ``rejects.csv`` (every
    rejected input with its reason), ``summary.json`` (this run), and the web-map layers
    ``map/warnings.geojson``, ``map/candidates.geojson``, ``map/traced_reaches.geojson`` (WGS84).
    """
    outdir = Path(outdir)
    written: dict[str, Path] = {}
    warnings = store.warnings().sort_values("first_time", ascending=False, kind="stable")
    written["warnings"] = write_csv(warnings, outdir / "warnings.csv")
    written["candidates"] = write_csv(
        store.candidates().drop(columns=["batch_id"]), outdir / "candidates.csv"
    )
    rej = store.rejects()
    written["rejects"] = write_csv(rej, outdir / "rejects.csv")
    notices = store.notices()
    written["notices"] = write_json(notices, outdir / "notices.json")
    md = ["# 跨界联防联控通报 / Cross-border notices", ""]
    for n in notices:
        md += [
            f"## {n.get('warning_id', '')}",
            "",
            str(n.get("text_zh", "")),
            "",
            str(n.get("text_en", "")),
            "",
        ]
    if not notices:
        md += ["（无 / none）", ""]
    written["notices_md"] = write_text("\n".join(md), outdir / "notices.md")
    for name, layer in map_layers(store, ctx).items():
        written[f"map_{name}"] = _feature_collection(layer, outdir / "map" / f"{name}.geojson")
    written["summary"] = write_json(summary, outdir / "summary.json")
    return written


def watch_once(
    store: FeedStore,
    feeds: list[str | os.PathLike[str]],
    ctx: WatchContext,
    outdir: str | os.PathLike[str],
    *,
    layout: str = "auto",
    year: int | None = None,
    now: Any = None,
    lookback: timedelta = DEFAULT_LOOKBACK,
) -> dict[str, Any]:
    """Ingest new feed files, evaluate, trace, write the outputs; return the run's summary."""
    batch_id = store.begin_batch()
    ingest: IngestSummary = ingest_paths(
        store,
        feeds,
        stations=ctx.stations,
        layout=layout,
        year=year,
        batch_id=batch_id,
        now=now,
        exclude=[Path(outdir) / name for name in OUTPUT_TABLES],
    )
    result = evaluate_batch(store, batch_id, ctx, lookback=lookback)
    summary = {
        "batch_id": batch_id,
        "ingest": ingest.to_dict(),
        "warnings": {k: len(v) for k, v in result.items()},
        "new_warnings": result["warnings_new"],
        "notices": result["notices"],
        "open_warnings": int((store.warnings()["status"] == "open").sum()),
        "skipped": list(dict.fromkeys(ctx.skipped)),
    }
    store.finish_batch(batch_id, summary)
    summary["files"] = {k: str(v) for k, v in write_outputs(store, ctx, outdir, summary).items()}
    return summary
