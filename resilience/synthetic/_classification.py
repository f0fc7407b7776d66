"""A synthetic three-level area classification (OAC-like) with true cluster shares.

Codes follow the Output Area Classification pattern: supergroup ``1`` … ``8``, group
``1a``, subgroup ``1a1``. Each subgroup has a national population share (some large, some
tiny) and a true distribution over the six resilience clusters. Cluster logits are built
down the hierarchy (supergroup effect + group effect + subgroup effect), so a category
resembles its parent, which is what shrinkage towards the parent assumes. A supergroup's
``deprivation`` pushes its mix towards the three vulnerability clusters and its
``urbanness`` decides where in the borough it is found.
"""

from __future__ import annotations

import string

import numpy as np
import pandas as pd

from ..clusters import CLUSTER_KEYS, VULNERABILITIES

__all__ = ["Classification", "assign_areas", "make_classification"]

LEVELS = ("supergroup", "group", "subgroup")


class Classification:
    """The categories of the synthetic classification and their truth.

    Attributes
    ----------
    subgroups : DataFrame
        One row per subgroup: ``supergroup``, ``group``, ``subgroup`` codes,
        ``national_share`` and the true cluster shares (``share_<cluster>``).
    supergroups : DataFrame
        One row per supergroup: ``urbanness`` and ``deprivation`` in [-1, 1].
    """

    def __init__(
        self,
        subgroups: pd.DataFrame,
        supergroups: pd.DataFrame,
        levels: tuple[str, ...] = LEVELS,
    ) -> None:
        self.subgroups = subgroups
        self.supergroups = supergroups
        self.levels = levels

    def truth(self) -> pd.DataFrame:
        """True cluster shares of every category at every level (national mix within parents).

        Indexed by (``level``, ``code``) with ``national_share`` and ``share_<cluster>``.
        """
        share_cols = [f"share_{k}" for k in CLUSTER_KEYS]
        rows = []
        for level in self.levels:
            sub = self.subgroups
            w = sub["national_share"].to_numpy()
            grouped = pd.DataFrame(sub[share_cols].to_numpy() * w[:, None], columns=share_cols)
            grouped["national_share"] = w
            grouped[level] = sub[level].to_numpy()
            agg = grouped.groupby(level, sort=True).sum()
            agg[share_cols] = agg[share_cols].div(agg["national_share"], axis=0)
            agg.index = pd.MultiIndex.from_arrays(
                [[level] * len(agg), agg.index.astype(str)], names=["level", "code"]
            )
            rows.append(agg[["national_share", *share_cols]])
        return pd.concat(rows)


def make_classification(rng: np.random.Generator, n_supergroups: int = 8) -> Classification:
    """Build an OAC-like category tree, national shares and true cluster shares."""
    rows = []
    for sg in range(n_supergroups):
        s_code = str(sg + 1)
        s_size = rng.gamma(3.0, 1.0)
        for g in range(int(rng.integers(2, 5))):
            g_code = s_code + string.ascii_lowercase[g]
            g_size = rng.gamma(2.0, 1.0)
            for u in range(int(rng.integers(2, 4))):
                # heavy-tailed sizes: some subgroups are common, some very rare
                size = s_size * g_size * rng.lognormal(0.0, 1.0)
                rows.append((s_code, g_code, f"{g_code}{u + 1}", size))
    tree = pd.DataFrame(rows, columns=[*LEVELS, "national_share"])
    return classification_from_tree(rng, tree, LEVELS)


