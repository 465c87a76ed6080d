"""Trace the source of a warning upstream along the river network, and the cross-border notice.

Method (no trained model: there are no labelled incidents to train on; every number is explainable):

1. **Network.** Reaches (``river_id``, ``downstream_id``, ``level``) in the metric CRS form a tree draining to
   the outlets. For every reach the travel time and distance to its outlet are precomputed (scipy.sparse
   shortest paths from a virtual root), with a preorder numbering so that "A lies upstream of B" is one
   comparison; the temporal variance a pulse gains on each reach (``2 D L / u³``) is accumulated the same way.
2. **Placement.** Stations sit on their ``river_id`` reach (or the nearest reach within ``station_snap_m``),
   at the projection of the point; facilities (existing ones only: a proposed facility cannot pollute) on the
   nearest reach when within the riparian rules' distance for that reach's level (``basin/zoning/rules``);
   cross-border sections on their reach; a tributary confluence at the mouth of each tributary.
3. **Candidates.** Every placed point upstream of the warned station with a travel time ≤ ``max_hours``.
4. **Evidence** (each a factor in [0, 1], multiplied with a prior by kind into the ``score``):

   * *upstream stations at the matching lag*: for each upstream station with readings of the parameter, the
     largest Pearson correlation of the warned series with the upstream series shifted by a lag within
     ±max(2 h, 30 %) of the travel time, and the robust z of the upstream excursion; a candidate needs the
     stations between it and the warned station to have seen the pulse, and is unlikely when a station that
     its pulse would not pass saw it;
   * *mass balance* (flows given): the excess load ΔC·Q passing an upstream station, decayed over the travel
     time, against the load at the warned station;
   * *travel-time consistency of the episode*: an instantaneous release spreads in time as
     σ_t² = Σ 2 D τ / u² over the reaches it travels, so the spread of the warned pulse says how far away the
     release was; candidates whose predicted spread is larger than the observed one are penalised strongly,
     smaller ones mildly (the release may have lasted longer than an instant).

The ``evidence`` column says which factors applied and their values.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import yaml
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import depth_first_order, dijkstra

from basin._errors import DataError, SchemaError
from basin.crs import metric_crs, require_crs
from basin.waterquality.standards import parameter_table
from basin.zoning.rules import Rule, load_rules

__all__ = ["TRACE_COLUMNS", "Network", "crossborder_notice", "transport_defaults", "trace_sources"]

TRACE_COLUMNS = [
    "rank",
    "kind",
    "id",
    "name",
    "reach_id",
    "travel_time_h",
    "distance_km",
    "score",
    "evidence",
    "evidence_zh",
    "province",
    "county",
]
#: Prior weight of each candidate kind (what a candidate can be: a source, or a point the pulse passed).
PRIORS = {
    "polluting_facility": 1.0,
    "industrial_park": 1.0,
    "other": 0.3,
    "confluence": 0.5,
    "station": 0.4,
    "section": 0.35,
}
_EPS = 0.05  # factor of a candidate contradicted by an upstream station


@functools.lru_cache(maxsize=1)
def _transport() -> dict[str, Any]:
    text = resources.files("basin.watch").joinpath("rules", "transport.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return {"levels": {int(k): v for k, v in data["levels"].items()}, "decay_per_day": data["decay_per_day"]}


def transport_defaults() -> dict[str, Any]:
    """Velocity, channel, dispersion and decay defaults (``basin/watch/rules/transport.yaml``)."""
    return copy.deepcopy(_transport())


def _per_level(levels: np.ndarray, table: Mapping[int, Mapping[str, float]], key: str) -> np.ndarray:
    top = max(table)
    return np.asarray([float(table[min(int(lv), top)][key]) for lv in levels], dtype=float)


@dataclass
class Network:
    """The river network prepared for tracing (see the module docs); build it with :meth:`from_layers`."""

    ids: np.ndarray
    down: np.ndarray  # int, -1 = outlet
    length: np.ndarray  # m
    level: np.ndarray
    names: np.ndarray
    key: np.ndarray  # river key (stem_id, else name, else id)
    velocity: np.ndarray  # m/s
    dispersion: np.ndarray  # m2/s
    t_out: np.ndarray  # s from the reach's upstream end to its outlet
    d_out: np.ndarray  # m
    v_out: np.ndarray  # s2: temporal variance gained from the upstream end to the outlet
    tin: np.ndarray  # preorder number
    tout: np.ndarray  # preorder number after the reach's upstream subtree
    geometry: gpd.GeoSeries  # metric CRS
    points: pd.DataFrame  # placed candidates
    discharge: np.ndarray | None = None  # m3/s per reach (flows table), NaN where unknown
    notes: list[str] = field(default_factory=list)
    admin: gpd.GeoDataFrame | None = None  # counties with province names, metric CRS
    position: dict[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of reaches."""
        return len(self.ids)

    # ------------------------------------------------------------------------------------------- build
    @classmethod
    def from_layers(  # noqa: C901 - one step per input layer
        cls,
        rivers: gpd.GeoDataFrame,
        *,
        stations: gpd.GeoDataFrame | None = None,
        facilities: gpd.GeoDataFrame | None = None,
        sections: gpd.GeoDataFrame | None = None,
        admin: gpd.GeoDataFrame | None = None,
        velocities: Mapping[int, float] | None = None,
        flows: pd.DataFrame | None = None,
        rules: Any = None,
        station_snap_m: float = 1000.0,
        crs: Any = None,
    ) -> Network:
        """Prepare the network and place the candidates on it.

        Parameters
        ----------
        rivers
            Rivers layer of the data model (``river_id``, ``level``, ``downstream_id``; optional ``name``,
            ``stem_id``), lines digitised downstream, any CRS (projected to the metric CRS).
        stations, facilities, sections, admin
            Optional layers: stations (``station_id``, ``river_id``), facilities (``facility_id``,
            ``category``, ``status``), cross-border sections (:func:`basin.crossborder.find_sections`), admin
            (counties with ``parent_id`` -> provinces) for the province and county of each candidate.
        velocities
            ``{level: m/s}`` overriding the defaults of ``transport.yaml``.
        flows
            Table with ``river_id`` and ``velocity_m_s`` and/or ``discharge_m3s`` (with ``area_m2`` a velocity
            Q/A); velocities given here win over the level defaults.
        rules
            Riparian rules (path or list; default the shipped R1-R3) giving the facility search distance.
        station_snap_m
            Farthest a station may lie from its reach.
        crs
            Metric CRS (default :func:`basin.crs.metric_crs`).

        Raises
        ------
        SchemaError
            Missing columns.
        DataError
            Duplicate reach ids, a ``downstream_id`` cycle, a flows table naming unknown reaches.
        """
        need = ["river_id", "level"]
        missing = [c for c in need if c not in rivers.columns]
        if missing:
            msg = f"rivers: missing column(s) {missing}; the tracer needs river_id, level and downstream_id"
            raise SchemaError(msg)
        if "downstream_id" not in rivers.columns:
            msg = (
                "rivers: no downstream_id column; the tracer walks the downstream_id graph (see "
                "basin.io.layers)"
            )
            raise SchemaError(msg)
        require_crs(rivers, "rivers")
        target = metric_crs(crs)
        rv = rivers.to_crs(target)
        ids = rv["river_id"].astype(str).to_numpy(object)
        if len(set(ids)) != len(ids):
            dup = pd.Series(ids)[pd.Series(ids).duplicated()].unique()[:5].tolist()
            msg = f"rivers: duplicate river_id(s) {dup}"
            raise DataError(msg)
        index = pd.Index(ids)
        dn = rv["downstream_id"].astype("string")
        down = index.get_indexer(dn.fillna("\x00").to_numpy(object))
        unknown = dn.notna().to_numpy() & (down < 0)
        notes = []
        if unknown.any():
            notes.append(
                f"rivers: {int(unknown.sum())} reach(es) flow into a downstream_id not in the layer "
                f"(e.g. {ids[unknown][:3].tolist()}); treated as outlets"
            )
        n = len(ids)
        length = shapely.length(rv.geometry.values)
        level = pd.to_numeric(rv["level"], errors="coerce").fillna(9).astype(int).to_numpy()
        names = (
            rv["name"].astype("string").fillna("").to_numpy(object)
            if "name" in rv.columns
            else np.full(n, "")
        )
        if "stem_id" in rv.columns:
            key = rv["stem_id"].astype("string").fillna("").to_numpy(object)
        else:
            key = names.copy()
        key = np.where(key == "", np.char.add("id:", ids.astype(str)), key).astype(object)
        tr = transport_defaults()["levels"]
        vel = _per_level(level, tr, "velocity_m_s")
        if velocities:
            for lv, u in velocities.items():
                if not isinstance(u, int | float) or isinstance(u, bool) or u <= 0:
                    msg = f"velocities: level {lv!r} must have a positive velocity in m/s, got {u!r}"
                    raise SchemaError(msg)
                vel[level == int(lv)] = float(u)
            top = max(int(k) for k in velocities)
            vel[level > top] = np.where(level[level > top] > max(tr), vel[level > top], vel[level > top])
        disp = _per_level(level, tr, "dispersion_m2_s")
        discharge = None
        if flows is not None:
            vel, discharge = _apply_flows(flows, index, vel)
        # graph: virtual root n -> outlets; down -> up edges, weights = traversal of the upstream reach
        tt = length / vel
        var = 2.0 * disp * tt / vel**2
        src = np.where(down >= 0, down, n)
        dst = np.arange(n)
        out: dict[str, np.ndarray] = {}
        for name, w in (("t", tt), ("d", length), ("v", var)):
            g = csr_matrix((np.maximum(w, 1e-9), (src, dst)), shape=(n + 1, n + 1))
            out[name] = dijkstra(g, directed=True, indices=n)[:n]
        if not np.isfinite(out["t"]).all():
            bad = ids[~np.isfinite(out["t"])][:10].tolist()
            msg = f"rivers: downstream_id forms a cycle through {bad}; the network must be a tree"
            raise DataError(msg)
        g = csr_matrix((np.ones(n), (src, dst)), shape=(n + 1, n + 1))
        order, parent = depth_first_order(g, n, directed=True, return_predecessors=True)
        order = order[1:]  # drop the virtual root
        tin = np.empty(n, dtype=np.int64)
        tin[order] = np.arange(n)
        size = np.ones(n, dtype=np.int64)
        par = parent[order].tolist()
        size_l = size.tolist()
        for q, pq in zip(order[::-1].tolist(), par[::-1], strict=True):
            if pq != n and pq >= 0:
                size_l[pq] += size_l[q]
        size = np.asarray(size_l, dtype=np.int64)
        net = cls(
            ids=ids,
            down=down,
            length=length,
            level=level,
            names=names,
            key=key,
            velocity=vel,
            dispersion=disp,
            t_out=out["t"],
            d_out=out["d"],
            v_out=out["v"],
            tin=tin,
            tout=tin + size,
            geometry=gpd.GeoSeries(rv.geometry.values, crs=target),
            points=pd.DataFrame(),
            discharge=discharge,
            notes=notes,
            position={s: i for i, s in enumerate(ids.tolist())},
        )
        if admin is not None:
            net.admin = _counties(admin, target)
        parts = [net._confluences()]
        if stations is not None:
            parts.append(net._place_stations(stations, station_snap_m))
        if facilities is not None:
            parts.append(net._place_facilities(facilities, load_rules(rules), rv))
        if sections is not None and len(sections):
            parts.append(net._place_sections(sections))
        pts = (
            pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else None
        )
        net.points = pts if pts is not None else _empty_points()
        net._locate_admin()
        return net

    # ------------------------------------------------------------------------------------ placements
    def _confluences(self) -> pd.DataFrame:
        n_up = np.bincount(self.down[self.down >= 0], minlength=self.n)
        q = np.flatnonzero((self.down >= 0) & (n_up[np.maximum(self.down, 0)] >= 2))
        d = self.down[q]
        trib = self.key[q] != self.key[d]
        q, d = q[trib], d[trib]
        nq = np.where(self.names[q] == "", self.ids[q], self.names[q])
        nd = np.where(self.names[d] == "", self.ids[d], self.names[d])
        return pd.DataFrame(
            {
                "kind": "confluence",
                "id": [f"{a}>{b}" for a, b in zip(self.ids[q], self.ids[d], strict=True)],
                "name": [f"{a}汇入{b}" for a, b in zip(nq, nd, strict=True)],
                "reach": q,
                "pos": self.length[q],
                "prior": PRIORS["confluence"],
                "province": "",
                "county": "",
                "geometry": shapely.get_point(self.geometry.values[q], -1),
            }
        )

    def _place_stations(self, stations: gpd.GeoDataFrame, snap_m: float) -> pd.DataFrame:
        if "station_id" not in stations.columns:
            msg = "stations: missing column 'station_id'"
            raise SchemaError(msg)
        require_crs(stations, "stations")
        st = stations.to_crs(self.geometry.crs)
        pts = np.asarray(st.geometry.values, dtype=object)
        reach = np.full(len(st), -1)
        if "river_id" in st.columns:
            rid = st["river_id"].astype("string").fillna("\x00").to_numpy(object)
            reach = pd.Index(self.ids).get_indexer(rid)
        tree = shapely.STRtree(self.geometry.values)
        near_i, near_d = tree.query_nearest(pts, max_distance=snap_m, return_distance=True, all_matches=False)
        nearest = np.full(len(st), -1)
        nearest[near_i[0]] = near_i[1]
        dist_own = np.where(
            reach >= 0, shapely.distance(pts, self.geometry.values[np.maximum(reach, 0)]), np.inf
        )
        reach = np.where((reach >= 0) & (dist_own <= snap_m), reach, nearest)
        ok = reach >= 0
        if (~ok).any():
            self.notes.append(
                f"stations: {int((~ok).sum())} station(s) not within {snap_m:.0f} m of a reach (not traced): "
                f"{st['station_id'].astype(str)[~ok].head(5).tolist()}"
            )
        st, pts, reach = st[ok], pts[ok], reach[ok]
        pos = shapely.line_locate_point(self.geometry.values[reach], pts)
        return pd.DataFrame(
            {
                "kind": "station",
                "id": st["station_id"].astype(str).to_numpy(),
                "name": st["name"].astype("string").fillna("").to_numpy() if "name" in st.columns else "",
                "reach": reach,
                "pos": pos,
                "prior": PRIORS["station"],
                "province": "",
                "county": "",
                "geometry": pts,
            }
        )

    def _place_facilities(
        self, facilities: gpd.GeoDataFrame, rules: list[Rule], rv: gpd.GeoDataFrame
    ) -> pd.DataFrame:
        for c in ("facility_id", "category"):
            if c not in facilities.columns:
                msg = f"facilities: missing column {c!r}"
                raise SchemaError(msg)
        require_crs(facilities, "facilities")
        fa = facilities.to_crs(self.geometry.crs)
        if "status" in fa.columns:
            proposed = fa["status"].astype(str) == "proposed"
            if proposed.any():
                self.notes.append(
                    f"facilities: {int(proposed.sum())} proposed facilities left out (not built)"
                )
            fa = fa[~proposed.to_numpy()]
        # search distance per reach: the largest distance of the riparian rules that select it
        dist = np.zeros(self.n)
        for r in rules:
            m = r.river_mask(rv)
            dist[m] = np.maximum(dist[m], r.distance_m)
        dist[dist == 0] = min(r.distance_m for r in rules)
        tree = shapely.STRtree(self.geometry.values)
        geoms = fa.geometry.values
        idx, d = tree.query_nearest(
            geoms, max_distance=float(dist.max()), return_distance=True, all_matches=False
        )
        fi, ri = idx[0], idx[1]
        keep = d <= dist[ri]
        fi, ri = fi[keep], ri[keep]
        sub = fa.iloc[fi]
        anchor = shapely.get_point(shapely.shortest_line(self.geometry.values[ri], geoms[fi]), 0)
        pos = shapely.line_locate_point(self.geometry.values[ri], anchor)
        cat = sub["category"].astype(str).to_numpy()
        out = pd.DataFrame(
            {
                "kind": "facility",
                "id": sub["facility_id"].astype(str).to_numpy(),
                "name": sub["name"].astype("string").fillna("").to_numpy() if "name" in sub.columns else "",
                "reach": ri,
                "pos": pos,
                "prior": [PRIORS.get(c, PRIORS["other"]) for c in cat],
                "province": "",
                "county": "",
                "geometry": shapely.centroid(geoms[fi]),
            }
        )
        return out

    def _place_sections(self, sections: gpd.GeoDataFrame) -> pd.DataFrame:
        for c in ("section_id", "river_id"):
            if c not in sections.columns:
                msg = f"sections: missing column {c!r} (pass the output of basin.crossborder.find_sections)"
                raise SchemaError(msg)
        require_crs(sections, "sections")
        se = sections.to_crs(self.geometry.crs)
        reach = pd.Index(self.ids).get_indexer(se["river_id"].astype(str).to_numpy(object))
        ok = reach >= 0
        se, reach = se[ok], reach[ok]
        g = np.asarray(se.geometry.values, dtype=object)
        pt = g.copy()
        line = shapely.get_type_id(g) != 0
        if line.any():  # a boundary reach: its downstream end
            pt[line] = shapely.get_point(shapely.line_merge(g[line]), -1)
        pos = shapely.line_locate_point(self.geometry.values[reach], pt)
        name_from = se["from_admin_name"].astype(str) if "from_admin_name" in se.columns else se["section_id"]
        name_to = se["to_admin_name"].astype(str) if "to_admin_name" in se.columns else ""
        river = se["river_name"].astype("string").fillna("") if "river_name" in se.columns else ""
        names = (river + " " + name_from + "→" + name_to).str.strip() if len(se) else pd.Series([], dtype=str)
        out = pd.DataFrame(
            {
                "kind": "section",
                "id": se["section_id"].astype(str).to_numpy(),
                "name": np.asarray(names, dtype=object),
                "reach": reach,
                "pos": pos,
                "prior": PRIORS["section"],
                "province": se["from_admin_name"].astype(str).to_numpy()
                if "from_admin_name" in se.columns
                else "",
                "county": "",
                "geometry": pt,
            }
        )
        out["to_province"] = (
            se["to_admin_name"].astype(str).to_numpy() if "to_admin_name" in se.columns else ""
        )
        return out

    def _locate_admin(self) -> None:
        pts = self.points
        if self.admin is None or not len(pts):
            return
        geom = np.asarray(pts["geometry"].to_numpy(), dtype=object)
        # sections: the county just upstream of the crossing point
        sec = (pts["kind"] == "section").to_numpy()
        if sec.any():
            r = pts["reach"].to_numpy()[sec]
            p = np.maximum(pts["pos"].to_numpy()[sec] - 300.0, 0.0)
            geom = geom.copy()
            geom[sec] = shapely.line_interpolate_point(self.geometry.values[r], p)
        tree = shapely.STRtree(self.admin.geometry.values)
        pi, ai = tree.query(geom, predicate="within")
        county = np.full(len(pts), "", dtype=object)
        prov = np.full(len(pts), "", dtype=object)
        county[pi] = self.admin["name"].to_numpy(object)[ai]
        prov[pi] = self.admin["province"].to_numpy(object)[ai]
        keep_prov = pts["province"].astype(str).to_numpy(object)
        pts["county"] = county
        pts["province"] = np.where(prov == "", keep_prov, prov)

    # ---------------------------------------------------------------------------------------- queries
    def upstream_of(self, reach: int, pos: float, reaches: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Boolean mask of points (``reaches``, ``positions``) upstream of (``reach``, ``pos``)."""
        inside = (self.tin[reaches] >= self.tin[reach]) & (self.tin[reaches] < self.tout[reach])
        same = reaches == reach
        return np.where(same, positions < pos, inside)

    def to_outlet(
        self, reaches: np.ndarray, positions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Travel time (s), distance (m) and temporal variance (s²) from points to their outlet."""
        frac = positions / np.maximum(self.length[reaches], 1e-9)
        t = self.t_out[reaches] - positions / self.velocity[reaches]
        d = self.d_out[reaches] - positions
        lv = (
            2.0
            * self.dispersion[reaches]
            * (self.length[reaches] / self.velocity[reaches])
            / self.velocity[reaches] ** 2
        )
        v = self.v_out[reaches] - frac * lv
        return t, d, v

    def locate_station(self, station_id: str) -> tuple[int, float]:
        """Reach index and position (m from the reach's upstream end) of a placed station."""
        pts = self.points
        m = (pts["kind"] == "station").to_numpy() & (pts["id"].astype(str) == str(station_id)).to_numpy()
        if not m.any():
            msg = (
                f"station {str(station_id)[:40]!r} is not placed on the river network (not in the "
                "stations layer, "
                "no river_id, or too far from every reach); it cannot be traced"
            )
            raise DataError(msg)
        j = int(np.flatnonzero(m)[0])
        return int(pts["reach"].iat[j]), float(pts["pos"].iat[j])


def _empty_points() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=object) for c in ("kind", "id", "name", "province", "county", "geometry")}
        | {"reach": pd.Series(dtype=np.int64), "pos": pd.Series(dtype=float), "prior": pd.Series(dtype=float)}
    )


