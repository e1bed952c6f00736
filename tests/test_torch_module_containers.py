"""Loops over PyTorch module containers and calls of them: ``nn.ModuleList`` (a plain
loop, ``enumerate``, ``zip``, indexing, ``len``), ``nn.Sequential`` (called directly
and as a submodule), ``nn.ModuleDict`` (constant keys, loops over ``values()`` and
``items()``) and containers nested in one another, for a model passed as an argument
and for a global one. Each gradient with respect to the input (the parameters are
constants) is compared with ``torch.autograd.grad`` on float64, each tangent with
``torch.func.jvp``. A module added to a container after the derivative was written
is differentiated, never a stale derivative run.

Skipped only when PyTorch is not installed; with TANGENT_REQUIRE_TORCH=1 (as in
CI) a missing PyTorch fails instead.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

# Found with find_spec rather than by catching ImportError: an installed PyTorch that
# fails to import is an error, not a skip.
if os.environ.get('TANGENT_REQUIRE_TORCH') != '1' and importlib.util.find_spec('torch') is None:
    pytest.skip('PyTorch is not installed (the torch extra); set TANGENT_REQUIRE_TORCH=1 to '
                'insist', allow_module_level=True)
import torch  # noqa: E402 - after the skip
from torch import nn  # noqa: E402

import tangent  # noqa: E402
from tangent import backends  # noqa: E402

DTYPE = torch.float64
WIDTH = 3


def linear():
    return nn.Linear(WIDTH, WIDTH, dtype=DTYPE)


class LoopOverList(nn.Module):
    def __init__(self, depth=2):
        super().__init__()
        self.layers = nn.ModuleList([linear() for _ in range(depth)])

    def forward(self, x):
        for layer in self.layers:
            x = torch.tanh(layer(x))
        return x


class Enumerated(LoopOverList):
    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = torch.tanh(layer(x)) * (i + 1.0)
        return x + i


class Indexed(LoopOverList):
    def forward(self, x):
        return torch.sin(self.layers[1](torch.tanh(self.layers[0](x)))) * len(self.layers)


class Zipped(LoopOverList):
    def __init__(self):
        super().__init__()
        self.gates = nn.ModuleList([linear(), linear(), linear()])  # zip stops at two

    def forward(self, x):
        for layer, gate in zip(self.layers, self.gates):
            x = torch.tanh(layer(x)) * torch.sigmoid(gate(x))
        return x


class WithSequential(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(linear(), nn.Tanh(), linear(), nn.Softplus())

    def forward(self, x):
        return self.body(x) * x


class WithModuleDict(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleDict({'mean': linear(), 'scale': nn.Sequential(linear(),
                                                                               nn.Sigmoid())})

    def forward(self, x):
        return self.heads['mean'](x) * self.heads['scale'](x)


class LoopOverValues(WithModuleDict):
    def forward(self, x):
        for head in self.heads.values():
            x = torch.tanh(head(x))
        return x


class LoopOverItems(WithModuleDict):
    def forward(self, x):
        for name, head in self.heads.items():
            x = head(x) * len(name)
        return x + len(name)


class Nested(nn.Module):
    """A ModuleList of Sequentials and of modules that loop over their own lists."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Sequential(linear(), nn.GELU()), LoopOverList(3),
                                     nn.Sequential(WithModuleDict(), nn.Tanh())])

    def forward(self, x):
        for block in self.blocks:
            x = block(x) + x
        return x


MODELS = [LoopOverList, Enumerated, Indexed, Zipped, WithSequential, WithModuleDict,
          LoopOverValues, LoopOverItems, Nested]


def loss_of(model, x):
    return torch.sum(model(x) ** 2)


def _input(seed=0):
    return torch.randn(4, WIDTH, generator=torch.Generator().manual_seed(seed), dtype=DTYPE)


def _autograd_gradient(function, *args):
    """d function(*args, x) / dx, x the last argument, by torch.autograd."""
    x = args[-1].clone().requires_grad_(True)
    return torch.autograd.grad(function(*args[:-1], x), x)[0]


