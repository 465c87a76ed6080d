"""The demo layers for notebooks and examples (explicitly the demo data; the run never uses this module)."""

from __future__ import annotations

import logging

import geopandas as gpd

from basin import datasets
from basin.io import read_layer

log = logging.getLogger(__name__)

DEMO_SOURCES = (
    "数据来源 Data: rivers GSHHG/WDB-II with NGCC 1:4M names; admin units Tianditu; "
    "lakes, stations and water quality are SYNTHETIC demo data (basin demo dataset)."
)


def demo_layers() -> dict[str, gpd.GeoDataFrame]:
    """Read the demo rivers, admin units, lakes and stations (data-model columns)."""
    return {
        "rivers": read_layer(datasets.get_path("rivers"), "rivers"),
        "admin": read_layer(datasets.get_path("admin"), "admin", layer="admin"),
        "lakes": read_layer(datasets.get_path("lakes"), "lakes"),
        "stations": read_layer(datasets.get_path("stations"), "stations"),
    }
