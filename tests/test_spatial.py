"""Local Moran's I clusters of the prediction–hard-data gap."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from resilience.compare.spatial import CLUSTER_LABELS, gap_clusters
from resilience.errors import ConfigError, InputDataError


def grid(values, *, island=None):
    """A 6 x 6 grid of unit squares (row 0 at the top), plus an optional far-away island."""
    values = np.asarray(values, dtype=float)
    geoms, codes, gaps = [], [], []
    for r in range(6):
        for c in range(6):
            geoms.append(box(c, 5 - r, c + 1, 6 - r))
            codes.append(f"E01{r * 6 + c + 1:06d}")
            gaps.append(values[r, c])
    if island is not None:
        geoms.append(box(100, 100, 101, 101))
        codes.append("E01099999")
        gaps.append(island)
    return gpd.GeoDataFrame(
        {"gap": gaps}, geometry=geoms, index=pd.Index(codes, name="lsoa_code"), crs="EPSG:27700"
    )


def two_patches():
    v = np.zeros((6, 6))
    v[:3, :3] = 3  # predicted much worse than hard data in the top left
    v[3:, 3:] = -3  # hard data much worse in the bottom right
    return v


def test_patches_island_and_labels():
    lsoa = grid(two_patches(), island=2.0)
    lsoa = lsoa.sample(frac=1, random_state=1)  # order must not matter
    out = gap_clusters(lsoa)
    assert out.name == "gap_cluster"
    assert out.index.equals(lsoa.index)
    assert set(out) <= set(CLUSTER_LABELS)
    assert out["E01000001"] == "high-high"  # top-left corner
    assert out["E01000036"] == "low-low"  # bottom-right corner
    assert out["E01099999"] == "no neighbours"
    top_left = [f"E01{r * 6 + c + 1:06d}" for r in range(3) for c in range(3)]
    assert set(out[top_left]) <= {"high-high", "not significant"}
    assert (out == "high-high").sum() >= 4 and (out == "low-low").sum() >= 4


def test_same_seed_same_labels_and_fdr_is_stricter():
    lsoa = grid(two_patches() + np.random.default_rng(0).normal(0, 0.5, (6, 6)))
    a = gap_clusters(lsoa, random_state=7)
    pd.testing.assert_series_equal(a, gap_clusters(lsoa, random_state=7))
    strict = gap_clusters(lsoa, random_state=7, fdr=True)
    significant = a.isin(["high-high", "low-low", "high-low", "low-high"])
    strict_sig = strict.isin(["high-high", "low-low", "high-low", "low-high"])
    assert strict_sig.sum() <= significant.sum()
    assert not (strict_sig & ~significant).any()
    assert (strict[strict_sig] == a[strict_sig]).all()


def test_constant_gap_and_only_islands_do_not_crash():
    out = gap_clusters(grid(np.zeros((6, 6)), island=0.0))
    assert (out.drop("E01099999") == "not significant").all()
    assert out["E01099999"] == "no neighbours"
    islands = gpd.GeoDataFrame(
        {"gap": [1.0, -2.0]}, geometry=[box(0, 0, 1, 1), box(5, 5, 6, 6)], crs="EPSG:27700"
    )
    assert gap_clusters(islands).tolist() == ["no neighbours", "no neighbours"]


def test_missing_gap_is_no_data():
    lsoa = grid(two_patches())
    lsoa["gap"] = lsoa["gap"].astype("Int64")
    lsoa.loc["E01000018", "gap"] = pd.NA
    out = gap_clusters(lsoa)
    assert out["E01000018"] == "no data"
    assert out["E01000001"] == "high-high"


def test_ties_in_an_integer_gap_are_not_significant():
    # the usual picture: gap 0 almost everywhere and a few disagreements. Here the mean
    # gap is exactly 0, so every zero has a local I of 0 in every permutation too. esda's
    # own p_sim counts those ties as less extreme on both sides and calls every zero
    # significant (p = 0.001); gap_clusters does not.
    from esda.moran import Moran_Local
    from libpysal.graph import Graph

    v = np.zeros((6, 6))
    v[0, 0], v[5, 5] = 2, -2
    lsoa = grid(v)
    zeros = lsoa.index[lsoa["gap"] == 0]
    out = gap_clusters(lsoa)
    assert (out[zeros] == "not significant").all()
    w = Graph.build_contiguity(lsoa.reset_index(drop=True), rook=False).transform("r")
    with np.errstate(all="ignore"), pytest.warns(DeprecationWarning):
        esda_p = Moran_Local(lsoa["gap"].to_numpy(), w, permutations=999, seed=0).p_sim
    assert (esda_p[(lsoa["gap"] == 0).to_numpy()] <= 0.05).all()


def test_bad_arguments():
    lsoa = grid(two_patches())
    with pytest.raises(InputDataError, match="needs a GeoDataFrame"):
        gap_clusters(pd.DataFrame(lsoa.drop(columns="geometry")))
    with pytest.raises(InputDataError, match="no column 'difference'"):
        gap_clusters(lsoa, "difference")
    with pytest.raises(ConfigError, match="permutations must be at least 19"):
        gap_clusters(lsoa, permutations=9)
    with pytest.raises(ConfigError, match="alpha must be between 0 and 1"):
        gap_clusters(lsoa, alpha=5)
