"""The run configuration: a TOML file, validated on load.

Every section and key is declared in :data:`SCHEMA`. Unknown keys, missing required keys
and values of the wrong type are errors that name the key and the section. Paths are
resolved relative to the config file and must exist.

Sections
--------
top level
    ``title``, ``seed``, ``output``.
``[geography]``
    ``oa``, ``lsoa``, ``ward`` (boundary files: ``path``, optional ``code``, ``name``,
    ``layer``); optional ``lookup`` (``path``, ``oa``, ``lsoa``, ``ward``), ``population``
    (``path``, ``code``, ``column``, ``level`` = ``oa`` or ``lsoa``, ``oa_counts`` =
    ``{path, code, column}``), ``max_missing_oas`` and ``vintage_lookup`` (``path``, ``source``,
    ``target``, ``change``: the ONS OA 2011 → 2021 lookup when the classification is on
    another OA vintage than the boundaries).
``[area]`` (optional)
    ``lad`` (a list of local authority codes, or ``"all"``, the default) and ``wards``
    (a list of ward codes): national or regional files are cut to these areas.
``[classification]``
    ``path``, ``code``, ``levels`` (coarse to fine), optional ``sheet``/``layer``. May be
    left out, with ``[survey] levels``, when ``[estimates] method = "mrp"``.
``[survey]``
    ``path``, ``prefix``, ``weight``, ``levels``, ``min_respondents``, optional ``items``
    (a list of ``{name, construct, low, high, better}`` tables); for change over time
    ``waves`` (a list of ``{path, prefix, weight, label}`` tables, or ``{wave, weight,
    label}`` with ``wave_column`` for one long file), ``wave_model`` (``pooled`` or
    ``per_wave``) and ``classification_vintage`` (``same`` or ``own``); see
    :mod:`resilience.inputs.waves`; and ``household`` (the
    ``w_hhresp`` file, ``{ path = ... }``, for the MRP route's household variables).
``[model]`` (optional)
    ``n_factors``, ``n_clusters``, ``rotation``, ``method``, ``n_init``, ``n_boot``,
    ``max_missing``.
``[estimates]`` (optional)
    ``n_boot``, ``interval``, ``shrinkage``, ``method`` (``classification``, ``mrp`` or
    ``both``).
``[poststratification]`` (optional; for ``[estimates] method = "mrp"`` or ``"both"``)
    ``tables`` (a folder of Census 2021 tables), ``variables`` (concepts), ``region``
    (``gor_dv`` of the study area), ``urban`` (``urban_dv``), ``area_predictor``.
``[hard]``
    ``path``, ``code``, ``sheet``/``layer``, ``indicators`` (``{column, higher_is,
    weight, domain, label}``), or ``tables`` (a list of such tables); ``max_unmatched``,
    ``method`` (``zscore``, ``rank``, ``exponential``).
``[compare]`` (optional)
    ``quintile_gap``, ``permutations``, ``alpha``, ``fdr`` (false-discovery-rate control of
    local Moran's I, default true), ``min_confidence`` (smallest flag confidence of a
    ``strong`` flag, 0–1, default 0.8), ``sensitivity`` (refit under other choices and
    report what changes, default false).
``[maps]`` (optional)
    ``mode`` (``shared``: Leaflet and the page script in ``maps/assets/``, the default;
    ``offline``: one self-contained file per page), ``ward_pages``, ``tiles`` (the optional
    street map: a folium tile name, a URL template such as a council's own tile server, or
    ``"none"``) and ``tiles_attribution``.
``[[assets]]`` (optional, repeatable)
    ``path``, ``category`` (a column) or ``label`` (one category for the whole file),
    optional ``size``, ``name``, ``x``, ``y``, ``postcode``, ``layer``, ``sheet`` and
    ``postcodes = { path }`` (an ONS Postcode Directory file).
``[review]`` (optional)
    ``log`` (the review log, a CSV) and ``review_valid_years`` (default 2).
``[validation]`` (optional)
    ``resident_survey = { path, area, code, measures = [ { column, respondents, tracks } ] }``.
"""

from __future__ import annotations

