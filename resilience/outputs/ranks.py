"""The one rank rule of every output: rank 1 = the most need.

Ranks run the way the English Indices of Deprivation run (every neighbourhood "ranked
... from 1 (most deprived area)"; Ministry of Housing, Communities and Local
Government, *The English Indices of Deprivation 2019: Statistical release*, 2019):
rank 1 is the least resilient ward (the lowest resilience score), the ward with the
highest hard-data need index, the lowest share in an asset cluster and the highest share
in a vulnerability cluster. Tied values
share the better (lower) rank; areas without a figure have no rank. The report, the ward
maps and any table that shows a rank use :func:`need_rank` and say it in words with
:data:`RANK_RULE` or :func:`rank_note`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..clusters import CLUSTERS

__all__ = ["RANK_RULE", "higher_is_need", "need_rank", "rank_note"]

#: The rank rule in words, for a report or a table's notes.
RANK_RULE = (
    "Rank 1 = least resilient: the lowest resilience score, the most need (as in the "
    "Indices of Deprivation, where 1 = most deprived). Ties share a rank."
)

_DIRECTION = {
    "resilience_score": False,
    "hard_index": True,
    **{f"share_{c.key}": not c.asset for c in CLUSTERS},
}
_NOTE = {
    "resilience_score": "1 = least resilient",
    "hard_index": "1 = most need",
    **{f"share_{c.key}": "1 = lowest share" if c.asset else "1 = highest share" for c in CLUSTERS},
}


def higher_is_need(column: str) -> bool | None:
    """Whether a higher value of ``column`` means more need (None: not ranked).

    Examples
    --------
    >>> higher_is_need("resilience_score"), higher_is_need("hard_index")
    (False, True)
    >>> higher_is_need("population") is None
    True
    """
    return _DIRECTION.get(column)


def rank_note(column: str) -> str:
    """What rank 1 means for ``column``, in words, to show beside its ranks.

    Examples
    --------
    >>> rank_note("resilience_score")
    '1 = least resilient'
    """
    return _NOTE[column]


def need_rank(values: pd.Series | np.ndarray, column: str) -> np.ndarray:
    """Rank of each value by need: 1 = most need (see :data:`RANK_RULE`).

    Ties share the lower rank (``method="min"``); missing values get NaN.

    Parameters
    ----------
    values : Series or array
        One value per area.
    column : str
        The measure, which fixes the direction: ``resilience_score``, ``hard_index`` or a
        cluster share ``share_<key>``.

    Returns
    -------
    ndarray of float

    Raises
    ------
    KeyError
        ``column`` is not a ranked measure.

    Examples
    --------
    >>> need_rank([0.1, -0.3, 0.1, None], "resilience_score").tolist()
    [2.0, 1.0, 2.0, nan]
    >>> need_rank([0.5, 1.2, -0.4], "hard_index").tolist()
    [2.0, 1.0, 3.0]
    """
    if column not in _DIRECTION:
        raise KeyError(f"{column!r} is not ranked; ranked measures: {sorted(_DIRECTION)}")
    v = pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce")
    return v.rank(ascending=not _DIRECTION[column], method="min").to_numpy(dtype=float)
