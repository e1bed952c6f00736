"""``solve(a, b)`` with batch dimensions broadcast between ``a`` and ``b``, in NumPy,
JAX and PyTorch, in both modes and at second order.

Each library decides differently whether ``b`` is one vector: NumPy and JAX when it
is 1-D, PyTorch also when it has one dimension fewer than ``a`` and ``a``'s batch
dimensions. A batch as long as the matrices are wide (``a`` of (3, 3, 3) against
``b`` of (3,)) is where a mistaken reading would pass unnoticed by the shapes.
References: ``jax.grad``/``jax.jvp``, ``torch.autograd``/``torch.func.jvp`` and
central differences for NumPy.
"""

import importlib.util
import os

import numpy as np
import pytest

import tangent

# Skipped only where the extra is not installed and not insisted on (as in CI).
HAS_JAX = os.environ.get('TANGENT_REQUIRE_JAX') == '1' or importlib.util.find_spec('jax')
HAS_TORCH = os.environ.get('TANGENT_REQUIRE_TORCH') == '1' or importlib.util.find_spec('torch')
if HAS_JAX:
    import jax
    import jax.numpy as jnp

    jax.config.update('jax_enable_x64', True)
if HAS_TORCH:
    import torch
needs_jax = pytest.mark.skipif(not HAS_JAX, reason='JAX is not installed (the jax extra)')
needs_torch = pytest.mark.skipif(not HAS_TORCH,
                                 reason='PyTorch is not installed (the torch extra)')

RNG = np.random.default_rng(23)

# (shape of a, shape of b), each solvable by NumPy, JAX and PyTorch alike.
SHAPES = [
    ((3, 3), (3,)), ((3, 3), (3, 2)), ((4, 3, 3), (3,)), ((3, 3, 3), (3,)),
    ((4, 3, 3), (4, 3, 2)), ((4, 3, 3), (3, 2)), ((3, 3), (4, 3, 2)),
    ((2, 1, 3, 3), (4, 3, 1)), ((3, 3, 3), (3, 3)),
]
IDS = [f'{a}-{b}' for a, b in SHAPES]


def numpy_loss(a, b, w):
    return np.sum(np.linalg.solve(a, b) * w)


def inputs(shape_a, shape_b):
    a = RNG.standard_normal(shape_a) + 3.0 * np.eye(shape_a[-1])
    b = RNG.standard_normal(shape_b)
    w = RNG.standard_normal(np.linalg.solve(a, b).shape)
    return a, b, w


def central_gradient(f, args, i, eps=1e-6):
    gradient = np.zeros_like(args[i])
    for index in np.ndindex(args[i].shape):
        up = [np.array(x, copy=True) for x in args]
        down = [np.array(x, copy=True) for x in args]
        up[i][index] += eps
        down[i][index] -= eps
        gradient[index] = (f(*up) - f(*down)) / (2 * eps)
    return gradient


