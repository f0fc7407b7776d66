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

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..clusters import CLUSTER_KEYS, share_columns
from ..inputs.census import Margins
from ..inputs.concepts import AGE_BANDS, CONCEPTS, DEFAULT_VARIABLES

__all__ = ["MRPWorld", "borough_characteristics", "make_mrp_world", "write_mrp_inputs"]

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


# ------------------------------------------------------- the demo borough's MRP inputs
_UKHLS_CODE = {  # one UKHLS code per category, for writing the synthetic survey
    "sex": {"male": 1, "female": 2},
    "qualification": {"level4": 1, "level3": 3, "level1_2": 4, "other": 5, "none": 9},
    "health": {"very_good": 2, "good": 3, "fair": 4, "bad": 5},
    "country_of_birth": {"uk": 1, "outside_uk": 5},
    "tenure": {"owned": 2, "social_rented": 3, "private_rented": 6},
}
_TITLES = {
    "sex": ("ts008", "Sex"),
    "age": ("ts007a", "Age"),
    "tenure": ("ts054", "Tenure of household"),
    "qualification": ("ts067", "Highest level of qualification"),
    "health": ("ts037", "General health"),
    "country_of_birth": ("ts004", "Country of birth"),
}


def _census_label(concept: str, category: str) -> str:
    if concept == "age":
        lo, hi = AGE_BANDS[category]
        return f"Aged {lo} years and over" if hi >= 120 else f"Aged {lo} to {hi} years"
    return next(lab for lab, c in CONCEPTS[concept].census_labels.items() if c == category)


def borough_characteristics(
    survey: pd.DataFrame,
    respondent_cluster: pd.Series,
    oa_shares: pd.DataFrame,
    population: pd.Series,
    *,
    seed: int = 0,
    prefix: str = "f_",
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, pd.DataFrame]]:
    """Characteristics for a synthetic borough's respondents and census tables for its OAs.

    Each cluster has its own distribution of every concept, so characteristics carry
    information about the cluster; respondents draw theirs given their true cluster, and
    each OA's adults (as many as its population) draw a cluster from the OA's true shares
    and then characteristics, so the census counts are consistent with the OA's residents.

    Returns the survey with UKHLS-named characteristic columns (``w_hidp``, ``w_sex``,
    ``w_dvage``, …), the household file (``w_hidp``, ``w_tenure_dv``) and the census
    tables (Nomis bulk layout, keyed by file name).
    """
    rng = np.random.default_rng(seed + 7919)
    variables = list(DEFAULT_VARIABLES)
    dist = {v: rng.dirichlet(np.full(len(CONCEPTS[v].categories), 1.2), size=K) for v in variables}
    keys = {k: i for i, k in enumerate(CLUSTER_KEYS)}

    def draw(clusters: np.ndarray) -> dict[str, np.ndarray]:
        out = {}
        for v in variables:
            cum = np.cumsum(dist[v][clusters], axis=1)
            out[v] = (
                (rng.random(len(clusters))[:, None] > cum)
                .sum(axis=1)
                .clip(0, len(CONCEPTS[v].categories) - 1)
            )
        return out

    pidp = survey["pidp"].to_numpy()
    cl = respondent_cluster.reindex(pidp).map(keys).to_numpy(dtype=int)
    people = draw(cl)
    out = survey.copy()
    if f"{prefix}hidp" not in out:
        out[f"{prefix}hidp"] = 700_000_000 + np.arange(len(out))
    for v, codes in _UKHLS_CODE.items():
        if v == "tenure":
            continue
        cats = np.asarray(CONCEPTS[v].categories, dtype=object)[people[v]]
        name = CONCEPTS[v].ukhls[0]
        out[f"{prefix}{name}"] = [codes[c] for c in cats]
    bands = list(AGE_BANDS.values())
    lo = np.array([bands[i][0] for i in people["age"]])
    hi = np.array([min(bands[i][1], 90) for i in people["age"]])
    out[f"{prefix}dvage"] = rng.integers(lo, hi + 1)
    out[f"{prefix}gor_dv"] = 7
    out[f"{prefix}urban_dv"] = 1
    tenure = np.asarray(CONCEPTS["tenure"].categories, dtype=object)[people["tenure"]]
    household = pd.DataFrame(
        {
            f"{prefix}hidp": out[f"{prefix}hidp"],
            f"{prefix}tenure_dv": [_UKHLS_CODE["tenure"][t] for t in tenure],
        }
    ).drop_duplicates(f"{prefix}hidp")  # a household's tenure: its first respondent's
    # the OAs' adults
    codes = oa_shares.index
    n = population.reindex(codes).fillna(population.median()).round().astype(int).to_numpy()
    home = np.repeat(np.arange(len(codes)), n)
    p = oa_shares[share_columns()].to_numpy()[home]
    clusters = (rng.random(len(home))[:, None] > np.cumsum(p, axis=1)).sum(axis=1).clip(0, K - 1)
    residents = draw(clusters)
    tables: dict[str, pd.DataFrame] = {}
    for v in variables:
        cats = CONCEPTS[v].categories
        counts = np.vstack(
            [np.bincount(residents[v][home == i], minlength=len(cats)) for i in range(len(codes))]
        )
        tid, title = _TITLES[v]
        frame = pd.DataFrame({"date": 2021, "geography": codes, "geography code": codes})
        frame[f"{title}: Total; measures: Value"] = counts.sum(axis=1)
        for j, c in enumerate(cats):
            frame[f"{title}: {_census_label(v, c).capitalize()}; measures: Value"] = counts[:, j]
        tables[f"census2021-{tid}-oa.csv"] = frame
    return out, household, tables


