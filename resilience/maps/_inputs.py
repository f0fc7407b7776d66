"""Checking the OA, LSOA and ward frames handed to :func:`resilience.maps.write_maps`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ..clusters import CLUSTERS, share_columns
from ..errors import CodeMatchError, ConfigError, InputDataError, format_examples
from ..schema import AGREE, ASSET_COLUMNS, HARD_WORSE, PREDICTED_WORSE, REVIEW_COLUMNS

__all__ = ["FLAGS", "MapInputs", "check_inputs", "require_columns"]

CRS = "EPSG:27700"

#: Flag values in map order (the diverging palette runs hard_worse ... predicted_worse).
FLAGS = (HARD_WORSE, AGREE, PREDICTED_WORSE)

#: Change columns of a run over several survey waves (drawn when present).
_CHANGE = [
    f"change_{col}{end}"
    for col in ("resilience_score", *share_columns())
    for end in ("", "_lo", "_hi")
]
_OA_REQUIRED = ["oa_code", "lsoa_code", "ward_code", *share_columns(), "resilience_score"]
_OA_NUMERIC = [
    *share_columns(),
    *share_columns("_lo"),
    *share_columns("_hi"),
    "resilience_score",
    "population",
    *_CHANGE,
]
_LSOA_REQUIRED = ["lsoa_code", "lsoa_name", "ward_code", "hard_index", "flag"]
_LSOA_NUMERIC = [
    "population",
    *ASSET_COLUMNS,
    *share_columns(),
    "resilience_score",
    "hard_index",
    "predicted_quintile",
    "hard_quintile",
    "gap",
    "flag_confidence",
    *_CHANGE,
]
_WARD_REQUIRED = ["ward_code", "ward_name"]
_WARD_NUMERIC = [
    "population",
    *share_columns(),
    "resilience_score",
    "hard_index",
    "n_lsoa",
    "n_flagged",
]
#: LSOA columns that are never hard indicators.
_LSOA_KNOWN = {
    *_LSOA_REQUIRED,
    *_LSOA_NUMERIC,
    *share_columns("_lo"),
    *share_columns("_hi"),
    "flag_reason",
    "flag_strength",
    "gap_cluster",
    "bivariate",
    "msoa_code",
    "change_significant",
    *(f"{p}_{c.key}" for p in ("index", "band") for c in CLUSTERS),
    *ASSET_COLUMNS,
    *REVIEW_COLUMNS,
}
#: Prefix of the asset counts per category (never hard indicators).
_ASSET_PREFIX = "assets_"
_SAFE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@dataclass
class MapInputs:
    """Checked copies of the three frames (EPSG:27700, codes as text, numbers as floats).

    ``indicators`` maps each hard-indicator column of ``lsoa`` to its readable title.
    """

    oa: gpd.GeoDataFrame
    lsoa: gpd.GeoDataFrame
    ward: gpd.GeoDataFrame
    indicators: dict[str, str]
    #: What the global Moran's I of the gap says, shown in the gap-cluster legend.
    clustering: str | None = None


def require_columns(frame: pd.DataFrame, required: list[str], what: str, hint: str) -> None:
    """Raise InputDataError naming the columns of ``required`` that ``frame`` lacks."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputDataError(
            f"The {what} has no column {format_examples(missing)}. Its columns are: "
            f"{format_examples(list(frame.columns), 15)}. {hint}"
        )


def _frame(gdf: object, role: str, required: list[str]) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputDataError(
            f"The {role} frame passed to write_maps must be a GeoDataFrame with polygon "
            f"geometry; got {type(gdf).__name__}. Read boundaries with geopandas.read_file."
        )
    require_columns(
        gdf,
        required,
        f"{role} frame",
        f"Pass the {role} layer of the pipeline's result (the output columns).",
    )
    if gdf.crs is None:
        raise InputDataError(
            f"The {role} frame has no coordinate reference system. Set it, e.g. "
            f"gdf.set_crs({CRS!r}) for British National Grid coordinates."
        )
    out = gdf.copy()
    if out.crs != CRS:
        out = out.to_crs(CRS)
    return out


def _codes(gdf: gpd.GeoDataFrame, col: str, role: str, *, unique: bool) -> None:
    raw = gdf[col]
    text = raw.astype("string").str.strip()
    blank = text.isna() | (text == "")
    if blank.any():
        raise InputDataError(
            f"Column {col!r} of the {role} frame is empty in {int(blank.sum())} row(s) "
            f"(rows {format_examples(np.flatnonzero(blank.to_numpy()).tolist())}). "
            "Every area needs its code."
        )
    if unique:
        dup = text[text.duplicated()]
        if len(dup):
            raise InputDataError(
                f"Column {col!r} of the {role} frame repeats {dup.nunique()} code(s), e.g. "
                f"{format_examples(dup.unique().tolist())}. Each area must appear once; "
                "dissolve or drop the duplicates."
            )
    gdf[col] = text.astype(object)


def _numeric(gdf: gpd.GeoDataFrame, cols: list[str], role: str) -> None:
    for col in cols:
        if col not in gdf.columns:
            continue
        raw = gdf[col]
        num = pd.to_numeric(raw, errors="coerce")
        bad = raw[num.isna() & raw.notna()]
        bad = bad[bad.astype("string").str.strip() != ""]
        if len(bad):
            raise InputDataError(
                f"Column {col!r} of the {role} frame should be numeric but holds "
                f"{len(bad)} value(s) that are not numbers, e.g. "
                f"{format_examples(bad.astype(str).unique().tolist())}. Correct or blank them."
            )
        gdf[col] = num.astype(float)


