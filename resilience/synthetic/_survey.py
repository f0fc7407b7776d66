"""A synthetic respondent file shaped like an Understanding Society ``w_indresp`` file.

Respondents are drawn from a national-like population: a classification subgroup in
proportion to its national share, then a true cluster from that subgroup's true shares.
Each cluster has a centroid on the five constructs; a respondent's construct scores are
the centroid plus noise, and each item is a noisy reading of its construct, cut into the
item's published categories in UKHLS coding and direction.

Realistic awkwardness is built in: a wave prefix on every wave-specific variable,
negative missing codes (don't know, refused, inapplicable, missing, and newer codes),
proxy respondents with ``-7`` on every self-completion item, response propensities that
differ by cluster (so unweighted shares are biased), a self-completion weight that
corrects for it, and zero weights.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..clusters import CLUSTER_KEYS, CONSTRUCTS
from ..items import DEFAULT_ITEMS, Item

__all__ = ["CENTROIDS", "make_survey"]

#: True cluster centroids on the constructs (z units; stress: higher = more stress).
#: Separated enough for a k-means fit to recover about nine in ten respondents' clusters,
#: overlapping enough that it cannot recover them all.
CENTROIDS = pd.DataFrame(
    [
        [-1.50, -0.22, -0.15, -0.30, 0.38],
        [1.50, 0.22, 0.15, 0.30, -0.38],
        [0.22, 1.42, 1.42, 0.08, -0.22],
        [-0.22, -1.42, -1.35, -0.08, 0.22],
        [0.30, 0.00, 0.08, 1.35, -1.27],
        [-0.30, -0.08, -0.08, -1.27, 1.42],
    ],
    index=pd.Index(CLUSTER_KEYS, name="cluster"),
    columns=pd.Index(CONSTRUCTS, name="construct"),
)

#: Response propensity by cluster: isolated and struggling people answer surveys less.
PROPENSITY = pd.Series(
    [0.8, 1.0, 1.0, 0.65, 1.0, 0.85], index=pd.Index(CLUSTER_KEYS, name="cluster")
)

# Marginal distribution of each scale, from worst to best state.
_MARGINS = {
    ("wellbeing", 7): [0.03, 0.05, 0.09, 0.12, 0.22, 0.32, 0.17],
    ("wellbeing", 5): [0.03, 0.08, 0.22, 0.40, 0.27],
    ("belonging", 5): [0.05, 0.12, 0.26, 0.37, 0.20],
    ("solidarity", 5): [0.06, 0.14, 0.27, 0.35, 0.18],
    ("capability", 4): [0.05, 0.17, 0.58, 0.20],
    ("stress", 4): [0.07, 0.18, 0.40, 0.35],
}

WITHIN_SD = 0.45
PIDP_BASE = 68_000_000


def _categorise(goodness: np.ndarray, item: Item) -> np.ndarray:
    """Cut a latent 'goodness' into the item's categories, in published coding."""
    n_cat = item.high - item.low + 1
    margin = _MARGINS.get((item.construct, n_cat))
    if margin is None:
        margin = [1.0 / n_cat] * n_cat
    cuts = np.quantile(goodness, np.cumsum(margin)[:-1])
    cat = np.searchsorted(cuts, goodness)  # 0 = worst state
    code = item.low + cat if item.better == "higher" else item.high - cat
    return code.astype(np.int64)


def make_survey(
    rng: np.random.Generator,
    subgroups: pd.DataFrame,
    n: int,
    prefix: str = "f_",
    upper_case_codes: bool = True,
    level_columns: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Draw ``n`` respondents. Returns (respondent file, true cluster per ``pidp``)."""
    share_cols = [f"share_{k}" for k in CLUSTER_KEYS]
    nat = subgroups["national_share"].to_numpy()
    probs = subgroups[share_cols].to_numpy()
    prop = PROPENSITY.to_numpy()

    # draw population members until n respond (selection depends on the true cluster)
    sub_idx: list[np.ndarray] = []
    clus: list[np.ndarray] = []
    got = 0
    while got < n:
        m = 2 * (n - got) + 100
        s = rng.choice(len(nat), size=m, p=nat)
        u = rng.uniform(size=(m, 1))
        c = (u > np.cumsum(probs[s], axis=1)).sum(axis=1).clip(0, len(CLUSTER_KEYS) - 1)
        keep = rng.uniform(size=m) < prop[c]
        sub_idx.append(s[keep])
        clus.append(c[keep])
        got += int(keep.sum())
    s = np.concatenate(sub_idx)[:n]
    c = np.concatenate(clus)[:n]

    z = CENTROIDS.to_numpy()[c] + rng.normal(0.0, WITHIN_SD, (n, len(CONSTRUCTS)))
    pidp = PIDP_BASE + np.sort(rng.choice(9_000_000, size=n, replace=False)) * 4 + 1
    hidp = pidp // 4 * 4 + 2 + rng.integers(0, 3, n) * 100_000_000
    df = pd.DataFrame(
        {
            "pidp": pidp,
            f"{prefix}hidp": hidp,
            f"{prefix}pno": rng.integers(1, 4, n),
            f"{prefix}sex": rng.integers(1, 3, n),
            f"{prefix}dvage": rng.integers(16, 91, n),
        }
    )
    proxy = rng.uniform(size=n) < 0.03
    df[f"{prefix}ivfio"] = np.where(proxy, 2, 1)

    for item in DEFAULT_ITEMS:
        j = CONSTRUCTS.index(item.construct)
        loading = rng.uniform(0.78, 0.92)
        latent = loading * z[:, j] + np.sqrt(1 - loading**2) * rng.normal(size=n)
        goodness = -latent if item.construct == "stress" else latent
        df[f"{prefix}{item.name}"] = _categorise(goodness, item)

    self_completion = [f"{prefix}{it.name}" for it in DEFAULT_ITEMS]
    values = df[self_completion].to_numpy()
    # item non-response: don't know, refused, missing, and newer-wave codes
    miss = rng.uniform(size=values.shape) < 0.015
    codes = rng.choice([-1, -2, -9, -10, -21], size=values.shape, p=[0.5, 0.2, 0.2, 0.05, 0.05])
    values = np.where(miss, codes, values)
    # some skipped the neighbourhood module entirely: inapplicable
    nbh = [i for i, it in enumerate(DEFAULT_ITEMS) if it.name.startswith("scopngbh")]
    skipped = rng.uniform(size=n) < 0.02
    values[np.ix_(skipped, nbh)] = -8
    values[proxy, :] = -7
    df[self_completion] = values

    weight = (1.0 / prop[c]) * rng.lognormal(0.0, 0.25, n)
    weight[proxy] = 0.0
    weight[rng.uniform(size=n) < 0.04] = 0.0
    weight = weight / weight[weight > 0].mean()
    df[f"{prefix}indscui_xw"] = np.round(weight, 6)

    if level_columns is None:
        level_columns = {lv: f"oac_{lv}" for lv in ("supergroup", "group", "subgroup")}
    codes_df = subgroups.iloc[s][list(level_columns)].reset_index(drop=True)
    for level, name in level_columns.items():
        col = codes_df[level].astype(str)
        df[name] = col.str.upper().to_numpy() if upper_case_codes else col.to_numpy()

    truth = pd.Series(
        np.asarray(CLUSTER_KEYS)[c], index=pd.Index(pidp, name="pidp"), name="true_cluster"
    )
    return df, truth
