"""The JAX backend: every rule in the table (``jax_rule_table``) against JAX's own
autodiff, in reverse mode (``jax.grad``), forward mode (``jax.jvp``) and to second
order (forward over reverse against ``jax.jvp(jax.grad(f))``), in float64; the
derivatives compiled by ``jax.jit``; lazy loading; mixed libraries.

Skipped when JAX is not installed, unless TANGENT_REQUIRE_JAX=1 (as in CI).
"""

import importlib.util
import os
import re
import subprocess
import sys

import numpy as np
import pytest

if os.environ.get('TANGENT_REQUIRE_JAX') != '1' and importlib.util.find_spec('jax') is None:
    pytest.skip('JAX is not installed (the jax extra); set TANGENT_REQUIRE_JAX=1 to insist',
                allow_module_level=True)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

import tangent  # noqa: E402

import jax_rule_table as table  # noqa: E402

RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def float64():
    """float64 in this module's tests only: other modules keep JAX's default."""
    with jax.enable_x64(True):
        yield


def point(domain, shape=(3, 4)):
    if domain == 'unit':
        return jnp.asarray(RNG.uniform(0.2, 0.8, shape))
    if domain == 'above_one':
        return jnp.asarray(RNG.uniform(1.3, 2.0, shape))
    values = RNG.uniform(0.15, 0.9, shape) * RNG.choice([-1.0, 1.0], shape)
    return jnp.asarray(values)


def weighted(fn):
    """A scalar function of one array: fn's result weighted, so every output matters."""
    def loss(x):
        y = fn(x)
        return jnp.sum(y * jnp.cos(jnp.arange(jnp.size(y)).reshape(jnp.shape(y)) + 0.5))
    return loss


def weighted_pair(fn):
    def loss(x, y):
        z = fn(x, y)
        return jnp.sum(z * jnp.cos(jnp.arange(jnp.size(z)).reshape(jnp.shape(z)) + 0.5))
    return loss


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=1e-9, atol=1e-11)


def check_all_modes(loss, x, compiled=True):
    """tangent's gradient, JVP and HVP (forward over reverse) of ``loss`` against JAX's,
    all compiled by jax.jit (XLA runs them faster than op by op) unless not ``compiled``."""
    v = point('any', np.shape(x))
    gradient = tangent.grad(loss)
    jvp = tangent.autodiff(loss, mode='forward')
    hvp = tangent.autodiff(tangent.autodiff(loss, mode='reverse', check_dims=False),
                           mode='forward', check_dims=False)

    def mine(x, v):
        return gradient(x), jvp(x, v), hvp(x, 1.0, v)

    def theirs(x, v):
        return jax.grad(loss)(x), jax.jvp(loss, (x,), (v,))[1], \
            jax.jvp(jax.grad(loss), (x,), (v,))[1]

    if compiled:
        mine, theirs = jax.jit(mine), jax.jit(theirs)
    for actual, expected in zip(mine(x, v), theirs(x, v)):
        close(actual, expected)


@pytest.mark.parametrize('name,fn,domain', table.UNARY, ids=[e[0] for e in table.UNARY])
def test_unary_rule_matches_jax(name, fn, domain):
    check_all_modes(weighted(fn), point(domain))


@pytest.mark.parametrize('name,fn', table.CALLS, ids=[f'{e[0]}-{e[1].__name__}'
                                                       for e in table.CALLS])
def test_call_with_arguments_matches_jax(name, fn):
    check_all_modes(weighted(fn), point('any'))


# A few rules whose helpers branch on shapes or build index arrays, run op by op too.
EAGER = [entry for entry in table.CALLS
         if entry[1].__name__ in ('prod_axis', 'split', 'take', 'solve_matrix', 'sort_descending',
                                  'solve_batched_vector', 'solve_triangular_batched')]


@pytest.mark.parametrize('name,fn', EAGER, ids=[f'{e[0]}-{e[1].__name__}' for e in EAGER])
def test_call_matches_jax_op_by_op(name, fn):
    check_all_modes(weighted(fn), point('any'), compiled=False)


