"""Every result table of the water-quality assessment, by a stable name (the run, ``basin wq assess``)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import xarray as xr

from basin.waterquality.assess import Period, assess, compliance, evaluate_rivers
from basin.waterquality.trend import trend


def _titled(df: pd.DataFrame, zh: str, en: str) -> pd.DataFrame:
    df.attrs["title_zh"] = zh
    df.attrs["title_en"] = en
    return df


def assessment_tables(
    ds: xr.Dataset,
    *,
    period: Period = "year",
    standard: str | None = None,
    baseline: Any = None,
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
        Natural water-temperature baseline for the reference-item rule (optional).
    **options
        Further options of the assessment functions.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``sections`` (class, status, main pollutants, compliance per station and period), ``compliance``
        (monthly attainment per station and year), ``trends`` (Mann-Kendall, Seasonal Kendall, Sen's slope) and
        ``rivers`` (river grades, when the stations give ``river_id``). Each table carries ``title_zh`` and
        ``title_en`` in its ``attrs``.
    """
    sections = assess(ds, period=period, standard=standard)
    out: dict[str, pd.DataFrame] = {
        "sections": _titled(sections.drop(columns=["period_start"], errors="ignore"), "断面水质评价", "Section assessment"),
        "compliance": _titled(compliance(ds, standard=standard), "目标达标情况", "Target compliance"),
        "trends": _titled(trend(ds), "变化趋势", "Trends"),
    }
    if "river_id" in ds.coords and (ds["river_id"].astype(str) != "").any():
        rivers = evaluate_rivers(ds, by="river_id", period=period, standard=standard, sections=sections)
        out["rivers"] = _titled(rivers, "河流水质评价", "River assessment")
    return out


__all__ = ["assessment_tables"]
