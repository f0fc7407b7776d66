"""Later survey waves of the synthetic borough, with a known change.

Every wave is a national sample from the same classification: the first (``f_``, wave
6) replaces the borough's own survey, and the later ones (``i_``, wave 9; ``l_``, wave
12; …) are drawn in the same call, so that all waves share item loadings and answer cut
points. In each later wave the subgroups of a few *moved* supergroups shift ``shift``
(times the number of waves since the first) of their largest vulnerability cluster to
high wellbeing. Every other category keeps its shares, so most areas do not change.

Like Understanding Society, the later waves are a panel in part: a share ``panel`` of
each later wave's respondents are people of the first wave followed up (the same
``pidp``, subgroup and weight) who stay in their true cluster — except in a moved
subgroup, where a person in the losing cluster moves to high wellbeing with the
probability that gives the subgroup its new shares — and answer afresh; the rest are new
respondents. A panel member's answers are thus correlated between waves, as in the real
survey, and the bootstrap must resample them jointly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._toml import toml_value
from ..clusters import VULNERABILITIES, resilience_score, share_columns
from ..errors import ConfigError
from ..items import DEFAULT_ITEMS
from ._survey import make_survey as _make_survey

if TYPE_CHECKING:
    from . import SyntheticBorough

__all__ = ["WAVE_PREFIXES", "SyntheticWaves", "long_survey", "make_waves"]

#: Understanding Society waves that ask the neighbourhood module, from wave 6 on.
WAVE_PREFIXES = ("f_", "i_", "l_", "o_")


@dataclass
class SyntheticWaves:
    """The synthetic borough surveyed in several waves, and the true change.

    Attributes
    ----------
    borough : SyntheticBorough
        The borough; its survey is the first wave.
    surveys : list of (label, prefix, DataFrame)
        Each wave's respondent file, earliest first.
    category_shares : list of DataFrame
        Each wave's true shares of every category, indexed by (``level``, ``code``).
    moved : list of str
        The supergroups whose categories change.
    change : dict of str to DataFrame
        True change from the first to the last wave for ``oa``, ``lsoa``, ``ward`` and
        ``category`` (``share_<cluster>`` and ``resilience_score``).
    respondent_cluster : list of Series
        Each wave's true cluster of every respondent, indexed by ``pidp``.
    """

    borough: SyntheticBorough
    surveys: list[tuple[str, str, pd.DataFrame]]
    category_shares: list[pd.DataFrame]
    moved: list[str]
    change: dict[str, pd.DataFrame]
    respondent_cluster: list[pd.Series]

    def __repr__(self) -> str:
        labels = ", ".join(label for label, _, _ in self.surveys)
        return f"<SyntheticWaves {self.borough.name!r}: {labels}; moved supergroups {self.moved}>"

    def write(
        self, folder: str | Path, *, overwrite: bool = False, long: bool = False
    ) -> dict[str, Path]:
        """Write the borough with every wave and a config listing them.

        ``long=True`` writes one long file (``data/indresp_long.tab`` with a ``wave``
        column) instead of one file per wave. The true change goes to
        ``truth/change_<level>.csv``.
        """
        paths = self.borough.write(folder, overwrite=overwrite)
        folder = Path(folder)
        entries = []
        if long:
            rel = "data/indresp_long.tab"
            long_survey(self.surveys).to_csv(folder / rel, sep="\t", index=False)
            paths["survey"] = folder / rel
            for label, _, _ in self.surveys:
                wave = label.removeprefix("wave ")
                entries.append({"wave": wave, "weight": "indscui_xw", "label": label})
            head = [f"path = {toml_value(rel)}", 'wave_column = "wave"']
        else:
            first = paths["survey"]
            for label, prefix, survey in self.surveys:
                rel = f"data/{prefix}indresp.tab"
                if (folder / rel) != first:
                    survey.to_csv(folder / rel, sep="\t", index=False)
                paths[f"survey.{label}"] = folder / rel
                entries.append(
                    {"path": rel, "prefix": prefix, "weight": f"{prefix}indscui_xw", "label": label}
                )
            head = []
        config = paths["config"].read_text(encoding="utf-8")
        b = self.borough
        old = "\n".join(
            [
                f"path = {toml_value(f'data/{b.prefix}indresp.tab')}",
                f"prefix = {toml_value(b.prefix)}",
                f"weight = {toml_value(b.prefix + 'indscui_xw')}",
            ]
        )
        if old not in config:  # the borough's config layout changed
            raise ConfigError("Cannot find the [survey] file lines in the synthetic config.")
        lines = [*head, "waves = [", *[f"  {toml_value(e)}," for e in entries], "]"]
        paths["config"].write_text(config.replace(old, "\n".join(lines)), encoding="utf-8")
        for level, frame in self.change.items():
            frame.to_csv(folder / "truth" / f"change_{level}.csv")
        return paths


def long_survey(surveys: list[tuple[str, str, pd.DataFrame]]) -> pd.DataFrame:
    """Every wave in one long frame: prefixes removed, a ``wave`` column (label's number)."""
    frames = []
    for label, prefix, survey in surveys:
        f = survey.rename(columns=lambda c, p=prefix: c.removeprefix(p))
        f.insert(1, "wave", label.removeprefix("wave "))
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def _subgroup_table(category_shares: pd.DataFrame) -> pd.DataFrame:
    """The subgroup table the survey generator draws from (codes ``1a1`` → ``1a`` → ``1``)."""
    sub = category_shares.xs("subgroup", level="level").reset_index()
    sub = sub.rename(columns={"code": "subgroup"})
    sub.insert(0, "group", sub["subgroup"].str[:-1])
    sub.insert(0, "supergroup", sub["subgroup"].str[:-2])
    return sub


def _shifted(sub: pd.DataFrame, moved: list[str], amount: float) -> pd.DataFrame:
    """Move ``amount`` of each moved subgroup's largest vulnerability share to high wellbeing."""
    out = sub.copy()
    vuln = [f"share_{k}" for k in VULNERABILITIES]
    for i in np.flatnonzero(out["supergroup"].isin(moved).to_numpy()):
        source = out.loc[i, vuln].astype(float).idxmax()
        d = min(amount, 0.8 * float(out.loc[i, source]))
        out.loc[i, source] -= d
        out.loc[i, "share_high_wellbeing"] += d
    return out


def _category_truth(sub: pd.DataFrame) -> pd.DataFrame:
    from ._classification import LEVELS, Classification

    return Classification(sub, pd.DataFrame(), LEVELS).truth()


def _area_truth(b: SyntheticBorough, sub: pd.DataFrame) -> dict[str, pd.DataFrame]:
    shares = share_columns()
    oa = b.oa.set_index("oa_code").sort_index()
    table = sub.set_index("subgroup")[shares]
    oa_t = table.reindex(oa["subgroup"].str.lower().to_numpy()).set_axis(oa.index)
    pop = oa["population"].astype(float)
    out = {"oa": oa_t}
    for level in ("lsoa", "ward"):
        key = oa[f"{level}_code"].to_numpy()
        agg = oa_t.mul(pop, axis=0).groupby(key).sum().div(pop.groupby(key).sum(), axis=0)
        agg.index.name = f"{level}_code"
        out[level] = agg
    for frame in out.values():
        frame["resilience_score"] = resilience_score(frame[shares])
    return out


def _followed_up(
    rng: np.random.Generator,
    first: pd.DataFrame,
    first_truth: pd.Series,
    base: pd.DataFrame,
    target: pd.DataFrame,
    n: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` first-wave persons followed up, and their clusters in the later wave.

    A person keeps their cluster, except in a moved subgroup, where someone in the
    cluster that loses share moves to high wellbeing with the probability that makes the
    subgroup's (weighted) shares those of ``target``.
    """
    rows = rng.choice(len(first), size=n, replace=False)
    kept = first.iloc[np.sort(rows)].reset_index(drop=True)
    clusters = first_truth.reindex(kept["pidp"]).to_numpy().astype(object)
    b = base.set_index("subgroup")
    t = target.set_index("subgroup").reindex(b.index)
    gain = (t["share_high_wellbeing"] - b["share_high_wellbeing"]).clip(lower=0)
    vuln = [f"share_{k}" for k in VULNERABILITIES]
    source = b[vuln].astype(float).idxmax(axis=1).str.removeprefix("share_")
    p_move = gain / b[vuln].max(axis=1)
    sub = kept["oac_subgroup"].str.lower()
    move = (clusters == source.reindex(sub).to_numpy()) & (
        rng.uniform(size=n) < p_move.reindex(sub).fillna(0).to_numpy()
    )
    clusters[move] = "high_wellbeing"
    return kept, clusters


def _panel(
    rng: np.random.Generator,
    pool: pd.DataFrame,
    pool_truth: pd.Series,
    kept: pd.DataFrame,
    kept_clusters: np.ndarray,
    prefix: str,
) -> tuple[pd.DataFrame, pd.Series]:
    """A later wave: new respondents from ``pool`` and the followed-up persons ``kept``.

    A followed-up person keeps their ids, codes and weight; their answers are those of a
    respondent of the pool in the same cluster (answers depend only on the cluster), so
    they are fresh answers from the same item model. Returns the wave and the true
    cluster of each of its respondents (indexed by ``pidp``).
    """
    n_new = len(pool) - len(kept)
    new, donors = pool.iloc[:n_new], pool.iloc[n_new:]
    donor_truth = pool_truth.to_numpy()[n_new:]
    answers = [prefix + it.name for it in DEFAULT_ITEMS] + [prefix + "ivfio"]
    renamed = kept.rename(columns=lambda c: prefix + c[2:] if c[:2] == WAVE_PREFIXES[0] else c)
    chosen = np.empty(len(kept), dtype=np.int64)
    all_truth = pool_truth.to_numpy()
    for key in np.unique(kept_clusters):
        who = np.flatnonzero(kept_clusters == key)
        cand = np.flatnonzero(donor_truth == key) + n_new
        if len(cand) < len(who):  # too few donors left: any respondent of the cluster
            cand = np.flatnonzero(all_truth == key)
        chosen[who] = rng.choice(cand, size=len(who), replace=len(cand) < len(who))
    renamed[answers] = pool.iloc[chosen][answers].to_numpy()
    del donors
    survey = pd.concat([new, renamed[pool.columns]], ignore_index=True)
    truth = np.concatenate([pool_truth.to_numpy()[:n_new], kept_clusters])
    return survey, pd.Series(truth, index=pd.Index(survey["pidp"], name="pidp"))


def _draw_waves(
    rng: np.random.Generator, tables: list[pd.DataFrame], n: int
) -> list[tuple[pd.DataFrame, pd.Series]]:
    """Every wave from one draw, so that all share item loadings and category cut points.

    The generator cuts each item at quantiles of the sample it draws; drawing the waves
    separately would force every wave to the same answer distribution and erase (or
    invent) change. Each wave is a copy of the subgroup table with a ``wave`` level.
    """
    stacked = pd.concat(
        [t.assign(wave=str(i), national_share=t["national_share"] / len(tables)) for i, t in
         enumerate(tables)],
        ignore_index=True,
    )  # fmt: skip
    columns = {lv: f"oac_{lv}" for lv in ("supergroup", "group", "subgroup")}
    survey, truth = _make_survey(
        rng, stacked, n * len(tables), prefix="", level_columns={**columns, "wave": "wave"}
    )
    survey[list(columns.values())] = survey[list(columns.values())].apply(lambda c: c.str.upper())
    out = []
    for i, prefix in enumerate(WAVE_PREFIXES[: len(tables)]):
        part = survey[survey["wave"] == str(i)].drop(columns="wave").reset_index(drop=True)
        keep = {"pidp", *columns.values()}
        part = part.rename(columns=lambda c, p=prefix, k=keep: c if c in k else p + c)
        out.append((part, truth.reindex(part["pidp"])))
    return out


def make_waves(
    borough: SyntheticBorough,
    n_waves: int = 2,
    *,
    seed: int | None = None,
    n_moved: int = 2,
    shift: float = 0.12,
    panel: float = 0.5,
) -> SyntheticWaves:
    """Survey ``borough`` in ``n_waves`` waves with a known change (see the module notes).

    The borough's own survey is replaced by the first wave of the new draw (same
    classification, same true shares, same size), so that all waves come from one draw.

    Parameters
    ----------
    borough : SyntheticBorough
        The borough (its survey must be wave 6, prefix ``f_``).
    n_waves : int, default=2
        Waves, 2 to 4.
    seed : int, optional
        Seed of the waves (default: the borough's seed + 1).
    n_moved : int, default=2
        Supergroups that change (the second, fourth, … most common in the borough); 0 for no
        change at all.
    shift : float, default=0.12
        Share moved per wave in every subgroup of a moved supergroup (at most 80 % of the
        vulnerability cluster it comes from).
    panel : float, default=0.5
        Share of each later wave's respondents who answered the first wave too.

    Examples
    --------
    >>> from resilience.synthetic import make_borough
    >>> b = make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=600)
    >>> w = make_waves(b, n_moved=1)
    >>> [label for label, _, _ in w.surveys], len(w.moved)
    (['wave 6', 'wave 9'], 1)
    >>> bool((w.change["oa"]["resilience_score"] >= -1e-12).all())
    True
    """
    if not 2 <= n_waves <= len(WAVE_PREFIXES):
        raise ConfigError(f"n_waves must be 2 to {len(WAVE_PREFIXES)}; got {n_waves}.")
    if borough.prefix != WAVE_PREFIXES[0]:
        raise ConfigError(
            f"The borough's survey must be wave 6 (prefix 'f_'); got {borough.prefix!r}."
        )
    rng = np.random.default_rng(borough.seed + 1 if seed is None else seed)
    base = _subgroup_table(borough.truth.category_shares)
    counts = borough.oa["supergroup"].astype(str).str.lower().value_counts()
    moved = [str(s) for s in counts.index[1::2][:n_moved]]
    tables = [base] + [_shifted(base, moved, shift * t) for t in range(1, n_waves)]
    drawn = _draw_waves(rng, tables, len(borough.survey))
    first, first_truth = drawn[0]
    borough = replace(
        borough,
        survey=first,
        truth=replace(borough.truth, respondent_cluster=first_truth.rename("true_cluster")),
    )
    surveys = [("wave 6", WAVE_PREFIXES[0], first)]
    respondents = [borough.truth.respondent_cluster]
    for t, (pool, pool_truth) in enumerate(drawn[1:], start=1):
        kept, clusters = _followed_up(
            rng, first, first_truth, base, tables[t], round(panel * len(pool))
        )
        survey, truth = _panel(rng, pool, pool_truth, kept, clusters, WAVE_PREFIXES[t])
        surveys.append((f"wave {3 * t + 6}", WAVE_PREFIXES[t], survey))
        respondents.append(truth.rename("true_cluster"))
    areas_first, areas_last = _area_truth(borough, base), _area_truth(borough, tables[-1])
    change = {level: areas_last[level] - areas_first[level] for level in areas_first}
    truths = [_category_truth(t) for t in tables]
    cat = truths[-1][share_columns()] - truths[0][share_columns()]
    cat["resilience_score"] = resilience_score(cat)
    change["category"] = cat
    return SyntheticWaves(borough, surveys, truths, moved, change, respondents)
