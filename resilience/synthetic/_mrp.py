"""A synthetic world for the MRP route, with a known truth.

Output areas have an area type (an OAC-like supergroup) and a composition: each OA's
distribution of every post-stratification concept is drawn around its type's, so OAs of
one type differ in who lives there. Adults live in the OAs with characteristics drawn from
their OA's composition (health worse with age). A respondent's cluster follows a
multinomial logit on the characteristics (strength ``char_strength``) and the area type
(``area_strength``). The national survey draws respondents from fresh areas of every type
in proportion to the types' national shares. The census margins are the counts of the
OAs' own synthetic adults, so they are consistent with them by construction, and the true
OA shares are the mean cluster probabilities of the OA's adults.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..clusters import CLUSTER_KEYS, share_columns
from ..inputs.census import Margins
from ..inputs.concepts import CONCEPTS, DEFAULT_VARIABLES

__all__ = ["MRPWorld", "make_mrp_world"]

K = len(CLUSTER_KEYS)


@dataclass
class MRPWorld:
    """Respondents, OAs with census margins, and the truth.

    Attributes
    ----------
    characteristics : DataFrame
        Respondents (indexed by ``pidp``): one column per concept (categories),
        ``oac_supergroup``, ``gor_dv``, ``urban_dv`` and ``weight``.
    labels : Series
        Each respondent's true cluster.
    census : dict
        Concept → OA x category counts of the OAs' synthetic adults.
    margins : Margins
        The same as proportions.
    area_type : Series
        Each OA's type (``oac_supergroup`` code).
    lsoa_of : Series
        Each OA's LSOA (five OAs to an LSOA).
    oa_truth : DataFrame
        True ``share_<cluster>`` of every OA.
    """

    characteristics: pd.DataFrame
    labels: pd.Series
    census: dict[str, pd.DataFrame]
    margins: Margins
    area_type: pd.Series
    lsoa_of: pd.Series
    oa_truth: pd.DataFrame

    def __repr__(self) -> str:
        return (
            f"<MRPWorld: {len(self.characteristics):,} respondents, {len(self.area_type):,} "
            f"OAs of {self.area_type.nunique()} types>"
        )


def _compositions(
    rng: np.random.Generator, base: dict[str, np.ndarray], types: np.ndarray, spread: float
) -> dict[str, np.ndarray]:
    """Each area's distribution of every concept, drawn around its type's."""
    return {v: np.vstack([rng.dirichlet(spread * b[t]) for t in types]) for v, b in base.items()}


def _people(
    rng: np.random.Generator, comp: dict[str, np.ndarray], area: np.ndarray
) -> dict[str, np.ndarray]:
    """Category codes of people living in ``area`` (index into the compositions)."""
    out: dict[str, np.ndarray] = {}
    for v, c in comp.items():
        cum = np.cumsum(c[area], axis=1)
        out[v] = (rng.random(len(area))[:, None] > cum).sum(axis=1).clip(0, c.shape[1] - 1)
    if "health" in out and "age" in out:
        # older adults are in worse health: move up to two steps down the scale
        n_health = len(CONCEPTS["health"].categories)
        shift = rng.binomial(out["age"] // 2, 0.35)
        out["health"] = np.minimum(out["health"] + shift, n_health - 1)
    return out


def make_mrp_world(
    seed: int = 0,
    *,
    n_oa: int = 300,
    n_respondents: int = 6000,
    n_types: int = 8,
    residents: tuple[int, int] = (120, 320),
    char_strength: float = 1.0,
    area_strength: float = 0.3,
    spread: float = 6.0,
    variables: Sequence[str] = DEFAULT_VARIABLES,
) -> MRPWorld:
    """Build a synthetic MRP world.

    Parameters
    ----------
    seed : int
        Everything is determined by the seed.
    n_oa, n_respondents, n_types : int
        Output areas of the study area, national survey respondents, area types.
    residents : (int, int)
        Range of the number of adults per OA.
    char_strength, area_strength : float
        Scale of the characteristics' and the area type's effects on the cluster logits.
    spread : float
        Dirichlet concentration of an OA's composition around its type's (smaller: OAs of
        one type differ more).
    variables : sequence of str
        The concepts.

    Examples
    --------
    >>> w = make_mrp_world(seed=1, n_oa=20, n_respondents=500)
    >>> w.margins.shares["sex"].shape, bool(np.allclose(w.oa_truth.sum(axis=1), 1))
    ((20, 2), True)
    """
    rng = np.random.default_rng(seed)
    variables = list(variables)
    sizes = {v: len(CONCEPTS[v].categories) for v in variables}
    base = {v: rng.dirichlet(np.full(s, 3.0), size=n_types) for v, s in sizes.items()}
    beta = {v: rng.normal(0, 1, (s, K)) for v, s in sizes.items()}
    for b in beta.values():
        b -= b.mean(axis=0)
    gamma = rng.normal(0, 1, (n_types, K))
    gamma -= gamma.mean(axis=0)
    intercept = rng.normal(0, 0.3, K)
    type_share = rng.dirichlet(np.full(n_types, 4.0))

    def probs(people: dict[str, np.ndarray], types: np.ndarray) -> np.ndarray:
        eta = intercept + area_strength * gamma[types]
        for v in variables:
            eta = eta + char_strength * beta[v][people[v]]
        eta -= eta.max(axis=1, keepdims=True)
        e = np.exp(eta)
        return e / e.sum(axis=1, keepdims=True)

    # ---- the study area's OAs and their adults
    oa_type = rng.choice(n_types, n_oa, p=type_share)
    comp = _compositions(rng, base, oa_type, spread)
    n_res = rng.integers(residents[0], residents[1] + 1, n_oa)
    home = np.repeat(np.arange(n_oa), n_res)
    adults = _people(rng, comp, home)
    p_adult = probs(adults, oa_type[home])
    codes = pd.Index([f"E00{900_001 + i:06d}" for i in range(n_oa)], name="oa_code")
    truth = pd.DataFrame(
        pd.DataFrame(p_adult).groupby(home).mean().to_numpy(), index=codes, columns=share_columns()
    )
    census = {
        v: pd.DataFrame(
            np.vstack([np.bincount(adults[v][home == i], minlength=s) for i in range(n_oa)]),
            index=codes,
            columns=list(CONCEPTS[v].categories),
        ).astype(float)
        for v, s in sizes.items()
    }
    margins = Margins({v: c.div(c.sum(axis=1), axis=0) for v, c in census.items()})

    # ---- the national survey
    r_type = rng.choice(n_types, n_respondents, p=type_share)
    r_comp = _compositions(rng, base, r_type, spread)
    people = _people(rng, r_comp, np.arange(n_respondents))
    p_resp = probs(people, r_type)
    cum = np.cumsum(p_resp, axis=1)
    cluster = (rng.random(n_respondents)[:, None] > cum).sum(axis=1).clip(0, K - 1)
    pidp = pd.Index(68_500_000 + np.arange(n_respondents), name="pidp")
    frame = pd.DataFrame(
        {v: np.asarray(CONCEPTS[v].categories, dtype=object)[people[v]] for v in variables},
        index=pidp,
    )
    frame["oac_supergroup"] = (r_type + 1).astype(str)
    frame["gor_dv"] = rng.choice(np.arange(1, 13), n_respondents).astype(float)
    frame["urban_dv"] = rng.choice([1.0, 2.0], n_respondents, p=[0.8, 0.2])
    frame["weight"] = rng.lognormal(0, 0.3, n_respondents)
    labels = pd.Series(np.asarray(CLUSTER_KEYS, dtype=object)[cluster], index=pidp)
    return MRPWorld(
        characteristics=frame,
        labels=labels,
        census=census,
        margins=margins,
        area_type=pd.Series((oa_type + 1).astype(str), index=codes, name="oac_supergroup"),
        lsoa_of=pd.Series([f"E01{950_001 + i // 5:06d}" for i in range(n_oa)], index=codes),
        oa_truth=truth,
    )
