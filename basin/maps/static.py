"""Static maps and charts with matplotlib (imported only when a function here is called).

Maps are drawn in the metric CRS (:func:`basin.crs.metric_crs`, China Albers by default), so that the scale
bar measures metres on the ground; the north arrow points to true north at the centre of the map, which in a
conic projection is not straight up away from the central meridian.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from basin._errors import DataError, SchemaError
from basin.crs import metric_crs, require_crs
from basin.maps import fonts
from basin.maps._style import Theme, river_category, theme

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

PAPER_MM = {"A4": (297.0, 210.0), "A3": (420.0, 297.0), "A2": (594.0, 420.0), "A1": (841.0, 594.0)}
POLYGON_THEMES = ("zones", "management", "units")
_TITLES = {
    "overview": (
        "川渝流域 河流、行政区与监测断面",
        "Sichuan-Chongqing basin: rivers, admin units and stations",
    ),
    "zones": ("岸线分区（1 km / 3 km / 5 km 规则）", "Riparian zones (1 km / 3 km / 5 km rules)"),
    "management": ("流域管控分区", "Management zoning: priority / key / general"),
    "units": ("评价单元四类分区", "Evaluation units: pressure x capacity classes"),
}


def _require_matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - matplotlib is a core dependency
        msg = "static maps need matplotlib: pip install matplotlib"
        raise ImportError(msg) from exc
    return matplotlib


@contextlib.contextmanager
def map_style() -> Iterator[None]:
    """Context to build and save figures in: the CJK font and PDF settings of :func:`fonts.font_rc`."""
    matplotlib = _require_matplotlib()
    with matplotlib.rc_context(fonts.font_rc()):
        yield


def _metric(gdf: gpd.GeoDataFrame | None, what: str, crs: Any) -> gpd.GeoDataFrame | None:
    if gdf is None:
        return None
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"{what} must be a GeoDataFrame, got {type(gdf).__name__}"
        raise SchemaError(msg)
    require_crs(gdf, what)
    return gdf.to_crs(crs) if gdf.crs != crs else gdf


def _require_column(gdf: pd.DataFrame, column: str, what: str) -> None:
    if column not in gdf.columns:
        msg = f"{what} has no column {column!r} (columns: {list(gdf.columns)})"
        raise SchemaError(msg)


def _colours(gdf: pd.DataFrame, th: Theme, what: str, column: str | None = None) -> list[str]:
    """Colour of each row of ``gdf`` by its category; unknown values raise, naming them and the allowed."""
    col = column or th.column
    _require_column(gdf, col, what)
    out, unknown = [], set()
    for v in gdf[col].tolist():
        cat = th.lookup(v)
        if cat is None:
            unknown.add(str(v))
            out.append("#000000")
        else:
            out.append(cat.colour)
    if unknown:
        msg = (
            f"{what}: column {col!r} has values {sorted(unknown)} with no map style; "
            f"expected one of {[c.key for c in th.categories]}"
        )
        raise SchemaError(msg)
    return out


def latest_compliance(
    stations: pd.DataFrame, assessment: pd.DataFrame | None, *, period: str | None = None
) -> pd.Series:
    """Return each station's compliance (True / False / NA) in ``period`` (default: its latest period).

    Parameters
    ----------
    stations
        Stations with ``station_id`` (and ``compliant`` when ``assessment`` is None).
    assessment
        Station assessment (``basin.waterquality``): ``station_id``, ``period``, ``compliant``.
    period
        The period to show, as written in the assessment (``"2024"``, ``"2024-06"``).
    """
    if assessment is None:
        if "compliant" in stations.columns:
            return pd.Series(stations["compliant"].to_numpy(), index=stations.index, name="compliant")
        return pd.Series(pd.NA, index=stations.index, name="compliant", dtype="object")
    for col in ("station_id", "period", "compliant"):
        _require_column(assessment, col, "assessment")
    a = assessment.assign(
        period=assessment["period"].astype(str), station_id=assessment["station_id"].astype(str)
    )
    if period is not None:
        a = a[a["period"] == str(period)]
        if a.empty:
            periods = sorted(assessment["period"].astype(str).unique())[:12]
            msg = f"assessment has no rows for period {period!r}; periods: {periods}"
            raise DataError(msg)
    last = a.sort_values("period").groupby("station_id").tail(1).set_index("station_id")["compliant"]
    ids = stations["station_id"].astype(str)
    vals = [_as_bool(last.get(i, pd.NA)) for i in ids]
    return pd.Series(vals, index=stations.index, name="compliant", dtype="object")


def section_compliance(
    sections: pd.DataFrame, audit: pd.DataFrame | None, *, period: str = "latest"
) -> tuple[pd.Series, str | None]:
    """Return each section's compliance (True / False / NA) from the cross-border audit, and the period shown.

    Parameters
    ----------
    sections
        Sections with ``section_id`` (and ``compliant`` when ``audit`` is None).
    audit
        The audit table (:func:`basin.crossborder.audit_sections`): ``section_id``, ``period``, ``compliant``.
    period
        ``"latest"`` (default): each section's latest assessed period (a period without data does not hide
        the last result); ``"latest_year"``: False when the section missed its target in any period of its
        latest assessed year (monthly audits: the year's months); ``"worst"``: False when the section missed
        its target in any period; or a period as written in the audit (``"2024"``, ``"2024-06"``).

    Returns
    -------
    (pandas.Series, str or None)
        Compliance aligned to ``sections.index``; the period shown (the latest one used, ``"worst"``, or the
        period asked for; None without an audit).

    Raises
    ------
    SchemaError
        The audit lacks a column.
    DataError
        The audit has no rows for ``period``.
    """
    if audit is None:
        return latest_compliance(sections.rename(columns={"section_id": "station_id"}), None), None
    for col in ("section_id", "period", "compliant"):
        _require_column(audit, col, "audit")
    _require_column(sections, "section_id", "sections")
    a = audit.assign(section_id=audit["section_id"].astype(str), period=audit["period"].astype(str))
    a = a.assign(_c=[_as_bool(v) for v in a["compliant"]])
    if period not in ("latest", "latest_year", "worst"):
        a = a[a["period"] == str(period)]
        if a.empty:
            periods = sorted(audit["period"].astype(str).unique())[-12:]
            msg = f"audit has no rows for period {period!r}; latest periods: {periods}"
            raise DataError(msg)
    known = a[a["_c"].notna()]
    if period == "worst":
        by = known.groupby("section_id")["_c"].agg(lambda s: bool(all(s)))
        shown: str | None = "worst"
    elif period == "latest_year":
        year = known["period"].str[:4]
        last_year = year.groupby(known["section_id"]).transform("max")
        in_year = known[year == last_year]
        by = in_year.groupby("section_id")["_c"].agg(lambda s: bool(all(s)))
        shown = str(in_year["period"].str[:4].max()) if len(in_year) else None
    else:
        last = known.sort_values("period").groupby("section_id").tail(1)
        by = last.set_index("section_id")["_c"]
        shown = str(last["period"].max()) if len(last) else (None if period == "latest" else str(period))
    ids = sections["section_id"].astype(str)
    vals = [by.get(i, pd.NA) for i in ids]
    return pd.Series(vals, index=sections.index, name="compliant", dtype="object"), shown


def _as_bool(v: Any) -> Any:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return pd.NA
    if isinstance(v, str):
        low = v.strip().lower()
        return True if low in ("true", "1", "yes") else (False if low in ("false", "0", "no") else pd.NA)
    return bool(v)


# ------------------------------------------------------------------------------------------ map furniture
def nice_length(span_m: float) -> float:
    """Return a round scale-bar length (1, 2 or 5 x 10^k metres) close to a fifth of ``span_m``."""
    if not span_m > 0:
        msg = f"map extent must be positive, got {span_m} m"
        raise DataError(msg)
    target = span_m / 5
    k = math.floor(math.log10(target))
    best = 1.0
    for m in (1, 2, 5, 10):
        if m * 10**k <= target:
            best = m * 10**k
    return float(best)


def _to_lonlat(crs: Any) -> Any:
    from pyproj import Transformer

    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def scale_factor(crs: Any, x: float, y: float) -> float:
    """Scale along the x axis of ``crs`` at (x, y): map metres per metre on the ground (east-west)."""
    from pyproj import Geod

    inv = _to_lonlat(crs)
    dx = 1000.0
    lon, lat = inv.transform(x, y)
    lon2, lat2 = inv.transform(x + dx, y)
    _, _, ground = Geod(ellps="WGS84").inv(lon, lat, lon2, lat2)  # geodesic length of the 1 km map step
    return dx / ground


def north_angle(crs: Any, x: float, y: float) -> float:
    """Angle (degrees, counter-clockwise from the +y axis) of true north at (x, y) of ``crs``."""
    from pyproj import Transformer

    lon, lat = _to_lonlat(crs).transform(x, y)
    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x2, y2 = fwd.transform(lon, lat + 0.01)
    return math.degrees(math.atan2(-(x2 - x), y2 - y))


def add_scale_bar(
    ax: Axes, crs: Any, *, loc: tuple[float, float] = (0.04, 0.04), fontsize: float = 9
) -> float:
    """Draw a two-segment scale bar in kilometres at ``loc`` (axes fraction); return its ground length in m.

    The bar's drawn length is corrected by the projection's east-west scale factor at the bar, so that it
    measures distance on the ground (geodesic on WGS84) at that place.
    """
    from matplotlib.patches import Rectangle

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    bx = x0 + loc[0] * (x1 - x0)
    by = y0 + loc[1] * (y1 - y0)
    length = nice_length((x1 - x0) * 0.9)
    k = scale_factor(crs, bx, by)
    drawn = length * k
    h = (y1 - y0) * 0.008
    for i, colour in enumerate(("black", "white")):
        ax.add_patch(
            Rectangle(
                (bx + i * drawn / 2, by), drawn / 2, h, facecolor=colour, edgecolor="black", lw=0.8, zorder=20
            )
        )
    km = length / 1000
    fmt = (lambda v: f"{v:g}") if km >= 1 else (lambda v: f"{v * 1000:g}")
    unit = "km" if km >= 1 else "m"
    for frac in (0.0, 0.5, 1.0):
        label = fmt(km * frac) + (f" {unit}" if frac == 1.0 else "")
        ax.text(
            bx + drawn * frac,
            by + 1.8 * h,
            label,
            ha="center",
            va="bottom",
            fontsize=fontsize,
            zorder=20,
            path_effects=fonts.text_effects(fontsize, halo="white"),
        )
    return length


def add_north_arrow(
    ax: Axes, crs: Any, *, loc: tuple[float, float] = (0.95, 0.93), size: float = 36
) -> float:
    """Draw an arrow to true north at ``loc`` (axes fraction); return its angle from the map's up."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    angle = north_angle(crs, cx, cy)
    dx, dy = -math.sin(math.radians(angle)), math.cos(math.radians(angle))
    ax.annotate(
        "",
        xy=loc,
        xycoords="axes fraction",
        xytext=(-dx * size, -dy * size),
        textcoords="offset points",
        arrowprops={"arrowstyle": "-|>,head_width=0.5,head_length=1.0", "color": "black", "lw": 2},
        zorder=20,
    )
    ax.annotate(
        "北 N",
        xy=loc,
        xycoords="axes fraction",
        xytext=(dx * 10, dy * 10 + 2),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=11,
        zorder=20,
        path_effects=fonts.text_effects(11, halo="white"),
    )
    return angle


# ------------------------------------------------------------------------------------------------- layers
#: z-order: polygon fill < admin < lakes < rivers < on-top polygons < sections, stations, violations
Z_POLYGONS, Z_RIVERS, Z_ON_TOP = 1, 5, 6


def _plot_polygons(
    ax: Axes, gdf: gpd.GeoDataFrame, th: Theme, what: str, alpha: float = 0.75, *, raster: bool | None = None
) -> list[Any]:
    """Fill the polygon theme; categories marked ``on_top`` (zone A, priority) go again above the rivers.

    A 1 km zone A band is narrower than a river line at provincial scale, so under the rivers it would not
    show: it is drawn above them, half transparent with an outline of its own colour, so both stay visible.
    Each category is one compound path (:func:`basin.maps.generalise.fill_path`): pieces of one colour that
    share a border fill without a seam. A dense layer (more than
    :data:`~basin.maps.generalise.RASTER_VERTICES` vertices, or ``raster=True``) is rasterised in a PDF or
    SVG at the file's dpi, so the file stays small; text, lines and legends stay vector.
    """
    from matplotlib.collections import PathCollection
    from matplotlib.patches import Patch

    from basin.maps.generalise import RASTER_VERTICES, fill_path, num_vertices

    colours = np.array(_colours(gdf, th, what), dtype=object)
    geoms = gdf.geometry.values
    if raster is None:
        raster = num_vertices(geoms) > RASTER_VERTICES
    for colour in dict.fromkeys(colours.tolist()):  # the categories in the order the data has them
        coll = PathCollection(
            [fill_path(geoms[colours == colour])],
            facecolors=colour,
            linewidths=0,
            alpha=alpha,
            zorder=Z_POLYGONS,
            rasterized=raster,
        )
        ax.add_collection(coll, autolim=False)
    keys = gdf[th.column].tolist()
    for cat in (c for c in th.categories if c.on_top):
        sel = np.array([th.lookup(v) is cat for v in keys], dtype=bool)
        if sel.any():
            coll = PathCollection(
                [fill_path(geoms[sel])],
                facecolors=cat.colour,
                edgecolors=cat.colour,
                linewidths=0.6,
                alpha=0.6,
                zorder=Z_ON_TOP,
                rasterized=raster,
            )
            ax.add_collection(coll, autolim=False)
    return [("header", th.title)] + [
        (Patch(facecolor=c.colour, edgecolor="#666666", lw=0.4, alpha=alpha), _label(gdf, th, c))
        for c in th.categories
    ]


def _label(gdf: pd.DataFrame, th: Theme, cat: Any) -> str:
    """Legend label of a category: the data's own label_zh / label_en when it has them, else the style's."""
    if {"label_zh", "label_en"} <= set(gdf.columns):
        rows = gdf[gdf[th.column].astype(str) == str(cat.key)]
        if len(rows):
            zh, en = (_short(rows[c].iloc[0]) for c in ("label_zh", "label_en"))
            return f"{zh} {en}".strip() or cat.label
    return cat.label


def _short(label: Any, width: int = 40) -> str:
    """Return a legend-sized label: the part before the first colon (the name), at most ``width`` long."""
    if label is None or (not isinstance(label, str) and pd.isna(label)):
        return ""
    text = re.split(r"[：:]", str(label), maxsplit=1)[0].strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def _plot_admin(ax: Axes, admin: gpd.GeoDataFrame) -> list[Any]:
    from matplotlib.lines import Line2D

    _require_column(admin, "level", "admin")
    th = theme("admin")
    entries: list[Any] = [("header", th.title)]
    for cat in reversed(th.categories):  # counties under provinces
        part = admin[admin["level"].astype(str) == cat.key]
        if part.empty:
            continue
        part.boundary.plot(
            ax=ax, color=cat.colour, linewidth=cat.width, zorder=3 if cat.key == "province" else 2
        )
    for cat in th.categories:
        if (admin["level"].astype(str) == cat.key).any():
            entries.append((Line2D([], [], color=cat.colour, lw=cat.width), cat.label))
    return entries


def _plot_rivers(ax: Axes, rivers: gpd.GeoDataFrame) -> list[Any]:
    """Draw the rivers by level, each level a few compound paths (the main stem last, on top)."""
    from matplotlib.collections import PathCollection
    from matplotlib.lines import Line2D

    from basin.maps.generalise import line_paths

    _require_column(rivers, "level", "rivers")
    th = theme("rivers")
    lv = pd.to_numeric(rivers["level"], errors="coerce")
    if lv.isna().any():
        bad = (
            rivers.loc[lv.isna(), "river_id"].tolist()
            if "river_id" in rivers
            else list(rivers.index[lv.isna()])
        )
        msg = f"rivers: level is missing or not a number for river_id {bad[:10]}"
        raise SchemaError(msg)
    levels = lv.to_numpy()
    geoms = rivers.geometry.values
    for level in sorted(set(levels.tolist()), reverse=True):  # main stem drawn last, on top
        cat = river_category(level)
        paths = line_paths(geoms[levels == level])
        if paths:
            coll = PathCollection(
                paths, facecolors="none", edgecolors=cat.colour, linewidths=cat.width, zorder=Z_RIVERS
            )
            ax.add_collection(coll, autolim=False)
    present = sorted({river_category(v).key for v in set(levels.tolist())})
    return [("header", th.title)] + [
        (Line2D([], [], color=c.colour, lw=c.width), c.label) for c in th.categories if c.key in present
    ]


def _plot_lakes(ax: Axes, lakes: gpd.GeoDataFrame) -> list[Any]:
    from matplotlib.patches import Patch

    th = theme("lakes")
    colours = _colours(lakes, th, "lakes")
    lakes.plot(ax=ax, color=colours, edgecolor="#4292c6", linewidth=0.5, zorder=4)
    present = set(lakes[th.column].astype(str))
    return [("header", th.title)] + [
        (Patch(facecolor=c.colour, edgecolor="#4292c6"), c.label) for c in th.categories if c.key in present
    ]


def _plot_stations(ax: Axes, stations: gpd.GeoDataFrame, compliant: pd.Series) -> list[Any]:
    from matplotlib.lines import Line2D

    if compliant.notna().any():
        th = theme("compliance")
        colours = [th.lookup(v).colour if th.lookup(v) else "#000000" for v in compliant]  # type: ignore[union-attr]
        stations.plot(ax=ax, color=colours, markersize=28, edgecolor="black", linewidth=0.5, zorder=8)
        entries = [
            (Line2D([], [], ls="", marker="o", mfc=c.colour, mec="black", ms=6), c.label)
            for c in th.categories
        ]
        return [("header", th.title), *entries]
    th = theme("wq_class")
    _require_column(stations, "target_class", "stations")
    colours = _colours(stations, th, "stations", column="target_class")
    stations.plot(ax=ax, color=colours, markersize=28, edgecolor="black", linewidth=0.5, zorder=8)
    present = set(pd.to_numeric(stations["target_class"], errors="coerce").dropna().astype(int))
    entries = [
        (Line2D([], [], ls="", marker="o", mfc=c.colour, mec="black", ms=6), c.label)
        for c in th.categories
        if c.key in present
    ]
    return [("header", "监测断面目标类别 Station target class"), *entries]


def _plot_sections(ax: Axes, sections: gpd.GeoDataFrame, comp: pd.Series, shown: str | None) -> list[Any]:
    from matplotlib.lines import Line2D

    th = theme("sections")
    colours = []
    for v in comp:
        cat = th.lookup(v)
        colours.append(cat.colour if cat else th.categories[-1].colour)
    gtype = sections.geom_type
    pts = sections[gtype.isin(["Point", "MultiPoint"])]
    lines = sections[~gtype.isin(["Point", "MultiPoint"])]
    cser = pd.Series(colours, index=sections.index)
    if len(pts):
        pts.plot(
            ax=ax,
            color=cser[pts.index].tolist(),
            marker="^",
            markersize=70,
            edgecolor="black",
            lw=0.6,
            zorder=9,
        )
    if len(lines):
        lines.plot(ax=ax, color=cser[lines.index].tolist(), linewidth=4, alpha=0.8, zorder=6)
    present = {str(th.lookup(v).key) if th.lookup(v) else "None" for v in comp}  # type: ignore[union-attr]
    entries = [
        (Line2D([], [], ls="", marker="^", mfc=c.colour, mec="black", ms=8), c.label)
        for c in th.categories
        if str(c.key) in present
    ]
    title = th.title
    if shown == "worst":
        title += " (最差时段 worst period)"
    elif shown:
        title += f" ({shown})"
    return [("header", title), *entries]


def _plot_violations(ax: Axes, violations: gpd.GeoDataFrame) -> list[Any]:
    """Mark each facility with a violation once, by its strongest action (prohibited over phase-out)."""
    from matplotlib.lines import Line2D

    th = theme("violations")
    _require_column(violations, th.column, "violations")
    order = {str(c.key): i for i, c in enumerate(th.categories)}
    v = violations.assign(_o=[order.get(str(a), len(order)) for a in violations[th.column]])
    if "facility_id" in v.columns:
        v = v.sort_values("_o", kind="stable").drop_duplicates("facility_id")
    colours = _colours(v, th, "violations")
    markers = {"prohibited": "X", "phase_out_candidate": "D"}
    entries: list[Any] = [("header", th.title)]
    for cat in th.categories:
        sel = (v[th.column].astype(str) == str(cat.key)).to_numpy()
        if not sel.any():
            continue
        m = markers.get(str(cat.key), "o")
        v[sel].plot(
            ax=ax,
            color=[c for c, s in zip(colours, sel, strict=True) if s],
            marker=m,
            markersize=40,
            edgecolor="black",
            linewidth=0.5,
            zorder=10,
        )
        n = int(sel.sum())
        entries.append(
            (Line2D([], [], ls="", marker=m, mfc=cat.colour, mec="black", ms=7), f"{cat.label} ({n})")
        )
    return entries


def _label_rivers(ax: Axes, rivers: gpd.GeoDataFrame, *, max_level: int = 2, fontsize: float = 8) -> int:
    if "name" not in rivers.columns:
        return 0
    rv = rivers[rivers["name"].notna() & (pd.to_numeric(rivers["level"], errors="coerce") <= max_level)]
    n = 0
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    for name, grp in rv.groupby(rv["name"].astype(str)):
        longest = grp.geometry.length.idxmax()
        pt = grp.geometry[longest].interpolate(0.5, normalized=True)
        if not (x0 <= pt.x <= x1 and y0 <= pt.y <= y1):
            continue
        ax.text(
            pt.x,
            pt.y,
            name,
            fontsize=fontsize,
            color="#08306b",
            ha="center",
            va="center",
            zorder=12,
            path_effects=fonts.text_effects(fontsize, colour="#08306b", halo="white"),
        )
        n += 1
    return n


def _label_provinces(ax: Axes, admin: gpd.GeoDataFrame, fontsize: float = 16) -> None:
    prov = admin[admin["level"].astype(str) == "province"]
    for _, row in prov.iterrows():
        pt = row.geometry.representative_point()
        ax.text(
            pt.x,
            pt.y,
            str(row["name"]),
            fontsize=fontsize,
            color="#525252",
            ha="center",
            va="center",
            alpha=0.8,
            zorder=11,
            path_effects=fonts.text_effects(fontsize, colour="#525252", halo="white"),
        )


def _legend(ax: Axes, entries: list[Any], fontsize: float) -> Any:
    from matplotlib.patches import Patch

    handles: list[Any] = []
    labels: list[str] = []
    headers: list[Any] = []
    for handle, label in entries:
        if handle == "header":
            headers.append(len(labels))
            handle = Patch(alpha=0)
        handles.append(handle)
        labels.append(label)
    leg = ax.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=fontsize,
        frameon=False,
        handlelength=2.2,
        borderaxespad=0,
    )
    for i, t in enumerate(leg.get_texts()):
        if i in headers:
            t.set_fontsize(fontsize * 1.15)
            t.set_path_effects(fonts.text_effects(fontsize * 1.15 * 1.6))
            t.set_position((-30, 0))
    return leg


