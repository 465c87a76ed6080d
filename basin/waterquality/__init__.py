"""Water quality: GB 3838-2002 classes, the 2011 national evaluation method, targets, TLI and trends.

Importing this package registers the ``Dataset.wq`` accessor. See ``docs/waterquality.md``.
"""

from basin.waterquality import accessor as _accessor  # noqa: F401 - registers ds.wq
from basin.waterquality.assess import (
    RiverEvaluation,
    assess,
    compliance,
    do_class_saturation,
    evaluate_river,
    evaluate_rivers,
    evaluated_as,
    exceedance_multiple,
    main_pollutants,
    period_means,
    tli,
    trophic_state,
)
from basin.waterquality.classify import class_labels, class_status, classify, classify_dataset
from basin.waterquality.method import (
    change,
    class_proportions,
    cwqi,
    drinking_water,
    exceedance,
    reference_items,
    sample_exceedance,
    spearman_trend,
    temperature_change,
)
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
from basin.waterquality.tables import assessment_tables
from basin.waterquality.trend import (
    TrendResult,
    correlated_seasonal,
    hamed_rao,
    mann_kendall,
    seasonal_kendall,
    trend,
    yue_wang,
)

__all__ = [
    "RiverEvaluation",
    "Standard",
    "TrendResult",
    "assess",
    "assessment_tables",
    "canonical_parameter",
    "change",
    "class_labels",
    "class_proportions",
    "class_status",
    "class_table",
    "classify",
    "classify_dataset",
    "compliance",
    "correlated_seasonal",
    "cwqi",
    "do_class_saturation",
    "drinking_water",
    "evaluate_river",
    "evaluate_rivers",
    "evaluated_as",
    "exceedance",
    "exceedance_multiple",
    "hamed_rao",
    "list_standards",
    "load_standard",
    "main_pollutants",
    "mann_kendall",
    "parameter_table",
    "period_means",
    "read_wq",
    "reference_items",
    "sample_exceedance",
    "seasonal_kendall",
    "spearman_trend",
    "temperature_change",
    "tli",
    "trend",
    "trophic_state",
    "unit_factor",
    "yue_wang",
]
