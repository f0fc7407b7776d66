"""Reading the geography inputs: boundaries, the OA → LSOA → ward lookup and population.

One import point for the pipeline and for users; the code lives in
:mod:`resilience.boundaries`, :mod:`resilience.lookup` and :mod:`resilience.population`.

Examples
--------
>>> from resilience.geography import read_boundaries, read_lookup, read_population
"""

from __future__ import annotations

from .boundaries import BNG, LEVELS, read_boundaries
from .lookup import derive_lookup, read_lookup, vintage_of_codes
from .population import normalise_header, read_population

__all__ = [
    "BNG",
    "LEVELS",
    "derive_lookup",
    "normalise_header",
    "read_boundaries",
    "read_lookup",
    "read_population",
    "vintage_of_codes",
]
