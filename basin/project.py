"""The project file: one YAML file that names an office's own inputs, choices and outputs.

A project file (``basin.yml``) is what ``basin run`` runs. It names each layer (path, layer name, column and
value mapping, encoding, CRS override), the water-quality data, the rasters, the choices of rules, standard,
unit configuration and compensation schemes, and the output folder and formats. Relative paths are relative
to the project file. The built-in demo is one such project (``geodata/basin.yml``), see :func:`demo_project`.

Every field is documented in ``docs/project.md``; :func:`load_project` validates the file and reports each
mistake with its key (``layers.rivers.path``) in one line.

Examples
--------
>>> from basin.project import demo_project
>>> p = demo_project()
>>> sorted(p.layers.given())[:3]
['admin', 'facilities', 'lakes']
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from basin._errors import DataError, SchemaError
from basin._validate import load_yaml, short

LAYER_KINDS = ("rivers", "lakes", "admin", "stations", "facilities", "units")
POLYGON_LAYERS = ("redline", "water_sources")
Period = Literal["month", "quarter", "year"]

#: The period default of every command and of the project file.
DEFAULT_PERIOD: Period = "year"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class LayerSpec(_Model):
    """One input layer: a file and how to read it."""

    path: Path
    layer: str | None = None
    encoding: str | None = None
    crs: str | None = None
    mapping: Path | dict[str, Any] | None = None
    ids: Literal["file", "generate"] | None = None
    sheet: str | int | None = None

    def read_kwargs(self, kind: str) -> dict[str, Any]:
        """Keyword arguments for :func:`basin.io.read_layer` (only those that are set)."""
        kw: dict[str, Any] = {"layer": self.layer, "crs": self.crs}
        if self.mapping is not None:
            kw["mapping"] = {kind: self.mapping} if isinstance(self.mapping, dict) else self.mapping
        for name in ("encoding", "ids", "sheet"):
            value = getattr(self, name)
            if value is not None:
                kw[name] = value
        return kw


class Layers(_Model):
    """The layers of a project; every one is optional."""

    rivers: LayerSpec | None = None
    lakes: LayerSpec | None = None
    admin: LayerSpec | None = None
    stations: LayerSpec | None = None
    facilities: LayerSpec | None = None
    units: LayerSpec | None = None
    redline: LayerSpec | None = None
    water_sources: LayerSpec | None = None

    def given(self) -> dict[str, LayerSpec]:
        """Return the layers the project names, by kind."""
        return {k: v for k, v in self if v is not None}


class WaterQualitySpec(_Model):
    """Water-quality data: one or more files of one layout."""

    paths: list[Path]
    layout: Literal["auto", "long", "wide", "national_export", "hj212"] = "auto"
    mapping: Path | dict[str, Any] | None = None
    detection_limits: Path | dict[str, float] | None = None
    header_row: int | None = Field(default=None, ge=1)
    year: int | None = Field(default=None, ge=1900, le=2200)
    encoding: str | None = None
    sheet: str | int | None = None

    @field_validator("paths", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str | os.PathLike) else v


class Rasters(_Model):
    """Density and terrain rasters (GeoTIFF or anything rasterio reads)."""

    population: Path | None = None
    gdp: Path | None = None
    dem: Path | None = None
    landuse: Path | None = None


class Tables(_Model):
    """Extra tables for the evaluation units."""

    flows: Path | None = None
    loads: Path | None = None


class UnitsChoice(_Model):
    """How the evaluation units are made and classified."""

    config: Path | None = None
    source: Literal["auto", "layer", "reaches", "dem"] = "auto"
    by_county: bool = True
    min_area_km2: float = Field(default=1.0, ge=0)
    spacing_m: float = Field(default=1000.0, gt=0)
    dem_area_km2: float | None = Field(default=None, gt=0)
    dem_order: int | None = Field(default=None, ge=1)
    management_rules: Path | None = None


class CrossborderChoice(_Model):
    """Cross-border sections, their audit and compensation."""

    level: Literal["province", "county"] = "province"
    period: Period | None = None
    merge_tolerance_m: float = Field(default=2000.0, ge=0)
    boundary_tolerance_m: float = Field(default=1000.0, ge=0)
    boundary_min_length_m: float = Field(default=10000.0, ge=0)
    station_tolerance_m: float = Field(default=30000.0, ge=0)
    schemes: list[str] = Field(default_factory=lambda: ["chongqing_target_trend"])


class Choices(_Model):
    """Rules, standard and method choices."""

    rules: Path | None = None
    standard: str = "GB3838-2002"
    period: Period = DEFAULT_PERIOD
    units: UnitsChoice = Field(default_factory=UnitsChoice)
    crossborder: CrossborderChoice = Field(default_factory=CrossborderChoice)


Format = Literal["csv", "xlsx", "gpkg", "geojson", "html", "docx", "png", "pdf"]
ALL_FORMATS: tuple[str, ...] = ("csv", "xlsx", "gpkg", "geojson", "html", "docx", "png", "pdf")


class OutputSpec(_Model):
    """Where and how the results are written."""

    dir: Path = Path("out")
    formats: list[Format] = Field(default_factory=lambda: list(ALL_FORMATS))  # type: ignore[arg-type]
    csv_encoding: Literal["utf-8-sig", "utf-8"] = "utf-8-sig"
    lang: Literal["zh", "en"] = "zh"


class Project(_Model):
    """A basin project: inputs, choices and outputs (see the module docs)."""

    name: str | None = None
    layers: Layers = Field(default_factory=Layers)
    water_quality: WaterQualitySpec | None = None
    rasters: Rasters = Field(default_factory=Rasters)
    tables: Tables = Field(default_factory=Tables)
    choices: Choices = Field(default_factory=Choices)
    output: OutputSpec = Field(default_factory=OutputSpec)
    #: True only for the built-in demo project (not a key of the file).
    _demo: bool = PrivateAttr(default=False)
    #: Folder of the project file: relative paths are resolved against it (not a key of the file).
    _base_dir: Path | None = PrivateAttr(default=None)
    #: The project file itself, an input that is never overwritten (not a key of the file).
    _source_path: Path | None = PrivateAttr(default=None)

    @property
    def is_demo(self) -> bool:
        """True for the built-in demo project."""
        return self._demo

    @property
    def base_dir(self) -> Path | None:
        """Folder of the project file (None for a project built in memory)."""
        return self._base_dir

    @property
    def source_path(self) -> Path | None:
        """The project file (None for a project built in memory)."""
        return self._source_path

    def input_paths(self) -> dict[str, Path]:
        """Every file the project names, by a dotted key (``layers.rivers``, ``water_quality.0`` …)."""
        out: dict[str, Path] = {}
        for kind, spec in self.layers.given().items():
            out[f"layers.{kind}"] = spec.path
            if isinstance(spec.mapping, Path):
                out[f"layers.{kind}.mapping"] = spec.mapping
        if self.water_quality is not None:
            for i, p in enumerate(self.water_quality.paths):
                out[f"water_quality.paths.{i}"] = p
            for name in ("mapping", "detection_limits"):
                v = getattr(self.water_quality, name)
                if isinstance(v, Path):
                    out[f"water_quality.{name}"] = v
        for name, p in self.rasters:
            if p is not None:
                out[f"rasters.{name}"] = p
        for name, p in self.tables:
            if p is not None:
                out[f"tables.{name}"] = p
        for key, ref in (
            ("choices.rules", self.choices.rules),
            ("choices.units.config", self.choices.units.config),
            ("choices.units.management_rules", self.choices.units.management_rules),
        ):
            if ref is not None:
                out[key] = ref
        for s in self.choices.crossborder.schemes:
            if s.endswith((".yaml", ".yml")):
                out[f"choices.crossborder.schemes.{s}"] = Path(s)
        if self.source_path is not None:
            out["project"] = self.source_path
        return out


def _resolve(obj: Any, base: Path) -> Any:
    """Resolve every relative :class:`Path` field of a model tree against ``base`` (in place)."""
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            if isinstance(value, Path):
                if not value.is_absolute():
                    object.__setattr__(obj, name, base / value)
            elif isinstance(value, list):
                object.__setattr__(
                    obj, name, [base / v if isinstance(v, Path) and not v.is_absolute() else v for v in value]
                )
            else:
                _resolve(value, base)
    return obj


def _format_errors(exc: ValidationError, where: str) -> str:
    parts = []
    for err in exc.errors()[:8]:
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        kind = err["type"]
        if kind == "extra_forbidden":
            text = "unknown key"
        elif kind == "missing":
            text = "missing"
        else:
            text = err["msg"]
            if "input" in err and kind not in {"missing"}:
                text += f" (got {short(err['input'], 40)})"
        parts.append(f"{loc}: {text}")
    more = f" (+{len(exc.errors()) - 8} more)" if len(exc.errors()) > 8 else ""
    return f"{where}: " + "; ".join(parts) + more


def project_from_dict(data: Any, *, base_dir: str | os.PathLike[str] | None = None, where: str = "project") -> Project:
    """Build a :class:`Project` from a dict (a parsed project file), resolving relative paths.

    Raises
    ------
    SchemaError
        Any key or value that does not follow the project schema (each mistake named by its key).
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        msg = (
            f"{where}: expected a mapping of keys (layers, water_quality, choices, output …), "
            f"got {type(data).__name__}"
        )
        raise SchemaError(msg)
    try:
        project = Project.model_validate(data)
    except ValidationError as exc:
        raise SchemaError(_format_errors(exc, where)) from None
    if base_dir is not None:
        base = Path(base_dir)
        _resolve(project, base)
        project._base_dir = base
    return project


