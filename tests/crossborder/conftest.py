"""Fixtures of the cross-border tests; the hand-made worlds live in xb_worlds.py."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import xb_worlds  # noqa: E402


@pytest.fixture
def admin() -> gpd.GeoDataFrame:
    return xb_worlds.admin_world()


@pytest.fixture
def rivers() -> gpd.GeoDataFrame:
    return xb_worlds.rivers_world()
