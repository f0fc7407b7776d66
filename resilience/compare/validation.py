"""The prediction checked against the council's own resident survey.

For each measure (an agree-share with its respondents, and the output column it should
track; ``-`` before the column for an inverse relation) over the areas both cover:

* the Pearson correlation between the survey share and the tracked column (its sign
  flipped for an inverse relation), with a Fisher-z interval: z = atanh(r), standard
  error 1/√(n − 3), interval tanh(z ± z₍α/2₎·se) (Fisher 1921; any textbook, e.g.
  Howell, *Statistical Methods for Psychology*, ch. 9);
* a calibration line, the least-squares fit of the survey share on the tracked value,
  which puts the prediction on the survey's scale;
* for every area, the difference between its survey share and the calibrated
  prediction, against the sampling error of both: the binomial standard error of the
  survey share, √(p̃(1 − p̃)/n) with p̃ = (np + ½)/(n + 1) so a share of 0 or 1 still has
  one, and the bootstrap interval of the prediction (``<column>_lo``/``_hi``, read as a
  normal interval at the run's level), scaled by the line's slope. An area *disagrees*
  when the difference is more than ``z₍α/2₎`` combined standard errors.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> codes = pd.Index([f"W{i:02d}" for i in range(30)])
>>> truth = pd.Series(rng.uniform(0.05, 0.3, 30), index=codes)
>>> pred = pd.DataFrame({"share_neighbourhood_support": truth,
...                      "share_neighbourhood_support_lo": truth - 0.02,
...                      "share_neighbourhood_support_hi": truth + 0.02})
>>> n = pd.Series(400, index=codes)
>>> survey = pd.DataFrame({"belong": rng.binomial(n, 0.3 + 2 * truth) / n, "belong_n": n})
>>> m = [{"column": "belong", "respondents": "belong_n",
...       "tracks": "share_neighbourhood_support"}]
>>> check = validate_against_survey(survey, pred, m)
>>> bool(check.summary.loc[0, "correlation"] > 0.9)
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..errors import ConfigError, format_examples
from ..schema import SURVEY_DISAGREEMENTS

__all__ = [
    "AREA_COLUMNS",
    "DISAGREEMENTS",
    "SurveyCheck",
    "fisher_interval",
    "validate_against_survey",
]

#: Values of ``disagreement``: beyond the sampling error of both either way, or within it.
DISAGREEMENTS: tuple[str, ...] = SURVEY_DISAGREEMENTS
_WITHIN = DISAGREEMENTS[2]

#: Columns of ``tables/validation.csv``, one row per measure and area.
AREA_COLUMNS: tuple[str, ...] = (
    "measure",
    "area_code",
    "tracks",
    "survey_share",
    "respondents",
    "survey_lo",
    "survey_hi",
    "predicted",
    "predicted_lo",
    "predicted_hi",
    "expected_share",
    "difference",
    "z",
    "disagreement",
)


@dataclass
class SurveyCheck:
    """The outcome of :func:`validate_against_survey`.

    Attributes
    ----------
    areas : DataFrame
        :data:`AREA_COLUMNS`; ``disagreement`` is one of :data:`DISAGREEMENTS`.
    summary : DataFrame
        One row per measure: ``measure``, ``tracks``, ``n_areas``, ``correlation``,
        ``correlation_lo``, ``correlation_hi``, ``intercept``, ``slope``,
        ``n_disagree``.
    interval : float
        The level of every interval.
    """

    areas: pd.DataFrame
    summary: pd.DataFrame
    interval: float


def fisher_interval(r: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Interval of a Pearson correlation by Fisher's z transform.

    Examples
    --------
    >>> [round(v, 3) for v in fisher_interval(0.5, 50)]
    [0.257, 0.683]
    """
    if n <= 3 or not np.isfinite(r):
        return float("nan"), float("nan")
    r = float(np.clip(r, -0.999999, 0.999999))
    z, se = np.arctanh(r), 1 / np.sqrt(n - 3)
    q = norm.ppf(0.5 + level / 2)
    return float(np.tanh(z - q * se)), float(np.tanh(z + q * se))


