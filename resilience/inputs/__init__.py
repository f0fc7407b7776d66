"""Reading and checking every input a run needs.

One module per input: :mod:`~resilience.inputs.boundaries` (OA, LSOA and ward polygons),
:mod:`~resilience.inputs.lookup` (OA → LSOA → ward), :mod:`~resilience.inputs.population`,
:mod:`~resilience.inputs.survey` (the respondent file), :mod:`~resilience.inputs.hard`
(hard-data tables, with the English Indices of Deprivation "File 7" layout in
``_file7``), :mod:`~resilience.inputs.crosswalk` (OA 2011 ↔ 2021 lookups) and
:mod:`~resilience.inputs.codes` (ONS area codes). :mod:`~resilience.inputs.load` reads
everything a config names and checks that the inputs join.

The names below are imported on first use, so ``import resilience.inputs.codes`` stays cheap.

Examples
--------
>>> from resilience.inputs import read_boundaries, read_lookup, read_population
"""

from __future__ import annotations

from .._lazy import lazy_exports

#: Public name → the module of this package that defines it.
_EXPORTS = {
    "BNG": "boundaries",
    "LEVELS": "boundaries",
    "read_boundaries": "boundaries",
    "derive_lookup": "lookup",
    "read_lookup": "lookup",
    "vintage_of_codes": "lookup",
    "census_label": "population",
    "read_population": "population",
    "read_survey": "survey",
    "HardData": "hard",
    "Indicator": "hard",
    "read_hard_data": "hard",
    "Crosswalk": "crosswalk",
    "read_crosswalk": "crosswalk",
    "Inputs": "load",
    "load_inputs": "load",
    "check": "check",
    "CheckReport": "check",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