import copy
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, DisclosureWarning, check_entry, format_examples
from .inputs.concepts import DEFAULT_VARIABLES
from .inputs.hard import HIGHER_IS, INDICATOR_EXAMPLE, INDICATOR_KEYS, METHODS, TABLE_KEYS
from .inputs.waves import check_waves, wave_files

__all__ = [
    "ASSET_SCHEMA",
    "MAP_MODES",
    "MEASURE_KEYS",
    "SCHEMA",
    "Config",
    "check_map_mode",
    "load_config",
]

_REQ = object()  # marker: the key is required

# a field: (accepted types, default or _REQ, kind) where kind is "path" for file paths
_FILE = {"path": ((str,), _REQ, "path"), "code": ((str,), None, ""), "name": ((str,), None, ""),
         "layer": ((str,), None, "")}  # fmt: skip
# a table of counts by area (population): the file, its code column and its value column
_POPULATION = {"path": ((str,), _REQ, "path"), "code": ((str,), None, ""),
               "column": ((str,), None, "")}  # fmt: skip

SCHEMA: dict[str, dict[str, Any]] = {
    "": {
        "title": ((str,), "Community resilience", ""),
        "seed": ((int,), 0, ""),
        "output": ((str,), "out", ""),
    },
    "geography": {
        "oa": ((dict,), _REQ, _FILE),
        "lsoa": ((dict,), _REQ, _FILE),
        "ward": ((dict,), _REQ, _FILE),
        "lookup": (
            (dict,),
            None,
            {
                "path": ((str,), _REQ, "path"),
                "oa": ((str,), None, ""),
                "lsoa": ((str,), None, ""),
                "ward": ((str,), None, ""),
                "lsoa_name": ((str,), None, ""),
                "ward_name": ((str,), None, ""),
            },
        ),
        "population": (
            (dict,),
            None,
            {**_POPULATION, "level": ((str,), "oa", ""), "oa_counts": ((dict,), None, _POPULATION)},
        ),
        "max_missing_oas": ((float, int), 0.01, ""),
        "vintage_lookup": (
            (dict,),
            None,
            {
                "path": ((str,), _REQ, "path"),
                "source": ((str,), _REQ, ""),
                "target": ((str,), _REQ, ""),
                "change": ((str,), None, ""),
                "population": ((dict,), None, _POPULATION),
            },
        ),
    },
    "area": {
        "lad": ((str, list), "all", ""),
        "wards": ((list,), None, "strings"),
    },
    "classification": {
        "path": ((str,), _REQ, "path"),
        "code": ((str,), _REQ, ""),
        "levels": ((list,), _REQ, "strings"),
        "sheet": ((str, int), None, ""),
        "layer": ((str,), None, ""),
    },
    "survey": {
        "path": ((str,), None, "path"),
        "prefix": ((str,), None, ""),
        "weight": ((str,), None, ""),
        "levels": ((list,), _REQ, "strings"),
        "min_respondents": ((int,), 10, ""),
        "items": ((list,), None, ""),
        # several waves (resilience.inputs.waves): files, or one long file with a wave column
        "waves": ((list,), None, ""),
        "wave_column": ((str,), None, ""),
        "wave_model": ((str,), "pooled", ""),
        "classification_vintage": ((str,), "same", ""),
        "household": ((dict,), None, {"path": ((str,), _REQ, "path")}),
    },
    "model": {
        "n_factors": ((int,), 5, ""),
        "n_clusters": ((int,), 6, ""),
        "rotation": ((str,), "oblimin", ""),
        "method": ((str,), "minres", ""),
        "n_init": ((int,), 50, ""),
        "n_boot": ((int,), 20, ""),
        "max_missing": ((float, int), 0.5, ""),
    },
    "estimates": {
        "n_boot": ((int,), 200, ""),
        "interval": ((float,), 0.9, ""),
        "shrinkage": ((str, float, int), "empirical_bayes", ""),
        "method": ((str,), "classification", ""),
    },
    "poststratification": {
        "tables": ((str,), None, "path"),
        "variables": ((list,), list(DEFAULT_VARIABLES), "strings"),
        "region": ((int,), None, ""),
        "urban": ((int,), None, ""),
        "area_predictor": ((bool,), True, ""),
    },
    "hard": {
        "path": ((str,), None, "path"),
        "code": ((str,), None, ""),
        "sheet": ((str, int), None, ""),
        "layer": ((str,), None, ""),
        "indicators": ((list,), None, ""),
        "tables": ((list,), None, ""),
        "max_unmatched": ((float, int), 0.05, ""),
        "method": ((str,), "zscore", ""),
    },
    "compare": {
        "quintile_gap": ((int,), 2, ""),
        "permutations": ((int,), 999, ""),
        "alpha": ((float,), 0.05, ""),
        "fdr": ((bool,), True, ""),
        "min_confidence": ((float, int), 0.8, ""),
        "sensitivity": ((bool,), False, ""),
    },
    "review": {
        "log": ((str,), None, "path"),
        "review_valid_years": ((int, float), 2, ""),
    },
    "validation": {
        "resident_survey": (
            (dict,),
            None,
            {
                "path": ((str,), _REQ, "path"),
                "area": ((str,), "ward", ""),
                "code": ((str,), _REQ, ""),
                "sheet": ((str, int), None, ""),
                "measures": ((list,), _REQ, ""),
            },
        ),
    },
    "maps": {
        "mode": ((str,), "shared", ""),
        "ward_pages": ((bool,), True, ""),
        "tiles": ((str,), "OpenStreetMap", ""),
        "tiles_attribution": ((str,), None, ""),
    },
}
_REQUIRED_SECTIONS = ("geography", "classification", "survey", "hard")
#: [survey] without a classification (``method = "mrp"`` and no [classification]): no levels.
_EUL_SURVEY = {**SCHEMA["survey"], "levels": ((list,), [], "")}
_TABLE_EXAMPLE = (
    f'{{ path = "imd.csv", code = "LSOA code (2011)", indicators = [{INDICATOR_EXAMPLE}] }}'
)

