"""Derivatives of PyTorch code called with tensors run a version written for the
tensors' shapes and dtypes (``tangent/backends/torch/shapes.py`` declares them to
the specialiser): each must give torch.autograd's gradient, of the same dtype,
whatever the shapes of the calls before it.

Skipped when PyTorch is not installed, unless TANGENT_REQUIRE_TORCH=1 (as in CI).
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
from pathlib import Path

import numpy as np
import pytest

if os.environ.get('TANGENT_REQUIRE_TORCH') != '1' and importlib.util.find_spec('torch') is None:
    pytest.skip('PyTorch is not installed (the torch extra); set TANGENT_REQUIRE_TORCH=1 to '
                'insist', allow_module_level=True)

import torch  # noqa: E402

import tangent  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'benchmarks'))

from workloads import WORKLOADS, leaves, map_leaves, rebind  # noqa: E402

GRADIENTS = [w for w in WORKLOADS if w.kind == 'grad']


def _tensors(values):
    """As the benchmark passes them: every number a float64 tensor."""
    return tuple(map_leaves(lambda leaf: torch.tensor(leaf, dtype=torch.float64), value)
                 for value in values)


def _autograd(function, inputs, wrt):
    tensors = tuple(map_leaves(lambda leaf: torch.tensor(
        leaf, dtype=torch.float64, requires_grad=True), value) for value in inputs)
    wanted = [leaf for index in wrt for leaf in leaves(tensors[index])]
    return [g.numpy() for g in torch.autograd.grad(function(*tensors), wanted)]


def _assert_agree(got, expected, name):
    got = [np.asarray(leaf.numpy() if isinstance(leaf, torch.Tensor) else leaf)
           for leaf in leaves(got)]
    assert len(got) == len(expected)
    for part, reference in zip(got, expected):
        np.testing.assert_allclose(part, reference, rtol=1e-7, atol=1e-9, err_msg=name)


@pytest.mark.parametrize('workload', GRADIENTS, ids=[w.name for w in GRADIENTS])
def test_the_version_for_tensors_agrees_with_autograd_at_two_signatures(workload):
    function = rebind(workload.function, torch)
    derivative = tangent.grad(function, wrt=workload.wrt)
    rng = np.random.default_rng(3)
    signatures = [workload.make_inputs(rng)]
    if workload.make_test_inputs is not None:
        signatures.append(workload.make_test_inputs(rng))
    for inputs in signatures + signatures[:1]:
        expected = _autograd(function, inputs, workload.wrt)
        for _ in range(2):  # the call that writes the version, then one that reuses it
            _assert_agree(derivative(*_tensors(inputs)), expected, workload.name)
    written = [key for key in derivative.specialisations if key != 'numbers']
    assert len(written) == len(signatures)
    assert 'torch.float64[' in inspect.getsource(derivative)


def broadcast_sum(x, b, s):
    return torch.sum(torch.tanh(x * b + s) * x)


def test_broadcasting_gradients_are_summed_in_place_of_unbroadcast():
    derivative = tangent.grad(broadcast_sum, wrt=(0, 1, 2))
    for shapes in [((3, 4, 5), (4, 1)), ((2, 6), (6,)), ((3, 4, 5), (4, 1))]:
        x = torch.randn(*shapes[0], dtype=torch.float64)
        b = torch.randn(*shapes[1], dtype=torch.float64)
        s = torch.tensor(0.3, dtype=torch.float64)
        inputs = (x, b, s)
        leaves_ = [t.clone().requires_grad_() for t in inputs]
        expected = torch.autograd.grad(broadcast_sum(*leaves_), leaves_)
        got = derivative(*inputs)
        for part, reference in zip(got, expected):
            assert part.shape == reference.shape and part.dtype == reference.dtype
            torch.testing.assert_close(part, reference, rtol=1e-10, atol=1e-12)
    source = inspect.getsource(derivative)  # the version the first call wrote
    assert 'unbroadcast' not in source
    assert '.sum(dim=(0, 2), keepdim=True).reshape((4, 1))' in source


def sine_of_product(x, w):
    return torch.sum(torch.sin(x @ w))


def test_float32_tensors_keep_their_dtype():
    derivative = tangent.grad(sine_of_product, wrt=(0, 1))
    for dtype in (torch.float32, torch.float64, torch.float32):
        x = torch.randn(3, 4, dtype=dtype)
        w = torch.randn(4, 2, dtype=dtype)
        leaves_ = [x.clone().requires_grad_(), w.clone().requires_grad_()]
        expected = torch.autograd.grad(sine_of_product(*leaves_), leaves_)
        for part, reference in zip(derivative(x, w), expected):
            assert part.dtype == dtype
            torch.testing.assert_close(part, reference)
    assert len([key for key in derivative.specialisations if key != 'numbers']) == 2


def test_parameters_and_tensors_that_require_a_gradient_still_agree():
    derivative = tangent.grad(sine_of_product, wrt=(0, 1))
    x = torch.randn(3, 4, dtype=torch.float64)
    w = torch.nn.Parameter(torch.randn(4, 2, dtype=torch.float64))
    leaves_ = [x.clone().requires_grad_(), w.detach().clone().requires_grad_()]
    expected = torch.autograd.grad(sine_of_product(*leaves_), leaves_)
    for _ in range(2):
        for part, reference in zip(derivative(x.requires_grad_(), w), expected):
            assert not part.requires_grad
            torch.testing.assert_close(part, reference)


def test_add_at_with_a_basic_index_leaves_an_expanded_target_as_it_was():
    target = torch.zeros(3, dtype=torch.float64).expand(2, 3)
    total = tangent.add_at(target, (slice(None), slice(1, None)),
                           torch.ones(2, 2, dtype=torch.float64))
    torch.testing.assert_close(total, torch.tensor([[0.0, 1.0, 1.0]] * 2, dtype=torch.float64))
    assert float(target.abs().sum()) == 0.0
    repeated = tangent.add_at(torch.zeros(3, dtype=torch.float64), torch.tensor([0, 0, 2]),
                              torch.ones(3, dtype=torch.float64))
    torch.testing.assert_close(repeated, torch.tensor([2.0, 0.0, 1.0], dtype=torch.float64))


@pytest.mark.parametrize('name', ['softmax_5', 'rnn_loss_small'])
def test_torch_compile_traces_the_derivative_without_a_graph_break(name):
    workload = next(w for w in WORKLOADS if w.name == name)
    function = rebind(workload.function, torch)
    derivative = tangent.grad(function, wrt=workload.wrt)
    make = workload.make_test_inputs or workload.make_inputs
    inputs = make(np.random.default_rng(5))
    tensors = _tensors(inputs)
    derivative(*tensors)  # writes the version: what later calls run
    torch._dynamo.reset()
    explained = torch._dynamo.explain(derivative)(*tensors)
    assert explained.graph_break_count == 0, explained.break_reasons
    assert explained.graph_count == 1
    compiled = torch.compile(derivative)
    _assert_agree(compiled(*tensors), _autograd(function, inputs, workload.wrt), name)
    torch._dynamo.reset()


def _operations(graph_module) -> int:
    return sum(1 for node in graph_module.graph.nodes if node.op in ('call_function',
                                                                      'call_method'))


@pytest.mark.parametrize('name', ['softmax_5', 'rnn_loss_small'])
def test_torch_compile_of_a_derivative_first_called_compiled_settles_on_its_one_graph(name):
    """The first call under torch.compile writes the version (a graph break, outside
    no_grad, where the trace resumes); the calls after it run the version as the one
    graph a derivative called once before compiling gives. Before, the break fell
    inside no_grad: the derivative ran op by op, frame by frame, ten times slower."""
    workload = next(w for w in WORKLOADS if w.name == name)
    function = rebind(workload.function, torch)
    make = workload.make_test_inputs or workload.make_inputs
    inputs = make(np.random.default_rng(5))
    tensors = _tensors(inputs)
    graphs = []

    def counting(graph_module, example_inputs):
        graphs.append(graph_module)
        return graph_module.forward

    torch._dynamo.reset()
    warmed = tangent.grad(function, wrt=workload.wrt)
    warmed(*tensors)
    torch.compile(warmed, backend=counting)(*tensors)
    (clean,) = graphs
    graphs.clear()
    torch._dynamo.reset()
    compiled = torch.compile(_fresh_derivative(function, workload.wrt), backend=counting)
    for _ in range(3):
        result = compiled(*tensors)
    settled = len(graphs)
    _assert_agree(compiled(*tensors), _autograd(function, inputs, workload.wrt), name)
    assert len(graphs) == settled, 'a call after the third compiled again'
    assert _operations(graphs[-1]) == _operations(clean)
    # Nor does the settled call run the version's lookup as Python frames of its own
    # (as it did when the first call's break stayed compiled in: twice the time).
    frames = []
    sys.setprofile(lambda frame, event, arg: frames.append(frame.f_code.co_name)
                   if event == 'call' else None)
    try:
        compiled(*tensors)
    finally:
        sys.setprofile(None)
    assert not {'lookup', 'chosen', 'by_kinds_version', 'prepare'} & set(frames)
    _assert_agree(result, _autograd(function, inputs, workload.wrt), name)
    torch._dynamo.reset()


def _fresh_derivative(function, wrt):
    """A derivative tangent has not called yet: the cache would hand back the one
    already called, with its versions."""
    tangent.clear_cache()
    return tangent.grad(function, wrt=wrt)


def summed_sine(x):
    return torch.sum(torch.sin(x))


def test_a_numpy_seed_for_a_tensor_result_still_raises():
    derivative = tangent.grad(summed_sine)
    x = torch.randn(3, dtype=torch.float64)
    derivative(x)
    with pytest.raises(tangent.errors.MixedLibrariesError):
        derivative(x, np.array(1.0))
