"""resilience: map community resilience for small areas of England and Wales."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from . import synthetic
from .check import check
from .clusters import CLUSTER_KEYS, CLUSTERS, resilience_score
from .config import load_config
from .errors import InputDataError, ResilienceError
from .inputs.survey import read_survey
from .models import SurveyModel
from .models.area_estimator import AreaEstimator
from .pipeline import Result, run

try:
    __version__ = version("community-resilience")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

__all__ = [
    "CLUSTERS",
    "CLUSTER_KEYS",
    "AreaEstimator",
    "InputDataError",
    "ResilienceError",
    "Result",
    "SurveyModel",
    "__version__",
    "check",
    "load_config",
    "read_survey",
    "resilience_score",
    "run",
    "synthetic",
]
