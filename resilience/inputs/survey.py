"""Reading respondent files shaped like Understanding Society ``w_indresp``.

:func:`read_survey` returns a plain DataFrame of the survey items (negative codes turned
into missing values), the survey weight in the column :data:`WEIGHT` (``"weight"``,
whatever the file calls it), the classification columns (wave prefix removed) and, when
the file has them, the design's ``psu`` and ``strata`` (UKHLS ``w_psu``, ``w_strata``;
negative codes set missing), indexed by respondent. Because the weight is an ordinary
column it survives ``merge``, ``concat`` and selections; the estimators find it there (or
take ``sample_weight=`` explicitly).

What was found while reading (the prefix removed, the weight column used, the level
columns, per-item counts of each negative missing code) is returned as a
:class:`SurveyInfo` with ``return_info=True``.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, overload

import numpy as np
import pandas as pd

from ..errors import DataQualityWarning, InputDataError, format_examples
from ..items import Item, items_by_construct, parse_items
from ._io import file_label, not_a_file, not_utf8

__all__ = ["WEIGHT", "SurveyInfo", "describe_missing", "detect_prefix", "read_survey"]

#: Column of the frame returned by :func:`read_survey` that holds the survey weight.
WEIGHT = "weight"


@dataclass(frozen=True)
class SurveyInfo:
    """What :func:`read_survey` found in a respondent file.

    Attributes
    ----------
    source : str
        The file read.
    prefix : str
        The wave prefix removed from the column names (``""`` when there was none).
    weight : str or None
        The file's weight column (without the prefix), now in column :data:`WEIGHT`;
        None when the file has none and every respondent counts the same.
    levels : list of str
        The classification columns of the frame, coarse to fine.
    items : list of str
        The survey item columns of the frame.
    missing_codes : dict
        Per item, the number of each negative missing code found.
    """

    source: str
    prefix: str
    weight: str | None
    levels: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    missing_codes: dict[str, dict[int, int]] = field(default_factory=dict)


_PREFIX_RE = re.compile(r"^([a-z]{1,2}_)(.+)$")
_MISSING_MEANINGS = {
    -1: "don't know",
    -2: "refused",
    -7: "proxy respondent",
    -8: "inapplicable",
    -9: "missing",
}
_ID_COLUMNS = ("pidp", "pid", "id", "respondent_id")
_DESIGN_COLUMNS = ("psu", "strata")


def detect_prefix(columns: Iterable[str], item_names: Iterable[str]) -> str:
    """The wave prefix (``"f_"``) carried by the item columns, or ``""`` when there is none.

    Examples
    --------
    >>> detect_prefix(["pidp", "f_sclfsato", "f_finnow"], ["sclfsato", "finnow"])
    'f_'
    >>> detect_prefix(["sclfsato", "finnow"], ["sclfsato", "finnow"])
    ''
    """
    names = set(item_names)
    found: Counter[str] = Counter()
    bare = 0
    for col in columns:
        c = str(col).strip().lower()
        if c in names:
            bare += 1
        m = _PREFIX_RE.match(c)
        if m and m.group(2) in names:
            found[m.group(1)] += 1
    if not found:
        return ""
    if len(found) > 1:
        raise InputDataError(
            "The survey file holds items from several waves (prefixes "
            f"{format_examples(sorted(found))}). Give the wave to use with prefix=... "
            '(in the config: [survey] prefix = "f_").'
        )
    prefix, n = found.most_common(1)[0]
    return prefix if n >= bare else ""


def _read_columns(path: Path) -> list[str]:
    ext = path.suffix.lower()
    if ext in (".tab", ".tsv", ".csv", ".txt"):
        sep = "," if ext in (".csv", ".txt") else "\t"
        return list(pd.read_csv(path, sep=sep, nrows=0, encoding="utf-8-sig").columns)
    if ext == ".dta":
        with pd.read_stata(path, iterator=True) as reader:
            return list(reader.variable_labels())
    if ext == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    raise InputDataError(
        f"The survey file {file_label(path)} has an extension ({ext or 'none'}) that "
        "resilience cannot read. Use a UK Data Service .tab (tab-separated), .csv, Stata .dta "
        "or .parquet file."
    )


def _read_frame(path: Path, usecols: list[str], text: list[str]) -> pd.DataFrame:
    """Read ``usecols``; the ``text`` columns (classification codes) as strings."""
    ext = path.suffix.lower()
    if ext in (".tab", ".tsv", ".csv", ".txt"):
        sep = "," if ext in (".csv", ".txt") else "\t"
        return pd.read_csv(
            path,
            sep=sep,
            usecols=usecols,
            encoding="utf-8-sig",
            low_memory=False,
            dtype=dict.fromkeys(text, str),
        )
    if ext == ".dta":
        return pd.read_stata(path, columns=usecols, convert_categoricals=False)
    return pd.read_parquet(path, columns=usecols)


def _resolve(
    name: str, lookup: Mapping[str, str], prefix: str, *, what: str, path: Path
) -> str | None:
    """Find ``name`` among the file's columns with or without the wave prefix."""
    key = name.strip().lower()
    for cand in (key, prefix + key, key[len(prefix) :] if key.startswith(prefix) else None):
        if cand and cand in lookup:
            return lookup[cand]
    return None