#: How the HTML maps load: ``shared`` (Leaflet and the page script written once to
#: ``maps/assets/`` and linked from every page) or ``offline`` (all in every page).
MAP_MODES = ("shared", "offline")
#: Map modes of earlier versions and what replaced them.
_OLD_MAP_MODES = {
    "tiles": "mode = 'shared' (the street map is now an optional layer of the shared maps)",
    "tileless": "mode = 'shared' with tiles = 'none'",
}


def check_map_mode(mode: str, what: str = "The map mode") -> str:
    """Return ``mode`` if it is one of :data:`MAP_MODES`; otherwise raise a ConfigError.

    Examples
    --------
    >>> check_map_mode("shared")
    'shared'
    >>> check_map_mode("tiles")
    Traceback (most recent call last):
    ...
    resilience.errors.ConfigError: The map mode 'tiles' is no longer offered: ...
    """
    if mode in MAP_MODES:
        return mode
    if mode in _OLD_MAP_MODES:
        raise ConfigError(
            f"{what} {mode!r} is no longer offered: use {_OLD_MAP_MODES[mode]}. Shared maps "
            "load Leaflet from maps/assets/, so they open from disk, offline and from a "
            "shared drive."
        )
    raise ConfigError(f"{what} must be one of {format_examples(MAP_MODES)}; got {mode!r}.")


#: Keys of one ``[[assets]]`` entry (a list of tables, so outside :data:`SCHEMA`).
ASSET_SCHEMA: dict[str, Any] = {
    "path": ((str,), _REQ, "path"),
    "category": ((str,), None, ""),
    "label": ((str,), None, ""),
    "size": ((str,), None, ""),
    "name": ((str,), None, ""),
    "x": ((str,), None, ""),
    "y": ((str,), None, ""),
    "postcode": ((str,), None, ""),
    "layer": ((str,), None, ""),
    "sheet": ((str, int), None, ""),
    "postcodes": ((dict,), None, {"path": ((str,), _REQ, "path")}),
}
#: Keys of one measure of ``[validation] resident_survey``.
MEASURE_KEYS = ("column", "respondents", "tracks")


