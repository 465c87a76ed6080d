"""The interactive map (folium / Leaflet), written as one HTML file that works offline.

Decisions:

* **Offline.** folium links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs. The map uses none but
  Leaflet: its popups, tooltips, legends and time control are built here, so the page needs only
  ``leaflet.js`` and ``leaflet.css``, vendored in ``basin/maps/static/`` (npm ``leaflet@1.9.3``, BSD-2-Clause,
  licence beside them) and inlined by :func:`offline_html`, the CSS images as data URIs. Any other external
  script or stylesheet in the page is an error, so a new folium cannot bring a CDN back silently. The base
  layer is the administrative outlines (no tile server); an online OpenStreetMap layer is in the layer
  control, switched off, unless ``online_tiles=False``.
* **Escaping.** folium's own ``Tooltip`` and ``Popup`` paste their text into JavaScript template literals
  unescaped, so a name like ``${...}`` or ``</script>`` would run or break the page. Here every value from the
  data is HTML-escaped in Python (:func:`html.escape`), and the GeoJSON that carries it is serialised with
  ``<``, ``>``, ``&`` and ``'`` as JSON escapes, so it can neither close the script nor inject markup: a
  station named ``<script>alert(1)</script>`` shows as that text.
* **Size.** Geometry is simplified in the metric CRS (``simplify_m``, 150 m by default: finer than a pixel at
  the zoom that shows the whole region) and coordinates rounded to 1e-5 degree (about 1 m).
"""

from __future__ import annotations

import base64
import functools
import gzip
import html
import json
import logging
import re
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from basin._errors import BasinError, DataError, SchemaError
from basin.crs import metric_crs, require_crs
from basin.maps._style import Theme, river_category, theme

log = logging.getLogger(__name__)

_MONTH = re.compile(r"^\d{4}-\d{2}$")
#: Leaflet panes above the overlay pane: polygons drawn over the rivers (zone A, priority), then the points
PANE_TOP, PANE_POINTS = "basinTop", "basinPoints"


def _require_folium() -> Any:
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - folium is a core dependency
        msg = "the interactive map needs folium: pip install folium"
        raise ImportError(msg) from exc
    return folium


def esc(value: Any) -> str:
    """HTML-escape a value from the data (None / NaN become an empty string)."""
    if value is None or (not isinstance(value, str) and np.ndim(value) == 0 and pd.isna(value)):
        return ""
    return html.escape(str(value), quote=True)


def to_js(obj: Any) -> str:
    """Serialise ``obj`` as JSON safe inside a ``<script>`` element (``<``, ``>``, ``&``, ``'`` escaped)."""
    return _script_safe(json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":")))


def _script_safe(text: str) -> str:
    for ch, rep in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("'", "\\u0027"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, rep)
    return text


#: Coordinates are quantised to 1e-5 degree (about 1 m) and delta-encoded as integers in the page.
QUANT = 100_000
#: Layers with more features than this are drawn on a canvas and built when first shown.
CANVAS_MIN = 3000
#: At most this many reaches are drawn at every zoom; the lower levels beyond it appear from MINOR_ZOOM on.
MAJOR_REACHES = 15_000
MINOR_ZOOM = 9
#: A layer whose data take more bytes than this is stored compressed and inflated when first shown.
LAZY_BYTES = 500_000
#: A line or polygon layer with more vertices than this is simplified with twice the tolerance.
BIG_VERTICES = 500_000
#: Beyond this many facilities the layer of all audited facilities is left out (the violations stay).
MAX_FACILITIES = 20_000


def _dissolve_by(gdf: gpd.GeoDataFrame, cols: list[str]) -> gpd.GeoDataFrame:
    """One feature per distinct value of ``cols`` (the union of its polygons)."""
    rows, geoms = [], []
    for key, grp in gdf.groupby(cols, sort=True, dropna=False):
        g = grp.geometry.values
        try:
            u = shapely.coverage_union_all(g)
        except shapely.errors.GEOSException:
            u = shapely.union_all(g)
        if not shapely.is_valid(u):
            u = shapely.make_valid(shapely.union_all(g))
        rows.append(dict(zip(cols, key if isinstance(key, tuple) else (key,), strict=True)))
        geoms.append(u)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=gdf.crs)


