"""Write the notebooks in notebooks/ (without outputs); tests/maps/test_notebooks.py executes them.

python scripts/make_notebooks.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent.parent / "notebooks"

SETUP = """%matplotlib inline
import pandas as pd
import basin
from basin import datasets
pd.set_option("display.max_columns", 20)
pd.set_option("display.width", 160)"""

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "02_water_quality.ipynb": [
        (
            "md",
            """# 02 · Water quality and trends (水质评价与趋势)

This notebook walks through what an officer usually needs from monthly monitoring data, on the **demo series**
(61 synthetic stations on the real Sichuan–Chongqing rivers, monthly 2015–2024):

1. each station's **class** under GB 3838-2002 (Ⅰ … 劣Ⅴ) by the 2011 national evaluation method;
2. whether it meets its **target class**, and for how many months;
3. whether it is getting **better or worse** (Mann–Kendall / Seasonal Kendall with Sen's slope);
4. a chart of one station against the class bands, and a map of compliance.

The demo water-quality values are synthetic: the numbers illustrate the method, not the real rivers.""",
        ),
        ("code", SETUP),
        (
            "md",
            """## Read the series

`read_wq` reads the long CSV (`station_id, time, parameter, value, unit`), maps Chinese names and HJ 212 codes
to canonical parameter codes, converts units and keeps the station attributes (target class, waterbody).""",
        ),
        (
            "code",
            """from basin.waterquality import read_wq

ds = read_wq(datasets.get_path("wq"), stations=datasets.get_path("stations"))
print(ds.sizes["station"], "stations,", ds.sizes["time"], "months,", len(ds.data_vars), "parameters")
ds""",
        ),
        (
            "md",
            """## Annual assessment

One row per station and year: the section class is the worst class of the evaluated items; main pollutants are
listed when the class is worse than Ⅲ, with their exceedance multiple, e.g. `总磷(0.45)`.""",
        ),
        (
            "code",
            """sections = ds.wq.assess(period="year")
last = sections[sections["period"] == sections["period"].max()]
print("Year", last["period"].iloc[0])
last["class_label"].value_counts().sort_index()""",
        ),
        (
            "code",
            """# stations that miss their target in the latest year
cols = ["station_id", "name", "class_label", "target_class", "main_pollutants"]
last.loc[last["compliant"] == False, cols]""",
        ),
        (
            "md",
            """## Compliance by month

Attainment rate (share of assessed months meeting the target), months out of target and the longest run of
consecutive months out of target, per station and year.""",
        ),
        (
            "code",
            """comp = ds.wq.compliance()
comp.sort_values(["attainment_rate", "longest_run_out"], ascending=[True, False]).head(10)""",
        ),
        (
            "md",
            """## Trends

Mann–Kendall and Seasonal Kendall tests with Sen's slope per station and parameter. A series too short or too
gappy is not tested (the `note` column says why).""",
        ),
        (
            "code",
            """tr = ds.wq.trend()
sk = tr[tr["test"] == "seasonal_kendall"]
print(sk["trend"].value_counts())
cols = ["station_id", "parameter", "p", "slope", "slope_units"]
sk[sk["trend"] == "increasing"].sort_values("p").head(10)[cols]""",
        ),
        (
            "md",
            """## One station against the class bands

The shaded bands are the GB 3838-2002 classes of the parameter (from the standard shipped with `basin`); the
dashed red line is the station's target; circled points miss it. We pick the station with the most months out
of target.""",
        ),
        (
            "code",
            """from basin.maps import station_chart

worst = comp.groupby("station_id")["months_out"].sum().idxmax()
ax = station_chart(ds, worst, "NH3_N")
ax.figure""",
        ),
        (
            "md",
            """## Map of compliance

Stations coloured by whether they met their target in their latest year, on the demo rivers and counties.""",
        ),
        (
            "code",
            """from basin.maps import static_map
from basin.maps.demo import DEMO_SOURCES, demo_layers

ax = static_map(**demo_layers(), assessment=sections, paper="A4", sources=DEMO_SOURCES)
ax.figure""",
        ),
    ],
}


def main() -> None:
    HERE.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in cells]
        nbformat.write(nb, HERE / name)
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