def _assert_close(actual, expected, what):
    assert not actual.requires_grad, what
    torch.testing.assert_close(actual, expected, rtol=1e-10, atol=1e-12, msg=what)


@pytest.mark.parametrize('model_class', MODELS, ids=lambda cls: cls.__name__)
def test_a_model_passed_as_an_argument(model_class):
    torch.manual_seed(0)
    model, x = model_class(), _input()
    before = [parameter.clone() for parameter in model.parameters()]
    gradient = tangent.grad(loss_of, wrt=1)(model, x)
    _assert_close(gradient, _autograd_gradient(loss_of, model, x), model_class.__name__)
    # The model is not changed, and no graph was recorded in its parameters.
    assert all(torch.equal(old, new) for old, new in zip(before, model.parameters()))
    assert all(parameter.grad is None for parameter in model.parameters())


def global_loss(x):
    return torch.sum(GLOBAL_MODEL(x) ** 2)


@pytest.fixture
def global_model(request):
    """GLOBAL_MODEL bound to a fresh model of the requested class for one test."""
    global GLOBAL_MODEL
    torch.manual_seed(1)
    GLOBAL_MODEL = request.param()
    yield GLOBAL_MODEL
    del GLOBAL_MODEL


@pytest.mark.parametrize('global_model', MODELS, ids=lambda cls: cls.__name__,
                         indirect=True)
def test_a_global_model(global_model):
    x = _input(1)
    _assert_close(tangent.grad(global_loss)(x), _autograd_gradient(global_loss, x),
                  type(global_model).__name__)


torch.manual_seed(2)
NETWORK = nn.Sequential(linear(), nn.Tanh(), nn.Sequential(linear(), nn.SiLU()), linear())


def calls_a_global_sequential(x):
    return torch.sum(torch.sin(NETWORK(x)))


def test_a_global_sequential_called_directly():
    x = _input(2)
    _assert_close(tangent.grad(calls_a_global_sequential)(x),
                  _autograd_gradient(calls_a_global_sequential, x), 'NETWORK(x)')


def sequential_argument_loss(network, x):
    return torch.sum(torch.sin(network(x)))


def test_a_sequential_passed_as_an_argument():
    x = _input(3)
    _assert_close(tangent.grad(sequential_argument_loss, wrt=1)(NETWORK, x),
                  _autograd_gradient(sequential_argument_loss, NETWORK, x), 'network(x)')


@pytest.mark.parametrize('model_class', [LoopOverList, Enumerated, WithSequential, Nested],
                         ids=lambda cls: cls.__name__)
def test_forward_mode_matches_torch_func_jvp(model_class):
    torch.manual_seed(4)
    model, x = model_class(), _input(4)
    direction = _input(5)
    with torch.no_grad():
        _, expected = torch.func.jvp(lambda x: loss_of(model, x), (x,), (direction,))
    actual = tangent.jvp(loss_of, wrt=1)(model, x, direction)
    torch.testing.assert_close(actual, expected, rtol=1e-10, atol=1e-12)


def test_a_layer_appended_to_a_global_model_is_differentiated():
    global GLOBAL_MODEL
    torch.manual_seed(6)
    GLOBAL_MODEL = LoopOverList(2)
    try:
        x = _input(6)
        derivative = tangent.grad(global_loss)
        before = derivative(x)
        _assert_close(before, _autograd_gradient(global_loss, x), 'two layers')
        GLOBAL_MODEL.layers.append(linear())
        after = derivative(x)
        _assert_close(after, _autograd_gradient(global_loss, x), 'three layers')
        assert not torch.allclose(before, after)
        # Another class in a place of the list.
        GLOBAL_MODEL.layers[0] = nn.Sequential(linear(), nn.Tanh())
        _assert_close(derivative(x), _autograd_gradient(global_loss, x), 'a Sequential first')
    finally:
        del GLOBAL_MODEL


