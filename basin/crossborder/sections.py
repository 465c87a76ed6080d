"""Cross-border river sections found from the river and administrative layers.

A *section* is a place where a river passes from one administrative unit into another
(``kind = crossing``), or a stretch where it runs along their shared boundary (``kind = boundary_reach``).
Sections get the monitoring stations on the same river just upstream and downstream of them.

The rules, all in the metric CRS (:func:`basin.crs.metric_crs`):

1. **Units.** The admin polygons of ``level`` (``province`` by default, ``county`` on request).
2. **Flow direction.** Lines are digitised upstream -> downstream; segments of one river are chained
   with ``downstream_id`` (derived from coinciding end points when the layer has no such column) into
   *flow paths*. A river is identified by ``stem_id`` when the layer has it, else by its name (unnamed
   segments are rivers of their own); see :func:`basin.crossborder.network.river_keys`.
3. **Crossings.** Each flow path is cut at every point where it meets a unit boundary; every piece gets
   the unit that contains it (or *on the boundary*, or *outside all units*). A change of unit along the
   path is a crossing from the upstream unit to the downstream one. Pieces on the boundary between two
   units count as part of the crossing; a stretch outside every unit counts only when shorter than
   ``merge_tolerance_m`` (small gaps between polygons), otherwise the river left the layer and no
   crossing is reported. Paths are followed a little way (``merge_tolerance_m``) into the river
   downstream, so a river split exactly at the border, or a tributary whose mouth is on the border,
   still gets its crossing. A river that ends on the border with nothing downstream gets a crossing into
   the unit on the other side of that point (``note`` says so).
4. **Repeated crossings.** Consecutive crossings of one river between the same two units that are closer
   than ``merge_tolerance_m`` along the river are merged (single linkage) into one section from the
   first upstream unit to the last downstream unit; ``n_crossings`` counts them. When the river comes
   back to the unit it started from (a short excursion across a wiggly border) there is no net crossing
   and no section; the number of such excursions is kept in ``result.attrs["excursions"]``.
5. **Boundary reaches.** Parts of a river within ``boundary_tolerance_m`` of the shared boundary of two
   units, joined when less than ``merge_tolerance_m`` apart, that are at least ``boundary_min_length_m``
   long are one ``boundary_reach`` with its ``length_m``; the crossings between those two units inside
   it are absorbed into it (``n_crossings``). ``from_admin`` is the unit the river is in where the reach
   starts, ``to_admin`` the other unit; ``net_crossing`` tells whether the river leaves the reach on the
   ``to_admin`` side.
6. **Stations.** A station is placed on its own ``river_id`` segment (it must lie within
   ``station_snap_m``). The upstream station of a section is the nearest station on the same river at or
   upstream of the section's upstream end, at most ``station_tolerance_m`` along the river; the
   downstream station likewise below its downstream end. Stations inside a merged crossing or a
   boundary reach are listed in ``stations_within``. A section with neither an upstream nor a downstream
   (nor a within) station is a monitoring gap.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from basin._errors import DataError, SchemaError
from basin._validate import require_columns
from basin.crossborder.network import Network, Path_, build_network, near_lines
from basin.crs import metric_crs, require_crs

log = logging.getLogger(__name__)

RULES_VERSION = "basin.crossborder section rules 1 (cut-and-label, merge per unit pair, boundary reaches)"
ON_BORDER = "\x00border"
OUTSIDE = None

SECTION_COLUMNS = [
    "section_id",
    "kind",
    "river_id",
    "river_name",
    "level",
    "from_admin",
    "from_admin_name",
    "to_admin",
    "to_admin_name",
    "from_parent",
    "to_parent",
    "lon",
    "lat",
    "length_m",
    "n_crossings",
    "net_crossing",
    "upstream_station_id",
    "upstream_target_class",
    "upstream_distance_m",
    "downstream_station_id",
    "downstream_target_class",
    "downstream_distance_m",
    "stations_within",
    "monitoring_gap",
    "note",
]


@dataclass
class _Transition:
    src: str
    dst: str
    m_from: float  # end of the upstream unit's piece
    m_to: float  # start of the downstream unit's piece
    note: str = ""

    @property
    def m(self) -> float:
        return 0.5 * (self.m_from + self.m_to)

    @property
    def pair(self) -> frozenset[str]:
        return frozenset((self.src, self.dst))


@dataclass
class _Section:
    kind: str
    path: int
    a: float
    b: float
    src: str
    dst: str
    n: int
    length: float = np.nan
    net: bool = True
    note: str = ""


def _require_columns(gdf: gpd.GeoDataFrame, cols: list[str], what: str) -> None:
    require_columns(gdf, cols, what, hint="read it with basin.io.read_layer")


def _units(admin: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    _require_columns(admin, ["admin_id", "level"], "admin")
    levels = admin["level"].astype("string")
    units = admin[levels == level]
    if units.empty:
        msg = f"admin: no units of level {level!r}; levels present: {sorted(set(levels.dropna()))}"
        raise SchemaError(msg)
    units = units.copy()
    units["admin_id"] = units["admin_id"].astype("string")
    dup = units["admin_id"].duplicated()
    if dup.any():
        msg = f"admin: duplicate admin_id(s) {sorted(set(units.loc[dup, 'admin_id']))} at level {level!r}"
        raise SchemaError(msg)
    return units.reset_index(drop=True)


def _shared_boundaries(units: gpd.GeoDataFrame, snap_m: float) -> list[tuple[str, str, shapely.Geometry]]:
    """Return ``(a, b, line)`` for every pair of units that share a boundary line (a < b)."""
    geoms = units.geometry.values
    ids = units["admin_id"].to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=snap_m)
    out = []
    bounds = shapely.boundary(geoms)
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        # exact shared edges first (clean tilings); a 'snap_m' buffer only for layers with slivers or gaps
        shared = shapely.intersection(bounds[i], bounds[j])
        lines = [p for p in shapely.get_parts(shared) if p.geom_type in {"LineString", "LinearRing"}]
        if not lines:
            shared = shapely.intersection(bounds[i], shapely.buffer(geoms[j], snap_m))
            lines = [p for p in shapely.get_parts(shared) if p.geom_type in {"LineString", "LinearRing"}]
        if lines and sum(g.length for g in lines) > snap_m:
            a, b = sorted((str(ids[i]), str(ids[j])))
            out.append((a, b, shapely.line_merge(shapely.union_all(lines))))
    return out


def _intervals(
    line: shapely.LineString,
    units: gpd.GeoDataFrame,
    tree: shapely.STRtree,
    border: shapely.Geometry,
    snap_m: float,
) -> list[tuple[str | None, float, float]]:
    """Cut ``line`` at the unit boundaries and label the pieces: ``[(unit | ON_BORDER | None, m0, m1)]``."""
    length = line.length
    cuts = [0.0, length]
    # the boundaries of the units near the line only (intersecting the union of all boundaries is slow)
    near = shapely.boundary(units.geometry.values[tree.query(line)])
    hits = shapely.intersection(line, near)
    xy = shapely.get_coordinates(hits[~shapely.is_empty(hits)])
    if len(xy):
        cuts += list(shapely.line_locate_point(line, shapely.points(xy)))
    cuts_arr = np.unique(np.clip(np.asarray(cuts), 0.0, length))
    if len(cuts_arr) < 2:
        cuts_arr = np.array([0.0, length])
    mids = shapely.line_interpolate_point(line, 0.5 * (cuts_arr[:-1] + cuts_arr[1:]))
    pi, ui = tree.query(mids, predicate="within")
    labels: list[str | None] = [OUTSIDE] * len(mids)
    ids = units["admin_id"].to_numpy()
    for p, u in zip(pi, ui, strict=True):
        labels[p] = str(ids[u])
    outside = [k for k, lab in enumerate(labels) if lab is OUTSIDE]
    on_border = np.zeros(len(mids), dtype=bool)
    if outside:
        on_border[outside] = shapely.dwithin(mids[outside], border, snap_m)
    out: list[tuple[str | None, float, float]] = []
    for k, (m0, m1) in enumerate(zip(cuts_arr[:-1], cuts_arr[1:], strict=True)):
        lab = labels[k]
        if m1 - m0 <= snap_m or (lab is OUTSIDE and on_border[k]):
            lab = ON_BORDER  # a sliver at a cut point, or a piece running on the boundary line itself
        if out and out[-1][0] == lab:
            out[-1] = (lab, out[-1][1], float(m1))
        else:
            out.append((lab, float(m0), float(m1)))
    return out


def _is_unit(label: str | None) -> bool:
    return label is not None and label != ON_BORDER


def _transitions(
    intervals: list[tuple[str | None, float, float]], own_length: float, merge_tol: float
) -> list[_Transition]:
    """Return the changes of unit along the (extended) path whose upstream piece ends on the path."""
    out: list[_Transition] = []
    last: tuple[str | None, float, float] | None = None
    outside_len = 0.0
    for iv in intervals:
        lab, m0, m1 = iv
        if not _is_unit(lab):
            if lab is OUTSIDE:
                outside_len += m1 - m0
            continue
        if last is not None and lab != last[0] and outside_len <= merge_tol and last[2] <= own_length + 1e-6:
            out.append(_Transition(str(last[0]), str(lab), last[2], m0))
        last, outside_len = iv, 0.0
    return out


def _end_on_border(
    path: Path_,
    intervals: list[tuple[str | None, float, float]],
    units: gpd.GeoDataFrame,
    tree: shapely.STRtree,
    border: shapely.Geometry,
    snap_m: float,
) -> _Transition | None:
    """Return the crossing of a river that ends on the border into the unit on the other side."""
    end = shapely.get_point(path.line, -1)
    if not shapely.dwithin(end, border, snap_m):
        return None
    own = [iv for iv in intervals if _is_unit(iv[0]) and iv[1] < path.length]
    if not own:
        return None
    src = str(own[-1][0])
    cand = [str(units["admin_id"].iloc[j]) for j in tree.query(end, predicate="dwithin", distance=snap_m)]
    others = sorted(set(cand) - {src})
    if not others:
        return None
    dists = {o: float(shapely.distance(end, units.geometry[units["admin_id"] == o].iloc[0])) for o in others}
    dst = min(others, key=lambda o: (dists[o], o))
    note = "river ends on the border; downstream unit taken from the unit on the other side"
    if len(others) > 1:
        note += f" (nearest of {others})"
    return _Transition(src, dst, path.length, path.length, note)


def _cluster(trans: list[_Transition], merge_tol: float) -> tuple[list[_Section], int]:
    """Merge consecutive crossings between the same two units closer than ``merge_tol`` (single linkage)."""
    sections: list[_Section] = []
    excursions = 0
    groups: list[list[_Transition]] = []
    for t in sorted(trans, key=lambda t: t.m):
        if groups and groups[-1][-1].pair == t.pair and t.m - groups[-1][-1].m <= merge_tol:
            groups[-1].append(t)
        else:
            groups.append([t])
    for g in groups:
        src, dst = g[0].src, g[-1].dst
        if src == dst:
            excursions += 1
            continue
        notes = "; ".join(sorted({t.note for t in g if t.note}))
        sections.append(_Section("crossing", -1, g[0].m, g[-1].m, src, dst, len(g), note=notes))
    return sections, excursions


def _reaches(
    path: Path_,
    shared: list[tuple[str, str, shapely.Geometry]],
    buffers: np.ndarray,
    btree: shapely.STRtree,
    *,
    tol_join: float,
    min_length: float,
) -> list[tuple[str, str, float, float]]:
    """Stretches of the path along a shared boundary: ``(a, b, m0, m1)``."""
    out = []
    for k in btree.query(path.line, predicate="intersects"):
        a, b, _ = shared[k]
        inside = shapely.intersection(path.line, buffers[k])
        spans = []
        for part in shapely.get_parts(inside):
            if part.geom_type != "LineString" or part.length == 0:
                continue
            c = shapely.get_coordinates(part)
            m0, m1 = sorted((path.line.project(shapely.Point(c[0])), path.line.project(shapely.Point(c[-1]))))
            spans.append([m0, m1])
        spans.sort()
        merged: list[list[float]] = []
        for s in spans:
            if merged and s[0] - merged[-1][1] <= tol_join:
                merged[-1][1] = max(merged[-1][1], s[1])
            else:
                merged.append(list(s))
        out += [(a, b, m0, m1) for m0, m1 in merged if m1 - m0 >= min_length]
    return out


def _side(
    intervals: list[tuple[str | None, float, float]], m: float, direction: int, pair: tuple[str, str]
) -> str | None:
    """Return the unit of ``pair`` the river is in at ``m``, looking upstream (-1) or downstream (+1)."""
    seq = intervals if direction > 0 else list(reversed(intervals))
    for lab, m0, m1 in seq:
        inside = m0 <= m <= m1
        ahead = m0 >= m if direction > 0 else m1 <= m
        if (inside or ahead) and lab in pair:
            return lab
    return None


def _path_sections(
    net: Network,
    path: Path_,
    units: gpd.GeoDataFrame,
    tree: shapely.STRtree,
    border: shapely.Geometry,
    shared: list[tuple[str, str, shapely.Geometry]],
    buffers: np.ndarray,
    btree: shapely.STRtree | None,
    *,
    merge_tol: float,
    boundary_tol: float,
    boundary_min_length: float,
    snap_m: float,
) -> tuple[list[_Section], int]:
    line = path.line
    if path.extension is not None:
        line = shapely.LineString(
            np.vstack([shapely.get_coordinates(line), shapely.get_coordinates(path.extension)])
        )
    if not shapely.dwithin(line, border, max(snap_m, boundary_tol)):
        return [], 0
    ivs = _intervals(line, units, tree, border, snap_m)
    trans = _transitions(ivs, path.length, merge_tol)
    if path.extension is None and net.downstream.get(path.segments[-1]) is None:
        t = _end_on_border(path, ivs, units, tree, border, snap_m)
        if t is not None and not any(abs(x.m_from - path.length) <= snap_m for x in trans):
            trans.append(t)
    reach_list = (
        _reaches(path, shared, buffers, btree, tol_join=merge_tol, min_length=boundary_min_length)
        if btree is not None
        else []
    )
    kept = []
    absorbed: dict[int, int] = {}
    for t in trans:
        hit = [
            r
            for r, (a, b, m0, m1) in enumerate(reach_list)
            if t.pair == {a, b} and m0 - snap_m <= t.m <= m1 + snap_m
        ]
        if hit:
            absorbed[hit[0]] = absorbed.get(hit[0], 0) + 1
        else:
            kept.append(t)
    sections, excursions = _cluster(kept, merge_tol)
    for s in sections:
        s.path = path.pid
        s.a, s.b = min(s.a, path.length), min(s.b, path.length)
    for r, (a, b, m0, m1) in enumerate(reach_list):
        src = _side(ivs, m0, -1, (a, b)) or _side(ivs, m0, +1, (a, b)) or a
        other = b if src == a else a
        end_side = _side(ivs, m1, +1, (a, b))
        sections.append(
            _Section(
                "boundary_reach",
                path.pid,
                m0,
                m1,
                src,
                other,
                absorbed.get(r, 0),
                length=m1 - m0,
                net=end_side == other,
            )
        )
    return sections, excursions


def _place_stations(net: Network, stations: gpd.GeoDataFrame, snap_m: float) -> pd.DataFrame:
    """Return stations on rivers with their ``(path, m)`` position; raise on stations on no river."""
    _require_columns(stations, ["station_id"], "stations")
    if "river_id" not in stations.columns:
        return pd.DataFrame(columns=["station_id", "target_class", "path", "m"])
    st = stations[stations["river_id"].notna()]
    rid = st["river_id"].astype("string")
    unknown = ~rid.isin(set(net.rivers.index))
    if unknown.any():
        items = [
            f"{s} (river_id {r})" for s, r in zip(st.loc[unknown, "station_id"], rid[unknown], strict=True)
        ]
        more = f" (+{len(items) - 10} more)" if len(items) > 10 else ""
        msg = f"stations: station(s) on no river of the rivers layer: {', '.join(items[:10])}{more}"
        raise DataError(msg)
    rows = []
    far = []
    for sid, r, pt, tc in zip(
        st["station_id"].astype("string"),
        rid,
        st.geometry.values,
        st["target_class"] if "target_class" in st.columns else [pd.NA] * len(st),
        strict=True,
    ):
        d = float(shapely.distance(pt, net.geom[r]))
        if d > snap_m:
            far.append(f"{sid} ({d:.0f} m from {r})")
            continue
        pid, m = net.locate(r, pt)
        rows.append({"station_id": str(sid), "target_class": tc, "path": pid, "m": m})
    if far:
        more = f" (+{len(far) - 10} more)" if len(far) > 10 else ""
        msg = (
            f"stations: station(s) not on their river (farther than station_snap_m={snap_m:g} m): "
            f"{', '.join(far[:10])}{more}"
        )
        raise DataError(msg)
    return pd.DataFrame(rows, columns=["station_id", "target_class", "path", "m"])


@dataclass
class _Stations:
    """Stations on the network, prepared once: per path, and each station's walk down its river."""

    by_path: dict[int, list[tuple[float, str, Any]]]  # path -> [(m, station_id, target_class)]
    walks: list[
        tuple[str, Any, str, int, float, list[tuple[int, float, float]]]
    ]  # id, class, key, path, m, walk


