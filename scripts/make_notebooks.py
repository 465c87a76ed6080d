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

# Notebooks of the other capabilities: name -> (module they need, cells). They were run against a trial merge
# of the capability branches; tests/maps/test_notebooks.py skips one whose module is not in the checkout.
DRAFTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "01_zoning_audit.ipynb": (
        "basin.zoning",
        [
            (
                "md",
                """# 01 · Riparian zoning and the facility siting audit (岸线分区与选址审查)

The upper-Yangtze policy bans, by distance to the river network:

* **R1** – within **1 km** of the main stem and level-1/2 tributaries: no new production or living facilities
  with pollution risk;
* **R2 / R3** – within **5 km** of those rivers and **3 km** of level-3 tributaries and connected lakes and
  reservoirs: no new industrial parks (existing polluting facilities there are phase-out candidates).

This notebook builds the zones A / B / C on the demo data, their areas per province, and audits the demo
facilities (synthetic) against the rules by their exact geodesic distance.""",
            ),
            ("code", SETUP),
            (
                "code",
                """from basin.io import read_layer

rivers = read_layer(datasets.get_path("rivers"), "rivers")
lakes = read_layer(datasets.get_path("lakes"), "lakes")
admin = read_layer(datasets.get_path("admin"), "admin", layer="admin")
facilities = read_layer(datasets.get_path("facilities"), "facilities")
print(len(rivers), "river reaches,", len(lakes), "lakes,", len(facilities), "facilities")""",
            ),
            (
                "md",
                """## The rules, as data

The rules ship as a data file; an officer can pass a stricter one (for example a county's own distance).""",
            ),
            (
                "code",
                """from basin.zoning import load_rules
from basin.zoning.rules import rules_table

rules = load_rules()
rules_table(rules)""",
            ),
            (
                "md",
                """## Zones A / B / C and their areas

Zone A is within a 1 km rule, zone B within a 5 km / 3 km rule but outside A, zone C the rest. Areas in km²
per province (the same table exists per county).""",
            ),
            (
                "code",
                """from basin.zoning import riparian_zones, zone_areas

zones = riparian_zones(rivers, lakes, region=admin)
areas = zone_areas(zones, admin)
areas[areas["level"] == "province"][["name", "zone", "area_km2", "share"]]""",
            ),
            (
                "md",
                """## Siting audit

One row per facility and rule broken, with the geodesic distance to the river or lake that triggers it.
Existing facilities are listed as `existing` (phase-out candidates), proposals as `proposed`.""",
            ),
            (
                "code",
                """from basin.zoning import audit_facilities, summarize

violations = audit_facilities(facilities, rivers, lakes, admin=admin)
print(summarize(violations, facilities))
cols = ["facility_id", "rule_id", "category", "status", "distance_m", "feature_name", "county_name"]
violations[cols].head(10)""",
            ),
            (
                "md",
                """## Map

Zones with the facilities that break a rule (black crosses).""",
            ),
            (
                "code",
                """from basin.crs import metric_crs
from basin.maps import static_map
from basin.maps.demo import DEMO_SOURCES

ax = static_map(rivers=rivers, admin=admin, lakes=lakes, zones=zones, paper="A4", sources=DEMO_SOURCES)
violations.to_crs(metric_crs()).plot(ax=ax, color="black", marker="x", markersize=25, zorder=15)
ax.figure""",
            ),
        ],
    ),
    "03_units_zoning.ipynb": (
        "basin.units",
        [
            (
                "md",
                """# 03 · Evaluation units and the management zoning (评价单元与管控分区)

The basin is divided into evaluation units (here: the area nearest each river reach, cut by county), each
scored for **pressure** (population, economic activity, towns) and **capacity** (river network, environmental
sensitivity) and classed 高压低容 / 低压低容 / 高压高容 / 低压高容. Riparian zones and unit classes then
make the **priority protection / key control / general maintenance** map.

The steps are the same as `basin riparian`, `basin units` and `basin management`: here they run in memory
on the demo project (`basin.run.compute_project`); nothing is written. The population and GDP rasters of the
demo are synthetic.""",
            ),
            ("code", SETUP),
            (
                "code",
                """from basin.project import demo_project
from basin.run import compute_project

res = compute_project(demo_project(), steps=["riparian", "units", "management"])
units, management = res.units.units, res.management.management
print(len(units), "units")""",
            ),
            (
                "md",
                """## Units per class

Count and area of the units in each class, and how robust the classes are when each weight moves ±20 %.""",
            ),
            ("code", """res.units.result.classes"""),
            ("code", """res.units.result.robustness.head(10)"""),
            ("md", """## Management zoning by province (km²)"""),
            ("code", """res.management.areas["province"]"""),
            ("md", """## Maps"""),
            (
                "code",
                """from basin.maps import static_map
from basin.maps.demo import DEMO_SOURCES, demo_layers

layers = demo_layers()
base = {"rivers": layers["rivers"], "admin": layers["admin"], "paper": "A4", "sources": DEMO_SOURCES}
ax = static_map(**base, units=units)
ax.figure""",
            ),
            (
                "code",
                """ax = static_map(**base, management=management)
ax.figure""",
            ),
        ],
    ),
    "04_crossborder.ipynb": (
        "basin.crossborder",
        [
            (
                "md",
                """# 04 · Cross-border sections: audit and compensation (跨界断面考核与生态补偿)

Where a river crosses the Sichuan–Chongqing border, the two sides share responsibility for the water. This
notebook finds the cross-border sections on the demo network, audits them month by month against their
targets (who is responsible when a section misses its target), and settles a compensation scheme into a
ledger (who pays whom). The water-quality values are synthetic and the scheme's amounts come from its data
file (DOMAIN.md marks the published figures that are unverified).""",
            ),
            ("code", SETUP),
            (
                "code",
                """from basin.project import demo_project
from basin.run import compute_project

project = demo_project()   # its cross-border audit is by month
res = compute_project(project, steps=["crossborder"])
audit, sections = res.crossborder.audit, res.crossborder.sections
sections[["section_id", "river_name", "kind", "from_admin_name", "to_admin_name", "upstream_station_id",
          "downstream_station_id", "monitoring_gap"]]""",
            ),
            (
                "md",
                """## Audit

Per section: months assessed, months out of target, and who is responsible when it missed.""",
            ),
            (
                "code",
                """known = audit[audit["compliant"].notna()]
summary = known.groupby(["section_id", "river_name"]).agg(
    months=("period", "count"),
    out_of_target=("compliant", lambda c: int((c == False).sum())),
)
summary.join(audit.pivot_table(index=["section_id", "river_name"], columns="responsibility",
                               values="period", aggfunc="count", fill_value=0))""",
            ),
            (
                "md",
                """## Compensation ledger

The Chongqing target/trend scheme: a section that meets its target and improves earns the upstream side a
monthly payment from downstream; one that worsens or fails pays downstream.""",
            ),
            (
                "code",
                """from basin.crossborder.compensation import summarize

ledger = res.crossborder.ledgers["chongqing_target_trend"]
summarize(ledger)""",
            ),
            (
                "md",
                """## Map

Sections coloured by their latest month's result.""",
            ),
            (
                "code",
                """from basin.maps import static_map
from basin.maps.demo import DEMO_SOURCES, demo_layers

secs = sections.copy()
last = known.sort_values("period").groupby("section_id").tail(1).set_index("section_id")["compliant"]
secs["compliant"] = secs["section_id"].map(last)
layers = demo_layers()
ax = static_map(rivers=layers["rivers"], admin=layers["admin"], sections=secs, paper="A4",
                sources=DEMO_SOURCES)
ax.figure""",
            ),
        ],
    ),
}


def main() -> None:
    HERE.mkdir(exist_ok=True)
    todo = {name: (None, cells) for name, cells in NOTEBOOKS.items()} | DRAFTS
    for name, (module, cells) in sorted(todo.items()):
        nb = new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        if module:  # the test skips the notebook while that capability is not in the checkout
            nb.metadata["basin"] = {"requires": module}
        nb.cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in cells]
        nbformat.write(nb, HERE / name)
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