def _enc(coords: Any) -> list[int]:
    a = np.rint(np.asarray(coords, dtype=float) * QUANT).astype(np.int64)
    return np.diff(a, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel().tolist()


def _dec(a: list[int]) -> list[list[float]]:
    c = np.cumsum(np.asarray(a, dtype=np.int64).reshape(-1, 2), axis=0) / QUANT
    return c.tolist()


def compact_collection(fc: dict[str, Any]) -> dict[str, Any]:
    """Compact a FeatureCollection for the page: delta-encoded integer coordinates and a style table.

    ``{"q": QUANT, "S": [style, ...], "H": header, "f": [{"g": {"type", "c"}, "p": properties}, ...]}``: line
    and ring coordinates as ``[x0, y0, dx1, dy1, ...]`` in 1/``q`` degree, each feature's ``_s`` replaced by
    its index ``s`` in ``S``. ``basinDecode`` in the page (and :func:`expand_collection` here) reverse it.
    """
    styles: dict[str, int] = {}
    table: list[Any] = []
    feats = []
    for f in fc["features"]:
        g = f["geometry"]
        t, c = g["type"], g["coordinates"]
        if t in ("LineString",):
            enc: Any = _enc(c)
        elif t in ("MultiLineString", "Polygon"):
            enc = [_enc(r) for r in c]
        elif t == "MultiPolygon":
            enc = [[_enc(r) for r in poly] for poly in c]
        else:
            enc = c
        props = dict(f.get("properties") or {})
        if "_s" in props:
            key = json.dumps(props["_s"], sort_keys=True)
            if key not in styles:
                styles[key] = len(table)
                table.append(props["_s"])
            props["s"] = styles[key]
            del props["_s"]
        feats.append({"g": {"type": t, "c": enc}, "p": props})
    out: dict[str, Any] = {"q": QUANT, "S": table, "f": feats}
    if "H" in fc:
        out["H"] = fc["H"]
    return out


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _gzip(raw: str) -> dict[str, str]:
    return {"z": base64.b64encode(gzip.compress(raw.encode("utf-8"), compresslevel=9, mtime=0)).decode("ascii")}


def gzip_collection(compact: dict[str, Any]) -> dict[str, str]:
    """``{"z": base64(gzip(JSON))}`` of a compact collection (``basinInflate`` in the page reverses it)."""
    return _gzip(_dumps(compact))


def expand_collection(d: dict[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`compact_collection` (what ``basinDecode`` does in the page; for tests and tools)."""
    if "z" in d:
        d = json.loads(gzip.decompress(base64.b64decode(d["z"])).decode("utf-8"))
    feats = []
    for f in d["f"]:
        t, c = f["g"]["type"], f["g"]["c"]
        if t == "LineString":
            coords: Any = _dec(c)
        elif t in ("MultiLineString", "Polygon"):
            coords = [_dec(r) for r in c]
        elif t == "MultiPolygon":
            coords = [[_dec(r) for r in poly] for poly in c]
        else:
            coords = c
        p = dict(f["p"])
        if "s" in p:
            p["_s"] = d["S"][p.pop("s")]
        if "_pv" in p:
            pairs = zip(d["H"], p["_pv"], strict=True)
            rows = "".join(f"<tr><th>{h}</th><td>{v}</td></tr>" for h, v in pairs if v not in ("", None))
            p["_p"] = f'<div class="basin-pop"><h3>{p["_pn"]}</h3><table class="basin-t">{rows}</table></div>'
        feats.append({"type": "Feature", "geometry": {"type": t, "coordinates": coords}, "properties": p})
    return {"type": "FeatureCollection", "features": feats}


# ------------------------------------------------------------------------------------------------ geometry
def _to_web(gdf: gpd.GeoDataFrame, what: str, simplify_m: float) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"{what} must be a GeoDataFrame, got {type(gdf).__name__}"
        raise SchemaError(msg)
    require_crs(gdf, what)
    out = gdf
    if simplify_m > 0 and not gdf.geom_type.isin(["Point", "MultiPoint"]).all():
        m = gdf.to_crs(metric_crs())
        if len(m) > CANVAS_MIN or int(shapely.get_num_coordinates(m.geometry.values).sum()) > BIG_VERTICES:
            simplify_m = 2 * simplify_m  # a dense layer: generalised twice as much (still < 2 px at zoom 7)
        if m.geom_type.isin(["Polygon", "MultiPolygon"]).all() and len(m) > 1:
            # a coverage (units, counties, zones): simplified together, shared borders stay shared
            from basin.maps.generalise import simplify_polygons

            geom = gpd.GeoSeries(simplify_polygons(m.geometry.values, simplify_m), index=m.index)
        else:
            geom = m.geometry.simplify(simplify_m, preserve_topology=True)
        out = m.set_geometry(geom).to_crs("EPSG:4326")
    elif gdf.crs != "EPSG:4326":
        out = gdf.to_crs("EPSG:4326")
    geom = shapely.set_precision(out.geometry.values, 1e-5, mode="pointwise")
    return out.set_geometry(gpd.GeoSeries(geom, index=out.index, crs="EPSG:4326"))


def _collection(gdf: gpd.GeoDataFrame, props: list[dict[str, Any]]) -> dict[str, Any]:
    feats = []
    for geom, p in zip(gdf.geometry, props, strict=True):
        if geom is None or geom.is_empty:
            continue
        feats.append({"type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": p})
    return {"type": "FeatureCollection", "features": feats}


def _present(v: Any) -> bool:
    return v is not None and not (np.ndim(v) == 0 and pd.isna(v)) and str(v) != ""


def _first(row: Any, *cols: str) -> Any:
    """First value of ``cols`` in ``row`` that is present and not missing (None otherwise)."""
    for c in cols:
        v = row.get(c)
        if _present(v):
            return v
    return None


def _values(df: pd.DataFrame, col: str) -> list[Any]:
    """Return the values of column ``col`` as a list (None for each row when there is no such column)."""
    return df[col].tolist() if col in df.columns else [None] * len(df)


def _first_values(df: pd.DataFrame, *cols: str) -> list[Any]:
    """Return :func:`_first` of every row of ``df``, column by column (no per-row Series)."""
    out: list[Any] = [None] * len(df)
    todo = list(range(len(df)))
    for c in cols:
        if not todo or c not in df.columns:
            continue
        vals = df[c].tolist()
        left = []
        for i in todo:
            if _present(vals[i]):
                out[i] = vals[i]
            else:
                left.append(i)
        todo = left
    return out


def _formatted(df: pd.DataFrame, col: str) -> list[str]:
    """Return ``esc(_fmt(value))`` of each value of ``col`` (floats to 4 significant digits, NaN empty)."""
    vals = df[col].tolist()
    dtype = df[col].dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "f":  # numpy floats: NaN is the only missing value
        return ["" if v != v else f"{v:.4g}" for v in vals]
    return [esc(_fmt(v)) for v in vals]


def _table(rows: list[tuple[str, Any]]) -> str:
    cells = "".join(
        f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows if v is not None and esc(v) != ""
    )
    return f'<table class="basin-t">{cells}</table>'


def _fmt(v: Any) -> Any:
    if isinstance(v, float | np.floating):
        return "" if np.isnan(v) else f"{v:.4g}"
    return v


# ------------------------------------------------------------------------------------------ class history
def history_svg(
    periods: list[str], classes: list[Any], target: Any = None, *, width: int = 340, height: int = 120
) -> str:
    """Return an inline SVG chart of a station's class per period (class I on top), the target dashed.

    Bars are coloured by class (DOMAIN.md 2.2 colours); a missing period is left blank. Only numbers and
    escaped period labels go into the SVG.
    """
    wq = theme("wq_class")
    n = max(len(periods), 1)
    left, right, top, bottom = 30, 6, 8, 18
    pw, ph = width - left - right, height - top - bottom
    bw = pw / n
    row = ph / 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'role="img" class="basin-h">'
    ]
    for k in range(1, 7):
        y = top + (k - 1) * row
        parts.append(
            f'<text x="{left - 4}" y="{y + row * 0.75:.1f}" font-size="9" text-anchor="end">'
            f"{esc(wq.categories[k - 1].label_zh.rstrip('类'))}</text>"
        )
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y + row:.1f}" y2="{y + row:.1f}" stroke="#eee"/>'
        )
    for i, (p, c) in enumerate(zip(periods, classes, strict=True)):
        if c is None or pd.isna(c):
            continue
        k = int(c)
        if not 1 <= k <= 6:
            continue
        y = top + (k - 1) * row
        parts.append(
            f'<rect x="{left + i * bw:.2f}" y="{y:.1f}" width="{max(bw - 0.5, 0.8):.2f}" '
            f'height="{top + ph - y:.1f}" fill="{wq.categories[k - 1].colour}">'
            f"<title>{esc(p)}: {esc(wq.categories[k - 1].label_zh)}</title></rect>"
        )
    if target is not None and not pd.isna(target) and 1 <= int(target) <= 5:
        y = top + int(target) * row
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#b2182b" '
            'stroke-dasharray="4 3" stroke-width="1.5"/>'
        )
    if periods:
        parts.append(f'<text x="{left}" y="{height - 4}" font-size="9">{esc(periods[0])}</text>')
        parts.append(
            f'<text x="{left + pw}" y="{height - 4}" font-size="9" text-anchor="end">'
            f"{esc(periods[-1])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------------------------------- folium elements
def _elements() -> dict[str, Any]:
    """Build the folium element classes (folium imported lazily)."""
    folium = _require_folium()
    from branca.element import MacroElement
    from folium.template import Template

    class GeoJsonLayer(MacroElement):
        """A GeoJSON layer whose features carry their style (``_s``), tooltip (``_t``) and popup (``_p``).

        The data are compact (:func:`compact_collection`): quantised, delta-encoded coordinates and a style
        table, decoded in the page (``basinDecode``). A layer of more than :data:`CANVAS_MIN` features is
        drawn on a canvas and only built when its group is first shown; with ``min_zoom`` it is shown from
        that zoom level on.
        """

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            (function () {
                var group = {{ this._parent.get_name() }}, map = {{ this._parent._parent.get_name() }};
                var wait = null;
                var data = {{ this.data_js }}, lyr = null;
                function make(d) {
                    return L.geoJSON(basinDecode(d), {
                        pointToLayer: function (f, ll) {
                            return L.circleMarker(ll, Object.assign({{ this.pane_js }}, f.properties._s)); },
                        style: function (f) { return f.properties._s; },
                        onEachFeature: function (f, l) { basinBind(f, l, {{ this.kind|tojson }}); }
                        {%- if this.pane %}, pane: {{ this.pane|tojson }}{% endif %}
                        {%- if this.canvas %}, renderer: basinCanvas(){% endif %}
                    });
                }
                {% if this.lazy %}
                function show() {
                    var on = map.hasLayer(group) && map.getZoom() >= {{ this.min_zoom }};
                    if (on && lyr && !group.hasLayer(lyr)) { group.addLayer(lyr); }
                    else if (!on && lyr && group.hasLayer(lyr)) { group.removeLayer(lyr); }
                    else if (on && !lyr && !wait) {
                        window.basinBusy = (window.basinBusy || 0) + 1;
                        wait = basinInflate(data).then(function (d) {
                            lyr = make(d); data = null; window.basinBusy -= 1; show();
                            {%- if this.kind == "stations" %}
                            if (window.basinRestyle) { basinRestyle(); }  // the time control's month
                            {%- endif %}
                        });
                    }
                }
                group.on('add', show);
                map.on('zoomend', show);
                map.whenReady(show);
                {% else %}
                lyr = make(data); data = null;
                group.addLayer(lyr);
                {% endif %}
            })();
            {% endmacro %}
            """
        )

        def __init__(
            self, data: dict[str, Any], kind: str, pane: str | None = None, min_zoom: int = 0
        ) -> None:
            super().__init__()
            self._name = "BasinGeoJson"
            n = len(data["features"])
            self.kind = kind
            self.pane = pane
            self.pane_js = to_js({"pane": pane} if pane else {})
            self.canvas = n > CANVAS_MIN and pane is None
            compact = compact_collection(data)
            raw = _dumps(compact)
            # a layer of many features or many bytes (a few dissolved zones, long popups) is stored
            # gzip-compressed (base64) and inflated in the page (DecompressionStream) when first shown
            self.lazy = n > CANVAS_MIN or min_zoom > 0 or len(raw) > LAZY_BYTES
            self.data_js = to_js(_gzip(raw)) if self.lazy else _script_safe(raw)
            # the text of a compressed layer is not in the page: its characters go into the font subset
            self.glyphs = "".join(sorted(set(raw))) if self.lazy else ""
            self.min_zoom = int(min_zoom)

    class Panes(MacroElement):
        """Map panes above the overlay pane (400): on-top polygons (zone A, priority) then the points."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            (function (map) {
                {% for name, z in this.panes %}
                map.createPane({{ name|tojson }}).style.zIndex = {{ z }};
                {% endfor %}
            })({{ this._parent.get_name() }});
            {% if this.sources_js %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.sources_js }});
            {% endif %}
            {% endmacro %}
            """
        )

        def __init__(self, sources: str | None = None) -> None:
            super().__init__()
            self._name = "BasinPanes"
            self.panes = [(PANE_TOP, 440), (PANE_POINTS, 450)]
            self.sources_js = to_js(esc(sources)) if sources else None

    class Runtime(MacroElement):
        """Shared JavaScript: feature binding, legends that follow the layer control, the time control."""

        _template = Template(
            """
            {% macro header(this, kwargs) %}
            <style>
            .basin-t { border-collapse: collapse; font-size: 12px; }
            .basin-t th { text-align: left; padding: 1px 6px 1px 0; color: #444; font-weight: 600;
                          vertical-align: top; }
            .basin-t td { padding: 1px 0; }
            .basin-box { background: rgba(255,255,255,0.92); padding: 6px 8px; border-radius: 4px;
                         box-shadow: 0 1px 4px rgba(0,0,0,0.3); font: 12px/1.35 sans-serif;
                         max-width: 300px; }
            .basin-legend { max-height: 55vh; overflow-y: auto; }
            .basin-box h4 { margin: 2px 0 4px; font-size: 12px; }
            .basin-sw { display: inline-block; width: 14px; height: 10px; margin-right: 5px;
                        vertical-align: middle;
                        border: 1px solid #777; }
            .basin-title { font: 600 15px/1.3 sans-serif; }
            .basin-pop h3 { margin: 0 0 4px; font-size: 14px; }
            </style>
            <script>
            var basinStations = {};
            var basinCanvasR = null;
            function basinCanvas() { return basinCanvasR || (basinCanvasR = L.canvas({padding: 0.3})); }
            function basinLine(a, q) {  // delta-encoded integers -> [[lon, lat], ...]
                var out = new Array(a.length / 2), x = 0, y = 0;
                for (var i = 0; i < a.length; i += 2) {
                    x += a[i]; y += a[i + 1]; out[i / 2] = [x / q, y / q];
                }
                return out;
            }
            function basinGeom(g, q) {
                var t = g.type, c = g.c;
                if (t === 'Point' || t === 'MultiPoint') { return {type: t, coordinates: c}; }
                if (t === 'LineString') { return {type: t, coordinates: basinLine(c, q)}; }
                if (t === 'MultiLineString' || t === 'Polygon') {
                    return {type: t, coordinates: c.map(function (r) { return basinLine(r, q); })};
                }
                return {type: t, coordinates: c.map(function (p) {
                    return p.map(function (r) { return basinLine(r, q); }); })};
            }
            function basinInflate(d) {  // gzip_collection() -> the compact collection (a Promise)
                if (!d.z) { return Promise.resolve(d); }
                var bin = atob(d.z), bytes = new Uint8Array(bin.length);
                for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
                var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
                return new Response(stream).json();
            }
            function basinDecode(d) {  // the compact collection of compact_collection() -> GeoJSON
                var feats = d.f.map(function (f) {
                    var p = f.p || {};
                    if (p.s !== undefined) { p._s = d.S[p.s]; }
                    if (p._pv) { p._ph = d.H; }
                    return {type: 'Feature', geometry: basinGeom(f.g, d.q), properties: p};
                });
                return {type: 'FeatureCollection', features: feats};
            }
            function basinPopup(p) {
                var rows = '';
                for (var i = 0; i < p._ph.length; i++) {
                    if (p._pv[i] !== '' && p._pv[i] !== null) {
                        rows += '<tr><th>' + p._ph[i] + '</th><td>' + p._pv[i] + '</td></tr>';
                    }
                }
                return '<div class="basin-pop"><h3>' + p._pn + '</h3><table class="basin-t">' + rows +
                    '</table></div>';
            }
            function basinBind(f, l, kind) {
                var p = f.properties || {};
                if (p._t) { l.bindTooltip(p._t, {sticky: kind !== 'stations'}); }
                if (p._p) { l.bindPopup(p._p, {maxWidth: 420}); }
                else if (p._pv) { l.bindPopup(function () { return basinPopup(p); }, {maxWidth: 420}); }
                if (kind === 'stations' && p._id) { basinStations[p._id] = l; }
            }
            </script>
            {% endmacro %}
            {% macro script(this, kwargs) %}
            (function () {
                var map = {{ this._parent.get_name() }};
                var legends = {{ this.legends_js }};
                var groups = { {% for name, gid in this.groups %}{{ gid|tojson }}: {{ name }},{% endfor %} };
                var box = L.control({position: 'bottomright'});
                box.onAdd = function () {
                    var div = L.DomUtil.create('div', 'basin-box basin-legend');
                    div.innerHTML = Object.keys(legends).map(function (k) {
                        return '<div data-layer="' + k + '">' + legends[k] + '</div>';
                    }).join('');
                    L.DomEvent.disableClickPropagation(div);
                    return div;
                };
                box.addTo(map);
                function sync() {
                    Object.keys(groups).forEach(function (k) {
                        var el = box.getContainer().querySelector('[data-layer="' + k + '"]');
                        if (el) { el.style.display = map.hasLayer(groups[k]) ? '' : 'none'; }
                    });
                }
                var front = {{ this.front_js }};
                map.on('overlayadd', function () {
                    // polygons switched on later must not cover rivers, sections and stations
                    front.forEach(function (k) {
                        if (groups[k] && map.hasLayer(groups[k])) { groups[k].bringToFront(); }
                    });
                });
                map.on('overlayadd overlayremove', sync);
                L.control.scale({imperial: false, maxWidth: 150}).addTo(map);
                sync();
                {% if this.title %}
                var t = L.control({position: 'topleft'});
                t.onAdd = function () {
                    var d = L.DomUtil.create('div', 'basin-box basin-title');
                    d.innerHTML = {{ this.title_js }};
                    return d;
                };
                t.addTo(map);
                {% endif %}
                {% if this.timeline %}
                var tl = {{ this.timeline_js }};
                var ctl = L.control({position: 'bottomleft'});
                ctl.onAdd = function () {
                    var d = L.DomUtil.create('div', 'basin-box basin-time');
                    var last = tl.periods.length - 1;
                    d.innerHTML = '<b>' + tl.label + '</b><br><input type="range" min="0" max="' + last +
                        '" value="' + last + '" style="width:240px"> <span class="basin-month"></span> ' +
                        '<button type="button" class="basin-play">&#9654;</button>';
                    L.DomEvent.disableClickPropagation(d);
                    L.DomEvent.disableScrollPropagation(d);
                    return d;
                };
                ctl.addTo(map);
                var el = ctl.getContainer();
                var slider = el.querySelector('input');
                var label = el.querySelector('.basin-month');
                window.basinSetPeriod = function (i) {
                    i = Math.max(0, Math.min(tl.periods.length - 1, i));
                    slider.value = i;
                    label.textContent = tl.periods[i];
                    Object.keys(basinStations).forEach(function (sid) {
                        var c = tl.classes[sid] ? tl.classes[sid][i] : null;
                        var tgt = tl.targets[sid];
                        var miss = c !== null && tgt !== null && c > tgt;
                        basinStations[sid].setStyle({
                            fillColor: c === null ? tl.nodata : tl.colours[c],
                            color: miss ? '#b2182b' : '#333333', weight: miss ? 3 : 1
                        });
                    });
                    return tl.periods[i];
                };
                slider.addEventListener('input', function () { basinSetPeriod(parseInt(slider.value, 10)); });
                window.basinRestyle = function () { basinSetPeriod(parseInt(slider.value, 10)); };
                var timer = null;
                el.querySelector('.basin-play').addEventListener('click', function () {
                    if (timer) { clearInterval(timer); timer = null; return; }
                    if (parseInt(slider.value, 10) >= tl.periods.length - 1) { basinSetPeriod(0); }
                    timer = setInterval(function () {
                        var i = parseInt(slider.value, 10) + 1;
                        if (i >= tl.periods.length) { clearInterval(timer); timer = null; return; }
                        basinSetPeriod(i);
                    }, 400);
                });
                basinSetPeriod(tl.periods.length - 1);
                {% endif %}
            })();
            {% endmacro %}
            """
        )

        def __init__(
            self,
            legends: dict[str, str],
            groups: list[tuple[str, str]],
            title: str | None,
            timeline: dict[str, Any] | None,
        ) -> None:
            super().__init__()
            self._name = "BasinRuntime"
            self.legends_js = to_js(legends)
            self.front_js = to_js(["admin_province", "lakes", "rivers", "sections", "violations", "stations"])
            self.groups = groups
            self.title = title
            self.title_js = to_js(title)
            self.timeline = timeline
            self.timeline_js = to_js(timeline)

    return {"folium": folium, "GeoJsonLayer": GeoJsonLayer, "Runtime": Runtime, "Panes": Panes}


def _legend_html(th: Theme, title: str | None = None, keys: Any = None, line: bool = False) -> str:
    rows = []
    for c in th.categories:
        if keys is not None and str(c.key) not in keys:
            continue
        sw = (
            f'<span class="basin-sw" style="background:{c.colour};'
            f'height:{max(2, int(c.width * 2))}px;border:0"></span>'
            if line
            else f'<span class="basin-sw" style="background:{c.colour}"></span>'
        )
        rows.append(f"<div>{sw}{esc(c.label)}</div>")
    return f"<h4>{esc(title or th.title)}</h4>" + "".join(rows)


# ----------------------------------------------------------------------------------------- feature props
def _style_poly(colour: str, opacity: float = 0.55) -> dict[str, Any]:
    return {"color": "#555555", "weight": 0.5, "fillColor": colour, "fillOpacity": opacity}


def _category_props(
    gdf: gpd.GeoDataFrame, th: Theme, what: str, fields: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    if th.column not in gdf.columns:
        msg = f"{what} has no column {th.column!r} (columns: {list(gdf.columns)})"
        raise SchemaError(msg)
    props, unknown = [], set()
    for _, row in gdf.iterrows():
        cat = th.lookup(row[th.column])
        if cat is None:
            unknown.add(str(row[th.column]))
            continue
        label = (
            f"{row['label_zh']} {row['label_en']}"
            if "label_zh" in gdf.columns and "label_en" in gdf.columns
            else cat.label
        )
        rows = [(th.title, label)] + [(lab, _fmt(row[col])) for col, lab in fields if col in gdf.columns]
        props.append(
            {
                "_s": _style_poly(cat.colour),
                "_t": esc(label),
                "_p": f'<div class="basin-pop">{_table(rows)}</div>',
            }
        )
    if unknown:
        keys = [c.key for c in th.categories]
        msg = f"{what}: column {th.column!r} has values {sorted(unknown)} with no map style; expected one of "
        msg += str(keys)
        raise SchemaError(msg)
    return props


def _unit_indicators(units: gpd.GeoDataFrame) -> list[str]:
    skip = {"geometry", "unit_id", "name", "class_code", "class_zh", "class_en"}
    return [c for c in units.columns if c not in skip and pd.api.types.is_numeric_dtype(units[c])]


def _unit_props(units: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    th = theme("units")
    if th.column not in units.columns:
        msg = f"units has no column {th.column!r} (columns: {list(units.columns)})"
        raise SchemaError(msg)
    indicators = _unit_indicators(units)
    looked = [th.lookup(v) for v in units[th.column].tolist()]
    unknown = {str(v) for v, c in zip(units[th.column].tolist(), looked, strict=True) if c is None}
    cats = [c for c in looked if c is not None]
    if unknown:
        keys = [c.key for c in th.categories]
        msg = f"units: column 'class_code' has values {sorted(unknown)} with no map style; expected one of "
        msg += str(keys)
        raise SchemaError(msg)
    # column by column (no per-row Series): the same values as row.get / _first / _fmt per row
    ids = ["" if v is None else esc(v) for v in _values(units, "unit_id")]
    names = _first_values(units, "name", "unit_id")
    zh = units["class_zh"].tolist() if "class_zh" in units.columns else [c.label_zh for c in cats]
    en = units["class_en"].tolist() if "class_en" in units.columns else [c.label_en for c in cats]
    label = [esc(f"{a} {b}") for a, b in zip(zh, en, strict=True)]
    columns = [_formatted(units, c) for c in indicators]
    styles = {id(c): _style_poly(c.colour) for c in th.categories}
    return [
        {
            "_s": styles[id(cat)],
            "_t": esc(f"{name}: {z}"),
            # the popup table is built in the page from the layer's header (basinPopup): same HTML
            "_pn": esc(name),
            "_pv": [uid, lab, *vals],
        }
        for cat, uid, name, z, lab, *vals in zip(cats, ids, names, zh, label, *columns, strict=True)
    ]


def _station_history(assessment: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    if assessment is None:
        return {}
    need = [c for c in ("station_id", "period", "class") if c not in assessment.columns]
    if need:
        msg = f"assessment has no column(s) {need} (columns: {list(assessment.columns)})"
        raise SchemaError(msg)
    a = assessment.assign(
        station_id=assessment["station_id"].astype(str), period=assessment["period"].astype(str)
    )
    return {sid: g.sort_values("period") for sid, g in a.groupby("station_id")}


def _station_props(stations: gpd.GeoDataFrame, history: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    wq = theme("wq_class")
    comp = theme("compliance")
    props = []
    for _, row in stations.iterrows():
        sid = str(row["station_id"])
        h = history.get(sid)
        target = row.get("target_class")
        target = None if target is None or pd.isna(target) else int(target)
        last_cls = None
        rows: list[tuple[str, Any]] = [
            ("station_id", sid),
            ("river", _first(row, "river_name", "river_id")),
            ("waterbody", row.get("waterbody")),
        ]
        if target is not None:
            rows.append(("目标 target", wq.categories[target - 1].label_zh))
        chart = ""
        if h is not None and len(h):
            last = h.iloc[-1]
            last_cls = None if pd.isna(last["class"]) else int(last["class"])
            rows.append(
                (f"{last['period']} 类别 class", wq.categories[last_cls - 1].label_zh if last_cls else "")
            )
            if "compliant" in h.columns:
                c = comp.lookup(last["compliant"])
                rows.append((f"{last['period']} 达标 compliance", c.label if c else ""))
                known = h["compliant"].dropna()
                if len(known):
                    share = float(pd.Series(known.to_numpy(), dtype="boolean").astype(float).mean())
                    rows.append(("达标率 attainment", f"{share:.0%} of {len(known)} periods"))
            chart = "<div>类别历史 class history</div>" + history_svg(
                h["period"].tolist(), h["class"].tolist(), target
            )
        fill = (
            wq.categories[last_cls - 1].colour
            if last_cls
            else (wq.categories[target - 1].colour if target else "#9e9e9e")
        )
        name = _first(row, "name") or sid
        props.append(
            {
                "_id": sid,
                "_s": {"radius": 7, "color": "#333333", "weight": 1, "fillColor": fill, "fillOpacity": 0.95},
                "_t": esc(name),
                "_p": f'<div class="basin-pop"><h3>{esc(name)}</h3>{_table(rows)}{chart}</div>',
            }
        )
    return props


def _section_props(
    sections: gpd.GeoDataFrame, audit: pd.DataFrame | None, comp: pd.Series | None = None
) -> list[dict[str, Any]]:
    """Return the sections' popups and styles, coloured by ``comp`` (``static.section_compliance``)."""
    th = theme("sections")
    by_id: dict[str, pd.DataFrame] = {}
    if audit is not None:
        if "section_id" not in audit.columns:
            msg = f"audit has no column 'section_id' (columns: {list(audit.columns)})"
            raise SchemaError(msg)
        a = audit.assign(section_id=audit["section_id"].astype(str))
        if "period" in a.columns:
            a = a.assign(period=a["period"].astype(str)).sort_values("period")
        by_id = {k: g for k, g in a.groupby("section_id")}
    props = []
    for _, row in sections.iterrows():
        sid = str(row.get("section_id"))
        rows = [
            ("section_id", sid),
            ("river", row.get("river_name")),
            (
                "from → to",
                f"{_first(row, 'from_admin_name', 'from_admin') or ''} → "
                f"{_first(row, 'to_admin_name', 'to_admin') or ''}",
            ),
            ("kind", row.get("kind")),
        ]
        compliant = row.get("compliant") if "compliant" in sections.columns else None
        extra = ""
        g = by_id.get(sid)
        if g is not None and len(g):
            last = g.iloc[-1]
            compliant = last.get("compliant")
            for col, lab in (
                ("period", "period"),
                ("class_label", "class"),
                ("target_class", "target"),
                ("compliant", "compliant"),
                ("responsibility", "responsibility"),
                ("responsible_unit", "responsible unit"),
                ("attainment_rate", "attainment rate"),
                ("main_pollutants", "main pollutants"),
            ):
                if col in g.columns:
                    rows.append((f"{lab}", _fmt(last[col])))
            if "class" in g.columns and "period" in g.columns:
                tgt = (
                    g["target_class"].dropna().iloc[-1]
                    if "target_class" in g.columns and g["target_class"].notna().any()
                    else None
                )
                extra = "<div>类别历史 class history</div>" + history_svg(
                    g["period"].tolist(), g["class"].tolist(), tgt
                )
        if comp is not None:
            compliant = comp.loc[row.name]
        cat = th.lookup(compliant) or th.categories[-1]
        props.append(
            {
                "_s": {
                    "radius": 9,
                    "color": "#000000",
                    "weight": 2,
                    "fillColor": cat.colour,
                    "fillOpacity": 0.95,
                },
                "_t": esc(f"{_first(row, 'river_name') or sid}: {cat.label_zh}"),
                "_p": f'<div class="basin-pop"><h3>{esc(_first(row, "river_name") or sid)}</h3>'
                f"{_table(rows)}{extra}</div>",
            }
        )
    return props


def _both(field: str, value: Any) -> str:
    """Return a value in Chinese and English, as officers and others read it (``禁止新建 prohibited …``)."""
    from basin.reports.labels import label

    zh, en = label(field, value, "zh"), label(field, value, "en")
    return zh if zh == en else f"{zh} {en}"


def _facility_props(fac: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    props = []
    for _, r in fac.iterrows():
        name = _first(r, "name", "facility_name", "facility_id")
        rows = [
            ("企业编号 ID", r.get("facility_id")),
            ("类别 category", _both("category", r.get("category"))),
            ("状态 status", _both("status", r.get("status"))),
        ]
        props.append(
            {
                "_s": {
                    "radius": 3,
                    "color": "#636363",
                    "weight": 0.5,
                    "fillColor": "#bdbdbd",
                    "fillOpacity": 0.9,
                },
                "_t": esc(name),
                "_p": f'<div class="basin-pop"><h3>{esc(name)}</h3>{_table(rows)}</div>',
            }
        )
    return props


WARNING_COLOURS = {"报警": "#b2182b", "预警": "#f46d43", "提示": "#fee08b"}


def _watch_layers(watch: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any], str]]:
    """Return the early-warning layers (warnings, source candidates, traced reaches) as map collections."""
    out: dict[str, tuple[str, dict[str, Any], str]] = {}
    unknown = sorted(set(watch) - {"warnings", "candidates", "traced_reaches"})
    if unknown:
        msg = f"watch: unknown layer(s) {unknown}; expected warnings, candidates, traced_reaches"
        raise SchemaError(msg)
    tr = watch.get("traced_reaches")
    if tr is not None and len(tr):
        tr = _to_web(tr, "traced_reaches", 0.0).to_crs(4326)
        props = []
        for _, r in tr.iterrows():
            rows = [
                ("河段 reach", r.get("river_id")),
                ("河流 river", r.get("name")),
                ("预警 warning", r.get("warning_id")),
                ("候选排名 rank", r.get("rank")),
            ]
            props.append(
                {
                    "_s": {"color": "#762a83", "weight": 5, "opacity": 0.7},
                    "_t": esc(f"溯源河段 traced reach {_first(r, 'name', 'river_id') or ''}"),
                    "_p": f'<div class="basin-pop"><h3>溯源河段 traced reach</h3>{_table(rows)}</div>',
                }
            )
        out["traced_reaches"] = ("溯源河段 Traced reaches", _collection(tr, props), "")
    cand = watch.get("candidates")
    if cand is not None and len(cand):
        cand = _to_web(cand, "candidates", 0.0).to_crs(4326)
        props = []
        for _, r in cand.iterrows():
            rows = [
                ("排名 rank", r.get("rank")),
                ("类型 kind", r.get("kind")),
                ("编号 id", r.get("id")),
                ("传播时间 travel time (h)", _fmt(r.get("travel_time_h"))),
                ("距离 distance (km)", _fmt(r.get("distance_km"))),
                ("得分 score", _fmt(r.get("score"))),
                ("依据 evidence", _first(r, "evidence_zh", "evidence")),
                ("省/县 province/county", " ".join(str(x) for x in (r.get("province"), r.get("county")) if x)),
            ]
            name = _first(r, "name", "id") or ""
            props.append(
                {
                    "_s": {"radius": 7, "color": "#40004b", "weight": 2, "fillColor": "#c2a5cf",
                           "fillOpacity": 0.9},
                    "_t": esc(f"疑似来源 #{r.get('rank')} {name}"),
                    "_p": f'<div class="basin-pop"><h3>疑似来源 source candidate: {esc(name)}</h3>'
                    f"{_table(rows)}</div>",
                }
            )
        legend = ('<h4>溯源 Source tracing</h4><div><span class="basin-sw" style="background:#c2a5cf"></span>'
                  '疑似来源 candidate</div><div><span class="basin-sw" style="background:#762a83"></span>'
                  "溯源河段 traced reach</div>")
        out["candidates"] = ("疑似污染来源 Source candidates", _collection(cand, props), legend)
    warn = watch.get("warnings")
    if warn is not None and len(warn):
        warn = _to_web(warn, "warnings", 0.0).to_crs(4326)
        props = []
        for _, r in warn.iterrows():
            level = str(r.get("level") or "")
            rows = [
                ("断面 station", r.get("station_id")),
                ("指标 parameter", r.get("parameter")),
                ("规则 rule", r.get("rule_id")),
                ("级别 level", level),
                ("开始 first", r.get("first_time")),
                ("最近 last", r.get("last_time")),
                ("状态 status", r.get("status")),
                ("数值 value", _fmt(r.get("value"))),
                ("阈值 threshold", _fmt(r.get("threshold"))),
            ]
            msg_zh = _first(r, "message_zh", "message_en") or ""
            props.append(
                {
                    "_s": {"radius": 9, "color": "#000000", "weight": 2,
                           "fillColor": WARNING_COLOURS.get(level, "#fdae61"), "fillOpacity": 0.95},
                    "_t": esc(f"{level} {r.get('station_id')} {r.get('parameter')}"),
                    "_p": f'<div class="basin-pop"><h3>{esc(level)} 预警 warning</h3><p>{esc(msg_zh)}</p>'
                    f"{_table(rows)}</div>",
                }
            )
        legend = "<h4>水质预警 Warnings</h4>" + "".join(
            f'<div><span class="basin-sw" style="background:{c}"></span>{esc(k)}</div>'
            for k, c in WARNING_COLOURS.items()
        )
        out["warnings"] = ("水质预警 Warnings", _collection(warn, props), legend)
    return out


def _violation_features(vio: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[dict[str, Any]]]:
    """One point per facility with a violation: coloured by its strongest action, every rule in the popup."""
    th = theme("violations")
    if th.column not in vio.columns:
        msg = f"violations has no column {th.column!r} (columns: {list(vio.columns)})"
        raise SchemaError(msg)
    order = {str(c.key): i for i, c in enumerate(th.categories)}
    key = vio["facility_id"].astype(str) if "facility_id" in vio.columns else pd.Series(vio.index.astype(str))
    v = vio.assign(_k=key.to_numpy(), _o=[order.get(str(a), len(order)) for a in vio[th.column]])
    v = v.sort_values(["_o"], kind="stable")
    # the facilities in the order they first appear (strongest action first), each one's rows together
    codes, _ = pd.factorize(v["_k"])
    v = v.iloc[np.argsort(codes, kind="stable")]
    if not len(v):
        return vio.iloc[:0], []
    codes = np.sort(codes, kind="stable")
    starts = np.r_[0, np.flatnonzero(np.diff(codes)) + 1]
    ends = np.r_[starts[1:], len(v)]
    heads = [
        "规则 rule",
        "岸线分区 zone",
        "距离 distance (m)",
        "限值 limit (m)",
        "处理要求 action",
        "最近水体 nearest water",
    ]
    memo: dict[tuple[str, Any], str] = {}

    def both(field: str, value: Any) -> str:  # a few distinct values, many rows
        try:
            return memo[(field, value)]
        except KeyError:
            memo[(field, value)] = out = _both(field, value)
            return out
        except TypeError:  # pragma: no cover - an unhashable value
            return _both(field, value)

    def cell(x: Any) -> str:
        return f"<td>{esc(x)}</td>"

    rows = [
        f"<tr>{cell(rule)}{cell(both('zone', zone))}{cell(_fmt_m(dist))}{cell(_fmt_m(lim))}"
        f"{cell(both('action', act))}{cell(feat)}</tr>"
        for rule, zone, dist, lim, act, feat in zip(
            _values(v, "rule_id"),
            _values(v, "zone"),
            _values(v, "distance_m"),
            _values(v, "limit_m"),
            _values(v, th.column),
            _first_values(v, "feature_name", "feature_id"),
            strict=True,
        )
    ]
    head = '<table class="basin-t basin-rules"><tr>' + "".join(f"<th>{esc(h)}</th>" for h in heads) + "</tr>"
    firsts = v.iloc[starts]
    names = _first_values(firsts, "facility_name", "name", "facility_id")
    counties = _first_values(firsts, "county_name", "county_id")
    props = []
    for a, b, act, name, fid, category, status, county in zip(
        starts.tolist(),
        ends.tolist(),
        firsts[th.column].tolist(),
        names,
        _values(firsts, "facility_id"),
        _values(firsts, "category"),
        _values(firsts, "status"),
        counties,
        strict=True,
    ):
        cat = th.lookup(act)
        if cat is None:
            keys = [c.key for c in th.categories]
            msg = f"violations: column {th.column!r} has value {str(act)[:60]!r} with no map "
            msg += f"style; expected one of {keys}"
            raise SchemaError(msg)
        info = [
            ("企业编号 ID", fid),
            ("类别 category", both("category", category)),
            ("状态 status", both("status", status)),
            ("县 county", county),
        ]
        rules = head + "".join(rows[a:b]) + "</table>"
        props.append(
            {
                "_s": {
                    "radius": 6,
                    "color": "#000000",
                    "weight": 1,
                    "fillColor": cat.colour,
                    "fillOpacity": 0.95,
                },
                "_t": esc(f"{name}: {cat.label_zh}"),
                "_p": f'<div class="basin-pop"><h3>{esc(name)}</h3>{_table(info)}{rules}</div>',
            }
        )
    pts = gpd.GeoDataFrame(firsts, geometry=firsts.geometry.name, crs=vio.crs)
    return pts.set_geometry(pts.geometry.representative_point()), props


def _fmt_m(v: Any) -> str:
    if v is None or (np.ndim(v) == 0 and pd.isna(v)):
        return ""
    return f"{float(v):,.0f}"


def _timeline(stations: gpd.GeoDataFrame, monthly: pd.DataFrame | None) -> dict[str, Any] | None:
    if monthly is None:
        return None
    need = [c for c in ("station_id", "period", "class") if c not in monthly.columns]
    if need:
        msg = f"monthly classes have no column(s) {need} (columns: {list(monthly.columns)})"
        raise SchemaError(msg)
    m = monthly.assign(station_id=monthly["station_id"].astype(str), period=monthly["period"].astype(str))
    m = m[m["period"].str.match(_MONTH)]
    if m.empty:
        return None
    periods = sorted(m["period"].unique())
    ids = set(stations["station_id"].astype(str))
    wide = m[m["station_id"].isin(ids)].pivot_table(
        index="station_id", columns="period", values="class", aggfunc="max"
    )
    wide = wide.reindex(columns=periods)
    classes = {sid: [None if pd.isna(v) else int(v) for v in r] for sid, r in wide.iterrows()}
    targets = {
        str(s): (None if pd.isna(t) else int(t))
        for s, t in zip(
            stations["station_id"],
            stations.get("target_class", pd.Series(pd.NA, index=stations.index)),
            strict=True,
        )
    }
    wq = theme("wq_class")
    return {
        "label": "监测月份 Month (station class; red ring: misses target)",
        "periods": periods,
        "classes": classes,
        "targets": targets,
        "colours": {str(c.key): c.colour for c in wq.categories},
        "nodata": "#9e9e9e",
    }


# ------------------------------------------------------------------------------------------------ web_map
def _counted_ids(func: Any) -> Any:
    """Build the map with counted element ids (folium draws them at random): the same data, the same page."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from basin.io.reproducible import counted_ids

        with counted_ids("b"):
            return func(*args, **kwargs)

    return wrapper


@_counted_ids
def web_map(
    *,
    rivers: gpd.GeoDataFrame | None = None,
    admin: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
    management: gpd.GeoDataFrame | None = None,
    units: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
    assessment: pd.DataFrame | None = None,
    monthly: pd.DataFrame | None = None,
    sections: gpd.GeoDataFrame | None = None,
    audit: pd.DataFrame | None = None,
    audit_period: str = "latest",
    facilities: gpd.GeoDataFrame | None = None,
    violations: gpd.GeoDataFrame | None = None,
    watch: dict[str, gpd.GeoDataFrame | None] | None = None,
    title: str | None = "川渝流域监测与分区 Sichuan-Chongqing basin monitoring and zoning",
    sources: str | None = None,
    online_tiles: bool = True,
    simplify_m: float = 150.0,
) -> Any:
    """Build the interactive map and return the ``folium.Map``; write it with :func:`write_web_map`.

    One layer per theme in the layer control (administrative outlines as the base; zones, management zones
    and units off at first; rivers, lakes, stations and sections on), a legend for each visible theme,
    tooltips and popups, and a time control that steps the stations' monthly classes.

    Parameters
    ----------
    rivers, admin, lakes, zones, management, units, stations, sections
        Layers as for :func:`basin.maps.static_map`.
    assessment
        Station assessment rows (``station_id, period, class[, compliant]``) shown in the station popups as
        a class-history chart with the target and the attainment.
    monthly
        Monthly station classes (``station_id, period`` as ``YYYY-MM``, ``class``) for the time control;
        the control is left out when None.
    audit
        Cross-border audit rows (``section_id, period, class, compliant, responsibility …``) shown in the
        section popups; they colour the sections (:func:`basin.maps.static.section_compliance`).
    audit_period
        ``"latest"`` (each section's latest assessed period, default), ``"latest_year"``, ``"worst"`` or a
        period of the audit (see :func:`basin.maps.static.section_compliance`).
    facilities
        All facilities of the siting audit (``facility_id, name, category, status``): a layer of small grey
        markers, off at first.
    violations
        Siting-audit violations (:func:`basin.zoning.audit_facilities`): one marker per facility coloured by
        its strongest action, its popup listing each rule broken (rule, zone, distance, limit, action) in
        Chinese and English.
    watch
        Early-warning layers of ``basin watch`` (:func:`basin.watch.watcher.map_layers`): ``warnings`` (points
        at the warned stations, coloured by level), ``candidates`` (traced source candidates, ranked) and
        ``traced_reaches`` (the reaches walked upstream). Missing or empty entries are left out.
    title
        Shown in a box at the top left (escaped); None for none.
    sources
        The data sources (the user's file names, or "demo" data with its provenance), shown in the map's
        attribution line (escaped).
    online_tiles
        Add an OpenStreetMap layer to the layer control, switched off (it needs the internet).
    simplify_m
        Simplification tolerance in metres for lines and polygons (0 keeps every vertex).

    Returns
    -------
    folium.Map
    """
    el = _elements()
    folium = el["folium"]
    given = {
        k: v
        for k, v in dict(
            rivers=rivers,
            admin=admin,
            lakes=lakes,
            zones=zones,
            management=management,
            units=units,
            stations=stations,
            sections=sections,
            facilities=facilities,
            violations=violations,
        ).items()
        if v is not None
    }
    if not any(len(v) for v in given.values()):
        msg = "nothing to draw: pass at least one non-empty layer"
        raise DataError(msg)
    if "facilities" in given and len(given["facilities"]) > MAX_FACILITIES:
        log.info(
            "web map: the %d audited facilities are left out (more than %d); the violations are shown",
            len(given["facilities"]),
            MAX_FACILITIES,
        )
        del given["facilities"]
    web = {k: _to_web(v, k, simplify_m) for k, v in given.items() if len(v)}
    m = folium.Map(tiles=None, control_scale=False, zoom_snap=0.25)
    m.default_js = [("leaflet", "basin:leaflet.js")]
    m.default_css = [("leaflet_css", "basin:leaflet.css")]
    legends: dict[str, str] = {}
    groups: list[tuple[str, str]] = []
    m.add_child(el["Panes"](sources))

    def add(
        key: str,
        name: str,
        data: dict[str, Any],
        kind: str,
        *,
        show: bool,
        legend: str | None,
        pane: str | None = None,
        top: dict[str, Any] | None = None,
        minor: dict[str, Any] | None = None,
    ) -> None:
        fg = folium.FeatureGroup(name=name, show=show)
        fg.add_child(el["GeoJsonLayer"](data, kind, pane))
        if top is not None and top["features"]:  # the categories drawn above the rivers (zone A, priority)
            fg.add_child(el["GeoJsonLayer"](top, kind, PANE_TOP))
        if minor is not None and minor["features"]:  # dense detail, from a zoom level on
            fg.add_child(el["GeoJsonLayer"](minor, kind, pane, min_zoom=MINOR_ZOOM))
        m.add_child(fg)
        groups.append((fg.get_name(), key))
        if legend:
            legends[key] = legend

    if "admin" in web:
        a = web["admin"]
        if "level" not in a.columns:
            msg = f"admin has no column 'level' (columns: {list(a.columns)})"
            raise SchemaError(msg)
        th = theme("admin")
        for cat in th.categories:
            part = a[a["level"].astype(str) == cat.key]
            if part.empty:
                continue
            props = [
                {
                    "_s": {
                        "color": cat.colour,
                        "weight": cat.width * 1.3,
                        "fill": True,
                        "fillColor": "#ffffff",
                        "fillOpacity": 0.0 if cat.key == "county" else 0.6,
                    },
                    "_t": esc(f"{r.get('name')} ({r.get('admin_id')})"),
                }
                for _, r in part.iterrows()
            ]
            add(
                f"admin_{cat.key}",
                f"{cat.label_zh} {cat.label_en}",
                _collection(part, props),
                "admin",
                show=True,
                legend=_legend_html(th, keys={cat.key}, line=True) if cat.key == "province" else None,
            )
    for key in ("zones", "management"):
        if key in web:
            th = theme(key)
            fields = [("rules", "rules")] if key == "zones" else []
            gdf = web[key]
            if len(gdf) > CANVAS_MIN:  # one feature per class: the popups only show the class (and rules)
                gdf = _dissolve_by(gdf, [c for c in (th.column, "label_zh", "label_en", "rules") if c in gdf])
            props = _category_props(gdf, th, key, fields)
            on_top = np.array([bool(getattr(th.lookup(v), "on_top", False)) for v in gdf[th.column]], bool)
            add(
                key,
                th.title,
                _collection(gdf[~on_top], [p for p, t in zip(props, on_top, strict=True) if not t]),
                key,
                show=False,
                legend=_legend_html(th),
                top=_collection(gdf[on_top], [p for p, t in zip(props, on_top, strict=True) if t]),
            )
    if "units" in web:
        th = theme("units")
        coll = _collection(web["units"], _unit_props(web["units"]))
        coll["H"] = [esc(h) for h in ["unit_id", th.title, *_unit_indicators(web["units"])]]
        add(
            "units",
            th.title,
            coll,
            "units",
            show=False,
            legend=_legend_html(th),
        )
    if "lakes" in web:
        th = theme("lakes")
        lk = web["lakes"]
        props = []
        for _, r in lk.iterrows():
            cat = th.lookup(r.get("kind")) or th.categories[0]
            props.append(
                {
                    "_s": {"color": "#4292c6", "weight": 1, "fillColor": cat.colour, "fillOpacity": 0.9},
                    "_t": esc(f"{_first(r, 'name', 'lake_id')} ({cat.label})"),
                    "_p": _table(
                        [
                            ("lake_id", r.get("lake_id")),
                            ("name", r.get("name")),
                            ("kind", cat.label),
                            ("connected 通江", r.get("connected")),
                        ]
                    ),
                }
            )
        add("lakes", th.title, _collection(lk, props), "lakes", show=True, legend=_legend_html(th))
    if "rivers" in web:
        rv = web["rivers"]
        if "level" not in rv.columns:
            msg = f"rivers has no column 'level' (columns: {list(rv.columns)})"
            raise SchemaError(msg)
        levels = rv["level"].tolist()
        by_level = {v: river_category(v) for v in dict.fromkeys(levels)}
        styles = {
            id(c): {"color": c.colour, "weight": c.width * 1.4, "opacity": 0.9} for c in by_level.values()
        }
        props = [
            {"_s": styles[id(cat)], "_t": esc(f"{name} · {cat.label}")}
            for cat, name in zip(
                (by_level[v] for v in levels), _first_values(rv, "name", "river_id"), strict=True
            )
        ]
        present = {str(c.key) for c in by_level.values()}
        major = np.ones(len(rv), dtype=bool)
        if len(rv) > MAJOR_REACHES:  # the lower levels beyond MAJOR_REACHES reaches: from MINOR_ZOOM on
            lv = pd.to_numeric(rv["level"], errors="coerce").fillna(99).to_numpy()
            counts = pd.Series(lv).value_counts().sort_index()
            keep = counts.index[counts.cumsum().to_numpy() <= MAJOR_REACHES]
            top_level = keep.max() if len(keep) else counts.index.min()
            major = lv <= top_level
        pr = np.array(props, dtype=object)
        add(
            "rivers",
            theme("rivers").title,
            _collection(rv[major], list(pr[major])),
            "rivers",
            minor=_collection(rv[~major], list(pr[~major])) if (~major).any() else None,
            show=True,
            legend=_legend_html(theme("rivers"), keys=present, line=True),
        )
    if "sections" in web:
        sec = web["sections"]
        from basin.maps.static import section_compliance

        sec_pts = sec.set_geometry(sec.geometry.representative_point())
        comp, shown = section_compliance(sec, audit, period=audit_period)
        head = theme("sections").title
        if shown:
            head += " (最差时段 worst period)" if shown == "worst" else f" ({shown})"
        add(
            "sections",
            theme("sections").title,
            _collection(sec_pts, _section_props(sec, audit, comp)),
            "sections",
            show=True,
            legend=_legend_html(theme("sections"), head),
            pane=PANE_POINTS,
        )
    if "facilities" in web:
        fac = web["facilities"]
        fac = fac.set_geometry(fac.geometry.representative_point())
        add(
            "facilities",
            "企业 Facilities",
            _collection(fac, _facility_props(fac)),
            "facilities",
            show=False,
            legend='<h4>企业 Facilities</h4><div><span class="basin-sw" style="background:#bdbdbd"></span>'
            "选址审查对象 audited facility</div>",
            pane=PANE_POINTS,
        )
    if "violations" in web:
        vio = web["violations"]
        pts, props = _violation_features(vio)
        add(
            "violations",
            theme("violations").title,
            _collection(pts, props),
            "violations",
            show=True,
            legend=_legend_html(theme("violations")),
            pane=PANE_POINTS,
        )
    for key, (name, data, legend) in _watch_layers(watch or {}).items():
        add(key, name, data, key, show=True, legend=legend, pane=PANE_POINTS if key != "traced_reaches" else None)
    timeline = None
    if "stations" in web:
        st = web["stations"]
        if "station_id" not in st.columns:
            msg = f"stations has no column 'station_id' (columns: {list(st.columns)})"
            raise SchemaError(msg)
        history = _station_history(assessment if assessment is not None else monthly)
        timeline = _timeline(st, monthly)
        legend = _legend_html(theme("wq_class"), "监测断面水质类别 Station class") + (
            '<div><span class="basin-sw" style="background:#fff;border:3px solid #b2182b"></span>'
            "未达标 misses target</div>"
            if timeline
            else ""
        )
        add(
            "stations",
            "监测断面 Monitoring stations",
            _collection(st, _station_props(st, history)),
            "stations",
            show=True,
            legend=legend,
            pane=PANE_POINTS,
        )
    if online_tiles:
        folium.TileLayer(
            "OpenStreetMap", name="OpenStreetMap (online 在线底图)", overlay=True, show=False
        ).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.add_child(el["Runtime"](legends, groups, esc(title) if title else None, timeline))
    b = np.array([g.total_bounds for g in web.values()])
    ref = web.get("admin")
    xmin, ymin, xmax, ymax = ref.total_bounds if ref is not None else (*b[:, :2].min(0), *b[:, 2:].max(0))
    m.fit_bounds([[float(ymin), float(xmin)], [float(ymax), float(xmax)]])
    return m


# ------------------------------------------------------------------------------------------- offline HTML
def _static(name: str) -> bytes:
    return resources.files("basin.maps").joinpath("static", name).read_bytes()


def _leaflet_css() -> str:
    css = _static("leaflet.css").decode("utf-8")

    def data_uri(match: re.Match[str]) -> str:
        img = _static(match.group(1))
        return "url(data:image/png;base64," + base64.b64encode(img).decode("ascii") + ")"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)


_ASSETS = {"leaflet.js": "script", "leaflet.css": "style"}
_SCRIPT_SRC = re.compile(r'<script\s+src="([^"]+)"\s*>\s*</script>')
_LINK = re.compile(r'<link\s+rel="stylesheet"\s+href="([^"]+)"\s*/?>')


def offline_html(m: Any) -> str:
    """Render the map to one HTML page with Leaflet's JavaScript and CSS inlined (no external file at all).

    Raises
    ------
    BasinError
        When the page references a script or stylesheet that is not vendored in ``basin/maps/static``.
    """
    from basin.io.reproducible import counted_ids

    with counted_ids("r"):  # elements made while rendering get counted ids too (see web_map)
        page = m.get_root().render()

    def script(match: re.Match[str]) -> str:
        url = match.group(1)
        name = url.rsplit("/", 1)[-1].removeprefix("basin:")
        if _ASSETS.get(name) != "script":
            msg = f"the map references {url}, which is not vendored in basin/maps/static "
            msg += " (the offline map inlines every script and stylesheet)"
            raise BasinError(msg)
        js = _static(name).decode("utf-8").replace("</script", "<\\/script")
        return f"<script>\n{js}\n</script>"

    def link(match: re.Match[str]) -> str:
        url = match.group(1)
        name = url.rsplit("/", 1)[-1].removeprefix("basin:")
        if _ASSETS.get(name) != "style":
            msg = f"the map references {url}, which is not vendored in basin/maps/static "
            msg += " (the offline map inlines every script and stylesheet)"
            raise BasinError(msg)
        return f"<style>\n{_leaflet_css()}\n</style>"

    page = _SCRIPT_SRC.sub(script, page)
    page = _LINK.sub(link, page)
    leftover = re.findall(r'<(?:script|link|img|iframe)[^>]+(?:src|href)="(?!data:)([^"]+)"', page)
    if leftover:
        msg = f"the offline map still references external files: {leftover}"
        raise BasinError(msg)
    if "<meta charset" not in page.lower():
        page = page.replace("<head>", '<head>\n<meta charset="utf-8">', 1)
    return _embed_font(page, _hidden_text(m))


def _hidden_text(element: Any) -> str:
    """Return the characters of the compressed layers under ``element`` (not readable in the page)."""
    chars: set[str] = set(getattr(element, "glyphs", ""))
    for child in getattr(element, "_children", {}).values():
        chars |= set(_hidden_text(child))
    return "".join(sorted(chars))


def _embed_font(page: str, extra: str = "") -> str:
    """Embed the CJK font cut to the page's characters, used by the map, its popups, legends and controls."""
    from basin.maps import fonts

    style = (
        f"<style>{fonts.font_face_css(page + extra)}\n"
        f".leaflet-container, .basin-box, .basin-title, .basin-t {{ font-family: {fonts.WEB_STACK}; }}"
        "</style>"
    )
    head_end = page.lower().rfind("</head>")
    if head_end < 0:  # pragma: no cover - folium always writes a head
        msg = "the map page has no </head>"
        raise BasinError(msg)
    return page[:head_end] + style + "\n" + page[head_end:]


def write_web_map(m: Any, filepath: str | Path) -> Path:
    """Write the map as one self-contained HTML file (see :func:`offline_html`) and return its path."""
    from basin.io import write_text

    path = Path(filepath)
    if path.suffix.lower() not in (".html", ".htm"):
        msg = f"cannot write the interactive map to {path}: expected an .html file"
        raise DataError(msg)
    return write_text(offline_html(m), path)
