"""docs/scipy_coverage.md is what tools/gen_scipy_coverage.py writes from the registries."""

import importlib.util
from pathlib import Path

import numpy as np
import scipy.special
import scipy.stats


def _generator():
    path = Path(__file__).resolve().parent.parent / 'tools' / 'gen_scipy_coverage.py'
    spec = importlib.util.spec_from_file_location('gen_scipy_coverage', path)
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    return generator


def test_the_coverage_page_is_current():
    generator = _generator()
    assert generator.PAGE.read_text() == generator.render(), (
        'docs/scipy_coverage.md is stale: run python tools/gen_scipy_coverage.py')
    names = [name for name, adjoint, tangent, _ in generator.rows()
             if adjoint == tangent == 'yes']
    for required in ('logsumexp', 'gammaln', 'digamma', 'psi', 'xlogy', 'softmax', 'i1'):
        assert f'scipy.special.{required}' in names


def test_the_page_names_scipy_functions_and_methods_only():
    generator = _generator()
    public = generator._public('scipy.stats')
    # A distribution's method is named through the public object it belongs to.
    assert generator._is_scipy(scipy.stats.norm.logpdf)
    assert generator._names_of(scipy.stats.norm.logpdf, public) == ['scipy.stats.norm.logpdf']
    # SciPy's ufuncs are np.ufuncs; NumPy's own are not SciPy's.
    assert generator._is_scipy(scipy.special.gammaln)
    assert not generator._is_scipy(np.exp) and not generator._is_scipy(np.sum)