def _infer_theme(zones: Any, management: Any, units: Any) -> str:
    for name, gdf in (("management", management), ("units", units), ("zones", zones)):
        if gdf is not None:
            return name
    return "overview"


def static_map(
    *,
    rivers: gpd.GeoDataFrame | None = None,
    admin: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
    management: gpd.GeoDataFrame | None = None,
    units: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
    assessment: pd.DataFrame | None = None,
    period: str | None = None,
    sections: gpd.GeoDataFrame | None = None,
    audit: pd.DataFrame | None = None,
    audit_period: str = "latest",
    violations: gpd.GeoDataFrame | None = None,
    theme: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    sources: str | None = None,
    label_rivers: bool = True,
    paper: str = "A3",
    crs: Any = None,
    filepath: str | Path | None = None,
    dpi: int = 300,
    generalise: bool | None = None,
) -> Axes:
    """Draw a thematic map of the basin and return its ``Axes``.

    Every layer is optional; a layer's CRS is checked and the map is drawn in the metric CRS. The polygon
    theme (``zones``, ``management`` or ``units``) is filled with its categorical colours; rivers are drawn
    by level, administrative boundaries by level, stations coloured by compliance (or by target class when
    there is no assessment) and cross-border sections as triangles coloured by their audit result. A legend
    (categorical, Chinese and English labels), a scale bar, an arrow to true north, the title and the data
    sources complete the map. Chinese text uses Noto Sans CJK SC (see :mod:`basin.maps.fonts`).

    Parameters
    ----------
    rivers, admin, lakes, zones, management, units, stations, sections
        Layers, as in the data model (``rivers.level``; ``admin.level`` province | county) and as written by
        the capabilities (``zones.zone`` A | B | C, ``management.mgmt_zone``, ``units.class_code``;
        ``sections.compliant`` when audited). Polygon themes may carry ``label_zh`` / ``label_en``, which
        the legend then uses.
    assessment
        Station assessment (``station_id, period, compliant``) from :mod:`basin.waterquality`.
    period
        Period of the assessment to show (default: each station's latest).
    audit
        The cross-border audit (``section_id, period, compliant``): colours the sections (see
        :func:`section_compliance`); without it a ``compliant`` column of ``sections`` is used, else the
        sections are "not assessed".
    audit_period
        ``"latest"`` (each section's latest assessed period), ``"latest_year"``, ``"worst"`` or a period of
        the audit (see :func:`section_compliance`).
    violations
        Siting-audit violations (``facility_id, action`` and the facilities' points): each facility marked
        once by its strongest action (禁止新建 prohibited over 依法淘汰 phase-out candidate).
    theme
        ``"zones"``, ``"management"``, ``"units"`` or ``"overview"`` (no polygon fill); default: the first
        of management, units, zones given, else overview.
    ax
        Draw into this Axes (its figure is not resized); a new figure of size ``paper`` otherwise.
    title, sources
        Title (default by theme, bilingual) and the data-source note printed under the map.
    label_rivers
        Write the names of named rivers of levels 0-2.
    paper
        ``"A4"``, ``"A3"`` (default), ``"A2"`` or ``"A1"``, landscape, for a new figure.
    crs
        Metric CRS to draw in (default :func:`basin.crs.metric_crs`).
    filepath
        Write the figure here (``.png``, ``.pdf``, ``.svg``), at ``dpi`` for raster formats.
    dpi
        Resolution of raster output (300 = print quality), and of the rasterised polygon fill in a PDF.
    generalise
        Fit dense layers to the output (see :mod:`basin.maps.generalise`): rivers simplified by a third of
        a pixel at ``dpi`` and the polygon fill rasterised in a PDF / SVG. None (default): only dense
        layers (rivers of more than :data:`~basin.maps.generalise.DENSE_VERTICES` vertices, a fill of more
        than :data:`~basin.maps.generalise.RASTER_VERTICES`); True: every layer; False: the
        rivers are drawn as given (already generalised by :func:`generalise_layers`), a dense fill is
        still rasterised.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    SchemaError
        A layer lacks the column its theme needs, or has a value with no style (the message lists them).
    CRSError
        A layer has no CRS, or ``crs`` is not metric.
    DataError
        Nothing to draw, or an unknown paper size / output format / theme.
    """
    from matplotlib.figure import Figure

    theme_name = theme or _infer_theme(zones, management, units)
    if theme_name not in (*POLYGON_THEMES, "overview"):
        msg = f"unknown map theme {theme_name!r}; expected one of {[*POLYGON_THEMES, 'overview']}"
        raise DataError(msg)
    layers_in = {"zones": zones, "management": management, "units": units}
    if theme_name in POLYGON_THEMES and layers_in[theme_name] is None:
        msg = f"theme {theme_name!r} needs the {theme_name}= layer (on the command line: --results DIR)"
        raise DataError(msg)
    if paper not in PAPER_MM:
        msg = f"unknown paper size {paper!r}; expected one of {sorted(PAPER_MM)}"
        raise DataError(msg)
    if filepath is not None and Path(filepath).suffix.lower() not in (".png", ".pdf", ".svg"):
        msg = f"cannot write a map to {filepath}: expected a .png, .pdf or .svg file"
        raise DataError(msg)
    mcrs = metric_crs(crs)
    given = {
        "rivers": _metric(rivers, "rivers", mcrs),
        "admin": _metric(admin, "admin", mcrs),
        "lakes": _metric(lakes, "lakes", mcrs),
        "polygons": _metric(layers_in.get(theme_name), theme_name, mcrs)
        if theme_name in POLYGON_THEMES
        else None,
        "stations": _metric(stations, "stations", mcrs),
        "sections": _metric(sections, "sections", mcrs),
        "violations": _metric(violations, "violations", mcrs),
    }
    present = {k: v for k, v in given.items() if v is not None and len(v)}
    if not present:
        msg = "nothing to draw: pass at least one non-empty layer"
        raise DataError(msg)

    fig: Any
    with map_style():
        if ax is None:
            w, h = PAPER_MM[paper]
            fig = Figure(figsize=(w / 25.4, h / 25.4))
            ax = fig.add_axes((0.02, 0.06, 0.70, 0.86))
        fig = ax.figure
        base = min(fig.get_size_inches()) / (297 / 25.4)  # font scale: 1 on A3
        fs = max(6.0, 10 * base)
        ax.set_aspect("equal")
        bounds = np.array([g.total_bounds for g in present.values()])
        ref = present.get("admin", present.get("polygons"))
        xmin, ymin, xmax, ymax = (
            ref.total_bounds if ref is not None else (*bounds[:, :2].min(0), *bounds[:, 2:].max(0))
        )
        pad = 0.02 * max(xmax - xmin, ymax - ymin, 1.0)
        if "rivers" in present and generalise is not False:
            from basin.maps.generalise import DENSE_VERTICES, map_tolerance, num_vertices, simplify_lines

            rv = present["rivers"]
            if generalise or num_vertices(rv.geometry.values) > DENSE_VERTICES:
                pos = ax.get_position()
                tol = map_tolerance(
                    (xmin, ymin, xmax, ymax), size_in=tuple(fig.get_size_inches()), axes=(pos.width, pos.height),
                    dpi=dpi,
                )
                present["rivers"] = rv.set_geometry(simplify_lines(rv.geometry.values, tol), crs=rv.crs)
        entries: list[Any] = []
        if "polygons" in present:
            entries += _plot_polygons(
                ax, present["polygons"], _theme_of(theme_name), theme_name, raster=True if generalise else None
            )
        if "admin" in present:
            entries += _plot_admin(ax, present["admin"])
        if "lakes" in present:
            entries += _plot_lakes(ax, present["lakes"])
        if "rivers" in present:
            entries += _plot_rivers(ax, present["rivers"])
        if "sections" in present:
            comp, shown = section_compliance(present["sections"], audit, period=audit_period)
            entries += _plot_sections(ax, present["sections"], comp, shown)
        if "stations" in present:
            st = present["stations"]
            entries += _plot_stations(ax, st, latest_compliance(st, assessment, period=period))
        if "violations" in present:
            entries += _plot_violations(ax, present["violations"])
        ax.set_xlim(xmin - pad, xmax + pad)
        ax.set_ylim(ymin - pad, ymax + pad)
        if "admin" in present:
            _label_provinces(ax, present["admin"], fontsize=fs * 1.8)
        if label_rivers and "rivers" in present:
            _label_rivers(ax, present["rivers"], fontsize=fs * 0.85)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
        zh, en = _TITLES[theme_name]
        ax.set_title(title if title is not None else f"{zh}\n{en}", fontsize=fs * 1.8, pad=12)
        _legend(ax, entries, fs)
        add_scale_bar(ax, mcrs, fontsize=fs * 0.9)
        add_north_arrow(ax, mcrs, size=36 * base)
        note = sources if sources is not None else "数据来源 Data: user-supplied layers"
        from basin import __version__

        crs_name = mcrs.name if mcrs.name and mcrs.name != "unknown" else "Albers equal-area (China)"
        foot_pt = fs * 0.75
        ax.annotate(
            _footer(
                f"{note}\n投影 Projection: {crs_name}. 制图 Made with basin {__version__}.", ax, foot_pt
            ),
            xy=(0, -0.01),
            xycoords="axes fraction",
            va="top",
            ha="left",
            fontsize=foot_pt,
            color="#404040",
        )
        fonts.embolden(fig)
        if filepath is not None:
            save_figure(fig, filepath, dpi=dpi)
    return ax


