"""factor_analyzer must fit on whatever scikit-learn a fresh install resolved to, and the
adapter that makes it do so must stay inside the package's own calls."""

import subprocess
import sys
import threading
from pathlib import Path

import factor_analyzer
import factor_analyzer.confirmatory_factor_analyzer as cfa_module
import factor_analyzer.factor_analyzer as fa_module
import numpy as np
import pytest
import sklearn
from sklearn.utils import check_array

from resilience.models._fa_compat import FactorAnalyzer, compatible_check_array, needs_patch


def _two_factor_data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 2))
    load = np.array([[0.8, 0], [0.7, 0], [0.75, 0], [0, 0.8], [0, 0.7], [0, 0.75]])
    return f @ load.T + 0.5 * rng.normal(size=(n, 6))


def _unpatched():
    return fa_module.check_array is check_array and cfa_module.check_array is check_array


def test_factor_analyzer_fits_on_installed_versions():
    x = _two_factor_data()
    fa = FactorAnalyzer(n_factors=2, rotation="oblimin", method="minres").fit(x)
    load = np.abs(fa.loadings_)
    # each item loads mainly on one factor, three items per factor
    assert sorted(np.bincount(load.argmax(axis=1)).tolist()) == [3, 3]
    assert load.max(axis=1).min() > 0.55
    scores = fa.transform(x)
    assert scores.shape == (600, 2)
    assert _unpatched()  # restored after fit and transform


def test_patch_is_needed_exactly_when_scikit_learn_dropped_the_keyword():
    major, minor = (int(p) for p in sklearn.__version__.split(".")[:2])
    assert needs_patch() == ((major, minor) >= (1, 8))
    x = _two_factor_data()
    plain = factor_analyzer.FactorAnalyzer(n_factors=2, rotation=None)
    if needs_patch():
        # when this stops failing, factor_analyzer has been fixed and the shim can go
        with pytest.raises(TypeError, match="force_all_finite"):
            plain.fit(x)
    else:
        plain.fit(x)


def test_the_adapter_is_scoped_and_reentrant():
    assert _unpatched()
    with compatible_check_array():
        if needs_patch():
            assert fa_module.check_array is not check_array
        with compatible_check_array():
            factor_analyzer.FactorAnalyzer(n_factors=2, rotation=None).fit(_two_factor_data())
        assert fa_module.check_array is cfa_module.check_array
    assert _unpatched()


def test_the_adapter_is_restored_after_an_error():
    with pytest.raises(ValueError), compatible_check_array():
        raise ValueError("inside")
    assert _unpatched()


def test_concurrent_fits_succeed_and_leave_factor_analyzer_unpatched():
    x = _two_factor_data()
    errors, results = [], []

    def fit():
        try:
            results.append(FactorAnalyzer(n_factors=2, rotation="varimax").fit(x).loadings_)
        except Exception as err:  # collected and asserted on below
            errors.append(err)

    threads = [threading.Thread(target=fit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 4
    for load in results[1:]:
        np.testing.assert_allclose(load, results[0])
    assert _unpatched()


def test_importing_the_package_leaves_factor_analyzer_unpatched():
    code = (
        "import factor_analyzer.factor_analyzer as fa, "
        "factor_analyzer.confirmatory_factor_analyzer as cfa\n"
        "from sklearn.utils import check_array\n"
        "import numpy as np, resilience, resilience.models\n"
        "from resilience.models import _factor\n"
        "from resilience.models._fa_compat import FactorAnalyzer\n"
        "print(resilience.__file__)\n"
        "print(fa.check_array is check_array, cfa.check_array is check_array)\n"
        "x = np.random.default_rng(0).standard_normal((200, 6))\n"
        "FactorAnalyzer(n_factors=2, rotation=None).fit(x)\n"
        "print(fa.check_array is check_array, cfa.check_array is check_array)\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    where, *flags = out.stdout.split()
    assert Path(where).resolve().is_relative_to(root)  # this checkout, not another one
    assert flags == ["True", "True", "True", "True"]
