"""Prediction against hard data: quintiles, gaps, flags, confidence and reasons.

For every LSOA the survey-based predicted vulnerability (−``resilience_score``) and the
``hard_index`` are cut into quintiles within the study area (1 = least need, 5 = most).
``gap`` = predicted quintile − hard quintile; ``flag`` is ``predicted_worse`` when the gap is
at least ``quintile_gap`` (default 2), ``hard_worse`` when it is at most −``quintile_gap``,
else ``agree``. ``flag_confidence`` is the share of bootstrap replicates of the prediction
that give the same flag, and ``flag_strength`` grades the evidence: ``strong`` when a flagged
LSOA's confidence is at least ``min_confidence`` (``[compare] min_confidence``, default
0.8), ``possible`` when it is flagged with less confidence (or without replicates), ``none``
when it agrees. ``flag_reason`` says in words which hard indicators pull the two apart
most. :func:`shortlist` turns the result into the desk-review list (flags.csv), strong
flags first.

Examples
--------
>>> import pandas as pd
>>> codes = pd.Index([f"E0100000{i}" for i in range(10)], name="lsoa_code")
>>> score = pd.Series([0.5, 0.4, 0.3, 0.2, 0.1, 0.0, -0.1, -0.2, -0.3, -0.4], index=codes)
>>> hard = pd.DataFrame({"hard_index": [5, 1, 2, 3, 4, 6, 7, 8, 9, 0.0]}, index=codes)
>>> out = compare(score, hard)
>>> row = out.loc["E01000000"]
>>> int(row["predicted_quintile"]), int(row["hard_quintile"]), row["flag"]
(1, 3, 'hard_worse')
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from ..errors import ConfigError, DataQualityWarning, InputDataError, format_examples
from ..inputs._file7 import plain_name
from ..schema import (
    AGREE,
    COMPARE_COLUMNS,
    DISAGREE,
    FLAG_STRENGTHS,
    FLAGS,
    HARD_WORSE,
    PREDICTED_WORSE,
    SHORTLIST_COLUMNS,
)

__all__ = [
    "FLAGS",
    "FLAG_STRENGTHS",
    "compare",
    "flag_strength",
    "ntiles",
    "quintiles",
    "shortlist",
]
_STRONG = 1.0  # standard deviations apart for an indicator to be named as "much" different
_MAX_NAMED = 3


def _quintile_from_ranks(ranks: np.ndarray, n: int, k: int = 5) -> np.ndarray:
    """Quintile (1..k) of average ranks 1..n: ⌊k(r − 1)/n⌋ + 1, in exact integer arithmetic."""
    doubled = np.rint(2 * ranks).astype(np.int64)  # average ranks are multiples of 1/2
    return (k * (doubled - 2)) // (2 * n) + 1


def ntiles(values: pd.Series, k: int) -> pd.Series:
    """Groups 1..k of equal size within the given areas, by the rule of :func:`quintiles`.

    Examples
    --------
    >>> ntiles(pd.Series([3.0, 1.0, 2.0, None, 5.0, 4.0, 6.0]), 3).tolist()
    [2, 1, 1, <NA>, 3, 2, 3]
    """
    v = pd.to_numeric(pd.Series(values), errors="raise").astype(float)
    out = pd.Series(pd.NA, index=v.index, dtype="Int64", name=getattr(values, "name", None))
    ok = v.notna().to_numpy()
    n = int(ok.sum())
    if n:
        ranks = rankdata(v.to_numpy()[ok], method="average")
        out[ok] = _quintile_from_ranks(ranks, n, k)
    return out


def quintiles(values: pd.Series) -> pd.Series:
    """Quintiles within the given areas, 1 (lowest values) to 5 (highest).

    Rule: values are ranked from lowest to highest with tied values given their average
    rank (``rank(method="average")``), and the quintile is ⌊5(r − 1)/n⌋ + 1 for rank r
    of n non-missing values. Without ties the five groups are as equal as possible (their
    sizes differ by at most one; the larger groups are the lower quintiles). Tied values
    always share a quintile — the one their average rank falls in — so the result never
    depends on the order of the rows or on the area codes; the price is that a large tie
    can make one quintile bigger than the others. Missing values get a missing quintile.

    Parameters
    ----------
    values : Series
        Higher = more need (for vulnerability, pass −resilience_score).

    Returns
    -------
    Series of Int64, same index and name.

    Examples
    --------
    >>> quintiles(pd.Series([0.1, 0.2, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])).tolist()
    [1, 1, 1, 2, 3, 3, 4, 4, 5, 5]
    """
    return ntiles(values, 5)


def _flags(gap: np.ndarray, k: int) -> np.ndarray:
    return np.where(gap >= k, PREDICTED_WORSE, np.where(gap <= -k, HARD_WORSE, AGREE))


def _zscore(x: pd.Series) -> pd.Series:
    sd = float(x.std(ddof=0))
    return (x - x.mean()) / sd if sd else x * 0.0


def _indicator_columns(hard: pd.DataFrame) -> list[tuple[str, str]]:
    """(need column, plain-English name) of each indicator in a hard_index() frame."""
    meta = hard.attrs.get("indicators")
    if meta:
        return [(m["column"], m["name"]) for m in meta if m["column"] in hard.columns]
    cols = [c for c in hard.columns if str(c).endswith("_need")]
    return [
        (c, plain_name(c[: -len("_need")]) or c[: -len("_need")].replace("_", " ")) for c in cols
    ]


def _join_names(names: list[str]) -> str:
    """Names for a reason, strongest first, separated by semicolons.

    Names of the form "<word> deprivation" are collapsed into one part at the place of
    the first of them: ["income deprivation", "crime", "employment deprivation"] →
    "income and employment deprivation; crime".
    """
    suffix = " deprivation"
    simple = [n for n in names if n.endswith(suffix) and " " not in n[: -len(suffix)]]
    parts: list[str] = []
    for n in names:
        if n in simple and len(simple) > 1:
            if n == simple[0]:
                stems = [s[: -len(suffix)] for s in simple]
                parts.append(", ".join(stems[:-1]) + " and " + stems[-1] + suffix)
        else:
            parts.append(n)
    return "; ".join(parts)


def _reason(diffs: np.ndarray, names: Sequence[str], flag: str) -> str:
    """Words for one flagged LSOA from indicator − predicted differences (in SDs).

    Examples
    --------
    >>> _reason(np.array([0.4, 1.2, np.nan]), ["income", "crime", "housing"], "hard_worse")
    'hard data much higher than predicted: crime'
    """
    d = np.asarray(diffs, dtype=float)
    if flag == HARD_WORSE:
        keep, direction = d > 0, "higher"  # NaN compares False: left out
    else:
        keep, direction = d < 0, "lower"
    size = np.abs(d[keep])
    if not len(size):
        return f"hard data {direction} than predicted overall; no single indicator stands out"
    order = np.argsort(-size, kind="stable")  # largest first, ties in indicator order
    size, kept = size[order], np.asarray(names, dtype=object)[keep][order]
    strong = kept[size >= _STRONG]
    named = strong[:_MAX_NAMED] if len(strong) else kept[:1]
    much = "much " if len(strong) else ""
    return f"hard data {much}{direction} than predicted: {_join_names(list(named))}"


def flag_strength(flag: pd.Series, confidence: pd.Series, min_confidence: float = 0.8) -> pd.Series:
    """Strength of the evidence behind each flag: ``strong``, ``possible`` or ``none``.

    ``strong``: flagged and ``flag_confidence`` ≥ ``min_confidence``; ``possible``: flagged
    with lower (or unknown) confidence; ``none``: ``agree``. A missing flag stays missing.

    Examples
    --------
    >>> flag = pd.Series(["hard_worse", "predicted_worse", "agree", None])
    >>> conf = pd.Series([0.9, 0.5, 0.95, float("nan")])
    >>> flag_strength(flag, conf).tolist()
    ['strong', 'possible', 'none', nan]
    """
    if isinstance(min_confidence, bool) or not 0 <= float(min_confidence) <= 1:
        raise ConfigError(f"min_confidence must be between 0 and 1; got {min_confidence!r}.")
    flagged = flag.isin(DISAGREE).fillna(False).to_numpy()
    sure = (pd.to_numeric(confidence, errors="coerce") >= min_confidence).fillna(False)
    strong, possible, none = FLAG_STRENGTHS
    out = np.where(flagged, np.where(sure.to_numpy(), strong, possible), none)
    return pd.Series(out, index=flag.index, name="flag_strength").where(flag.notna())


def compare(
    predicted_score: pd.Series,
    hard: pd.DataFrame,
    *,
    score_replicates: np.ndarray | None = None,
    quintile_gap: int = 2,
    min_confidence: float = 0.8,
) -> pd.DataFrame:
    """Compare predicted vulnerability with ``hard_index`` for every LSOA and flag gaps.

    Parameters
    ----------
    predicted_score : Series
        ``resilience_score`` per LSOA (higher = more resilient), indexed by LSOA code.
        Predicted vulnerability is its negative.
    hard : DataFrame
        The output of :func:`resilience.compare.hard_index.hard_index` (``hard_index`` and the
        ``<slug>_need`` indicator columns), indexed by LSOA code.
    score_replicates : ndarray of shape (n_boot, n_lsoa), optional
        Bootstrap replicates of ``resilience_score``, columns aligned with
        ``predicted_score.index``.
    quintile_gap : int, default=2
        Smallest quintile difference that counts as disagreement (1–4).
    min_confidence : float, default=0.8
        Smallest ``flag_confidence`` of a ``strong`` flag (0–1).

    Returns
    -------
    DataFrame indexed like ``predicted_score`` with:

    - ``predicted_quintile``, ``hard_quintile``: 1 (least need) … 5 (most), computed
      with :func:`quintiles` over the LSOAs that have both a prediction and a
      ``hard_index`` (so both rank the same set of areas);
    - ``gap``: predicted − hard quintile;
    - ``flag``: ``predicted_worse`` (gap ≥ quintile_gap), ``hard_worse``
      (gap ≤ −quintile_gap) or ``agree``;
    - ``flag_confidence``: share of the replicates whose own predicted quintiles (cut
      afresh within each replicate) give the same flag against the same hard quintile;
      NaN without replicates;
    - ``flag_strength``: ``strong``, ``possible`` or ``none`` (:func:`flag_strength`);
    - ``flag_reason``: for flagged LSOAs, the one to three hard indicators that pull the
      two apart most. Each aligned indicator and the predicted vulnerability are
      standardised over the compared LSOAs; for ``hard_worse`` the indicators furthest
      above the prediction are named, for ``predicted_worse`` those furthest below,
      "much" meaning at least one standard deviation apart, e.g. "hard data much higher
      than predicted: income and employment deprivation; health deprivation and
      disability". ``agree`` rows have an empty reason (the flag says it all).

    LSOAs missing a prediction or a ``hard_index`` get missing quintiles, gap and flag,
    and a reason saying what is missing.
    """
    if isinstance(quintile_gap, bool) or not isinstance(quintile_gap, (int, np.integer)):
        raise ConfigError(f"quintile_gap must be a whole number from 1 to 4; got {quintile_gap!r}.")
    if not 1 <= quintile_gap <= 4:
        raise ConfigError(f"quintile_gap must be from 1 to 4; got {quintile_gap}.")
    if "hard_index" not in hard.columns:
        raise InputDataError(
            "compare() needs the hard_index column (the output of resilience.compare.hard_index); "
            f"got columns {format_examples(list(hard.columns))}."
        )
    score = pd.to_numeric(pd.Series(predicted_score), errors="raise").astype(float)
    if score.index.has_duplicates:
        dup = score.index[score.index.duplicated()].unique().tolist()
        raise InputDataError(f"predicted_score has duplicate LSOA codes: {format_examples(dup)}.")
    absent = score.index.difference(hard.index)
    if len(absent):
        warnings.warn(
            f"{len(absent)} LSOA(s) with a prediction have no row in the hard index, e.g. "
            f"{format_examples(absent.tolist())}; they get no flag.",
            DataQualityWarning,
            stacklevel=2,
        )
    outside = hard.index.difference(score.index)
    if len(outside):
        warnings.warn(
            f"{len(outside)} LSOA(s) in the hard index have no prediction and are left out, "
            f"e.g. {format_examples(outside.tolist())}.",
            DataQualityWarning,
            stacklevel=2,
        )
    h = hard.reindex(score.index)
    hidx = pd.to_numeric(h["hard_index"], errors="raise").astype(float)
    both = (score.notna() & hidx.notna()).to_numpy()
    n = int(both.sum())
    if 0 < n < 10:
        warnings.warn(
            f"Only {n} LSOAs can be compared; quintiles of so few areas are coarse.",
            DataQualityWarning,
            stacklevel=2,
        )

    vuln = -score
    pq = quintiles(vuln.where(both))
    hq = quintiles(hidx.where(both))
    gap = (pq - hq).astype("Int64")
    flag = pd.Series(np.nan, index=score.index, dtype="str")
    if n:
        flag[both] = _flags(gap[both].to_numpy(dtype=np.int64), quintile_gap)

    confidence = pd.Series(np.nan, index=score.index)
    if score_replicates is not None:
        confidence[both] = _confidence(
            score_replicates,
            len(score),
            both,
            hq[both].to_numpy(dtype=np.int64),
            flag[both].to_numpy(dtype=object),
            quintile_gap,
        )

    reason = pd.Series("", index=score.index, dtype="str")
    reason[score.isna()] = "no prediction for this LSOA"
    reason[hidx.isna()] = "no hard data for this LSOA"
    flagged = both & flag.isin(DISAGREE).fillna(False).to_numpy()
    if flagged.any():
        cols = _indicator_columns(h)
        zv = _zscore(vuln[both])
        diffs = pd.DataFrame(
            {name: _zscore(h.loc[both, col].astype(float)) - zv for col, name in cols},
            index=zv.index,
        )
        rows = diffs.index.get_indexer(score.index[flagged])
        values, names = diffs.to_numpy(dtype=float), list(diffs.columns)
        reason[flagged] = [
            _reason(values[r], names, f)
            for r, f in zip(rows, flag[flagged].to_numpy(), strict=True)
        ]

    strength = flag_strength(flag.where(both), confidence, min_confidence)
    values = (pq, hq, gap, flag, confidence, strength, reason)
    return pd.DataFrame(dict(zip(COMPARE_COLUMNS, values, strict=True)), index=score.index)


def _confidence(
    replicates: np.ndarray,
    n_lsoa: int,
    both: np.ndarray,
    hard_q: np.ndarray,
    flag: np.ndarray,
    k: int,
) -> np.ndarray:
    reps = np.asarray(replicates, dtype=float)
    if reps.ndim != 2 or reps.shape[1] != n_lsoa:
        raise InputDataError(
            f"score_replicates must have shape (n_boot, {n_lsoa}) — one column per LSOA of "
            f"predicted_score, in the same order; got shape {reps.shape}."
        )
    sub = -reps[:, both]
    n = sub.shape[1]
    finite = np.isfinite(sub).all(axis=1)
    if not finite.all():
        raise InputDataError(
            f"{int((~finite).sum())} of {len(reps)} score replicates have missing values for "
            "LSOAs that are compared; replicates must be complete where the score is."
        )
    ranks = rankdata(sub, method="average", axis=1)
    rep_q = _quintile_from_ranks(ranks, n)
    rep_flag = _flags(rep_q - hard_q[None, :], k)
    return (rep_flag == flag[None, :]).mean(axis=0)


def shortlist(lsoa: pd.DataFrame) -> pd.DataFrame:
    """The desk-review list: strong flags, then possible ones; most certain and largest gaps first.

    Parameters
    ----------
    lsoa : DataFrame
        LSOA table with ``lsoa_code`` (column or index name), the :func:`compare`
        columns, and optionally ``lsoa_name``, ``ward_code``, ``ward_name``.

    Returns
    -------
    DataFrame
        Rows flagged ``predicted_worse`` or ``hard_worse``: ``strong`` flags first, then
        ``possible`` ones (when ``flag_strength`` is present), each ordered by
        ``flag_confidence`` (highest first; missing last), then the size of ``gap``
        (largest first), then ``lsoa_code``; columns ``lsoa_code, lsoa_name, ward_code,
        ward_name`` (those present), ``flag, flag_strength`` (when present),
        ``predicted_quintile, hard_quintile, gap, flag_confidence, flag_reason``; a fresh
        0-based index. This is flags.csv.
    """
    df = pd.DataFrame(lsoa).copy()
    if "geometry" in df.columns:
        df = df.drop(columns="geometry")
    if "lsoa_code" not in df.columns:
        if df.index.name != "lsoa_code":
            raise InputDataError(
                "shortlist() needs an lsoa_code column or index; got columns "
                f"{format_examples(list(df.columns))}."
            )
        df = df.reset_index()
    needed = [
        c
        for c in SHORTLIST_COLUMNS
        if c in COMPARE_COLUMNS and (c != "flag_strength" or c in df.columns)
    ]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise InputDataError(
            f"shortlist() needs the compare() columns; missing {format_examples(missing)}."
        )
    df = df[df["flag"].isin(DISAGREE).fillna(False).to_numpy()]
    rank = {s: i for i, s in enumerate(FLAG_STRENGTHS)}
    df = df.assign(
        _strength=df["flag_strength"].map(rank).fillna(len(rank))
        if "flag_strength" in df.columns
        else 0,
        _conf=pd.to_numeric(df["flag_confidence"]).fillna(-1.0),
        _abs=pd.to_numeric(df["gap"]).abs(),
    ).sort_values(
        ["_strength", "_conf", "_abs", "lsoa_code"],
        ascending=[True, False, False, True],
        kind="mergesort",
    )
    ident = [c for c in SHORTLIST_COLUMNS if c not in COMPARE_COLUMNS and c in df.columns]
    return df[ident + needed].reset_index(drop=True)