@dataclass
class Config:
    """A validated configuration.

    Attributes
    ----------
    data : dict
        Every section with defaults filled in and paths made absolute.
    raw : dict
        The file as written (for the manifest and the config hash).
    path : Path or None
        The config file (None when built from a dict).
    """

    data: dict[str, Any]
    raw: dict[str, Any]
    path: Path | None

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    @property
    def base(self) -> Path:
        """Folder that relative paths in the config are resolved against."""
        return self.path.parent if self.path else Path.cwd()

    def survey_model_params(self) -> dict[str, Any]:
        """Parameters of :class:`~resilience.SurveyModel` from ``[model]``, ``[survey]`` and
        the seed."""
        return {
            **self.data["model"],
            "items": self.data["survey"]["items"],
            "random_state": int(self.data["seed"]),
        }

    def area_estimator_params(self) -> dict[str, Any]:
        """Parameters of :class:`~resilience.AreaEstimator` (all but ``levels``) from
        ``[estimates]``, ``[survey]`` and the seed."""
        return {
            **{k: v for k, v in self.data["estimates"].items() if k != "method"},
            "min_respondents": self.data["survey"]["min_respondents"],
            "random_state": int(self.data["seed"]),
        }

    def input_files(self) -> dict[str, Path]:
        """Every input file named in the config, by role."""
        d = self.data
        files: dict[str, Path] = {}
        for key in ("oa", "lsoa", "ward", "lookup", "population", "vintage_lookup"):
            if d["geography"].get(key):
                files[f"geography.{key}"] = Path(d["geography"][key]["path"])
        counts = (d["geography"].get("population") or {}).get("oa_counts")
        if counts:
            files["geography.population.oa_counts"] = Path(counts["path"])
        if d["classification"]:
            files["classification"] = Path(d["classification"]["path"])
        if d["survey"]["path"]:
            files["survey"] = Path(d["survey"]["path"])
        files.update(wave_files(d["survey"]))
        if d["survey"].get("household"):
            files["survey.household"] = Path(d["survey"]["household"]["path"])
        if d["poststratification"]["tables"]:
            files["poststratification.tables"] = Path(d["poststratification"]["tables"])
        for i, t in enumerate(d["hard"]["tables"]):
            files[f"hard.{i + 1}" if len(d["hard"]["tables"]) > 1 else "hard"] = Path(t["path"])
        for i, a in enumerate(d.get("assets") or []):
            files[f"assets.{i + 1}"] = Path(a["path"])
            if a.get("postcodes"):
                files[f"assets.{i + 1}.postcodes"] = Path(a["postcodes"]["path"])
        if (d.get("review") or {}).get("log"):
            files["review.log"] = Path(d["review"]["log"])
        survey = (d.get("validation") or {}).get("resident_survey")
        if survey:
            files["validation.resident_survey"] = Path(survey["path"])
        return files


def _where(section: str, key: str) -> str:
    return f"'{key}'" + (f" in [{section}]" if section else " at the top level")


def _check_type(value: Any, types: tuple[type, ...], section: str, key: str) -> None:
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
    if not ok:
        names = " or ".join(
            {"str": "text", "int": "a whole number", "float": "a number", "list": "a list",
             "dict": "a table { ... }", "bool": "true or false"}[t.__name__]
            for t in types
        )  # fmt: skip
        raise ConfigError(
            f"{_where(section, key)} must be {names}; got {value!r} ({type(value).__name__})."
        )


def _resolve_path(value: str, base: Path, section: str, key: str) -> str:
    p = Path(value).expanduser()
    p = p if p.is_absolute() else (base / p)
    if not p.exists():
        raise ConfigError(
            f"{_where(section, key)}: file {value!r} not found (looked for {str(p)!r}; paths "
            "are relative to the config file)."
        )
    return str(p.resolve())


