"""Statistical models: the survey model (factor analysis and clustering), the small-area
estimator (cluster shares per classification category, shrunk and bootstrapped) and the
population-weighted aggregation of its estimates to LSOAs, wards and the whole area."""

from __future__ import annotations

from .aggregate import Aggregate, AreaSummaries, aggregate, aggregate_areas, population_weights
from .area_estimator import AreaEstimator
from .mrp import MRPEstimator
from .survey_model import SurveyModel

__all__ = [
    "Aggregate",
    "AreaEstimator",
    "AreaSummaries",
    "MRPEstimator",
    "SurveyModel",
    "aggregate",
    "aggregate_areas",
    "population_weights",
]