def generalise_layers(
    layers: Mapping[str, gpd.GeoDataFrame | None], *, paper: str = "A3", dpi: int = 300, crs: Any = None
) -> dict[str, gpd.GeoDataFrame | None]:
    """Return the layers in the metric CRS with dense rivers simplified for maps of ``paper`` at ``dpi``.

    For several maps of one run (:func:`basin.maps.render.render_maps`): the layers are projected once and
    the rivers, when they have more than :data:`~basin.maps.generalise.DENSE_VERTICES` vertices, simplified
    once by a third of a pixel (:func:`basin.maps.generalise.map_tolerance`, the extent of ``admin`` or else
    of all layers, on a new figure of ``paper``); pass the result to :func:`static_map` with
    ``generalise=False``. Polygon layers are not simplified: a dense fill is rasterised instead (measured
    on 133,442 management pieces, 3.9 million vertices: simplifying them takes 8 s, drawing them 1 s).

    Parameters
    ----------
    layers
        Name -> layer (None kept as None), as the keyword arguments of :func:`static_map`.
    paper, dpi, crs
        As in :func:`static_map`.

    Returns
    -------
    dict
        The same names, the layers in the metric CRS.

    Raises
    ------
    CRSError
        A layer has no CRS, or ``crs`` is not metric.
    DataError
        An unknown paper size.
    """
    from basin.maps.generalise import DENSE_VERTICES, map_tolerance, num_vertices, simplify_lines

    if paper not in PAPER_MM:
        msg = f"unknown paper size {paper!r}; expected one of {sorted(PAPER_MM)}"
        raise DataError(msg)
    mcrs = metric_crs(crs)
    out = {k: _metric(v, k, mcrs) for k, v in layers.items()}
    rv = out.get("rivers")
    if rv is not None and len(rv) and num_vertices(rv.geometry.values) > DENSE_VERTICES:
        ref = out.get("admin")
        present = [g for g in out.values() if g is not None and len(g)]
        if ref is not None and len(ref):
            bounds = ref.total_bounds
        else:
            b = np.array([g.total_bounds for g in present])
            bounds = (*b[:, :2].min(0), *b[:, 2:].max(0))
        w, h = PAPER_MM[paper]
        tol = map_tolerance(bounds, size_in=(w / 25.4, h / 25.4), dpi=dpi)
        out["rivers"] = rv.set_geometry(simplify_lines(rv.geometry.values, tol), crs=rv.crs)
    return out