def load_project(path: str | os.PathLike[str]) -> Project:
    """Read and validate a project file; relative paths become relative to the file's folder.

    Parameters
    ----------
    path
        The project file (YAML, UTF-8; ``encoding:`` keys apply to the data files, not to this file).

    Returns
    -------
    Project
        The validated project with absolute paths.

    Raises
    ------
    DataError
        The file is missing, a folder, too large or not UTF-8.
    SchemaError
        Invalid YAML (with line and column) or a key / value outside the schema.
    """
    p = Path(path)
    data = load_yaml(p, what="project file")
    if data is None:
        from basin._errors import SchemaError

        msg = f"project file {p} is empty; `basin init FOLDER` writes one (see docs/project.md)"
        raise SchemaError(msg)
    project = project_from_dict(data, base_dir=p.resolve().parent, where=f"project file {p}")
    project._source_path = p.resolve()
    return project


def demo_project() -> Project:
    """Return the built-in demo project (``basin.yml`` of the embedded demo dataset)."""
    from basin import datasets

    path = datasets.data_dir() / "basin.yml"
    if not path.exists():
        msg = f"demo project file {path} is missing; rebuild the demo data with `python scripts/build_demo_data.py`"
        raise DataError(msg)
    project = load_project(path)
    project._demo = True
    return project


def find_project(
    explicit: str | os.PathLike[str] | None, *, cwd: str | os.PathLike[str] | None = None
) -> Project | None:
    """Return the project to use: ``explicit`` (a path, or ``"demo"``), else ``./basin.yml`` when present."""
    if explicit is not None:
        if str(explicit) == "demo":
            return demo_project()
        return load_project(explicit)
    here = Path(cwd) if cwd is not None else Path.cwd()
    default = here / "basin.yml"
    if default.is_file():
        return load_project(default)
    return None


__all__ = [
    "ALL_FORMATS",
    "DEFAULT_PERIOD",
    "LAYER_KINDS",
    "Choices",
    "CrossborderChoice",
    "LayerSpec",
    "Layers",
    "OutputSpec",
    "Project",
    "Rasters",
    "Tables",
    "UnitsChoice",
    "WaterQualitySpec",
    "demo_project",
    "find_project",
    "load_project",
    "project_from_dict",
]
