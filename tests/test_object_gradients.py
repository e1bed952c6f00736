"""Gradients with respect to an object argument (an ``nn.Module``, a plain class holding
NumPy arrays and floats): a dict from the dotted path of each differentiable attribute
to its gradient, read through methods, submodules, items and aliases.

PyTorch modules are checked against ``torch.func.grad`` over
``torch.func.functional_call`` (or ``torch.autograd.grad``), plain classes against
central finite differences, all in float64. The PyTorch tests are skipped only when
PyTorch is not installed; with TANGENT_REQUIRE_TORCH=1 (as in CI) a missing PyTorch
fails instead.
"""

from __future__ import annotations

import importlib.util
import operator
import os

import numpy as np
import pytest

import tangent
from tangent.errors import ObjectGradientError

HAVE_TORCH = os.environ.get('TANGENT_REQUIRE_TORCH') == '1' or \
    importlib.util.find_spec('torch') is not None
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason='PyTorch is not installed (the '
                                 'torch extra); set TANGENT_REQUIRE_TORCH=1 to insist')

if HAVE_TORCH:
    import torch
    from torch import nn

    DTYPE = torch.float64

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(4, 5, dtype=DTYPE)
            self.out = nn.Linear(5, 2, dtype=DTYPE)

        def forward(self, x):
            return self.out(torch.tanh(self.hidden(x)))

        def loss(self, x):
            return torch.sum(self(x) ** 2)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.mlp = MLP()
            self.scale = nn.Parameter(torch.tensor(1.5, dtype=DTYPE))
            self.unused = nn.Parameter(torch.randn(3, dtype=DTYPE))
            self.steps = 2  # an int attribute: a constant

        def loss(self, x):
            h = self.mlp(x) * self.scale
            return torch.sum(torch.sin(h)) * self.steps

    class Twice(nn.Module):
        """Reads one parameter twice, once through an alias, and by methods calling methods."""

        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(3, 3, dtype=DTYPE)

        def features(self, x):
            w = self.linear.weight
            return torch.tanh(x @ w.T) + x @ self.linear.weight

        def loss(self, x):
            return torch.sum(self.features(x) ** 2) + torch.sum(self.linear.bias ** 3)

    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(3, 4, dtype=DTYPE),
                                         nn.Linear(4, 2, dtype=DTYPE)])

        def loss(self, x):
            h = torch.relu(self.layers[0](x))
            return torch.sum(self.layers[1](h) ** 2) + torch.sum(self.layers[0].bias)


def _functional_grad(module, method, x):
    """torch.func's gradient of ``method(module, x)`` with respect to the parameters."""
    parameters = {name: value.detach() for name, value in module.named_parameters()}

    def loss(parameters):
        return torch.func.functional_call(_Call(module, method), {
            f'module.{name}': value for name, value in parameters.items()}, (x,))
    return torch.func.grad(loss)(parameters)


if HAVE_TORCH:
    class _Call(nn.Module):
        """Runs ``method`` of ``module`` through forward, for functional_call."""

        def __init__(self, module, method):
            super().__init__()
            self.module = module
            self.method = method

        def forward(self, x):
            return self.method(self.module, x)


def _assert_same_gradients(ours, reference):
    assert list(ours) == list(reference)
    for name in reference:
        assert isinstance(ours[name], torch.Tensor), name
        assert ours[name].shape == reference[name].shape, name
        assert not ours[name].requires_grad, name
        torch.testing.assert_close(ours[name], reference[name], rtol=1e-9, atol=1e-12)


def _snapshot(module):
    return {name: (value.detach().clone(), value.requires_grad, value.grad)
            for name, value in module.named_parameters()}


def _assert_unchanged(module, snapshot):
    for name, value in module.named_parameters():
        before, requires_grad, grad = snapshot[name]
        assert torch.equal(value.detach(), before), name
        assert value.requires_grad == requires_grad, name
        assert value.grad is None and grad is None, name


@needs_torch
@pytest.mark.parametrize('cls', ['MLP', 'Block', 'Twice', 'Stack'])
def test_unbound_method_gradient_matches_functional_call(cls):
    torch.manual_seed(0)
    module = globals()[cls]()
    x = torch.randn(6, 4 if cls in ('MLP', 'Block') else 3, dtype=DTYPE)
    snapshot = _snapshot(module)
    gradient = tangent.grad(type(module).loss)(module, x)
    _assert_same_gradients(gradient, _functional_grad(module, type(module).loss, x))
    _assert_unchanged(module, snapshot)