def _missing_items_message(
    missing: list[Item], items: Sequence[Item], path: Path, prefix: str
) -> str:
    lines = []
    for construct, group in items_by_construct(items).items():
        names = [f"{prefix}{it.name}" + (" (missing)" if it in missing else "") for it in group]
        lines.append(f"  {construct}: {', '.join(names)}")
    return (
        f"The survey file {file_label(path)} lacks {len(missing)} of the {len(items)} survey "
        f"items: {format_examples([prefix + it.name for it in missing], 10)}. All items of the "
        "item set are required:\n" + "\n".join(lines) + "\nUse a wave that asked these "
        "questions (the neighbourhood items scopngbh* are asked in waves 1, 3, 6, 9 and 12), "
        "or give your own item set ([[survey.items]] in the config)."
    )


@overload
def read_survey(
    path: str | Path,
    *,
    prefix: str | None = ...,
    weight: str | None = ...,
    levels: Sequence[str] | None = ...,
    items: Sequence[Item | Mapping[str, object]] | None = ...,
    select: tuple[str, object] | None = ...,
    return_info: Literal[False] = ...,
) -> pd.DataFrame: ...


@overload
def read_survey(
    path: str | Path,
    *,
    prefix: str | None = ...,
    weight: str | None = ...,
    levels: Sequence[str] | None = ...,
    items: Sequence[Item | Mapping[str, object]] | None = ...,
    select: tuple[str, object] | None = ...,
    return_info: Literal[True],
) -> tuple[pd.DataFrame, SurveyInfo]: ...


