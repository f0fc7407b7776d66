"""LSOA hard data: reading indicator tables and combining them into ``hard_index``.

Hard data are one or more LSOA tables (CSV, Excel sheet, GeoPackage layer) keyed by LSOA
code, with the indicators named in the config. English Indices of Deprivation "File 7"
CSVs are recognised by their headers and work as published (byte-order mark, long column
titles, IoD2019 on 2011 LSOAs and IoD2025 on 2021 LSOAs).

:func:`read_hard_data` reads and checks the tables and matches their codes against the
study area; :func:`hard_index` aligns every indicator so that higher = more need,
standardises it within the study area and averages them.

Examples
--------
>>> import pandas as pd
>>> from resilience.inputs.hard import Indicator, HardData, hard_index
>>> values = pd.DataFrame(
...     {"income": [0.1, 0.2, 0.6], "crime_rank": [300.0, 200.0, 100.0]},
...     index=pd.Index(["E01000001", "E01000002", "E01000003"], name="lsoa_code"))
>>> data = HardData(values, [Indicator("income", "worse"), Indicator("crime_rank", "better")])
>>> hard_index(data)["hard_index"].round(3).tolist()
[-1.075, -0.231, 1.307]
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import pandas as pd

from ..compare.hard_index import METHODS, hard_index, slug
from ..errors import ConfigError, DataQualityWarning, InputDataError, check_entry, format_examples
from ._areacodes import detect_code_column
from ._codematch import LOOKUP_NAME, MatchReport, match_codes
from ._file7 import (
    File7Release,
    detect_release,
    find_header,
    header_key,
    header_suggestions,
    plain_name,
)
from ._io import file_label, read_table, to_numeric
from .codes import code_column_candidates, column_vintage, detect_geography, normalise_codes

__all__ = [
    "HIGHER_IS",
    "LOOKUP_NAME",
    "METHODS",
    "HardData",
    "Indicator",
    "MatchReport",
    "TableSource",
    "hard_index",
    "match_codes",
    "read_hard_data",
]

#: Allowed values of ``Indicator.higher_is``.
HIGHER_IS = ("worse", "better")
#: Keys of a hard-data table entry and of an indicator entry (also checked by the config).
TABLE_KEYS = ("path", "code", "sheet", "layer", "indicators")
INDICATOR_KEYS = ("column", "higher_is", "weight", "domain", "label")
#: An indicator entry as written in the config, for messages.
INDICATOR_EXAMPLE = '{ column = "Income Score (rate)", higher_is = "worse" }'
_RANKED = re.compile(r"\b(rank|decile)\b.*where 1 is most deprived")


@dataclass(frozen=True)
class Indicator:
    """One hard-data indicator as configured.

    Parameters
    ----------
    column : str
        Column title in the table (File 7 titles may be given in full or as a prefix).
    higher_is : {"worse", "better"}
        Whether a higher value means more need ("worse", e.g. an income deprivation
        rate) or less ("better", e.g. an IoD rank where 1 is most deprived).
    weight : float, default=1.0
        Relative weight in ``hard_index`` (weights are normalised to sum to one).
    domain : str, optional
        Domain the indicator belongs to; gives a ``hard_<domain>`` score.
    label : str, optional
        Plain-English name for reasons and legends.

    Examples
    --------
    >>> ind = Indicator("Income Score (rate)", "worse", domain="income")
    >>> ind.slug, ind.plain_name
    ('income_score_rate', 'income deprivation')
    >>> Indicator("Crime Rank (where 1 is most deprived)", "better").plain_name
    'crime'
    """

    column: str
    higher_is: str
    weight: float = 1.0
    domain: str | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.column, str) or not self.column.strip():
            raise ConfigError(f"A hard-data indicator needs a column title; got {self.column!r}.")
        if self.higher_is not in HIGHER_IS:
            raise ConfigError(
                f"Indicator {self.column!r}: higher_is must be 'worse' (higher = more need) "
                f"or 'better' (higher = less need); got {self.higher_is!r}."
            )
        w = self.weight
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w):
            raise ConfigError(f"Indicator {self.column!r}: weight must be a number; got {w!r}.")
        if w <= 0:
            raise ConfigError(
                f"Indicator {self.column!r}: weight must be greater than 0; got {w!r}. "
                "Leave the indicator out of the config instead of giving it weight 0."
            )
        for key in ("domain", "label"):
            v = getattr(self, key)
            if v is not None and (not isinstance(v, str) or not v.strip()):
                raise ConfigError(
                    f"Indicator {self.column!r}: {key} must be a non-empty text; got {v!r}."
                )
        if self.domain is not None and slug(self.domain) in ("", "index"):
            raise ConfigError(
                f"Indicator {self.column!r}: domain {self.domain!r} cannot be used (its "
                "score column would clash with hard_index). Choose another name."
            )

    @classmethod
    def from_config(cls, spec: Indicator | Mapping[str, object], where: str = "") -> Indicator:
        """Build from a config entry (``{"column": …, "higher_is": …}``), checking keys."""
        if isinstance(spec, Indicator):
            return spec
        check_entry(
            spec, INDICATOR_KEYS, where=f"a hard-data indicator{where}", like=INDICATOR_EXAMPLE
        )
        for key in ("column", "higher_is"):
            if key not in spec:
                raise ConfigError(f"A hard-data indicator{where} has no {key!r}: {dict(spec)!r}.")
        return cls(**spec)  # type: ignore[arg-type]

    @property
    def slug(self) -> str:
        """lower_snake_case form of the column title, used for output columns."""
        return slug(self.column)

    @property
    def plain_name(self) -> str:
        """Plain-English name: the label, else a known IoD name, else the column title."""
        return self.label or plain_name(self.column) or self.column

    @property
    def need_column(self) -> str:
        """Column of :func:`hard_index` output with the aligned, standardised value."""
        return f"{self.slug}_need"


@dataclass
class TableSource:
    """Where one hard-data table came from and how it was read.

    Attributes
    ----------
    path : Path
        The file.
    code_column : str
        The LSOA code column used.
    release : str or None
        The recognised IoD release (e.g. "English Indices of Deprivation 2019 (on 2011
        LSOAs)"), or None for other tables.
    lsoa_vintage : int or None
        2011 or 2021 when known from the header or code column name.
    columns : dict
        Indicator column as configured → column title found in the file.
    n_rows : int
        Rows with an LSOA code.
    match : MatchReport or None
        The code match against the study area, when one was given.
    """

    path: Path
    code_column: str
    release: str | None
    lsoa_vintage: int | None
    columns: dict[str, str]
    n_rows: int
    match: MatchReport | None = None


@dataclass
class HardData:
    """Hard-data indicator values for LSOAs, with where they came from.

    Attributes
    ----------
    values : DataFrame
        Raw indicator values (floats), indexed by ``lsoa_code``, one column per
        indicator slug. When read for a study area, exactly the study area's LSOAs in
        their given order; those without data are rows of missing values.
    indicators : list of Indicator
    sources : list of TableSource
        One per table, with release and code-match information.
    """

    values: pd.DataFrame
    indicators: list[Indicator]
    sources: list[TableSource] = field(default_factory=list)

    @property
    def unmatched(self) -> list[str]:
        """Study-area LSOAs with no row in any table."""
        return self.values.index[self.values.isna().all(axis=1)].tolist()

    @property
    def names(self) -> dict[str, str]:
        """Indicator slug → plain-English name."""
        return {i.slug: i.plain_name for i in self.indicators}

    def __repr__(self) -> str:
        what = ", ".join(
            f"{Path(s.path).name}" + (f" ({s.release})" if s.release else "") for s in self.sources
        )
        matched = ""
        if self.sources and all(s.match for s in self.sources):
            n_area = len(self.values)
            matched = f"; {n_area - len(self.unmatched)} of {n_area} study-area LSOAs have data"
        return (
            f"<HardData: {len(self.indicators)} indicators for {len(self.values)} LSOAs"
            f"{' from ' + what if what else ''}{matched}>"
        )


# ---------------------------------------------------------------------------- reading


def _table_spec(spec: Mapping[str, object], i: int) -> tuple[dict, list[Indicator]]:
    where = f" (hard-data table {i + 1})"
    if not isinstance(spec, Mapping):
        raise ConfigError(f"Each hard-data table{where} must be a table of settings; got {spec!r}.")
    unknown = [k for k in spec if k not in TABLE_KEYS]
    if unknown:
        raise ConfigError(
            f"Unknown key {format_examples(unknown)} in the [hard] settings{where}. "
            f"Allowed keys: {', '.join(TABLE_KEYS)}."
        )
    if "path" not in spec:
        raise ConfigError(f"The [hard] settings{where} have no 'path'.")
    if not isinstance(spec["path"], (str, PathLike)):
        raise ConfigError(f"The [hard] path{where} must be a file path; got {spec['path']!r}.")
    raw = spec.get("indicators")
    if not raw or isinstance(raw, (str, Mapping)) or not isinstance(raw, Sequence):
        raise ConfigError(
            f"The [hard] settings{where} need a list of indicators, e.g. indicators = "
            '[{ column = "Income Score (rate)", higher_is = "worse" }].'
        )
    return dict(spec), [Indicator.from_config(x, where) for x in raw]


def _code_column(df: pd.DataFrame, code: object, release: File7Release | None, path) -> str:
    cols = list(df.columns)
    if code is not None:
        found = find_header(str(code), cols)
        if found is None:
            close = header_suggestions(str(code), cols) or cols[:10]
            raise InputDataError(
                f"The hard data file {file_label(path)} has no code column {code!r}. Similar "
                f"columns: {format_examples(close)}. Set code to the LSOA code column."
            )
        return found
    if release is not None:
        return release.code_column
    return detect_code_column(
        cols,
        "lsoa",
        path=path,
        role="hard data",
        setting='code = "..." in [hard]',
        note="It is not an IoD File 7 table (no 'LSOA code (2011)' or '(2021)' column).",
    )


def _lad_column(df: pd.DataFrame, release: File7Release | None) -> str | None:
    """The local authority code column: File 7's, else the latest ``LADyyCD``-style one."""
    if release is not None and release.lad_column:
        return release.lad_column
    found = code_column_candidates(list(df.columns), "lad")
    if not found:
        return None
    return max(found, key=lambda c: column_vintage(c) or 0)


