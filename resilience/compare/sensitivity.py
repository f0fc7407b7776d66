"""Sensitivity: how much the results depend on the analyst's choices.

:func:`sensitivity` refits the whole pipeline under other defensible choices and counts
what changes against the main run:

- ``coarser classification``: the finest classification level left out (e.g. OAC
  groups instead of subgroups);
- ``no shrinkage``: raw weighted shares of every category (``shrinkage = 0``);
- ``another seed``: the next seed (k-means starts and bootstrap draws);
- ``one factor more`` and ``one factor fewer``: ``n_factors`` ± 1.

For each it reports the share of OAs whose dominant cluster changes, the share of OAs
with at least one band (``band_<cluster>``) that changes, and the share of LSOAs whose
flag changes (``model/sensitivity.csv`` and a section of the report). The variants skip
the survey model's stability bootstrap, which they do not report.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import time
import warnings
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._progress import logger
from ..clusters import CLUSTER_KEYS
from ..config import Config

if TYPE_CHECKING:
    from ..inputs.load import Inputs
    from ..pipeline import Result

__all__ = ["VARIANTS", "compare_results", "sensitivity"]

#: Variant name → what it changes, in words.
VARIANTS: dict[str, str] = {
    "coarser classification": "the finest classification level left out",
    "no shrinkage": "raw weighted shares (shrinkage = 0)",
    "another seed": "seed + 1 (k-means starts and bootstrap draws)",
    "one factor more": "n_factors + 1",
    "one factor fewer": "n_factors - 1",
}


def _variant_config(cfg: Config, name: str) -> Config | None:
    """The config of one variant (None when it does not apply, e.g. one level only)."""
    data = copy.deepcopy(cfg.data)
    data["model"]["n_boot"] = 0
    data["compare"]["sensitivity"] = False
    if name == "coarser classification":
        if len(data["survey"]["levels"]) < 2:
            return None
        data["survey"]["levels"] = data["survey"]["levels"][:-1]
        data["classification"]["levels"] = data["classification"]["levels"][:-1]
    elif name == "no shrinkage":
        data["estimates"]["shrinkage"] = 0
    elif name == "another seed":
        data["seed"] = int(data["seed"]) + 1
    elif name == "one factor more":
        data["model"]["n_factors"] += 1
    elif name == "one factor fewer":
        if data["model"]["n_factors"] < 2:
            return None
        data["model"]["n_factors"] -= 1
    return Config(data, cfg.raw, cfg.path)


def _variant_inputs(inputs: Inputs, cfg: Config) -> Inputs:
    """The main run's inputs with the survey's levels cut to the variant's."""
    info = inputs.survey_info
    levels = list(info.levels)[: len(cfg["survey"]["levels"])]
    cut = dataclasses.replace(info, levels=levels)
    classification = inputs.classification[levels]
    return dataclasses.replace(inputs, survey_info=cut, classification=classification, config=cfg)


def compare_results(main: Result, other: Result) -> dict[str, float]:
    """Shares of OAs and LSOAs whose results differ between two runs.

    Returns ``oa_dominant_changed``, ``oa_band_changed`` (any ``band_<cluster>``) and
    ``lsoa_flag_changed``, each over the areas present in both runs.
    """
    a = main.oa.set_index("oa_code")
    b = other.oa.set_index("oa_code").reindex(a.index)
    bands = [f"band_{k}" for k in CLUSTER_KEYS if f"band_{k}" in a.columns]
    band_changed = pd.Series(False, index=a.index)
    for col in bands:
        band_changed |= a[col].astype("string").fillna("") != b[col].astype("string").fillna("")
    la = main.lsoa.set_index("lsoa_code")["flag"].astype("string").fillna("")
    lb = other.lsoa.set_index("lsoa_code")["flag"].reindex(la.index).astype("string").fillna("")
    return {
        "oa_dominant_changed": float((a["dominant_cluster"] != b["dominant_cluster"]).mean()),
        "oa_band_changed": float(band_changed.mean()),
        "lsoa_flag_changed": float((la != lb).mean()),
    }


def sensitivity(
    config: Config, main: Result, *, inputs: Inputs | None = None, variants: Any = None
) -> pd.DataFrame:
    """Refit under each variant and report what changes against ``main``.

    Parameters
    ----------
    config : Config
        The main run's configuration.
    main : Result
        The main run.
    inputs : Inputs, optional
        The inputs as read (read again from ``config`` otherwise).
    variants : sequence of str, optional
        Names from :data:`VARIANTS` (default: all).

    Returns
    -------
    DataFrame
        One row per variant that applies: ``variant``, ``change``,
        ``oa_dominant_changed``, ``oa_band_changed``, ``lsoa_flag_changed`` (shares,
        0–1) and ``seconds``.
    """
    from ..inputs.load import load_inputs
    from ..pipeline import run

    inputs = inputs or load_inputs(config)
    rows = []
    for name in variants or VARIANTS:
        cfg = _variant_config(config, name)
        if cfg is None:
            continue
        start = time.perf_counter()
        level = logger.level
        with warnings.catch_warnings():
            # the main run has said what there is to say about the inputs
            warnings.simplefilter("ignore")
            logger.setLevel(logging.WARNING)
            try:
                other = run(cfg, inputs=_variant_inputs(inputs, cfg), maps=False)
            finally:
                logger.setLevel(level)
        row = {"variant": name, "change": VARIANTS[name], **compare_results(main, other)}
        row["seconds"] = round(time.perf_counter() - start, 1)
        logger.info(
            "      %s: dominant cluster changes in %.0f%% of OAs, a band in %.0f%%, the flag "
            "in %.0f%% of LSOAs",
            name,
            100 * row["oa_dominant_changed"],
            100 * row["oa_band_changed"],
            100 * row["lsoa_flag_changed"],
        )
        rows.append(row)
    return pd.DataFrame(
        rows,
        columns=[
            "variant",
            "change",
            "oa_dominant_changed",
            "oa_band_changed",
            "lsoa_flag_changed",
            "seconds",
        ],
    )
