"""Fuzz the layer reader on GeoPackage attributes: every kind, hostile values and types in every column."""

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon

from basin._errors import BasinError
from basin.io.layers import SCHEMAS, check_layer, read_layer

from ._strategies import HOSTILE_TEXT

GEOMS = {
    "rivers": LineString([(105, 30), (105.1, 30.1)]),
    "lakes": Polygon([(105, 30), (105.1, 30), (105.1, 30.1)]),
    "units": Polygon([(105, 30), (105.1, 30), (105.1, 30.1)]),
    "admin": Polygon([(105, 30), (105.1, 30), (105.1, 30.1)]),
    "stations": Point(105, 30),
    "facilities": Point(105.05, 30.05),
}
BAD_GEOMS = [
    Point(float("nan"), 30),
    Point(1e10, 1e10),
    Polygon([(0, 0), (1, 1), (1, 0), (0, 1)]),  # bow-tie
    LineString([(105, 30), (105, 30)]),
    None,
]
VALUES = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.sampled_from(["river", "lake", "reservoir", "province", "county", "existing", "proposed", "other", "1", "0"]),
    st.integers(-(2**62), 2**62),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)


@st.composite
def layers(draw, kind):
    names = [c.name for c in SCHEMAS[kind].columns]
    cols = draw(st.lists(st.sampled_from([*names, "lon", "lat", "名称", "extra"]), min_size=0, max_size=8, unique=True))
    n = draw(st.integers(1, 4))
    data = {c: [draw(VALUES) for _ in range(n)] for c in cols}
    geoms = [draw(st.sampled_from([GEOMS[kind], GEOMS[kind], *BAD_GEOMS])) for _ in range(n)]
    df = pd.DataFrame(data, dtype=object)
    # a column's values must share one storage type in a GeoPackage: text for mixed columns
    for c in df.columns:
        kinds = {type(v) for v in df[c] if v is not None}
        if len(kinds) > 1:
            df[c] = [None if v is None else str(v) for v in df[c]]
    crs = draw(st.sampled_from([4326, 4490, 32648, None]))
    return gpd.GeoDataFrame(df, geometry=geoms, crs=crs)


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
@given(data=st.data())
def test_gpkg_attributes(kind, data, tmp_path_factory):
    gdf = data.draw(layers(kind))
    p = tmp_path_factory.mktemp("lyr") / f"{kind}.gpkg"
    try:
        gdf.to_file(p, driver="GPKG", engine="pyogrio")
    except Exception:  # noqa: BLE001 - a frame GDAL cannot store is not an input basin can be given
        return
    for call in (lambda: read_layer(p, kind), lambda: check_layer(p, kind)):
        try:
            call()
        except BasinError as exc:
            assert str(exc) and "\n" not in str(exc), str(exc)
