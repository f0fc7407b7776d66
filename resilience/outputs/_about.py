"""Run metadata, sources, attribution, caveats and the column dictionary of the deliverables.

The table writer (About sheet) and the report (sources and caveats sections) share the
texts here, so the workbook and the page always say the same thing.

The ``about`` mapping that :func:`resilience.outputs.tables.write_tables` and
:func:`resilience.outputs.report.write_report` accept may hold these keys (all optional):

``title``
    Title of the run (config ``title``).
``run_id``, ``created``, ``package_version``, ``config_hash``, ``seed``
    Run metadata (``package_version`` defaults to :data:`resilience.__version__`).
``sources``
    A list of strings, or a mapping of source name -> description (vintage, licence).
``caveats``
    A list of strings that replaces :data:`DEFAULT_CAVEATS`.
``columns``
    A mapping of column name -> meaning that adds to or overrides the built-in dictionary
    (use it for the hard-data indicators).
``interval``
    Coverage of the bootstrap intervals (default 0.9).
``quintile_gap``
    Quintile difference that raises a flag (default 2).
``min_confidence``
    Smallest flag confidence of a ``strong`` flag (default 0.8).
``min_respondents``
    Smallest number of respondents a classification category needs for an estimate of
    its own (default 10).

Any other key with a scalar value is shown as one more line of run metadata.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..clusters import CLUSTERS

__all__ = [
    "ATTRIBUTION",
    "DEFAULT_CAVEATS",
    "OGL_URL",
    "UNKNOWN_MEANING",
    "About",
    "column_meaning",
    "normalise_about",
]

#: Attribution required by the Open Government Licence for ONS data and by Ordnance Survey
#: for boundaries derived from OS data.
ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence "
    "v.3.0; Contains OS data © Crown copyright and database right"
)
#: The Open Government Licence v3.0.
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"

#: Plain-English caveats shown in the report and the About sheet. ``{interval}`` and
#: ``{min_respondents}`` are filled in from the run's ``about``.
DEFAULT_CAVEATS: tuple[str, ...] = (
    "Predicted, not measured. The cluster shares come from a national survey "
    "(Understanding Society) linked to each area through its area classification. Nobody "
    "in these areas was asked these questions for this analysis.",
    "Every output area of the same classification category gets the same estimate. "
    "Differences between neighbourhoods of one type, and local context (an estate, a "
    "new development, a busy road), are not captured.",
    "Some classification categories have few survey respondents. Their estimates are "
    "pulled towards the broader category above them, and a category with fewer than "
    "{min_respondents} respondents takes its parent's estimate. Only aggregates are "
    "published.",
    "The area classification and the deprivation indices both draw on census data, so "
    "some agreement between the prediction and the hard data is built in.",
    "The classification describes areas at the census. Places that have changed since "
    "then may be described out of date.",
    "Predictions are made for output areas and the hard data describe LSOAs: the two "
    "are compared at LSOA level.",
    "Output areas are assigned to wards by best fit, so ward figures may differ slightly "
    "from figures for the exact ward boundary.",
    "Intervals are {interval_pct} bootstrap intervals. Each replicate resamples the survey "
    "(by its design when PSUs and strata are given), redraws every respondent's cluster "
    "from their membership probabilities, re-estimates the shrinkage and draws the shares "
    "from their posterior. On synthetic data with a known truth they cover the true shares "
    "in about 89% of output-area and LSOA cells and 84% of ward cells (for 90% intervals): "
    "a cluster boundary misplaced by the model itself is not carried.",
    "A flag is a reason to look, not a finding: it shortlists LSOAs for desk review and "
    "site visits.",
)

#: Meaning given to a column the dictionary does not know.
UNKNOWN_MEANING = "As supplied in the input data (see the config)"

_FIXED_COLUMNS: dict[str, str] = {
    "oa_code": "Output area code (ONS GSS code)",
    "lsoa_code": "Lower layer super output area code (ONS GSS code)",
    "lsoa_name": "LSOA name",
    "ward_code": "Electoral ward code (ONS GSS code)",
    "ward_name": "Ward name",
    "population": "Population used as the weight (adults where available)",
    "dominant_cluster": "The cluster with the largest predicted share",
    "resilience_score": (
        "Asset shares minus vulnerability shares, from -1 to 1; higher = more resilient"
    ),
    "estimate_level": (
        "Classification level the estimate came from ('all' = the whole survey sample)"
    ),
    "hard_index": (
        "Mean of the standardised hard-data indicators (z-scores within the study area); "
        "higher = more need, 0 = study-area average"
    ),
    "predicted_quintile": (
        "Quintile of predicted vulnerability (-resilience_score) within the study area; "
        "1 = least need, 5 = most need"
    ),
    "hard_quintile": "Quintile of hard_index within the study area; 1 = least need, 5 = most need",
    "gap": "predicted_quintile minus hard_quintile",
    "flag": (
        "agree; predicted_worse (prediction shows more need than the hard data); "
        "hard_worse (hard data show more need than the prediction)"
    ),
    "flag_confidence": "Share of bootstrap replicates that give the same flag",
    "flag_strength": (
        "strong (flagged, confidence at least [compare] min_confidence); possible (flagged, "
        "less confident); none (agree)"
    ),
    "bivariate": (
        "Predicted-need tertile - hard-data-need tertile within the study area (1-1 low on "
        "both ... 3-3 high on both; 1-3 and 3-1 disagree most)"
    ),
    "gap_cluster": "Local Moran's I cluster of the gap (false discovery rate controlled)",
    "flag_reason": "Hard indicators that pull the prediction and the hard data apart most",
    "n_lsoa": "Number of LSOAs in the ward",
    "n_flagged": "Number of the ward's LSOAs flagged as predicted_worse or hard_worse",
    "n_oa": "Number of output areas",
}


def column_meaning(
    column: str, extra: Mapping[str, str] | None = None, *, interval: float = 0.9
) -> str:
    """Meaning of an output column in one line, for data dictionaries.

    Parameters
    ----------
    column : str
        Column name (``share_isolation``, ``hard_index`` …).
    extra : mapping, optional
        Meanings that add to or override the built-in ones.
    interval : float, default=0.9
        Coverage of the bootstrap intervals, used in ``_lo``/``_hi`` columns.

    Examples
    --------
    >>> column_meaning("share_isolation")
    'Predicted share of residents in the Isolation cluster (0-1)'
    >>> column_meaning("share_isolation_lo")
    'Lower end of the 90% bootstrap interval of share_isolation'
    """
    if extra and column in extra:
        return str(extra[column])
    if column in _FIXED_COLUMNS:
        return _FIXED_COLUMNS[column]
    match = re.fullmatch(r"share_(\w+?)(_lo|_hi)?", column)
    labels = {c.key: c.label for c in CLUSTERS}
    if match and match.group(1) in labels:
        if match.group(2):
            end = "Lower" if match.group(2) == "_lo" else "Upper"
            return f"{end} end of the {_pct(interval)} bootstrap interval of share_{match.group(1)}"
        return f"Predicted share of residents in the {labels[match.group(1)]} cluster (0-1)"
    match = re.fullmatch(r"(index|band)_(\w+?)(_lo|_hi)?", column)
    if match and match.group(2) in labels:
        label = labels[match.group(2)]
        if match.group(1) == "band":
            return (
                f"{label} index in bands: well below (<80), below (80-95), around average "
                "(95-105, or when the interval covers 100), above (105-120), well above (>120)"
            )
        if match.group(3):
            end = "Lower" if match.group(3) == "_lo" else "Upper"
            return f"{end} end of the {_pct(interval)} interval of index_{match.group(2)}"
        return f"{label} share as an index: 100 x share / the survey's national share"
    return UNKNOWN_MEANING


@dataclass(frozen=True)
class About:
    """Normalised run metadata; see the module docstring for the keys it comes from."""

    title: str
    metadata: dict[str, str]
    sources: list[str]
    caveats: list[str]
    columns: dict[str, str] = field(default_factory=dict)
    interval: float = 0.9
    quintile_gap: int = 2
    min_respondents: int = 10
    min_confidence: float = 0.8


_KNOWN = {"title", "sources", "caveats", "columns", "interval", "quintile_gap", "min_respondents",
          "min_confidence"}  # fmt: skip
_METADATA_LABELS = {
    "run_id": "Run id",
    "created": "Created (UTC)",
    "package_version": "resilience version",
    "config_hash": "Config hash (sha256)",
    "seed": "Random seed",
}


def normalise_about(about: Mapping[str, object] | None, *, title: str | None = None) -> About:
    """Turn the ``about`` mapping into an :class:`About`, filling in defaults.

    Examples
    --------
    >>> a = normalise_about({"run_id": "r1", "interval": 0.8}, title="Demo")
    >>> a.title, a.metadata["Run id"], "80%" in a.caveats[7]
    ('Demo', 'r1', True)
    """
    from .. import __version__

    about = dict(about or {})
    interval = float(about.get("interval", 0.9))  # type: ignore[arg-type]
    min_resp = int(about.get("min_respondents", 10))  # type: ignore[call-overload]
    about.setdefault("package_version", __version__)
    metadata: dict[str, str] = {}
    ordered = [k for k in _METADATA_LABELS if k in about] + [
        k for k in about if k not in _METADATA_LABELS
    ]
    for key in ordered:
        value = about[key]
        if key in _KNOWN or value is None or isinstance(value, Mapping | list | tuple):
            continue
        metadata[_METADATA_LABELS.get(key, key.replace("_", " ").capitalize())] = str(value)
    caveats = about.get("caveats")
    if caveats is None:
        caveats = [
            c.format(interval_pct=_pct(interval), min_respondents=min_resp) for c in DEFAULT_CAVEATS
        ]
    return About(
        title=str(title if title is not None else about.get("title", "Community resilience")),
        metadata=metadata,
        sources=_sources(about.get("sources")),
        caveats=[str(c) for c in caveats],  # type: ignore[union-attr]
        columns={str(k): str(v) for k, v in dict(about.get("columns") or {}).items()},  # type: ignore[call-overload]
        interval=interval,
        quintile_gap=int(about.get("quintile_gap", 2)),  # type: ignore[call-overload]
        min_respondents=min_resp,
        min_confidence=float(about.get("min_confidence", 0.8)),  # type: ignore[arg-type]
    )


def _sources(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [f"{k}: {v}" for k, v in value.items()]
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]  # type: ignore[attr-defined]


def _pct(x: float) -> str:
    return f"{x * 100:g}%"
