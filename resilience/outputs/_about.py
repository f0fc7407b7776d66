"""Run metadata, sources, attribution and caveats of the deliverables.

The column dictionary (:func:`column_meaning`) is the output schema's
(:mod:`resilience.schema`), re-exported here for the workbook.

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
``min_respondents``
    Smallest number of respondents a classification category needs for an estimate of
    its own (default 10).

Any other key with a scalar value is shown as one more line of run metadata.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..schema import UNKNOWN_MEANING, column_meaning

__all__ = [
    "ATTRIBUTION",
    "DEFAULT_CAVEATS",
    "DISCLOSURE_RULE",
    "OGL_URL",
    "ONS_ATTRIBUTION",
    "OS_ATTRIBUTION",
    "SURVEY_ATTRIBUTION",
    "UNKNOWN_MEANING",
    "About",
    "about_record",
    "attribution",
    "column_meaning",
    "normalise_about",
]

#: Attribution the Open Government Licence asks for ONS data (ONS practice, see
#: https://www.ons.gov.uk/methodology/geography/licences).
ONS_ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0"
)
#: Attribution Ordnance Survey asks for boundaries derived from OS data; the year follows.
OS_ATTRIBUTION = "Contains OS data © Crown copyright and database right"
#: Both, as one line (the year is added by :func:`attribution`).
ATTRIBUTION = f"{ONS_ATTRIBUTION}; {OS_ATTRIBUTION}"
#: Acknowledgement of the survey for outputs built from Understanding Society, with the
#: disclaimer the UK Data Service End User Licence asks for
#: (https://www.understandingsociety.ac.uk/; https://ukdataservice.ac.uk/).
SURVEY_ATTRIBUTION = (
    "Survey data: Understanding Society, the UK Household Longitudinal Study, led by the "
    "Institute for Social and Economic Research, University of Essex, funded by the Economic "
    "and Social Research Council and distributed by the UK Data Service. The original data "
    "creators, depositors, copyright holders and funders bear no responsibility for this "
    "analysis or its interpretation."
)
#: The disclosure rule the outputs follow; ``{min_respondents}`` is filled in.
DISCLOSURE_RULE = (
    "Disclosure control: no estimate is published for a classification category with "
    "fewer than {min_respondents} survey respondents (it takes its parent's estimate), only "
    "aggregates are published and respondent counts are given only in bands "
    "(10–29, 30–99, 100–299, 300+)."
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
    "Intervals are {interval_pct} bootstrap intervals over survey respondents. They show "
    "sampling uncertainty in the survey, not the error of the classification itself.",
    "A flag is a reason to look, not a finding: it shortlists LSOAs for desk review and "
    "site visits.",
)

_SURVEY_NAMED = "a national survey (Understanding Society)"
_SYNTHETIC_NAMED = (
    "a SYNTHETIC survey made by resilience synth-survey for a trial run (not Understanding Society)"
)


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


_KNOWN = {"title", "sources", "caveats", "columns", "interval", "quintile_gap", "min_respondents"}
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
        if about.get("synthetic_survey"):
            # a trial run must not claim the survey it does not use
            caveats = [c.replace(_SURVEY_NAMED, _SYNTHETIC_NAMED) for c in caveats]
    return About(
        title=str(title if title is not None else about.get("title", "Community resilience")),
        metadata=metadata,
        sources=_sources(about.get("sources")),
        caveats=[str(c) for c in caveats],  # type: ignore[union-attr]
        columns={str(k): str(v) for k, v in dict(about.get("columns") or {}).items()},  # type: ignore[call-overload]
        interval=interval,
        quintile_gap=int(about.get("quintile_gap", 2)),  # type: ignore[call-overload]
        min_respondents=min_resp,
    )


def attribution(year: int, *, survey: bool = True) -> list[str]:
    """The attribution statements of a run's outputs.

    Parameters
    ----------
    year : int
        Year of the Crown copyright in the OS statement (the year the outputs were made).
    survey : bool, default=True
        Add the Understanding Society acknowledgement.

    Examples
    --------
    >>> attribution(2026, survey=False)[1]
    'Contains OS data © Crown copyright and database right 2026'
    """
    lines = [ONS_ATTRIBUTION, f"{OS_ATTRIBUTION} {int(year)}"]
    if survey:
        lines.append(SURVEY_ATTRIBUTION)
    return lines


def about_record(about: Mapping[str, object] | None) -> dict[str, object]:
    """Run metadata completed with version, attribution, licence, disclosure rule and caveats.

    The GeoPackage's ``about`` table is written from it. The keys come in this order:
    ``title``, ``run_id``, ``created``, ``package_version``, ``config_hash``, ``seed`` (each
    when known; ``title`` and ``package_version`` always), ``sources``, ``attribution``
    (ONS, OS with the year of ``created``, or of today, and Understanding Society when a
    ``sources`` entry names the survey), ``licence``, ``disclosure_control``, ``caveats``
    (:data:`DEFAULT_CAVEATS` unless given), then every other key given except ``columns``.
    Attribution statements given in ``about`` are kept after the required ones.

    Examples
    --------
    >>> r = about_record({"run_id": "r1", "created": "2026-05-01T10:00:00Z",
    ...                   "sources": ["survey: f_indresp.tab"], "seed": 3})
    >>> list(r)[:7]
    ['title', 'run_id', 'created', 'package_version', 'seed', 'sources', 'attribution']
    >>> r["attribution"][1], r["attribution"][2].startswith("Survey data: Understanding Society")
    ('Contains OS data © Crown copyright and database right 2026', True)
    >>> r["caveats"][0].startswith("Predicted, not measured.")
    True
    """
    from .. import __version__

    given = dict(about or {})
    if isinstance(given.get("caveats"), str):
        given["caveats"] = [given["caveats"]]
    info = normalise_about(given)
    created = given.get("created")
    found = re.match(r"\s*(\d{4})", str(created)) if created is not None else None
    year = int(found.group(1)) if found else datetime.now(UTC).year
    survey = any(re.match(r"\s*survey\b", s, re.IGNORECASE) for s in info.sources)
    extra = given.get("attribution") or []
    statements = attribution(year, survey=survey)
    statements += [str(a) for a in ([extra] if isinstance(extra, str) else extra)]  # type: ignore[union-attr]
    given["package_version"] = given.get("package_version") or __version__
    record: dict[str, object] = {"title": info.title}
    for key in ("run_id", "created", "package_version", "config_hash", "seed"):
        if given.get(key) is not None:
            record[key] = given[key]
    record["sources"] = info.sources
    record["attribution"] = list(dict.fromkeys(statements))
    record["licence"] = f"Open Government Licence v3.0: {OGL_URL}"
    record["disclosure_control"] = DISCLOSURE_RULE.format(min_respondents=info.min_respondents)
    record["caveats"] = info.caveats
    for key, value in given.items():
        if key not in record and key != "columns":
            record[key] = value
    return record


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
