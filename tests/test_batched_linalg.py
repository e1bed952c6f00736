"""Linear algebra and contractions on batched and broadcast shapes, in every backend.

Each case is a function of stacked matrices (leading batch dims), of operands whose
batch dims broadcast against each other, or of sizes where the batch size equals the
matrix size (k == n: a transposed or misplaced axis keeps the shape and only the
numbers go wrong). The loss is ``sum(F(...) * w)`` for a fixed random ``w``; its
gradient (reverse mode) and its derivative along random tangents (forward mode) are
compared with an independent reference: central finite differences for NumPy, and
the library's own autodiff for JAX (jax.grad, jax.jvp), PyTorch
(torch.autograd.grad, torch.func.jvp) and TensorFlow (GradientTape,
ForwardAccumulator).

Arguments are drawn by kind: 'g' general, 'm' well-conditioned square, 'p'
symmetric positive definite, 's' symmetric with distinct eigenvalues.
Symmetric-input functions (cholesky, eigh) symmetrise their argument in the case
itself, so that the reference and tangent read the same function whatever triangle
the library reads.
"""

from __future__ import annotations

import importlib.util
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from reference import numerical_grad

import tangent

SYM = '0.5 * (a + np.swapaxes(a, -1, -2))'

NUMPY = [
    ('np.linalg.inv(a)', [('m', (3, 3, 3))]),
    ('np.linalg.inv(a)', [('m', (2, 1, 3, 3))]),
    ('np.linalg.det(a)', [('m', (3, 3, 3))]),
    ('np.linalg.slogdet(a)[1]', [('m', (2, 3, 3, 3))]),
    (f'np.linalg.cholesky({SYM})', [('p', (3, 3, 3))]),
    (f'np.linalg.cholesky({SYM}, upper=True)', [('p', (3, 3, 3))]),
    (f'np.linalg.cholesky({SYM}, upper=True)', [('p', (2, 1, 3, 3))]),
    (f'np.linalg.eigh({SYM})[1] ** 2', [('s', (3, 3, 3))]),
    (f'np.linalg.eigvalsh({SYM})', [('s', (2, 3, 3))]),
    ('np.linalg.qr(a)[0]', [('m', (3, 3, 3))]),
    ('np.linalg.qr(a)[1]', [('g', (3, 4, 3))]),
    ('np.linalg.norm(a, axis=(1, 2))', [('g', (3, 3, 3))]),
    ('np.linalg.norm(a, ord=1, axis=(2, 0))', [('g', (3, 4, 3))]),
    ('np.linalg.norm(a, ord=2, axis=(1, 2))', [('g', (3, 3, 3))]),
    ('np.linalg.norm(a, ord=3, axis=1, keepdims=True)', [('g', (3, 3, 3))]),
    ("np.linalg.matrix_norm(a, ord='nuc')", [('g', (2, 3, 4, 3))]),
    ('a @ b', [('g', (3,)), ('g', (3, 3, 2))]),
    ('a @ b', [('g', (3, 3, 3)), ('g', (3,))]),
    ('a @ b', [('g', (2, 1, 3, 3)), ('g', (4, 3, 3))]),
    ('np.matmul(a, b)', [('g', (3, 3)), ('g', (4, 3, 2))]),
    ('np.dot(a, b)', [('g', (3, 3, 3)), ('g', (3,))]),
    ('np.dot(a, b)', [('g', (2, 3, 4)), ('g', (3, 4, 2))]),
    ('np.vdot(a, b)', [('g', (3, 3, 3)), ('g', (3, 3, 3))]),
    ('np.inner(a, b)', [('g', (3, 3, 3)), ('g', (3,))]),
    ('np.inner(a, b)', [('g', (3,)), ('g', (2, 3, 3))]),
    ('np.outer(a, b)', [('g', (3, 3)), ('g', (2, 3))]),
    ('np.tensordot(a, b, axes=([0, 2], [2, 0]))', [('g', (3, 3, 4)), ('g', (4, 2, 3))]),
    ("np.einsum('...ij,...jk->...ik', a, b)", [('g', (2, 1, 3, 3)), ('g', (4, 3, 3))]),
    ("np.einsum('bii->b', a)", [('g', (3, 3, 3))]),
    ('np.trace(a, 1, axis1=2, axis2=0)', [('g', (3, 4, 3))]),
    ('np.diagonal(a, -1, -1, -3)', [('g', (3, 4, 3))]),
    ('np.linalg.trace(a)', [('g', (2, 3, 3, 3))]),
    ('np.matrix_transpose(a)', [('g', (3, 3, 3))]),
    ('a.mT', [('g', (2, 3, 4))]),
    ('np.linalg.pinv(a)', [('g', (3, 4, 3))]),
    ('np.linalg.matrix_power(a, -2)', [('m', (3, 3, 3))]),
    ('np.linalg.matrix_power(a, 3)', [('m', (2, 1, 3, 3))]),
    ('np.kron(a, b)', [('g', (2, 2, 3)), ('g', (3, 2))]),
    ('np.cross(a, b)', [('g', (3, 3)), ('g', (2, 1, 3))]),
    ('np.cross(a, b, axisa=0, axisb=1)', [('g', (3, 3)), ('g', (3, 3))]),
    ('np.cross(a, b, axisa=0, axisb=1, axisc=0)', [('g', (3, 4)), ('g', (4, 3))]),
    ('np.cross(a, b, axis=0)', [('g', (3, 3)), ('g', (3, 1))]),
    ('np.linalg.cross(a, b)', [('g', (4, 3)), ('g', (3,))]),
    ('np.linalg.vecdot(a, b, axis=-2)', [('g', (3, 3)), ('g', (2, 3, 1))]),
]