def _validate_table(
    value: Mapping[str, Any], schema: Mapping[str, Any], section: str, base: Path, check: bool
) -> dict[str, Any]:
    unknown = [k for k in value if k not in schema]
    if unknown:
        raise ConfigError(
            f"Unknown key {format_examples(unknown)} in [{section}]. Allowed keys: "
            f"{', '.join(schema)}."
        )
    out: dict[str, Any] = {}
    for key, (types, default, kind) in schema.items():
        if key not in value:
            if default is _REQ:
                raise ConfigError(f"{_where(section, key)} is required but missing.")
            out[key] = copy.deepcopy(default)
            continue
        v = value[key]
        _check_type(v, types, section, key)
        if kind == "path" and v is not None:
            v = _resolve_path(v, base, section, key) if check else v
        elif kind == "strings":
            if not v or not all(isinstance(x, str) for x in v):
                raise ConfigError(
                    f"{_where(section, key)} must be a non-empty list of text values."
                )
        elif isinstance(kind, dict):
            v = _validate_table(v, kind, f"{section}.{key}" if section else key, base, check)
        out[key] = v
    return out


def _validate_hard(hard: dict[str, Any], base: Path, check: bool) -> dict[str, Any]:
    tables = hard.get("tables")
    if tables is not None and hard.get("path") is not None:
        raise ConfigError(
            "[hard] has both 'path' and 'tables'; give one table with path/code/indicators, "
            "or several in 'tables = [ {...}, {...} ]'."
        )
    if tables is None:
        if hard.get("path") is None:
            raise ConfigError("'path' in [hard] is required (or a 'tables' list).")
        tables = [{k: hard[k] for k in TABLE_KEYS if hard.get(k) is not None}]
    checked = []
    for i, t in enumerate(tables):
        where = f"hard.tables[{i + 1}]" if hard.get("tables") is not None else "hard"
        check_entry(t, TABLE_KEYS, where=f"[{where}]", like=_TABLE_EXAMPLE)
        if "path" not in t:
            raise ConfigError(f"'path' in [{where}] is required but missing.")
        _check_type(t["path"], (str,), where, "path")
        inds = t.get("indicators")
        if not inds:
            raise ConfigError(
                f"'indicators' in [{where}] is required: a list like [{INDICATOR_EXAMPLE}]."
            )
        for j, ind in enumerate(inds):
            check_entry(
                ind, INDICATOR_KEYS, where=f"indicator {j + 1} of [{where}]", like=INDICATOR_EXAMPLE
            )
            for key in ("column", "higher_is"):
                if key not in ind:
                    raise ConfigError(f"'{key}' is missing from indicator {j + 1} of [{where}].")
            if ind["higher_is"] not in HIGHER_IS:
                raise ConfigError(
                    f"'higher_is' of indicator {ind['column']!r} in [{where}] must be 'worse' or "
                    f"'better'; got {ind['higher_is']!r}."
                )
        entry = dict(t)
        if check:
            entry["path"] = _resolve_path(t["path"], base, where, "path")
        checked.append(entry)
    out = {k: v for k, v in hard.items() if k not in TABLE_KEYS and k != "tables"}
    out["tables"] = checked
    if out["method"] not in METHODS:
        raise ConfigError(
            f"'method' in [hard] must be 'zscore', 'rank' or 'exponential'; got {out['method']!r}."
        )
    return out


