"""Water quality: GB 3838-2002 classes, the 2011 national evaluation method, targets, TLI and trends.

Importing this package registers the ``Dataset.wq`` accessor. See ``docs/waterquality.md``.
"""

from basin.waterquality import accessor as _accessor  # noqa: F401 - registers ds.wq
from basin.waterquality.assess import (
    RiverEvaluation,
    assess,
    compliance,
    evaluate_river,
    evaluate_rivers,
    exceedance_multiple,
    main_pollutants,
    period_means,
    tli,
    trophic_state,
)
from basin.waterquality.classify import class_labels, class_status, classify, classify_dataset
from basin.waterquality.reader import read_wq
from basin.waterquality.standards import (
    Standard,
    canonical_parameter,
    class_table,
    list_standards,
    load_standard,
    parameter_table,
    unit_factor,
)
from basin.waterquality.trend import TrendResult, mann_kendall, seasonal_kendall, trend

__all__ = [
    "RiverEvaluation",
    "Standard",
    "TrendResult",
    "assess",
    "canonical_parameter",
    "class_labels",
    "class_status",
    "class_table",
    "classify",
    "classify_dataset",
    "compliance",
    "evaluate_river",
    "evaluate_rivers",
    "exceedance_multiple",
    "list_standards",
    "load_standard",
    "main_pollutants",
    "mann_kendall",
    "parameter_table",
    "period_means",
    "read_wq",
    "seasonal_kendall",
    "tli",
    "trend",
    "trophic_state",
    "unit_factor",
]
