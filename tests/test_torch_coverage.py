"""docs/torch_coverage.md is what tools/gen_torch_coverage.py writes from the registries,
and every function listed there is exercised by tests/test_torch_backend.py."""

import importlib.util
import os
from pathlib import Path

import pytest

if os.environ.get('TANGENT_REQUIRE_TORCH') != '1' and importlib.util.find_spec('torch') is None:
    pytest.skip('PyTorch is not installed (the torch extra); set TANGENT_REQUIRE_TORCH=1 to '
                'insist', allow_module_level=True)

from torch_cases import CASES  # noqa: E402


def _generator():
    path = Path(__file__).resolve().parent.parent / 'tools' / 'gen_torch_coverage.py'
    spec = importlib.util.spec_from_file_location('gen_torch_coverage', path)
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    return generator


def test_the_coverage_page_is_current():
    generator = _generator()
    assert generator.PAGE.read_text() == generator.render(), (
        'docs/torch_coverage.md is stale: run python tools/gen_torch_coverage.py')


def test_at_least_100_functions_have_both_rules():
    both = [name for name, adjoint, tangent, _ in _generator().rows()
            if adjoint == tangent == 'yes']
    assert len(both) >= 100
    for required in ('torch.sum', 'torch.matmul', 'torch.logsumexp', 'torch.softmax',
                     'torch.nn.functional.relu', 'torch.nn.functional.gelu', 'torch.cat'):
        assert required in both


def test_every_function_with_a_rule_is_exercised_by_a_test_case():
    generator = _generator()
    public = dict(generator._public())
    exercised = {id(function) for case in CASES for function in case.covers}
    missing = [name for name, *_ in generator.rows() if id(public[name]) not in exercised]
    assert not missing, f'no case in tests/torch_cases.py calls {missing}'