def _lad_labels(df: pd.DataFrame, lad: str | None, release: File7Release | None) -> pd.Series:
    """Local authority of each row as "code (name)" when a name column goes with the code."""
    if lad is None:
        return pd.Series(dtype="object")
    label = df[lad].astype("string").str.strip()
    if release is not None:
        name_col = release.lad_name_column
    else:
        twin = {str(c).lower(): c for c in df.columns}.get(lad.lower()[:-2] + "nm")
        name_col = twin
    if name_col is not None:
        label = label + " (" + df[name_col].astype("string").str.strip() + ")"
    return label


def _read_one(
    spec: dict, indicators: list[Indicator]
) -> tuple[pd.DataFrame, pd.Series, TableSource, File7Release | None]:
    path = Path(spec["path"])  # type: ignore[arg-type]
    df = read_table(path, role="hard data", sheet=spec.get("sheet"), layer=spec.get("layer"))
    release = detect_release(df.columns)
    code_col = _code_column(df, spec.get("code"), release, path)
    headers: dict[str, str] = {}
    for ind in indicators:
        found = find_header(ind.column, df.columns)
        if found is None:
            close = header_suggestions(ind.column, df.columns)
            hint = f" Similar columns: {format_examples(close)}." if close else ""
            raise InputDataError(
                f"The hard data file {file_label(path)} has no column {ind.column!r}.{hint} "
                f"Its columns are: {format_examples(list(df.columns), 12)}. Correct the "
                "indicator's column in [hard]."
            )
        if _RANKED.search(header_key(found)) and ind.higher_is == "worse":
            raise ConfigError(
                f"Indicator {ind.column!r} of {file_label(path)} is an IoD rank or decile where "
                "1 is most deprived, so a higher value means less need: set "
                'higher_is = "better" (or use the score column).'
            )
        headers[ind.column] = found

    codes = normalise_codes(df[code_col])
    blank = codes.isna() | (codes == "")
    if blank.any():
        carrying = df.loc[blank, list(headers.values())].notna().any(axis=1)
        if carrying.any():
            warnings.warn(
                f"{int(carrying.sum())} row(s) of the hard data file {file_label(path)} have "
                f"values but no code in column {code_col!r} (rows "
                f"{format_examples([int(i) + 2 for i in carrying.index[carrying][:5]])}); "
                "they are "
                "left out.",
                DataQualityWarning,
                stacklevel=3,
            )
        df, codes = df.loc[~blank], codes[~blank]
    geo = detect_geography(codes)
    if geo["geography"] != "lsoa":
        kind = f"{geo['geography'].upper()} codes" if geo["geography"] else "no recognisable codes"
        raise InputDataError(
            f"Column {code_col!r} of the hard data file {file_label(path)} holds {kind}, not "
            f"LSOA codes (E01…/W01…), e.g. {format_examples(codes.unique()[:5].tolist())}. "
            "Hard data must be keyed by LSOA code: set code to the LSOA code column."
        )
    dup = codes[codes.duplicated()].unique().tolist()
    if dup:
        raise InputDataError(
            f"The hard data file {file_label(path)} has {len(dup)} LSOA code(s) on more than "
            f"one row in column {code_col!r}, e.g. {format_examples(dup)}. Keep one row per "
            "LSOA (aggregate or remove the duplicates)."
        )
    num = to_numeric(df, sorted(set(headers.values())), path=path, role="hard data")
    index = pd.Index(codes.to_numpy(), name="lsoa_code")
    values = pd.DataFrame(
        {ind.slug: num[headers[ind.column]].to_numpy() for ind in indicators}, index=index
    )
    lad = _lad_labels(df, _lad_column(df, release), release)
    lad.index = index if len(lad) else lad.index
    vintage = release.lsoa_vintage if release else column_vintage(code_col)
    source = TableSource(
        path=path,
        code_column=code_col,
        release=release.description if release else None,
        lsoa_vintage=vintage,
        columns=headers,
        n_rows=len(values),
    )
    return values, lad, source, release