def validate(raw: Mapping[str, Any], base: Path, *, check_files: bool = True) -> dict[str, Any]:
    """Validate a parsed config; return it with defaults filled in and paths resolved."""
    raw = dict(raw)
    assets = raw.pop("assets", None)
    top = {k: v for k, v in raw.items() if k in SCHEMA[""]}
    sections = {k: v for k, v in raw.items() if k not in SCHEMA[""]}
    unknown = [k for k in sections if k not in SCHEMA] + [k for k in top if k not in SCHEMA[""]]
    if unknown:
        known = [k for k in SCHEMA if k] + list(SCHEMA[""])
        raise ConfigError(
            f"Unknown key or section {format_examples(unknown)} in the config. Allowed: "
            f"{', '.join(known)}."
        )
    # the MRP route alone needs no area classification (end-user-licence survey + Census)
    estimates = sections.get("estimates")
    eul = (
        isinstance(estimates, dict)
        and estimates.get("method") == "mrp"
        and "classification" not in sections
    )
    for name in _REQUIRED_SECTIONS:
        if name not in sections and not (eul and name == "classification"):
            raise ConfigError(f"The config has no [{name}] section; it is required.")
    out = _validate_table(top, SCHEMA[""], "", base, check_files)
    for name, schema in SCHEMA.items():
        if not name:
            continue
        value = sections.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"[{name}] must be a table, written [{name}] with key = value lines.")
        if name == "hard":
            pre = {k: v for k, v in value.items() if k not in ("indicators", "tables")}
            merged = _validate_table(
                {**pre, **{k: value[k] for k in ("indicators", "tables") if k in value}},
                schema,
                name,
                base,
                False,
            )
            out[name] = _validate_hard(merged, base, check_files)
        elif eul and name == "classification":
            out[name] = None
        elif eul and name == "survey":
            out[name] = _validate_table(value, _EUL_SURVEY, name, base, check_files)
        else:
            out[name] = _validate_table(value, schema, name, base, check_files)
    levels_a = out["classification"]["levels"] if out["classification"] else []
    levels_s = out["survey"]["levels"]
    if len(levels_a) != len(levels_s):
        raise ConfigError(
            f"[classification] levels ({len(levels_a)}: {levels_a}) and [survey] levels "
            f"({len(levels_s)}: {levels_s}) must name the same classification levels, coarse "
            "to fine, one column each."
        )
    for section, levels in (("classification", levels_a), ("survey", levels_s)):
        twice = sorted({lv for lv in levels if levels.count(lv) > 1})
        if twice:
            raise ConfigError(
                f"'levels' in [{section}] names {format_examples(twice)} more than once; give "
                "one column per classification level, coarse to fine."
            )
    check_map_mode(out["maps"]["mode"], "'mode' in [maps]")
    _check_area(out)
    _check_ranges(out)
    _check_disclosure(out)
    out["assets"] = _check_assets(assets, base, check_files)
    _check_validation(out["validation"])
    if out["estimates"]["method"] != "classification" and not out["poststratification"]["tables"]:
        raise ConfigError(
            f"[estimates] method = {out['estimates']['method']!r} needs the Census 2021 tables: "
            'add [poststratification] tables = "census/" (a folder of Nomis bulk CSVs).'
        )
    if out["survey"]["items"] is not None:
        out["survey"]["items"] = _check_items(out["survey"]["items"])
    out["survey"] = check_waves(out["survey"], base, check_files=check_files)
    return out


def _check_area(out: dict[str, Any]) -> None:
    """``[area] lad`` is "all" or a list of LAD codes; population level is oa or lsoa."""
    lad = out["area"]["lad"]
    if isinstance(lad, str):
        if lad != "all":
            raise ConfigError(
                f'\'lad\' in [area] must be "all" or a list of codes like ["E09000018"]; '
                f"got {lad!r} (write a single code as a list: lad = [{lad!r}])."
            )
    elif not lad or not all(isinstance(x, str) for x in lad):
        raise ConfigError("'lad' in [area] must be a non-empty list of LAD codes, or \"all\".")
    pop = out["geography"].get("population")
    if pop and pop["level"] not in ("oa", "lsoa"):
        raise ConfigError(
            f'\'level\' in [geography] population must be "oa" or "lsoa"; got {pop["level"]!r}.'
        )
    if pop and pop["oa_counts"] and pop["level"] != "lsoa":
        raise ConfigError(
            "'oa_counts' in [geography] population spreads LSOA figures to OAs; it needs "
            'level = "lsoa".'
        )


