"""Draw the run's maps from its results in memory: static maps (PNG/PDF) and the offline web map."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd


def sources_text(res: Any) -> str:
    """The map footer: where each layer came from (the user's file names, or the demo data)."""
    parts = []
    for kind, src in res.sources.items():
        if kind.startswith(("scheme:", "rules", "units config", "management rules")):
            continue
        name = Path(src.path).name if src.path else "?"
        parts.append(f"{kind}: {'demo ' if src.origin == 'demo' else ''}{name}")
    text = "数据来源 Data: " + "; ".join(parts)
    if any(s.origin == "demo" for s in res.sources.values()):
        text += (
            " (demo: rivers GSHHG/WDB-II with NGCC 1:4M names; admin Tianditu; lakes, stations, facilities and"
            " water quality SYNTHETIC)"
        )
    return text


def render_maps(res: Any, folder: Path, opts: Any) -> dict[str, Path]:
    """Write the static overview (and theme) maps, a station chart and the web map of a run."""
    from basin.maps.static import save_figure, static_map, station_chart
    from basin.maps.web import web_map, write_web_map

    layers = {k: res.layers.get(k) for k in ("rivers", "admin", "lakes", "stations")}
    if layers["rivers"] is None and layers["admin"] is None:
        return {}
    assessment = res.waterquality.sections if res.waterquality is not None else None
    sections = res.crossborder.sections if res.crossborder is not None else None
    audit = res.crossborder.audit if res.crossborder is not None else None
    zones = res.riparian.zones if res.riparian is not None else None
    management = res.management.management if res.management is not None else None
    units = res.units.units if res.units is not None else None
    written: dict[str, Path] = {}
    common = {**layers, "assessment": assessment, "sources": sources_text(res)}
    if opts.wants("png") or opts.wants("pdf"):
        ax = static_map(**common, sections=sections, theme="overview", dpi=200)
        if opts.wants("png"):
            written["overview map (PNG)"] = save_figure(ax.figure, folder / "overview.png", dpi=200)
        if opts.wants("pdf"):
            written["overview map (PDF)"] = save_figure(ax.figure, folder / "overview.pdf")
        import matplotlib.pyplot as plt

        plt.close(ax.figure)
        for name, layer in (("zones", zones), ("management", management), ("units", units)):
            if layer is not None and opts.wants("png"):
                ax = static_map(**common, **{name: layer}, theme=name, dpi=200)
                written[f"{name} map (PNG)"] = save_figure(ax.figure, folder / f"{name}.png", dpi=200)
                plt.close(ax.figure)
        if res.wq is not None and res.waterquality is not None and len(res.waterquality.monthly) and opts.wants("png"):
            monthly = res.waterquality.monthly
            param = "NH3_N" if "NH3_N" in res.wq.data_vars else next(iter(res.wq.data_vars))
            worst = monthly.sort_values(["class", "station_id"]).iloc[-1]["station_id"]
            from basin.io.names import safe_filename

            path = folder / safe_filename(f"station_{worst}_{param}.png")
            station_chart(res.wq, str(worst), param, filepath=path)
            written["station chart"] = path
    if opts.wants("html"):
        monthly = res.waterquality.monthly if res.waterquality is not None else None
        m = web_map(
            **layers,
            assessment=assessment,
            monthly=monthly if monthly is not None and len(monthly) else None,
            zones=zones,
            management=management,
            units=units,
            sections=sections,
            audit=audit,
        )
        written["interactive map"] = write_web_map(m, folder / "map.html")
    return written


def _unused(_: pd.DataFrame) -> None:  # pragma: no cover - keeps pandas imported for type checkers
    return None


__all__ = ["render_maps", "sources_text"]