def classification_from_tree(
    rng: np.random.Generator, tree: pd.DataFrame, levels: tuple[str, ...]
) -> Classification:
    """True cluster shares for a given category tree (one row per finest category).

    ``tree`` has one column per level (coarse to fine) and optionally ``national_share``
    (default: equal). Cluster logits add a random effect per category at every level;
    each top-level category gets a deprivation in [-0.9, 0.9] that tilts it towards the
    vulnerability clusters, and an urbanness in [-1, 1].
    """
    k = len(CLUSTER_KEYS)
    vuln = np.array([1.0 if c in VULNERABILITIES else -1.0 for c in CLUSTER_KEYS])
    base = np.log(np.array([0.17, 0.17, 0.17, 0.15, 0.19, 0.15]))
    top = list(dict.fromkeys(tree[levels[0]].astype(str)))
    dep = np.linspace(-0.9, 0.9, len(top)) if len(top) > 1 else np.zeros(1)
    rng.shuffle(dep)
    urb = rng.uniform(-1, 1, len(top))
    sd = [0.45, 0.4, 0.3, 0.25]
    effects: dict[tuple[int, str], np.ndarray] = {}
    logits = np.tile(base, (len(tree), 1))
    for depth, lv in enumerate(levels):
        for code in dict.fromkeys(tree[lv].astype(str)):
            eff = rng.normal(0.0, sd[min(depth, len(sd) - 1)], k)
            if depth == 0:
                eff = eff + 0.75 * dep[top.index(code)] * vuln
            effects[(depth, code)] = eff
        logits += np.stack([effects[(depth, c)] for c in tree[lv].astype(str)])
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    sub = tree[list(levels)].astype(str).reset_index(drop=True)
    share = (
        tree["national_share"].to_numpy(float) if "national_share" in tree else np.ones(len(tree))
    )
    sub["national_share"] = share / share.sum()
    for j, c in enumerate(CLUSTER_KEYS):
        sub[f"share_{c}"] = p[:, j]
    supergroups = pd.DataFrame(
        {"urbanness": urb, "deprivation": dep}, index=pd.Index(top, name=levels[0])
    )
    return Classification(sub, supergroups, tuple(levels))


def assign_areas(
    rng: np.random.Generator,
    cls: Classification,
    oa_lsoa: np.ndarray,
    lsoa_ward: np.ndarray,
    ward_urban: np.ndarray,
    ward_east: np.ndarray,
) -> np.ndarray:
    """Give every OA a subgroup, with spatial structure.

    Each ward prefers supergroups whose urbanness matches its own and, further east,
    more deprived ones (an east–west divide); each LSOA mostly shares one group; most OAs
    take a subgroup of their LSOA's group and the rest a fresh draw from the ward's mix.
    Returns the row index into ``cls.subgroups`` for each OA.
    """
    sub = cls.subgroups
    sg = cls.supergroups
    n_ward = len(ward_urban)
    sg_codes = sg.index.to_numpy()
    sg_size = sub.groupby("supergroup")["national_share"].sum().reindex(sg_codes).to_numpy()
    urb = sg["urbanness"].to_numpy()
    dep = sg["deprivation"].to_numpy()
    ward_p = np.empty((n_ward, len(sg_codes)))
    for w in range(n_ward):
        score = np.log(sg_size) - (urb - ward_urban[w]) ** 2 / 0.25 + 1.5 * dep * ward_east[w]
        p = np.exp(score - score.max())
        ward_p[w] = p / p.sum()

    share = sub["national_share"].to_numpy()
    by_group = {
        g: (idx.to_numpy(), share[idx] / share[idx].sum())
        for g, idx in sub.groupby("group").groups.items()
    }
    by_sg = {
        s: (idx.to_numpy(), share[idx] / share[idx].sum())
        for s, idx in sub.groupby("supergroup").groups.items()
    }
    group_of = sub["group"].to_numpy()

    def pick(table: dict, key: str) -> int:
        cand, p = table[key]
        i = int(np.searchsorted(np.cumsum(p), rng.uniform()))
        return int(cand[min(i, len(cand) - 1)])

    def fresh(w: int) -> int:
        cum = np.cumsum(ward_p[w])
        s = sg_codes[min(int(np.searchsorted(cum, rng.uniform() * cum[-1])), len(cum) - 1)]
        return pick(by_sg, s)

    lsoa_group = [group_of[fresh(int(w))] for w in lsoa_ward]
    out = np.empty(len(oa_lsoa), dtype=np.int64)
    own = rng.uniform(size=len(oa_lsoa)) < 0.7
    for i, lsoa in enumerate(oa_lsoa):
        out[i] = pick(by_group, lsoa_group[lsoa]) if own[i] else fresh(int(lsoa_ward[lsoa]))
    return out