def validate_against_survey(
    survey: pd.DataFrame,
    predicted: pd.DataFrame,
    measures: Sequence[Mapping[str, Any]],
    *,
    interval: float = 0.9,
    level: float = 0.95,
) -> SurveyCheck:
    """Compare resident-survey agree-shares with the predicted columns they should track.

    Parameters
    ----------
    survey : DataFrame
        Shares (0–1) and respondents per measure, indexed by area code
        (:func:`~resilience.inputs.resident_survey.read_resident_survey`).
    predicted : DataFrame
        The ward or LSOA layer indexed by area code, with each tracked column and, when
        known, its ``_lo``/``_hi`` bootstrap interval.
    measures : sequence of mapping
        ``column``, ``respondents``, ``tracks`` (``-`` first for an inverse relation).
    interval : float, default=0.9
        Level of the prediction's ``_lo``/``_hi`` interval.
    level : float, default=0.95
        Level of the correlation interval and of the disagreement test.

    Returns
    -------
    SurveyCheck

    Raises
    ------
    ConfigError
        A tracked column is not an output column.
    """
    q_pred = norm.ppf(0.5 + interval / 2)
    q = norm.ppf(0.5 + level / 2)
    rows, summary = [], []
    for m in measures:
        track = m["tracks"].strip()
        sign = -1.0 if track.startswith("-") else 1.0
        col = track.lstrip("-").strip()
        if col not in predicted.columns:
            numeric = [c for c in predicted.columns if c.startswith(("share_", "resilience"))]
            raise ConfigError(
                f"'tracks' of measure {m['column']!r} in [validation.resident_survey] names "
                f"{col!r}, which is not an output column. Use one of "
                f"{format_examples(sorted(set(numeric)), 8)} (with '-' first for an inverse "
                "relation)."
            )
        both = survey.index.intersection(predicted.index)
        s = survey.loc[both, m["column"]].astype(float)
        n = survey.loc[both, m["respondents"]].astype(float)
        p = predicted.loc[both, col].astype(float)
        ok = s.notna() & n.notna() & p.notna()
        s, n, p = s[ok], n[ok], p[ok]
        lo = predicted.loc[s.index, f"{col}_lo"] if f"{col}_lo" in predicted else p * np.nan
        hi = predicted.loc[s.index, f"{col}_hi"] if f"{col}_hi" in predicted else p * np.nan
        se_p = ((hi - lo) / (2 * q_pred)).astype(float).fillna(0.0)
        x = sign * p
        r = float(np.corrcoef(s, x)[0, 1]) if len(s) > 2 and x.std() > 0 and s.std() > 0 else np.nan
        r_lo, r_hi = fisher_interval(r, len(s), level)
        slope, intercept = np.polyfit(x, s, 1) if len(s) > 1 and x.std() > 0 else (0.0, s.mean())
        expected = intercept + slope * x
        smooth = (s * n + 0.5) / (n + 1)
        se_s = np.sqrt(smooth * (1 - smooth) / n)
        se = np.sqrt(se_s**2 + (slope * se_p) ** 2)
        diff = s - expected
        z = diff / se
        words = np.where(z > q, DISAGREEMENTS[0], np.where(z < -q, DISAGREEMENTS[1], _WITHIN))
        rows.append(
            pd.DataFrame(
                {
                    "measure": m["column"],
                    "area_code": s.index,
                    "tracks": track,
                    "survey_share": s.to_numpy(),
                    "respondents": n.astype(int).to_numpy(),
                    "survey_lo": np.clip(s - q * se_s, 0, 1).to_numpy(),
                    "survey_hi": np.clip(s + q * se_s, 0, 1).to_numpy(),
                    "predicted": p.to_numpy(),
                    "predicted_lo": lo.to_numpy(dtype=float),
                    "predicted_hi": hi.to_numpy(dtype=float),
                    "expected_share": expected.to_numpy(),
                    "difference": diff.to_numpy(),
                    "z": z.to_numpy(),
                    "disagreement": words,
                }
            )
        )
        summary.append(
            {
                "measure": m["column"],
                "tracks": track,
                "n_areas": len(s),
                "correlation": r,
                "correlation_lo": r_lo,
                "correlation_hi": r_hi,
                "intercept": float(intercept),
                "slope": float(slope),
                "n_disagree": int((words != _WITHIN).sum()),
            }
        )
    areas = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=AREA_COLUMNS)
    return SurveyCheck(
        areas=areas[list(AREA_COLUMNS)], summary=pd.DataFrame(summary), interval=level
    )
