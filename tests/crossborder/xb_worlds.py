"""Hand-made worlds for the cross-border tests (coordinates in metres, UTM 48N, offset into Sichuan).

Imported by the tests as ``xb_worlds`` (conftest.py puts this folder on ``sys.path``).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

CRS = "EPSG:32648"
X0, Y0 = 400_000.0, 3_300_000.0


def P(x: float, y: float) -> tuple[float, float]:
    return (X0 + x, Y0 + y)


def line(*pts: tuple[float, float]) -> shapely.LineString:
    return shapely.LineString([P(x, y) for x, y in pts])


# The border between A (west) and B (east): x = 10 km up to y = 50 km, a corner, then x = 12 km.
BORDER = [(10000, 0), (10000, 50000), (12000, 52000), (12000, 60000)]


def admin_world() -> gpd.GeoDataFrame:
    a = shapely.Polygon([P(0, 0), *[P(*p) for p in BORDER], P(0, 60000)])
    b = shapely.Polygon([*[P(*p) for p in BORDER], P(20000, 60000), P(20000, 0)])
    a1 = shapely.Polygon([P(0, 0), P(10000, 0), P(10000, 25000), P(0, 25000)])
    a2 = shapely.difference(a, a1)
    return gpd.GeoDataFrame(
        {
            "admin_id": ["PA", "PB", "A1", "A2", "B1"],
            "name": ["省A", "省B", "县A1", "县A2", "县B1"],
            "level": ["province", "province", "county", "county", "county"],
            "parent_id": [None, None, "PA", "PA", "PB"],
        },
        geometry=[a, b, a1, a2, b],
        crs=CRS,
    )


RIVERS = {
    # river_id: (stem, downstream_id, coordinates)
    "R01": ("S01", None, [(2000, 2000), (18000, 2000)]),  # once A->B at y=2 km
    "R02": ("S02", None, [(18000, 3000), (2000, 3000)]),  # once B->A
    "R03": ("S03", None, [(2000, 4000), (15000, 4000), (15000, 4500), (2000, 4500)]),  # twice, 10.5 km apart
    "R04": (
        "S04",
        None,
        [(2000, 5500), (10200, 5500), (10200, 5700), (9900, 5700), (9900, 5900), (18000, 5900)],
    ),
    "R10": ("S10", None, [(2000, 7000), (10300, 7000), (10300, 7300), (2000, 7300)]),  # excursion, no section
    "R12": ("S12", None, [(2000, 8500), (10000, 9000), (2000, 9500)]),  # touches the border, no crossing
    "R05": (
        "S05",
        None,
        [(3000, 12000), (9600, 12000), (9600, 18000), (10400, 18000), (10400, 24000), (17000, 24000)],
    ),
    "R13": ("S13", None, [(5000, 23000), (5000, 27000)]),  # county border A1 -> A2 only
    "R07": ("S07", None, [(3000, 34000), (10000, 34000)]),  # ends on the border
    "R08a": ("S08", "R08b", [(3000, 36000), (10000, 36000)]),  # split exactly at the border
    "R08b": ("S08", None, [(10000, 36000), (17000, 36000)]),
    "R09a": ("S09", "R09b", [(3000, 38000), (9950, 38000)]),  # split 50 m before the border
    "R09b": ("S09", None, [(9950, 38000), (17000, 38000)]),
    "RT": ("ST", "RMl", [(3000, 41000), (10000, 41000)]),  # tributary whose mouth is on the border
    "RMu": ("SM", "RMl", [(14000, 44000), (10000, 41000)]),  # main river in B touching the border
    "RMl": ("SM", None, [(10000, 41000), (16000, 40500)]),
    "R06": ("S06", None, [(6000, 54000), (14000, 46000)]),  # through the corner vertex (10 km, 50 km)
}


def rivers_world(ids: list[str] | None = None) -> gpd.GeoDataFrame:
    ids = list(RIVERS) if ids is None else ids
    return gpd.GeoDataFrame(
        {
            "river_id": ids,
            "name": [f"河{r}" for r in ids],
            "level": [1] * len(ids),
            "downstream_id": pd.array([RIVERS[r][1] for r in ids], dtype="string"),
            "stem_id": [RIVERS[r][0] for r in ids],
        },
        geometry=[line(*RIVERS[r][2]) for r in ids],
        crs=CRS,
    )


def stations_world(rows: list[tuple[str, str, float, float, int]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "station_id": [r[0] for r in rows],
            "name": [f"站{r[0]}" for r in rows],
            "river_id": [r[1] for r in rows],
            "waterbody": ["river"] * len(rows),
            "target_class": pd.array([r[4] for r in rows], dtype="Int64"),
        },
        geometry=[shapely.Point(P(r[2], r[3])) for r in rows],
        crs=CRS,
    )


def write_wq(path, series: dict[str, dict[str, list[float | None]]], start: str = "2020-01-01") -> str:
    """Write a long water-quality CSV: ``{station: {parameter: monthly values}}`` (None = no sample)."""
    rows = []
    for sid, params in series.items():
        for par, values in params.items():
            for t, v in zip(pd.date_range(start, periods=len(values), freq="MS"), values, strict=True):
                if v is not None:
                    rows.append((sid, t.strftime("%Y-%m-%d"), par, v, "mg/L"))
    pd.DataFrame(rows, columns=["station_id", "time", "parameter", "value", "unit"]).to_csv(path, index=False)
    return str(path)


# NH3-N (GB 3838-2002 limits I 0.15, II 0.5, III 1.0, IV 1.5, V 2.0 mg/L) -> class, for hand-made series
NH3 = {1: 0.1, 2: 0.4, 3: 0.8, 4: 1.2, 5: 1.8, 6: 2.5}