@needs_torch
def test_unused_parameter_gets_zeros_and_every_key_is_there():
    torch.manual_seed(1)
    block = Block()
    gradient = tangent.grad(Block.loss)(block, torch.randn(2, 4, dtype=DTYPE))
    assert list(gradient) == [name for name, _ in block.named_parameters()]
    assert torch.equal(gradient['unused'], torch.zeros(3, dtype=DTYPE))


@needs_torch
def test_linear_module_and_input_together():
    torch.manual_seed(2)
    linear = nn.Linear(4, 3, dtype=DTYPE)
    x = torch.randn(5, 4, dtype=DTYPE)

    def loss(net, x):
        return torch.sum(torch.tanh(net(x)))

    gradient, gradient_x = tangent.grad(loss, wrt=(0, 1))(linear, x)
    parameters = dict(linear.named_parameters())
    expected = torch.autograd.grad(loss(linear, x), list(parameters.values()))
    _assert_same_gradients(gradient, {name: value for name, value in
                                      zip(parameters, expected)})
    x_ = x.clone().requires_grad_(True)
    (expected_x,) = torch.autograd.grad(loss(linear, x_), [x_])
    torch.testing.assert_close(gradient_x, expected_x)
    for value in parameters.values():
        assert value.grad is None and value.requires_grad


@needs_torch
def test_module_argument_of_a_function_calling_it():
    torch.manual_seed(3)
    mlp = MLP()
    x = torch.randn(3, 4, dtype=DTYPE)

    def loss(net, x):
        return net(x).sum()

    _assert_same_gradients(tangent.grad(loss)(mlp, x),
                           _functional_grad(mlp, lambda module, x: loss(module, x), x))


@needs_torch
def test_value_and_grad_and_vjp():
    torch.manual_seed(4)
    mlp = MLP()
    x = torch.randn(3, 4, dtype=DTYPE)
    reference = _functional_grad(mlp, MLP.loss, x)
    value, gradient = tangent.value_and_grad(MLP.loss)(mlp, x)
    torch.testing.assert_close(value, MLP.loss(mlp, x).detach())
    _assert_same_gradients(gradient, reference)
    seed = torch.tensor(2.0, dtype=DTYPE)
    gradient = tangent.vjp(MLP.loss)(mlp, x, seed)
    _assert_same_gradients(gradient, {name: 2.0 * value for name, value in reference.items()})


@needs_torch
def test_parameters_are_read_when_the_derivative_runs():
    torch.manual_seed(5)
    mlp = MLP()
    x = torch.randn(3, 4, dtype=DTYPE)
    derivative = tangent.grad(MLP.loss)
    derivative(mlp, x)
    with torch.no_grad():
        mlp.hidden.weight.mul_(-2.0)
    _assert_same_gradients(derivative(mlp, x), _functional_grad(mlp, MLP.loss, x))
    mlp.out.weight = nn.Parameter(torch.randn(2, 5, dtype=DTYPE))
    _assert_same_gradients(derivative(mlp, x), _functional_grad(mlp, MLP.loss, x))
    other = MLP()  # another instance of the class: its own parameters
    _assert_same_gradients(derivative(other, x), _functional_grad(other, MLP.loss, x))


@needs_torch
def test_another_layout_writes_another_derivative():
    torch.manual_seed(6)

    def loss(net, x):
        return torch.sum(net(x) ** 2)

    derivative = tangent.grad(loss)
    x = torch.randn(2, 4, dtype=DTYPE)
    with_bias = nn.Linear(4, 3, dtype=DTYPE)
    without_bias = nn.Linear(4, 3, bias=False, dtype=DTYPE)
    for module in (with_bias, without_bias, MLP(), with_bias):
        expected = _functional_grad(module, loss, x)
        _assert_same_gradients(derivative(module, x), expected)


