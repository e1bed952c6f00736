"""TensorFlow: every op rule against tf.GradientTape and ForwardAccumulator, plus
control flow, subroutines, higher order, tf.function, XLA and MirroredStrategy.

Skipped only when TensorFlow is not installed; with TANGENT_REQUIRE_TF=1 (as
in CI) a missing TensorFlow fails instead.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest

# Found with find_spec rather than by catching ImportError: an installed TensorFlow
# that fails to import is an error, not a skip.
if os.environ.get('TANGENT_REQUIRE_TF') != '1' and importlib.util.find_spec('tensorflow') is None:
    pytest.skip('TensorFlow is not installed (the tf extra); set TANGENT_REQUIRE_TF=1 to '
                'insist', allow_module_level=True)
import tensorflow as tf  # noqa: E402 - after the skip; CI (TANGENT_REQUIRE_TF=1) needs it

from reference import assert_close
from tf_cases import CASES

import tangent

tf.config.run_functions_eagerly(False)


def _load(source: str, name: str):
    path = Path(tempfile.mkdtemp(prefix='tangent_tf_')) / f'{name}.py'
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _case_source(index, body, n_args):
    params = ', '.join('xyzw'[:n_args])
    return f'def case_{index}({params}):\n    return {body}\n'


CASE_MODULE = _load('import tensorflow as tf\n\n\n' + '\n\n'.join(
    _case_source(i, body, len(arguments)) for i, (_, _, body, arguments) in enumerate(CASES)),
    'tf_rule_cases')


def _case_id(case):
    return f'{case[0]}-{case[1]}'


def _inputs(case):
    rng = np.random.default_rng(zlib.crc32(_case_id(case).encode()))
    # Each argument scaled a little differently: no ties between them (max, min).
    return [tf.constant(argument.draw(rng) * (1.0 + 0.013 * k))
            for k, argument in enumerate(case[3])], rng


def _reference_jvp(function, args, directions):
    """TensorFlow's forward mode; central differences for the few ops it lacks."""
    try:
        with tf.autodiff.ForwardAccumulator(args, directions) as accumulator:
            result = function(*args)
        return np.asarray(accumulator.jvp(result))
    except LookupError:  # e.g. no forward rule for SoftsignGrad in TensorFlow
        eps = 1e-6
        up = function(*[a + eps * v for a, v in zip(args, directions)])
        down = function(*[a - eps * v for a, v in zip(args, directions)])
        return (np.asarray(up) - np.asarray(down)) / (2 * eps)


@pytest.mark.parametrize('mode', ['reverse', 'split', 'forward'])
@pytest.mark.parametrize('case', CASES, ids=[_case_id(c) for c in CASES])
def test_tensorflow_rule(case, mode):
    function = getattr(CASE_MODULE, f'case_{CASES.index(case)}')
    args, rng = _inputs(case)
    wrt = tuple(range(len(args)))
    if mode == 'forward':
        directions = [tf.constant(rng.uniform(-1.0, 1.0, arg.shape)) for arg in args]
        derivative = tangent.autodiff(function, mode='forward', wrt=wrt)
        actual = derivative(*args, *directions)
        assert_close(np.asarray(actual), _reference_jvp(function, args, directions))
        return
    derivative = tangent.autodiff(function, mode='reverse', wrt=wrt, check_dims=False,
                                  motion='joint' if mode == 'reverse' else 'split')
    result = function(*args)
    seed = tf.constant(rng.uniform(-1.0, 1.0, result.shape))
    actual = derivative(*args, seed)
    if len(args) == 1:
        actual = (actual,)
    with tf.GradientTape() as tape:
        tape.watch(args)
        result = function(*args)
    expected = tape.gradient(result, args, output_gradients=seed)
    for got, want, arg in zip(actual, expected, args):
        assert tuple(np.shape(got)) == tuple(arg.shape)
        # tf.convert_to_tensor: the tape gives tf.gather's gradient as IndexedSlices.
        assert_close(np.asarray(got), np.asarray(tf.convert_to_tensor(want)))


def test_at_least_60_ops_have_both_rules():
    import tangent.backends.tensorflow.rules  # noqa: F401 - loads the registry
    from tangent.grads import adjoints
    from tangent.tangents import tangents

    def ops(registry):
        return {k for k in registry
                if (getattr(k, '__module__', '') or '').startswith('tensorflow')}
    assert len(ops(adjoints) & ops(tangents)) >= 60


