"""Inputs of the maps from the demo data and an output folder, and the ``basin demo`` step (the last one)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from basin import datasets
from basin.io import read_layer, safe_filename

log = logging.getLogger(__name__)

DEMO_SOURCES = (
    "数据来源 Data: rivers GSHHG/WDB-II with NGCC 1:4M names; admin units Tianditu; "
    "lakes, stations and water quality are SYNTHETIC demo data (basin demo dataset)."
)
# outputs of the other capabilities, relative to an output folder: name -> (path, layer or None)
OUTPUTS: dict[str, tuple[str, str | None]] = {
    "zones": ("zones/zones.gpkg", "zones"),
    "management": ("zoning/management.gpkg", "management"),
    "units": ("units/units.gpkg", "units"),
    "sections": ("crossborder/sections.geojson", None),
    "assessment": ("wq/sections.csv", None),
    "audit": ("crossborder/audit.csv", None),
}


def demo_layers() -> dict[str, gpd.GeoDataFrame]:
    """Read the demo rivers, admin units, lakes and stations (data-model columns)."""
    return {
        "rivers": read_layer(datasets.get_path("rivers"), "rivers"),
        "admin": read_layer(datasets.get_path("admin"), "admin", layer="admin"),
        "lakes": read_layer(datasets.get_path("lakes"), "lakes"),
        "stations": read_layer(datasets.get_path("stations"), "stations"),
    }


def _read_vector(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    layers = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    use = layer if layer in layers else layers[0]
    return gpd.read_file(path, layer=use, engine="pyogrio")


def load_outputs(outdir: str | Path) -> dict[str, Any]:
    """Read what the capabilities wrote into ``outdir`` (zones, management, units, sections, audit …).

    Missing results are simply absent from the returned dict.
    """
    out = Path(outdir)
    found: dict[str, Any] = {}
    for name, (rel, layer) in OUTPUTS.items():
        path = out / rel
        if not path.exists():
            continue
        if path.suffix == ".csv":
            found[name] = pd.read_csv(
                path, encoding="utf-8", dtype={"station_id": str, "section_id": str, "period": str}
            )
        else:
            found[name] = _read_vector(path, layer)
    return found


def read_series(*, wq: Any = None, stations: Any = None) -> Any:
    """Read a water-quality series (default: the demo series) with :func:`basin.waterquality.read_wq`."""
    from basin.waterquality import read_wq

    return read_wq(wq or datasets.get_path("wq"), stations=stations or datasets.get_path("stations"))


def monthly_classes(ds: Any) -> pd.DataFrame:
    """Return the stations' monthly classes (``station_id, period, class, compliant …``) of a series.

    The classes come from the water-quality engine (:func:`basin.waterquality.assess` by month).
    """
    from basin.waterquality import assess

    return assess(ds, period="month")


def demo_step(outdir: Path) -> dict[str, Path]:
    """Write ``outdir/maps/`` (static maps, a station chart, ``map.html``), then ``outdir/index.html``."""
    from basin.maps.static import static_map, station_chart
    from basin.maps.web import web_map, write_web_map
    from basin.report import write_index

    out = Path(outdir) / "maps"
    layers = demo_layers()
    found = load_outputs(outdir)
    ds = read_series()
    monthly = monthly_classes(ds)
    assessment = found.get("assessment")
    written: dict[str, Path] = {}
    common = {
        "rivers": layers["rivers"],
        "admin": layers["admin"],
        "lakes": layers["lakes"],
        "stations": layers["stations"],
        "assessment": assessment,
        "sources": DEMO_SOURCES,
    }
    ax = static_map(
        **common, sections=found.get("sections"), theme="overview", dpi=200, filepath=out / "overview.png"
    )
    written["overview map (PNG)"] = out / "overview.png"
    from basin.maps.static import save_figure

    written["overview map (PDF)"] = save_figure(ax.figure, out / "overview.pdf")
    for name in ("zones", "management", "units"):
        if name in found:
            path = out / f"{name}.png"
            static_map(**common, **{name: found[name]}, theme=name, dpi=200, filepath=path)
            written[f"{name} map (PNG)"] = path
    if len(monthly):
        worst = monthly.sort_values(["class", "station_id"]).iloc[-1]["station_id"]
        path = out / f"station_{safe_filename(worst)}_NH3_N.png"  # the id comes from the data
        station_chart(ds, str(worst), "NH3_N", filepath=path)
        written["station chart"] = path
    m = web_map(
        **{k: v for k, v in common.items() if k != "sources"},
        monthly=monthly,
        zones=found.get("zones"),
        management=found.get("management"),
        units=found.get("units"),
        sections=found.get("sections"),
        audit=found.get("audit"),
    )
    written["interactive map"] = write_web_map(m, out / "map.html")
    written["index"] = write_index(outdir)
    return written
