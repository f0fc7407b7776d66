"""The MRP route's model tables: calibration and the comparison of the two routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._frames import neutralise_text

__all__ = ["ROUTES", "route_description", "write_mrp_tables"]

#: How each ``[estimates] method`` makes the published OA estimates, in words.
ROUTES = {
    "classification": "classification: each output area takes the survey's cluster shares "
    "for its area classification category",
    "mrp": "mrp: a regression of cluster membership on respondents' characteristics, "
    "post-stratified to each output area's Census 2021 population",
    "both": "classification (published), compared with mrp in model/routes.csv",
}


def route_description(method: str) -> str:
    """The estimation route of a run, in words, for the outputs' metadata.

    Examples
    --------
    >>> route_description("mrp").split(":")[0]
    'mrp'
    """
    return ROUTES[method]


def write_mrp_tables(folder: Path, mrp: Any) -> dict[str, Path]:
    """Write ``calibration.csv`` (cross-validated) and, when both routes ran, ``routes.csv``.

    Only OA-level figures and respondent counts in bands are written, never a
    post-stratification cell; text cells are neutralised against formula injection like
    every CSV.
    """
    paths = {"model_calibration": folder / "calibration.csv"}
    calibration = neutralise_text(mrp.estimator.calibration_)
    calibration.to_csv(paths["model_calibration"], index=False, encoding="utf-8")
    if mrp.routes is not None:
        paths["model_routes"] = folder / "routes.csv"
        routes = neutralise_text(mrp.routes.round(6).reset_index())
        routes.to_csv(paths["model_routes"], index=False, encoding="utf-8")
    return paths
