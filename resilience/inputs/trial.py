"""Trial runs: recognising a synthetic respondent file and saying so in every output.

``resilience synth-survey`` writes an Understanding Society-shaped respondent file for a
config's own classification so that a council can run everything on its own geography
before the special-licence survey arrives. The file carries a column
:data:`SYNTHETIC_MARKER` (kept by ``.tab``, ``.csv``, ``.parquet`` and ``.dta`` alike);
:func:`is_synthetic_survey` recognises it, and :data:`SYNTHETIC_NOTICE` is the text every
output made from such a file shows.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = [
    "SYNTHETIC_MARKER",
    "SYNTHETIC_NOTICE",
    "SYNTHETIC_VALUE",
    "is_synthetic_survey",
    "map_title",
]

#: Column marking a respondent file made by ``resilience synth-survey``.
SYNTHETIC_MARKER = "synthetic_marker"
#: Its value on every row.
SYNTHETIC_VALUE = "SYNTHETIC survey made by resilience synth-survey: not real respondents"
#: What every output made from a synthetic survey says.
SYNTHETIC_NOTICE = (
    "TRIAL RUN on a SYNTHETIC survey (made by resilience synth-survey), not Understanding "
    "Society: the cluster shares, scores and flags show how the tool works on this "
    "geography and are not findings about its residents."
)


def map_title(title: str, synthetic: bool) -> str:
    """The title of the map pages, marked on a trial run.

    Examples
    --------
    >>> map_title("Northbridge", True)
    'TRIAL RUN (synthetic survey) – Northbridge'
    """
    return f"TRIAL RUN (synthetic survey) – {title}" if synthetic else title


def is_synthetic_survey(path: str | Path) -> bool:
    """True when the respondent file carries the :data:`SYNTHETIC_MARKER` column.

    Only the header is read for text files.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "f_indresp.tab"
    >>> _ = f.write_text("pidp\\tsynthetic_marker\\n1\\tSYNTHETIC\\n")
    >>> is_synthetic_survey(f)
    True
    """
    p = Path(path)
    ext = p.suffix.lower()
    if ext in (".tab", ".tsv", ".csv", ".txt"):
        with open(p, encoding="utf-8-sig", errors="replace") as fh:
            header = fh.readline()
        return SYNTHETIC_MARKER in header.lower()
    if ext == ".parquet":
        import pyarrow.parquet as pq

        return SYNTHETIC_MARKER in pq.read_schema(p).names
    if ext == ".dta":
        with pd.read_stata(p, iterator=True) as reader:
            return SYNTHETIC_MARKER in reader.variable_labels()
    return False