#: Ranges of the keys that set no estimator parameter: section, key, test, what it must be.
_RANGES: list[tuple[str, str, Any, str]] = [
    ("", "seed", lambda v: 0 <= v < 2**32, "0 or more and below 2**32 = 4294967296"),
    (
        "estimates",
        "method",
        lambda v: v in ("classification", "mrp", "both"),
        "'classification', 'mrp' or 'both'",
    ),
    ("compare", "quintile_gap", lambda v: 1 <= v <= 4, "1, 2, 3 or 4"),
    ("compare", "permutations", lambda v: v >= 99, "at least 99"),
    ("compare", "alpha", lambda v: 0 < v < 1, "between 0 and 1 (e.g. 0.05)"),
    ("compare", "min_confidence", lambda v: 0 <= v <= 1, "between 0 and 1 (e.g. 0.8)"),
    ("hard", "max_unmatched", lambda v: 0 <= v < 1, "between 0 and 1 (a share)"),
    ("review", "review_valid_years", lambda v: v > 0, "more than 0 (years)"),
    ("geography", "max_missing_oas", lambda v: 0 <= v < 1, "between 0 and 1 (a share)"),
]


def _estimator_constraints() -> list[tuple[str, str, Any]]:
    """(section, key, constraint) of the keys that set an estimator parameter.

    The legal values are the estimators' own declarations (``_parameter_constraints``):
    [model] keys are :class:`~resilience.SurveyModel` parameters, [estimates] keys and
    [survey] ``min_respondents`` are :class:`~resilience.AreaEstimator` parameters,
    [poststratification] ``variables``, ``region`` and ``urban`` are
    :class:`~resilience.models.mrp.MRPEstimator` parameters.
    Imported here, not at the top, so reading a config does not load scikit-learn.
    """
    from .models.area_estimator import AreaEstimator
    from .models.mrp import MRPEstimator
    from .models.survey_model import SurveyModel

    owners = (
        ("model", SurveyModel),
        ("estimates", AreaEstimator),
        ("survey", AreaEstimator),
        ("poststratification", MRPEstimator),
    )
    return [
        (section, key, constraint)
        for section, owner in owners
        for key, constraint in owner._parameter_constraints.items()
        # [poststratification] area_predictor is a switch; the estimator's names a column
        if key in SCHEMA[section] and (section, key) != ("poststratification", "area_predictor")
    ]


def _check_ranges(out: Mapping[str, Any]) -> None:
    checks = [(s, k, ok, what) for s, k, ok, what in _RANGES] + [
        (s, k, c.ok, c.what) for s, k, c in _estimator_constraints()
    ]
    for section, key, ok, what in checks:
        value = out[key] if not section else out[section][key]
        if not ok(value):
            raise ConfigError(f"{_where(section, key)} must be {what}; got {value!r}.")


def _check_disclosure(out: Mapping[str, Any]) -> None:
    """Enough bootstrap replicates for an interval; warn below the UK Data Service rule."""
    from .models.area_estimator import MIN_BOOT_INTERVALS, UKDS_MIN_RESPONDENTS

    n_boot = out["estimates"]["n_boot"]
    if 0 < n_boot < MIN_BOOT_INTERVALS:
        raise ConfigError(
            f"'n_boot' in [estimates] is {n_boot}, too few for intervals: a percentile interval "
            f"needs at least {MIN_BOOT_INTERVALS} bootstrap replicates. Set n_boot = "
            f"{MIN_BOOT_INTERVALS} or more (200 is the default), or 0 for no intervals."
        )
    n_min = out["survey"]["min_respondents"]
    if n_min < UKDS_MIN_RESPONDENTS:
        warnings.warn(
            f"'min_respondents' in [survey] is {n_min}: categories with {n_min} to "
            f"{UKDS_MIN_RESPONDENTS - 1} respondents get estimates of their own, so the outputs "
            f"no longer follow the UK Data Service rule of at least {UKDS_MIN_RESPONDENTS} "
            "respondents behind every published figure. Do not publish them outside your "
            f"organisation, or set min_respondents = {UKDS_MIN_RESPONDENTS} or more.",
            DisclosureWarning,
            stacklevel=4,
        )