JAX = [
    ('a @ b', [('g', (3,)), ('g', (3, 3, 3))]),
    ('jnp.matmul(a, b)', [('g', (2, 1, 3, 3)), ('g', (4, 3, 3))]),
    ('jnp.matmul(a, b)', [('g', (3, 3, 3)), ('g', (3,))]),
    ('jnp.dot(a, b)', [('g', (3, 3, 3)), ('g', (3,))]),
    ('jnp.dot(a, b)', [('g', (3,)), ('g', (2, 3, 3))]),
    ('jnp.vdot(a, b)', [('g', (3, 3)), ('g', (3, 3))]),
    ('jnp.inner(a, b)', [('g', (3, 3, 3)), ('g', (2, 3))]),
    ('jnp.outer(a, b)', [('g', (3, 3)), ('g', (3,))]),
    ('jnp.tensordot(a, b, axes=([0, 2], [2, 0]))', [('g', (3, 3, 4)), ('g', (4, 2, 3))]),
    ('jnp.linalg.inv(a)', [('m', (3, 3, 3))]),
    ('jnp.linalg.det(a)', [('m', (2, 3, 3, 3))]),
    ('jnp.linalg.cholesky(a)', [('p', (2, 1, 3, 3))]),
    ('jnp.linalg.norm(a, axis=(1, 2))', [('g', (3, 3, 3))]),
    ('jnp.linalg.norm(a, axis=1, keepdims=True)', [('g', (3, 3, 3))]),
    ('jnp.trace(a, 1, axis1=2, axis2=0)', [('g', (3, 4, 3))]),
    ('jnp.diagonal(a, -1, -1, -3)', [('g', (3, 4, 3))]),
    ('jnp.matrix_transpose(a)', [('g', (3, 3, 3))]),
    ('a.mT', [('g', (2, 3, 4))]),
]