def _prepare_stations(net: Network, st: pd.DataFrame, tol: float) -> _Stations:
    by_path: dict[int, list[tuple[float, str, Any]]] = {}
    walks = []
    for sid, tc, pid, m in zip(st["station_id"], st["target_class"], st["path"], st["m"], strict=True):
        pid, m = int(pid), float(m)
        by_path.setdefault(pid, []).append((m, str(sid), tc))
        key = net.key[net.paths[pid].segments[0]]
        walks.append((str(sid), tc, key, pid, m, net.walk_down(pid, m, tol)))
    return _Stations(by_path, walks)


def _assign(
    net: Network, sec: _Section, st: _Stations, tol: float
) -> tuple[tuple[str, Any, float] | None, tuple[str, Any, float] | None, list[str]]:
    up: list[tuple[float, str, Any]] = []
    down: list[tuple[float, str, Any]] = []
    within: list[str] = []
    # downstream of the section's lower end, on the same river
    for pid, m, dist in net.walk_down(sec.path, sec.b, tol):
        for sm, sid, tc in st.by_path.get(pid, ()):
            d = dist + (sm - m)
            if sm > m and d <= tol:
                down.append((d, sid, tc))
    # upstream: stations of the same river whose walk downstream reaches the section's upper end
    key = net.key[net.paths[sec.path].segments[0]]
    for sid, tc, skey, spid, sm, walk in st.walks:
        if skey != key:
            continue
        if spid == sec.path and sec.a < sm <= sec.b:
            within.append(sid)
            continue
        for pid, m, dist in walk:
            if pid == sec.path and m <= sec.a:
                d = dist + (sec.a - m)
                if d <= tol:
                    up.append((d, sid, tc))
                break
    best_up = min(up, key=lambda x: (x[0], x[1])) if up else None
    best_down = min(down, key=lambda x: (x[0], x[1])) if down else None
    return (
        (best_up[1], best_up[2], best_up[0]) if best_up else None,
        (best_down[1], best_down[2], best_down[0]) if best_down else None,
        sorted(within),
    )