@pytest.mark.parametrize('shape_a,shape_b', SHAPES, ids=IDS)
def test_numpy_solve_matches_central_differences(shape_a, shape_b):
    a, b, w = inputs(shape_a, shape_b)
    gradients = tangent.grad(numpy_loss, wrt=(0, 1))(a, b, w)
    for i, gradient in enumerate(gradients):
        assert gradient.shape == (a, b)[i].shape
        np.testing.assert_allclose(gradient, central_gradient(numpy_loss, [a, b, w], i),
                                   rtol=1e-6, atol=1e-7)
    da, db = RNG.standard_normal(shape_a), RNG.standard_normal(shape_b)
    eps = 1e-6
    expected = (numpy_loss(a + eps * da, b + eps * db, w) -
                numpy_loss(a - eps * da, b - eps * db, w)) / (2 * eps)
    forward = tangent.jvp(numpy_loss, wrt=(0, 1))(a, b, w, da, db)
    np.testing.assert_allclose(forward, expected, rtol=1e-6, atol=1e-7)
    # Each argument alone: the other's tangent is simplified away.
    for wrt, tangent_in in ((0, da), (1, db)):
        alone = tangent.jvp(numpy_loss, wrt=(wrt,))(a, b, w, tangent_in)
        step = [np.zeros(shape_a), np.zeros(shape_b)]
        step[wrt] = eps * tangent_in
        expected = (numpy_loss(a + step[0], b + step[1], w) -
                    numpy_loss(a - step[0], b - step[1], w)) / (2 * eps)
        np.testing.assert_allclose(alone, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize('shape_a,shape_b', [SHAPES[3], SHAPES[6]], ids=[IDS[3], IDS[6]])
def test_numpy_solve_second_order_matches_central_differences(shape_a, shape_b):
    a, b, w = inputs(shape_a, shape_b)

    def loss(a):
        return np.sum(np.linalg.solve(a, b) ** 2 * w)

    gradient = tangent.grad(loss)
    v = RNG.standard_normal(shape_a)
    over_reverse = tangent.autodiff(gradient, mode='reverse', check_dims=False)
    over_forward = tangent.autodiff(tangent.autodiff(loss, mode='reverse', check_dims=False),
                                    mode='forward', check_dims=False)
    eps = 1e-5
    expected = (gradient(a + eps * v) - gradient(a - eps * v)) / (2 * eps)
    np.testing.assert_allclose(over_reverse(a, 1.0, v), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(over_forward(a, 1.0, v), expected, rtol=1e-5, atol=1e-6)


def jax_loss(a, b, w):
    return jnp.sum(jnp.linalg.solve(a, b) * w)


@needs_jax
@pytest.mark.parametrize('compiled', [False, True], ids=['eager', 'jit'])
@pytest.mark.parametrize('shape_a,shape_b', SHAPES, ids=IDS)
def test_jax_solve_matches_jax(shape_a, shape_b, compiled):
    a, b, w = (jnp.asarray(x) for x in inputs(shape_a, shape_b))
    da, db = (jnp.asarray(RNG.standard_normal(s)) for s in (shape_a, shape_b))
    mine = tangent.grad(jax_loss, wrt=(0, 1))
    forward = tangent.jvp(jax_loss, wrt=(0, 1))
    if compiled:
        mine, forward = jax.jit(mine), jax.jit(forward)
    for actual, expected in zip(mine(a, b, w), jax.grad(jax_loss, (0, 1))(a, b, w)):
        np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(forward(a, b, w, da, db),
                               jax.jvp(lambda a, b: jax_loss(a, b, w), (a, b), (da, db))[1],
                               rtol=1e-9, atol=1e-10)


@needs_jax
def test_jax_solve_gradient_shares_the_forward_factorisation_under_jit():
    """Under jax.jit the gradient's transposed solve reuses the forward solve's LU
    factors (XLA computes one), as jax.grad's own does."""
    a, b, w = (jnp.asarray(x) for x in inputs((5, 5), (5,)))
    compiled = jax.jit(tangent.grad(jax_loss, wrt=(0, 1))).lower(a, b, w).compile().as_text()
    expected = jax.jit(jax.grad(jax_loss, (0, 1))).lower(a, b, w).compile().as_text()
    assert compiled.count('getrf') == expected.count('getrf')


# PyTorch also reads b as vectors when it has a's batch dimensions and one fewer.
TORCH_SHAPES = SHAPES + [((4, 3, 3), (4, 3)), ((2, 2, 3, 3), (2, 2, 3))]


@needs_torch
@pytest.mark.parametrize('shape_a,shape_b', TORCH_SHAPES,
                         ids=[f'{a}-{b}' for a, b in TORCH_SHAPES])
def test_torch_solve_matches_torch_autograd(shape_a, shape_b):
    a = torch.tensor(RNG.standard_normal(shape_a) + 3.0 * np.eye(shape_a[-1]))
    b = torch.tensor(RNG.standard_normal(shape_b))
    w = torch.tensor(RNG.standard_normal(tuple(torch.linalg.solve(a, b).shape)))

    def loss(a, b, w):
        return torch.sum(torch.linalg.solve(a, b) * w)

    a_ref, b_ref = a.clone().requires_grad_(), b.clone().requires_grad_()
    expected = torch.autograd.grad(loss(a_ref, b_ref, w), (a_ref, b_ref))
    for actual, reference in zip(tangent.grad(loss, wrt=(0, 1))(a, b, w), expected):
        torch.testing.assert_close(actual, reference)
    da, db = torch.randn(shape_a, dtype=a.dtype), torch.randn(shape_b, dtype=b.dtype)
    _, expected_tangent = torch.func.jvp(lambda a, b: loss(a, b, w), (a, b), (da, db))
    torch.testing.assert_close(tangent.jvp(loss, wrt=(0, 1))(a, b, w, da, db),
                               expected_tangent)
    _, expected_b_only = torch.func.jvp(lambda b: loss(a, b, w), (b,), (db,))
    torch.testing.assert_close(tangent.jvp(loss, wrt=(1,))(a, b, w, db), expected_b_only)