def test_import_does_not_load_tensorflow():
    code = 'import sys, tangent; print("tensorflow" in sys.modules)'
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == 'False'


# Programs: control flow, subroutines, Python scalars mixed with tensors ---------------

PROGRAMS = _load('''import tensorflow as tf


def layer(h, w):
    return tf.tanh(tf.matmul(h, w))


def control_flow(x, w):
    h = x
    for i in range(3):
        h = layer(h, w)
        if tf.reduce_sum(h) > 0.0:
            h = h * 1.5
        else:
            h = h - 0.1
    total = 0.0
    i = 0
    while i < 2:
        total = total + tf.reduce_sum(h * h) * (i + 1)
        i += 1
    return total


def mlp_loss(x, w1, b1, w2, labels):
    hidden = tf.nn.relu(tf.matmul(x, w1) + b1)
    logits = tf.matmul(hidden, w2)
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    return tf.reduce_mean(losses)


import tangent


@tangent.trace
def singular_value_sum(x, w):
    return tf.reduce_sum(tf.linalg.svd(tf.matmul(x, w), compute_uv=False)) * x


def uses_a_traced_function(x, w):
    return tf.reduce_sum(singular_value_sum(x, w) ** 2)


def scalar_objective(x):
    return tf.reduce_sum(tf.sin(x) * x ** 2) + tf.reduce_sum(tf.exp(0.3 * x))
''', 'tf_programs')


def _tape_gradient(function, args, wrt):
    with tf.GradientTape() as tape:
        watched = [args[i] for i in wrt]
        tape.watch(watched)
        result = function(*args)
    return tape.gradient(result, watched)


@pytest.mark.parametrize('motion', ['joint', 'split'])
@pytest.mark.parametrize('optimized', [True, False])
def test_control_flow_and_subroutines(motion, optimized):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(-0.5, 0.5, (2, 3)))
    w = tf.constant(rng.uniform(-0.5, 0.5, (3, 3)))
    derivative = tangent.autodiff(PROGRAMS.control_flow, wrt=(0, 1), motion=motion,
                                  optimized=optimized)
    actual = derivative(x, w, 1.0)
    expected = _tape_gradient(PROGRAMS.control_flow, [x, w], (0, 1))
    for got, want in zip(actual, expected):
        assert_close(np.asarray(got), np.asarray(want))
    forward = tangent.autodiff(PROGRAMS.control_flow, mode='forward', wrt=(1,),
                               optimized=optimized)
    direction = tf.constant(rng.uniform(-1, 1, (3, 3)))
    with tf.autodiff.ForwardAccumulator(w, direction) as accumulator:
        result = PROGRAMS.control_flow(x, w)
    assert_close(float(forward(x, w, direction)), float(accumulator.jvp(result)))


def test_a_traced_function_is_differentiated_by_tensorflows_tape():
    """tf.linalg.svd has no tangent rule: a traced function may use it anyway."""
    rng = np.random.default_rng(3)
    x = tf.constant(rng.uniform(-1, 1, (3, 3)))
    w = tf.constant(rng.uniform(-1, 1, (3, 3)))
    actual = tangent.grad(PROGRAMS.uses_a_traced_function, wrt=(0, 1))(x, w)
    expected = _tape_gradient(PROGRAMS.uses_a_traced_function, [x, w], (0, 1))
    for got, want in zip(actual, expected):
        assert_close(np.asarray(got), np.asarray(want))


def _mlp_inputs(dtype=tf.float64):
    rng = np.random.default_rng(1)
    return [tf.constant(rng.normal(size=(8, 5)), dtype), tf.constant(
        rng.normal(size=(5, 6)) * 0.3, dtype), tf.constant(np.zeros(6), dtype),
        tf.constant(rng.normal(size=(6, 3)) * 0.3, dtype),
        tf.constant(rng.integers(0, 3, 8), tf.int32)]


def test_gradient_runs_inside_tf_function_and_xla():
    args = _mlp_inputs()
    gradient = tangent.grad(PROGRAMS.mlp_loss, wrt=(1, 2, 3))
    eager = gradient(*args)
    expected = _tape_gradient(PROGRAMS.mlp_loss, args, (1, 2, 3))
    graph = tf.function(gradient)(*args)
    compiled = tf.function(gradient, jit_compile=True)(*args)
    for e, g, c, want in zip(eager, graph, compiled, expected):
        assert_close(np.asarray(e), np.asarray(want))
        assert_close(np.asarray(g), np.asarray(want))
        assert_close(np.asarray(c), np.asarray(want))


