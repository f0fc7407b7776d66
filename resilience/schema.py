"""The output schema: column names and order, flag values, gap-cluster labels, field
aliases and column descriptions of every deliverable.

The GeoPackage, the CSV tables and the workbook, the maps and the report all take their
names from here, so a column or a flag value is spelled in one place. The six clusters
themselves (keys, labels, profiles) are defined in :mod:`resilience.clusters`; this module
builds the ``share_<cluster>`` columns from them.

Examples
--------
>>> FLAGS
('agree', 'predicted_worse', 'hard_worse')
>>> ward_columns()[:4]
['ward_code', 'ward_name', 'population', 'share_low_wellbeing']
>>> default_aliases(["share_isolation", "flag_confidence"])
{'share_isolation': 'Isolation (predicted share)', 'flag_confidence': 'Flag confidence'}
>>> column_meaning("gap")
'predicted_quintile minus hard_quintile'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from .clusters import CLUSTER_KEYS, CLUSTERS, share_columns

__all__ = [
    "AGREE",
    "ASSET_COLUMNS",
    "COLUMN_DESCRIPTIONS",
    "COMPARE_COLUMNS",
    "DISAGREE",
    "FIXED_ALIASES",
    "FLAGS",
    "FLAG_STRENGTHS",
    "GAP_CLUSTERS",
    "HARD_WORSE",
    "NOT_SIGNIFICANT",
    "NO_DATA",
    "NO_NEIGHBOURS",
    "PREDICTED_WORSE",
    "REVIEW_COLUMNS",
    "REVIEW_OUTCOMES",
    "REVIEW_OUTCOME_LABELS",
    "SHORTLIST_COLUMNS",
    "SURVEY_DISAGREEMENTS",
    "SURVEY_DISAGREEMENT_LABELS",
    "UNKNOWN_MEANING",
    "column_meaning",
    "default_aliases",
    "estimate_columns",
    "index_columns",
    "interval_columns",
    "lsoa_columns",
    "oa_columns",
    "ward_columns",
]

# ---- flag values -------------------------------------------------------------------------

#: The prediction and the hard data fall within ``quintile_gap`` quintiles of each other.
AGREE = "agree"
#: The prediction shows more need than the hard data (gap ≥ quintile_gap).
PREDICTED_WORSE = "predicted_worse"
#: The hard data show more need than the prediction (gap ≤ −quintile_gap).
HARD_WORSE = "hard_worse"
#: Values of the ``flag`` column, in the order used for legends.
FLAGS: tuple[str, ...] = (AGREE, PREDICTED_WORSE, HARD_WORSE)
#: The flag values that put an LSOA on the desk-review shortlist.
DISAGREE: tuple[str, ...] = (PREDICTED_WORSE, HARD_WORSE)
#: Values of ``flag_strength``, strongest evidence first: ``strong`` (a flag whose
#: confidence reaches ``[compare] min_confidence``), ``possible`` (a flag below it) and
#: ``none`` (no flag).
FLAG_STRENGTHS: tuple[str, ...] = ("strong", "possible", "none")

# ---- gap-cluster labels ------------------------------------------------------------------

#: Not significant at the chosen level (also every LSOA when the gap does not vary).
NOT_SIGNIFICANT = "not significant"
#: An island: no LSOA shares an edge or corner with it.
NO_NEIGHBOURS = "no neighbours"
#: No gap (or no geometry) to test.
NO_DATA = "no data"
#: Values of the ``gap_cluster`` column: the four significant LISA quadrants first.
GAP_CLUSTERS: tuple[str, ...] = (
    "high-high",
    "low-low",
    "high-low",
    "low-high",
    NOT_SIGNIFICANT,
    NO_NEIGHBOURS,
    NO_DATA,
)

# ---- columns, in the order the layers and tables hold them -------------------------------

#: What :func:`resilience.compare.compare` adds to each LSOA.
COMPARE_COLUMNS: tuple[str, ...] = (
    "predicted_quintile",
    "hard_quintile",
    "gap",
    "flag",
    "flag_confidence",
    "flag_strength",
    "flag_reason",
)
#: Columns of the desk-review shortlist (flags.csv): the LSOA, its ward, then the flag.
SHORTLIST_COLUMNS: tuple[str, ...] = (
    "lsoa_code",
    "lsoa_name",
    "ward_code",
    "ward_name",
    "flag",
    "flag_strength",
    "predicted_quintile",
    "hard_quintile",
    "gap",
    "flag_confidence",
    "flag_reason",
)


#: What the ``[[assets]]`` files add to each LSOA, besides ``assets_<category>`` counts (and
#: ``assets_<category>_size`` sums) for each category found.
ASSET_COLUMNS: tuple[str, ...] = ("assets_total", "assets_per_1000")
#: What the review log adds to each LSOA and to the shortlist.
REVIEW_COLUMNS: tuple[str, ...] = ("last_review", "review_outcome")
#: Values of ``review_outcome``: the concern is real; hard data and prediction differ for a
#: known reason; not confirmed.
REVIEW_OUTCOMES: tuple[str, ...] = ("confirmed", "explained", "not_confirmed")
#: Values of ``disagreement`` in the resident-survey check (tables/validation.csv).
SURVEY_DISAGREEMENTS: tuple[str, ...] = ("survey higher", "survey lower", "within sampling error")
#: Each review outcome in words (review pack, maps).
REVIEW_OUTCOME_LABELS: dict[str, str] = dict(
    zip(
        REVIEW_OUTCOMES,
        (
            "Confirmed: the concern is real",
            "Explained: the two differ for a known reason",
            "Not confirmed",
        ),
        strict=True,
    )
)
#: Each ``disagreement`` value in words (GeoPackage style, maps).
SURVEY_DISAGREEMENT_LABELS: dict[str, str] = dict(
    zip(
        SURVEY_DISAGREEMENTS,
        ("Survey higher than predicted", "Survey lower than predicted", "Within sampling error"),
        strict=True,
    )
)


def interval_columns(column: str) -> list[str]:
    """A figure and the two ends of its bootstrap interval.

    Examples
    --------
    >>> interval_columns("resilience_score")
    ['resilience_score', 'resilience_score_lo', 'resilience_score_hi']
    """
    return [column, f"{column}_lo", f"{column}_hi"]


def estimate_columns(*, dominant: bool = True) -> list[str]:
    """The estimate of an area: shares, their intervals, dominant cluster and score.

    Examples
    --------
    >>> estimate_columns()[-4:]
    ['dominant_cluster', 'resilience_score', 'resilience_score_lo', 'resilience_score_hi']
    """
    return [
        *share_columns(),
        *share_columns("_lo"),
        *share_columns("_hi"),
        *(["dominant_cluster"] if dominant else []),
        *interval_columns("resilience_score"),
    ]


def index_columns() -> list[str]:
    """The national benchmark of an area: ``index_<cluster>`` with its interval and
    ``band_<cluster>``, cluster by cluster.

    Examples
    --------
    >>> index_columns()[2:4]
    ['index_low_wellbeing_hi', 'band_low_wellbeing']
    """
    return [c for k in CLUSTER_KEYS for c in (*interval_columns(f"index_{k}"), f"band_{k}")]


def oa_columns(levels: Sequence[str]) -> list[str]:
    """Columns of the OA layer, for the classification's own ``levels`` (coarse to fine).

    Examples
    --------
    >>> oa_columns(["supergroup", "group"])[:5]
    ['oa_code', 'lsoa_code', 'ward_code', 'supergroup', 'group']
    >>> oa_columns([])[-2:]
    ['band_emotional_fragility', 'population']
    """
    return [
        "oa_code",
        "lsoa_code",
        "ward_code",
        *levels,
        *estimate_columns(),
        "estimate_level",
        "estimate_category",
        *index_columns(),
        "population",
    ]


def lsoa_columns(indicators: Sequence[str] = (), domains: Sequence[str] = ()) -> list[str]:
    """Columns of the LSOA layer and lsoa.csv.

    Parameters
    ----------
    indicators : sequence of str
        The hard-data indicator columns (their slugs, as read), after the prediction.
    domains : sequence of str
        The ``hard_<domain>`` scores, after ``hard_index``.

    Examples
    --------
    >>> lsoa_columns(["income_score_rate"], ["hard_income"])[50:54]
    ['income_score_rate', 'hard_index', 'hard_income', 'predicted_quintile']
    """
    return [
        "lsoa_code",
        "lsoa_name",
        "ward_code",
        "population",
        "n_oa",
        *estimate_columns(dominant=False),
        *index_columns(),
        *indicators,
        "hard_index",
        *domains,
        *COMPARE_COLUMNS,
        "gap_cluster",
        "bivariate",
    ]


def ward_columns() -> list[str]:
    """Columns of the ward layer and ward.csv.

    Examples
    --------
    >>> ward_columns()[-3:]
    ['hard_index', 'n_lsoa', 'n_flagged']
    """
    return [
        "ward_code",
        "ward_name",
        "population",
        *estimate_columns(dominant=False),
        *index_columns(),
        "hard_index",
        "n_lsoa",
        "n_flagged",
    ]


# ---- field aliases (QGIS attribute tables and legends, table headers) --------------------

#: Aliases of the fixed columns.
FIXED_ALIASES: dict[str, str] = {
    "oa_code": "OA code",
    "lsoa_code": "LSOA code",
    "lsoa_name": "LSOA name",
    "msoa_code": "MSOA code",
    "ward_code": "Ward code",
    "ward_name": "Ward name",
    "lad_code": "Local authority code",
    "lad_name": "Local authority name",
    "population": "Population",
    "dominant_cluster": "Dominant cluster (predicted)",
    "resilience_score": "Resilience score",
    "resilience_score_lo": "Resilience score (lower bound)",
    "resilience_score_hi": "Resilience score (upper bound)",
    "estimate_level": "Estimate taken from level",
    "hard_index": "Hard data index (higher = more need)",
    "predicted_quintile": "Predicted need quintile (1 = least, 5 = most)",
    "hard_quintile": "Hard data need quintile (1 = least, 5 = most)",
    "gap": "Quintile gap (predicted minus hard data)",
    "flag": "Disagreement flag",
    "flag_confidence": "Flag confidence",
    "flag_reason": "Flag reason",
    "flag_strength": "Flag strength (strong, possible, none)",
    "bivariate": "Predicted x hard need (tertiles)",
    "gap_cluster": "Gap cluster (neighbouring areas)",
    "n_lsoa": "Number of LSOAs",
    "n_flagged": "Number of flagged LSOAs",
    "supergroup": "Classification supergroup",
    "group": "Classification group",
    "subgroup": "Classification subgroup",
    "assets_total": "Community assets (number)",
    "assets_per_1000": "Community assets per 1,000 residents",
    "last_review": "Last review (date)",
    "review_outcome": "Outcome of the last review",
}

_SHARE_SUFFIX = {"": "predicted share", "_lo": "predicted share, lower bound"}
_SHARE_SUFFIX["_hi"] = "predicted share, upper bound"
_ACRONYMS = {"oa", "lsoa", "msoa", "oac", "imd", "lad", "id", "gss", "ons"}


def default_aliases(
    columns: Iterable[str],
    indicator_labels: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Readable names for output columns, in the order given.

    Parameters
    ----------
    columns : iterable of str
        Column names. A geometry column (``geometry``, ``geom``) gets no alias.
    indicator_labels : mapping of str to str, optional
        Hard-data indicator column → its title (e.g. ``{"income": "Income Score (rate)"}``);
        these take precedence over the built-in names.

    Returns
    -------
    dict of str to str
        Every column except the geometry: the fixed columns by :data:`FIXED_ALIASES`,
        ``share_<cluster>`` and ``share_<cluster>_lo``/``_hi`` by the cluster labels,
        indicators from ``indicator_labels``, anything else with underscores turned
        into spaces and a capital first letter.

    Examples
    --------
    >>> default_aliases(["share_competence_hi", "income"], {"income": "Income Score (rate)"})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'share_competence_hi': 'Competence (predicted share, upper bound)',
     'income': 'Income Score (rate)'}
    >>> default_aliases(["oac_subgroup"])
    {'oac_subgroup': 'OAC subgroup'}
    """
    indicator_labels = dict(indicator_labels or {})
    shares = {
        f"share_{c.key}{suffix}": f"{c.label} ({words})"
        for c in CLUSTERS
        for suffix, words in _SHARE_SUFFIX.items()
    }
    for c in CLUSTERS:
        shares[f"index_{c.key}"] = f"{c.label} (index, 100 = national)"
        shares[f"index_{c.key}_lo"] = f"{c.label} (index, lower bound)"
        shares[f"index_{c.key}_hi"] = f"{c.label} (index, upper bound)"
        shares[f"band_{c.key}"] = f"{c.label} (band against national)"
    aliases: dict[str, str] = {}
    for column in columns:
        column = str(column)
        if column in ("geometry", "geom"):
            continue
        aliases[column] = (
            indicator_labels.get(column)
            or FIXED_ALIASES.get(column)
            or shares.get(column)
            or _humanise(column)
        )
    return aliases


