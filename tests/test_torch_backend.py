"""The PyTorch backend: every rule in tests/torch_cases.py against PyTorch's own
autodiff (torch.autograd.grad in reverse mode, torch.func.jvp in forward mode,
forward-over-reverse Hessian-vector products against torch.func), on float64;
lazy loading, no_grad, nn.Module parameters, torch.compile and mixed code.

Skipped only when PyTorch is not installed; with TANGENT_REQUIRE_TORCH=1 (as in
CI) a missing PyTorch fails instead.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import numpy as np
import pytest

# Found with find_spec rather than by catching ImportError: an installed PyTorch that
# fails to import is an error, not a skip.
if os.environ.get('TANGENT_REQUIRE_TORCH') != '1' and importlib.util.find_spec('torch') is None:
    pytest.skip('PyTorch is not installed (the torch extra); set TANGENT_REQUIRE_TORCH=1 to '
                'insist', allow_module_level=True)
import torch  # noqa: E402 - after the skip
import torch.nn.functional as F  # noqa: E402,N812 - PyTorch's own spelling

import tangent  # noqa: E402
from tangent.errors import MixedLibrariesError  # noqa: E402
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


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_split_motion_agrees_with_autograd(case):
    args, positions, generator = _arguments(case)
    seed = _like(case.function(*args), generator)
    split = tangent.autodiff(case.function, wrt=positions, motion='split', mode='reverse')
    watched = [args[p].clone().requires_grad_(True) for p in positions]
    expected = torch.autograd.grad(_partial(case.function, args, positions)(*watched), watched,
                                   grad_outputs=seed)
    _assert_close(split(*args, init_grad=seed), expected,
                  f'split reverse mode of {case.function.__name__}')


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_generated_code_never_uses_autograd(case):
    _, positions, _ = _arguments(case)
    for derivative in (tangent.vjp(case.function, wrt=positions),
                       tangent.jvp(case.function, wrt=positions)):
        source = inspect.getsource(derivative)
        for word in ('autograd', 'backward(', 'requires_grad', 'enable_grad', 'torch.func'):
            assert word not in source, f'{case.function.__name__} generated {word}'


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


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 3, dtype=torch.float64)

    def loss(self, x):
        return torch.sum(torch.tanh(F.linear(x, self.linear.weight, self.linear.bias)))


def parameter_loss(weight, bias, x):
    return torch.sum(torch.tanh(F.linear(x, weight, bias)) ** 2)


def test_a_module_method_reading_its_parameters_records_no_graph():
    torch.manual_seed(0)
    net = Net()
    x = torch.randn(2, 4, dtype=torch.float64)
    gradient = tangent.grad(net.loss)(x)
    watched = x.clone().requires_grad_(True)
    _assert_close(gradient, torch.autograd.grad(net.loss(watched), watched)[0], 'net.loss')
    # The parameters require a gradient, yet the derivative ran under torch.no_grad.
    assert net.linear.weight.requires_grad and not gradient.requires_grad
    assert net.linear.weight.grad is None


def test_the_parameters_of_a_module_passed_as_arguments_get_gradients():
    torch.manual_seed(1)
    net = Net()
    x = torch.randn(5, 4, dtype=torch.float64)
    weight, bias = net.linear.weight, net.linear.bias
    gradients = tangent.grad(parameter_loss, wrt=(0, 1))(weight, bias, x)
    expected = torch.autograd.grad(parameter_loss(weight, bias, x), (weight, bias))
    _assert_close(gradients, expected, 'the parameters of parameter_loss')
    assert all(not gradient.requires_grad for gradient in gradients)


def named_parameter_loss(parameters, x):
    return torch.sum(torch.tanh(F.linear(x, parameters['linear.weight'],
                                         parameters['linear.bias'])))


def test_a_dict_of_named_parameters_gets_a_dict_of_gradients():
    torch.manual_seed(2)
    net = Net()
    x = torch.randn(5, 4, dtype=torch.float64)
    parameters = dict(net.named_parameters())
    gradients = tangent.grad(named_parameter_loss)(parameters, x)
    expected = torch.autograd.grad(named_parameter_loss(parameters, x),
                                   list(parameters.values()))
    assert list(gradients) == list(parameters)
    _assert_close(tuple(gradients.values()), expected, 'named_parameter_loss')


def test_gradients_with_respect_to_the_module_itself_are_a_dict_of_named_parameters():
    # tests/test_object_gradients.py checks more modules against torch.func.
    torch.manual_seed(3)
    net = Net()
    x = torch.randn(2, 4, dtype=torch.float64)
    gradients = tangent.grad(Net.loss)(net, x)
    parameters = dict(net.named_parameters())
    expected = torch.autograd.grad(Net.loss(net, x), list(parameters.values()))
    assert list(gradients) == list(parameters)
    _assert_close(tuple(gradients.values()), expected, 'Net.loss with respect to net')
    assert all(parameter.grad is None for parameter in parameters.values())


class TwoLayers(torch.nn.Module):
    """Submodules called as functions: calling a module runs its forward."""

    def __init__(self):
        super().__init__()
        self.hidden = torch.nn.Linear(3, 4, dtype=torch.float64)
        self.out = torch.nn.Linear(4, 1, dtype=torch.float64)
        self.first = torch.nn.Linear(3, 3, dtype=torch.float64)

    def forward(self, x):
        """The network.

        A docstring of several lines, indented as a method's is.
        """
        x = torch.tanh(self.first(x))
        return self.out(torch.tanh(self.hidden(x)))


torch.manual_seed(3)
TWO_LAYERS = TwoLayers()


def global_network_loss(x):
    return torch.sum(TWO_LAYERS(x) ** 2)


def network_argument_loss(network, x):
    return torch.sum(network(x) ** 2)


def test_calling_submodules_runs_their_forward():
    x = torch.randn(5, 3, dtype=torch.float64)
    watched = x.clone().requires_grad_(True)
    expected = torch.autograd.grad(global_network_loss(watched), watched)[0]
    _assert_close(tangent.grad(global_network_loss)(x), expected, 'global_network_loss')
    _assert_close(tangent.grad(network_argument_loss, wrt=1)(TWO_LAYERS, x), expected,
                  'network_argument_loss')


def numpy_on_a_tensor(x):
    return torch.sum(np.sin(x) * x)


def numpy_then_torch(x):
    y = np.exp(x)
    return torch.sum(torch.sin(y))


@pytest.mark.parametrize('function', [numpy_on_a_tensor, numpy_then_torch])
@pytest.mark.parametrize('derive', [tangent.grad, tangent.jvp], ids=['reverse', 'forward'])
def test_mixing_numpy_and_torch_raises_naming_both(function, derive):
    with pytest.raises(MixedLibrariesError, match='mixes (torch and numpy|numpy and torch)'):
        derive(function)(torch.ones(3, dtype=torch.float64), *(
            [torch.ones(3, dtype=torch.float64)] if derive is tangent.jvp else []))


def test_a_numpy_constant_in_torch_code_is_not_mixing():
    def scaled(x):
        return torch.sum(torch.sin(x) * np.sqrt(2.0))
    x = torch.tensor([0.3, 0.9], dtype=torch.float64)
    _assert_close(tangent.grad(scaled)(x), torch.cos(x) * 2.0 ** 0.5, 'scaled')


def compiled_loss(x, w):
    return torch.sum(torch.tanh(torch.matmul(x, w)) * x[:, :1])


def test_torch_compile_of_a_gradient_agrees_with_autograd():
    torch._dynamo.reset()
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(3, 4, generator=generator, dtype=torch.float64)
    w = torch.randn(4, 2, generator=generator, dtype=torch.float64)
    compiled = torch.compile(tangent.grad(compiled_loss, wrt=(0, 1)))
    watched = [x.clone().requires_grad_(True), w.clone().requires_grad_(True)]
    _assert_close(compiled(x, w), torch.autograd.grad(compiled_loss(*watched), watched),
                  'torch.compile(tangent.grad(compiled_loss))')


def writes_in_place(x):
    y = x * 2.0
    y.add_(x)
    return torch.sum(y * x)


@pytest.mark.parametrize('derive', [tangent.grad, tangent.jvp], ids=['reverse', 'forward'])
def test_an_in_place_tensor_method_raises_naming_it(derive):
    x = torch.ones(2, dtype=torch.float64)
    with pytest.raises(NotImplementedError, match=r'in-place tensor method \.add_\(\)'):
        derive(writes_in_place)(x, *([x] if derive is tangent.jvp else []))


def rounded_division(x):
    return torch.sum(torch.div(x, 3.0, rounding_mode='floor') * x)


def clamped_logit(x):
    return torch.sum(torch.logit(x, eps=1e-3))


def tanh_gelu(x):
    return torch.sum(F.gelu(x, approximate='tanh'))


def training_dropout(x):
    return torch.sum(F.dropout(x, 0.5))


def weighted_cross_entropy(x):
    return F.cross_entropy(x, torch.tensor([0, 1]), weight=torch.tensor([1.0, 2.0],
                                                                       dtype=x.dtype))


def renormalised_embedding(x):
    return torch.sum(F.embedding(torch.tensor([0, 1]), x, max_norm=1.0))


def silu_in_place(x):
    return torch.sum(F.silu(x * 1.0, inplace=True))


def max_along_a_dim(x):
    return torch.sum(torch.max(x, 1)[0])


def upper_cholesky(x):
    return torch.sum(torch.linalg.cholesky(x, upper=True))


@pytest.mark.parametrize('function, named', [
    (rounded_division, 'torch.div with rounding_mode'), (clamped_logit, 'torch.logit with eps'),
    (tanh_gelu, 'F.gelu with approximate'), (training_dropout, 'F.dropout with training=True'),
    (weighted_cross_entropy, 'F.cross_entropy'), (upper_cholesky, 'upper=True'),
    (renormalised_embedding, 'F.embedding with max_norm'),
    (silu_in_place, 'F.silu with inplace=True'),
    (max_along_a_dim, 'torch.max or torch.min with dim')])
@pytest.mark.parametrize('derive', [tangent.grad, tangent.jvp], ids=['reverse', 'forward'])
def test_an_option_without_a_derivative_raises_naming_it(function, named, derive):
    x = torch.eye(2, dtype=torch.float64) * 0.5 + 0.25
    with pytest.raises(NotImplementedError, match=re.escape(named)):
        derive(function)(x, *([torch.ones_like(x)] if derive is tangent.jvp else []))


# The functions docs/pytorch.md shows the derivatives of.
def loss(w, x, y):
    h = torch.tanh(torch.matmul(x, w))
    return F.mse_loss(torch.sum(h, dim=1), y)


def f(x):
    return torch.sum(torch.sin(x) * x)


def _python_blocks(page: str) -> list[str]:
    return re.findall(r'```python\n(.*?)```', page, flags=re.DOTALL)


def test_the_generated_code_docs_pytorch_shows_is_what_tangent_writes():
    page = (Path(__file__).resolve().parent.parent / 'docs' / 'pytorch.md').read_text()
    blocks = _python_blocks(page)
    for derivative in (tangent.grad(loss), tangent.jvp(f)):
        assert inspect.getsource(derivative) in blocks, derivative.__name__


def complex_sum(x):
    return torch.sum(torch.sin(x) * x)


@pytest.mark.parametrize('derive', [tangent.grad, tangent.jvp], ids=['reverse', 'forward'])
def test_a_complex_tensor_raises(derive):
    z = torch.tensor([0.3 + 0.1j, 0.7 - 0.2j], dtype=torch.complex128)
    with pytest.raises(tangent.errors.ComplexNumberError, match='complex'):
        derive(complex_sum)(z, *([z] if derive is tangent.jvp else []))


def identity(x):
    return x


def test_a_returned_derivative_is_never_the_callers_seed_or_tangent():
    x, seed = torch.ones(3, dtype=torch.float64), torch.full((3,), 2.0, dtype=torch.float64)
    for result in (tangent.vjp(identity)(x, seed), tangent.jvp(identity)(x, seed)):
        _assert_close(result, seed, 'identity')
        assert result.data_ptr() != seed.data_ptr()


@tangent.trace
def traced_block(x):
    return torch.sum(torch.sinc(x) * torch.special.i0(x))


def uses_a_traced_block(x):
    return traced_block(x * 2.0) * 3.0


def test_a_traced_black_box_is_differentiated_by_pytorch_autograd():
    x = torch.tensor([0.3, 0.7], dtype=torch.float64)
    watched = x.clone().requires_grad_(True)
    _assert_close(tangent.grad(uses_a_traced_block)(x),
                  torch.autograd.grad(uses_a_traced_block(watched), watched)[0],
                  'uses_a_traced_block')