def test_float32_stays_float32():
    args = _mlp_inputs(tf.float32)
    gradients = tangent.grad(PROGRAMS.mlp_loss, wrt=(1, 2, 3))(*args)
    assert all(g.dtype == tf.float32 for g in gradients)


@pytest.mark.parametrize('order', ['forward_over_reverse', 'reverse_over_forward',
                                   'reverse_over_reverse'])
def test_hessian_vector_products(order):
    x = tf.constant(np.linspace(-1.0, 1.0, 5))
    v = tf.constant(np.linspace(0.5, -0.3, 5))
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = PROGRAMS.scalar_objective(x)
        g = inner.gradient(y, x)
        gv = tf.reduce_sum(g * v)
    expected = outer.gradient(gv, x)
    f = PROGRAMS.scalar_objective
    if order == 'forward_over_reverse':
        hvp = tangent.autodiff(tangent.autodiff(f, mode='reverse', check_dims=False),
                               mode='forward', check_dims=False)
        actual = hvp(x, tf.constant(1.0, tf.float64), v)
    elif order == 'reverse_over_forward':
        hvp = tangent.autodiff(tangent.autodiff(f, mode='forward', check_dims=False),
                               mode='reverse', check_dims=False)
        actual = hvp(x, v, tf.constant(1.0, tf.float64))
    else:
        gradient = tangent.grad(f)
        hvp = tangent.grad(_gradient_along(gradient))
        actual = hvp(x, v)
    assert_close(np.asarray(actual), np.asarray(expected))


def _gradient_along(gradient):
    module = _load('''import tensorflow as tf


def along(x, v):
    return tf.reduce_sum(GRADIENT(x) * v)
''', f'tf_along_{id(gradient)}')
    module.GRADIENT = gradient
    return module.along


# Second order: every rule's generated code differentiated again ----------------------

HVP_MODULE = _load('import tensorflow as tf\n\n\n' + '\n\n'.join(
    f'def hvp_case_{i}({", ".join("xyzw"[:len(arguments)])}):\n'
    f'    r = {body}\n    return tf.reduce_sum(r * r * 0.5 + tf.sin(r))\n'
    for i, (_, _, body, arguments) in enumerate(CASES)), 'tf_hvp_cases')

# One case per op (its first), and the ops whose rules call runtime helpers, in all three
# orders; the others forward-over-reverse only (they share the generic helpers' rules).
HVP_CASES = [case for i, case in enumerate(CASES)
             if case[0] not in [c[0] for c in CASES[:i]]]
HELPER_OPS = {
    'cast', 'reduce_sum', 'reduce_mean', 'reduce_max', 'reduce_min', 'reduce_prod',
    'reduce_logsumexp', 'matmul', 'linalg.matvec', 'tensordot', 'einsum', 'linalg.inv',
    'linalg.det', 'linalg.trace', 'concat', 'stack', 'split', 'unstack', 'tile', 'gather',
    'slice', 'pad', 'nn.softmax', 'nn.log_softmax', 'nn.softmax_cross_entropy_with_logits',
    'nn.sparse_softmax_cross_entropy_with_logits', 'nn.bias_add', 'nn.conv2d',
    'nn.max_pool2d', 'nn.avg_pool2d', 'where', 'clip_by_value'}
HVP_PARAMS = [pytest.param(case, order, id=f'{_case_id(case)}-{order}')
              for case in HVP_CASES for order in ('forward_over_reverse',
                                                  'reverse_over_forward',
                                                  'reverse_over_reverse')
              if order == 'forward_over_reverse' or case[0] in HELPER_OPS]
# reduce_sum over a list of axes, the audit's case for the TF unreduce_like's rules.
HVP_PARAMS += [pytest.param(case, 'reverse_over_reverse', id=f'{_case_id(case)}-rr')
               for case in CASES if case[:2] in (('reduce_sum', 'axis_list'),
                                                 ('reduce_max', 'axis_list'))]