def _footer(text: str, ax: Axes, fontsize: float) -> str:
    """Wrap the footer (sources, projection) to the width from the map's left edge to the figure's right edge.

    A long list of sources would otherwise run off the page. Width per half-width character: 0.56 of the font
    size (a CJK character is two, about one em).
    """
    from basin._validate import wrap_display

    fig: Any = ax.figure
    left = ax.get_position().x0
    avail_pt = (1.0 - left - 0.01) * fig.get_size_inches()[0] * 72.0
    units = max(20, int(avail_pt / (0.56 * fontsize)))
    return "\n".join(wrap_display(text, units))


def _theme_of(name: str) -> Theme:
    return theme(name)


def save_figure(fig: Any, filepath: str | Path, *, dpi: int = 300) -> Path:
    """Write ``fig`` atomically to ``filepath`` (PNG / PDF / SVG) with the map fonts; return the path."""
    from basin.io import atomic_path
    from basin.io.reproducible import figure_metadata, figure_rc

    path = Path(filepath)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".pdf", ".svg"):
        msg = f"cannot write a figure to {path}: expected a .png, .pdf or .svg file"
        raise DataError(msg)
    path.parent.mkdir(parents=True, exist_ok=True)
    with map_style(), _require_matplotlib().rc_context(figure_rc()), atomic_path(path) as tmp:
        # fixed dates (SOURCE_DATE_EPOCH or 2000-01-01) and SVG ids: the same figure gives the same bytes
        fig.savefig(tmp, format=suffix[1:], dpi=dpi, metadata=figure_metadata(suffix[1:]))
    return path


