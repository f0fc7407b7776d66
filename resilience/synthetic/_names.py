"""Names for synthetic areas: ONS-style LSOA names and invented ward names."""

from __future__ import annotations

import string

import numpy as np

from ._geometry import _bisect

__all__ = ["lsoa_names", "ward_names"]

_FIRST = (
    "Abbey", "Ash", "Beacon", "Bridge", "Brook", "Castle", "Cedar", "Church", "Clay", "Elm",
    "Fair", "Ferry", "Forest", "Glebe", "Grange", "Hawthorn", "Heath", "Holly", "Kings",
    "Lark", "Linden", "Manor", "Marsh", "Mill", "Moor", "Oak", "Orchard", "Priory",
    "Queens", "Rectory", "River", "Rose", "St Anne's", "St Mary's", "Stone", "Tanners",
    "Vicarage", "Well", "Willow", "Wood",
)  # fmt: skip
_SECOND = (
    "", " Green", " Park", " Hill", " Vale", " Common", " Fields", " Cross", " End",
    " Gate", " Meadow", " Rise",
)  # fmt: skip


def ward_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct invented ward names."""
    combos = [a + b for a in _FIRST for b in _SECOND]
    picks = rng.permutation(len(combos))
    names = [combos[i] for i in picks[: min(n, len(combos))]]
    k = 2
    while len(names) < n:  # very large areas: reuse with a district number
        names += [f"{combos[i]} {k}" for i in picks[: min(n - len(names), len(combos))]]
        k += 1
    return np.asarray(names, dtype=object)


def lsoa_names(
    rng: np.random.Generator, lsoa_xy: np.ndarray, borough: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ONS-style LSOA names ``"<Borough> 001A"``.

    LSOAs are grouped into MSOAs of about five, numbered from north to south as ONS
    does, and lettered west to east within each MSOA. Returns (name of each LSOA, LSOA
    indices in name order, MSOA number - 1 of each LSOA).
    """
    n = len(lsoa_xy)
    n_msoa = max(1, n // 5)
    groups = _bisect(rng, lsoa_xy, np.ones(n), n_msoa, min_size=1, jitter=0.1)
    msoa_y = np.array([lsoa_xy[groups == g, 1].mean() for g in range(n_msoa)])
    msoa_number = np.empty(n_msoa, dtype=np.int64)
    msoa_number[np.argsort(-msoa_y, kind="stable")] = np.arange(n_msoa)
    msoa_of = msoa_number[groups]
    order = np.lexsort((lsoa_xy[:, 0], msoa_of))
    names = np.empty(n, dtype=object)
    seen: dict[int, int] = {}
    for i in order:
        m = int(msoa_of[i])
        j = seen.get(m, 0)
        seen[m] = j + 1
        letters = string.ascii_uppercase
        suffix = letters[j] if j < 26 else letters[j // 26 - 1] + letters[j % 26]
        names[i] = f"{borough} {m + 1:03d}{suffix}"
    return names, order, msoa_of
