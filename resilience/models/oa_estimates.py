"""From category estimates to every output area: the OA → classification step.

Each OA takes the estimate of its classification category (or of the nearest ancestor
with an estimate of its own). When the classification is on another OA vintage than the
boundaries, the ONS vintage lookup (:class:`~resilience.inputs.crosswalk.Crosswalk`)
carries the estimates across: an OA made of several classification OAs takes their
population-weighted mix, and its ``estimate_level`` and codes are those of its best-fit
classification OA.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from scipy import sparse

from ..inputs.crosswalk import Crosswalk
from .area_estimator import AreaEstimator

__all__ = ["OaEstimates", "estimate_oas"]


@dataclass
class OaEstimates:
    """Cluster shares of every OA and how they were made.

    Attributes
    ----------
    table : DataFrame
        Indexed by ``oa_code``: ``share_<cluster>`` with ``_lo``/``_hi``,
        ``dominant_cluster``, ``resilience_score`` with its interval, ``estimate_level``
        (named by the classification's own level names), ``estimate_category`` and, with a
        vintage lookup, ``vintage_change``.
    membership : scipy.sparse.csr_matrix
        OAs x categories of the estimator: the weight of each category's estimate in each
        OA (one 1 per row without a vintage lookup). With the estimator's replicates it
        gives every OA's bootstrap replicates.
    codes : DataFrame
        The classification codes of each OA, one column per survey level.
    """

    table: pd.DataFrame
    membership: sparse.csr_matrix
    codes: pd.DataFrame

    def __repr__(self) -> str:
        levels = self.table["estimate_level"].value_counts().to_dict()
        return f"<OaEstimates: {len(self.table):,} OAs; estimate levels {levels}>"


def estimate_oas(
    estimator: AreaEstimator,
    classification: pd.DataFrame,
    oa_codes: pd.Index,
    *,
    crosswalk: Crosswalk | None = None,
    level_names: Mapping[str, str] | None = None,
) -> OaEstimates:
    """Cluster shares with intervals for the OAs ``oa_codes``.

    Parameters
    ----------
    estimator : AreaEstimator
        Fitted.
    classification : DataFrame
        Classification codes indexed by OA code (the classification's OA vintage), one
        column per level of the estimator.
    oa_codes : Index
        The study area's OAs (the boundaries' vintage).
    crosswalk : Crosswalk, optional
        Weights from the classification's OAs to ``oa_codes`` when the vintages differ.
    level_names : mapping, optional
        Estimator level → the name written in ``estimate_level`` (the classification's
        own level names); levels not in it keep their name.

    Returns
    -------
    OaEstimates

    Examples
    --------
    >>> import numpy as np
    >>> from resilience.clusters import CLUSTER_KEYS
    >>> rng = np.random.default_rng(0)
    >>> survey = pd.DataFrame({"sg": rng.choice(["1", "2"], 300), "weight": 1.0})
    >>> labels = pd.Series(rng.choice(CLUSTER_KEYS, 300))
    >>> est = AreaEstimator(["sg"], n_boot=0, random_state=0).fit(survey, labels)
    >>> cls = pd.DataFrame({"sg": ["1", "2", "2"]}, index=["E001", "E002", "E003"])
    >>> oa = estimate_oas(est, cls, pd.Index(["E003", "E001"]), level_names={"sg": "supergroup"})
    >>> oa.table["estimate_level"].tolist(), oa.membership.shape
    (['supergroup', 'supergroup'], (2, 3))
    """
    oa_codes = pd.Index(oa_codes, name="oa_code")
    if crosswalk is not None:
        m_src, info_src = estimator.membership(classification)
        membership = sparse.csr_matrix(crosswalk.matrix @ m_src)
        table = estimator.shares_from_membership(membership, oa_codes)
        best = crosswalk.matrix.argmax(axis=1).A1
        table = table.join(info_src.iloc[best].set_index(oa_codes))
        table["vintage_change"] = crosswalk.change.reindex(oa_codes).to_numpy()
        codes = classification.iloc[best].set_index(oa_codes)
    else:
        codes = classification.reindex(oa_codes)
        membership, info = estimator.membership(codes)
        table = estimator.shares_from_membership(membership, oa_codes).join(info)
    names = dict(level_names or {})
    table["estimate_level"] = table["estimate_level"].map(lambda v: names.get(v, v))
    return OaEstimates(table, membership, codes)
