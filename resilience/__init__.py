"""resilience: map community resilience for small areas of England and Wales."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from . import synthetic
from .clusters import CLUSTER_KEYS, CLUSTERS, resilience_score
from .errors import InputDataError, ResilienceError
from .models import SurveyModel
from .survey import read_survey

try:
    __version__ = version("community-resilience")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

__all__ = [
    "CLUSTERS",
    "CLUSTER_KEYS",
    "InputDataError",
    "ResilienceError",
    "SurveyModel",
    "__version__",
    "read_survey",
    "resilience_score",
    "synthetic",
]
