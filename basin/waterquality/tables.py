"""Every result table of the water-quality assessment, by a stable name (the run, ``basin wq assess``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from basin._errors import SchemaError
from basin.waterquality.assess import Period, assess, compliance, evaluate_rivers
from basin.waterquality.method import (
    change,
    class_proportions,
    cwqi,
    drinking_water,
    exceedance,
    reference_items,
    sample_exceedance,
    spearman_trend,
)
from basin.waterquality.standards import Standard
from basin.waterquality.trend import trend

__all__ = ["OPTIONS", "TABLES", "assessment_tables"]

#: stable name -> (Chinese title, English title), in the order the tables are returned
TABLES: dict[str, tuple[str, str]] = {
    "sections": ("断面水质评价", "Section assessment"),
    "compliance": ("目标达标情况", "Target compliance"),
    "trends": ("变化趋势检验（Mann-Kendall 系列）", "Trend tests (Mann-Kendall family)"),
    "rivers": ("河流水质评价", "River assessment"),
    "lakes": ("湖库水质评价", "Lake and reservoir assessment"),
    "proportions": ("水质类别比例", "Class proportions"),
    "exceedance": ("断面超标率", "Section exceedance rates"),
    "sample_exceedance": ("测次超标率", "Sample exceedance rates"),
    "reference": (
        "参考指标评价（水温、总氮、粪大肠菌群）",
        "Reference items (temperature, TN, fecal coliform)",
    ),
    "drinking_water": ("集中式饮用水水源地补充项目", "Drinking-water sources: Table 2 items"),
    "cwqi": ("水质指数 CWQI 及排名", "Water-quality index CWQI and ranking"),
    "change": ("水质变化（两时段比较）", "Change between two periods"),
    "spearman": ("多时段变化趋势（Spearman 秩相关）", "Multi-period trend (Spearman rank correlation)"),
}

#: the keyword options :func:`assessment_tables` accepts (besides period, standard, baseline)
OPTIONS = ("do_saturation", "against", "before", "after", "by", "alpha", "tests", "min_years", "min_coverage")


_NO_BASELINE = (
    "water-temperature rule not checked: no natural baseline "
    "(pass baseline= a table with week and temperature columns)"
)
_NO_DRINKING = "no drinking-water source: add a drinking_source = true column to the stations layer"


def _titled(df: pd.DataFrame, name: str, note: str = "") -> pd.DataFrame:
    zh, en = TABLES[name]
    df.attrs["title_zh"] = zh
    df.attrs["title_en"] = en
    if note:
        df.attrs["note"] = note
    return df


def _has(ds: xr.Dataset, coord: str) -> bool:
    return coord in ds.coords and bool((np.asarray(ds[coord].values).astype(str) != "").any())


def assessment_tables(
    ds: xr.Dataset,
    *,
    period: Period = "year",
    standard: str | Standard | None = None,
    baseline: pd.DataFrame | str | os.PathLike[str] | None = None,
    **options: Any,
) -> dict[str, pd.DataFrame]:
    """Assess a series with the 2011 national method and return every result table by name.

    Parameters
    ----------
    ds
        The ``(station, time)`` Dataset of :func:`basin.waterquality.read_wq`.
    period
        Evaluation period of the section classes: ``month``, ``quarter`` or ``year``.
    standard
        Standard name (default GB 3838-2002).
    baseline
        Natural weekly water-temperature baseline for the Table 1 temperature rule (DataFrame or CSV/Excel
        path with ``week``, ``temperature`` and optionally ``station_id``; see
        :func:`basin.waterquality.method.temperature_change`). Without it the rule is not checked (the
        ``reference`` table's ``temperature_ok`` is NA and its ``attrs["note"]`` says how to supply it).
    **options
        ``do_saturation`` (bool, DO class Ⅰ by saturation ≥ 90 %, :func:`basin.waterquality.assess`),
        ``against`` (``"target"`` | ``"III"``, :func:`~basin.waterquality.method.sample_exceedance`),
        ``before`` / ``after`` (period labels for ``change``; default the last two), ``by`` (grouping
        coordinates for proportions, exceedance and change; default those of ``river_id, basin_id, province,
        county`` present), ``alpha`` (trend and Spearman significance, 0.05), ``tests``, ``min_years``,
        ``min_coverage`` (:func:`basin.waterquality.trend`).

    Returns
    -------
    dict of str to pandas.DataFrame
        By stable name (:data:`TABLES`): ``sections``, ``compliance``, ``trends``, ``rivers`` (when the
        stations give ``river_id``), ``lakes`` (when they give ``lake_id``), ``proportions``, ``exceedance``,
        ``sample_exceedance``, ``reference``, ``drinking_water`` (empty, with a note, when no station is
        flagged ``drinking_source``), ``cwqi``, ``change`` (empty with fewer than two periods), ``spearman``.
        Each table carries ``title_zh`` and ``title_en`` (and sometimes ``note``) in its ``attrs``.

    Raises
    ------
    SchemaError
        An unknown option, or a bad option value (see the functions named above).
    """
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        msg = f"assessment_tables: unknown option(s) {unknown}; expected some of {list(OPTIONS)}"
        raise SchemaError(msg)
    by: Sequence[str] | None = options.get("by")
    alpha = float(options.get("alpha", 0.05))
    sections = assess(
        ds, period=period, standard=standard, do_saturation=bool(options.get("do_saturation", False))
    )
    out: dict[str, pd.DataFrame] = {
        "sections": _titled(sections.drop(columns=["period_start"], errors="ignore"), "sections"),
        "compliance": _titled(compliance(ds, standard=standard), "compliance"),
    }
    trends = trend(
        ds,
        alpha=alpha,
        tests=options.get("tests"),
        min_years=int(options.get("min_years", 5)),
        min_coverage=float(options.get("min_coverage", 0.5)),
    )
    out["trends"] = _titled(trends, "trends", "default: correlated_seasonal (holds under autocorrelation)")
    if _has(ds, "river_id"):
        rivers = evaluate_rivers(ds, by="river_id", period=period, standard=standard, sections=sections)
        out["rivers"] = _titled(rivers, "rivers")
    if _has(ds, "lake_id"):
        lakes = evaluate_rivers(ds, by="lake_id", period=period, standard=standard, sections=sections)
        out["lakes"] = _titled(lakes, "lakes")
    props = class_proportions(ds, period=period, standard=standard, by=by, sections=sections)
    out["proportions"] = _titled(props, "proportions")
    out["exceedance"] = _titled(exceedance(ds, period=period, standard=standard, by=by), "exceedance")
    against = str(options.get("against", "target"))
    samples = sample_exceedance(ds, period=period, standard=standard, against=against)
    out["sample_exceedance"] = _titled(samples, "sample_exceedance")
    ref = reference_items(ds, period=period, standard=standard, baseline=baseline)
    out["reference"] = _titled(ref, "reference", "" if baseline is not None else _NO_BASELINE)
    dw = drinking_water(ds, period=period, standard=standard)
    out["drinking_water"] = _titled(dw, "drinking_water", "" if len(dw) else _NO_DRINKING)
    out["cwqi"] = _titled(cwqi(ds, period=period, standard=standard), "cwqi")
    ch = change(
        ds,
        period=period,
        standard=standard,
        before=options.get("before"),
        after=options.get("after"),
        by=by,
        sections=sections,
    )
    out["change"] = _titled(ch, "change", "" if len(ch) else "fewer than two periods with data")
    out["spearman"] = _titled(spearman_trend(ds, period=period, alpha=alpha), "spearman")
    return out
