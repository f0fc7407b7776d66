"""Classification on 2011 OAs, boundaries on 2021 OAs: the whole pipeline with the ONS lookup."""

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

import resilience as rs
from resilience.clusters import share_columns
from resilience.errors import DataQualityWarning
from resilience.synthetic import make_borough

SHARES = share_columns()


@pytest.fixture(scope="module")
def two_vintages(tmp_path_factory):
    """The small borough with its OAs re-drawn as 2021 OAs: one split, one merge, one X."""
    b = make_borough(seed=7, n_oa=150, n_lsoa=30, n_ward=5, n_respondents=3000)
    paths = b.write(tmp_path_factory.mktemp("v") / "borough")
    data = paths["config"].parent / "data"
    oa = pyogrio.read_dataframe(data / "oa.gpkg")
    lookup = pd.read_csv(data / "lookup.csv", dtype=str)
    pop = pd.read_csv(data / "oa_population.csv", dtype={"OA21CD": str}).set_index("OA21CD")[
        "adults"
    ]
    codes = list(oa["OA21CD"])
    # OAs of one LSOA, so merges stay inside it
    first_lsoa = lookup.groupby("LSOA21CD")["OA21CD"].apply(list).iloc[0]
    split, merge_a, merge_b = first_lsoa[:3]
    x_a, x_b = lookup.groupby("LSOA21CD")["OA21CD"].apply(list).iloc[1][:2]
    links = []
    for code in codes:
        if code in (split, merge_a, merge_b, x_a, x_b):
            continue
        links.append((code, code, "U"))
    geom = oa.set_index("OA21CD").geometry
    # split: the OA cut in two by a vertical line through its centre
    g = geom[split]
    cx = g.centroid.x
    left = shapely.intersection(
        g, shapely.box(g.bounds[0] - 1, g.bounds[1] - 1, cx, g.bounds[3] + 1)
    )
    right = shapely.difference(g, left)
    new = {"E00990001": left, "E00990002": right, "E00990003": geom[merge_a].union(geom[merge_b])}
    links += [(split, "E00990001", "S"), (split, "E00990002", "S")]
    links += [(merge_a, "E00990003", "M"), (merge_b, "E00990003", "M")]
    # irregular: two 2011 OAs redrawn as one 2021 OA (best fit: the larger population)
    new["E00990004"] = geom[x_a].union(geom[x_b])
    links += [(x_a, "E00990004", "X"), (x_b, "E00990004", "X")]
    keep = oa[~oa["OA21CD"].isin([split, merge_a, merge_b, x_a, x_b])]
    added = oa.iloc[: len(new)].copy()
    added["OA21CD"] = list(new)
    added = added.set_geometry(list(new.values()), crs=oa.crs)
    oa21 = pd.concat([keep, added], ignore_index=True)
    (data / "oa.gpkg").unlink()
    pyogrio.write_dataframe(oa21, data / "oa.gpkg", layer="oa")
    # the lookup and population move to 2021 codes; the classification stays on 2011 codes
    lk = lookup.set_index("OA21CD")
    parent = {"E00990001": split, "E00990002": split, "E00990003": merge_a, "E00990004": x_a}
    lk21 = pd.concat([lk.drop(index=[*list(parent.values()), merge_b, x_b]),
                      lk.loc[list(parent.values())].set_axis(list(parent))])  # fmt: skip
    lk21.rename_axis("OA21CD").reset_index().to_csv(data / "lookup.csv", index=False)
    pop21 = pop.drop(index=[split, merge_a, merge_b, x_a, x_b])
    pop21 = pd.concat([pop21, pd.Series({"E00990001": pop[split] / 2, "E00990002": pop[split] / 2,
                                         "E00990003": pop[merge_a] + pop[merge_b],
                                         "E00990004": pop[x_a] + pop[x_b]})])  # fmt: skip
    pop21.rename("adults").rename_axis("OA21CD").reset_index().to_csv(
        data / "oa_population.csv", index=False
    )
    oac = pd.read_csv(data / "oac.csv", dtype=str).rename(columns={"OA21CD": "OA11CD"})
    oac.to_csv(data / "oac.csv", index=False)
    pd.DataFrame(links, columns=["OA11CD", "OA21CD", "CHNGIND"]).assign(LAD22CD=b.lad_code).to_csv(
        data / "oa11_oa21_lookup.csv", index=False
    )
    cfg = paths["config"].read_text().replace('code = "OA21CD"\nlevels', 'code = "OA11CD"\nlevels')
    cfg = cfg.replace(
        "[classification]",
        'vintage_lookup = { path = "data/oa11_oa21_lookup.csv", source = "OA11CD", '
        'target = "OA21CD" }\n\n[classification]',
    )
    paths["config"].write_text(cfg)
    return paths["config"], {"split": split, "merge": (merge_a, merge_b), "x": (x_a, x_b)}


