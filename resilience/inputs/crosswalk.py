"""Carrying estimates across OA vintages with the ONS 2011 ↔ 2021 lookups.

The survey's classification codes (OAC 2011 in Understanding Society) and the council's
geography (2021 OAs) often differ in vintage. The ONS exact-fit lookup links each 2011
OA to 2021 OAs with a change indicator: U unchanged, S split, M merged, X irregular.
:func:`crosswalk_matrix` turns it into weights from source to target areas:

* a target linked to one source inherits it (U, and the children of an S split going
  2011 → 2021; the parts of an M merge going 2021 → 2011);
* a target linked to several sources takes their population-weighted mix (an M merge
  going 2011 → 2021; the parent of an S split going 2021 → 2011);
* an X target uses its best-fit row — the linked source with the largest population
  (the first in code order when populations are unknown) — and is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from ..errors import CodeMatchError, InputDataError, format_examples
from ._io import read_table, require_columns
from .codes import normalise_codes

__all__ = ["Crosswalk", "crosswalk_matrix", "read_crosswalk"]

_CHANGE_COLUMNS = ("chngind", "chgind", "change", "change_indicator")


@dataclass
class Crosswalk:
    """Weights from source areas to target areas, with the change kind of each target.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix of shape (n_targets, n_sources)
        Rows sum to 1.
    targets, sources : Index
        Codes of the rows and columns.
    change : Series
        ``U``, ``S``, ``M`` or ``X`` per target.
    counts : dict
        Number of targets of each kind.
    """

    matrix: sparse.csr_matrix
    targets: pd.Index
    sources: pd.Index
    change: pd.Series
    counts: dict[str, int] = field(default_factory=dict)

    def __repr__(self) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        return f"<Crosswalk {len(self.sources)} → {len(self.targets)} areas ({kinds})>"


def read_crosswalk(
    path: str | Path,
    *,
    source: str,
    target: str,
    change: str | None = None,
) -> pd.DataFrame:
    """Read an ONS OA (or LSOA) 2011 ↔ 2021 lookup.

    Parameters
    ----------
    path : str or Path
        CSV or Excel lookup as published (``OA11CD, CHNGIND, OA21CD, …``).
    source, target : str
        Code columns of the vintage the classification is on and of the vintage of the
        areas (e.g. ``"OA11CD"`` and ``"OA21CD"``), any case.
    change : str, optional
        Change-indicator column; found automatically (``CHNGIND`` in the OA lookup,
        ``CHGIND`` in the LSOA lookup).

    Returns
    -------
    DataFrame
        Columns ``source``, ``target`` and ``change`` (U/S/M/X), one row per link.
    """
    df = read_table(path, role="vintage lookup")
    lower = {c.lower(): c for c in df.columns}
    cols = {}
    for role, name in (("source", source), ("target", target)):
        if name.lower() not in lower:
            require_columns(df, [name], path=path, role="vintage lookup")
        cols[role] = lower[name.lower()]
    if change is None:
        found = [lower[c] for c in _CHANGE_COLUMNS if c in lower]
        if not found:
            raise InputDataError(
                f"The vintage lookup '{path}' has no change-indicator column (CHNGIND or "
                f"CHGIND); its columns are {format_examples(list(df.columns), 12)}. Name it with "
                "change = '...'."
            )
        cols["change"] = found[0]
    else:
        if change.lower() not in lower:
            require_columns(df, [change], path=path, role="vintage lookup")
        cols["change"] = lower[change.lower()]
    out = pd.DataFrame(
        {
            "source": normalise_codes(df[cols["source"]]),
            "target": normalise_codes(df[cols["target"]]),
            "change": df[cols["change"]].astype("string").str.strip().str.upper(),
        }
    )
    bad = out.loc[~out["change"].isin(["U", "S", "M", "X"]), "change"].unique()
    if len(bad):
        raise InputDataError(
            f"The change indicator of '{path}' must be U, S, M or X; found "
            f"{format_examples(list(bad))}."
        )
    return out.dropna(subset=["source", "target"]).drop_duplicates(["source", "target"])


def crosswalk_matrix(
    links: pd.DataFrame,
    targets: pd.Index,
    sources: pd.Index,
    population: pd.Series | None = None,
) -> Crosswalk:
    """Weights from ``sources`` to ``targets`` following the rules of the module docstring.

    Parameters
    ----------
    links : DataFrame
        ``source``, ``target``, ``change`` as from :func:`read_crosswalk`.
    targets : Index
        Target area codes (e.g. the 2021 OAs of the boundaries), in output order.
    sources : Index
        Source area codes (e.g. the 2011 OAs of the classification), in column order.
    population : Series, optional
        Population of the source areas, for mixes and best-fit choices.

    Raises
    ------
    CodeMatchError
        When target areas have no link to any known source.
    """
    src_pos = pd.Series(np.arange(len(sources)), index=sources)
    lk = links[links["target"].isin(targets) & links["source"].isin(sources)]
    missing = targets.difference(pd.Index(lk["target"].unique()))
    if len(missing):
        raise CodeMatchError(
            f"{len(missing)} of {len(targets)} areas have no row in the vintage lookup linking "
            f"them to a classified area, e.g. {format_examples(list(missing))}. Check that the "
            "lookup runs between the classification's OA vintage and the boundaries' vintage."
        )
    pop = (
        population.reindex(sources).fillna(0.0).astype(float)
        if population is not None
        else pd.Series(1.0, index=sources)
    )
    rows, cols, vals = [], [], []
    change = pd.Series("U", index=targets, name="vintage_change")
    tgt_pos = pd.Series(np.arange(len(targets)), index=targets)
    for tgt, grp in lk.groupby("target", sort=False):
        i = int(tgt_pos[tgt])
        kinds = set(grp["change"])
        srcs = grp["source"].to_numpy()
        kind = "X" if "X" in kinds else ("M" if "M" in kinds else ("S" if "S" in kinds else "U"))
        if kind == "X":
            p = pop.reindex(srcs).to_numpy()
            order = np.lexsort((srcs, -p))
            srcs, w = srcs[order[:1]], np.array([1.0])
        elif len(srcs) > 1:
            p = pop.reindex(srcs).to_numpy()
            w = p / p.sum() if p.sum() > 0 else np.full(len(srcs), 1.0 / len(srcs))
        else:
            w = np.array([1.0])
        change.iloc[i] = kind
        rows += [i] * len(srcs)
        cols += list(src_pos[srcs].to_numpy())
        vals += list(w)
    matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(len(targets), len(sources)))
    counts = {k: int((change == k).sum()) for k in ("U", "S", "M", "X")}
    return Crosswalk(matrix, targets, sources, change, counts)
