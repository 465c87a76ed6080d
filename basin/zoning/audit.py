"""The siting audit: which facilities break which riparian rule, by exact geodesic distance.

A facility breaks a rule when its geodesic distance to the nearest river or lake that triggers the rule is at most
the rule's ``distance_m`` and either it is ``proposed`` and its category is in the rule's ``prohibits`` (action
``prohibited``) or it is ``existing`` and its category is in the rule's ``phase_out`` (action
``phase_out_candidate``). Distances come from :mod:`basin.zoning.geodesic`; no buffer polygon is involved.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from basin._errors import SchemaError
from basin._validate import require_columns
from basin.crs import metric_crs, require_crs
from basin.zoning.geodesic import EdgeIndex, build_edge_index, nearest_points, nearest_polygon, scale_bounds
from basin.zoning.rules import CATEGORIES, Rule, load_rules

STATUSES = ("proposed", "existing")

#: Columns of the audit result, in order (``county_id``/``county_name`` only when ``admin`` is given).
COLUMNS = [
    "facility_id",
    "facility_name",
    "rule_id",
    "zone",
    "category",
    "status",
    "action",
    "distance_m",
    "limit_m",
    "feature_kind",
    "feature_id",
    "feature_name",
]


def _require_columns(gdf: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    require_columns(gdf, cols, what)


def _to_lonlat(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoSeries:
    require_crs(gdf, what)
    geo = gdf.geometry
    if CRS.from_user_input(gdf.crs).equals(CRS.from_epsg(4326)):
        return geo
    return geo.to_crs(4326)


@dataclass
class TriggerGroup:
    """Rules triggered by the same rivers and lakes, with the edges of those features."""

    rules: list[Rule]
    index: EdgeIndex
    max_distance_m: float


@dataclass
class Network:
    """Rivers and lakes prepared for repeated audits (see :func:`prepare_network`)."""

    rules: list[Rule]
    groups: list[TriggerGroup]
    features: pd.DataFrame  # feature_kind, feature_id, feature_name per feature index
    crs: CRS
    bounds: tuple[float, float, float, float]  # lon/lat bounds of the network


def prepare_network(
    rivers: gpd.GeoDataFrame,
    lakes: gpd.GeoDataFrame | None = None,
    *,
    rules: Any = None,
    crs: Any = None,
) -> Network:
    """Cut the rivers and lakes that trigger any rule into geodesic edges and index them, once.

    Parameters
    ----------
    rivers
        River lines with data-model columns ``river_id``, ``level`` (optional ``name``, ``basin``); any CRS.
    lakes
        Lake polygons with ``lake_id``, ``connected`` (optional ``name``), or None.
    rules
        Rule file path, list of rules, or None for the shipped rules.
    crs
        Metric CRS of the candidate search (default: the ``metric_crs`` option, China Albers).

    Raises
    ------
    SchemaError
        Missing columns.
    CRSError
        A layer without CRS.
    """
    rule_list = load_rules(rules)
    _require_columns(rivers, ["river_id", "level"], "rivers")
    require_crs(rivers, "rivers")
    if lakes is not None:
        _require_columns(lakes, ["lake_id", "connected"], "lakes")
        require_crs(lakes, "lakes")
    mcrs = metric_crs(crs)
    r_ll = _to_lonlat(rivers, "rivers").to_numpy()
    l_ll = _to_lonlat(lakes, "lakes").to_numpy() if lakes is not None else np.zeros(0, dtype=object)
    rname = rivers["name"] if "name" in rivers.columns else pd.Series(pd.NA, index=rivers.index)
    features = pd.DataFrame(
        {
            "feature_kind": ["river"] * len(rivers),
            "feature_id": rivers["river_id"].astype("string").to_numpy(),
            "feature_name": rname.astype("string").to_numpy(),
        }
    )
    if lakes is not None:
        lname = lakes["name"] if "name" in lakes.columns else pd.Series(pd.NA, index=lakes.index)
        features = pd.concat(
            [
                features,
                pd.DataFrame(
                    {
                        "feature_kind": ["lake"] * len(lakes),
                        "feature_id": lakes["lake_id"].astype("string").to_numpy(),
                        "feature_name": lname.astype("string").to_numpy(),
                    }
                ),
            ],
            ignore_index=True,
        )
    geoms = np.concatenate([r_ll, l_ll])
    groups: dict[tuple[Any, ...], list[Rule]] = {}
    for r in rule_list:
        groups.setdefault(r.trigger_key, []).append(r)
    out: list[TriggerGroup] = []
    for members in groups.values():
        sel = np.concatenate([members[0].river_mask(rivers), members[0].lake_mask(lakes)])
        owner = np.flatnonzero(sel)
        index = build_edge_index(geoms[owner], owner, mcrs)
        out.append(TriggerGroup(members, index, max(r.distance_m for r in members)))
    valid = geoms[~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)] if len(geoms) else geoms
    bounds = tuple(shapely.total_bounds(valid)) if len(valid) else (97.0, 26.0, 110.5, 34.5)
    return Network(rule_list, out, features, mcrs, bounds)


def check_facilities(facilities: gpd.GeoDataFrame, what: str = "facilities") -> None:
    """Check the columns, categories, statuses, ids and CRS the audit needs.

    Raises
    ------
    SchemaError
        Missing ``facility_id``/``category``/``status`` column, unknown category or status (listing the unknown
        and the allowed values), empty or duplicate ids, missing geometry.
    CRSError
        No CRS.
    """
    _require_columns(facilities, ["facility_id", "category", "status"], what)
    require_crs(facilities, what)
    ids = facilities["facility_id"].astype("string")
    if ids.isna().any():
        msg = f"{what}: empty facility_id in row(s) {list(np.flatnonzero(ids.isna().to_numpy())[:10])}"
        raise SchemaError(msg)
    dup = ids[ids.duplicated()]
    if len(dup):
        msg = f"{what}: duplicate facility_id(s) {sorted(set(dup))[:10]}"
        raise SchemaError(msg)
    for col, allowed in (("category", CATEGORIES), ("status", STATUSES)):
        vals = facilities[col].astype("string")
        codes, uniques = pd.factorize(vals)  # compare the few distinct values, not every row
        bad = np.append(~pd.Index(uniques).isin(list(allowed)), True)[codes]
        if bad.any():
            unknown = sorted({str(v) for v in vals[bad]})
            msg = (
                f"{what}: unknown {col}(s) {unknown} for facility_id(s) {list(ids[bad][:10])}; "
                f"allowed: {list(allowed)}"
            )
            raise SchemaError(msg)
    geom = facilities.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        msg = f"{what}: empty or missing geometry for facility_id(s) {list(ids[empty][:10])}"
        raise SchemaError(msg)
    if CRS.from_user_input(facilities.crs).is_geographic:
        b = shapely.bounds(geom.to_numpy())
        bad = (np.abs(b[:, [1, 3]]) > 90).any(axis=1) | (np.abs(b[:, [0, 2]]) > 180).any(axis=1)
        if bad.any():
            msg = (
                f"{what}: coordinates out of range (|lat| > 90 or |lon| > 180) for facility_id(s) "
                f"{list(ids[bad][:10])}; are longitude and latitude swapped?"
            )
            raise SchemaError(msg)
    tid = shapely.get_type_id(geom.to_numpy())
    wrong = ~np.isin(tid, (0, 3, 4, 6))  # Point, Polygon, MultiPoint, MultiPolygon
    if wrong.any():
        kinds = sorted(set(geom[wrong].geom_type.astype(str)))
        shown = list(ids[wrong][:10])
        msg = f"{what}: geometry type(s) {kinds} for facility_id(s) {shown}; expected points or polygons"
        raise SchemaError(msg)


def facility_distances(network: Network, facilities: gpd.GeoDataFrame) -> pd.DataFrame:
    """Exact geodesic distance (m) from every facility to the features that trigger each rule.

    Returns
    -------
    pandas.DataFrame
        Index = the facilities' index, one column per rule id: the geodesic distance to the nearest triggering
        river or lake, ``inf`` beyond the largest distance of the rules sharing those triggers.
    """
    dist, _ = _distances(network, facilities)
    cols = {r.id: dist[:, g] for g, grp in enumerate(network.groups) for r in grp.rules}
    return pd.DataFrame({r.id: cols[r.id] for r in network.rules}, index=facilities.index)


@dataclass
class Located:
    """Facilities reduced to what the distance search needs: compact arrays that slice by facility row.

    ``lon``/``lat`` are the WGS84 points of the Point and MultiPoint facilities (one per part), ``owner`` the
    facility row of each part (None: every facility is a single Point, the row is the position); the
    (multi)polygon facilities are ``poly_rows`` with their lon/lat and metric (``network.crs``) geometries.
    ``scale`` is :func:`~basin.zoning.geodesic.scale_bounds` over the facilities and the network, computed once
    for all the facilities so that every slice searches exactly as the whole.
    """

    n: int
    lon: np.ndarray
    lat: np.ndarray
    owner: np.ndarray | None
    poly_rows: np.ndarray
    poly_ll: np.ndarray
    poly_m: np.ndarray
    scale: tuple[float, float]

    def rows(self, a: int, b: int) -> Located:
        """Return the facilities of rows ``a`` .. ``b - 1``, re-numbered from 0 (arrays copied: compact to ship)."""
        if self.owner is None:
            lon, lat, owner = self.lon[a:b].copy(), self.lat[a:b].copy(), None
        else:
            i, j = np.searchsorted(self.owner, [a, b])
            lon, lat, owner = self.lon[i:j].copy(), self.lat[i:j].copy(), self.owner[i:j] - a
        i, j = np.searchsorted(self.poly_rows, [a, b])
        return Located(
            b - a, lon, lat, owner, self.poly_rows[i:j] - a, self.poly_ll[i:j], self.poly_m[i:j], self.scale
        )


def locate(network: Network, facilities: gpd.GeoDataFrame) -> Located:
    """Reduce ``facilities`` (any CRS, checked) to the :class:`Located` arrays of the distance search."""
    ll = _to_lonlat(facilities, "facilities").to_numpy()
    n = len(ll)
    fb = shapely.total_bounds(ll) if n else np.array(network.bounds)
    nb = network.bounds
    bounds = (min(fb[0], nb[0]), min(fb[1], nb[1]), max(fb[2], nb[2]), max(fb[3], nb[3]))
    scale = scale_bounds(network.crs, bounds) if n else (1.0, 1.0)
    types = shapely.get_type_id(ll)
    pointish = np.isin(types, (0, 4))  # Point, MultiPoint
    owner: np.ndarray | None
    if bool((types == 0).all()):  # one part per facility
        parts, owner = ll, None
    else:
        parts, owner = shapely.get_parts(ll[pointish], return_index=True)
        owner = np.flatnonzero(pointish)[owner]
    polys = np.flatnonzero(~pointish)
    polys_m = facilities.geometry.iloc[polys].to_crs(network.crs).to_numpy() if len(polys) else ll[:0]
    return Located(n, shapely.get_x(parts), shapely.get_y(parts), owner, polys, ll[polys], polys_m, scale)


@functools.lru_cache(maxsize=8)
def _lonlat_to(crs: CRS) -> Transformer:
    """Return the WGS84 lon/lat -> ``crs`` transformer, built once per CRS (~9 ms; thread-safe, pyproj >= 3.1)."""
    return Transformer.from_crs(4326, crs, always_xy=True)


def located_distances(
    network: Network, loc: Located, need: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Distances (n_facilities, n_groups) and nearest feature indices; ``need[i, g]`` False skips a pair."""
    n, ng = loc.n, len(network.groups)
    dist = np.full((n, ng), np.inf)
    feat = np.full((n, ng), -1, dtype=np.int64)
    if n == 0:
        return dist, feat
    if need is None:
        need = np.ones((n, ng), dtype=bool)
    owner = np.arange(len(loc.lon)) if loc.owner is None else loc.owner
    lon, lat = loc.lon, loc.lat
    x, y = _lonlat_to(network.crs).transform(lon, lat)
    for g, group in enumerate(network.groups):
        sel = np.flatnonzero(need[owner, g])
        res = nearest_points(group.index, lon[sel], lat[sel], x[sel], y[sel], group.max_distance_m, loc.scale)
        own = owner[sel]
        if loc.owner is None:  # one part per facility: direct assignment
            dist[own, g], feat[own, g] = res.distance, res.feature
        else:  # the nearest part of each facility
            best = np.lexsort((res.distance, own))
            first = np.ones(len(best), dtype=bool)
            first[1:] = own[best][1:] != own[best][:-1]
            best = best[first]
            dist[own[best], g], feat[own[best], g] = res.distance[best], res.feature[best]
        for k, i in enumerate(loc.poly_rows):
            if need[i, g]:
                dist[i, g], feat[i, g] = nearest_polygon(
                    group.index, loc.poly_ll[k], loc.poly_m[k], group.max_distance_m, loc.scale
                )
    return dist, feat


