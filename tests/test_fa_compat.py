"""factor_analyzer must fit on whatever scikit-learn a fresh install resolved to."""

import numpy as np
import sklearn

from resilience.models._fa_compat import FactorAnalyzer, calculate_kmo, patch_factor_analyzer


def _two_factor_data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 2))
    load = np.array([[0.8, 0], [0.7, 0], [0.75, 0], [0, 0.8], [0, 0.7], [0, 0.75]])
    return f @ load.T + 0.5 * rng.normal(size=(n, 6))


def test_factor_analyzer_fits_on_installed_versions():
    x = _two_factor_data()
    fa = FactorAnalyzer(n_factors=2, rotation="oblimin", method="minres").fit(x)
    load = np.abs(fa.loadings_)
    # each item loads mainly on one factor, three items per factor
    assert sorted(np.bincount(load.argmax(axis=1)).tolist()) == [3, 3]
    assert load.max(axis=1).min() > 0.55
    scores = fa.transform(x)
    assert scores.shape == (600, 2)
    _kmo_per_item, kmo_total = calculate_kmo(x)
    assert 0.5 < kmo_total < 1.0


def test_patch_is_idempotent_and_only_when_needed():
    first = patch_factor_analyzer()
    second = patch_factor_analyzer()
    assert first == second
    major, minor = (int(p) for p in sklearn.__version__.split(".")[:2])
    assert first == ((major, minor) >= (1, 8))
