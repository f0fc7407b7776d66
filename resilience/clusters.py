"""The six resilience clusters: keys, labels, profiles and the resilience score.

The keys and their order are fixed and are used
in every column name (``share_<key>``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "ASSETS",
    "CLUSTERS",
    "CLUSTER_KEYS",
    "CONSTRUCTS",
    "PROFILE_MATRIX",
    "VULNERABILITIES",
    "Cluster",
    "label",
    "resilience_score",
    "share_columns",
]

#: The five constructs measured by the default item set, in a fixed order.
CONSTRUCTS: tuple[str, ...] = ("wellbeing", "belonging", "solidarity", "capability", "stress")


@dataclass(frozen=True)
class Cluster:
    """One resilience cluster.

    Attributes
    ----------
    key : str
        Canonical key used in column names.
    label : str
        Human-readable label.
    description : str
        The profile in words, for reports and legends.
    asset : bool
        True for the three asset clusters, False for the three vulnerabilities.
    profile : dict
        Expected sign of the cluster centroid on each construct (+1 high, -1 low,
        0 not characteristic). Used to name fitted clusters by optimal assignment.
    """

    key: str
    label: str
    description: str
    asset: bool
    profile: dict[str, float]


CLUSTERS: tuple[Cluster, ...] = (
    Cluster(
        "low_wellbeing",
        "Low wellbeing",
        "low satisfaction with life, income and leisure time; worried about managing financially",
        False,
        {"wellbeing": -1.0},
    ),
    Cluster(
        "high_wellbeing",
        "High wellbeing",
        "high satisfaction with life, income and leisure time; managing well financially",
        True,
        {"wellbeing": 1.0},
    ),
    Cluster(
        "neighbourhood_support",
        "Neighbourhood support",
        "high social solidarity and a strong sense of belonging to the neighbourhood",
        True,
        {"belonging": 1.0, "solidarity": 1.0},
    ),
    Cluster(
        "isolation",
        "Isolation",
        "little sense of belonging and little contact or solidarity with neighbours",
        False,
        {"belonging": -1.0, "solidarity": -1.0},
    ),
    Cluster(
        "competence",
        "Competence",
        "feels capable and useful, copes with problems, little stress",
        True,
        {"capability": 1.0, "stress": -1.0},
    ),
    Cluster(
        "emotional_fragility",
        "Emotional fragility",
        "high stress, losing sleep and confidence, feels less capable",
        False,
        {"stress": 1.0, "capability": -1.0},
    ),
)

CLUSTER_KEYS: tuple[str, ...] = tuple(c.key for c in CLUSTERS)
ASSETS: tuple[str, ...] = tuple(c.key for c in CLUSTERS if c.asset)
VULNERABILITIES: tuple[str, ...] = tuple(c.key for c in CLUSTERS if not c.asset)

#: Clusters x constructs matrix of expected centroid signs.
PROFILE_MATRIX: pd.DataFrame = pd.DataFrame(
    [[c.profile.get(k, 0.0) for k in CONSTRUCTS] for c in CLUSTERS],
    index=pd.Index(CLUSTER_KEYS, name="cluster"),
    columns=pd.Index(CONSTRUCTS, name="construct"),
)

_LABELS = {c.key: c.label for c in CLUSTERS}


def label(key: str) -> str:
    """Return the readable label of a cluster key.

    Examples
    --------
    >>> label("neighbourhood_support")
    'Neighbourhood support'
    """
    return _LABELS[key]


def share_columns(suffix: str = "") -> list[str]:
    """Return the six ``share_<cluster>`` column names, optionally with a suffix.

    Examples
    --------
    >>> share_columns("_lo")[:2]
    ['share_low_wellbeing_lo', 'share_high_wellbeing_lo']
    """
    return [f"share_{k}{suffix}" for k in CLUSTER_KEYS]


def resilience_score(shares: np.ndarray | pd.DataFrame) -> np.ndarray | pd.Series:
    """Sum of asset shares minus sum of vulnerability shares (−1 … 1; higher = more resilient).

    Parameters
    ----------
    shares : ndarray of shape (..., 6) or DataFrame
        Shares in the order of :data:`CLUSTER_KEYS` (an array, whose last axis is the
        cluster), or a frame with the ``share_<cluster>`` columns.

    Examples
    --------
    >>> resilience_score(np.array([0.1, 0.3, 0.2, 0.1, 0.2, 0.1]))
    np.float64(0.4)
    """
    signs = np.array([1.0 if c.asset else -1.0 for c in CLUSTERS])
    if isinstance(shares, pd.DataFrame):
        return pd.Series(
            shares[share_columns()].to_numpy(dtype=float) @ signs,
            index=shares.index,
            name="resilience_score",
        )
    return np.asarray(shares, dtype=float) @ signs