def _second_derivative(function, args, inner, outer, w):
    """d/d args[outer] of <d function / d args[inner], w>, by nested tapes (by central
    differences of the tape's gradient for ops TensorFlow cannot differentiate twice)."""
    def along(*values):
        with tf.GradientTape() as tape:
            tape.watch(values[inner])
            result = function(*values)
        return tf.reduce_sum(tf.convert_to_tensor(tape.gradient(result, values[inner])) * w)
    try:
        with tf.GradientTape() as tape:
            tape.watch(args[outer])
            value = along(*args)
        expected = tape.gradient(value, args[outer])
    except LookupError:  # no second derivative in TensorFlow (SoftsignGrad)
        flat = np.zeros(np.size(args[outer]))
        for k in range(flat.size):
            step = np.zeros(flat.size)
            step[k] = 1e-6
            step = tf.constant(step.reshape(args[outer].shape))
            moved = [list(args), list(args)]
            moved[0][outer], moved[1][outer] = args[outer] + step, args[outer] - step
            flat[k] = (float(along(*moved[0])) - float(along(*moved[1]))) / 2e-6
        return flat.reshape(args[outer].shape)
    if expected is None:
        return np.zeros(args[outer].shape)
    return np.asarray(tf.convert_to_tensor(expected))


def _hvp(function, args, order, inner, outer, v):
    """A Hessian-vector product by tangent in ``order``: the block (inner, outer)."""
    one = tf.constant(1.0, tf.float64)
    if order == 'forward_over_reverse':
        hvp = tangent.autodiff(
            tangent.autodiff(function, wrt=(inner,), mode='reverse', check_dims=False),
            wrt=(outer,), mode='forward', check_dims=False)
        return hvp(*args, one, v)
    if order == 'reverse_over_forward':
        hvp = tangent.autodiff(
            tangent.autodiff(function, wrt=(inner,), mode='forward', check_dims=False),
            wrt=(outer,), mode='reverse', check_dims=False)
        return hvp(*args, v, one)
    hvp = tangent.autodiff(
        tangent.autodiff(function, wrt=(inner,), mode='reverse', check_dims=False),
        wrt=(outer,), mode='reverse', check_dims=False)
    return hvp(*args, one, v)


@pytest.mark.parametrize('case, order', HVP_PARAMS)
def test_hessian_vector_product_of_each_op(case, order):
    """Random points: piecewise-linear ops (relu, max pooling) are away from their kinks,
    where the second derivative is zero."""
    function = getattr(HVP_MODULE, f'hvp_case_{CASES.index(case)}')
    args, rng = _inputs(case)
    v = tf.constant(rng.uniform(-1.0, 1.0, args[0].shape))
    actual = _hvp(function, args, order, 0, 0, v)
    assert tuple(np.shape(actual)) == tuple(args[0].shape)
    assert_close(np.asarray(actual), _second_derivative(function, args, 0, 0, v))



def test_every_runtime_helper_has_rules_or_no_derivative():
    """Generated code calls these: differentiating it again must never read their source."""
    import tangent.backends.tensorflow.rules  # noqa: F401 - loads the registry
    from tangent import non_differentiable
    from tangent.backends.tensorflow import helpers as runtime_tf
    from tangent.grads import adjoints
    from tangent.tangents import tangents
    # Called only by second-order code (third order is not promised), by tangent.trace,
    # or by tangent.utils for TensorFlow values (the generic helpers' rules cover them).
    exempt = {'tape_vjp', 'prod_others_tangent', 'item_gradients'}
    exempt |= set(runtime_tf.HELPERS)
    missing = [name for name, value in vars(runtime_tf).items()
               if callable(value) and getattr(value, '__module__', '') == runtime_tf.__name__
               and not name.startswith('_') and name not in exempt
               and not (value in adjoints and value in tangents)
               and not non_differentiable.is_non_differentiable(value)]
    assert not missing, f'runtime_tf helpers without rules: {missing}'


# Mixed second derivatives: a helper's rule for the operand it does not differentiate.
MIXED_CASES = [case for case in CASES if case[:2] in {
    ('matmul', 'transpose_b'), ('matmul', 'batch_broadcast'), ('linalg.matvec', 'plain'),
    ('tensordot', 'axes_lists'), ('einsum', 'three'), ('nn.conv2d', 'valid_stride2'),
    ('nn.bias_add', 'nhwc'), ('concat', 'axis1')}]


