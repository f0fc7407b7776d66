"""Splitting a synthetic area into local authorities: groups of neighbouring wards."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._hard import file7_columns

if TYPE_CHECKING:
    from . import SyntheticBorough

__all__ = ["split_authorities"]


def split_authorities(b: SyntheticBorough, n: int) -> SyntheticBorough:
    """Give the wards of ``b`` to ``n`` synthetic local authorities (in place; returns ``b``).

    The wards are cut into ``n`` groups of neighbouring wards (strips north to south,
    each cut west to east), so that each authority is a compact block of whole wards and
    the LSOAs and OAs (which nest in the wards) nest in the authorities, as they do in
    England and Wales. ``b.ward`` gains ``lad_code`` (``E06000001`` …) and ``lad_name``;
    the written lookup, ward boundaries and File 7 carry them.

    Examples
    --------
    >>> from resilience.synthetic import make_borough
    >>> b = split_authorities(make_borough(seed=0), 3)
    >>> b.ward["lad_code"].value_counts().sort_index().tolist()
    [7, 6, 7]
    """
    if not 1 <= n <= len(b.ward):
        raise ValueError(f"n must be between 1 and the number of wards ({len(b.ward)}); got {n}.")
    points = b.ward.geometry.representative_point()
    x, y = points.x.to_numpy(), points.y.to_numpy()
    rows = max(1, round(np.sqrt(n)))
    group = np.empty(len(b.ward), dtype=int)
    next_id = 0
    # strips north to south, each with as many wards as its authorities' share
    per_row = np.array_split(np.arange(n), rows)
    cuts = np.round(np.cumsum([len(ids) for ids in per_row])[:-1] * len(b.ward) / n)
    wards_per_row = np.split(np.argsort(-y, kind="stable"), cuts.astype(int))
    for ids, strip in zip(per_row, wards_per_row, strict=True):
        for part in np.array_split(strip[np.argsort(x[strip], kind="stable")], len(ids)):
            group[part] = next_id
            next_id += 1
    codes = np.array([f"E06{i + 1:06d}" for i in range(n)])
    names = np.array([f"{b.name} {i + 1}" for i in range(n)])
    b.ward["lad_code"] = codes[group]
    b.ward["lad_name"] = names[group]
    cols = file7_columns(b.vintage)
    ward_lad = b.ward.set_index("ward_code")[["lad_code", "lad_name"]]
    lsoa_lad = ward_lad.reindex(b.lsoa.set_index("lsoa_code")["ward_code"])
    lsoa_lad.index = b.lsoa["lsoa_code"].to_numpy()
    b.hard[cols["lad_code"]] = lsoa_lad["lad_code"].reindex(b.hard[cols["code"]]).to_numpy()
    b.hard[cols["lad_name"]] = lsoa_lad["lad_name"].reindex(b.hard[cols["code"]]).to_numpy()
    return b
