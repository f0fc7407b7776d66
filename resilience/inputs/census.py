"""Census 2021 tables as ONS and Nomis publish them, turned into each OA's margins.

Two layouts are recognised by their header, whatever the file is called:

* **Nomis bulk CSVs**: one column per category with a long header such as
  ``Sex: Female; measures: Value`` (the text before the first ``:`` is the table title;
  ``measures: Percent`` columns are ignored);
* **coded tables**: columns such as ``ts0080002`` described by a ``_dictionary.csv`` in
  the same folder (columns ``Table_ID``, ``column``, ``Table_Name``, ``Variable_Name``),
  as in the recoded Census 2021 OA tables of Singleton's ``Census_2021_Output_Areas``.

The area code column is found by its values (OA ``E00``/``W00`` or LSOA ``E01``/``W01``
codes), so ``OA21CD``, ``geography code`` and ``LSOA21CD`` all work. A table is matched to
a concept of :mod:`resilience.inputs.concepts` by its title; files that publish none of
them are skipped.

:func:`census_margins` gives every OA of the study area the proportions of its adults in
each category of each concept: OA tables directly (or through the OA vintage lookup when
the Census OAs are of another vintage than the boundaries), LSOA tables (age in the London
bundle) spread to their OAs, and OAs without an OA margin given the mean margin of the
other OAs of their LSOA, with a warning naming the count. Only proportions are used: the
post-stratified shares do not depend on the OA totals.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import DataQualityWarning, InputDataError, format_examples
from ._io import file_label
from .concepts import CONCEPTS, DEFAULT_VARIABLES, Concept, census_category_matrix
from .crosswalk import Crosswalk

__all__ = ["CensusTable", "Margins", "census_margins", "read_census_table", "read_census_tables"]

_CODED = re.compile(r"^ts\d{3}[a-z]?\d{4}$", re.IGNORECASE)
_AREA = re.compile(r"^[EW]0[01]\d{6}$")
_LEVEL = {"0": "oa", "1": "lsoa"}


@dataclass
class CensusTable:
    """One Census table as read.

    Attributes
    ----------
    concept : str
        The concept it publishes (``sex``, ``age``, …).
    title : str
        The table title (``Sex``, ``Tenure of household``, …).
    level : str
        ``oa`` or ``lsoa``.
    counts : DataFrame
        Indexed by area code, one column per category of the concept (people, or adults
        for age and qualification).
    source : str
        The file read.
    """

    concept: str
    title: str
    level: str
    counts: pd.DataFrame
    source: str

    def __repr__(self) -> str:
        return (
            f"<CensusTable {self.concept} ({self.title!r}) at {self.level}: "
            f"{len(self.counts):,} areas from {Path(self.source).name}>"
        )


def _dictionary(folder: Path) -> dict[str, tuple[str, str]]:
    """Coded column → (table title, category label) from ``_dictionary.csv``, if any."""
    p = folder / "_dictionary.csv"
    if not p.exists():
        return {}
    d = pd.read_csv(p, dtype=str, encoding="utf-8-sig")
    need = {"column", "Table_Name", "Variable_Name"}
    if not need <= set(d.columns):
        raise InputDataError(
            f"The Census dictionary {file_label(p)} lacks column(s) "
            f"{format_examples(sorted(need - set(d.columns)))}; expected Table_ID, column, "
            "Table_Name, Variable_Name (as in Census_2021_Output_Areas' Table_Metadata.csv)."
        )
    return {
        str(r.column).strip().lower(): (str(r.Table_Name).strip(), str(r.Variable_Name).strip())
        for r in d.itertuples()
    }


def _split_header(col: str) -> tuple[str, str] | None:
    """``'Sex: Female; measures: Value'`` → ``('Sex', 'Female')``; None for other columns."""
    text = str(col).strip()
    if ";" in text:
        text, measure = text.split(";", 1)
        if "value" not in measure.lower():
            return None
    if ":" not in text:
        return None
    title, label = text.split(":", 1)
    return title.strip(), label.strip()


def _concept_of(title: str) -> Concept | None:
    key = " ".join(title.lower().split())
    return next((c for c in CONCEPTS.values() if key in c.tables), None)


def read_census_table(
    path: str | Path, dictionary: dict[str, tuple[str, str]] | None = None
) -> CensusTable | None:
    """Read one Census table; None when it publishes none of the concepts.

    Parameters
    ----------
    path : str or Path
        A CSV file (Nomis bulk layout, or coded columns with ``dictionary``).
    dictionary : dict, optional
        Coded column → (table title, category label); default: ``_dictionary.csv`` of
        the file's folder.

    Raises
    ------
    InputDataError
        When the file has the categories of a concept but no column of OA or LSOA codes,
        or non-numeric counts.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "census2021-ts008-oa.csv"
    >>> _ = f.write_text("date,geography,geography code,Sex: All persons; measures: Value,"
    ...     "Sex: Female; measures: Value,Sex: Male; measures: Value\\n"
    ...     "2021,E00000001,E00000001,176,75,101\\n")
    >>> t = read_census_table(f)
    >>> t.concept, t.level, t.counts.loc["E00000001"].tolist()
    ('sex', 'oa', [101.0, 75.0])
    """
    p = Path(path)
    if dictionary is None:
        dictionary = _dictionary(p.parent)
    head = pd.read_csv(p, nrows=5, dtype=str, encoding="utf-8-sig")
    parsed: dict[str, tuple[str, str]] = {}
    for col in head.columns:
        key = str(col).strip().lower()
        if _CODED.match(key) and key in dictionary:
            parsed[col] = dictionary[key]
        else:
            split = _split_header(col)
            if split:
                parsed[col] = split
    titles = {t for t, _ in parsed.values()}
    concept = next((c for t in titles if (c := _concept_of(t)) is not None), None)
    if concept is None:
        return None
    title = next(t for t, _ in parsed.values() if _concept_of(t) is concept)
    code_col = next(
        (
            c
            for c in head.columns
            if c not in parsed
            and head[c].dropna().str.strip().str.match(_AREA).all()
            and head[c].notna().any()
        ),
        None,
    )
    if code_col is None:
        raise InputDataError(
            f"The Census table {file_label(p)} ({title}) has no column of OA or LSOA codes "
            f"(E00…/E01…); its first columns are {format_examples(list(head.columns), 5)}. Use "
            "the bulk download with the geography code column."
        )
    cols = [c for c, (t, _) in parsed.items() if t == title]
    raw = pd.read_csv(p, usecols=[code_col, *cols], dtype={code_col: str}, encoding="utf-8-sig")
    codes = raw[code_col].str.strip()
    values = raw[cols].apply(pd.to_numeric, errors="coerce")
    bad = values.isna() & raw[cols].notna()
    if bad.to_numpy().any():
        col = values.columns[bad.any().to_numpy()][0]
        raise InputDataError(
            f"The Census table {file_label(p)} has non-numeric counts in column {col!r}, e.g. "
            f"{format_examples(raw.loc[bad[col], col].unique().tolist())}."
        )
    matrix = census_category_matrix(concept, [parsed[c][1] for c in cols])
    counts = pd.DataFrame(
        values.fillna(0.0).to_numpy(dtype=float) @ matrix,
        index=pd.Index(codes, name="area_code"),
        columns=list(concept.categories),
    )
    counts = counts.groupby(level=0).sum()
    level = _LEVEL.get(str(codes.iloc[0])[2], "oa")
    return CensusTable(concept.name, title, level, counts, str(p))


def read_census_tables(folder: str | Path) -> dict[tuple[str, str], CensusTable]:
    """Every Census table in ``folder`` (CSV files), keyed by (concept, level).

    Raises
    ------
    InputDataError
        When the folder does not exist or holds no table of any concept.
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputDataError(
            f"[poststratification] tables {file_label(root)} is not a folder. Give the folder "
            "holding the Census 2021 tables (Nomis bulk CSVs or coded tables with "
            "_dictionary.csv)."
        )
    dictionary = _dictionary(root)
    found: dict[tuple[str, str], CensusTable] = {}
    for p in sorted(root.glob("*.csv")):
        if p.name.startswith("_"):
            continue
        table = read_census_table(p, dictionary)
        if table is not None:
            found.setdefault((table.concept, table.level), table)
    if not found:
        raise InputDataError(
            f"No Census table of any concept ({', '.join(CONCEPTS)}) was found in "
            f"{file_label(root)}. Its CSV files must have Nomis headers ('Sex: Female; "
            "measures: Value') or coded columns described in _dictionary.csv."
        )
    return found