@pytest.mark.parametrize('order', ['forward_over_reverse', 'reverse_over_reverse'])
@pytest.mark.parametrize('case', MIXED_CASES, ids=[_case_id(c) for c in MIXED_CASES])
def test_mixed_second_derivatives(case, order):
    function = getattr(HVP_MODULE, f'hvp_case_{CASES.index(case)}')
    args, rng = _inputs(case)
    inner, outer = (0, 1) if order == 'reverse_over_reverse' else (1, 0)
    # Forward over reverse: d/d args[0] of the gradient for args[1], along a tangent of
    # args[0]: by symmetry, d/d args[1] of <gradient for args[0], tangent>.
    v = tf.constant(rng.uniform(-1.0, 1.0, args[0].shape))
    actual = _hvp(function, args, order, inner, outer, v)
    assert_close(np.asarray(actual), _second_derivative(function, args, 0, 1, v))


def test_hessian_vector_products_run_inside_tf_function():
    case = next(c for c in CASES if c[:2] == ('reduce_max', 'axis_list'))
    function = getattr(HVP_MODULE, f'hvp_case_{CASES.index(case)}')
    args, rng = _inputs(case)
    v = tf.constant(rng.uniform(-1.0, 1.0, args[0].shape))
    hvp = tangent.autodiff(tangent.autodiff(function, mode='reverse', check_dims=False),
                           mode='forward', check_dims=False)
    graph = tf.function(hvp)(*args, tf.constant(1.0, tf.float64), v)
    assert_close(np.asarray(graph), _second_derivative(function, args, 0, 0, v))


# Rules for arguments that carry no derivative, and casts ------------------------------

ONE_ARGUMENT_OPS = {'where', 'matmul', 'linalg.matvec', 'tensordot', 'einsum', 'concat',
                    'stack', 'nn.bias_add', 'nn.conv2d', 'operators',
                    'nn.sigmoid_cross_entropy_with_logits',
                    'nn.softmax_cross_entropy_with_logits', 'pow', 'maximum'}
ONE_ARGUMENT_PARAMS = [pytest.param(case, k, id=f'{_case_id(case)}-arg{k}')
                       for case in CASES if case[0] in ONE_ARGUMENT_OPS
                       for k in range(len(case[3])) if len(case[3]) > 1]


