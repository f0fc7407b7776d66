"""The starter ``resilience.toml`` written next to downloaded boundaries."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

from .._toml import geography_lines, toml_value

__all__ = ["config_text", "toml_value"]  # toml_value re-exported for callers


_USER_SECTIONS = """\
# Optional: OA population for weighting LSOA and ward summaries (adults where available).
# Without it every OA weighs the same and the run warns. Census 2021 usual residents by OA:
# Nomis table TS001 (bulk file census2021-ts001-oa.csv); adults from TS007A age bands.
# population = {{ path = "oa_population.csv", code = "{oa}", column = "adults" }}

# ---------------------------------------------------------------------------------------
# The sections below need your own data: uncomment them and point them at your files.
# `resilience check resilience.toml` tells you what is still missing or wrong.
# ---------------------------------------------------------------------------------------

# [classification]            # OA -> area classification, coarse to fine (e.g. OAC 2021)
# path = "oac.csv"
# code = "{oa}"
# levels = ["supergroup", "group", "subgroup"]

# [survey]                    # Understanding Society respondents (w_indresp), with OAC codes
# path = "f_indresp.tab"
# prefix = "f_"
# weight = "f_indscui_xw"
# levels = ["oac_supergroup", "oac_group", "oac_subgroup"]
# min_respondents = 10

# [hard]                      # LSOA hard data, e.g. IoD 2025 File 7 (keyed by 2021 LSOAs)
# path = "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv"
# code = "LSOA code (2021)"
# indicators = [
#   {{ column = "Income Score (rate)", higher_is = "worse" }},
#   {{ column = "Health Deprivation and Disability Score", higher_is = "worse" }},
# ]

# [compare]
# quintile_gap = 2
"""


def config_text(
    *,
    title: str,
    files: Mapping[str, str],
    columns: Mapping[str, str],
    lad_codes: Sequence[str],
    vintage: int,
    created: str,
    version: str,
    attribution: str,
) -> str:
    """The text of a starter config whose ``[geography]`` points at downloaded files.

    ``files`` maps ``oa``, ``lsoa``, ``ward`` and ``lookup`` to paths relative to the config;
    ``columns`` maps ``oa``, ``lsoa``, ``lsoa_name``, ``ward`` and ``ward_name`` to column
    names in those files.
    """
    geography = geography_lines(files, columns)
    header = [
        f"# Written by `resilience download boundaries {' '.join(lad_codes)} --vintage {vintage}`",
        f"# on {created} (resilience {version}).",
        "# [geography] points at ONS boundaries and lookups downloaded next to this file;",
        "# provenance.json records where each came from. Paths are relative to this file.",
        "# lad.gpkg holds the council outline, for maps; the pipeline does not read it.",
        *textwrap.wrap(attribution, width=90, initial_indent="# ", subsequent_indent="# "),
        "",
        f"title = {toml_value(title)}",
        "seed = 42",
        'output = "out"',
        "",
    ]
    return "\n".join([*header, *geography, "", _USER_SECTIONS.format(oa=columns["oa"])])