# The other two second-order compositions, on rules whose generated code calls helpers.
OTHER_ORDERS = [entry for entry in table.CALLS if entry[1].__name__ in (
    'prod_axis', 'concatenate', 'split', 'take', 'solve_matrix', 'cholesky', 'tensordot',
    'solve_batched_vector', 'solve_triangular_lower', 'solve_triangular_transposed_unit',
    'triangular_solve_left', 'triangular_solve_right_transposed',
    'sort_descending', 'logsumexp_axis', 'softmax_axis', 'max_axis', 'cumsum_axis', 'tile',
    'repeat', 'where', 'clip', 'diagonal_offset', 'hstack', 'std_axis')]


@pytest.mark.parametrize('name,fn', OTHER_ORDERS,
                         ids=[f'{e[0]}-{e[1].__name__}' for e in OTHER_ORDERS])
def test_reverse_over_reverse_and_reverse_over_forward_match_jax(name, fn):
    loss, x, v = weighted(fn), point('any'), point('any')
    over_reverse = tangent.autodiff(tangent.autodiff(loss, mode='reverse', check_dims=False),
                                    mode='reverse', check_dims=False)
    over_forward = tangent.autodiff(tangent.autodiff(loss, mode='forward', check_dims=False),
                                    mode='reverse', check_dims=False)
    expected = jax.jit(lambda x, v: jax.jvp(jax.grad(loss), (x,), (v,))[1])(x, v)
    close(jax.jit(lambda x, v: over_reverse(x, 1.0, v))(x, v), expected)
    close(jax.jit(lambda x, v: over_forward(x, v, 1.0))(x, v), expected)


def pair_shapes(name):
    if name in ('jnp.matmul', 'jnp.dot'):
        return (3, 4), (4, 2)
    if name == 'jnp.vdot':
        return (3, 4), (3, 4)
    if name == 'jnp.outer':
        return (3,), (4,)
    return (3, 4), (3, 4)


@pytest.mark.parametrize('name,fn', table.BINARY, ids=[e[0] for e in table.BINARY])
def test_binary_rule_matches_jax(name, fn):
    shape_x, shape_y = pair_shapes(name)
    positive = name.endswith(('power', 'pow'))
    x = point('unit' if positive else 'any', shape_x)
    y = point('any', shape_y)
    loss = weighted_pair(fn)
    vx, vy = point('any', shape_x), point('any', shape_y)
    gradient = tangent.grad(loss, wrt=(0, 1))
    jvp = tangent.autodiff(loss, wrt=(0, 1), mode='forward')
    hvp = tangent.autodiff(tangent.autodiff(loss, wrt=(0, 1), mode='reverse', check_dims=False),
                           wrt=(0, 1), mode='forward', check_dims=False)

    @jax.jit
    def mine(x, y, vx, vy):
        return gradient(x, y), jvp(x, y, vx, vy), hvp(x, y, 1.0, vx, vy)

    @jax.jit
    def theirs(x, y, vx, vy):
        return (jax.grad(loss, argnums=(0, 1))(x, y), jax.jvp(loss, (x, y), (vx, vy))[1],
                jax.jvp(jax.grad(loss, argnums=(0, 1)), (x, y), (vx, vy))[1])

    for actual, expected in zip(jax.tree.leaves(mine(x, y, vx, vy)),
                                jax.tree.leaves(theirs(x, y, vx, vy)), strict=True):
        close(actual, expected)


def test_every_declared_function_is_in_the_table():
    from tangent.backends import owner_of
    from tangent.rules import registry
    declared = {fn for fn in registry.adjoints if owner_of(fn) is not None
                and owner_of(fn).name == 'jax' and fn in registry.tangents}
    helpers = {fn for fn in declared if fn.__module__.startswith('tangent')}
    tested = set(table.JAX_FUNCTIONS.values())
    missing = [getattr(fn, '__name__', fn) for fn in declared - helpers - tested]
    assert not missing, f'rules without a test in jax_rule_table: {missing}'


def program(x):
    """Loops, indexing, a tape, methods and an operator: the generated code is plain JAX."""
    total = 0.0
    for i in range(3):
        total = total + jnp.tanh(x[i]) * x[i + 1]
    hidden = jax.nn.relu(x.reshape(2, 2) @ x.reshape(2, 2).T)
    return total + hidden.sum() + jnp.max(jnp.exp(x))


