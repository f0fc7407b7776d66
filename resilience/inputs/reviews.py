"""The review log: what site visits and desk reviews found, read on every run.

The log (``[review] log = "reviews.csv"``) has one row per review: ``lsoa_code``,
``date`` (``2026-03-14`` or ``14/03/2026``), ``outcome`` and optional ``note`` and
``reviewer``. Outcomes are ``confirmed`` (the concern is real), ``explained`` (hard data and
prediction differ for a known reason) and ``not_confirmed``. Rows whose ``date`` and
``outcome`` are both empty (unfilled rows of ``review/reviews_template.csv``) are skipped;
any other row with an unknown LSOA, a date that cannot be read or an outcome not in the
list is an error naming the row and the column.

Examples
--------
>>> import datetime, io, tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "reviews.csv"
>>> _ = p.write_text("lsoa_code,date,outcome,note,reviewer\\n"
...                  "E01000001,2025-06-01,explained,new estate,JS\\n"
...                  "E01000002,01/02/2020,confirmed,,AB\\n")
>>> log = read_review_log(p, ["E01000001", "E01000002"])
>>> latest_reviews(log).to_dict(orient="index")["E01000001"]
{'last_review': '2025-06-01', 'review_outcome': 'explained'}
>>> recently_explained(log, years=2, today=datetime.date(2026, 1, 1))
['E01000001']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..errors import InputDataError, format_examples
from ..schema import REVIEW_COLUMNS, REVIEW_OUTCOMES
from ._io import file_label, read_table, require_columns

__all__ = [
    "LOG_COLUMNS",
    "OUTCOMES",
    "latest_reviews",
    "read_review_log",
    "recently_explained",
    "review_template",
]

#: Outcomes a review can record.
OUTCOMES: tuple[str, ...] = REVIEW_OUTCOMES
#: Columns of the review log, in the order the template writes them.
LOG_COLUMNS: tuple[str, ...] = ("lsoa_code", "date", "outcome", "note", "reviewer")
_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%Y/%m/%d")


def read_review_log(path: str | Path, lsoa_codes: Iterable[str]) -> pd.DataFrame:
    """Read and check the review log.

    Parameters
    ----------
    path : str or Path
        The log (CSV or any table :func:`~resilience.inputs._io.read_table` reads).
    lsoa_codes : iterable of str
        The study area's LSOAs; a review of any other code is an error.

    Returns
    -------
    DataFrame
        :data:`LOG_COLUMNS` plus ``row`` (spreadsheet row, header = 1), ``date`` as
        :class:`datetime.date`, sorted by LSOA and date.

    Raises
    ------
    InputDataError
        A required column is missing, or a row has an unknown LSOA, an unreadable date,
        a date in the future or an unknown outcome (the message names the row and column).
    """
    table = read_table(path, role="review log")
    require_columns(
        table,
        ["lsoa_code", "date", "outcome"],
        path=path,
        role="review log",
        hint="Start from review/reviews_template.csv in the run's output folder.",
    )
    table = table.copy()
    table["row"] = range(2, len(table) + 2)
    for col in ("note", "reviewer"):
        table[col] = table[col].fillna("") if col in table else ""
    blank = table["date"].isna() & table["outcome"].isna()
    table = table[~blank]
    known = set(lsoa_codes)
    today = dt.date.today()
    dates, outcomes = [], []
    for _, r in table.iterrows():
        where = f"row {r['row']} of the review log {file_label(path)}"
        code = str(r["lsoa_code"]).strip() if pd.notna(r["lsoa_code"]) else ""
        if code not in known:
            raise InputDataError(
                f"Column 'lsoa_code' in {where}: {code or '(empty)'!r} is not an LSOA of the "
                f"study area (e.g. {format_examples(sorted(known)[:3])}). Correct the code or "
                "delete the row."
            )
        dates.append(_date(r["date"], where, today))
        outcome = str(r["outcome"]).strip().lower().replace(" ", "_").replace("-", "_")
        if outcome not in OUTCOMES:
            raise InputDataError(
                f"Column 'outcome' in {where}: {r['outcome']!r} is not an outcome. Use one of "
                f"{', '.join(OUTCOMES)}."
            )
        outcomes.append(outcome)
    out = pd.DataFrame(
        {
            "lsoa_code": table["lsoa_code"].astype(str).str.strip().to_numpy(),
            "date": dates,
            "outcome": outcomes,
            "note": table["note"].astype(str).to_numpy(),
            "reviewer": table["reviewer"].astype(str).to_numpy(),
            "row": table["row"].to_numpy(),
        }
    )
    return out.sort_values(["lsoa_code", "date", "row"], kind="stable").reset_index(drop=True)


def _date(value: object, where: str, today: dt.date) -> dt.date:
    text = "" if pd.isna(value) else str(value).strip()
    for fmt in _FORMATS:
        try:
            day = dt.datetime.strptime(text.split(" ")[0].split("T")[0], fmt).date()
        except ValueError:
            continue
        if day > today:
            raise InputDataError(
                f"Column 'date' in {where}: {text!r} is in the future. Give the date of the review."
            )
        return day
    raise InputDataError(
        f"Column 'date' in {where}: {text or '(empty)'!r} is not a date. Write it as "
        "2026-03-14 or 14/03/2026."
    )


def latest_reviews(log: pd.DataFrame) -> pd.DataFrame:
    """The most recent review of each LSOA: ``last_review`` (ISO date), ``review_outcome``."""
    last = log.groupby("lsoa_code", sort=True).tail(1).set_index("lsoa_code")
    date_column, outcome_column = REVIEW_COLUMNS
    return pd.DataFrame(
        {
            date_column: [d.isoformat() for d in last["date"]],
            outcome_column: last["outcome"].to_numpy(),
        },
        index=last.index,
    )


def recently_explained(
    log: pd.DataFrame, *, years: float = 2, today: dt.date | None = None
) -> list[str]:
    """LSOAs whose latest review is ``explained`` and at most ``years`` old, by code."""
    today = today or dt.date.today()
    cutoff = today - dt.timedelta(days=round(365.25 * years))
    last = log.groupby("lsoa_code", sort=True).tail(1)
    keep = (last["outcome"] == "explained") & (last["date"] >= cutoff)
    return sorted(last.loc[keep, "lsoa_code"])


def review_template(flags: pd.DataFrame) -> pd.DataFrame:
    """The shortlist as an empty review log to fill in after the visits.

    Columns: :data:`LOG_COLUMNS` (``date``, ``outcome``, ``note`` and ``reviewer`` left
    empty), then ``lsoa_name``, ``ward_name``, ``flag`` and ``flag_strength`` (when known)
    to say which LSOA a row is; the reader ignores them.

    Examples
    --------
    >>> flags = pd.DataFrame({"lsoa_code": ["E01000001"], "lsoa_name": ["X 001A"],
    ...                       "ward_name": ["Mill"], "flag": ["hard_worse"]})
    >>> review_template(flags).columns.tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['lsoa_code', 'date', 'outcome', 'note', 'reviewer', 'lsoa_name', 'ward_name', 'flag',
     'flag_strength']
    """
    out = pd.DataFrame({"lsoa_code": flags["lsoa_code"].to_numpy()})
    for col in LOG_COLUMNS[1:]:
        out[col] = ""
    for col in ("lsoa_name", "ward_name", "flag"):
        out[col] = flags[col].to_numpy() if col in flags else ""
    out["flag_strength"] = (
        flags["flag_strength"].to_numpy() if "flag_strength" in flags else "possible"
    )
    return out
