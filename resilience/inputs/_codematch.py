"""Matching area codes of one input against the codes another input needs.

Codes that do not match are the most common real failure. Both matchers count the codes
found, the needed codes missing and the codes not needed, recognise the usual causes, say
how to fix each, stop when too many are missing (:class:`~resilience.errors.CodeMatchError`)
and warn below that; both return a :class:`MatchReport`.

- :func:`match_codes`: the LSOA codes of a hard-data table against the study area's
  LSOAs. Data codes outside the study area are never a failure: a national File 7 has
  some 33,000 rows and the study area a few hundred.
- :func:`check_join`: the joins between geography inputs (OAs in the lookup, the
  lookup's LSOAs and wards in the boundaries, OAs in the population and classification).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import CodeMatchError, ConfigError, DataQualityWarning, InputDataError
from ..errors import format_examples as _fmt
from .codes import detect_geography, normalise_codes

__all__ = ["LOOKUP_NAME", "MatchReport", "check_join", "match_codes"]

#: The official lookup for moving 2011-LSOA data onto 2021 LSOAs.
LOOKUP_NAME = (
    "ONS 'LSOA (2011) to LSOA (2021) to Local Authority District (2022) Exact Fit Lookup "
    "for EW (V2)'"
)
_N_EXAMPLES = 10
#: A table with at least this many distinct LSOAs is treated as national.
_NATIONAL_ROWS = 30_000
_NATIONAL_LADS = 100

_VINTAGE_FIX = (
    "Fix: put both on the same LSOA vintage. Either use the deprivation release published "
    "on your boundaries' vintage (IoD2019 is on 2011 LSOAs, IoD2025 on 2021 LSOAs), or move "
    f"the data across with the {LOOKUP_NAME} (columns LSOA11CD, CHGIND, LSOA21CD; on the "
    "ONS Open Geography Portal and data.gov.uk). Its change indicator CHGIND says how: "
    "U = unchanged, copy the value; S = split, give each 2021 LSOA its 2011 parent's score "
    "(share counts out by population); M = merged, take the population-weighted mean of "
    "the 2011 scores (add up counts); X = irregular, use the best-fit row and mark it."
)


@dataclass
class MatchReport:
    """How well the codes of a data table match the codes that need data.

    The "areas" side holds the codes that must be found (the study area's LSOAs, the
    OAs of the boundaries), the "data" side the codes available (a hard-data table, a
    lookup, a population file).

    Attributes
    ----------
    data_label, area_label : str
        How the two sides are named in messages.
    n_data, n_areas : int
        Distinct codes in the data and in the study area.
    n_matched : int
        Study-area codes found in the data.
    unmatched_in_data : list of str
        Data codes that are not in the study area (sorted). Expected for national data.
    unmatched_in_areas : list of str
        Study-area codes with no row in the data (sorted): these areas get no values.
    causes : list of str
        Plain-English diagnoses of the mismatch, each with its fix.
    max_unmatched : float
        Largest share of study-area codes allowed to have no data.
    national : bool
        Whether the data look national (≥ 30,000 LSOAs or ≥ 100 local authorities).
    what : str
        The geography of the codes, as named in messages (``"LSOA"``, ``"OA"``, ``"ward"``).
    """

    data_label: str
    area_label: str
    n_data: int
    n_areas: int
    n_matched: int
    unmatched_in_data: list[str] = field(default_factory=list)
    unmatched_in_areas: list[str] = field(default_factory=list)
    causes: list[str] = field(default_factory=list)
    max_unmatched: float = 0.05
    national: bool = False
    what: str = "LSOA"

    @property
    def share_unmatched(self) -> float:
        """Share of the study area's codes with no data."""
        return len(self.unmatched_in_areas) / self.n_areas if self.n_areas else 1.0

    @property
    def ok(self) -> bool:
        """True when the share without data is within ``max_unmatched``."""
        return self.share_unmatched <= self.max_unmatched

    def __str__(self) -> str:
        lines = [
            f"{self.what} codes of {self.data_label} against {self.area_label}:",
            f"  matched: {self.n_matched:,} of {self.n_areas:,} study-area {self.what}s "
            f"({self.n_matched / max(self.n_areas, 1):.1%})",
        ]
        if self.unmatched_in_areas:
            lines.append(
                f"  in the study area but not in the data: {len(self.unmatched_in_areas):,} "
                f"({self.share_unmatched:.1%}), e.g. "
                f"{_fmt(self.unmatched_in_areas, _N_EXAMPLES)}"
            )
        if self.unmatched_in_data:
            why = (
                "expected: the data are national"
                if self.national
                else "ignored; fine when the data cover a wider area"
            )
            lines.append(
                f"  in the data but not in the study area: {len(self.unmatched_in_data):,} "
                f"({why}), e.g. {_fmt(self.unmatched_in_data, _N_EXAMPLES)}"
            )
        if self.causes:
            lines.append("Likely cause:" if len(self.causes) == 1 else "Likely causes:")
            lines.extend(f"  {i}. {c}" for i, c in enumerate(self.causes, 1))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<MatchReport {self.n_matched}/{self.n_areas} matched, "
            f"{len(self.unmatched_in_areas)} study-area codes without data, "
            f"{len(self.unmatched_in_data)} data codes outside the study area>"
        )


