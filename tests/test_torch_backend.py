"""The PyTorch backend: every rule in tests/torch_cases.py against PyTorch's own
autodiff (torch.autograd.grad in reverse mode, torch.func.jvp in forward mode,
forward-over-reverse Hessian-vector products against torch.func), on float64;
lazy loading, no_grad, nn.Module parameters, torch.compile and mixed code.

Skipped only when PyTorch is not installed; with TANGENT_REQUIRE_TORCH=1 (as in
CI) a missing PyTorch fails instead.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
import zlib

import pytest

# Found with find_spec rather than by catching ImportError: an installed PyTorch that
# fails to import is an error, not a skip.
if os.environ.get('TANGENT_REQUIRE_TORCH') != '1' and importlib.util.find_spec('torch') is None:
    pytest.skip('PyTorch is not installed (the torch extra); set TANGENT_REQUIRE_TORCH=1 to '
                'insist', allow_module_level=True)
import torch  # noqa: E402 - after the skip

import tangent  # noqa: E402
from torch_cases import CASES, Case  # noqa: E402

RTOL = 1e-7
ATOL = 1e-9


def _value(spec, generator: torch.Generator):
    if spec.kind == 'const':
        return spec.value
    draw = torch.rand(spec.shape, generator=generator, dtype=torch.float64)
    if spec.kind == 'real':
        # Away from 0 so that no kink (relu, abs) or pole is hit.
        sign = torch.where(torch.rand(spec.shape, generator=generator) < 0.5, -1.0, 1.0)
        return (sign * (0.2 + 1.3 * draw)).to(torch.float64)
    low, high = {'positive': (0.5, 2.0), 'unit': (0.1, 0.9), 'above_one': (1.2, 3.0)}[spec.kind]
    return low + (high - low) * draw


def _arguments(case: Case):
    generator = torch.Generator().manual_seed(zlib.crc32(case.function.__name__.encode()))
    args = [_value(spec, generator) for spec in case.specs]
    positions = tuple(i for i, spec in enumerate(case.specs) if spec.kind != 'const')
    return args, positions, generator


def _like(value, generator):
    return torch.randn(value.shape, generator=generator, dtype=torch.float64)


def _partial(function, args, positions):
    """``function`` of the arguments at ``positions`` only, the others fixed."""
    def of_differentiated(*differentiated):
        full = list(args)
        for position, value in zip(positions, differentiated):
            full[position] = value
        return function(*full)
    return of_differentiated


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def _assert_close(actual, expected, what):
    actual, expected = _as_tuple(actual), _as_tuple(expected)
    assert len(actual) == len(expected), what
    for got, want in zip(actual, expected):
        assert isinstance(got, torch.Tensor), f'{what}: got {type(got).__name__}, not a tensor'
        torch.testing.assert_close(got, want, rtol=RTOL, atol=ATOL, msg=lambda m: f'{what}: {m}')


IDS = [case.function.__name__ for case in CASES]


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_reverse_agrees_with_autograd(case):
    args, positions, generator = _arguments(case)
    result = case.function(*args)
    seed = _like(result, generator)
    gradients = tangent.vjp(case.function, wrt=positions)(*args, seed)
    watched = [args[p].clone().requires_grad_(True) for p in positions]
    expected = torch.autograd.grad(_partial(case.function, args, positions)(*watched), watched,
                                   grad_outputs=seed)
    _assert_close(gradients, expected, f'reverse mode of {case.function.__name__}')


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_forward_agrees_with_torch_func_jvp(case):
    args, positions, generator = _arguments(case)
    directions = [_like(args[p], generator) for p in positions]
    derivative = tangent.jvp(case.function, wrt=positions)(*args, *directions)
    _, expected = torch.func.jvp(_partial(case.function, args, positions),
                                 tuple(args[p] for p in positions), tuple(directions))
    _assert_close(derivative, expected, f'forward mode of {case.function.__name__}')


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_hessian_vector_products_agree_with_torch_func(case):
    """Forward over reverse: the derivative of seed . f's gradient along a direction."""
    args, positions, generator = _arguments(case)
    seed = _like(case.function(*args), generator)
    directions = [_like(args[p], generator) for p in positions]
    vjp = tangent.vjp(case.function, wrt=positions, check_dims=False)
    hvp = tangent.jvp(vjp, wrt=positions, check_dims=False)(*args, seed, *directions)

    def gradient(*differentiated):
        _, pullback = torch.func.vjp(_partial(case.function, args, positions), *differentiated)
        return pullback(seed)
    _, expected = torch.func.jvp(gradient, tuple(args[p] for p in positions), tuple(directions))
    _assert_close(hvp, expected, f'Hessian-vector product of {case.function.__name__}')


def test_importing_tangent_does_not_import_torch_and_the_rules_load_on_first_use(tmp_path):
    (tmp_path / 'user_code.py').write_text(textwrap.dedent('''
        import torch

        def f(x):
            return torch.sum(torch.sin(x))
    '''))
    script = textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import tangent
        assert 'torch' not in sys.modules, 'import tangent imported torch'
        assert 'tangent.backends.torch.rules' not in sys.modules
        import user_code
        x = user_code.torch.tensor([0.5, 1.0], dtype=user_code.torch.float64)
        print(tangent.grad(user_code.f)(x).tolist())
        assert 'tangent.backends.torch.rules' in sys.modules
    ''')
    result = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                            env={**os.environ, 'PYTHONPATH': os.pathsep.join(sys.path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == repr([float(v) for v in torch.cos(
        torch.tensor([0.5, 1.0], dtype=torch.float64))])
