"""The three output layers of a run (OAs, LSOAs, wards) and the desk-review shortlist.

:func:`build_layers` joins the estimates, the summaries, the hard data and the comparison
onto the boundaries: GeoDataFrames keyed by area code, in EPSG:27700, with the columns of
the output schema (codes, names, shares with intervals, scores, hard indicators, flags).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ..compare.flags import shortlist
from ..compare.hard_index import group_hard_index
from ..inputs.lookup import best_fit_parent
from ..models.aggregate import AreaSummaries
from ..models.oa_estimates import OaEstimates
from ..schema import DISAGREE

__all__ = ["Layers", "area_names", "build_layers", "geo_frame"]


@dataclass
class Layers:
    """The OA, LSOA and ward layers and the shortlist of flagged LSOAs."""

    oa: gpd.GeoDataFrame
    lsoa: gpd.GeoDataFrame
    ward: gpd.GeoDataFrame
    flags: pd.DataFrame


def area_names(
    shapes: gpd.GeoDataFrame, lookup: pd.DataFrame, level: str, codes: pd.Index
) -> pd.Series:
    """Area names from the boundaries, else from the lookup, else the code itself.

    Examples
    --------
    >>> shapes = gpd.GeoDataFrame({"ward_code": ["W1"], "ward_name": ["Northbridge"]})
    >>> lookup = pd.DataFrame({"ward_code": ["W2"], "ward_name": ["Southgate"]})
    >>> area_names(shapes, lookup, "ward", pd.Index(["W1", "W2", "W3"])).tolist()
    ['Northbridge', 'Southgate', 'W3']
    """
    name, code = f"{level}_name", f"{level}_code"
    found = pd.Series(np.nan, index=codes, dtype=object)
    if name in shapes:
        found = shapes.set_index(code)[name].reindex(codes)
    if found.isna().any() and name in lookup:
        by_lookup = lookup.drop_duplicates(code).set_index(code)[name]
        found = found.fillna(by_lookup.reindex(codes))
    return found.fillna(pd.Series(codes, index=codes)).astype(str)


def geo_frame(table: pd.DataFrame, shapes: gpd.GeoDataFrame, key: str) -> gpd.GeoDataFrame:
    """``table`` (indexed by area code) on the polygons of ``shapes``, geometry last."""
    merged = shapes[[key, "geometry"]].merge(table, left_on=key, right_index=True, how="inner")
    cols = [c for c in merged.columns if c != "geometry"] + ["geometry"]
    return gpd.GeoDataFrame(merged[cols], geometry="geometry", crs=shapes.crs).reset_index(
        drop=True
    )


def build_layers(
    *,
    oa_shapes: gpd.GeoDataFrame,
    lsoa_shapes: gpd.GeoDataFrame,
    ward_shapes: gpd.GeoDataFrame,
    lookup: pd.DataFrame,
    oa: OaEstimates,
    summaries: AreaSummaries,
    hard_values: pd.DataFrame,
    hard: pd.DataFrame,
    comparison: pd.DataFrame,
    level_names: Mapping[str, str],
) -> Layers:
    """Join every stage's results onto the boundaries.

    Parameters
    ----------
    oa_shapes, lsoa_shapes, ward_shapes : GeoDataFrame
        The study area's boundaries (``<level>_code``, optional ``<level>_name``).
    lookup : DataFrame
        ``lsoa_code`` and ``ward_code`` of every OA, indexed by OA code (names optional).
    oa : OaEstimates
        The OA estimates.
    summaries : AreaSummaries
        The LSOA, ward and whole-area summaries.
    hard_values : DataFrame
        The hard indicators as given, indexed by LSOA code.
    hard : DataFrame
        ``hard_index`` and the ``hard_<domain>`` scores, indexed by LSOA code.
    comparison : DataFrame
        The comparison of every LSOA (:func:`~resilience.compare.lsoas.compare_lsoas`).
    level_names : mapping
        Survey level → the classification's own level name (the OA layer's columns).
    """
    codes = oa.table.index
    lk = lookup.reindex(codes)

    oa_out = pd.DataFrame(index=codes)
    oa_out["lsoa_code"] = lk["lsoa_code"]
    oa_out["ward_code"] = lk["ward_code"]
    for src, dst in level_names.items():
        oa_out[dst] = oa.codes[src].to_numpy()
    oa_out = oa_out.join(oa.table)
    known = summaries.population
    oa_out["population"] = known if known is not None else float("nan")

    lsoa_agg = summaries.lsoa.frame
    lsoa_out = pd.DataFrame(index=lsoa_agg.index)
    lsoa_out["lsoa_name"] = area_names(lsoa_shapes, lookup, "lsoa", lsoa_out.index)
    lsoa_out["ward_code"] = best_fit_parent(lk, summaries.weights).reindex(lsoa_out.index)
    lsoa_out = lsoa_out.join(lsoa_agg.drop(columns=["dominant_cluster"]))
    lsoa_out = lsoa_out.join(hard_values.reindex(lsoa_out.index))
    domains = [c for c in hard.columns if c.startswith("hard_") and c != "hard_index"]
    lsoa_out = lsoa_out.join(hard[["hard_index", *domains]])
    lsoa_out = lsoa_out.join(comparison.drop(columns=[c for c in comparison if c in lsoa_out]))
    lsoa_out.index.name = "lsoa_code"

    ward_out = summaries.ward.frame.drop(columns=["dominant_cluster", "n_oa"]).copy()
    # wards of the area without OAs stay in the layer, with no figures ("no data")
    ward_out = ward_out.reindex(
        ward_out.index.union(pd.Index(ward_shapes["ward_code"]), sort=False)
    )
    ward_out.insert(0, "ward_name", area_names(ward_shapes, lookup, "ward", ward_out.index))
    lsoa_pop = summaries.weights.groupby(lk["lsoa_code"]).sum().reindex(lsoa_out.index)
    ward_of = lsoa_out["ward_code"]
    ward_out["hard_index"] = group_hard_index(lsoa_out["hard_index"], ward_of, lsoa_pop).reindex(
        ward_out.index
    )
    ward_out["n_lsoa"] = ward_of.value_counts().reindex(ward_out.index).fillna(0).astype(int)
    flagged = lsoa_out["flag"].isin(DISAGREE)
    ward_out["n_flagged"] = (
        flagged.groupby(ward_of).sum().reindex(ward_out.index).fillna(0).astype(int)
    )
    ward_out.index.name = "ward_code"

    flags = shortlist(
        lsoa_out.reset_index().merge(
            ward_out[["ward_name"]], left_on="ward_code", right_index=True, how="left"
        )
    )
    return Layers(
        oa=geo_frame(oa_out, oa_shapes, "oa_code"),
        lsoa=geo_frame(lsoa_out, lsoa_shapes, "lsoa_code"),
        ward=geo_frame(ward_out, ward_shapes, "ward_code"),
        flags=flags,
    )