@needs_torch
def test_tied_parameter_is_one_key():
    torch.manual_seed(7)

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Linear(3, 3, bias=False, dtype=DTYPE)
            self.decoder = nn.Linear(3, 3, bias=False, dtype=DTYPE)
            self.decoder.weight = self.encoder.weight

        def loss(self, x):
            return torch.sum(torch.tanh(self.decoder(torch.tanh(self.encoder(x)))))

    tied = Tied()
    x = torch.randn(2, 3, dtype=DTYPE)
    gradient = tangent.grad(Tied.loss)(tied, x)
    (expected,) = torch.autograd.grad(Tied.loss(tied, x), [tied.encoder.weight])
    assert list(gradient) == ['encoder.weight']
    torch.testing.assert_close(gradient['encoder.weight'], expected)


# NumPy and Python objects ----------------------------------------------------


class Inner:
    def __init__(self):
        self.v = np.array([0.5, -1.0, 2.0])
        self.gain = 0.7


class Model:
    def __init__(self):
        self.w = np.array([[1.0, -0.5, 0.25], [0.3, 0.2, -1.2]])
        self.b = 0.1
        self.count = 3  # an int: a constant, not in the gradient
        self.name = 'model'
        self.inner = Inner()
        self.ws = [np.array([1.0, 2.0]), np.array([-0.5, 0.5])]
        self.table = {'scale': 1.3, 'ids': np.arange(3)}

    def features(self, x):
        return np.tanh(self.w @ x + self.b)

    def loss(self, x):
        h = self.features(x) * self.table['scale']
        ws = self.ws
        return (np.sum(h * ws[0]) + np.sum(h ** 2 * self.ws[1]) * self.count
                + self.inner.gain * np.dot(self.inner.v, x))


def _numerical_gradient(function, obj, x, path, eps=1e-6):
    """Central differences of ``function(obj, x)`` in the attribute at ``path``."""
    *steps, last = path.split('.')
    holder = obj
    for step in steps:
        holder = holder[int(step)] if isinstance(holder, list) else \
            holder[step] if isinstance(holder, dict) else getattr(holder, step)

    def read():
        return holder[int(last)] if isinstance(holder, list) else \
            holder[last] if isinstance(holder, dict) else getattr(holder, last)

    def write(value):
        if isinstance(holder, list):
            holder[int(last)] = value
        elif isinstance(holder, dict):
            holder[last] = value
        else:
            setattr(holder, last, value)
    original = read()
    try:
        if isinstance(original, float):
            write(original + eps)
            up = function(obj, x)
            write(original - eps)
            down = function(obj, x)
            return (up - down) / (2 * eps)
        gradient = np.zeros_like(original)
        for index in np.ndindex(original.shape):
            shifted = original.copy()
            shifted[index] += eps
            write(shifted)
            up = function(obj, x)
            shifted[index] -= 2 * eps
            write(shifted)
            down = function(obj, x)
            gradient[index] = (up - down) / (2 * eps)
        return gradient
    finally:
        write(original)


MODEL_PATHS = ['w', 'b', 'inner.v', 'inner.gain', 'ws.0', 'ws.1', 'table.scale']


def test_numpy_class_gradient_matches_finite_differences():
    model = Model()
    x = np.array([0.3, -0.8, 1.1])
    gradient = tangent.grad(Model.loss)(model, x)
    assert sorted(gradient) == sorted(MODEL_PATHS)
    for path in MODEL_PATHS:
        expected = _numerical_gradient(Model.loss, model, x, path)
        np.testing.assert_allclose(gradient[path], expected, rtol=1e-6, atol=1e-8,
                                   err_msg=path)
        attribute = model
        for step in path.split('.'):
            attribute = attribute[int(step)] if isinstance(attribute, list) else \
                attribute[step] if isinstance(attribute, dict) else getattr(attribute, step)
        assert type(gradient[path]) is type(attribute), path


