"""resilience: map community resilience for small areas of England and Wales.

The public names below are imported on first use, so ``import resilience`` (and the
``resilience`` command's ``--help``) stays quick.

Examples
--------
>>> import resilience as rs
>>> rs.CLUSTER_KEYS[:2]
('low_wellbeing', 'high_wellbeing')
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ._lazy import lazy_exports

try:
    __version__ = version("community-resilience")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

#: Public name → the module that defines it ("" for a subpackage).
_EXPORTS = {
    "CLUSTERS": "clusters",
    "CLUSTER_KEYS": "clusters",
    "resilience_score": "clusters",
    "AreaEstimator": "models",
    "SurveyModel": "models",
    "InputDataError": "errors",
    "ResilienceError": "errors",
    "Result": "pipeline",
    "run": "pipeline",
    "check": "inputs.check",
    "load_config": "config",
    "read_survey": "inputs.survey",
    "synthetic": "",
}

__all__ = sorted([*_EXPORTS, "__version__"])

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
