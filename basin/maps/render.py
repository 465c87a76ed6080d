"""The maps of a run, from its results in memory: static maps (PNG / PDF), a station chart, the web map.

Every input is the run's own: its layers, its riparian zones, siting audit, water-quality assessment and
monthly classes (the time control), cross-border sections with their audit, units and management map. No
demo file is read here; the footers name the run's sources (the user's files, or the demo data with its
provenance when the run is the demo).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from basin._errors import DataError

FORMATS = ("png", "pdf", "html")
_LABELS = {
    "overview": ("总览图", "overview map"),
    "zones": ("岸线分区与选址审查图", "riparian zones and siting audit map"),
    "management": ("管控分区图", "management zoning map"),
    "units": ("评价单元分类图", "evaluation units map"),
    "chart": ("监测断面水质图", "station chart"),
    "web": ("交互地图", "interactive map"),
}


def _label(key: str, fmt: str, lang: str) -> str:
    zh, en = _LABELS[key]
    return f"{zh}（{fmt.upper()}）" if lang == "zh" else f"{en} ({fmt.upper()})"


def _get(obj: Any, *names: str) -> Any:
    for n in names:
        if obj is None:
            return None
        obj = getattr(obj, n, None)
    return obj


def chart_choice(monthly: pd.DataFrame | None, ds: Any) -> tuple[str, str] | None:
    """Return the (station, parameter) of the station chart: the worst station of the latest month.

    The parameter is that station's first main pollutant in the latest month when the series has it, else
    ammonia nitrogen (NH3_N), else the series' first variable. None without a series or monthly classes.
    """
    if ds is None or monthly is None or not len(monthly) or not len(ds.data_vars):
        return None
    m = monthly.dropna(subset=["class"])
    if m.empty:
        return None
    last = m[m["period"].astype(str) == m["period"].astype(str).max()]
    row = last.sort_values(["class", "station_id"], ascending=[False, True]).iloc[0]
    params = [str(v) for v in ds.data_vars]
    pick = None
    pol = row.get("main_pollutants") if hasattr(row, "get") else None
    if isinstance(pol, str) and pol:
        import re

        for p in re.split(r"[、,;，]", pol):
            code = re.sub(r"\(.*\)$", "", p).strip()
            if code in params:
                pick = code
                break
    if pick is None:
        pick = "NH3_N" if "NH3_N" in params else params[0]
    return str(row["station_id"]), pick


def sources_text(result: Any, lang: str = "zh") -> str:
    """Return the maps' footer: the run's sources (see :func:`basin.reports.summary.sources_note`)."""
    from basin.reports.summary import sources_note

    return sources_note(result, lang=lang)


def render_maps(
    result: Any,
    folder: str | os.PathLike[str],
    opts: Any = None,
    *,
    lang: str | None = None,
    formats: Iterable[str] | None = None,
    audit_period: str = "latest_year",
    dpi: int = 200,
) -> dict[str, Path]:
    """Draw the maps of a run into ``folder`` and return the files written, by label.

    Static maps (``png`` / ``pdf`` in ``formats``): the overview (rivers, admin, lakes, stations by
    compliance, cross-border sections coloured by their audit), riparian zones with the siting audit's
    violations, the management map and the evaluation units (each when the run has it), and a station chart
    (the worst station of the latest month). The web map (``html``): every layer of the run, the stations'
    monthly classes in the time control, the violations with their popups.

    Parameters
    ----------
    result
        The run (:class:`basin.run.RunResult`): ``layers``, ``riparian``, ``audit``, ``waterquality``,
        ``wq``, ``units``, ``management``, ``crossborder``, ``sources``.
    folder
        Where to write (``outdir/maps``).
    opts
        The run's write options (``basin.run.WriteOptions``: ``lang``, ``formats``), an alternative to
        ``lang`` and ``formats``, which win when given.
    lang
        Language of the file labels and the footer's source note (the maps' legends are bilingual);
        default ``opts.lang`` or ``"zh"``.
    formats
        Any of ``png``, ``pdf``, ``html``; others are ignored. Default ``opts.formats`` or all three.
    audit_period
        Which audit result colours the cross-border sections (:func:`basin.maps.static.section_compliance`):
        by default ``"latest_year"``, a section that missed its target in any month of its latest year is
        red; ``"latest"`` (the latest period), ``"worst"`` or a period.
    dpi
        Resolution of the PNGs.

    Returns
    -------
    dict[str, pathlib.Path]
        Label -> file, in the order written. Empty when the run has neither rivers nor admin units.

    Raises
    ------
    DataError
        An unknown language.
    """
    from basin.maps.static import generalise_layers, save_figure, static_map, station_chart
    from basin.maps.web import web_map, write_web_map
    from basin.reports.summary import sources_note

    lang = lang if lang is not None else getattr(opts, "lang", "zh")
    if formats is None:
        formats = getattr(opts, "formats", FORMATS)
    if lang not in ("zh", "en"):
        msg = f"unknown language {lang!r}; expected 'zh' or 'en'"
        raise DataError(msg)
    fmts = {str(f).lower() for f in formats}
    out = Path(folder)
    layers = getattr(result, "layers", None) or {}
    base: dict[str, Any] = {k: layers.get(k) for k in ("rivers", "admin", "lakes", "stations")}
    if base["rivers"] is None and base["admin"] is None:
        return {}
    assessment = _get(result, "waterquality", "sections")
    monthly = _get(result, "waterquality", "monthly")
    sections = _get(result, "crossborder", "sections")
    audit = _get(result, "crossborder", "audit")
    zones = _get(result, "riparian", "zones")
    violations = _get(result, "audit", "violations")
    facilities = _get(result, "audit", "facilities")
    if facilities is None:
        facilities = layers.get("facilities")
    management = _get(result, "management", "management")
    units = _get(result, "units", "units")
    note = sources_note(result, lang=lang)
    written: dict[str, Path] = {}
    statics = [f for f in ("png", "pdf") if f in fmts]
    if statics:
        # projected once, dense rivers generalised once, for every map (basin.maps.generalise)
        shared = generalise_layers(
            {**base, "sections": sections, "zones": zones, "violations": violations, "management": management,
             "units": units},
            dpi=dpi,
        )
        common = {**{k: shared[k] for k in base}, "assessment": assessment, "sources": note, "dpi": dpi,
                  "generalise": False}
        sections_m, zones_m, violations_m = shared["sections"], shared["zones"], shared["violations"]
        maps: list[tuple[str, dict[str, Any]]] = [
            (
                "overview",
                {"sections": sections_m, "audit": audit, "audit_period": audit_period, "theme": "overview"},
            )
        ]
        if zones is not None and len(zones):
            vio = violations_m if violations_m is not None and len(violations_m) else None
            maps.append(("zones", {"zones": zones_m, "violations": vio, "theme": "zones"}))
        if management is not None and len(management):
            maps.append(("management", {"management": shared["management"], "theme": "management"}))
        if units is not None and len(units):
            maps.append(("units", {"units": shared["units"], "theme": "units"}))
        for key, extra in maps:
            ax = static_map(**common, **extra)
            for f in statics:
                written[_label(key, f, lang)] = save_figure(ax.figure, out / f"{key}.{f}", dpi=dpi)
        choice = chart_choice(monthly, getattr(result, "wq", None))
        if choice is not None and "png" in fmts:
            sid, param = choice
            from basin.io.names import safe_filename

            path = out / safe_filename(f"station_{sid}_{param}.png")  # the id comes from the data
            station_chart(result.wq, sid, param, filepath=path, dpi=dpi)
            written[_label("chart", "png", lang)] = path
    if "html" in fmts:
        from basin.maps.web import CANVAS_MIN

        mon = monthly if monthly is not None and len(monthly) else None
        # beyond CANVAS_MIN pieces the web map shows the management map dissolved by class (the popups only
        # show the class): the management step has dissolved it already, so its zones are reused
        mgmt_web = management
        mgmt_zones = _get(result, "management", "zones")
        if management is not None and len(management) > CANVAS_MIN and mgmt_zones is not None and len(mgmt_zones):
            mgmt_web = mgmt_zones
        m = web_map(
            **base,
            assessment=assessment,
            monthly=mon,
            zones=zones,
            management=mgmt_web,
            units=units,
            sections=sections,
            audit=audit,
            audit_period=audit_period,
            facilities=facilities,
            violations=violations if violations is not None and len(violations) else None,
            title=_title(result),
            sources=note,
        )
        written[_label("web", "html", lang)] = write_web_map(m, out / "map.html")
    return written


def _title(result: Any) -> str:
    name = _get(result, "project", "name")
    title = "流域监测与分区 Basin monitoring and zoning"
    return f"{name} {title}" if name else title


__all__ = ["chart_choice", "render_maps", "sources_text"]