def read_survey(
    path: str | Path,
    *,
    prefix: str | None = None,
    weight: str | None = None,
    levels: Sequence[str] | None = None,
    items: Sequence[Item | Mapping[str, object]] | None = None,
    select: tuple[str, object] | None = None,
    return_info: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, SurveyInfo]:
    """Read a respondent file and prepare it for :class:`~resilience.SurveyModel`.

    Parameters
    ----------
    path : str or Path
        ``.tab`` (UK Data Service tab-separated), ``.csv``, Stata ``.dta`` or ``.parquet``.
    prefix : str, optional
        Wave prefix to remove (``"f_"``). Detected from the item columns when not given.
    weight : str, optional
        Weight column, with or without the prefix (``"f_indscui_xw"``). When not given, a
        self-completion cross-sectional weight (``indscus_xw``, ``indscub_xw``,
        ``indscui_xw``) is used if present; otherwise all respondents weigh the same and a
        warning says so.
    levels : sequence of str, optional
        Classification columns, coarse to fine (``["oac_supergroup", "oac_group",
        "oac_subgroup"]``), with or without the prefix.
    items : sequence, optional
        The item set (default: :data:`resilience.items.DEFAULT_ITEMS`).
    select : (str, value), optional
        Read only the rows whose column ``select[0]`` holds ``select[1]`` (compared as
        text): one wave of a long file with a wave column (:mod:`resilience.inputs.waves`).
    return_info : bool, default=False
        Also return a :class:`SurveyInfo` describing what was found.

    Returns
    -------
    DataFrame
        One row per respondent (indexed by ``pidp`` when present): the items as floats
        with negative codes and out-of-range values set missing, the weight in column
        ``weight`` (absent when the file has none), and the classification codes as text
        in columns named like the file's without the wave prefix.
    SurveyInfo
        Only with ``return_info=True``.

    Raises
    ------
    InputDataError
        Missing items (named, with the required set), an absent or negative weight, an
        absent classification column, an item with no valid answer, or a file that is
        not a respondent file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from resilience.synthetic import make_borough
    >>> b = make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=500)
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "f_indresp.tab"
    >>> b.survey.to_csv(f, sep="\\t", index=False)
    >>> s, info = read_survey(
    ...     f, weight="f_indscui_xw", levels=["oac_supergroup", "oac_subgroup"], return_info=True
    ... )
    >>> info.prefix, info.weight, info.levels, s.shape
    ('f_', 'indscui_xw', ['oac_supergroup', 'oac_subgroup'], (500, 25))
    >>> s["weight"].gt(0).mean().round(2)
    np.float64(0.93)
    """
    p = Path(path)
    if not p.exists():
        raise InputDataError(f"The survey file {file_label(p)} does not exist. Check the path.")
    if p.is_dir():
        raise not_a_file("survey", p)
    if p.stat().st_size == 0:
        raise InputDataError(f"The survey file {file_label(p)} is empty (0 bytes).")
    item_set = parse_items(items)
    names = [it.name for it in item_set]
    try:
        columns = _read_columns(p)
    except InputDataError:
        raise
    except UnicodeDecodeError as err:
        raise not_utf8("survey", p, err) from err
    except Exception as err:
        raise InputDataError(
            f"The survey file {file_label(p)} could not be read ({type(err).__name__}: {err})."
        ) from err
    _check_header(p, columns)
    lookup = {str(c).strip().lower(): str(c) for c in columns}
    if prefix is None:
        prefix = detect_prefix(columns, names)
    prefix = prefix.lower()

    found = {it.name: _resolve(it.name, lookup, prefix, what="item", path=p) for it in item_set}
    missing = [it for it in item_set if found[it.name] is None]
    if len(missing) == len(item_set):
        raise InputDataError(
            f"The file {file_label(p)} does not look like a survey respondent file: none of "
            f"the {len(item_set)} survey items ({format_examples(names, 6)}) is among its "
            f"columns ({format_examples(columns, 8)}). Check the [survey] path and prefix."
        )
    if missing:
        raise InputDataError(_missing_items_message(missing, item_set, p, prefix))

    weight_col: str | None
    if weight is not None:
        weight_col = _resolve(weight, lookup, prefix, what="weight", path=p)
        if weight_col is None:
            candidates = [c for c in columns if str(c).lower().endswith("_xw")]
            raise InputDataError(
                f"The survey file {file_label(p)} has no weight column {weight!r}. Weight-like "
                f"columns in the file: {format_examples(candidates, 8) or 'none'}. For "
                "self-completion items use indscus_xw (wave 1), indscub_xw (waves 2-5) or "
                "indscui_xw (wave 6 on), with the wave prefix."
            )
    else:
        weight_col = next(
            (
                lookup[c]
                for c in (f"{prefix}{w}" for w in ("indscui_xw", "indscub_xw", "indscus_xw"))
                if c in lookup
            ),
            None,
        )

    level_cols: list[str] = []
    for lv in levels or ():
        col = _resolve(lv, lookup, prefix, what="classification", path=p)
        if col is None:
            others = [c for c in columns if c not in found.values()]
            raise InputDataError(
                f"The survey file {file_label(p)} has no classification column {lv!r}. Its "
                f"columns include: {format_examples(others, 12)}. "
                "Name the respondents' area classification columns in [survey] levels, coarse "
                "to fine (from the UKHLS special licence OAC file)."
            )
        level_cols.append(col)

    id_col = next((lookup[c] for c in _ID_COLUMNS if c in lookup), None)
    # the design's PSUs and strata (UKHLS w_psu, w_strata), kept for the design bootstrap
    design_cols = [_resolve(d, lookup, prefix, what="design", path=p) for d in _DESIGN_COLUMNS]
    design_cols = [c for c in design_cols if c]
    select_col = _select_column(select, lookup, prefix, p, columns)
    usecols = list(
        dict.fromkeys(
            [
                c
                for c in [
                    id_col,
                    weight_col,
                    *found.values(),
                    *level_cols,
                    *design_cols,
                    select_col,
                ]
                if c
            ]
        )
    )
    raw = _read_frame(p, usecols, level_cols)
    if select is not None:
        raw = _select_rows(raw, select_col, select[1], p)
    if len(raw) == 0:
        raise InputDataError(f"The survey file {file_label(p)} has a header but no rows.")
    raw = _unique_respondents(raw, id_col, p)
    _check_numbers(raw, [found[it.name] for it in item_set], p)

    def strip(col: str) -> str:
        c = col.strip().lower()
        return c[len(prefix) :] if prefix and c.startswith(prefix) else c

    out = pd.DataFrame(index=raw.index)
    missing_codes: dict[str, dict[int, int]] = {}
    out_of_range: dict[str, int] = {}
    for it in item_set:
        col = found[it.name]
        values = pd.to_numeric(raw[col], errors="coerce").astype(float)
        neg = values[values < 0]
        missing_codes[it.name] = {
            int(k): int(v) for k, v in neg.value_counts().sort_index().items()
        }
        values = values.where(values >= 0)
        bad = values.notna() & ~values.between(it.low, it.high)
        if bad.any():
            out_of_range[it.name] = int(bad.sum())
            values = values.where(~bad)
        out[it.name] = values
    all_missing = [it.name for it in item_set if out[it.name].notna().sum() == 0]
    if all_missing:
        raise InputDataError(
            f"In the survey file {file_label(p)} the item(s) "
            f"{format_examples([prefix + n for n in all_missing])} have no valid answer (every "
            "value is a negative missing code or blank). Was the question asked in this wave? "
            "Choose another wave or leave the item out of the item set."
        )
    if out_of_range:
        warnings.warn(
            "Survey values outside the item's scale were treated as missing: "
            + ", ".join(f"{k} ({v})" for k, v in out_of_range.items()),
            DataQualityWarning,
            stacklevel=2,
        )

    weight_name: str | None = None
    if weight_col is not None:
        weight_name = strip(weight_col)
        w = pd.to_numeric(raw[weight_col], errors="coerce")
        bad_w = raw[weight_col][w.isna() | (w < 0)]
        if len(bad_w):
            raise InputDataError(
                f"The weight column {weight_col!r} of {file_label(p)} has {len(bad_w)} negative "
                f"or non-numeric value(s), e.g. {format_examples(bad_w.unique().tolist())}. "
                "Weights must be zero or positive; respondents outside the weighted sample "
                "have weight 0."
            )
        if float(w.sum()) == 0.0:
            raise InputDataError(
                f"Every weight in column {weight_col!r} of {file_label(p)} is zero; is it the "
                "right weight for this wave?"
            )
        out[WEIGHT] = w.astype(float)
    else:
        warnings.warn(
            f"No weight column given or found in {file_label(p)}; every respondent counts "
            "the same. Name the cross-sectional self-completion weight in [survey] weight.",
            DataQualityWarning,
            stacklevel=2,
        )

    level_names = []
    for col in level_cols:
        name = strip(col)
        codes = _code_text(raw[col])
        codes = codes.mask(codes.isin(["", "nan"]) | codes.str.match(r"^-\d+$", na=False))
        out[name] = codes
        level_names.append(name)

    for col in design_cols:
        out[strip(col)] = raw[col].where(pd.to_numeric(raw[col], errors="coerce").fillna(0) >= 0)

    _check_codes_present(raw, level_cols, out, level_names, p)
    if id_col is not None:
        ids = raw[id_col]
        if ids.is_unique:
            out.index = pd.Index(ids.to_numpy(), name=strip(id_col))
    if not return_info:
        return out
    info = SurveyInfo(
        source=str(p),
        prefix=prefix,
        weight=weight_name,
        levels=level_names,
        items=names,
        missing_codes=missing_codes,
    )
    return out, info


