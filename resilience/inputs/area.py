"""The study area: national or regional files cut to some local authorities or wards.

ONS publishes boundaries, lookups, the IMD and the Census for all of England and Wales.
``[area] lad = ["E09000018"]`` names the local authority districts to study and
``[area] wards = [...]`` a part of one. :func:`area_oas` finds the output areas inside
the area from the LAD column of the OA → LSOA → ward lookup (``LAD11CD``, ``LAD21CD``,
``LAD23CD`` …, found by pattern, the column holding most of the codes asked for) or,
without a lookup, of the OA boundaries; the wards come from the lookup's ward codes.
Every other input is then matched against the area's OAs and LSOAs only, so rows outside
it are counted (:func:`rows_inside`) and never reported as unmatched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import InputDataError, format_examples
from ._areacodes import detect_code_column, resolve_column
from ._io import file_label, read_table
from .codes import code_column_candidates, normalise_codes

__all__ = ["StudyArea", "area_oas", "lad_of_oas", "rows_inside", "study_area"]

_ENTRY = "[area]"


@dataclass(frozen=True)
class StudyArea:
    """The local authorities (None: every one in the files) and wards (None: all) studied."""

    lad: tuple[str, ...] | None = None
    wards: tuple[str, ...] | None = None

    @property
    def cuts(self) -> bool:
        """True when the files are cut at all."""
        return self.lad is not None or self.wards is not None

    def describe(self) -> str:
        """The area in words, for the log.

        Examples
        --------
        >>> StudyArea(lad=("E09000002",)).describe()
        'local authority E09000002'
        """
        parts = []
        if self.lad:
            word = "local authority" if len(self.lad) == 1 else "local authorities"
            parts.append(f"{word} {', '.join(self.lad)}")
        if self.wards:
            parts.append(f"{len(self.wards)} ward(s) ({format_examples(self.wards, 3)})")
        return "; ".join(parts) or "every area in the files"


def study_area(section: dict[str, Any] | None) -> StudyArea:
    """The :class:`StudyArea` of a validated ``[area]`` section (``lad``, ``wards``).

    Examples
    --------
    >>> study_area({"lad": ["e09000002 "], "wards": None}).lad
    ('E09000002',)
    >>> study_area({"lad": "all", "wards": None}).cuts
    False
    """
    section = section or {}
    lad = section.get("lad")
    wards = section.get("wards")
    clean = lambda v: tuple(normalise_codes(pd.Series(list(v), dtype=str)).tolist())  # noqa: E731
    return StudyArea(
        lad=None if lad in (None, "all") else clean(lad),
        wards=None if not wards else clean(wards),
    )


def lad_of_oas(
    path: str, *, oa_column: str | None, lads: Iterable[str], role: str, layer: str | None = None
) -> pd.Series:
    """Local authority code of every OA of a lookup or OA boundary file.

    The LAD column is found by pattern (``LAD11CD`` … ``LAD24CD``, any case); when there
    are several (one per year), the one holding most of ``lads`` is used.

    Returns
    -------
    Series
        LAD codes indexed by OA code; ``attrs["column"]`` names the column used and
        ``attrs["names"]`` maps each LAD code to its name (from ``LAD21NM`` beside
        ``LAD21CD``; empty without a name column).

    Raises
    ------
    InputDataError
        When the file has no LAD column, or none of the codes asked for.
    """
    df = read_table(path, role=role, layer=layer)
    cols = list(df.columns)
    setting = "oa in the config's [geography] lookup entry"
    if oa_column:
        oa = resolve_column(cols, oa_column, path=path, role=role, setting=setting)
    else:
        oa = detect_code_column(cols, "oa", path=path, role=role, setting=f'oa = "..." ({_ENTRY})')
    found = code_column_candidates(cols, "lad")
    if not found:
        raise InputDataError(
            f"[area] lad needs the local authority of every OA, but the {role} file "
            f"{file_label(path)} has no LAD code column (LAD11CD, LAD21CD, LAD23CD …). Its "
            f"columns are: {format_examples(cols, 20)}. Use the ONS OA lookup that carries "
            'the LAD codes, or set lad = "all" and give files already cut to the area.'
        )
    wanted = set(lads)
    scores = {c: normalise_codes(df[c]).isin(wanted).sum() for c in found}
    column = max(found, key=lambda c: (scores[c], c))
    out = pd.Series(
        normalise_codes(df[column]).to_numpy(), index=normalise_codes(df[oa]).to_numpy()
    )
    out = out[~out.index.duplicated()]
    absent = sorted(wanted - set(out))
    if absent:
        have = sorted(set(out.dropna()))
        raise InputDataError(
            f"[area] lad names {format_examples(absent)}, not found in column {column!r} of the "
            f"{role} file {file_label(path)}, which holds {len(have)} local authorities, e.g. "
            f"{format_examples(have, 8)}. Use codes of the same LAD vintage as the file (LAD "
            "codes change when authorities merge)."
        )
    names = [c for c in cols if c.upper() == column.upper()[:-2] + "NM"]
    if names:  # LAD21NM beside LAD21CD: the authorities' names, by code
        by_code = pd.Series(df[names[0]].to_numpy(), index=normalise_codes(df[column]).to_numpy())
        names = by_code[~by_code.index.duplicated()].to_dict()
    out.attrs = {"column": column, "path": str(path), "names": names or {}}
    return out


def area_oas(area: StudyArea, lad: pd.Series | None, lookup: pd.DataFrame) -> pd.Index:
    """The OA codes inside ``area``.

    Parameters
    ----------
    area : StudyArea
    lad : Series or None
        LAD code by OA code (from :func:`lad_of_oas`); needed when ``area.lad`` is set.
    lookup : DataFrame
        The OA → LSOA → ward lookup indexed by OA code (``ward_code`` column).

    Raises
    ------
    InputDataError
        When a ward of ``area.wards`` is in no OA of the lookup (or of the authorities).

    Examples
    --------
    >>> lk = pd.DataFrame({"ward_code": ["E05000001", "E05000002", "E05000003"]},
    ...                   index=["E00000001", "E00000002", "E00000003"])
    >>> lad = pd.Series(["E09000001", "E09000001", "E09000002"], index=lk.index)
    >>> area_oas(StudyArea(lad=("E09000001",)), lad, lk).tolist()
    ['E00000001', 'E00000002']
    >>> area_oas(StudyArea(wards=("E05000003",)), None, lk).tolist()
    ['E00000003']
    """
    codes = pd.Index(lookup.index)
    if area.lad is not None:
        assert lad is not None, "the LAD of each OA is needed to cut by local authority"
        inside = lad.index[lad.isin(list(area.lad))]
        codes = codes[codes.isin(inside)]
    if area.wards is not None:
        wards = lookup.loc[codes, "ward_code"]
        absent = sorted(set(area.wards) - set(wards))
        if absent:
            have = sorted(set(wards))
            raise InputDataError(
                f"[area] wards names {format_examples(absent)}, which no OA of the "
                f"{'authorities named' if area.lad else 'lookup'} falls in (it has "
                f"{len(have)} wards, e.g. {format_examples(have, 6)}). Use ward codes of the "
                "same vintage as the lookup's ward column."
            )
        codes = codes[wards.isin(list(area.wards)).to_numpy()]
    return codes


def rows_inside(codes: Iterable[object], inside: Iterable[object]) -> tuple[int, int]:
    """How many of a file's ``codes`` fall inside the area (``inside``), and how many in all.

    Examples
    --------
    >>> rows_inside(["E01000001", "E01000002", "E01000003"], {"E01000002"})
    (1, 3)
    """
    s = pd.Index(list(codes))
    return int(s.isin(pd.Index(list(inside))).sum()), len(s)