def _area_vintage(lsoa_codes: object, given: int | None) -> int | None:
    if given is not None:
        return given
    name = getattr(lsoa_codes, "name", None)
    return column_vintage(str(name)) if name is not None else None


def read_hard_data(
    tables: Iterable[Mapping[str, object]],
    *,
    lsoa_codes: Iterable[object] | None = None,
    max_unmatched: float = 0.05,
    area_label: str = "the study area's LSOAs",
    area_vintage: int | None = None,
) -> HardData:
    """Read hard-data tables, check them and match them to the study area.

    Parameters
    ----------
    tables : list of dict
        One entry per table, as in the config's ``[hard]`` section: ``path``; ``code``
        (the LSOA code column; optional for IoD File 7 tables, recognised by their
        headers, and for tables with one ``LSOA11CD``/``LSOA21CD``-style column);
        ``sheet`` (Excel) or ``layer`` (GeoPackage); ``indicators`` (a list of
        :class:`Indicator` or dicts with ``column``, ``higher_is`` and optionally
        ``weight``, ``domain``, ``label``). Column titles match exactly, ignoring case
        and spacing, or by prefix (Excel copies of File 7 truncate long titles).
    lsoa_codes : iterable of str, optional
        The study area's LSOA codes (from the boundaries). When given, the result holds
        exactly these LSOAs and every table is matched against them with
        :func:`match_codes`. A Series named like ``LSOA21CD`` also gives the vintage.
    max_unmatched : float, default=0.05
        Largest share of the study area's LSOAs allowed to have no row in a table.
    area_label : str
        How the study area is named in messages (e.g. "LSOA boundaries 'lsoa.gpkg'").
    area_vintage : {2011, 2021}, optional
        LSOA vintage of ``lsoa_codes`` when it cannot be read from their name.

    Returns
    -------
    HardData

    Raises
    ------
    ConfigError
        Unknown keys, bad indicator settings, an indicator in two tables, a "1 is most
        deprived" rank configured with ``higher_is = "worse"``.
    InputDataError
        Missing file or column, non-numeric values, duplicate or non-LSOA codes.
    CodeMatchError
        More than ``max_unmatched`` of the study area has no data in a table.

    Warns
    -----
    DataQualityWarning
        Some study-area LSOAs without data (within ``max_unmatched``), or indicator
        values missing for some LSOAs.

    Examples
    --------
    >>> from resilience.synthetic import make_borough
    >>> import tempfile, pathlib
    >>> b = make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=800)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "file7.csv"
    >>> b.hard.to_csv(path, index=False, encoding="utf-8-sig")
    >>> data = read_hard_data([{"path": path, "indicators": b.indicators}],
    ...                       lsoa_codes=b.lsoa["lsoa_code"])
    >>> data.sources[0].release
    'English Indices of Deprivation 2025 (on 2021 LSOAs)'
    >>> data.sources[0].match.n_matched
    12
    """
    tables = list(tables) if not isinstance(tables, Mapping) else [tables]
    if not tables:
        raise ConfigError("No hard-data tables were given ([hard] needs a path and indicators).")
    areas: list[str] | None = None
    if lsoa_codes is not None:
        s = normalise_codes(pd.Series(list(lsoa_codes), dtype="object")).dropna()
        areas = list(dict.fromkeys(s.tolist()))
    a_vintage = _area_vintage(lsoa_codes, area_vintage)

    frames: list[pd.DataFrame] = []
    indicators: list[Indicator] = []
    sources: list[TableSource] = []
    owner: dict[str, tuple[int, str]] = {}
    for i, raw in enumerate(tables):
        spec, inds = _table_spec(raw, i)
        for ind in inds:
            if ind.slug in owner:
                j, col = owner[ind.slug]
                where = "twice in the same table" if j == i else f"in tables {j + 1} and {i + 1}"
                raise ConfigError(
                    f"Hard-data indicator {ind.column!r} appears {where} (as {col!r}); each "
                    "indicator must come from one table. Remove one, or rename the column."
                )
            owner[ind.slug] = (i, ind.column)
        values, lad, source, release = _read_one(spec, inds)
        if areas is not None:
            source.match = match_codes(
                values.index,
                areas,
                data_label=f"hard data {file_label(source.path)}",
                area_label=area_label,
                max_unmatched=max_unmatched,
                data_lad=lad if len(lad) else None,
                data_vintage=source.lsoa_vintage,
                area_vintage=a_vintage,
                data_release=release.description if release else None,
                _stacklevel=3,
            )
            values = values.reindex(pd.Index(areas, name="lsoa_code"))
        frames.append(values)
        indicators.extend(inds)
        sources.append(source)

    combined = pd.concat(frames, axis=1, join="outer") if len(frames) > 1 else frames[0]
    if areas is not None:
        combined = combined.reindex(pd.Index(areas, name="lsoa_code"))
    combined.index.name = "lsoa_code"
    _warn_missing_values(combined, indicators, sources)
    return HardData(values=combined, indicators=indicators, sources=sources)


def _warn_missing_values(
    values: pd.DataFrame, indicators: list[Indicator], sources: list[TableSource]
) -> None:
    """Warn about indicator values missing in LSOAs that do have a row in the table."""
    has_row = values.notna().any(axis=1)
    for ind in indicators:
        missing = values.index[has_row & values[ind.slug].isna()]
        if len(missing):
            warnings.warn(
                f"Hard-data indicator {ind.column!r} is missing for {len(missing)} LSOA(s) "
                f"that have other hard data, e.g. {format_examples(missing.tolist())}. "
                "hard_index there averages the indicators that are present.",
                DataQualityWarning,
                stacklevel=3,
            )