def write_mrp_inputs(
    borough: Any, folder: Path, method: str, *, end_user_licence: bool = False
) -> None:
    """Add the MRP route's inputs to a written synthetic borough (``borough.write``).

    Rewrites the respondent file with the characteristics, writes the household file
    ``data/<prefix>hhresp.tab`` and the Census tables under ``data/census/``, and sets
    ``[estimates] method`` and ``[poststratification]`` in ``resilience.toml``. With
    ``end_user_licence`` (``method = "mrp"`` only) the survey loses its OAC columns and the
    config its ``[classification]`` and ``[survey] levels``, as with the end-user-licence
    file.
    """
    folder = Path(folder)
    b = borough
    survey, household, tables = borough_characteristics(
        b.survey,
        b.truth.respondent_cluster,
        b.truth.oa_shares,
        b.oa.set_index("oa_code")["population"],
        seed=b.seed,
        prefix=b.prefix,
    )
    data = folder / "data"
    if end_user_licence:
        survey = survey.drop(columns=[c for c in survey.columns if c.startswith("oac_")])
        (data / "oac.csv").unlink()
    survey.to_csv(data / f"{b.prefix}indresp.tab", sep="\t", index=False)
    household.to_csv(data / f"{b.prefix}hhresp.tab", sep="\t", index=False)
    (data / "census").mkdir(exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(data / "census" / name, index=False)
    cfg = folder / "resilience.toml"
    text = cfg.read_text(encoding="utf-8").replace(
        "min_respondents = 10\n",
        f'min_respondents = 10\nhousehold = {{ path = "data/{b.prefix}hhresp.tab" }}\n',
    )
    if end_user_licence:
        text = re.sub(r"\[classification\]\n(?:[^\[\n][^\n]*\n)*\n?", "", text)
        text = re.sub(r"\nlevels = \[[^\]]*\]\n", "\n", text, count=1)
    text += (
        f'\n[estimates]\nmethod = "{method}"\n\n[poststratification]\n'
        'tables = "data/census"\nregion = 7\nurban = 1\n'
    )
    cfg.write_text(text, encoding="utf-8")
