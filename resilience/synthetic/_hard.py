"""Synthetic LSOA hard data in the shape of the English Indices of Deprivation "File 7".

Each domain is a noisy reading of the LSOA's true need (minus its true resilience score),
more faithful for income, employment and health than for barriers or living environment.
A set of LSOAs is planted to disagree with the survey-based truth: their hard data are
pushed to the other end of the borough on a few of the configured indicators, in both
directions (hard data much worse than the truth suggests, and much better).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..schema import HARD_WORSE, PREDICTED_WORSE

__all__ = ["DOMAINS", "PLANTABLE", "file7_columns", "make_hard_data"]

_RANK = "Rank (where 1 is most deprived)"
_DECILE = "Decile (where 1 is most deprived 10% of LSOAs)"

# domain key: (title of the score column, fidelity to true need, score transform)
DOMAINS: dict[str, tuple[str, float]] = {
    "imd": ("Index of Multiple Deprivation (IMD) Score", 0.0),
    "income": ("Income Score (rate)", 0.93),
    "employment": ("Employment Score (rate)", 0.9),
    "education": ("Education, Skills and Training Score", 0.8),
    "health": ("Health Deprivation and Disability Score", 0.88),
    "crime": ("Crime Score", 0.75),
    "barriers": ("Barriers to Housing and Services Score", 0.3),
    "living": ("Living Environment Score", 0.45),
    "cyp": ("Children and Young People Sub-domain Score", 0.0),
    "adult_skills": ("Adult Skills Sub-domain Score", 0.0),
    "geo_barriers": ("Geographical Barriers Sub-domain Score", 0.0),
    "wider_barriers": ("Wider Barriers Sub-domain Score", 0.0),
    "indoors": ("Indoors Sub-domain Score", 0.0),
    "outdoors": ("Outdoors Sub-domain Score", 0.0),
    "idaci": ("Income Deprivation Affecting Children Index (IDACI) Score (rate)", 0.0),
    "idaopi": ("Income Deprivation Affecting Older People (IDAOPI) Score (rate)", 0.0),
}
# sub-domains and supplementary indices follow their parent domain
_PARENT = {
    "cyp": "education",
    "adult_skills": "education",
    "geo_barriers": "barriers",
    "wider_barriers": "barriers",
    "indoors": "living",
    "outdoors": "living",
    "idaci": "income",
    "idaopi": "income",
}
_WEIGHTS = {  # IMD domain weights (MHCLG, IoD2019 technical report)
    "income": 0.225,
    "employment": 0.225,
    "education": 0.135,
    "health": 0.135,
    "crime": 0.093,
    "barriers": 0.093,
    "living": 0.093,
}

#: Domains whose indicators the demo config uses, and so can carry a planted disagreement.
PLANTABLE = ("income", "employment", "education", "health", "crime")


def _score(key: str, p: np.ndarray) -> np.ndarray:
    """National percentile of deprivation (0 least, 1 most) → a score in the domain's units."""
    q = norm.ppf(np.clip(p, 1e-4, 1 - 1e-4))
    if key in ("income", "idaci", "idaopi"):
        return np.round(0.01 + 0.5 * p**2, 3)
    if key == "employment":
        return np.round(0.01 + 0.33 * p**2, 3)
    if key in ("education", "cyp", "adult_skills"):
        return np.round(100.0 * p**1.6, 3)
    if key in ("health", "crime", "geo_barriers", "wider_barriers", "indoors", "outdoors"):
        return np.round(q, 3)
    if key == "barriers":
        return np.round(8.0 + 45.0 * p, 3)
    if key == "living":
        return np.round(4.0 + 60.0 * p**1.2, 3)
    if key == "imd":
        return np.round(2.0 + 75.0 * p**1.4, 3)
    raise KeyError(key)


def file7_columns(vintage: int) -> dict[str, str]:
    """Names of the code, name and LAD columns of File 7 for a release on 2011 or 2021 LSOAs."""
    if vintage == 2011:
        return {
            "code": "LSOA code (2011)",
            "name": "LSOA name (2011)",
            "lad_code": "Local Authority District code (2019)",
            "lad_name": "Local Authority District name (2019)",
        }
    return {
        "code": "LSOA code (2021)",
        "name": "LSOA name (2021)",
        "lad_code": "Local Authority District code (2024)",
        "lad_name": "Local Authority District name (2024)",
    }