def _geometry(gdf: gpd.GeoDataFrame, code: str, role: str) -> None:
    geom = gdf.geometry
    bad = geom.isna() | geom.is_empty
    if bad.any():
        raise InputDataError(
            f"{int(bad.sum())} row(s) of the {role} frame have no geometry, e.g. "
            f"{format_examples(gdf.loc[bad, code].tolist())}. Every area needs its boundary."
        )
    kinds = geom.geom_type
    wrong = ~kinds.isin(["Polygon", "MultiPolygon"])
    if wrong.any():
        raise InputDataError(
            f"The {role} frame must hold polygons; {int(wrong.sum())} row(s) hold "
            f"{format_examples(sorted(kinds[wrong].unique()))}, e.g. "
            f"{format_examples(gdf.loc[wrong, code].tolist())}."
        )


def _match(child: pd.Series, parent: pd.Series, what: str) -> None:
    unknown = sorted(set(child) - set(parent))
    if unknown:
        raise CodeMatchError(
            f"{len(unknown)} {what} code(s) are not in the frame they refer to, e.g. "
            f"{format_examples(unknown)}. Pass OA, LSOA and ward frames from the same run "
            "(the same geography vintage)."
        )


def _indicators(lsoa: gpd.GeoDataFrame, labels: Mapping[str, str] | None) -> dict[str, str]:
    if labels is not None:
        unknown = [c for c in labels if c not in lsoa.columns]
        if unknown:
            raise ConfigError(
                f"indicator_labels names column(s) {format_examples(unknown)} that the lsoa "
                f"frame does not have. Its columns are: {format_examples(list(lsoa.columns), 20)}."
            )
        cols = list(labels)
    else:
        cols = [
            c
            for c in lsoa.columns
            if c not in _LSOA_KNOWN
            and c != lsoa.geometry.name
            and not c.endswith(("_lo", "_hi"))
            and not c.startswith((_ASSET_PREFIX, "change_"))
            and pd.api.types.is_numeric_dtype(lsoa[c])
        ]
    _numeric(lsoa, cols, "lsoa")
    return {c: str((labels or {}).get(c, c)) for c in cols}


def check_inputs(
    oa: gpd.GeoDataFrame,
    lsoa: gpd.GeoDataFrame,
    ward: gpd.GeoDataFrame,
    indicator_labels: Mapping[str, str] | None = None,
) -> MapInputs:
    """Check the three frames and return cleaned copies.

    Raises
    ------
    InputDataError
        A frame is not a GeoDataFrame, lacks a column or a CRS, has blank, repeated or
        unsafe codes, non-numeric numbers, missing or non-polygon geometry, or unknown
        flag values.
    CodeMatchError
        An OA's LSOA or ward, or an LSOA's ward, is not in the frame it refers to.
    ConfigError
        ``indicator_labels`` names a column the LSOA frame lacks.
    """
    oa = _frame(oa, "oa", _OA_REQUIRED)
    lsoa = _frame(lsoa, "lsoa", _LSOA_REQUIRED)
    ward = _frame(ward, "ward", _WARD_REQUIRED)
    for gdf, role, code, parents in (
        (oa, "oa", "oa_code", ["lsoa_code", "ward_code"]),
        (lsoa, "lsoa", "lsoa_code", ["ward_code"]),
        (ward, "ward", "ward_code", []),
    ):
        _codes(gdf, code, role, unique=True)
        for p in parents:
            _codes(gdf, p, role, unique=False)
        _geometry(gdf, code, role)
    _numeric(oa, _OA_NUMERIC, "oa")
    _numeric(lsoa, _LSOA_NUMERIC, "lsoa")
    _numeric(ward, _WARD_NUMERIC, "ward")
    unsafe = [c for c in ward["ward_code"] if not _SAFE_CODE.match(c)]
    if unsafe:
        raise InputDataError(
            f"Ward codes name the ward map files, so they may hold only letters, digits, "
            f"'-' and '_'; {len(unsafe)} do not, e.g. {format_examples(unsafe)}. Use the "
            "GSS ward codes (E05...)."
        )
    flags = lsoa["flag"].astype("string").str.strip()
    bad = flags.notna() & ~flags.isin(FLAGS)
    if bad.any():
        found = format_examples(sorted(flags[bad].unique()))
        raise InputDataError(
            f"Column 'flag' of the lsoa frame holds {found}; allowed values are "
            f"{format_examples(FLAGS)} (or blank)."
        )
    lsoa["flag"] = flags.astype(object).where(flags.notna(), None)
    for gdf, col in ((lsoa, "lsoa_name"), (ward, "ward_name")):
        gdf[col] = gdf[col].astype("string").fillna("").astype(object)
    _match(oa["lsoa_code"], lsoa["lsoa_code"], "OA-to-LSOA")
    _match(oa["ward_code"], ward["ward_code"], "OA-to-ward")
    _match(lsoa["ward_code"], ward["ward_code"], "LSOA-to-ward")
    indicators = _indicators(lsoa, indicator_labels)
    return MapInputs(oa=oa, lsoa=lsoa, ward=ward, indicators=indicators)
