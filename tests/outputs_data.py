"""Result frames with the output columns, built from a tiny synthetic borough.

Shared by the tests of the table, report and manifest writers. Shares are the borough's
true shares; the comparison columns are made so that exactly two LSOAs are flagged in
each direction.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from resilience.clusters import CLUSTER_KEYS, PROFILE_MATRIX, share_columns
from resilience.synthetic import make_borough

ESCAPE_NAME = "Ash <b>& Elm"


@dataclass
class Results:
    oa: gpd.GeoDataFrame
    lsoa: gpd.GeoDataFrame
    ward: gpd.GeoDataFrame
    flags: pd.DataFrame
    profiles: pd.DataFrame


def _quintile(values: pd.Series) -> pd.Series:
    return pd.qcut(values.rank(method="first"), 5, labels=False).astype(int) + 1


def make_results() -> Results:
    b = make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=800)
    rng = np.random.default_rng(1)

    oa = b.oa.merge(b.truth.oa_shares.reset_index(), on="oa_code")
    for col in share_columns():
        oa[f"{col}_lo"] = (oa[col] - 0.05).clip(lower=0)
        oa[f"{col}_hi"] = (oa[col] + 0.05).clip(upper=1)
    oa["dominant_cluster"] = np.asarray(CLUSTER_KEYS)[oa[share_columns()].to_numpy().argmax(1)]
    oa["estimate_level"] = "subgroup"

    lsoa = b.lsoa[["lsoa_code", "lsoa_name", "ward_code", "geometry"]].merge(
        b.truth.lsoa_shares.reset_index(), on="lsoa_code"
    )
    lsoa = lsoa.merge(
        b.oa.groupby("lsoa_code")["population"].sum().rename("population").reset_index(),
        on="lsoa_code",
    )
    for col in share_columns():
        lsoa[f"{col}_lo"] = (lsoa[col] - 0.04).clip(lower=0)
        lsoa[f"{col}_hi"] = (lsoa[col] + 0.04).clip(upper=1)
    predicted = -lsoa["resilience_score"]
    hard = (predicted - predicted.mean()) / predicted.std()
    order = predicted.sort_values().index
    hard[order[:2]] = [2.0, 1.9]  # least predicted need, most hard need: hard_worse
    hard[order[-2:]] = [-1.9, -2.0]  # most predicted need, least hard need: predicted_worse
    lsoa["income_score"] = (0.1 + 0.05 * hard).round(3)
    lsoa["hard_index"] = hard
    lsoa["predicted_quintile"] = _quintile(predicted)
    lsoa["hard_quintile"] = _quintile(hard)
    lsoa["gap"] = lsoa["predicted_quintile"] - lsoa["hard_quintile"]
    lsoa["flag"] = np.select(
        [lsoa["gap"] >= 2, lsoa["gap"] <= -2], ["predicted_worse", "hard_worse"], "agree"
    )
    lsoa["flag_confidence"] = np.where(
        lsoa["flag"] == "agree", 0.95, rng.uniform(0.6, 0.9, len(lsoa)).round(2)
    )
    lsoa["flag_reason"] = np.where(lsoa["flag"] == "agree", "", "income; health")
    lsoa = gpd.GeoDataFrame(lsoa, geometry="geometry", crs=b.lsoa.crs)

    ward = b.ward.merge(b.truth.ward_shares.reset_index(), on="ward_code")
    ward.loc[0, "ward_name"] = ESCAPE_NAME
    ward = ward.merge(
        b.oa.groupby("ward_code")["population"].sum().rename("population").reset_index(),
        on="ward_code",
    )
    grouped = lsoa.groupby("ward_code")
    ward["hard_index"] = ward["ward_code"].map(grouped["hard_index"].mean())
    ward["n_lsoa"] = ward["ward_code"].map(grouped.size()).astype(int)
    ward["n_flagged"] = (
        ward["ward_code"].map(grouped["flag"].apply(lambda f: int((f != "agree").sum())))
    ).astype(int)
    ward = gpd.GeoDataFrame(ward, geometry="geometry", crs=b.ward.crs)

    flags = pd.DataFrame(lsoa[lsoa["flag"] != "agree"].drop(columns="geometry"))
    profiles = PROFILE_MATRIX * 0.9 + rng.normal(0, 0.1, PROFILE_MATRIX.shape).round(2)
    return Results(oa=oa, lsoa=lsoa, ward=ward, flags=flags, profiles=profiles)