def find_sections(
    rivers: gpd.GeoDataFrame,
    admin: gpd.GeoDataFrame,
    *,
    level: Literal["province", "county"] = "province",
    stations: gpd.GeoDataFrame | None = None,
    merge_tolerance_m: float = 2000.0,
    boundary_tolerance_m: float = 1000.0,
    boundary_min_length_m: float = 10000.0,
    station_tolerance_m: float = 30000.0,
    station_snap_m: float = 1000.0,
    river_key: str | None = None,
    snap_m: float = 1.0,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Find every place where a river crosses, or runs along, a boundary between two administrative units.

    Parameters
    ----------
    rivers
        Rivers layer (``river_id``, ``name``, ``level``, optional ``downstream_id``, ``stem_id``), lines
        digitised upstream -> downstream, any CRS.
    admin
        Admin layer (``admin_id``, ``name``, ``level`` province|county, ``parent_id``), any CRS.
    level
        Which units to cross between: ``province`` (default) or ``county``.
    stations
        Optional stations layer (``station_id``, ``river_id``, ``target_class``); river stations are
        assigned to the sections, lake stations (no ``river_id``) are ignored.
    merge_tolerance_m
        Crossings of one river between the same two units closer than this (along the river) are merged;
        also the largest gap outside every unit still counted as a crossing, and the gap that joins
        boundary stretches.
    boundary_tolerance_m
        A river within this distance of a shared boundary runs *along* it.
    boundary_min_length_m
        Shortest stretch along a boundary reported as a ``boundary_reach``.
    station_tolerance_m
        Farthest a station may be from the section, along the river, to be assigned to it.
    station_snap_m
        Farthest a station may lie from its own river segment.
    river_key
        Column that groups segments into rivers (default ``stem_id`` if present, else the name).
    snap_m
        Coordinates closer than this count as the same point (topology, "on the border").
    crs
        Metric CRS to compute in (default :func:`basin.crs.metric_crs`).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per section, columns :data:`SECTION_COLUMNS`, in the metric CRS: a Point at the crossing,
        or the LineString of the boundary reach. ``lon``/``lat`` (WGS84) give the crossing point or the
        reach midpoint.
        ``attrs["excursions"]`` counts short excursions that were dropped (rule 4 of the module docs).

    Raises
    ------
    SchemaError
        Missing columns, no admin units of ``level``, a river made of disjoint parts.
    DataError
        Broken topology (a cycle, a segment not ending on its downstream segment or digitised the wrong
        way), a station whose river is not in the layer or that lies off its river.
    CRSError
        A layer without a CRS.
    """
    if level not in ("province", "county"):
        msg = f"level must be 'province' or 'county', got {level!r}"
        raise SchemaError(msg)
    for name, v in {
        "merge_tolerance_m": merge_tolerance_m,
        "boundary_tolerance_m": boundary_tolerance_m,
        "boundary_min_length_m": boundary_min_length_m,
        "station_tolerance_m": station_tolerance_m,
        "station_snap_m": station_snap_m,
        "snap_m": snap_m,
    }.items():
        if not np.isfinite(v) or v < 0:
            msg = f"{name} must be a non-negative number of metres, got {v!r}"
            raise SchemaError(msg)
    _require_columns(rivers, ["river_id", "level"], "rivers")
    require_crs(rivers, "rivers")
    require_crs(admin, "admin")
    target = metric_crs(crs)
    rv = rivers.to_crs(target)
    units = _units(admin, level).to_crs(target)
    tree = shapely.STRtree(units.geometry.values)
    border = shapely.union_all(shapely.boundary(units.geometry.values))
    shapely.prepare(border)
    reach_m = max(snap_m, boundary_tolerance_m)
    net = build_network(
        rv,
        key_column=river_key,
        snap_m=snap_m,
        extension_m=merge_tolerance_m,
        near=border,
        near_m=reach_m,
    )
    shared = _shared_boundaries(units, snap_m)
    buffers = np.array([shapely.buffer(g, boundary_tolerance_m) for _, _, g in shared], dtype=object)
    btree = shapely.STRtree(buffers) if len(buffers) else None
    # only paths (with their extension) near a unit boundary can have a section
    lines = [
        p.line
        if p.extension is None
        else shapely.LineString(
            np.vstack([shapely.get_coordinates(p.line), shapely.get_coordinates(p.extension)])
        )
        for p in net.paths
    ]
    near_border = near_lines(np.array(lines, dtype=object), border, reach_m)

    all_secs: list[_Section] = []
    excursions = 0
    for path in (p for p, ok in zip(net.paths, near_border, strict=True) if ok):
        secs, exc = _path_sections(
            net,
            path,
            units,
            tree,
            border,
            shared,
            buffers,
            btree,
            merge_tol=merge_tolerance_m,
            boundary_tol=boundary_tolerance_m,
            boundary_min_length=boundary_min_length_m,
            snap_m=snap_m,
        )
        all_secs += secs
        excursions += exc
    if excursions:
        log.info("%d short excursion(s) across a boundary merged away (no net crossing)", excursions)

    st = None
    if stations is not None:
        require_crs(stations, "stations")
        st = _place_stations(net, stations.to_crs(target), station_snap_m)
    gdf = _to_frame(net, all_secs, units, st, station_tolerance_m, target)
    gdf.attrs["excursions"] = excursions
    gdf.attrs["parameters"] = {
        "rules": RULES_VERSION,
        "level": level,
        "merge_tolerance_m": merge_tolerance_m,
        "boundary_tolerance_m": boundary_tolerance_m,
        "boundary_min_length_m": boundary_min_length_m,
        "station_tolerance_m": station_tolerance_m,
        "station_snap_m": station_snap_m,
        "river_key": river_key,
        "snap_m": snap_m,
        "crs": target.to_string(),
    }
    return gdf


def _to_frame(
    net: Network, secs: list[_Section], units: gpd.GeoDataFrame, st: pd.DataFrame | None, tol: float, crs: Any
) -> gpd.GeoDataFrame:
    names = (
        dict(zip(units["admin_id"], units["name"].astype("string"), strict=True)) if "name" in units else {}
    )
    parents = (
        dict(zip(units["admin_id"], units["parent_id"].astype("string"), strict=True))
        if "parent_id" in units
        else {}
    )
    rv = net.rivers
    rows = []
    geoms = []
    prepared = _prepare_stations(net, st, tol) if st is not None else None
    for s in secs:
        path = net.paths[s.path]
        mid = 0.5 * (s.a + s.b)
        rid = path.segment_at(mid)
        if s.kind == "crossing":
            geom = shapely.line_interpolate_point(path.line, mid)
        else:
            geom = substring(path.line, s.a, s.b)
        up = down = None
        within: list[str] = []
        if prepared is not None:
            up, down, within = _assign(net, s, prepared, tol)
        rows.append(
            {
                "kind": s.kind,
                "river_id": rid,
                "river_name": rv.at[rid, "name"] if "name" in rv.columns else pd.NA,
                "level": rv.at[rid, "level"],
                "from_admin": s.src,
                "from_admin_name": names.get(s.src, pd.NA),
                "to_admin": s.dst,
                "to_admin_name": names.get(s.dst, pd.NA),
                "from_parent": parents.get(s.src, pd.NA),
                "to_parent": parents.get(s.dst, pd.NA),
                "length_m": round(s.length, 1) if s.kind == "boundary_reach" else np.nan,
                "n_crossings": s.n,
                "net_crossing": s.net,
                "upstream_station_id": up[0] if up else pd.NA,
                "upstream_target_class": up[1] if up else pd.NA,
                "upstream_distance_m": round(up[2], 1) if up else np.nan,
                "downstream_station_id": down[0] if down else pd.NA,
                "downstream_target_class": down[1] if down else pd.NA,
                "downstream_distance_m": round(down[2], 1) if down else np.nan,
                "stations_within": ",".join(within) if within else pd.NA,
                "monitoring_gap": (up is None and down is None and not within) if st is not None else pd.NA,
                "note": s.note or pd.NA,
                "_m": s.a,
            }
        )
        geoms.append(geom)
    df = pd.DataFrame(rows, columns=[c for c in SECTION_COLUMNS if c != "section_id"] + ["_m"])
    gdf = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)
    if len(gdf):
        gdf = gdf.sort_values(["river_id", "_m", "kind"], kind="stable").reset_index(drop=True)
        pts = gpd.GeoSeries(
            [
                g if g.geom_type == "Point" else shapely.line_interpolate_point(g, 0.5, normalized=True)
                for g in gdf.geometry
            ],
            crs=crs,
        ).to_crs(4326)
        gdf["lon"] = np.round(pts.x.to_numpy(), 6)
        gdf["lat"] = np.round(pts.y.to_numpy(), 6)
        base = gdf["river_id"].astype(str) + ":" + gdf["from_admin"] + ">" + gdf["to_admin"]
        n = base.groupby(base).cumcount()
        gdf["section_id"] = base.where(n == 0, base + "#" + (n + 1).astype(str))
    else:
        gdf["lon"] = pd.Series(dtype=float)
        gdf["lat"] = pd.Series(dtype=float)
        gdf["section_id"] = pd.Series(dtype="string")
    gdf = gdf.drop(columns="_m")
    for c in (
        "section_id",
        "river_id",
        "river_name",
        "from_admin",
        "from_admin_name",
        "to_admin",
        "to_admin_name",
        "from_parent",
        "to_parent",
        "upstream_station_id",
        "downstream_station_id",
        "stations_within",
        "note",
    ):
        gdf[c] = gdf[c].astype("string")
    for c in ("level", "upstream_target_class", "downstream_target_class", "n_crossings"):
        gdf[c] = pd.array(gdf[c].tolist(), dtype="Int64") if len(gdf) else pd.array([], dtype="Int64")
    gdf["net_crossing"] = gdf["net_crossing"].astype("boolean")
    gdf["monitoring_gap"] = gdf["monitoring_gap"].astype("boolean")
    return gdf[[*SECTION_COLUMNS, "geometry"]]