# ------------------------------------------------------------------------------------------ station chart
def _limit_ranges(limits: Any) -> list[tuple[float, float]]:
    """Normalise class limits to the 5 nested ranges a value must lie in to meet classes I-V."""
    if hasattr(limits, "lower") and hasattr(limits, "upper"):  # basin.waterquality Limits
        lo = np.where(np.isnan(np.asarray(limits.lower, float)), -np.inf, np.asarray(limits.lower, float))
        hi = np.where(np.isnan(np.asarray(limits.upper, float)), np.inf, np.asarray(limits.upper, float))
        return list(zip(lo.tolist(), hi.tolist(), strict=True))
    if isinstance(limits, Mapping):
        try:
            ranges = [tuple(float(v) for v in limits[c]) for c in range(1, 6)]
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"limits mapping must give (lower, upper) for each class 1-5, got {dict(limits)!r}"
            raise SchemaError(msg) from exc
        return [(lo, hi) for lo, hi in ranges]
    vals = [float(v) for v in limits]
    if len(vals) != 5:
        msg = f"limits must list 5 values (classes I-V), got {len(vals)}"
        raise SchemaError(msg)
    if all(a <= b for a, b in zip(vals, vals[1:], strict=False)):  # upper limits (most parameters)
        return [(-np.inf, v) for v in vals]
    if all(a >= b for a, b in zip(vals, vals[1:], strict=False)):  # lower limits (DO)
        return [(v, np.inf) for v in vals]
    msg = f"limits {vals} are neither increasing (upper limits) nor decreasing (lower limits, as DO)"
    raise SchemaError(msg)


