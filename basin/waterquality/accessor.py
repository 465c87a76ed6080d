"""The ``Dataset.wq`` accessor: a stateless namespace handing off to the functions of basin.waterquality."""

from __future__ import annotations

from typing import Any

import pandas as pd
import xarray as xr

from basin.waterquality.assess import Period, assess, compliance
from basin.waterquality.classify import classify_dataset
from basin.waterquality.standards import Standard
from basin.waterquality.trend import trend

__all__ = ["WaterQualityAccessor"]


@xr.register_dataset_accessor("wq")
class WaterQualityAccessor:
    """Water-quality methods on a Dataset from :func:`basin.waterquality.read_wq` (``ds.wq.assess()`` ...)."""

    def __init__(self, ds: xr.Dataset) -> None:
        self._ds = ds

    def classify(self, *, standard: str | Standard | None = None, waterbody: str = "river") -> xr.Dataset:
        """Classify every parameter. See :func:`basin.waterquality.classify_dataset`."""
        return classify_dataset(self._ds, standard=standard, waterbody=waterbody)

    def assess(self, *, period: Period = "year", standard: str | Standard | None = None) -> pd.DataFrame:
        """Evaluate every station and period. See :func:`basin.waterquality.assess`."""
        return assess(self._ds, period=period, standard=standard)

    def compliance(self, *, standard: str | Standard | None = None) -> pd.DataFrame:
        """Return monthly target compliance per station and year (:func:`basin.waterquality.compliance`)."""
        return compliance(self._ds, standard=standard)

    def trend(
        self,
        *,
        parameters: list[str] | None = None,
        alpha: float = 0.05,
        min_years: int = 5,
        min_coverage: float = 0.5,
    ) -> pd.DataFrame:
        """Return the trend tests per station, parameter and test. See :func:`basin.waterquality.trend`."""
        return trend(
            self._ds, parameters=parameters, alpha=alpha, min_years=min_years, min_coverage=min_coverage
        )

    def tables(
        self, *, period: Period = "year", standard: str | Standard | None = None, **options: Any
    ) -> dict[str, pd.DataFrame]:
        """Every result table by name. See :func:`basin.waterquality.assessment_tables`."""
        from basin.waterquality.tables import assessment_tables

        return assessment_tables(self._ds, period=period, standard=standard, **options)