def make_hard_data(
    rng: np.random.Generator,
    lsoa: pd.DataFrame,
    need: np.ndarray,
    lad_code: str,
    lad_name: str,
    vintage: int,
    n_planted: int,
    noise: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the File 7 table and the planted LSOAs.

    Parameters
    ----------
    lsoa : DataFrame
        ``lsoa_code``, ``lsoa_name``, ``population`` (adults), one row per LSOA.
    need : ndarray
        True need of each LSOA (minus its true resilience score).
    noise : float
        Share of each domain's variance not explained by true need, on top of the
        domain's own fidelity (0 = the fidelity alone).

    Returns
    -------
    file7 : DataFrame
        File 7-shaped table, one row per LSOA.
    planted : DataFrame
        ``lsoa_code``, ``direction`` (``hard_worse`` or ``predicted_worse``) and
        ``indicators`` (the domain keys pushed, joined by ``;``).
    """
    n = len(lsoa)
    h = (need - need.mean()) / (need.std() or 1.0)
    latent: dict[str, np.ndarray] = {}
    for key, (_, fid) in DOMAINS.items():
        if fid > 0:
            r = fid * np.sqrt(1.0 - noise)
            latent[key] = r * h + np.sqrt(1.0 - r**2) * rng.normal(size=n)

    # planted disagreements: choose LSOAs at one end of true need, push some domains
    planted_rows = []
    if n_planted:
        order = np.argsort(h, kind="stable")
        k = max(1, n // 5)
        low, high = order[: 2 * k], order[-2 * k :]
        n_hw = n_planted // 2 + n_planted % 2
        hard_worse = rng.choice(low, size=min(n_hw, len(low)), replace=False)
        pred_worse = rng.choice(high, size=min(n_planted - n_hw, len(high)), replace=False)
        for idx, sign, name in (
            (hard_worse, 1.0, HARD_WORSE),
            (pred_worse, -1.0, PREDICTED_WORSE),
        ):
            for i in idx:
                doms = sorted(rng.choice(PLANTABLE, size=int(rng.integers(3, 5)), replace=False))
                for d in doms:
                    latent[d][i] = sign * rng.uniform(2.3, 3.0)
                planted_rows.append((lsoa["lsoa_code"].iloc[i], name, ";".join(doms)))
    for key, parent in _PARENT.items():
        latent[key] = 0.85 * latent[parent] + np.sqrt(1 - 0.85**2) * rng.normal(size=n)
    latent["imd"] = sum(w * latent[d] for d, w in _WEIGHTS.items()) / 0.6

    n_national = 32844 if vintage == 2011 else 33755
    cols = file7_columns(vintage)
    out = pd.DataFrame(
        {
            cols["code"]: lsoa["lsoa_code"].to_numpy(),
            cols["name"]: lsoa["lsoa_name"].to_numpy(),
            cols["lad_code"]: lad_code,
            cols["lad_name"]: lad_name,
        }
    )
    offset = 0.35  # the borough is somewhat more deprived than the national average
    for key, (title, _) in DOMAINS.items():
        p = norm.cdf(offset + 0.75 * latent[key])
        rank = np.clip(np.round((1.0 - p) * (n_national - 1)).astype(int) + 1, 1, n_national)
        decile = np.ceil(rank / (n_national / 10)).astype(int).clip(1, 10)
        stem = title.replace(" Score (rate)", "").replace(" Score", "")
        out[title] = _score(key, p)
        out[f"{stem} {_RANK}"] = rank
        out[f"{stem} {_DECILE}"] = decile

    adults = lsoa["population"].to_numpy()
    total = np.round(adults / rng.uniform(0.74, 0.82, n)).astype(int)
    children = total - adults
    older = np.round(adults * rng.uniform(0.12, 0.3, n)).astype(int)
    year = "mid 2015 (excluding prisoners)" if vintage == 2011 else "mid 2022"
    out[f"Total population: {year}"] = total
    out[f"Dependent Children aged 0-15: {year}"] = children
    out[f"Population aged 16-59: {year}"] = adults - older
    out[f"Older population aged 60 and over: {year}"] = older
    work = (
        "Working age population 18-59/64: for use with Employment Deprivation Domain "
        "(excluding prisoners) "
        if vintage == 2011
        else "Working age population 18-66 (for use with Employment Deprivation Domain)"
    )
    out[work] = np.round((adults - older) * 0.95).astype(int)
    planted = pd.DataFrame(planted_rows, columns=["lsoa_code", "direction", "indicators"])
    return out, planted
