"""From shortlist to site visit on the synthetic borough: assets, a review log, the
council's own resident survey, and the printable review pack.

python examples/review_pack.py [OUT_FOLDER]

Writes the demo borough, then three files a council would have: a CSV of community
assets (grid references, longitude/latitude and postcodes, with an ONS Postcode
Directory extract), a review log of two earlier visits and a ward-level resident survey
drawn from the borough's true cluster shares. Runs the pipeline with them and prints
where the pack, the template, the validation table and the maps are (the maps draw the
assets, the reviewed LSOAs and the wards where the survey and the prediction disagree).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import resilience as rs
from resilience.synthetic import make_borough


def council_files(borough, folder: Path, seed: int = 0) -> dict[str, Path]:
    """Assets, postcode directory, review log and resident survey for ``borough``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    lsoa = borough.lsoa.to_crs(27700)
    pts = lsoa.sample_points(3, rng=rng).explode(index_parts=False)
    kinds = ["Community centre", "Library", "Faith group", "GP surgery", "New development"]
    assets = pd.DataFrame(
        {
            "name": [f"Asset {i + 1}" for i in range(len(pts))],
            "type": rng.choice(kinds, len(pts)),
            "easting": pts.x.round(1).to_numpy(),
            "northing": pts.y.round(1).to_numpy(),
        }
    )
    assets["units"] = np.where(
        assets["type"] == "New development", rng.integers(5, 80, len(pts)), ""
    )
    assets.to_csv(folder / "assets.csv", index=False)
    # a second list placed by postcode through an ONS Postcode Directory extract
    first = pts.iloc[:6]
    codes = [f"NB{i} {i}AA" for i in range(1, 7)]
    pd.DataFrame(
        {
            "pcd": [c.replace(" ", "") for c in codes],
            "pcds": codes,
            "oseast1m": first.x.round().astype(int),
            "osnrth1m": first.y.round().astype(int),
            "lat": "",
            "long": "",
        }
    ).to_csv(folder / "onspd_extract.csv", index=False)
    pd.DataFrame(
        {
            "venue": [f"Hall {i}" for i in range(1, 7)] + ["Lost hall"],
            "postcode": [*codes, "ZZ9 9ZZ"],
        }
    ).to_csv(folder / "halls.csv", index=False)
    # the council's resident survey, ward level, from the true shares
    truth = borough.truth.ward_shares
    n = rng.integers(60, 160, len(truth))
    agree = rng.binomial(n, np.clip(0.35 + 1.5 * truth["share_neighbourhood_support"], 0, 1))
    lonely = rng.binomial(n, np.clip(0.05 + 0.8 * truth["share_isolation"], 0, 1))
    pd.DataFrame(
        {
            "ward": truth.index,
            "pull_together": np.round(100 * agree / n, 1),
            "pull_n": n,
            "lonely": np.round(lonely / n, 3),
            "lonely_n": n,
        }
    ).to_csv(folder / "resident_survey.csv", index=False)
    return {
        k: folder / f
        for k, f in [
            ("assets", "assets.csv"),
            ("halls", "halls.csv"),
            ("onspd", "onspd_extract.csv"),
            ("survey", "resident_survey.csv"),
        ]
    }


def main() -> None:
    """Run the demo borough with the council's own files and write the review pack."""
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    borough = make_borough(seed=0)
    files = borough.write(work / "input", overwrite=True)
    local = council_files(borough, work / "input" / "council")
    first = rs.run(files["config"])
    # two earlier visits to LSOAs on the shortlist
    codes = first.flags["lsoa_code"].tolist()
    log = pd.DataFrame(
        {
            "lsoa_code": codes[:2],
            "date": ["2025-10-02", "12/05/2025"],
            "outcome": ["explained", "confirmed"],
            "note": ["New estate; residents moved in after the Census", "Isolated older residents"],
            "reviewer": ["Community development team", "Ward councillor"],
        }
    )
    log.to_csv(work / "input" / "council" / "reviews.csv", index=False)
    config = (
        Path(files["config"]).read_text(encoding="utf-8")
        + """
[[assets]]
path = "council/assets.csv"
category = "type"
name = "name"
size = "units"

[[assets]]
path = "council/halls.csv"
label = "Community hall"
name = "venue"
postcodes = { path = "council/onspd_extract.csv" }

[review]
log = "council/reviews.csv"

[validation]
resident_survey = { path = "council/resident_survey.csv", area = "ward", code = "ward", measures = [
  { column = "pull_together", respondents = "pull_n", tracks = "share_neighbourhood_support" },
  { column = "lonely", respondents = "lonely_n", tracks = "share_isolation" },
] }
"""
    )
    cfg = work / "input" / "resilience_local.toml"
    cfg.write_text(config, encoding="utf-8")
    result = rs.run(cfg)
    out = work / "out"
    result.save(out, overwrite=True)
    print(result.local.validation.summary.to_string(index=False))
    print("review pack:", out / "review" / "index.html")
    print("template:", out / "review" / "reviews_template.csv")
    print("validation:", out / "tables" / "validation.csv")
    print(
        "maps with the assets, reviewed LSOAs and survey disagreements:",
        out / "maps" / "index.html",
    )
    print(
        "assets placed:",
        len(result.local.assets.points),
        "left out:",
        len(result.local.assets.problems),
        local["assets"].name,
    )


if __name__ == "__main__":
    main()