def _check_assets(entries: Any, base: Path, check: bool) -> list[dict[str, Any]]:
    """Each ``[[assets]]`` entry: known keys, a path, and a category column or a label."""
    if entries is None:
        return []
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        raise ConfigError(
            "'assets' must be written as [[assets]] tables, one per file of community assets."
        )
    out = []
    for i, entry in enumerate(entries):
        where = f"assets {i + 1}"
        if not isinstance(entry, dict):
            raise ConfigError(f"[[assets]] entry {i + 1} must be a table; got {entry!r}.")
        checked = _validate_table(entry, ASSET_SCHEMA, where, base, check)
        if (checked["category"] is None) == (checked["label"] is None):
            raise ConfigError(
                f"[{where}] needs exactly one of 'category' (the column holding each asset's "
                "category) and 'label' (one category for every row of the file)."
            )
        if (checked["x"] is None) != (checked["y"] is None):
            raise ConfigError(f"[{where}] names only one of 'x' and 'y'; give both or neither.")
        out.append(checked)
    return out


def _check_validation(section: Mapping[str, Any]) -> None:
    survey = section.get("resident_survey")
    if survey is None:
        return
    where = "validation.resident_survey"
    if survey["area"] not in ("ward", "lsoa"):
        raise ConfigError(f"'area' in [{where}] must be 'ward' or 'lsoa'; got {survey['area']!r}.")
    if not survey["measures"]:
        raise ConfigError(f"'measures' in [{where}] must list at least one measure.")
    for j, m in enumerate(survey["measures"]):
        what = f"measure {j + 1} of [{where}]"
        example = (
            '{ column = "belong", respondents = "belong_n", tracks = '
            '"share_neighbourhood_support" }'
        )
        check_entry(m, MEASURE_KEYS, where=what, like=example)
        for key in MEASURE_KEYS:
            if not isinstance(m.get(key), str) or not m[key]:
                raise ConfigError(f"'{key}' of {what} is required (text).")


_ITEM_KEYS = {"name": str, "construct": str, "low": int, "high": int, "better": str,
              "description": str}  # fmt: skip


def _check_items(items: list[Any]) -> list[dict[str, Any]]:
    """Each ``[survey] items`` entry is a table of known keys with values of the right type."""
    for i, item in enumerate(items):
        where = f"item {i + 1} of 'items' in [survey]"
        check_entry(
            item,
            tuple(_ITEM_KEYS),
            where=where,
            like='{ name = "sclfsato", construct = "wellbeing", low = 1, high = 7, '
            'better = "higher" }',
        )
        for key, kind in _ITEM_KEYS.items():
            if key == "description" and key not in item:
                continue
            if key not in item:
                raise ConfigError(f"'{key}' is missing from {where}.")
            if not isinstance(item[key], kind) or isinstance(item[key], bool):
                raise ConfigError(
                    f"'{key}' of {where} must be {'a whole number' if kind is int else 'text'}; "
                    f"got {item[key]!r}."
                )
        if item["better"] not in ("higher", "lower"):
            raise ConfigError(
                f"'better' of {where} must be 'higher' or 'lower'; got {item['better']!r}."
            )
    return items


def load_config(source: str | Path | Mapping[str, Any], *, check_files: bool = True) -> Config:
    """Read and validate a config file (or an already parsed dict).

    Parameters
    ----------
    source : str, Path or mapping
        Path of a TOML file, or a dict with the same structure (relative paths are then
        resolved against the current folder).
    check_files : bool, default=True
        Check that every file named exists.

    Raises
    ------
    ConfigError
        For a missing file, a TOML syntax error, an unknown key or section, a missing
        required key or a value of the wrong type; the message names the key and section.
    """
    if isinstance(source, Mapping):
        raw = copy.deepcopy(dict(source))
        return Config(validate(raw, Path.cwd(), check_files=check_files), raw, None)
    path = Path(source)
    if not path.exists():
        raise ConfigError(f"Config file '{path}' not found.")
    if path.is_dir():
        raise ConfigError(
            f"Config path '{path}' is a folder, not a config file. Give the resilience.toml "
            "file itself, e.g. resilience run my-area/resilience.toml."
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(
            f"Config file '{path}' cannot be read: {err.strerror or err}. Check its permissions."
        ) from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"Config file '{path}' is not valid TOML: {err}.") from err
    except UnicodeDecodeError as err:
        raise ConfigError(f"Config file '{path}' is not UTF-8 text.") from err
    return Config(
        validate(raw, path.resolve().parent, check_files=check_files), raw, path.resolve()
    )