@pytest.mark.parametrize('case, position', ONE_ARGUMENT_PARAMS)
def test_differentiating_one_argument_of_several(case, position):
    """The others' zero derivatives (scalars in the generated code) never reach an op
    that needs a tensor of a certain shape (BiasAdd needs a 1-D bias)."""
    function = getattr(CASE_MODULE, f'case_{CASES.index(case)}')
    args, rng = _inputs(case)
    direction = tf.constant(rng.uniform(-1.0, 1.0, args[position].shape))
    with tf.autodiff.ForwardAccumulator(args[position], direction) as accumulator:
        result = function(*args)
    expected = accumulator.jvp(result, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    forward = tangent.autodiff(function, mode='forward', wrt=(position,))
    assert_close(np.asarray(forward(*args, direction)), np.asarray(expected))
    seed = tf.constant(rng.uniform(-1.0, 1.0, result.shape))
    reverse = tangent.autodiff(function, wrt=(position,), check_dims=False)
    with tf.GradientTape() as tape:
        tape.watch(args[position])
        result = function(*args)
    expected = tf.convert_to_tensor(tape.gradient(result, args[position],
                                                  output_gradients=seed))
    actual = reverse(*args, seed)
    assert tuple(np.shape(actual)) == tuple(args[position].shape)
    assert_close(np.asarray(actual), np.asarray(expected))


METHODS = _load('''import tensorflow as tf


def through_an_integer(x):
    return tf.reduce_sum(tf.cast(tf.cast(x, tf.int32), tf.float64) * x)


def through_an_integer_variable(x):
    n = tf.cast(x, tf.int32)
    return tf.reduce_sum(tf.cast(n, tf.float64) * x)


def builtin_abs(x):
    return tf.reduce_sum(abs(x) * -x)


def read_value(w, x):
    return tf.reduce_sum(w.read_value() * x)


def value(w, x):
    return tf.reduce_sum(w.value() * x)


def dunder_abs(w, x):
    return tf.reduce_sum(x.__abs__() * w)


def dunder_rpow(w, x):
    return tf.reduce_sum(x.__rpow__(2.0) * w)


def dunder_mul(w, x):
    return tf.reduce_sum(w.__mul__(x) + x.__rsub__(w) * x.__truediv__(w))
''', 'tf_methods')


def _check_reverse_and_forward(function, args, position=0):
    with tf.GradientTape() as tape:
        tape.watch(args[position])
        result = function(*args)
    expected = np.asarray(tape.gradient(result, args[position]))
    actual = tangent.grad(function, wrt=(position,))(*args)
    assert tuple(actual.shape) == tuple(args[position].shape)
    assert actual.dtype == args[position].dtype
    assert_close(np.asarray(actual), expected)
    direction = tf.constant(np.linspace(-1.0, 1.0, args[position].shape[0]),
                            args[position].dtype)
    tangent_value = tangent.autodiff(function, mode='forward', wrt=(position,))(
        *args, direction)
    assert_close(float(tangent_value), float(np.sum(expected * np.asarray(direction))))


_X = np.array([-1.5, 0.7, 2.2, 0.3])


@pytest.mark.parametrize('name', ['through_an_integer', 'through_an_integer_variable'])
def test_a_cast_to_an_integer_passes_a_zero_derivative(name):
    _check_reverse_and_forward(getattr(METHODS, name), [tf.constant(_X)])


@pytest.mark.parametrize('name', ['read_value', 'value', 'dunder_abs', 'dunder_rpow',
                                  'dunder_mul'])
def test_methods_of_tensors_and_variables(name):
    w = tf.Variable(np.array([0.5, -1.0, 2.0, 1.5]))
    x = tf.constant(_X)
    _check_reverse_and_forward(getattr(METHODS, name), [w, x] if 'dunder' not in name
                               else [tf.constant(np.asarray(w)), x], position=0)
    if 'dunder' in name:
        _check_reverse_and_forward(getattr(METHODS, name), [tf.constant(np.asarray(w)), x],
                                   position=1)


def test_builtin_abs_of_a_tensor_inside_tf_function():
    x = tf.constant(_X)
    gradient = tangent.grad(METHODS.builtin_abs)
    forward = tangent.autodiff(METHODS.builtin_abs, mode='forward')
    expected = -2.0 * np.abs(_X)
    assert_close(np.asarray(tf.function(gradient)(x)), expected)
    assert_close(float(tf.function(forward, jit_compile=True)(x, tf.ones_like(x))),
                 float(np.sum(expected)))


def test_runtime_helpers_for_np_dot_and_copy_on_tensors():
    from tangent.backends.tensorflow import helpers as runtime_tf
    rng = np.random.default_rng(5)
    for shape_1, shape_2 in [((), (3,)), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)),
                             ((2, 2, 3), (3, 4)), ((2, 3), (5, 3, 4))]:
        x1, x2 = rng.normal(size=shape_1), rng.normal(size=shape_2)
        dy = rng.normal(size=np.shape(np.dot(x1, x2)))
        with tf.GradientTape(persistent=True) as tape:
            a, b = tf.constant(x1), tf.constant(x2)
            tape.watch([a, b])
            product = tf.reduce_sum(tf.tensordot(a, b, axes=[[a.shape.rank - 1], [
                max(b.shape.rank - 2, 0)]]) * dy) if a.shape.rank and b.shape.rank else \
                tf.reduce_sum(a * b * dy)
        assert_close(np.asarray(runtime_tf.grad_dot(tf.constant(dy), a, b)),
                     np.asarray(tape.gradient(product, a)))
        assert_close(np.asarray(runtime_tf.grad_dot_right(tf.constant(dy), a, b)),
                     np.asarray(tape.gradient(product, b)))
    variable = tf.Variable([1.0, 2.0])
    snapshot = runtime_tf.copy(variable)
    variable.assign([5.0, 6.0])
    assert snapshot is not variable and np.asarray(snapshot).tolist() == [1.0, 2.0]


def test_grad_dot_and_copy_dispatch_tensors():
    x1, x2 = tf.constant(np.ones((2, 3))), tf.constant(np.ones((3, 4)))
    assert_close(np.asarray(tangent.grad_dot(tf.ones((2, 4), tf.float64), x1, x2)),
                 np.full((2, 3), 4.0))
    variable = tf.Variable([1.0])
    assert tangent.copy(variable) is not variable


