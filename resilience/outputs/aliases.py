"""Readable names for output columns (QGIS field aliases, table headers).

Columns keep short lower_snake_case names; :func:`default_aliases` gives each one the
words an analyst reads in the attribute table and the legend.

Examples
--------
>>> default_aliases(["share_isolation", "flag_confidence"])
{'share_isolation': 'Isolation (predicted share)', 'flag_confidence': 'Flag confidence'}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..clusters import CLUSTERS

__all__ = ["FIXED_ALIASES", "default_aliases"]

#: Aliases of the fixed columns of SPEC section 4.
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
}

_SHARE_SUFFIX = {"": "predicted share", "_lo": "predicted share, lower bound"}
_SHARE_SUFFIX["_hi"] = "predicted share, upper bound"


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
        Every column except the geometry: the SPEC section 4 columns by rule
        (``share_<cluster>``, ``share_<cluster>_lo``/``_hi``, codes, names, scores, flags),
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


_ACRONYMS = {"oa", "lsoa", "msoa", "oac", "imd", "lad", "id", "gss", "ons"}


def _humanise(column: str) -> str:
    words = [w.upper() if w.lower() in _ACRONYMS else w for w in column.split("_") if w]
    if not words:
        return column
    return words[0][:1].upper() + words[0][1:] + "".join(" " + w for w in words[1:])