def _humanise(column: str) -> str:
    words = [w.upper() if w.lower() in _ACRONYMS else w for w in column.split("_") if w]
    if not words:
        return column
    return words[0][:1].upper() + words[0][1:] + "".join(" " + w for w in words[1:])


# ---- column descriptions (the workbook's column dictionary) ------------------------------

#: What the change of a national index adds to the index's own meaning.
_INDEX_CHANGE = " (each wave against its own survey); 0 = changed in proportion to the survey"
#: Meaning given to a column the dictionary does not know.
UNKNOWN_MEANING = "As supplied in the input data (see the config)"

#: One-line meaning of each fixed column.
COLUMN_DESCRIPTIONS: dict[str, str] = {
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
        f"{AGREE}; {PREDICTED_WORSE} (prediction shows more need than the hard data); "
        f"{HARD_WORSE} (hard data show more need than the prediction)"
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
    "n_flagged": f"Number of the ward's LSOAs flagged as {PREDICTED_WORSE} or {HARD_WORSE}",
    "n_oa": "Number of output areas",
    "assets_total": "Community assets recorded in the LSOA, from every [[assets]] file",
    "assets_per_1000": "assets_total per 1,000 of the LSOA's population",
    "last_review": "Date of the LSOA's latest review in the review log (ISO 8601)",
    "review_outcome": "Outcome of that review: confirmed, explained or not_confirmed",
    "change_significant": (
        "Several survey waves: True where the interval of change_resilience_score excludes 0"
    ),
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
    >>> column_meaning("change_index_isolation")  # doctest: +NORMALIZE_WHITESPACE
    "Change from the earliest to the latest survey wave (later minus earlier) of: Isolation
    share as an index: 100 x share / the survey's national share (each wave against its
    own survey); 0 = changed in proportion to the survey"
    """
    if extra and column in extra:
        return str(extra[column])
    if column in COLUMN_DESCRIPTIONS:
        return COLUMN_DESCRIPTIONS[column]
    change = re.fullmatch(r"change_(\w+?)(_lo|_hi)?", column)
    if change and column_meaning(change.group(1)) != UNKNOWN_MEANING:
        base = change.group(1)
        if change.group(2):
            end = "Lower" if change.group(2) == "_lo" else "Upper"
            return (
                f"{end} end of the {interval * 100:g}% interval of change_{base}, from paired "
                "bootstrap replicates of both waves"
            )
        text = (
            "Change from the earliest to the latest survey wave (later minus earlier) of: "
            + column_meaning(base)
        )
        if base.startswith("index_"):
            text += _INDEX_CHANGE
        return text
    match = re.fullmatch(r"share_(\w+?)(_lo|_hi)?", column)
    labels = {c.key: c.label for c in CLUSTERS}
    if match and match.group(1) in labels:
        if match.group(2):
            end = "Lower" if match.group(2) == "_lo" else "Upper"
            return (
                f"{end} end of the {interval * 100:g}% bootstrap interval of share_{match.group(1)}"
            )
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
            return f"{end} end of the {interval * 100:g}% interval of index_{match.group(2)}"
        return f"{label} share as an index: 100 x share / the survey's national share"
    return UNKNOWN_MEANING