def _apply_flows(flows: pd.DataFrame, index: pd.Index, vel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if "river_id" not in flows.columns or not ({"velocity_m_s", "discharge_m3s"} & set(flows.columns)):
        msg = "flows: expected columns river_id and velocity_m_s and/or discharge_m3s (area_m2 optional)"
        raise SchemaError(msg)
    f = flows.groupby(flows["river_id"].astype(str)).mean(numeric_only=True)
    pos = index.get_indexer(f.index.to_numpy(object))
    if (pos < 0).any():
        msg = f"flows: river_id(s) {f.index[pos < 0][:5].tolist()} are not in the rivers layer"
        raise DataError(msg)
    vel = vel.copy()
    q = np.full(len(index), np.nan)
    if "discharge_m3s" in f.columns:
        q[pos] = f["discharge_m3s"].to_numpy(float)
    u = f["velocity_m_s"].to_numpy(float) if "velocity_m_s" in f.columns else np.full(len(f), np.nan)
    if "area_m2" in f.columns and "discharge_m3s" in f.columns:
        qa = f["discharge_m3s"].to_numpy(float) / f["area_m2"].to_numpy(float)
        u = np.where(np.isfinite(u), u, qa)
    good = np.isfinite(u) & (u > 0)
    vel[pos[good]] = u[good]
    return vel, q


def _counties(admin: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    for c in ("admin_id", "name", "level", "parent_id"):
        if c not in admin.columns:
            msg = f"admin: missing column {c!r} (admin_id, name, level, parent_id)"
            raise SchemaError(msg)
    require_crs(admin, "admin")
    ad = admin.to_crs(crs)
    prov = ad[ad["level"].astype(str) == "province"].set_index(
        ad["admin_id"].astype(str)[ad["level"] == "province"]
    )
    cty = ad[ad["level"].astype(str) == "county"].copy()
    if not len(cty):
        cty = ad[ad["level"].astype(str) == "province"].copy()
        cty["province"] = cty["name"].astype(str)
        return cty
    cty["province"] = cty["parent_id"].astype(str).map(prov["name"].astype(str)).fillna("")
    return cty


# ------------------------------------------------------------------------------------------ evidence
def _warning_fields(warning: Any) -> dict[str, Any]:
    if isinstance(warning, pd.DataFrame):
        if len(warning) != 1:
            msg = f"warning: expected one warning row, got {len(warning)}"
            raise SchemaError(msg)
        warning = warning.iloc[0]
    w = dict(warning) if not isinstance(warning, pd.Series) else warning.to_dict()
    missing = [c for c in ("station_id", "parameter", "first_time", "last_time") if c not in w]
    if missing:
        msg = f"warning: missing field(s) {missing}; pass a row of evaluate_warnings"
        raise SchemaError(msg)
    w["first_time"] = pd.Timestamp(w["first_time"])
    w["last_time"] = pd.Timestamp(w["last_time"])
    return w


class _Bank:
    """Hourly means of one parameter's valid readings, all stations on one hourly grid ``[h0, h1]``."""

    def __init__(self, obs: pd.DataFrame, parameter: str, h0: int, h1: int) -> None:
        self.h0, self.n = h0, h1 - h0 + 1
        t = obs["time"].to_numpy("datetime64[ns]").view(np.int64) // 3_600_000_000_000
        idx = np.flatnonzero((t >= h0) & (t <= h1))
        sub = obs.iloc[idx]
        m = (sub["parameter"] == parameter).to_numpy(bool).copy()
        if "flag" in sub.columns:
            m &= (sub["flag"] == "N").to_numpy(bool)
        if "status" in sub.columns:
            m &= sub["status"].isin(["正常", ""]).to_numpy(bool) | sub["status"].isna().to_numpy(bool)
        codes, names = pd.factorize(sub["station_id"])
        v = sub["value"].to_numpy(float)
        ok = m & np.isfinite(v) & (codes >= 0)
        flat = codes[ok].astype(np.int64) * self.n + (t[idx][ok] - h0)
        size = len(names) * self.n
        total = np.bincount(flat, weights=v[ok], minlength=size)
        count = np.bincount(flat, minlength=size)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.grid = (total / count).reshape(len(names), self.n) if len(names) else np.zeros((0, self.n))
        self.row = {str(k): i for i, k in enumerate(names)}

    def series(self, station: str) -> np.ndarray:
        i = self.row.get(station)
        return self.grid[i] if i is not None else np.full(self.n, np.nan)


def _excess(s: np.ndarray, before: int) -> tuple[np.ndarray, float]:
    """Excess over the median of the values before index ``before``, and their robust scale (1.4826 MAD)."""
    pre = s[: max(before, 0)]
    pre = pre[np.isfinite(pre)]
    if pre.size < 6:
        pre = s[np.isfinite(s)]
    if pre.size == 0:
        return s * np.nan, float("nan")
    med = float(np.median(pre))
    mad = float(np.median(np.abs(pre - med))) * 1.4826
    return s - med, max(mad, 0.02 * abs(med), 1e-9)


def _spread_hours(ex: np.ndarray, scale: float, sign: float) -> float:
    """Temporal spread (h) of the pulse: area / (peak √(2π)) of the contiguous excursion around the peak.

    For a Gaussian pulse this is its standard deviation; the excursion runs while the excess stays above
    max(2 scale, 10 % of the peak), so isolated noise far from the pulse does not count.
    """
    e = ex * sign
    if not np.isfinite(e).any():
        return float("nan")
    i = int(np.nanargmax(e))
    peak = e[i]
    if not peak > 3 * scale:
        return float("nan")
    thr = max(2 * scale, 0.1 * peak)
    lo = i
    while lo > 0 and (np.isnan(e[lo - 1]) or e[lo - 1] > thr):
        lo -= 1
    hi = i
    while hi < e.size - 1 and (np.isnan(e[hi + 1]) or e[hi + 1] > thr):
        hi += 1
    area = float(np.nansum(np.clip(e[lo : hi + 1], 0, None)))  # hourly steps: sum = integral in h
    return float(max(area / (peak * np.sqrt(2 * np.pi)), np.sqrt(1.0 / 12.0)))


def _lag_corr(
    w_ex: np.ndarray, u_ex: np.ndarray, i0: int, i1: int, lag_h: float, tol_h: float
) -> tuple[float, float]:
    """Return the best correlation of the warned excess on ``[i0, i1]`` with the upstream one, lagged."""
    lags = np.arange(max(int(np.floor(lag_h - tol_h)), 0), int(np.ceil(lag_h + tol_h)) + 1)
    lags = lags[i0 - lags >= 0]
    if lags.size == 0:
        return -1.0, lag_h
    a = w_ex[i0 : i1 + 1]
    b = u_ex[(i0 - lags)[:, None] + np.arange(a.size)[None, :]]  # (lags, window)
    ok = np.isfinite(a)[None, :] & np.isfinite(b)
    n = ok.sum(axis=1)
    aa = np.where(ok, a[None, :], 0.0)
    bb = np.where(ok, b, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma, mb = aa.sum(axis=1) / n, bb.sum(axis=1) / n
        xa = np.where(ok, aa - ma[:, None], 0.0)
        xb = np.where(ok, bb - mb[:, None], 0.0)
        r = (xa * xb).sum(axis=1) / np.sqrt((xa * xa).sum(axis=1) * (xb * xb).sum(axis=1))
    r = np.where((n >= 6) & np.isfinite(r), r, -1.0)
    j = int(np.argmax(r))
    best, best_lag = float(r[j]), float(lags[j]) if r[j] > -1.0 else lag_h
    return best, best_lag


def _is_upstream(
    net: Network, reach: int, pos: float, reaches: np.ndarray, positions: np.ndarray
) -> np.ndarray:
    """Mask of points that the point (``reach``, ``pos``) lies upstream of."""
    inside = (net.tin[reach] >= net.tin[reaches]) & (net.tin[reach] < net.tout[reaches])
    return np.where(reaches == reach, positions > pos, inside)


def _sign(parameter: str) -> float:
    return -1.0 if parameter == "DO" else 1.0


@dataclass
class _StationEvidence:
    reach: int
    pos: float
    strength: float  # 0..1: the upstream station saw the pulse at the matching lag
    text: str
    text_zh: str


def trace_sources(  # noqa: C901 - one block per evidence
    warning: Any,
    *,
    rivers: gpd.GeoDataFrame | Network,
    stations: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    obs: pd.DataFrame | None = None,
    flows: pd.DataFrame | None = None,
    sections: gpd.GeoDataFrame | None = None,
    admin: gpd.GeoDataFrame | None = None,
    velocities: Mapping[int, float] | None = None,
    max_hours: float = 72.0,
) -> pd.DataFrame:
    """Rank the possible sources of a warning upstream of its station (method in the module docs).

    Parameters
    ----------
    warning
        One warning (a row of :func:`basin.watch.warnings.evaluate_warnings`, a Series or a dict with
        ``station_id``, ``parameter``, ``first_time``, ``last_time``).
    rivers
        Rivers layer, or a prepared :class:`Network` (then ``stations``, ``facilities``, ``sections``,
        ``admin``, ``velocities`` and ``flows`` are those it was built with and the arguments are ignored).
    stations, facilities, sections, admin, velocities, flows
        See :meth:`Network.from_layers`; ``flows`` (``discharge_m3s``) also enables the mass balance.
    obs
        Observations (columns of ``evaluate_warnings``): the warned and upstream stations' readings.
    max_hours
        Longest travel time searched upstream.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TRACE_COLUMNS`, best first: ``rank``, ``kind`` (facility | station | confluence |
        section), ``id``, ``name``, ``reach_id``, ``travel_time_h`` and ``distance_km`` to the warned station,
        ``score`` (0-1), ``evidence`` (English) and ``evidence_zh``, ``province``, ``county``.

    Raises
    ------
    SchemaError
        A malformed warning, layer or table.
    DataError
        The warned station is not on the network.
    """
    if max_hours <= 0:
        msg = f"max_hours must be positive, got {max_hours!r}"
        raise SchemaError(msg)
    net = (
        rivers
        if isinstance(rivers, Network)
        else Network.from_layers(
            rivers,
            stations=stations,
            facilities=facilities,
            sections=sections,
            admin=admin,
            velocities=velocities,
            flows=flows,
        )
    )
    w = _warning_fields(warning)
    station, parameter = str(w["station_id"]), str(w["parameter"])
    r0, s0 = net.locate_station(station)
    pts = net.points
    reach = pts["reach"].to_numpy(np.int64)
    pos = pts["pos"].to_numpy(float)
    up = net.upstream_of(r0, s0, reach, pos) & ~(
        (pts["kind"] == "station").to_numpy() & (pts["id"] == station).to_numpy()
    )
    t_c, d_c, v_c = net.to_outlet(reach, pos)
    t_w, d_w, v_w = net.to_outlet(np.array([r0]), np.array([s0]))
    tt = (t_c - t_w[0]) / 3600.0
    dist = (d_c - d_w[0]) / 1000.0
    var = np.maximum(v_c - v_w[0], 0.0) / 3600.0**2  # h²
    sel = np.flatnonzero(up & (tt <= max_hours) & (tt >= 0))
    cand = pts.iloc[sel].copy()
    cand["travel_time_h"] = tt[sel]
    cand["distance_km"] = dist[sel]
    cand["sigma_h"] = np.sqrt(var[sel])
    if cand.empty:
        empty = pd.DataFrame({c: [] for c in TRACE_COLUMNS})
        empty.attrs["station"] = _station_admin(net, station)
        empty.attrs["sections_to"] = {}
        return empty
    factor = cand["prior"].to_numpy(float).copy()
    ev: list[list[str]] = [[] for _ in range(len(cand))]
    ev_zh: list[list[str]] = [[] for _ in range(len(cand))]
    passthrough = (
        cand["kind"].isin(["station", "section", "confluence"]).to_numpy()
    )  # the pulse came through them

    # --- the warned pulse and its spread (all series on one hourly grid)
    sigma_obs = np.nan
    if obs is not None and len(obs):
        hour = 3_600_000_000_000
        first_h = int(w["first_time"].value // hour)
        last_h = int(w["last_time"].value // hour)
        h1 = last_h + 12
        h0 = first_h - 48 - int(np.ceil(2.6 * max_hours)) - 48
        bank = _Bank(obs, parameter, h0, h1)
        i0, i1 = first_h - 48 - h0, h1 - h0
        sign = _sign(parameter)
        w_ex, w_scale = _excess(bank.series(station), first_h - h0)
        if np.isfinite(w_scale):
            sigma_obs = _spread_hours(w_ex[i0 : i1 + 1], w_scale, sign)
            # --- upstream stations at the matching lag
            st_rows = cand[cand["kind"] == "station"]
            evid: list[_StationEvidence] = []
            for sid, reach_u, pos_u, lag in zip(
                st_rows["id"].astype(str),
                st_rows["reach"],
                st_rows["pos"],
                st_rows["travel_time_h"],
                strict=True,
            ):
                tol = max(2.0, 0.3 * lag)
                us = bank.series(sid)
                if np.isfinite(us).sum() < 6:
                    continue
                u_ex, u_scale = _excess(us, first_h - h0 - int(np.ceil(lag + tol)))
                if not np.isfinite(u_scale):
                    continue
                rho, best_lag = _lag_corr(w_ex, u_ex, i0, i1, lag, tol)
                a_ = max(first_h - h0 - int(np.ceil(best_lag + tol)), 0)
                b_ = max(last_h - h0 - int(np.floor(best_lag - tol)), a_)
                seg = u_ex[a_ : b_ + 1] * sign
                z = float(np.nanmax(seg) / u_scale) if np.isfinite(seg).any() else 0.0
                strength = max(0.0, rho) * float(np.clip((z - 2.0) / 3.0, 0.0, 1.0))
                mb_txt = mb_zh = ""
                if net.discharge is not None:
                    qu, qw = net.discharge[int(reach_u)], net.discharge[r0]
                    if np.isfinite(qu) and np.isfinite(qw) and qu > 0 and qw > 0:
                        k = float(transport_defaults()["decay_per_day"].get(parameter, 0.1)) / 86400.0
                        load_u = float(np.nansum(np.clip(seg, 0, None))) * qu * np.exp(-k * lag * 3600.0)
                        load_w = float(np.nansum(np.clip(w_ex[i0 : i1 + 1] * sign, 0, None))) * qw
                        if load_w > 0 and load_u > 0:
                            ratio = load_u / load_w
                            strength *= 0.5 + 0.5 * float(np.exp(-abs(np.log(ratio))))
                            mb_txt = f", load ratio {ratio:.2f}"
                            mb_zh = f"，负荷比{ratio:.2f}"
                evid.append(
                    _StationEvidence(
                        int(reach_u),
                        float(pos_u),
                        strength,
                        f"station {sid}: r={rho:.2f} at lag {best_lag:.0f} h, z={z:.1f}{mb_txt}",
                        f"上游站{sid}：滞后{best_lag:.0f}小时相关系数{rho:.2f}，z={z:.1f}{mb_zh}",
                    )
                )
            c_reach = cand["reach"].to_numpy(np.int64)
            c_pos = cand["pos"].to_numpy(float)
            c_is_station = (cand["kind"] == "station").to_numpy()
            for e in evid:
                own = c_is_station & (c_reach == e.reach) & np.isclose(c_pos, e.pos)
                below = net.upstream_of(e.reach, e.pos, c_reach, c_pos) | own  # their pulse passes e
                e_above = _is_upstream(net, e.reach, e.pos, c_reach, c_pos)  # e lies upstream of them
                f_pass = (_EPS + e.strength) / (1.0 + _EPS)
                f_other = 1.0 - e.strength * (1.0 - _EPS)
                # a source whose pulse does not pass e cannot explain a pulse seen at e; a pass-through point
                # below e is passed by whatever e saw
                f = np.where(below, f_pass, np.where(passthrough & e_above, 1.0, f_other))
                factor *= f
                for j in np.flatnonzero(np.abs(f - 1.0) > 1e-3).tolist():
                    ev[j].append(e.text + (" (pulse passes it)" if below[j] else " (pulse does not pass it)"))
                    ev_zh[j].append(
                        e.text_zh + ("（污染团经过该站）" if below[j] else "（污染团不经过该站）")
                    )
    # --- travel-time consistency of the episode's spread
    if np.isfinite(sigma_obs):
        pred = np.sqrt(cand["sigma_h"].to_numpy(float) ** 2 + 1.0 / 12.0)
        ratio = pred / sigma_obs
        f = np.where(
            ratio > 1.0, np.exp(-0.5 * (np.log(ratio) / 0.4) ** 2), np.exp(-0.5 * (np.log(ratio) / 1.0) ** 2)
        )
        f = np.where(passthrough & (ratio <= 1.0), 1.0, f)
        factor *= f
        for i in range(len(cand)):
            ev[i].append(f"spread predicted {pred[i]:.1f} h / observed {sigma_obs:.1f} h")
            ev_zh[i].append(f"污染团历时（标准差）预测{pred[i]:.1f}小时/实测{sigma_obs:.1f}小时")
    else:
        # no readings: nearer candidates first (the shortest travel time explains the onset best)
        factor *= np.exp(-cand["travel_time_h"].to_numpy(float) / max_hours)
        for i in range(len(cand)):
            ev[i].append("no readings: ranked by prior and travel time")
            ev_zh[i].append("无监测数据：按类型和传播时间排序")
    cand["score"] = factor
    kinds = cand["kind"].astype(str).tolist()
    for i, tt_i in enumerate(cand["travel_time_h"].to_numpy(float).tolist()):
        ev[i].insert(0, f"{kinds[i]}, travel time {tt_i:.1f} h")
        ev_zh[i].insert(0, f"传播时间{tt_i:.1f}小时")
    cand["evidence"] = ["; ".join(x) for x in ev]
    cand["evidence_zh"] = ["；".join(x) for x in ev_zh]
    cand["reach_id"] = net.ids[cand["reach"].to_numpy(np.int64)]
    cand = cand.sort_values(["score", "travel_time_h"], ascending=[False, True], kind="stable")
    cand["rank"] = np.arange(1, len(cand) + 1)
    out = cand.reindex(columns=TRACE_COLUMNS).reset_index(drop=True)
    out.attrs["station"] = _station_admin(net, station)
    out.attrs["sections_to"] = (
        dict(
            zip(
                cand.loc[cand["kind"] == "section", "id"],
                cand.loc[cand["kind"] == "section", "to_province"],
                strict=True,
            )
        )
        if "to_province" in cand.columns
        else {}
    )
    return out


def _station_admin(net: Network, station: str) -> dict[str, str]:
    pts = net.points
    m = (pts["kind"] == "station").to_numpy() & (pts["id"].astype(str) == station).to_numpy()
    row = pts[m].iloc[0]
    return {"station_id": station, "province": str(row["province"]), "county": str(row["county"])}


# ---------------------------------------------------------------------------------- cross-border notice
def crossborder_notice(
    warning: Any,
    candidates: pd.DataFrame,
    *,
    sections: gpd.GeoDataFrame | pd.DataFrame | None,
    admin: gpd.GeoDataFrame | None,
    top: int = 3,
) -> dict[str, Any] | None:
    """Draft the joint-control (联防联控) hand-over notice when the likely source lies in the other province.

    Parameters
    ----------
    warning
        The warning (row of ``evaluate_warnings``).
    candidates
        Its ranked candidates (:func:`trace_sources`).
    sections
        Cross-border sections (:func:`basin.crossborder.find_sections`, province level).
    admin
        Admin layer (provinces and counties): names the provinces when the candidates carry admin ids.
    top
        How many of the best candidates decide where the source lies (score-weighted).

    Returns
    -------
    dict or None
        ``None`` when the source is likely in the warned station's own province (or unknown); else a dict with
        ``warning_id``, ``station_id``, ``parameter``, ``from_province`` (upstream), ``from_county``,
        ``to_province``, ``section_id``, ``section_name``, ``window_start``, ``window_end``, ``candidates``
        (ids), ``evidence``, ``text_zh`` and ``text_en``.
    """
    w = _warning_fields(warning)
    if candidates is None or not len(candidates):
        return None
    best = candidates.sort_values("rank").head(top)
    best = best[best["province"].astype(str) != ""]
    if best.empty:
        return None
    weights = best.groupby("province")["score"].sum()
    src_prov = str(weights.idxmax())
    here = _station_province(w, candidates, sections)
    if not here or src_prov == here:
        return None
    from_rows = best[best["province"] == src_prov]
    county = next((c for c in from_rows["county"].astype(str) if c), "")
    sec_rows = candidates[(candidates["kind"] == "section")]
    src_side = sec_rows[sec_rows["province"].astype(str) == src_prov]
    sec_rows = src_side if len(src_side) else sec_rows
    section_id = section_name = ""
    if len(sec_rows):
        s = sec_rows.sort_values("travel_time_h").iloc[0]
        section_id, section_name = str(s["id"]), str(s["name"])
    t0 = (w["first_time"] - pd.Timedelta(hours=float(from_rows["travel_time_h"].max()))).floor("h")
    t1 = (w["last_time"] - pd.Timedelta(hours=float(from_rows["travel_time_h"].min()))).ceil("h")
    ids = from_rows["id"].astype(str).tolist()
    labels = [
        f"{n}（{i}）" if n and n != i else i for n, i in zip(from_rows["name"].astype(str), ids, strict=True)
    ]
    evidence = "; ".join(from_rows["evidence"].astype(str).head(2))
    evidence_zh = (
        "；".join(from_rows["evidence_zh"].astype(str).head(2)) if "evidence_zh" in from_rows else evidence
    )
    src_prov, here = _admin_name(src_prov, admin), _admin_name(here, admin)
    par = str(w.get("parameter", ""))
    ptab = parameter_table()
    par_zh = ptab.at[par, "name_zh"] if par in ptab.index else par
    par_en = ptab.at[par, "name_en"] if par in ptab.index else par
    here_county = str(candidates.attrs.get("station", {}).get("county", ""))
    fmt = "%Y-%m-%d %H:%M"
    sec_zh = section_name or section_id or "（未识别）"
    text_zh = (
        f"【跨界联防联控通报】{here}{here_county}{w['station_id']}断面{par_zh}预警"
        f"（{w['first_time'].strftime(fmt)}至{w['last_time'].strftime(fmt)}）。溯源分析显示，污染来源可能位于上游"
        f"{src_prov}{county}，经跨界断面{sec_zh}进入本辖区；推算排放时段{t0.strftime(fmt)}至"
        f"{t1.strftime(fmt)}。可能来源：{'、'.join(labels)}。依据：{evidence_zh}。"
        f"请{src_prov}相关部门核查并反馈。"
    )
    sec_label = section_name or section_id or "(not identified)"
    text_en = (
        f"[Cross-border joint-control notice] {par_en} warning at station {w['station_id']} ({here} "
        f"{here_county}), {w['first_time'].strftime(fmt)} to {w['last_time'].strftime(fmt)}. Source tracing "
        f"points upstream to {src_prov} {county}, entering through cross-border section {sec_label}; "
        f"estimated release window {t0.strftime(fmt)} to {t1.strftime(fmt)}. "
        f"Likely sources: {', '.join(labels)}. Evidence: {evidence}. "
        f"{src_prov} is asked to inspect and reply."
    )
    return {
        "warning_id": w.get("warning_id", ""),
        "station_id": w["station_id"],
        "parameter": w.get("parameter", ""),
        "from_province": src_prov,
        "from_county": county,
        "to_province": here,
        "section_id": section_id,
        "section_name": section_name,
        "window_start": t0,
        "window_end": t1,
        "candidates": ids,
        "evidence": evidence,
        "text_zh": text_zh,
        "text_en": text_en,
    }


def _admin_name(value: str, admin: gpd.GeoDataFrame | None) -> str:
    """Return the name of an admin unit given by its id (names are returned unchanged)."""
    if admin is None or "admin_id" not in admin.columns or "name" not in admin.columns:
        return value
    hit = admin.loc[admin["admin_id"].astype(str) == value, "name"]
    return str(hit.iloc[0]) if len(hit) else value


def _station_province(w: Mapping[str, Any], candidates: pd.DataFrame, sections: Any) -> str:
    """Return the warned station's province: from the tracer (admin given), else from a section."""
    own = candidates.attrs.get("station", {}).get("province", "")
    if own:
        return str(own)
    to = candidates.attrs.get("sections_to", {})
    sec = candidates[candidates["kind"] == "section"].sort_values("travel_time_h")
    for sid in sec["id"].astype(str):
        if to.get(sid):
            return str(to[sid])
        if sections is not None and "to_admin_name" in sections.columns:
            hit = sections[sections["section_id"].astype(str) == sid]
            if len(hit):
                return str(hit["to_admin_name"].iloc[0])
    return ""