def _distances(
    network: Network, facilities: gpd.GeoDataFrame, need: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Distances (n_facilities, n_groups) and nearest feature indices; ``need[i, g]`` False skips a pair."""
    return located_distances(network, locate(network, facilities), need)


def _codes(facilities: pd.DataFrame) -> np.ndarray:
    """Category and status of each facility as one code ``category_index * 2 + status_index``, -1 if unknown.

    One hash pass per column (``pandas.factorize``) and a look-up of the few distinct values, instead of
    string comparisons per row.
    """
    out = []
    for col, allowed in (("category", CATEGORIES), ("status", STATUSES)):
        codes, uniques = pd.factorize(facilities[col].astype("string"))
        lut = np.append(pd.Index(list(allowed)).get_indexer(pd.Index(uniques).astype(str)), -1)
        out.append(lut[codes])  # codes == -1 (missing) -> the appended -1
    cat, status = out
    return np.where((cat >= 0) & (status >= 0), cat * len(STATUSES) + status, -1)


def _rule_table(rule: Rule) -> np.ndarray:
    """``table[code]``: a facility of that :func:`_codes` code can break ``rule`` (last entry: unknown, False)."""
    prohibits, phase_out = np.isin(CATEGORIES, rule.prohibits), np.isin(CATEGORIES, rule.phase_out)
    table = np.stack([prohibits, phase_out], axis=1)  # columns in STATUSES order: proposed, existing
    return np.append(table.ravel(), False)


def facility_need(network: Network, facilities: pd.DataFrame) -> np.ndarray:
    """``need[i, g]``: facility ``i`` can break a rule of trigger group ``g`` (by its category and status)."""
    codes = _codes(facilities)
    need = np.zeros((len(facilities), len(network.groups)), dtype=bool)
    for g, group in enumerate(network.groups):
        table = np.zeros(len(CATEGORIES) * len(STATUSES) + 1, dtype=bool)
        for rule in group.rules:
            table |= _rule_table(rule)
        need[:, g] = table[codes]
    return need


def _empty_result(crs: Any, with_county: bool) -> gpd.GeoDataFrame:
    cols = COLUMNS + (["county_id", "county_name"] if with_county else [])
    df = pd.DataFrame({c: pd.Series(dtype="string") for c in cols})
    for c in ("distance_m", "limit_m"):
        df[c] = df[c].astype("float64")
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def audit_facilities(
    facilities: gpd.GeoDataFrame,
    rivers: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | None = None,
    *,
    rules: Any = None,
    admin: gpd.GeoDataFrame | None = None,
    crs: Any = None,
    network: Network | None = None,
) -> gpd.GeoDataFrame:
    """Audit facilities against the riparian rules: one row per (facility, rule) broken.

    Parameters
    ----------
    facilities
        Points or polygons with ``facility_id``, ``category`` (polluting_facility | industrial_park | other),
        ``status`` (proposed | existing), optional ``name``; any CRS.
    rivers, lakes
        The network (see :func:`prepare_network`); not needed when ``network`` is given.
    rules
        Rule file path, list of rules, or None for the shipped rules (R1 1 km, R2 5 km, R3 3 km).
    admin
        Admin polygons (``admin_id``, ``name``, ``level``); when given, every row gets the county
        (``county_id``, ``county_name``) that contains the facility.
    crs
        Metric CRS of the candidate search (default: the ``metric_crs`` option).
    network
        A :func:`prepare_network` result to reuse across calls.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`COLUMNS` (+ county) and the facility geometry; rows in the facilities' order, then
        rule order.
        ``distance_m`` is the geodesic distance (WGS84) from the facility (nearest part of a polygon) to the
        nearest river line or lake shore that triggers the rule (0 inside a lake); ``action`` is ``prohibited``
        for proposed and ``phase_out_candidate`` for existing facilities.

    Raises
    ------
    SchemaError
        Missing columns, unknown categories or statuses, duplicate ids, bad rule file.
    CRSError
        A layer without CRS.
    """
    check_facilities(facilities)
    if network is None:
        if rivers is None:
            msg = "audit_facilities needs rivers (or a prepared network)"
            raise SchemaError(msg)
        network = prepare_network(rivers, lakes, rules=rules, crs=crs)
    check_admin(admin)
    # measure only the facilities that a rule of the group can concern (category and status)
    need = facility_need(network, facilities)
    dist, feat = _distances(network, facilities, need)
    return assemble(facilities, network, dist, feat, admin=admin)


def check_admin(admin: gpd.GeoDataFrame | None) -> None:
    """Check the admin layer of the county column (``admin_id``, ``name``, a CRS), when given."""
    if admin is not None:
        _require_columns(admin, ["admin_id", "name"], "admin")
        require_crs(admin, "admin")


def assemble(
    facilities: gpd.GeoDataFrame,
    network: Network,
    dist: np.ndarray,
    feat: np.ndarray,
    *,
    admin: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Build the audit table from the distances and nearest features of :func:`located_distances`.

    The facilities must have been checked (:func:`check_facilities`, :func:`check_admin`).
    """
    codes = _codes(facilities)
    proposed = codes % len(STATUSES) == STATUSES.index("proposed")
    rows_l, rule_l, grp_l, act_l = [], [], [], []
    for g, group in enumerate(network.groups):
        for rule in group.rules:
            rows = np.flatnonzero((dist[:, g] <= rule.distance_m) & _rule_table(rule)[codes])
            rows_l.append(rows)
            rule_l.append(np.full(len(rows), network.rules.index(rule), dtype=np.int64))
            grp_l.append(np.full(len(rows), g, dtype=np.int64))
            act_l.append(np.where(proposed[rows], 0, 1))  # 0 prohibited (proposed), 1 phase_out_candidate
    with_county = admin is not None
    rows = np.concatenate(rows_l) if rows_l else np.zeros(0, dtype=np.int64)
    if len(rows) == 0:
        return _empty_result(facilities.crs, with_county)
    rule_i, grp, act = np.concatenate(rule_l), np.concatenate(grp_l), np.concatenate(act_l)
    order = np.lexsort((rule_i, rows))  # input order of the facilities, then rule order
    rows, rule_i, grp, act = rows[order], rule_i[order], grp[order], act[order]
    fi = feat[rows, grp]
    rules_df = pd.DataFrame(
        {
            "rule_id": [r.id for r in network.rules],
            "zone": [r.zone for r in network.rules],
            "limit_m": [r.distance_m for r in network.rules],
        }
    )

    def take(values: Any, idx: np.ndarray) -> pd.Series:
        return pd.Series(pd.array(values, dtype="string").take(idx), dtype="string")

    name = facilities["name"] if "name" in facilities.columns else pd.Series(pd.NA, index=facilities.index)
    df = pd.DataFrame(
        {
            "facility_id": take(facilities["facility_id"], rows),
            "facility_name": take(name, rows),
            "rule_id": take(rules_df["rule_id"], rule_i),
            "zone": take(rules_df["zone"], rule_i),
            "category": take(facilities["category"], rows),
            "status": take(facilities["status"], rows),
            "action": take(pd.Series(["prohibited", "phase_out_candidate"]), act),
            "distance_m": dist[rows, grp],
            "limit_m": rules_df["limit_m"].to_numpy()[rule_i],
            "feature_kind": take(network.features["feature_kind"], fi),
            "feature_id": take(network.features["feature_id"], fi),
            "feature_name": take(network.features["feature_name"], fi),
        }
    )
    if with_county:
        county = county_of(facilities, admin, crs=network.crs)
        df["county_id"] = take(county["county_id"], rows)
        df["county_name"] = take(county["county_name"], rows)
    geom = facilities.geometry.to_numpy()[rows]
    return gpd.GeoDataFrame(df, geometry=geom, crs=facilities.crs)


def county_of(facilities: gpd.GeoDataFrame, admin: gpd.GeoDataFrame, *, crs: Any = None) -> pd.DataFrame:
    """County (``county_id``, ``county_name``) containing each facility (its representative point), or NA.

    Counties are the admin rows with ``level == 'county'`` (all rows when there is no ``level`` column); a
    point on a shared boundary goes to the smallest ``admin_id``.
    """
    adm = admin
    if "level" in adm.columns:
        adm = adm[adm["level"].astype("string") == "county"]
    out = pd.DataFrame(
        {
            "county_id": pd.array([pd.NA] * len(facilities), dtype="string"),
            "county_name": pd.array([pd.NA] * len(facilities), dtype="string"),
        }
    )
    if len(adm) == 0 or len(facilities) == 0:
        return out
    mcrs = metric_crs(crs)
    pts = facilities.geometry.to_crs(mcrs).representative_point().to_numpy()
    polys = adm.geometry.to_crs(mcrs).to_numpy()
    tree = shapely.STRtree(polys)
    pi, ai = tree.query(pts, predicate="intersects")
    ids = adm["admin_id"].astype("string").to_numpy()
    names = adm["name"].astype("string").to_numpy()
    order = np.lexsort((ids[ai].astype(str), pi))
    first = np.ones(len(order), dtype=bool)
    first[1:] = pi[order][1:] != pi[order][:-1]
    pi, ai = pi[order][first], ai[order][first]
    out.loc[pi, "county_id"] = ids[ai]
    out.loc[pi, "county_name"] = names[ai]
    return out


def summarize(violations: pd.DataFrame, facilities: pd.DataFrame | None = None) -> dict[str, Any]:
    """Count an audit result: total, by rule, category, status, action and county (when present)."""

    def counts(col: str) -> dict[str, int]:
        if col not in violations.columns:
            return {}
        s = violations[col].astype("string").fillna("(none)")
        return {str(k): int(v) for k, v in s.value_counts().sort_index().items()}

    out: dict[str, Any] = {
        "violations": len(violations),
        "facilities_in_violation": int(violations["facility_id"].nunique()) if len(violations) else 0,
    }
    if facilities is not None:
        out["facilities_audited"] = len(facilities)
    out.update(
        {
            "by_rule": counts("rule_id"),
            "by_category": counts("category"),
            "by_status": counts("status"),
            "by_action": counts("action"),
        }
    )
    if "county_id" in violations.columns:
        key = (
            violations["county_id"].astype("string").fillna("(none)")
            + " "
            + violations["county_name"].astype("string").fillna("")
        )
        out["by_county"] = {str(k).strip(): int(v) for k, v in key.value_counts().sort_index().items()}
    return out
