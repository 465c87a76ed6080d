"""Riparian zoning and the facility siting audit (the 1 km / 3 km / 5 km rules of the upper Yangtze).

* :mod:`basin.zoning.rules` - the rules as data (``rules/riparian.yaml``), :func:`load_rules`.
* :mod:`basin.zoning.zones` - zone polygons A/B/C for maps, :func:`riparian_zones`, :func:`zone_areas`.
* :mod:`basin.zoning.audit` - :func:`audit_facilities`: which facility breaks which rule, by exact geodesic
  distance; :func:`audit_facilities_dask` runs it partitioned on a Dask cluster.
* :mod:`basin.zoning.geodesic` - the distance kernel (candidate search in a projection, geodesic refinement).
"""

from basin.zoning.audit import audit_facilities, prepare_network, summarize
from basin.zoning.rules import Rule, load_rules
from basin.zoning.zones import riparian_zones, zone_areas

__all__ = [
    "Rule",
    "audit_facilities",
    "audit_facilities_dask",
    "load_rules",
    "prepare_network",
    "riparian_zones",
    "summarize",
    "zone_areas",
]


def __getattr__(name: str):  # noqa: ANN202 - lazy import of the optional Dask path
    if name == "audit_facilities_dask":
        from basin.zoning.parallel import audit_facilities_dask

        return audit_facilities_dask
    raise AttributeError(name)