def _check_header(path: Path, columns: list[str]) -> None:
    """A column named twice in the header is an error (the reader would rename the copy)."""
    if path.suffix.lower() not in (".tab", ".tsv", ".csv", ".txt"):
        return
    with open(path, encoding="utf-8-sig", newline="") as fh:
        header = fh.readline().rstrip("\r\n")
    sep = "\t" if path.suffix.lower() in (".tab", ".tsv") else ","
    names = [h.strip().strip('"').lower() for h in header.split(sep)]
    twice = sorted({n for n in names if n and names.count(n) > 1})
    if twice:
        raise InputDataError(
            f"The survey file {file_label(path)} has column(s) {format_examples(twice)} more than "
            "once in its header, so it is not clear which to use. Remove the copies."
        )


def _check_numbers(raw: pd.DataFrame, columns: list[str], path: Path) -> None:
    """Item answers must be numbers (negative missing codes included) or blank."""
    for col in columns:
        text = raw[col].astype("string").str.strip()
        bad = raw[col][pd.to_numeric(text, errors="coerce").isna() & text.notna() & (text != "")]
        if len(bad):
            raise InputDataError(
                f"Column {col!r} of the survey file {file_label(path)} should hold numeric "
                f"answers but has {len(bad)} value(s) that are not numbers, e.g. "
                f"{format_examples(bad.unique().tolist())}. Correct them, or blank them (or use "
                "the survey's negative missing codes)."
            )


