"""The MRP route as a pipeline stage, and the comparison of the two routes.

:func:`run_mrp_route` reads the respondents' characteristics and the Census tables named
in the config, fits :class:`~resilience.models.mrp.MRPEstimator` to the survey model's
cluster labels and post-stratifies it to every OA. :func:`compare_routes` puts the two
routes' OA scores side by side and marks where they disagree (score intervals that do not
overlap).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..inputs.census import CensusTable, Margins, census_margins, read_census_tables
from ..inputs.characteristics import read_characteristics
from ..inputs.crosswalk import Crosswalk, crosswalk_matrix, read_crosswalk
from ..inputs.survey import WEIGHT
from .mrp import MRPEstimator, mrp_oa_estimates
from .oa_estimates import OaEstimates

if TYPE_CHECKING:
    from ..config import Config
    from ..inputs.load import Inputs

__all__ = ["MrpRoute", "census_crosswalk", "compare_routes", "run_mrp_route"]


@dataclass
class MrpRoute:
    """The fitted MRP route.

    Attributes
    ----------
    estimator : MRPEstimator
    oa : OaEstimates
        ``estimate_level`` = ``mrp``; identity membership.
    replicates : ndarray of shape (n_boot, n_oa, 6)
        Per-OA bootstrap replicates (``category_replicates`` for the aggregation).
    margins : Margins
    margin_error : float
        Largest difference between an IPF-fitted and a census margin (proportion).
    """

    estimator: MRPEstimator
    oa: OaEstimates
    replicates: np.ndarray
    margins: Margins
    margin_error: float
    routes: pd.DataFrame | None = field(default=None)

    def diagnostics(self) -> dict[str, Any]:
        """The figures written beside the baseline in ``model/diagnostics.json``."""
        est = self.estimator
        return {
            **est.cv_,
            "respondents_used": est.n_respondents_,
            "variables": list(est.variables),
            "area_predictor": est.area_predictor,
            "seed": est.seed_region_,
            "max_margin_error": self.margin_error,
            "oas_with_lsoa_margins": self.margins.filled,
            "margin_sources": self.margins.sources,
        }


def run_mrp_route(
    cfg: Config, inp: Inputs, labels: pd.Series, classified: OaEstimates | None
) -> MrpRoute:
    """Fit and post-stratify the MRP route for the run's OAs.

    The area predictor (when ``[poststratification] area_predictor`` is true and the
    survey has classification levels) is the coarsest level, taken from the survey for the
    respondents and from the classification route's codes for the OAs. Without a
    classification (``classified`` None) the model uses the characteristics alone.
    """
    ps = cfg["poststratification"]
    sv = cfg["survey"]
    household = sv.get("household")
    chars = read_characteristics(
        sv["path"],
        prefix=inp.survey_info.prefix or None,
        household=household["path"] if household else None,
        variables=ps["variables"],
    )
    chars = chars.reindex(inp.survey.index)
    if WEIGHT in inp.survey:
        chars[WEIGHT] = inp.survey[WEIGHT]
    area_col = inp.levels[0] if ps["area_predictor"] and classified is not None else None
    area = None
    if area_col is not None:
        chars[area_col] = inp.survey[area_col]
        area = classified.codes[area_col]
    est = MRPEstimator(
        variables=ps["variables"],
        area_predictor=area_col,
        region=ps["region"],
        urban=ps["urban"],
        n_boot=cfg["estimates"]["n_boot"],
        interval=cfg["estimates"]["interval"],
        random_state=int(cfg["seed"]),
    ).fit(chars, labels)
    tables = read_census_tables(ps["tables"])
    oa_codes = pd.Index(inp.oa["oa_code"])
    vl = cfg["geography"].get("vintage_lookup")
    crosswalk = inp.crosswalk
    if crosswalk is None and vl:
        crosswalk = census_crosswalk(
            read_crosswalk(
                vl["path"], source=vl["source"], target=vl["target"], change=vl.get("change")
            ),
            oa_codes,
            tables,
        )
    margins = census_margins(
        tables,
        oa_codes,
        inp.lookup["lsoa_code"],
        variables=ps["variables"],
        crosswalk=crosswalk,
    )
    codes = classified.codes if classified is not None else None
    oa, reps, error = mrp_oa_estimates(est, margins, area=area, codes=codes)
    if classified is not None and "vintage_change" in classified.table:
        oa.table["vintage_change"] = classified.table["vintage_change"].reindex(oa.table.index)
    return MrpRoute(est, oa, reps, margins, float(error.max()) if len(error) else 0.0)


def census_crosswalk(
    links: pd.DataFrame, oa_codes: pd.Index, tables: dict[tuple[str, str], CensusTable]
) -> Crosswalk | None:
    """Weights from the Census tables' OAs to the study area's OAs (the vintage lookup's
    ``source`` → ``target``); None when no study-area OA is linked to a Census OA.

    Used when no classification brings its own crosswalk (the MRP route alone), and only
    when most study-area OAs are not Census OAs themselves. Merged OAs weigh their parts
    equally (no population of the Census OAs is read).

    Examples
    --------
    >>> links = pd.DataFrame({"source": ["E1", "E2", "E3"], "target": ["T1", "T1", "T2"],
    ...                       "change": ["M", "M", "U"]})
    >>> counts = pd.DataFrame({"male": [1.0, 2, 3]}, index=["E1", "E2", "E3"])
    >>> t = {("sex", "oa"): CensusTable("sex", "Sex", "oa", counts, "ts008.csv")}
    >>> census_crosswalk(links, pd.Index(["T1", "T2", "T3"]), t).matrix.toarray().tolist()
    [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]
    """
    census = pd.Index(
        sorted(set().union(*(t.counts.index for (_, level), t in tables.items() if level == "oa")))
    )
    if oa_codes.isin(census).mean() > 0.5:  # the Census is on the boundaries' vintage
        return None
    linked = links[links["target"].isin(oa_codes) & links["source"].isin(census)]
    if linked.empty:
        return None
    # OAs without a link keep no margin here and take their LSOA's (census_margins warns)
    targets = pd.Index(oa_codes[oa_codes.isin(linked["target"])])
    sources = pd.Index(sorted(linked["source"].unique()))
    return crosswalk_matrix(linked, targets, sources)


def compare_routes(classification: pd.DataFrame, mrp: pd.DataFrame) -> pd.DataFrame:
    """Both routes' OA scores side by side; ``disagree`` where their intervals do not overlap.

    Examples
    --------
    >>> a = pd.DataFrame({"resilience_score": [0.1, 0.2], "resilience_score_lo": [0.0, 0.1],
    ...                   "resilience_score_hi": [0.2, 0.3],
    ...                   "dominant_cluster": ["isolation", "competence"]}, index=["o1", "o2"])
    >>> b = a.assign(resilience_score=[0.5, 0.25], resilience_score_lo=[0.4, 0.2],
    ...              resilience_score_hi=[0.6, 0.3])
    >>> compare_routes(a, b)["disagree"].tolist()
    [True, False]
    """
    cols = ["resilience_score", "resilience_score_lo", "resilience_score_hi", "dominant_cluster"]
    a = classification.reindex(columns=cols)
    b = mrp.reindex(a.index).reindex(columns=cols)
    out = pd.concat([a.add_suffix("_classification"), b.add_suffix("_mrp")], axis=1)
    out.index.name = "oa_code"
    out["difference"] = b["resilience_score"] - a["resilience_score"]
    out["disagree"] = (b["resilience_score_lo"] > a["resilience_score_hi"]) | (
        b["resilience_score_hi"] < a["resilience_score_lo"]
    )
    out["dominant_differs"] = a["dominant_cluster"] != b["dominant_cluster"]
    return out