def _standard_limits(parameter: str, waterbody: str, standard: str | None) -> Any:
    try:
        from basin.waterquality import load_standard
    except ImportError as exc:  # the water-quality package is not there: limits must be given
        msg = f"pass limits= for {parameter!r}: basin.waterquality (the standards) is not available"
        raise DataError(msg) from exc
    from basin.options import get_options

    std = load_standard(standard or get_options()["standard"])
    lim = std.get_limits(parameter, waterbody)
    if lim is None:
        msg = f"standard {std.name!r} has no classes for {parameter!r} in a {waterbody}; pass limits="
        raise SchemaError(msg)
    return lim


def _series(data: Any, station_id: str, parameter: str) -> tuple[pd.Series, dict[str, Any]]:
    """Time series of ``parameter`` at ``station_id`` and the station's attributes (Dataset or long table)."""
    import xarray as xr

    meta: dict[str, Any] = {}
    if isinstance(data, xr.Dataset):
        if parameter not in data.data_vars:
            msg = f"parameter {parameter!r} not in the dataset; variables: {sorted(map(str, data.data_vars))}"
            raise SchemaError(msg)
        ids = [str(s) for s in data["station"].values]
        if station_id not in ids:
            msg = f"station {station_id!r} not in the dataset ({len(ids)} stations, e.g. {ids[:5]})"
            raise DataError(msg)
        one = data.isel(station=ids.index(station_id))
        for k in ("name", "target_class", "waterbody"):
            if k in one.coords:
                meta[k] = one.coords[k].item()
        s = one[parameter].to_series()
        meta["unit"] = data[parameter].attrs.get("units", "")
        return s.astype(float), meta
    if isinstance(data, pd.DataFrame):
        for col in ("station_id", "time", "parameter", "value"):
            _require_column(data, col, "water-quality table")
        sel = data[
            (data["station_id"].astype(str) == station_id) & (data["parameter"].astype(str) == parameter)
        ]
        if sel.empty:
            msg = f"no {parameter!r} values for station {station_id!r} in the table"
            raise DataError(msg)
        if "unit" in sel.columns and sel["unit"].notna().any():
            meta["unit"] = str(sel["unit"].dropna().iloc[0])
        s = pd.Series(
            pd.to_numeric(sel["value"], errors="coerce").to_numpy(), index=pd.to_datetime(sel["time"])
        )
        return s.sort_index(), meta
    msg = f"data must be an xarray Dataset or a long DataFrame, got {type(data).__name__}"
    raise SchemaError(msg)


