"""The council's own resident survey, read for validation.

``[validation] resident_survey = { path, area = "ward" | "lsoa", code, measures = [...] }``
names a table with one row per ward or LSOA: the area code, and for each measure a column
of agree-shares and a column of respondents. Shares may be written as proportions (0–1)
or percentages (0–100): a column with any value above 1 is read as percentages. Rows for
areas outside the study area are dropped with a warning naming them.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "city_survey.csv"
>>> _ = p.write_text("ward,belong,belong_n\\nW1,87,120\\nW2,58%,95\\n")
>>> spec = {"path": str(p), "area": "ward", "code": "ward",
...         "measures": [{"column": "belong", "respondents": "belong_n",
...                       "tracks": "share_neighbourhood_support"}]}
>>> read_resident_survey(spec, ["W1", "W2"]).to_dict(orient="index")
{'W1': {'belong': 0.87, 'belong_n': 120.0}, 'W2': {'belong': 0.58, 'belong_n': 95.0}}
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from ..errors import DataQualityWarning, InputDataError, format_examples
from ._io import file_label, read_table, require_columns, to_numeric

__all__ = ["read_resident_survey"]


def read_resident_survey(spec: Mapping[str, Any], area_codes: Iterable[str]) -> pd.DataFrame:
    """Agree-shares (0–1) and respondents of every measure, indexed by area code.

    Parameters
    ----------
    spec : mapping
        The ``[validation] resident_survey`` table (``path``, ``code``, ``measures``,
        optional ``sheet``).
    area_codes : iterable of str
        The study area's wards or LSOAs (as ``spec["area"]`` says).

    Returns
    -------
    DataFrame
        One share column and one respondents column per measure, named as in the file,
        indexed by ``area_code``.

    Raises
    ------
    InputDataError
        A column is missing or not numeric, a share is negative or above 100, a count
        of respondents is not positive, an area appears twice, or no area matches.
    """
    path, role = spec["path"], "resident survey"
    table = read_table(path, role=role, sheet=spec.get("sheet"))
    shares = [m["column"] for m in spec["measures"]]
    counts = [m["respondents"] for m in spec["measures"]]
    cols = list(dict.fromkeys([spec["code"], *shares, *counts]))
    require_columns(table, cols, path=path, role=role)
    table = table[cols].copy()
    for col in shares:
        table[col] = table[col].astype("string").str.strip().str.rstrip("%")
    table = to_numeric(table, list(dict.fromkeys([*shares, *counts])), path=path, role=role)
    codes = table[spec["code"]].astype(str).str.strip()
    dup = codes[codes.duplicated()]
    if len(dup):
        raise InputDataError(
            f"Column {spec['code']!r} of the {role} file {file_label(path)} repeats areas "
            f"{format_examples(dup.unique().tolist())}; give one row per area."
        )
    table.index = pd.Index(codes, name="area_code")
    table = table.drop(columns=[spec["code"]])
    for col in shares:
        v = table[col].dropna()
        if ((v < 0) | (v > 100)).any():
            raise InputDataError(
                f"Column {col!r} of the {role} file {file_label(path)} holds values outside "
                f"0–100, e.g. {format_examples(v[(v < 0) | (v > 100)].tolist())}. Give "
                "agree-shares as proportions (0–1) or percentages."
            )
        if (v > 1).any():
            table[col] = (table[col] / 100).round(12)
    for col in counts:
        v = table[col].dropna()
        if (v <= 0).any():
            raise InputDataError(
                f"Column {col!r} of the {role} file {file_label(path)} should count "
                f"respondents (more than 0); got {format_examples(v[v <= 0].tolist())}."
            )
    known = set(area_codes)
    outside = [c for c in table.index if c not in known]
    if len(outside) == len(table):
        raise InputDataError(
            f"No area of the {role} file {file_label(path)} is a {spec['area']} of the study "
            f"area (its codes: {format_examples(outside)}; the study area's: "
            f"{format_examples(sorted(known)[:5])}). Is 'area' right?"
        )
    if outside:
        warnings.warn(
            f"{len(outside)} area(s) of the {role} file {file_label(path)} are not in the "
            f"study area and are left out: {format_examples(outside)}.",
            DataQualityWarning,
            stacklevel=2,
        )
    return table.loc[[c for c in table.index if c in known]]