@dataclass
class Margins:
    """The post-stratification margins of every OA.

    Attributes
    ----------
    shares : dict
        Concept → DataFrame (OAs x categories) of proportions (rows sum to 1).
    filled : dict
        Concept → number of OAs that took their LSOA's (or the area's) mean margin.
    sources : dict
        Concept → ``"<level> <file>"`` it was read from.
    """

    shares: dict[str, pd.DataFrame]
    filled: dict[str, int] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def variables(self) -> list[str]:
        """The concepts, in order."""
        return list(self.shares)

    @property
    def index(self) -> pd.Index:
        """The OA codes."""
        return next(iter(self.shares.values())).index


def _proportions(counts: pd.DataFrame) -> pd.DataFrame:
    total = counts.sum(axis=1)
    return counts.div(total.where(total > 0), axis=0)


def census_margins(
    tables: dict[tuple[str, str], CensusTable],
    oa_codes: pd.Index,
    lsoa_of: pd.Series,
    *,
    variables: Sequence[str] = DEFAULT_VARIABLES,
    crosswalk: Crosswalk | None = None,
) -> Margins:
    """The proportion of each OA's residents in each category of each concept.

    Parameters
    ----------
    tables : dict
        From :func:`read_census_tables`.
    oa_codes : Index
        The study area's OAs (the boundaries' vintage).
    lsoa_of : Series
        LSOA code of every OA (indexed by OA code), as in the run's lookup.
    variables : sequence of str
        The concepts to post-stratify on.
    crosswalk : Crosswalk, optional
        Weights from the Census OAs (sources) to ``oa_codes`` (targets) when the vintages
        differ: a target OA takes the mix of its source OAs' proportions.

    Raises
    ------
    InputDataError
        For an unknown concept, or a concept with no table at OA or LSOA level, or no
        table matching the study area's codes.
    """
    oa_codes = pd.Index(oa_codes, name="oa_code")
    lsoa = lsoa_of.reindex(oa_codes)
    unknown = [v for v in variables if v not in CONCEPTS]
    if unknown:
        raise InputDataError(
            f"Unknown post-stratification variable(s) {format_examples(unknown)}; known: "
            f"{', '.join(CONCEPTS)}."
        )
    shares: dict[str, pd.DataFrame] = {}
    filled: dict[str, int] = {}
    sources: dict[str, str] = {}
    for v in variables:
        table = tables.get((v, "oa")) or tables.get((v, "lsoa"))
        if table is None:
            have = sorted({c for c, _ in tables})
            raise InputDataError(
                f"No Census table for {v!r} at OA or LSOA level among the tables read "
                f"({format_examples(have) or 'none'}). Add {CONCEPTS[v].tables[0].title()} "
                f"(Census 2021) to the tables folder or drop {v!r} from [poststratification] "
                "variables."
            )
        prop = _proportions(table.counts)
        if table.level == "oa":
            if crosswalk is not None and oa_codes.isin(prop.index).mean() <= 0.5:
                src = prop.reindex(crosswalk.sources)
                mixed = crosswalk.matrix @ src.fillna(0.0).to_numpy()
                has = crosswalk.matrix @ src.notna().all(axis=1).to_numpy(dtype=float)
                frame = pd.DataFrame(mixed, index=crosswalk.targets, columns=prop.columns)
                frame = frame.div(pd.Series(has, index=crosswalk.targets).where(has > 0), axis=0)
                oa_prop = frame.reindex(oa_codes)
            else:
                oa_prop = prop.reindex(oa_codes)
        else:
            oa_prop = pd.DataFrame(
                prop.reindex(lsoa.to_numpy()).to_numpy(), index=oa_codes, columns=prop.columns
            )
        if oa_prop.isna().all(axis=None):
            raise InputDataError(
                f"None of the study area's {len(oa_codes):,} OAs is in the Census table "
                f"{file_label(table.source)} ({table.level} codes such as "
                f"{format_examples(list(table.counts.index[:3]))}; the OAs are e.g. "
                f"{format_examples(list(oa_codes[:3]))}). Use tables of the boundaries' OA "
                "vintage or give [geography] vintage_lookup."
            )
        missing = oa_prop.isna().any(axis=1)
        if missing.any():
            lsoa_mean = oa_prop[~missing].groupby(lsoa[~missing]).mean()
            fill = lsoa_mean.reindex(lsoa[missing].to_numpy())
            fill = fill.fillna(oa_prop[~missing].mean())
            oa_prop.loc[missing] = fill.to_numpy()
            warnings.warn(
                f"{int(missing.sum())} of {len(oa_codes):,} OAs have no {v!r} margin in "
                f"{file_label(table.source)}, e.g. {format_examples(list(oa_codes[missing]))}; "
                "they take the mean margin of the other OAs of their LSOA (of the whole area "
                "where the LSOA has none).",
                DataQualityWarning,
                stacklevel=2,
            )
        filled[v] = int(missing.sum())
        shares[v] = oa_prop.astype(float)
        sources[v] = f"{table.level} {Path(table.source).name}"
    return Margins(shares, filled, sources)
