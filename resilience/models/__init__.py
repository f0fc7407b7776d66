"""Statistical models: the survey model (factor analysis and clustering)."""

from __future__ import annotations

from .survey_model import SurveyModel

__all__ = ["SurveyModel"]