def _unique_codes(codes: Iterable[object]) -> list[str]:
    s = normalise_codes(pd.Series(list(codes), dtype="object"))
    s = s[s.notna() & (s != "")]
    return list(dict.fromkeys(s.tolist()))


def _compare(
    data_codes: Iterable[object], area_codes: Iterable[object], **labels: Any
) -> tuple[MatchReport, list[str], list[str]]:
    """The report's counts (no causes yet), with the distinct data and area codes."""
    data = _unique_codes(data_codes)
    areas = _unique_codes(area_codes)
    data_set, area_set = set(data), set(areas)
    report = MatchReport(
        n_data=len(data),
        n_areas=len(areas),
        n_matched=len(area_set & data_set),
        unmatched_in_data=sorted(data_set - area_set),
        unmatched_in_areas=sorted(area_set - data_set),
        **labels,
    )
    return report, data, areas


def _lad_lookup(data_lad: Mapping[str, object] | pd.Series | None) -> dict[str, str]:
    if data_lad is None:
        return {}
    items = data_lad.items()
    out = {}
    for code, lad in items:
        if pd.isna(code) or pd.isna(lad):
            continue
        out[str(code).strip().upper()] = str(lad).strip()
    return out


def _diagnose(
    data: list[str],
    areas: list[str],
    matched: set[str],
    un_areas: list[str],
    un_data: list[str],
    *,
    data_label: str,
    lad_of: dict[str, str],
    national: bool,
    data_vintage: int | None,
    area_vintage: int | None,
    data_release: str | None,
) -> list[str]:
    causes: list[str] = []
    # wrong geography or broken codes
    for label, codes in ((data_label, data), ("the study area", areas)):
        geo = detect_geography(pd.Series(codes, dtype="object"))
        if geo["geography"] not in ("lsoa", None):
            causes.append(
                f"The codes of {label} look like {geo['geography'].upper()} codes, not LSOA "
                f"codes (E01…/W01…), e.g. {_fmt(codes[:5])}. Fix: point the code setting at "
                "the LSOA code column."
            )
        elif geo["invalid"]:
            causes.append(
                f"Some codes of {label} are not GSS codes (a letter and 8 digits), e.g. "
                f"{_fmt(geo['invalid'])}. Fix: look for lost leading letters or zeros, "
                "stray characters or spreadsheet number formats in that column."
            )
    if not un_areas:
        return causes

    # (b) Welsh LSOAs with an England-only table
    welsh = [c for c in un_areas if c.startswith("W01")]
    if welsh and not any(c.startswith("W") for c in data):
        source = f"; {data_release} covers" if data_release else "; the English IMD covers"
        causes.append(
            f"{len(welsh)} of the study area's LSOAs are Welsh (W01…, e.g. {_fmt(welsh)}) "
            f"and {data_label} has no Welsh LSOAs{source} England only. "
            "Fix: take deprivation for Welsh LSOAs from the Welsh Index of Multiple "
            "Deprivation (WIMD) as a separate table; its ranks are not comparable with the "
            "English IMD's, so compare only standardised values within the study area."
        )
    english_missing = [c for c in un_areas if not c.startswith("W01")]
    if not english_missing:
        return causes

    # (a) 2011 vs 2021 LSOA codes
    matched_lads = sorted({lad_of[c] for c in matched if c in lad_of})
    extra_same_lad = [c for c in un_data if lad_of.get(c) in set(matched_lads)]
    vintage_clash = bool(data_vintage and area_vintage and data_vintage != area_vintage)
    vintage_hint = vintage_clash or national or (bool(extra_same_lad) and bool(matched))
    if vintage_hint:
        if vintage_clash:
            why = (
                f"{data_label} is on {data_vintage} LSOAs but the study area's codes are "
                f"{area_vintage} LSOAs"
            )
        elif national:
            why = (
                f"{data_label} covers every LSOA in England for its vintage"
                f"{f' ({data_vintage})' if data_vintage else ''}, yet {len(english_missing)} "
                "study-area codes are not in it: they are LSOA codes of the other vintage "
                "(2011 vs 2021)"
            )
        else:
            why = (
                f"within {_fmt(matched_lads, 3)} the data have {len(extra_same_lad)} LSOAs the "
                f"study area lacks (e.g. {_fmt(extra_same_lad, 3)}) and the study area has "
                f"{len(english_missing)} the data lack: the two use different LSOA vintages "
                "(2011 vs 2021)"
            )
        causes.append(f"{why[0].upper()}{why[1:]}. {_VINTAGE_FIX}")
        return causes

    # (c) codes from another local authority
    if lad_of:
        data_lads = sorted(set(lad_of.values()))
        if not matched:
            causes.append(
                f"{data_label} covers {_fmt(data_lads, 5)} and none of the study area's "
                "LSOAs: the data (or the boundaries) are for another local authority. Fix: "
                "use data for your authority (the national File 7 has every LSOA in "
                "England), or check the boundaries were selected by LAD code."
            )
        else:
            causes.append(
                f"The study area's LSOAs that matched lie in {_fmt(matched_lads, 5)} "
                f"(the data's local authority column); the {len(english_missing)} without data "
                "were expected there too. They are probably LSOAs of a neighbouring authority "
                "in the boundaries, or the data are an extract that leaves them out. Fix: "
                "select the boundaries by LAD code, or use data covering the whole study "
                "area (the national File 7)."
            )
        return causes
    if not matched:
        causes.append(
            f"No study-area code is in {data_label} ({len(data):,} LSOAs): the data are for "
            "another area, or use another code system or LSOA vintage. Fix: check both files "
            "cover the same local authority with 2011 or 2021 LSOA codes alike."
        )
    else:
        causes.append(
            f"{data_label} has only {len(data):,} LSOAs, so it is probably an extract that "
            "covers another local authority or only part of the study area, or it uses the "
            "other LSOA vintage (2011 vs 2021). Fix: use data covering the whole study area "
            "(the national File 7) on the boundaries' LSOA vintage."
        )
    return causes