def test_jit_of_gradient_matches_jax_grad():
    x = jnp.array([0.3, -0.7, 1.1, 0.4])
    compiled = jax.jit(tangent.grad(program))
    close(compiled(x), jax.grad(program)(x))
    close(compiled(x + 0.5), jax.grad(program)(x + 0.5))
    forward = jax.jit(tangent.autodiff(program, mode='forward'))
    v = jnp.array([1.0, 0.5, -0.2, 0.3])
    close(forward(x, v), jax.jvp(program, (x,), (v,))[1])


def test_hessian_vector_product_matches_jax_hessian():
    x = jnp.array([0.3, -0.7, 1.1, 0.4])
    v = jnp.array([1.0, 0.5, -0.2, 0.3])
    hvp = tangent.autodiff(tangent.autodiff(program, mode='reverse', check_dims=False),
                           mode='forward', check_dims=False)
    close(jax.jit(hvp)(x, 1.0, v), jax.hessian(program)(x) @ v)


def test_generated_code_writes_into_no_array(capsys):
    for motion in ('joint', 'split'):
        tangent.autodiff(program, motion=motion, verbose=1)  # prints every generated function
        text = capsys.readouterr().out
        assert 'tangent.add_at(' in text  # x[i] read in a loop: scattered back, purely
        assert not re.search(r'\]\s*(\+|-|\*)?=[^=]', text), text  # no item assignment
    x = jnp.array([0.3, -0.7, 1.1, 0.4])
    before = np.asarray(x).copy()
    tangent.grad(program)(x)
    close(x, before)


def test_at_add_accumulates_repeated_indices():
    def pick(x):
        return x[0] * x[0] + x[jnp.array([1, 1, 2])].sum()
    x = jnp.array([0.5, 2.0, 3.0])
    close(jax.jit(tangent.grad(pick))(x), jax.grad(pick)(x))


def test_import_tangent_does_not_import_jax_and_rules_load_on_first_use(tmp_path):
    # A file, not python -c: tangent reads the differentiated function's source.
    script = tmp_path / 'first_use.py'
    script.write_text(
        'import sys\n'
        'import tangent\n'
        'assert "jax" not in sys.modules, "import tangent imported jax"\n'
        'from tangent.backends import _loaded\n'
        'assert "jax" not in _loaded\n'
        'import jax.numpy as jnp\n'
        'def f(x):\n'
        '    return jnp.sum(jnp.sin(x))\n'
        'print(float(tangent.grad(f)(jnp.ones(2))[0]))\n'
        'assert "jax" in _loaded\n')
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         env={**os.environ, 'PYTHONPATH': os.pathsep.join(sys.path)},
                         timeout=240)
    assert out.returncode == 0, out.stderr
    assert abs(float(out.stdout) - np.cos(1.0)) < 1e-6


def numpy_on_jax(x):
    return np.sum(jnp.sin(x))  # np.sum gets the JAX array jnp.sin returns


def test_numpy_call_on_a_jax_value_raises_naming_both_libraries():
    for mode in ('reverse', 'forward'):
        with pytest.raises(tangent.errors.MixedLibrariesError,
                           match=r"(jax's .*sin \(.*test_jax_backend\.py:\d+\) and numpy's "
                                 r".*sum|numpy's .*sum \(.*test_jax_backend\.py:\d+\) and "
                                 r"jax's .*sin)"):
            tangent.autodiff(numpy_on_jax, mode=mode, check_dims=False)


def test_numpy_on_constants_in_jax_code_is_not_mixing():
    def scaled(x):
        return jnp.sum(jnp.sin(x)) * np.sqrt(2.0) + np.pi
    x = jnp.array([0.1, 0.2])
    close(tangent.grad(scaled)(x), jax.grad(scaled)(x))


def test_logsumexp_with_weights_raises():
    def weighted_lse(x):
        return jax.nn.logsumexp(x, b=2.0)
    with pytest.raises(NotImplementedError, match='logsumexp'):
        tangent.grad(weighted_lse)(jnp.array([0.1, 0.2]))


