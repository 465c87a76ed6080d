"""Evaluation units, their indicators, the four-class pressure/capacity evaluation and the management map.

Modules: :mod:`~basin.units.derive` (units from a DEM, from river reaches, basin x county),
:mod:`~basin.units.indicators` (one named Series per indicator), :mod:`~basin.units.classify` (indices,
thresholds, classes, robustness), :mod:`~basin.units.management` (priority / key / general map and area
tables),
:mod:`~basin.units.pipeline` (the whole chain as used by ``basin units`` and ``basin zoning``).
"""

from basin.units.classify import CLASSES, class_summary, classify_units, robustness
from basin.units.derive import region_from_admin, units_by_county, units_from_dem, units_from_reaches
from basin.units.indicators import (
    economic_intensity,
    lake_share,
    load_capacity_ratio,
    population_density,
    riparian_share,
    river_capacity,
    river_density,
    river_density_by_level,
    target_strictness,
    town_pressure,
    water_capacity,
    water_sensitivity,
    zonal_mean,
)
from basin.units.management import management_area_table, management_zones

__all__ = [
    "CLASSES",
    "class_summary",
    "classify_units",
    "economic_intensity",
    "lake_share",
    "load_capacity_ratio",
    "management_area_table",
    "management_zones",
    "population_density",
    "region_from_admin",
    "riparian_share",
    "river_capacity",
    "river_density",
    "river_density_by_level",
    "robustness",
    "target_strictness",
    "town_pressure",
    "units_by_county",
    "units_from_dem",
    "units_from_reaches",
    "water_capacity",
    "water_sensitivity",
    "zonal_mean",
]