TORCH = [
    ('torch.matmul(a, b)', [('g', (3,)), ('g', (3, 3, 3))]),
    ('torch.matmul(a, b)', [('g', (2, 1, 3, 3)), ('g', (4, 3, 3))]),
    ('a @ b', [('g', (3, 3, 3)), ('g', (3,))]),
    ('torch.bmm(a, b)', [('g', (3, 3, 3)), ('g', (3, 3, 2))]),
    ('torch.mv(a, b)', [('g', (3, 3)), ('g', (3,))]),
    ('torch.inner(a, b)', [('g', (3, 3)), ('g', (3, 3))]),
    ('torch.inner(a, b)', [('g', (3, 3, 3)), ('g', (3,))]),
    ('torch.inner(a, b)', [('g', (3,)), ('g', (2, 3, 3))]),
    ('torch.inner(a, b)', [('g', (2, 3, 4)), ('g', (3, 4))]),
    ('torch.inner(a, b)', [('g', ()), ('g', (2, 3))]),
    ('torch.inner(a, b)', [('g', (3, 3)), ('g', ())]),
    ('torch.outer(a, b)', [('g', (3,)), ('g', (4,))]),
    ('torch.linalg.cholesky(0.5 * (a + a.mT))', [('p', (2, 1, 3, 3))]),
    ('torch.diagonal(a, 1, dim1=2, dim2=0)', [('g', (3, 4, 3))]),
    ('torch.transpose(a, -1, -2)', [('g', (3, 3, 3))]),
    ('a.mT', [('g', (2, 3, 4))]),
]

TENSORFLOW = [
    ('tf.matmul(a, b)', [('g', (2, 1, 3, 3)), ('g', (4, 3, 3))]),
    ('tf.matmul(a, b, transpose_a=True)', [('g', (2, 1, 3, 3)), ('g', (4, 3, 2))]),
    ('tf.matmul(a, b, adjoint_a=True, adjoint_b=True)', [('g', (4, 3, 2)), ('g', (3, 3))]),
    ('tf.linalg.matvec(a, b)', [('g', (2, 1, 3, 3)), ('g', (4, 3))]),
    ('tf.linalg.matvec(a, b, transpose_a=True)', [('g', (3, 3, 3)), ('g', (3,))]),
    ("tf.einsum('...ij,...jk->...ik', a, b)", [('g', (2, 1, 3, 3)), ('g', (4, 3, 3))]),
    ("tf.einsum('...j,...j->...', a, b)", [('g', (2, 1, 3)), ('g', (4, 3))]),
    ("tf.einsum('bij,bjk->bik', a, b)", [('g', (3, 3, 3)), ('g', (3, 3, 2))]),
    ('tf.tensordot(a, b, axes=[[0, 2], [2, 0]])', [('g', (3, 3, 4)), ('g', (4, 2, 3))]),
    ('tf.linalg.inv(a)', [('m', (2, 1, 3, 3))]),
    ('tf.linalg.inv(a, adjoint=True)', [('m', (3, 3, 3))]),
    ('tf.linalg.det(a)', [('m', (3, 3, 3))]),
    ('tf.linalg.trace(a)', [('g', (2, 3, 4))]),
    ('tf.linalg.matrix_transpose(a)', [('g', (3, 3, 3))]),
]


def _draw(kind: str, shape: tuple, rng: np.random.Generator) -> np.ndarray:
    x = rng.standard_normal(shape)
    if kind == 'g':
        return x
    n = shape[-1]
    if kind == 'm':
        return 0.3 * x + 2.0 * np.eye(n)
    if kind == 'p':
        return 0.3 * (x + np.swapaxes(x, -1, -2)) + 3.0 * np.eye(n)
    return 0.5 * (x + np.swapaxes(x, -1, -2)) + np.diag(np.arange(n) * 3.0)  # 's'


_HEADERS = {
    'numpy': 'import numpy as np\n\n\ndef total(y, w):\n    return np.sum(y * w)\n',
    'jax': 'import jax.numpy as jnp\n\n\ndef total(y, w):\n    return jnp.sum(y * w)\n',
    'torch': 'import torch\n\n\ndef total(y, w):\n    return torch.sum(y * w)\n',
    'tensorflow': 'import tensorflow as tf\n\n\ndef total(y, w):\n'
                  '    return tf.reduce_sum(y * w)\n',
}
_MODULES = {}


