"""River network helpers for cross-border sections: topology, river keys and flow paths.

A *flow path* is a chain of segments of one river (same river key) linked by ``downstream_id``, concatenated
into one line digitised downstream. Positions on the network are ``(path, measure)`` pairs, the measure in
metres from the head of the path. These helpers are internal to :mod:`basin.crossborder`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from basin._errors import DataError, SchemaError


@dataclass
class Path_:
    """One flow path: segments in downstream order, their offsets and the concatenated line."""

    pid: int
    key: str
    segments: list[str]
    offsets: np.ndarray  # start measure of each segment along the path
    line: shapely.LineString
    down: tuple[int, float] | None = None  # same-river path it flows into, at which measure
    extension: shapely.LineString | None = None  # the first metres downstream of the path end (other rivers)

    @property
    def length(self) -> float:
        """Length of the path in metres."""
        return float(self.line.length)

    def segment_at(self, m: float) -> str:
        """Return the segment that holds measure ``m`` (a joint belongs to the upstream one)."""
        i = int(np.searchsorted(self.offsets, m, side="left")) - 1
        return self.segments[max(i, 0)]


@dataclass
class Network:
    """Rivers as flow paths with the lookups the section finder needs."""

    rivers: gpd.GeoDataFrame  # metric CRS, index = river_id
    downstream: dict[str, str | None]
    key: dict[str, str]
    paths: list[Path_] = field(default_factory=list)
    where: dict[str, tuple[int, float]] = field(default_factory=dict)  # segment -> (path, offset)
    geom: dict[str, shapely.LineString] = field(default_factory=dict)  # segment -> line (fast lookup)

    def __post_init__(self) -> None:
        if not self.geom:
            self.geom = dict(zip(self.rivers.index, self.rivers.geometry.values, strict=True))

    def locate(self, river_id: str, point: shapely.Point) -> tuple[int, float]:
        """Return ``(path, measure)`` of the point projected on segment ``river_id``."""
        pid, off = self.where[river_id]
        seg = self.geom[river_id]
        return pid, off + float(seg.project(point))

    def walk_down(self, pid: int, m: float, limit: float) -> list[tuple[int, float, float]]:
        """Return ``(path, measure, distance)`` reached going down the same river, up to ``limit`` m."""
        out = [(pid, m, 0.0)]
        dist = 0.0
        seen = {pid}
        p = self.paths[pid]
        while p.down is not None:
            dist += p.length - m
            if dist > limit:
                break
            pid, m = p.down
            if pid in seen:  # pragma: no cover - guarded by the acyclic check
                break
            seen.add(pid)
            out.append((pid, m, dist))
            p = self.paths[pid]
        return out


def _merge_line(geom: shapely.Geometry, rid: str) -> shapely.LineString:
    if geom.geom_type == "LineString":
        return geom
    merged = shapely.line_merge(geom)
    if merged.geom_type == "LineString":
        return merged
    n = shapely.get_num_geometries(merged)
    msg = (
        f"rivers: feature {rid!r} has {n} disjoint parts; split it into one LineString per part "
        "(each digitised upstream -> downstream, linked with downstream_id)"
    )
    raise SchemaError(msg)


def river_keys(rivers: gpd.GeoDataFrame, column: str | None = None) -> pd.Series:
    """Return the key that says which segments belong to one river.

    ``column`` when given; otherwise ``stem_id`` when the layer has it, else the river ``name`` and, for
    unnamed segments, the ``river_id`` itself (each unnamed segment is its own river).
    """
    ids = rivers["river_id"].astype("string")
    if column is not None:
        if column not in rivers.columns:
            msg = f"rivers: river_key column {column!r} not in the layer; columns: {list(rivers.columns)}"
            raise SchemaError(msg)
        key = rivers[column].astype("string")
    elif "stem_id" in rivers.columns:
        key = rivers["stem_id"].astype("string")
    elif "name" in rivers.columns:
        key = "name:" + rivers["name"].astype("string")
    else:
        key = pd.Series(pd.NA, index=rivers.index, dtype="string")
    key = key.where(key.notna(), "id:" + ids)
    return pd.Series(key.to_numpy(), index=ids.to_numpy(), name="river_key")


def derive_downstream(lines: gpd.GeoSeries, snap_m: float) -> dict[str, str | None]:
    """Derive ``downstream_id`` from geometry when the layer has none.

    The segment downstream of ``s`` is the one whose first vertex lies within ``snap_m`` of the last vertex of
    ``s``; failing that, a line that passes through that vertex (a tributary mouth on an unsplit main river).
    """
    ids = list(lines.index)
    firsts = shapely.get_point(lines.values, 0)
    lasts = shapely.get_point(lines.values, -1)
    tree_first = shapely.STRtree(firsts)
    tree_line = shapely.STRtree(lines.values)
    out: dict[str, str | None] = {}
    for i, rid in enumerate(ids):
        cand = [j for j in tree_first.query(lasts[i], predicate="dwithin", distance=snap_m) if j != i]
        if len(cand) == 1:
            out[rid] = ids[cand[0]]
            continue
        if len(cand) > 1:
            msg = (
                f"rivers: cannot derive downstream_id: segments {[ids[j] for j in cand]} all start where "
                f"{rid!r} ends (a distributary?); add a downstream_id column"
            )
            raise DataError(msg)
        mid = [
            j
            for j in tree_line.query(lasts[i], predicate="dwithin", distance=snap_m)
            if j != i and shapely.distance(lasts[j], lasts[i]) > snap_m
        ]
        out[rid] = ids[mid[0]] if len(mid) == 1 else None
    return out


def build_network(
    rivers: gpd.GeoDataFrame,
    *,
    key_column: str | None,
    snap_m: float,
    extension_m: float,
    near: shapely.Geometry | None = None,
    near_m: float = 0.0,
) -> Network:
    """Build flow paths from a metric rivers layer (see the module docs).

    With ``near`` (lines, e.g. the unit boundaries), the downstream extensions are only computed for the
    paths that end within ``near_m + extension_m`` of it: the extension of any other path stays farther than
    ``near_m`` from it, inside the unit the path ends in, and cannot change a section.
    """
    rv = rivers.copy()
    rv["river_id"] = rv["river_id"].astype("string")
    rv.index = pd.Index(rv["river_id"].to_numpy(), name=None)
    geoms = [_merge_line(g, rid) for rid, g in zip(rv.index, rv.geometry.values, strict=True)]
    rv = rv.set_geometry(gpd.GeoSeries(geoms, index=rv.index, crs=rv.crs))
    if "downstream_id" in rv.columns:
        down = {
            rid: (None if pd.isna(d) else str(d))
            for rid, d in zip(rv.index, rv["downstream_id"], strict=True)
        }
    else:
        down = derive_downstream(rv.geometry, snap_m)
    key = river_keys(rv.reset_index(drop=True), key_column).to_dict()
    gmap = dict(zip(rv.index, rv.geometry.values, strict=True))
    _check_links(gmap, down, snap_m)

    # same-river links: s -> d when d continues the same river from s's last vertex
    ids = list(rv.index)
    firsts = dict(zip(ids, shapely.get_coordinates(shapely.get_point(rv.geometry.values, 0)), strict=True))
    lasts = dict(zip(ids, shapely.get_coordinates(shapely.get_point(rv.geometry.values, -1)), strict=True))
    same_down: dict[str, str | None] = {}
    for rid, d in down.items():
        ok = d is not None and key[d] == key[rid] and float(np.hypot(*(lasts[rid] - firsts[d]))) <= snap_m
        same_down[rid] = d if ok else None
    n_up: dict[str, int] = dict.fromkeys(rv.index, 0)
    for d in same_down.values():
        if d is not None:
            n_up[d] += 1
    heads = [rid for rid in rv.index if n_up[rid] != 1]
    net = Network(rv, down, key, geom=gmap)
    assigned: set[str] = set()
    for head in sorted(heads):
        segs = [head]
        nxt = same_down[head]
        while nxt is not None and n_up[nxt] == 1 and nxt not in assigned and nxt not in segs:
            segs.append(nxt)
            nxt = same_down[nxt]
        _add_path(net, segs)
        assigned.update(segs)
    rest = [rid for rid in rv.index if rid not in assigned]
    if rest:  # only a cycle of same-river links can leave segments unassigned
        msg = f"rivers: downstream_id forms a cycle through {rest[:10]}; the network must be a tree"
        raise DataError(msg)
    for p in net.paths:
        d = same_down[p.segments[-1]]
        if d is not None:
            net.paths[p.pid].down = (net.where[d][0], 0.0)
    wanted = np.ones(len(net.paths), dtype=bool)
    if near is not None and len(net.paths):
        ends = shapely.get_point(np.array([p.line for p in net.paths]), -1)
        wanted = near_lines(ends, near, near_m + extension_m)
    for p, w in zip(net.paths, wanted, strict=True):
        if w:
            p.extension = _extension(net, p, extension_m)
    return net


def near_lines(geoms: np.ndarray, lines: shapely.Geometry, distance: float) -> np.ndarray:
    """Boolean mask: which of ``geoms`` lie within ``distance`` of the (multi)line ``lines``.

    ``lines`` is cut into its two-point segments, put in an STRtree and queried with ``geoms``: fast also
    when the
    lines are long (a province outline) and ``geoms`` many; same answer as ``shapely.dwithin``.
    """
    out = np.zeros(len(geoms), dtype=bool)
    if len(geoms) == 0 or lines is None or lines.is_empty:
        return out
    c, idx = shapely.get_coordinates(shapely.get_parts(lines), return_index=True)
    same = idx[1:] == idx[:-1]
    segs = shapely.linestrings(np.stack([c[:-1][same], c[1:][same]], axis=1))
    tree = shapely.STRtree(segs)
    hit = tree.query(geoms, predicate="dwithin", distance=distance)[0]
    out[np.unique(hit)] = True
    return out


def _add_path(net: Network, segs: list[str]) -> None:
    chunks: list[np.ndarray] = []
    starts: list[int] = []  # index of each segment's first vertex in the concatenated coordinates
    n = 0
    for k, s in enumerate(segs):
        c = shapely.get_coordinates(net.geom[s])
        if k > 0 and np.array_equal(c[0], chunks[-1][-1]):
            starts.append(n - 1)
            c = c[1:]
        else:
            starts.append(n)
        chunks.append(c)
        n += len(c)
    xy = np.vstack(chunks)
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    offs = cum[starts]
    pid = len(net.paths)
    net.paths.append(Path_(pid, net.key[segs[0]], segs, offs, shapely.LineString(xy)))
    for s, off in zip(segs, offs, strict=True):
        net.where[s] = (pid, float(off))


def _extension(net: Network, p: Path_, length: float) -> shapely.LineString | None:
    """Return the first ``length`` metres downstream of the path end (through the next segments)."""
    end = shapely.get_point(p.line, -1)
    d = net.downstream.get(p.segments[-1])
    parts: list[np.ndarray] = []
    got = 0.0
    seen: set[str] = set()
    # stop within 1 µm of the length: a rounding remainder (got = length - 1e-10) would otherwise walk on
    # to the outlet adding zero-length pieces, i.e. straight jumps between the downstream confluences
    while d is not None and got < length - 1e-6 and d not in seen:
        seen.add(d)
        g = net.geom[d]
        start = g.project(end) if not parts else 0.0
        piece = _substring(g, start, min(g.length, start + (length - got)))
        if piece is not None:
            parts.append(piece)
            got += float(shapely.length(shapely.linestrings(piece)))
        end = shapely.get_point(g, -1)
        d = net.downstream.get(d)
    if not parts:
        return None
    return shapely.LineString(np.vstack(parts))


def _substring(g: shapely.LineString, start: float, end: float) -> np.ndarray | None:
    """Coordinates of :func:`shapely.ops.substring` ``(g, start, end)`` for ``0 <= start < end`` (else None).

    The same vertices (tested against it), without the per-vertex Python loop.
    """
    if not end > start:
        return None
    c = shapely.get_coordinates(g)
    d = np.diff(c, axis=0)
    cum = np.concatenate([[0.0], np.cumsum(np.sqrt(d[:, 0] ** 2 + d[:, 1] ** 2))])[:-1]
    inner = c[:-1][(cum > start) & (cum < end)]
    a = shapely.get_coordinates(shapely.line_interpolate_point(g, start))
    b = shapely.get_coordinates(shapely.line_interpolate_point(g, end))
    return np.vstack([a, inner, b])


def _check_links(geoms: dict[str, shapely.Geometry], down: dict[str, str | None], snap_m: float) -> None:
    """Check that every segment ends on its downstream segment (lines digitised downstream)."""
    bad_dir: list[str] = []
    far: list[str] = []
    pairs = [(rid, d) for rid, d in down.items() if d is not None and d in geoms and rid in geoms]
    if pairs:  # vectorised first pass: only the links that fail it are looked at one by one
        a = np.array([geoms[r] for r, _ in pairs], dtype=object)
        b = np.array([geoms[d] for _, d in pairs], dtype=object)
        ok = shapely.distance(shapely.get_point(a, -1), b) <= snap_m
        failing = {pairs[i] for i in np.flatnonzero(~ok)}
    else:
        failing = set()
    for rid, d in down.items():
        if d is None or ((rid, d) not in failing and d in geoms and rid in geoms):
            continue
        g, gd = geoms[rid], geoms[d]
        if shapely.distance(shapely.get_point(g, -1), gd) <= snap_m:
            continue
        if shapely.distance(shapely.get_point(g, 0), gd) <= snap_m:
            bad_dir.append(rid)
        else:
            far.append(f"{rid}->{d} ({shapely.distance(shapely.get_point(g, -1), gd):.0f} m)")
    if bad_dir:
        msg = (
            f"rivers: segment(s) {bad_dir[:10]} start on their downstream segment instead of ending on it: "
            "lines must be digitised upstream -> downstream; reverse them"
        )
        raise DataError(msg)
    if far:
        msg = (
            f"rivers: segment(s) do not end on their downstream_id segment (within {snap_m} m): {far[:10]}; "
            "fix the links or the geometry"
        )
        raise DataError(msg)
    # cycles of downstream_id
    state: dict[str, int] = {}
    for start in down:
        node: str | None = start
        trail = []
        while node is not None and state.get(node, 0) == 0:
            state[node] = 1
            trail.append(node)
            node = down.get(node)
        if node is not None and state.get(node) == 1:
            msg = f"rivers: downstream_id forms a cycle through {trail[-10:]}; the network must be a tree"
            raise DataError(msg)
        for t in trail:
            state[t] = 2