def match_codes(
    data_codes: Iterable[object],
    area_codes: Iterable[object],
    *,
    data_label: str = "the data",
    area_label: str = "the study area's LSOAs",
    max_unmatched: float = 0.05,
    data_lad: Mapping[str, object] | pd.Series | None = None,
    data_vintage: int | None = None,
    area_vintage: int | None = None,
    data_release: str | None = None,
    _stacklevel: int = 2,
) -> MatchReport:
    """Match data codes against the study area's codes; stop if too many lack data.

    Codes are compared after stripping spaces and upper-casing. Only study-area codes
    missing from the data count as failures; data codes outside the study area are
    reported but expected (a national file covers every LSOA in England).

    Parameters
    ----------
    data_codes, area_codes : iterable of str
        LSOA codes of the data table and of the study area (from the boundaries).
    data_label, area_label : str
        How the two are named in messages, e.g. ``"hard data 'imd.csv'"``.
    max_unmatched : float, default=0.05
        Largest share of the study area's LSOAs allowed to have no data.
    data_lad : Series or mapping, optional
        Local authority of each data code (e.g. the File 7 LAD column, keyed by LSOA
        code), used to tell codes of another authority from other causes and to name the
        authorities the study area's codes were expected in.
    data_vintage, area_vintage : {2011, 2021}, optional
        LSOA vintage of each side when known (File 7 header, ``LSOA21CD`` column name).
    data_release : str, optional
        Name of a recognised release (e.g. "English Indices of Deprivation 2019").

    Returns
    -------
    MatchReport

    Raises
    ------
    CodeMatchError
        When the share of study-area LSOAs without data exceeds ``max_unmatched``; the
        message is the report with its causes and fixes.

    Warns
    -----
    DataQualityWarning
        When some study-area LSOAs have no data but no more than ``max_unmatched``.

    Examples
    --------
    >>> r = match_codes(["E01000001", "E01000002", "E01009999"], ["E01000001", "e01000002"])
    >>> r.n_matched, r.unmatched_in_data
    (2, ['E01009999'])
    """
    if not (isinstance(max_unmatched, (int, float)) and 0 <= max_unmatched <= 1):
        raise ConfigError(f"max_unmatched must be a share between 0 and 1; got {max_unmatched!r}.")
    lad_of = _lad_lookup(data_lad)
    report, data, areas = _compare(
        data_codes,
        area_codes,
        data_label=data_label,
        area_label=area_label,
        max_unmatched=float(max_unmatched),
    )
    if not areas:
        raise InputDataError(f"{area_label} has no LSOA codes to match {data_label} against.")
    report.national = len(data) >= _NATIONAL_ROWS or len(set(lad_of.values())) >= _NATIONAL_LADS
    report.causes = _diagnose(
        data,
        areas,
        set(areas) & set(data),
        report.unmatched_in_areas,
        report.unmatched_in_data,
        data_label=data_label,
        lad_of=lad_of,
        national=report.national,
        data_vintage=data_vintage,
        area_vintage=area_vintage,
        data_release=data_release,
    )
    if report.unmatched_in_areas and not report.causes:
        report.causes.append(
            "Fix: check that both use the same LSOA vintage (2011 or 2021) and cover the "
            "same local authority."
        )
    _enforce(report, stacklevel=_stacklevel + 1)
    return report