def _check_codes_present(
    raw: pd.DataFrame, cols: list[str], out: pd.DataFrame, names: list[str], path: Path
) -> None:
    """At least one respondent has a code at the top classification level."""
    if cols and out[names[0]].notna().sum() == 0:
        raise InputDataError(
            f"No respondent of the survey file {file_label(path)} has a classification code in "
            f"column {cols[0]!r} (every value is blank or a negative missing code, e.g. "
            f"{format_examples(raw[cols[0]].astype(str).unique().tolist())}). Merge in the "
            "respondents' area classification from the UKHLS special licence OAC file."
        )


def _unique_respondents(raw: pd.DataFrame, id_col: str | None, path: Path) -> pd.DataFrame:
    """One row per respondent id: identical repeats are dropped (with a warning), others fail."""
    if id_col is None:
        return raw
    ids = raw[id_col]
    repeated = ids.duplicated(keep=False) & ids.notna()
    if not repeated.any():
        return raw
    exact = raw.duplicated(keep="first")
    differing = raw[repeated & ~raw.duplicated(keep=False)][id_col].unique().tolist()
    if differing:
        raise InputDataError(
            f"The survey file {file_label(path)} has {len(differing)} respondent id(s) in "
            f"column {id_col!r} on more than one row with different answers, e.g. "
            f"{format_examples(differing)}. Give one row per respondent (check that the file "
            "is one wave's indresp file, not several waves stacked)."
        )
    drop = exact & repeated
    examples = format_examples(ids[drop].unique().tolist())
    warnings.warn(
        f"The survey file {file_label(path)} repeats {int(drop.sum())} row(s) exactly (same "
        f"{id_col!r} and answers, e.g. {examples}); "
        "each respondent is counted once.",
        DataQualityWarning,
        stacklevel=3,
    )
    return raw[~drop]


def _select_column(
    select: tuple[str, object] | None,
    lookup: Mapping[str, str],
    prefix: str,
    path: Path,
    columns: Sequence[str],
) -> str | None:
    """The file's column named by ``select`` (None without a selection)."""
    if select is None:
        return None
    col = _resolve(str(select[0]), lookup, prefix, what="wave", path=path)
    if col is None:
        raise InputDataError(
            f"The survey file {file_label(path)} has no wave column {select[0]!r} ([survey] "
            f"wave_column). Its columns include: {format_examples(list(columns), 12)}."
        )
    return col


def _select_rows(raw: pd.DataFrame, col: str, value: object, path: Path) -> pd.DataFrame:
    """The rows of ``raw`` whose ``col`` holds ``value`` (as text), renumbered."""
    text = _code_text(raw[col]).astype(object)
    keep = (text == str(value).strip()).to_numpy()
    if not keep.any():
        found = sorted(text.dropna().unique().tolist())
        raise InputDataError(
            f"The survey file {file_label(path)} has no rows of wave {value!r} in column "
            f"{col!r}; the column holds {format_examples(found, 12)}. Check the 'wave' of "
            "each entry of [survey] waves."
        )
    return raw.loc[keep].reset_index(drop=True)


def _code_text(values: pd.Series) -> pd.Series:
    """Classification codes as text; whole numbers stored as floats lose their ``.0``.

    Stata and Parquet files (and CSVs read by other tools) may hold numeric codes, as
    floats when some are missing: ``4.0`` must match the area classification's ``4``.
    """
    if pd.api.types.is_float_dtype(values):
        known = values.dropna()
        if len(known) and (known == known.round()).all():
            values = values.astype("Int64")
    text = values.astype("string").str.strip()
    known_text = text.dropna()
    if len(known_text) and known_text.str.fullmatch(r"-?\d+\.0+").all():
        text = text.str.replace(r"\.0+$", "", regex=True)
    return text


def describe_missing(missing_codes: Mapping[str, Mapping[int, int]]) -> pd.DataFrame:
    """Counts of each negative code per item as a table (items x codes) for the log."""
    frame = pd.DataFrame(missing_codes).T.fillna(0).astype(np.int64)
    frame = frame.reindex(sorted(frame.columns), axis=1)
    frame.columns = [f"{c} {_MISSING_MEANINGS.get(c, 'other')}".strip() for c in frame.columns]
    return frame