def methods(x):
    """Array methods in a function written with jnp: they mean jax.numpy's functions."""
    m = x.reshape(2, 3)
    return (m.max(axis=1).sum() + m.cumsum(axis=0).sum() * m.var() + m.std(axis=0).mean()
            + m.clip(-0.2, 0.5).sum() + m.take(jnp.array([0, 2]), axis=1).sum()
            + m.diagonal().sum() + m.ravel().min() + m.swapaxes(0, 1).sum() + m.T.mean()
            + m.trace() + (m.mT @ m).sum())


def test_array_methods_mean_jax_functions_and_compile():
    x = jnp.array([0.3, -0.7, 1.1, 0.4, 0.2, 0.9])
    close(tangent.grad(methods)(x), jax.grad(methods)(x))
    check_all_modes(methods, x)


def elu_of(x, alpha):
    return jnp.sum(jax.nn.elu(x, alpha) * jnp.cos(x))


def celu_of(x, alpha):
    return jnp.sum(jax.nn.celu(x, alpha) ** 2)


def leaky_relu_of(x, slope):
    return jnp.sum(jax.nn.leaky_relu(x, slope) ** 2)


@pytest.mark.parametrize('loss', [elu_of, celu_of, leaky_relu_of])
def test_activation_parameter_gets_its_derivative(loss):
    x, s = jnp.array([0.5, -2.0, -0.3, 0.8]), 0.7
    for mine, theirs in zip(tangent.grad(loss, wrt=(0, 1))(x, s),
                            jax.grad(loss, argnums=(0, 1))(x, s)):
        close(mine, theirs)
    v = jnp.array([1.0, 0.5, -0.2, 0.3])
    close(tangent.autodiff(loss, wrt=(0, 1), mode='forward')(x, s, v, 1.0),
          jax.jvp(loss, (x, s), (v, 1.0))[1])


def test_prod_with_initial_raises_rather_than_drop_its_derivative():
    def scaled_product(x, s):
        return jnp.prod(x, initial=s)
    with pytest.raises(TypeError, match="prod does not accept.*'initial'"):
        tangent.grad(scaled_product, wrt=(0, 1))


def einsum_loss(x):
    return jnp.einsum('ij,ij->', x, x)


def test_jax_function_without_a_rule_raises_naming_it_not_reading_jax_internals():
    # jnp.einsum is Python code inside JAX: it is never differentiated from its source.
    with pytest.raises(tangent.ReverseNotImplementedError, match='einsum'):
        tangent.grad(einsum_loss)
    with pytest.raises(tangent.ForwardNotImplementedError, match='einsum'):
        tangent.autodiff(einsum_loss, mode='forward')


def indexed_update(x):
    y = x.at[0].set(2.0)
    return jnp.sum(y * y)


def test_indexed_update_raises_rather_than_drop_the_derivative():
    # x.at[i].set(v) has no rule: an error, never a zero gradient for x.
    with pytest.raises(tangent.ReverseNotImplementedError, match='set'):
        tangent.grad(indexed_update)(jnp.array([0.5, 0.7]))
    with pytest.raises(tangent.ForwardNotImplementedError, match=r'x\.at'):
        tangent.autodiff(indexed_update, mode='forward')(jnp.array([0.5, 0.7]),
                                                         jnp.array([1.0, 0.0]))


def test_logsumexp_with_return_sign_raises():
    def signed(x):
        value, sign = jax.nn.logsumexp(x, return_sign=True)
        return value * sign
    with pytest.raises(TypeError, match="logsumexp does not accept.*'return_sign'"):
        tangent.grad(signed)


def divided_by_a_column(x, s):
    return jnp.sum(jnp.tanh(jnp.divide(x, s) + jnp.true_divide(s, x) + x / s))


@pytest.mark.parametrize('divisor', [(3, 1), (4,), ()], ids=['column', 'row', 'scalar'])
def test_a_broadcast_divisor_gets_its_summed_gradient(divisor):
    """The divisor's gradient is summed to its shape before the division by it (one
    division per entry of the divisor): the same numbers as jax.grad's."""
    x, s = point('any'), jnp.asarray(RNG.uniform(0.5, 1.5, divisor))
    ours = tangent.grad(divided_by_a_column, wrt=(0, 1))(x, s)
    for actual, expected in zip(ours, jax.grad(divided_by_a_column, (0, 1))(x, s)):
        close(actual, expected)