def _functions(backend: str, cases: list):
    """The cases' losses as functions of a module on disk (tangent reads their source)."""
    if backend not in _MODULES:
        names = 'abc'
        source = _HEADERS[backend] + ''.join(
            f'\n\ndef case_{i}({", ".join(names[:len(specs)])}, w):\n'
            f'    return total({expr}, w)\n' for i, (expr, specs) in enumerate(cases))
        path = Path(tempfile.mkdtemp(prefix='tangent_batched_')) / f'batched_{backend}.py'
        path.write_text(source)
        spec = importlib.util.spec_from_file_location(f'batched_{backend}', path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _MODULES[backend] = module
    return _MODULES[backend]


def _load_one(source: str):
    path = Path(tempfile.mkdtemp(prefix='tangent_batched_')) / 'batched_one.py'
    path.write_text(source)
    spec = importlib.util.spec_from_file_location('batched_one', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def _point(backend: str, index: int, cases: list):
    """Arguments, weight and tangents (as NumPy arrays) for case ``index``."""
    expr, specs = cases[index]
    rng = np.random.default_rng(zlib.crc32(f'{backend}:{expr}:{specs}'.encode()))
    args = [_draw(kind, shape, rng) for kind, shape in specs]
    directions = [rng.standard_normal(np.shape(a)) for a in args]
    return args, directions, rng


def _require(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f'{module} is not installed')


def _ids(cases):
    return [f'{expr}-{"x".join(str(s) for _, s in specs)}' for expr, specs in cases]


def _check(ours, reference, tolerance: float) -> None:
    ours, reference = np.asarray(ours), np.asarray(reference)
    assert ours.shape == reference.shape, (ours.shape, reference.shape)
    np.testing.assert_allclose(ours, reference, rtol=tolerance, atol=tolerance)


# NumPy: central finite differences -----------------------------------------------------

@pytest.mark.parametrize('index', range(len(NUMPY)), ids=_ids(NUMPY))
@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_numpy(index, mode):
    f = getattr(_functions('numpy', NUMPY), f'case_{index}')
    args, directions, rng = _point('numpy', index, NUMPY)
    expr = NUMPY[index][0]
    w = rng.standard_normal(np.shape(eval(expr, {'np': np, **dict(zip('abc', args))})))
    wrt = tuple(range(len(args)))
    if mode == 'reverse':
        grads = tangent.grad(f, wrt=wrt)(*args, w)
        grads = grads if isinstance(grads, tuple) else (grads,)
        for i, g in enumerate(grads):
            _check(g, numerical_grad(f, list(args) + [w], i), 1e-6)
    else:
        ours = tangent.jvp(f, wrt=wrt)(*args, w, *directions)
        h = 1e-6

        def along(step):
            return f(*[a + step * d for a, d in zip(args, directions)], w)
        _check(ours, (along(h) - along(-h)) / (2 * h), 1e-6)


def test_numpy_cross_of_2_vectors_raises_in_reverse():
    index = [expr for expr, _ in NUMPY].index('np.cross(a, b)')
    f = getattr(_functions('numpy', NUMPY), f'case_{index}')
    with pytest.raises(NotImplementedError, match='3 components'):
        tangent.grad(f, wrt=(0, 1))(np.ones((3, 2)), np.ones((2, 1, 2)), np.ones((2, 3)))


def test_numpy_cholesky_symmetrises_an_unsymmetric_tangent():
    """Both modes read cholesky's input as symmetrised (docs/numpy_coverage.md): along an
    unsymmetric direction each is the derivative of cholesky((a + a^T) / 2)."""
    module = _functions('numpy', NUMPY)
    index = [expr for expr, _ in NUMPY].index(f'np.linalg.cholesky({SYM})')
    symmetrised = getattr(module, f'case_{index}')
    rng = np.random.default_rng(7)
    a, w = _draw('p', (3, 3, 3), rng), rng.standard_normal((3, 3, 3))
    direction = rng.standard_normal((3, 3, 3))
    plain = _load_one('import numpy as np\n\n\ndef f(a, w):\n'
                      '    return np.sum(np.linalg.cholesky(a) * w)\n')
    h = 1e-6
    reference = (symmetrised(a + h * direction, w) - symmetrised(a - h * direction, w)) / (2 * h)
    _check(tangent.jvp(plain, wrt=(0,))(a, w, direction), reference, 1e-6)
    _check(np.sum(tangent.grad(plain)(a, w) * direction), reference, 1e-6)


# JAX: jax.grad and jax.jvp ---------------------------------------------------------

@pytest.mark.parametrize('index', range(len(JAX)), ids=_ids(JAX))
@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_jax(index, mode):
    _require('jax')
    import jax
    import jax.numpy as jnp
    with jax.enable_x64(True):
        f = getattr(_functions('jax', JAX), f'case_{index}')
        args, directions, rng = _point('jax', index, JAX)
        args = [jnp.asarray(a) for a in args]
        expr = JAX[index][0]
        w = jnp.asarray(rng.standard_normal(
            np.shape(eval(expr, {'jnp': jnp, **dict(zip('abc', args))}))))
        wrt = tuple(range(len(args)))
        if mode == 'reverse':
            grads = tangent.grad(f, wrt=wrt)(*args, w)
            grads = grads if isinstance(grads, tuple) else (grads,)
            for ours, theirs in zip(grads, jax.grad(f, argnums=wrt)(*args, w)):
                _check(ours, theirs, 1e-9)
        else:
            directions = [jnp.asarray(d) for d in directions]
            ours = tangent.jvp(f, wrt=wrt)(*args, w, *directions)
            theirs = jax.jvp(lambda *xs: f(*xs, w), tuple(args), tuple(directions))[1]
            _check(ours, theirs, 1e-9)


# PyTorch: torch.autograd.grad and torch.func.jvp ---------------------------------------

@pytest.mark.parametrize('index', range(len(TORCH)), ids=_ids(TORCH))
@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_torch(index, mode):
    _require('torch')
    import torch
    f = getattr(_functions('torch', TORCH), f'case_{index}')
    args, directions, rng = _point('torch', index, TORCH)
    args = [torch.tensor(a, dtype=torch.float64) for a in args]
    expr = TORCH[index][0]
    w = torch.tensor(rng.standard_normal(
        tuple(eval(expr, {'torch': torch, **dict(zip('abc', args))}).shape)))
    wrt = tuple(range(len(args)))
    if mode == 'reverse':
        grads = tangent.grad(f, wrt=wrt)(*args, w)
        grads = grads if isinstance(grads, tuple) else (grads,)
        watched = [a.clone().requires_grad_(True) for a in args]
        for ours, theirs in zip(grads, torch.autograd.grad(f(*watched, w), watched)):
            _check(ours, theirs, 1e-9)
    else:
        directions = [torch.tensor(d, dtype=torch.float64) for d in directions]
        ours = tangent.jvp(f, wrt=wrt)(*args, w, *directions)
        theirs = torch.func.jvp(lambda *xs: f(*xs, w), tuple(args), tuple(directions))[1]
        _check(ours, theirs, 1e-9)


# TensorFlow: GradientTape and ForwardAccumulator ---------------------------------------

@pytest.mark.parametrize('index', range(len(TENSORFLOW)), ids=_ids(TENSORFLOW))
@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_tensorflow(index, mode):
    _require('tensorflow')
    import tensorflow as tf
    f = getattr(_functions('tensorflow', TENSORFLOW), f'case_{index}')
    args, directions, rng = _point('tensorflow', index, TENSORFLOW)
    args = [tf.constant(a, dtype=tf.float64) for a in args]
    expr = TENSORFLOW[index][0]
    w = tf.constant(rng.standard_normal(
        tuple(eval(expr, {'tf': tf, **dict(zip('abc', args))}).shape)))
    wrt = tuple(range(len(args)))
    if mode == 'reverse':
        grads = tangent.grad(f, wrt=wrt)(*args, w)
        grads = grads if isinstance(grads, tuple) else (grads,)
        with tf.GradientTape() as tape:
            tape.watch(args)
            loss = f(*args, w)
        for ours, theirs in zip(grads, tape.gradient(loss, args)):
            _check(ours, theirs, 1e-9)
    else:
        directions = [tf.constant(d, dtype=tf.float64) for d in directions]
        ours = tangent.jvp(f, wrt=wrt)(*args, w, *directions)
        with tf.autodiff.ForwardAccumulator(args, directions) as accumulator:
            loss = f(*args, w)
        _check(ours, accumulator.jvp(loss), 1e-9)
