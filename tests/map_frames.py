"""Map-ready OA, LSOA and ward frames built from a synthetic borough, for the map tests.

The frames have the output columns the pipeline produces, filled from the
borough's ground truth: shares with ±0.05 intervals, a few OAs suppressed (shares NaN),
a hard-data index that mirrors the resilience score plus noise, flags from the planted
disagreements (every other one strong), national benchmark bands, the bivariate class,
a change in the score over two waves with ±0.03 intervals, and names chosen to test
escaping.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from resilience.clusters import CLUSTER_KEYS, share_columns
from resilience.compare.benchmark import band
from resilience.synthetic import make_borough

SCRIPT_NAME = "<script>alert(1)</script>"
AMP_NAME = "Mill & Marsh 001A"
INDICATORS = {"income_rate": "Income Score (rate)", "crime_rank": "Crime <rank> & more"}


def by(frame, key, col, how, order):
    """``frame[col]`` aggregated by ``key`` with ``how``, in the order of ``order``."""
    return frame.groupby(key)[col].agg(how).reindex(order).to_numpy()


def map_frames(seed: int = 0, n_suppressed: int = 6, **sizes):
    """Return (oa, lsoa, ward) GeoDataFrames ready for :func:`resilience.maps.write_maps`."""
    b = make_borough(seed=seed, **sizes)
    rng = np.random.default_rng(seed + 100)
    shares = share_columns()
    t = b.truth

    oa = b.oa[["oa_code", "lsoa_code", "ward_code", "population", "geometry"]].join(
        t.oa_shares, on="oa_code"
    )
    for col in shares:
        oa[f"{col}_lo"] = (oa[col] - 0.05).clip(lower=0)
        oa[f"{col}_hi"] = (oa[col] + 0.05).clip(upper=1)
    oa["dominant_cluster"] = np.array(CLUSTER_KEYS)[oa[shares].to_numpy().argmax(axis=1)]
    oa["estimate_level"] = rng.choice(["subgroup", "group", "supergroup"], len(oa))
    suppressed = rng.choice(len(oa), n_suppressed, replace=False)
    interval = [f"{c}_{s}" for c in shares for s in ("lo", "hi")]
    oa.loc[oa.index[suppressed], [*shares, *interval, "resilience_score"]] = np.nan
    oa.loc[oa.index[suppressed], ["dominant_cluster"]] = None
    oa.loc[oa.index[suppressed], ["estimate_level"]] = "suppressed"
    for key in CLUSTER_KEYS:
        share = oa[f"share_{key}"]
        index = 100 * share / share.mean()
        oa[f"band_{key}"] = band(index, 100 * oa[f"share_{key}_lo"] / share.mean(),
                                 100 * oa[f"share_{key}_hi"] / share.mean())  # fmt: skip
    add_change(oa, rng)

    lsoa = b.lsoa[["lsoa_code", "lsoa_name", "ward_code", "geometry"]].join(
        t.lsoa_shares[[*shares, "resilience_score"]], on="lsoa_code"
    )
    lsoa["population"] = (
        oa.groupby("lsoa_code")["population"].sum().reindex(lsoa["lsoa_code"]).to_numpy()
    )
    lsoa["hard_index"] = -lsoa["resilience_score"] * 3 + rng.normal(0, 0.2, len(lsoa))
    lsoa["income_rate"] = 0.1 + 0.05 * lsoa["hard_index"]
    lsoa["crime_rank"] = rng.integers(1, 33000, len(lsoa))
    pq = pd.qcut(-lsoa["resilience_score"], 5, labels=False) + 1
    hq = pd.qcut(lsoa["hard_index"], 5, labels=False) + 1
    lsoa["predicted_quintile"], lsoa["hard_quintile"] = pq, hq
    lsoa["gap"] = pq - hq
    planted = t.planted.set_index("lsoa_code")["direction"]
    lsoa["flag"] = lsoa["lsoa_code"].map(planted).fillna("agree")
    lsoa["flag_confidence"] = np.where(lsoa["flag"] == "agree", 0.95, 0.8)
    flagged = np.flatnonzero(lsoa["flag"] != "agree")
    lsoa["flag_strength"] = "none"
    lsoa.loc[lsoa.index[flagged], "flag_strength"] = np.where(
        np.arange(len(flagged)) % 2 == 0, "strong", "possible"
    )
    pt = pd.qcut(-lsoa["resilience_score"], 3, labels=False) + 1
    ht = pd.qcut(lsoa["hard_index"], 3, labels=False) + 1
    lsoa["bivariate"] = pt.astype(str) + "-" + ht.astype(str)
    add_change(lsoa, rng)
    lsoa["flag_reason"] = np.where(
        lsoa["flag"] == "agree",
        "",
        "Income Score (rate) & Crime <rank> pull the hard data apart",
    )
    lsoa["gap_cluster"] = np.where(
        lsoa["gap"] >= 1, "high-high", np.where(lsoa["gap"] <= -1, "low-low", "not significant")
    )
    lsoa.loc[lsoa.index[0], "lsoa_name"] = AMP_NAME

    ward = b.ward[["ward_code", "ward_name", "geometry"]].copy()
    w_shares = t.ward_shares[[*shares, "resilience_score"]]
    ward = ward.join(w_shares, on="ward_code")
    ward["population"] = (
        oa.groupby("ward_code")["population"].sum().reindex(ward["ward_code"]).to_numpy()
    )
    ward["hard_index"] = (
        lsoa.groupby("ward_code")["hard_index"].mean().reindex(ward["ward_code"]).to_numpy()
    )
    ward["n_lsoa"] = lsoa.groupby("ward_code").size().reindex(ward["ward_code"]).to_numpy()
    ward["n_flagged"] = (
        (lsoa["flag"] != "agree")
        .groupby(lsoa["ward_code"])
        .sum()
        .reindex(ward["ward_code"])
        .to_numpy()
    )
    ward.loc[ward.index[1], "ward_name"] = SCRIPT_NAME
    return oa, lsoa, ward


def add_change(frame, rng) -> None:
    """``change_resilience_score`` with ±0.03 intervals and ``change_significant``."""
    change = rng.normal(0, 0.04, len(frame))
    change[np.isnan(frame["resilience_score"].to_numpy())] = np.nan
    frame["change_resilience_score"] = change
    frame["change_resilience_score_lo"] = change - 0.03
    frame["change_resilience_score_hi"] = change + 0.03
    significant = (frame["change_resilience_score_lo"] > 0) | (
        frame["change_resilience_score_hi"] < 0
    )
    frame["change_significant"] = significant.where(~np.isnan(change))


def without_oas(frames, position: int = 3):
    """The frames with the ward at ``position`` left without OAs, LSOAs and figures.

    Returns (ward code, oa, lsoa, ward): the ward stays in the ward frame with NaN
    figures, as the pipeline keeps a ward that has no OAs.
    """
    oa, lsoa, ward = frames
    code = ward["ward_code"].iloc[position]
    ward = ward.copy()
    figures = [c for c in ward.columns if c not in ("ward_code", "ward_name", "geometry")]
    ward.loc[ward["ward_code"] == code, figures] = np.nan
    lsoa = lsoa[lsoa["ward_code"] != code]
    oa = oa[oa["lsoa_code"].isin(lsoa["lsoa_code"]) & (oa["ward_code"] != code)]
    return code, oa, lsoa, ward


#: Asset categories of :func:`local_evidence` (one with characters to escape).
ASSET_CATEGORIES = ("Library", "GP surgery", "Hall <b>& café</b>")
#: Review outcomes given to the first flagged LSOAs (and one that agrees).
REVIEWED = ("confirmed", "explained", "not_confirmed", "explained")


def local_evidence(frames, seed: int = 0):
    """Assets, review marks and a ward-level resident-survey table for the map frames.

    Returns (lsoa, assets, validation): the LSOA frame with ``last_review`` and
    ``review_outcome`` for three flagged LSOAs and one that agrees; two asset points in each
    LSOA, in :data:`ASSET_CATEGORIES`, sizes for the second category; the per-area table of
    two measures on every ward, three of whose rows disagree.
    """
    import geopandas as gpd

    _, lsoa, ward = frames
    rng = np.random.default_rng(seed + 7)
    lsoa = lsoa.copy()
    pts = lsoa.set_index("lsoa_code").sample_points(2, rng=rng).explode(index_parts=False)
    n = len(pts)
    category = np.array(ASSET_CATEGORIES)[np.arange(n) % len(ASSET_CATEGORIES)]
    assets = gpd.GeoDataFrame(
        {
            "category": category,
            "name": [f"Asset {i + 1}" if i % 5 else "" for i in range(n)],
            "size": np.where(category == ASSET_CATEGORIES[1], np.arange(n) + 10.0, np.nan),
            "lsoa_code": pts.index.to_numpy(),
        },
        geometry=pts.to_numpy(),
        crs=lsoa.crs,
    )
    flagged = lsoa.index[lsoa["flag"] != "agree"][:3].tolist()
    agreeing = lsoa.index[lsoa["flag"] == "agree"][:1].tolist()
    lsoa["last_review"] = None
    lsoa["review_outcome"] = None
    for k, (i, outcome) in enumerate(zip([*flagged, *agreeing], REVIEWED, strict=True)):
        lsoa.loc[i, ["last_review", "review_outcome"]] = [f"2025-0{k + 1}-1{k}", outcome]
    codes = ward["ward_code"].tolist()
    rows = []
    for measure, tracks in (("pull_together", "share_neighbourhood_support"),
                            ("lonely", "-share_isolation")):  # fmt: skip
        for k, code in enumerate(codes):
            share = 0.4 + 0.02 * k
            rows.append(
                {
                    "measure": measure,
                    "area_code": code,
                    "tracks": tracks,
                    "survey_share": share,
                    "respondents": 100 + k,
                    "survey_lo": share - 0.08,
                    "survey_hi": share + 0.08,
                    "predicted": 0.2,
                    "predicted_lo": 0.17,
                    "predicted_hi": 0.23,
                    "expected_share": 0.45,
                    "difference": share - 0.45,
                    "z": (share - 0.45) / 0.04,
                    "disagreement": "within sampling error",
                }
            )
    validation = pd.DataFrame(rows)
    validation.loc[0, ["disagreement", "z"]] = ["survey lower", -2.4]
    validation.loc[2, ["disagreement", "z"]] = ["survey higher", 2.6]
    validation.loc[len(codes), ["disagreement", "z"]] = ["survey higher", 3.1]
    return lsoa, assets, validation


def write_local_maps(folder, frames, evidence, **kwargs):
    """:func:`write_maps` of the frames with the :func:`local_evidence` (no street map)."""
    from resilience.maps import write_maps

    oa, _, ward = frames
    lsoa, assets, validation = evidence
    return write_maps(folder, oa, lsoa, ward, tiles=None, indicator_labels=INDICATORS,
                      assets=assets, validation=validation, **kwargs)  # fmt: skip