def test_numpy_object_and_input_together_and_unchanged():
    model = Model()
    x = np.array([0.3, -0.8, 1.1])
    before = (model.w.copy(), model.b, [w.copy() for w in model.ws], model.inner.v.copy())
    gradient, gradient_x = tangent.grad(Model.loss, wrt=(0, 1))(model, x)
    eps = 1e-6
    expected_x = np.array([(Model.loss(model, x + eps * e) - Model.loss(model, x - eps * e))
                           / (2 * eps) for e in np.eye(3)])
    np.testing.assert_allclose(gradient_x, expected_x, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gradient['w'], _numerical_gradient(Model.loss, model, x, 'w'),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(model.w, before[0])
    assert model.b == before[1] and model.count == 3
    np.testing.assert_array_equal(model.inner.v, before[3])


def test_numpy_attribute_values_read_at_each_call():
    model = Model()
    x = np.array([0.3, -0.8, 1.1])
    derivative = tangent.grad(Model.loss)
    derivative(model, x)
    model.w = model.w * 2.0
    model.inner.gain = -3.0
    gradient = derivative(model, x)
    for path in ('w', 'inner.v', 'b'):
        np.testing.assert_allclose(gradient[path],
                                   _numerical_gradient(Model.loss, model, x, path),
                                   rtol=1e-6, atol=1e-8, err_msg=path)


def test_numpy_new_attribute_or_class_writes_another_derivative():
    class Scaled:
        def __init__(self, a):
            self.a = a

        def loss(self, x):
            return np.sum(np.sin(self.a * x))

    def loss(m, x):
        return m.loss(x)

    derivative = tangent.grad(loss)
    x = np.array([0.2, 0.4])
    as_float = derivative(Scaled(1.5), x)
    np.testing.assert_allclose(as_float['a'], np.sum(x * np.cos(1.5 * x)))
    as_int = derivative(Scaled(2), x)  # an int attribute: not differentiable
    assert as_int == {}
    as_array = derivative(Scaled(np.array([1.0, 2.0])), x)
    np.testing.assert_allclose(as_array['a'], x * np.cos(np.array([1.0, 2.0]) * x))


def test_object_whose_attributes_do_not_reach_the_result():
    class Holder:
        def __init__(self):
            self.w = np.ones(2)
            self.c = 2.0

        def loss(self, x):
            return np.sum(x * x) + 0.0 * len(self.w)

    gradient = tangent.grad(Holder.loss)(Holder(), np.array([1.0, 2.0]))
    assert list(gradient) == ['w', 'c']
    np.testing.assert_array_equal(gradient['w'], np.zeros(2))
    assert gradient['c'] == 0.0


# What still raises -----------------------------------------------------------


class Counter:
    def __init__(self):
        self.w = np.ones(3)
        self.calls = 0

    def counting(self, x):
        self.calls += 1
        return np.sum(self.w * x)

    def overwriting(self, x):
        self.w = self.w * 2.0
        return np.sum(self.w * x)

    def by_name(self, x, name):
        return np.sum(getattr(self, name) * x)

    def by_index(self, x, i):
        return np.sum(self.ws[i] * x)


def test_writing_an_attribute_of_the_object_raises_and_leaves_it_alone():
    counter = Counter()
    x = np.arange(3.0)
    for method, attribute in ((Counter.counting, 'self.calls'),
                              (Counter.overwriting, 'self.w')):
        # The fence refuses attribute writes in any differentiated function.
        with pytest.raises(tangent.TangentParseError, match=rf'attribute(.|\n)*{attribute}'):
            tangent.grad(method)(counter, x)
    assert counter.calls == 0
    np.testing.assert_array_equal(counter.w, np.ones(3))


def test_getattr_with_a_computed_name_raises():
    with pytest.raises(ObjectGradientError, match='getattr'):
        tangent.grad(Counter.by_name)(Counter(), np.arange(3.0), 'w')


def test_item_at_a_variable_index_raises():
    counter = Counter()
    counter.ws = [np.ones(3), np.zeros(3)]
    with pytest.raises(ObjectGradientError, match=r'self\.ws'):
        tangent.grad(Counter.by_index)(counter, np.arange(3.0), 1)


class Computed:
    def __init__(self):
        self.w = np.array([1.0, 2.0])
        self.layers = [np.array([0.5, 0.5]), np.array([2.0, -1.0])]

    @property
    def doubled(self):
        return self.w * 2.0

    def through_property(self, x):
        return np.sum(self.doubled * x)

    def through_last_item(self, x):
        return np.sum(self.layers[-1] * x)

    def through_first_item(self, x):
        return np.sum(self.layers[0] * x) + np.sum(self.w * x)


def test_property_and_negative_index_raise_and_constant_index_works():
    x = np.array([1.0, 3.0])
    with pytest.raises(ObjectGradientError, match=r'self\.doubled.*property'):
        tangent.grad(Computed.through_property)(Computed(), x)
    with pytest.raises(ObjectGradientError, match=r'self\.layers\[-1\]'):
        tangent.grad(Computed.through_last_item)(Computed(), x)
    gradient = tangent.grad(Computed.through_first_item)(Computed(), x)
    assert list(gradient) == ['w', 'layers.0', 'layers.1']
    np.testing.assert_allclose(gradient['layers.0'], x)
    np.testing.assert_allclose(gradient['layers.1'], np.zeros(2))
    np.testing.assert_allclose(gradient['w'], x)


class SharedInner:
    def __init__(self):
        self.v = np.array([1.0, -2.0])


class Sharing:
    """One object under two attributes, and a reference back to itself."""

    def __init__(self):
        self.a = SharedInner()
        self.b = self.a
        self.c = 0.5
        self.parent = self

    def loss(self, x):
        return np.sum(np.sin(self.b.v * x)) + np.sum(self.a.v ** 2) * self.parent.c

    def too_far(self, x):
        return np.sum(x) * self.parent.parent.parent.c

    def added_later(self, x):
        return np.sum(self.a.v * x) * self.scale


def test_shared_object_is_one_key_and_far_or_unknown_reads_raise():
    sharing, x = Sharing(), np.array([0.3, 0.6])
    gradient = tangent.grad(Sharing.loss)(sharing, x)
    assert list(gradient) == ['a.v', 'c']
    for path in ('a.v', 'c'):
        np.testing.assert_allclose(gradient[path],
                                   _numerical_gradient(Sharing.loss, sharing, x, path),
                                   rtol=1e-6, atol=1e-8, err_msg=path)
    with pytest.raises(ObjectGradientError, match=r'self\.parent\.parent\.parent'):
        tangent.grad(Sharing.too_far)(sharing, x)
    with pytest.raises(ObjectGradientError, match=r'self\.scale'):
        tangent.grad(Sharing.added_later)(sharing, x)


def test_forward_mode_with_respect_to_an_object_raises():
    model = Model()
    x = np.array([0.3, -0.8, 1.1])
    with pytest.raises(ObjectGradientError, match='forward mode'):
        tangent.autodiff(Model.loss, mode='forward')(model, x, {})
    jvp = tangent.jvp(Model.loss, wrt=1)(model, x, np.ones(3))  # not the object: fine
    eps = 1e-6
    expected = (Model.loss(model, x + eps) - Model.loss(model, x - eps)) / (2 * eps)
    np.testing.assert_allclose(jvp, expected, rtol=1e-6)


def test_second_order_through_the_object_gradient():
    class Cubic:
        def __init__(self):
            self.w = np.array([1.0, 2.0])
            self.b = 0.3

        def loss(self, x):
            return np.sum(np.sin(self.w ** 3 * x + self.b))

    first = tangent.grad(Cubic.loss)
    cubic, x = Cubic(), np.array([0.4, -0.7])
    seed = {'w': np.array([0.5, -1.5]), 'b': 2.0}

    def projected(obj, x):  # <seed, d loss / d obj>
        gradient = first(obj, x)
        return np.sum(seed['w'] * gradient['w']) + seed['b'] * gradient['b']

    second = tangent.vjp(first)(cubic, x, 1.0, seed)
    for path in ('w', 'b'):
        np.testing.assert_allclose(second[path],
                                   _numerical_gradient(projected, cubic, x, path),
                                   rtol=1e-6, atol=1e-8, err_msg=path)
    eps = 1e-6
    second_x = tangent.vjp(first, wrt=1)(cubic, x, 1.0, seed)
    expected_x = [(projected(cubic, x + eps * e) - projected(cubic, x - eps * e)) / (2 * eps)
                  for e in np.eye(2)]
    np.testing.assert_allclose(second_x, expected_x, rtol=1e-6, atol=1e-8)


@needs_torch
def test_module_method_writing_its_state_raises():
    class Stateful(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(2, 2, dtype=DTYPE)
            self.seen = 0

        def loss(self, x):
            self.seen = self.seen + 1
            return torch.sum(self.linear(x))

    module = Stateful()
    with pytest.raises(tangent.TangentParseError, match=r'attribute(.|\n)*self\.seen'):
        tangent.grad(Stateful.loss)(module, torch.ones(1, 2, dtype=DTYPE))
    assert module.seen == 0


@needs_torch
def test_forward_mode_with_respect_to_a_module_raises():
    mlp = MLP()
    x = torch.randn(2, 4, dtype=DTYPE)
    with pytest.raises(ObjectGradientError, match='forward mode'):
        tangent.jvp(MLP.loss)(mlp, x, {})


@needs_torch
def test_passing_a_module_to_a_function_without_source_raises():
    class Opaque(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(2, 2, dtype=DTYPE)

        def loss(self, x):
            read = operator.attrgetter('weight')  # C code: tangent cannot see into it
            return torch.sum(x @ read(self.linear))

    with pytest.raises(ObjectGradientError, match=r'self\.linear'):
        tangent.grad(Opaque.loss)(Opaque(), torch.ones(1, 2, dtype=DTYPE))


HAVE_JAX = os.environ.get('TANGENT_REQUIRE_JAX') == '1' or \
    importlib.util.find_spec('jax') is not None


@pytest.mark.skipif(not HAVE_JAX, reason='JAX is not installed (the jax extra); set '
                    'TANGENT_REQUIRE_JAX=1 to insist')
def test_plain_object_holding_jax_arrays():
    import jax
    import jax.numpy as jnp

    class Weights:
        def __init__(self):
            self.w = jnp.array([1.0, 2.0])
            self.steps = 3

        def loss(self, x):
            return jnp.sum(jnp.sin(self.w * x)) * self.steps

    with jax.enable_x64(True):
        weights, x = Weights(), jnp.array([0.5, -1.0])
        gradient = tangent.grad(Weights.loss)(weights, x)
        expected = jax.grad(lambda w: jnp.sum(jnp.sin(w * x)) * 3)(weights.w)
        assert list(gradient) == ['w']
        np.testing.assert_allclose(np.asarray(gradient['w']), np.asarray(expected),
                                   rtol=1e-12)


@needs_torch
def test_reverse_over_reverse_with_respect_to_a_module():
    torch.manual_seed(8)
    mlp = MLP()
    x = torch.randn(3, 4, dtype=DTYPE)
    seed = {name: torch.randn_like(value) for name, value in mlp.named_parameters()}
    second = tangent.vjp(tangent.grad(MLP.loss))(mlp, x, torch.tensor(1.0, dtype=DTYPE), seed)

    def projected(parameters):  # <seed, d loss / d parameters>, by torch.func
        gradient = torch.func.grad(lambda p: torch.func.functional_call(
            mlp, p, (x,)).pow(2).sum())(parameters)
        return sum(torch.sum(gradient[name] * seed[name]) for name in gradient)

    expected = torch.func.grad(projected)({name: value.detach() for name, value in
                                           mlp.named_parameters()})
    _assert_same_gradients(second, expected)


@needs_torch
def test_module_looping_over_its_containers_and_a_layer_appended():
    """A ModuleList loop and an nn.Sequential head, differentiated with respect to the
    module: the containers are written out, and a layer appended writes the derivative
    anew with the new parameter among the keys."""
    class Deep(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(3, 3, dtype=DTYPE) for _ in range(2)])
            self.head = nn.Sequential(nn.Linear(3, 2, dtype=DTYPE), nn.Tanh())

        def forward(self, x):
            for layer in self.layers:
                x = torch.tanh(layer(x))
            return self.head(x)

        def loss(self, x):
            return torch.sum(self.forward(x) ** 2)

    torch.manual_seed(5)
    deep, x = Deep(), torch.randn(4, 3, dtype=DTYPE)
    derivative = tangent.grad(Deep.loss)
    _assert_same_gradients(derivative(deep, x), _functional_grad(deep, Deep.loss, x))
    deep.layers.append(nn.Linear(3, 3, dtype=DTYPE))
    gradient = derivative(deep, x)
    assert 'layers.2.weight' in gradient
    _assert_same_gradients(gradient, _functional_grad(deep, Deep.loss, x))