def check_join(
    needed: Iterable[str],
    available: Iterable[str],
    *,
    needed_label: str,
    available_label: str,
    what: str,
    max_missing: float = 0.0,
    vintages: tuple[int | None, int | None] = (None, None),
    fix: str = "",
) -> MatchReport:
    """Every code of ``needed`` should be in ``available``; report and stop if not.

    Used for the joins between geography inputs, where (unlike hard data) a missing code
    usually means a file of another vintage or area.

    Parameters
    ----------
    needed, available : iterable of str
        The codes that must be found and the codes there are.
    needed_label, available_label : str
        How the two are named in messages.
    what : str
        Their geography, as named in messages (``"OA"``, ``"LSOA"``, ``"ward"``).
    max_missing : float, default=0
        Largest share of ``needed`` allowed to be missing (with a warning).
    vintages : (int or None, int or None)
        Code vintages of the two sides when known (from column names such as OA21CD).
    fix : str
        What to do, appended to the message.

    Returns
    -------
    MatchReport
        ``available`` is its data side, ``needed`` its area side.

    Raises
    ------
    CodeMatchError
        When the share of ``needed`` codes missing from ``available`` exceeds
        ``max_missing``, with the likely cause (codes of another vintage, another
        geography, another area) and the fix; below the threshold a
        :class:`~resilience.errors.DataQualityWarning` names them.

    Examples
    --------
    >>> r = check_join(["E00000001"], ["E00000001", "E00000002"], needed_label="the OAs",
    ...                available_label="the lookup", what="OA")
    >>> r.n_matched, r.unmatched_in_data
    (1, ['E00000002'])
    """
    report, available_codes, _ = _compare(
        available,
        needed,
        data_label=available_label,
        area_label=needed_label,
        max_unmatched=max_missing,
        what=what,
    )
    missing, extra = report.unmatched_in_areas, report.unmatched_in_data
    if not missing:
        return report
    prefixes_missing = {c[:3] for c in missing}
    prefixes_available = {c[:3] for c in available_codes}
    v_need, v_have = vintages
    if v_need and v_have and v_need != v_have:
        report.causes.append(
            f"{needed_label} are on {v_need} codes and {available_label} on {v_have} codes; "
            "put both on one vintage (the ONS 2011 → 2021 lookups give the U/S/M/X changes)."
        )
    if prefixes_missing and prefixes_available and not prefixes_missing & prefixes_available:
        report.causes.append(
            f"the codes look like different geographies ({', '.join(sorted(prefixes_missing))} "
            f"against {', '.join(sorted(prefixes_available))}): is the right file or column "
            "named?"
        )
    elif extra and not report.causes:
        report.causes.append(
            "some codes are present on one side only: the files may be of different vintages "
            "(2011 vs 2021 codes) or cover different areas."
        )
    message = (
        f"{len(missing)} of {report.n_areas} {what} codes of {needed_label} are not in "
        f"{available_label}, e.g. {_fmt(missing)}"
        + (f"; {available_label} has {len(extra)} codes that are not needed" if extra else "")
        + ". "
        + "".join(f"Likely cause: {c} " for c in report.causes)
        + fix
    ).strip()
    if not report.ok:
        raise CodeMatchError(message)
    warnings.warn(message, DataQualityWarning, stacklevel=2)
    return report


def _enforce(report: MatchReport, *, stacklevel: int) -> None:
    if not report.ok:
        raise CodeMatchError(
            f"{report}\nStopping: {len(report.unmatched_in_areas):,} of the study area's "
            f"{report.n_areas:,} LSOAs ({report.share_unmatched:.1%}) have no data in "
            f"{report.data_label}, more than the {report.max_unmatched:.0%} allowed "
            "(max_unmatched). Fix the codes as suggested above; only if the gaps are real, "
            "raise max_unmatched, and those LSOAs will show as 'no data'."
        )
    if report.unmatched_in_areas:
        warnings.warn(
            f"{len(report.unmatched_in_areas)} of {report.n_areas} study-area LSOAs "
            f"({report.share_unmatched:.1%}) have no data in {report.data_label}: "
            f"{_fmt(report.unmatched_in_areas, _N_EXAMPLES)}. They get no values from it "
            f"and show as 'no data'.\n{report}",
            DataQualityWarning,
            stacklevel=stacklevel,
        )