def test_pipeline_carries_classifications_across_vintages(two_vintages):
    config, changed = two_vintages
    report = rs.check(config)
    assert report.ok, str(report)
    with pytest.warns(
        DataQualityWarning,
        match=r"2 merged or irregular OA\(s\) are made from classification OAs without a "
        r"population \(4 of 4",
    ):
        result = rs.run(config)
    oa = result.oa.set_index("oa_code")
    assert oa.loc["E00990001", "vintage_change"] == "S"
    assert oa.loc["E00990003", "vintage_change"] == "M"
    assert oa.loc["E00990004", "vintage_change"] == "X"
    assert (oa["vintage_change"] == "U").sum() == len(oa) - 4
    # split children inherit their parent's estimate
    np.testing.assert_allclose(
        oa.loc["E00990001", SHARES].to_numpy(float), oa.loc["E00990002", SHARES].to_numpy(float)
    )
    # the same classification run on 2011 codes gives the parts' estimates
    est = result.estimator
    levels = list(est.levels)
    cls = pd.read_csv(config.parent / "data" / "oac.csv", dtype=str).set_index("OA11CD")
    parts = est.predict(
        cls.rename(columns=dict(zip(["supergroup", "group", "subgroup"], levels, strict=True)))
    )
    np.testing.assert_allclose(
        oa.loc["E00990001", SHARES].to_numpy(float),
        parts.loc[changed["split"], SHARES].to_numpy(float),
    )
    # merged: a mix of the two parts (the population file is on 2021 codes, so the 2011
    # parts' populations are unknown and they weigh the same)
    a, b = changed["merge"]
    mix = 0.5 * parts.loc[a, SHARES].to_numpy(float) + 0.5 * parts.loc[b, SHARES].to_numpy(float)
    np.testing.assert_allclose(oa.loc["E00990003", SHARES].to_numpy(float), mix)
    # X: the best-fit row's estimate (first in code order when populations are unknown)
    best = min(changed["x"])
    np.testing.assert_allclose(
        oa.loc["E00990004", SHARES].to_numpy(float), parts.loc[best, SHARES].to_numpy(float)
    )
    assert len(result.lsoa) == 30 and result.lsoa["flag"].notna().all()


def test_merges_are_population_weighted_with_the_source_population(two_vintages, tmp_path):
    config, changed = two_vintages
    data = config.parent / "data"
    a, b = changed["merge"]
    x_a, x_b = changed["x"]
    pop11 = pd.DataFrame({"OA11CD": [a, b, x_a, x_b], "adults": [300, 100, 50, 250]})
    pop11.to_csv(data / "oa11_population.csv", index=False)
    text = config.read_text().replace(
        'target = "OA21CD" }',
        'target = "OA21CD", population = { path = "data/oa11_population.csv", '
        'code = "OA11CD", column = "adults" } }',
    )
    cfg2 = config.with_name("weighted.toml")
    cfg2.write_text(text)
    result = rs.run(cfg2)
    oa = result.oa.set_index("oa_code")
    cls = pd.read_csv(data / "oac.csv", dtype=str).set_index("OA11CD")
    est = result.estimator
    parts = est.predict(
        cls.rename(columns=dict(zip(["supergroup", "group", "subgroup"], est.levels, strict=True)))
    )
    mix = 0.75 * parts.loc[a, SHARES].to_numpy(float) + 0.25 * parts.loc[b, SHARES].to_numpy(float)
    np.testing.assert_allclose(oa.loc["E00990003", SHARES].to_numpy(float), mix)
    # the irregular OA takes the part with the larger population
    np.testing.assert_allclose(
        oa.loc["E00990004", SHARES].to_numpy(float), parts.loc[x_b, SHARES].to_numpy(float)
    )