MIRRORED_SCRIPT = """
import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices('CPU')[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import tangent
import tf_programs_mirrored as programs

rng = np.random.default_rng(1)
x = tf.constant(rng.normal(size=(8, 5)), tf.float32)
labels = tf.constant(rng.integers(0, 3, 8), tf.int32)
w1 = tf.Variable(rng.normal(size=(5, 6)) * 0.3, dtype=tf.float32)
b1 = tf.Variable(np.zeros(6), dtype=tf.float32)
w2 = tf.Variable(rng.normal(size=(6, 3)) * 0.3, dtype=tf.float32)
params = [w1, b1, w2]
gradient = tangent.grad(programs.mlp_loss, wrt=(1, 2, 3))
step = 0.1

single = [p - step * g for p, g in zip(params, gradient(x, w1, b1, w2, labels))]

devices = [d.name for d in tf.config.list_logical_devices('CPU')]
assert len(devices) == 2, devices
strategy = tf.distribute.MirroredStrategy(devices)
dataset = tf.data.Dataset.from_tensor_slices((x, labels)).batch(8)
batch = next(iter(strategy.experimental_distribute_dataset(dataset)))


@tf.function
def replica_step(inputs):
    xs, ys = inputs
    return gradient(xs, w1, b1, w2, ys)


per_replica = strategy.run(replica_step, args=(batch,))
assert len(strategy.experimental_local_results(per_replica[0])) == 2
mean = [strategy.reduce(tf.distribute.ReduceOp.MEAN, g, axis=None) for g in per_replica]
distributed = [p - step * g for p, g in zip(params, mean)]
difference = max(float(tf.reduce_max(tf.abs(a - b))) for a, b in zip(single, distributed))
print('max difference', difference)
assert difference < 1e-5
"""


def test_mirrored_strategy_training_step_matches_one_device(tmp_path):
    """A step on two logical CPUs (each replica half the batch) equals one device's."""
    (tmp_path / 'tf_programs_mirrored.py').write_text(
        Path(PROGRAMS.__file__).read_text())
    script = tmp_path / 'mirrored.py'
    script.write_text(MIRRORED_SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(tmp_path), str(Path(__file__).resolve().parent.parent)]),
        TF_CPP_MIN_LOG_LEVEL='3')
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         env=env, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert 'max difference' in run.stdout


def _coverage_generator():
    path = Path(__file__).resolve().parent.parent / 'tools' / 'gen_tf_coverage.py'
    spec = importlib.util.spec_from_file_location('gen_tf_coverage', path)
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    return generator


def test_the_coverage_page_is_current():
    generator = _coverage_generator()
    assert generator.PAGE.read_text() == generator.render(), (
        'docs/tensorflow_coverage.md is stale: run python tools/gen_tf_coverage.py')


def test_every_tensorflow_rule_is_exercised_by_a_case():
    bodies = ' '.join(body for _, _, body, _ in CASES)
    untested = []
    for name, _, _, notes in _coverage_generator().rows():
        names = [name] + [alias.strip('`') for alias in notes.split('also ')[-1].split(', ')
                          if alias.startswith('`')]
        if not any(f'{n}(' in bodies for n in names):
            untested.append(name)
    assert not untested, f'TensorFlow rules without a case: {untested}'


def tf_powers_from_zero(x, c):
    total = x ** 0
    for i in range(4):
        total = total + c[i] * x ** i
    return tf.reduce_sum(total)


@pytest.mark.parametrize('order', ['first', 'forward', 'forward_over_reverse'])
def test_integer_powers_at_zero_are_exact(order):
    """x ** 0 and x ** i with i from 0 at x == 0: no NaN (TensorFlow's own tape gives
    one at 0 for x ** 0), checked against the polynomial's derivatives written out."""
    x = tf.constant([0.0, 0.5, -1.5])
    c = [1.0, 2.0, -3.0, 0.5]
    xs = x.numpy()
    first = c[1] + 2 * c[2] * xs + 3 * c[3] * xs ** 2
    second = 2 * c[2] + 6 * c[3] * xs
    if order == 'first':
        assert_close(tangent.grad(tf_powers_from_zero)(x, c).numpy(), first)
    elif order == 'forward':
        derivative = tangent.autodiff(tf_powers_from_zero, mode='forward')
        assert_close(derivative(x, c, tf.ones(3)).numpy(), np.sum(first))
    else:
        reverse = tangent.autodiff(tf_powers_from_zero, check_dims=False,
                                   input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)
        hvp = tangent.autodiff(reverse, mode='forward', check_dims=False)
        assert_close(hvp(x, c, tf.ones(3)).numpy(), second)
