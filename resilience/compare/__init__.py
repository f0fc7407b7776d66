"""Prediction against reality: the hard-data index, the comparison and its flags, and
where disagreement clusters in space.

:mod:`~resilience.compare.hard_index` standardises the hard indicators and combines them
into ``hard_index``; :mod:`~resilience.compare.flags` cuts prediction and hard data into
quintiles within the study area and flags where they disagree;
:mod:`~resilience.compare.spatial` finds clusters of disagreement (local Moran's I).
"""

from __future__ import annotations

from .flags import FLAGS, compare, quintiles, shortlist
from .hard_index import hard_index
from .spatial import gap_clusters

__all__ = ["FLAGS", "compare", "gap_clusters", "hard_index", "quintiles", "shortlist"]