def station_chart(
    data: Any,
    station_id: str,
    parameter: str,
    *,
    limits: Any = None,
    target_class: int | None = None,
    waterbody: str | None = None,
    standard: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    filepath: str | Path | None = None,
    dpi: int = 200,
) -> Axes:
    """Plot one parameter at one station over time, on the shaded class bands, with the target class marked.

    Parameters
    ----------
    data
        An ``xarray.Dataset`` with dims (station, time) as read by :func:`basin.waterquality.read_wq`, or a
        long table with ``station_id, time, parameter, value[, unit]``.
    station_id, parameter
        What to plot (``parameter`` as its canonical code, e.g. ``"NH3_N"``).
    limits
        Class limits: 5 upper limits (classes I-V) or 5 lower limits (DO), a mapping class -> (lower, upper),
        or a ``Limits`` object; default: from the water-quality standard (``standard``, default the
        ``basin.get_options()["standard"]``) for ``waterbody``.
    target_class
        Target class (1-5) drawn as a dashed line; default: the station's ``target_class`` in ``data``.
    waterbody
        ``river`` (default), ``lake`` or ``reservoir``; default: the station's in ``data``.
    ax, title, filepath, dpi
        As in :func:`static_map`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    series, meta = _series(data, str(station_id), parameter)
    wb = waterbody or str(meta.get("waterbody") or "river")
    target = target_class if target_class is not None else meta.get("target_class")
    target = (
        int(target) if target is not None and not pd.isna(target) and int(target) in range(1, 6) else None
    )
    ranges = _limit_ranges(limits if limits is not None else _standard_limits(parameter, wb, standard))
    wq = theme("wq_class")
    fig: Any
    with map_style():
        if ax is None:
            fig = Figure(figsize=(8, 3.6))
            ax = fig.add_axes((0.09, 0.14, 0.66, 0.72))
        fig = ax.figure
        vals = series.to_numpy(float)
        finite = [v for r in ranges for v in r if np.isfinite(v)]
        data_hi = np.nanmax(vals) if np.isfinite(vals).any() else 1.0
        ymax = max([data_hi, *finite]) * 1.15 if finite or np.isfinite(data_hi) else 1.0
        ymin = 0.0 if min([np.nanmin(vals) if np.isfinite(vals).any() else 0.0, *finite]) >= 0 else None
        lo_y = ymin if ymin is not None else min([np.nanmin(vals), *finite]) * 1.1
        # each interval between the limits gets the colour of the best class whose range holds it
        cuts = sorted({lo_y, ymax, *(v for v in finite if lo_y < v < ymax)})
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            mid = (a + b) / 2
            cls = next((k for k in range(1, 6) if ranges[k - 1][0] <= mid <= ranges[k - 1][1]), 6)
            ax.axhspan(a, b, color=wq.categories[cls - 1].colour, alpha=0.35, lw=0, zorder=0)
        ax.plot(series.index, vals, color="black", lw=1.0, marker="o", ms=2.5, zorder=3)
        handles: list[Any] = [Patch(color=c.colour, alpha=0.5, label=c.label_zh) for c in wq.categories]
        if target is not None:
            lo, hi = ranges[target - 1]
            for v in (lo, hi):
                if np.isfinite(v) and lo_y < v < ymax:
                    ax.axhline(v, color="#b2182b", ls="--", lw=1.4, zorder=2)
            bad = ~((vals >= lo) & (vals <= hi)) & np.isfinite(vals)
            if bad.any():
                ax.plot(
                    series.index[bad],
                    vals[bad],
                    ls="",
                    marker="o",
                    ms=4.5,
                    mfc="none",
                    mec="#b2182b",
                    zorder=4,
                )
            from matplotlib.lines import Line2D

            handles.append(
                Line2D(
                    [],
                    [],
                    color="#b2182b",
                    ls="--",
                    label=f"目标 {wq.categories[target - 1].label_zh} target",
                )
            )
        ax.set_ylim(lo_y, ymax)
        unit = meta.get("unit") or ""
        ax.set_ylabel(f"{parameter} ({unit})" if unit else parameter)
        name = meta.get("name")
        ax.set_title(
            title if title is not None else f"{name or station_id} ({station_id}) - {parameter}", fontsize=11
        )
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        fonts.embolden(fig)
        if filepath is not None:
            save_figure(fig, filepath, dpi=dpi)
    return ax