def test_a_layer_appended_to_a_model_argument_is_differentiated():
    torch.manual_seed(7)
    model, x = Enumerated(2), _input(7)
    derivative = tangent.grad(loss_of, wrt=1)
    before = derivative(model, x)
    _assert_close(before, _autograd_gradient(loss_of, model, x), 'two layers')
    model.layers.append(linear())
    after = derivative(model, x)
    _assert_close(after, _autograd_gradient(loss_of, model, x), 'three layers')
    assert not torch.allclose(before, after)


def test_a_module_dict_entry_replaced_in_a_global_model_is_differentiated():
    global GLOBAL_MODEL
    torch.manual_seed(8)
    GLOBAL_MODEL = WithModuleDict()
    try:
        x = _input(8)
        derivative = tangent.grad(global_loss)
        _assert_close(derivative(x), _autograd_gradient(global_loss, x), 'two heads')
        GLOBAL_MODEL.heads['scale'] = nn.Sequential(linear(), nn.Tanh(), linear())
        _assert_close(derivative(x), _autograd_gradient(global_loss, x), 'another head')
    finally:
        del GLOBAL_MODEL


def test_an_entry_added_to_a_module_dict_looped_over_is_differentiated():
    global GLOBAL_MODEL
    torch.manual_seed(10)
    GLOBAL_MODEL = LoopOverItems()
    try:
        x = _input(10)
        derivative = tangent.grad(global_loss)
        before = derivative(x)
        _assert_close(before, _autograd_gradient(global_loss, x), 'two heads')
        GLOBAL_MODEL.heads['extra'] = nn.Sequential(linear(), nn.Tanh())
        after = derivative(x)
        _assert_close(after, _autograd_gradient(global_loss, x), 'three heads')
        assert not torch.allclose(before, after)
    finally:
        del GLOBAL_MODEL
    # The same for a model passed as an argument: a version per list of entries.
    model = LoopOverValues()
    derivative = tangent.grad(loss_of, wrt=1)
    before = derivative(model, x)
    model.heads['extra'] = linear()
    after = derivative(model, x)
    _assert_close(after, _autograd_gradient(loss_of, model, x), 'an argument')
    assert not torch.allclose(before, after)


def test_a_layer_appended_to_a_global_sequential_is_differentiated():
    x = _input(9)
    derivative = tangent.grad(calls_a_global_sequential)
    before = derivative(x)
    NETWORK.append(nn.Tanh())
    try:
        after = derivative(x)
        _assert_close(after, _autograd_gradient(calls_a_global_sequential, x), 'appended')
        assert not torch.allclose(before, after)
    finally:
        del NETWORK[-1]
    _assert_close(derivative(x), before, 'removed again')


class Breaks(LoopOverList):
    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
            if torch.sum(x) > 1e6:
                break
        return x


class Continues(LoopOverList):
    def forward(self, x):
        for layer in self.layers:
            if torch.sum(x) > 1e6:
                continue
            x = layer(x)
        return x


class BreaksOverAList:
    """The same loop over a Python list of modules."""

    def __init__(self):
        self.layers = [linear(), linear()]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
            if torch.sum(x) > 1e6:
                break
        return x


@pytest.mark.parametrize('model_class', [Breaks, Continues, BreaksOverAList],
                         ids=lambda cls: cls.__name__)
def test_break_or_continue_in_a_loop_over_modules_is_a_clear_error(model_class):
    model = model_class()
    with pytest.raises(tangent.ReverseNotImplementedError,
                       match=r'_layer \(called at .*without break or continue'):
        tangent.grad(loss_of, wrt=1)(model, _input())


class IteratesItsOwnWay(nn.ModuleList):
    def __iter__(self):
        return iter(list(self._modules.values())[::-1])


def test_the_backend_lists_only_containers_it_knows():
    layers = [linear(), linear()]
    assert backends.container_items(nn.ModuleList(layers)) == layers
    assert backends.container_items(nn.Sequential(*layers)) == layers
    assert backends.container_items(nn.ModuleDict({'a': layers[0]})) == {'a': layers[0]}
    # A subclass that iterates otherwise is not read as a list; nor are other modules.
    assert backends.container_items(IteratesItsOwnWay(layers)) is None
    assert backends.container_items(layers[0]) is None
    assert backends.container_items(layers) is None
