"""Calls differentiated by autograd's own rules: the runtime side.

A call ``p(a, b, k=c)`` of an autograd primitive without a tangent rule is
written ``autograd_apply(p, ('k',), a, b, c)`` (see ``autograd_wrappers``),
whose rules ask autograd for the derivative at run time: the vector-Jacobian
product of each argument through ``autograd.make_vjp``, the tangent through
autograd's forward mode. Both are again computed by functions called through
``autograd_apply``, which autograd can differentiate, so a derivative of such
a call can be differentiated again, to any order.

autograd is imported only when such a call runs.
"""

from __future__ import annotations

import inspect
import warnings
import weakref
from typing import Any, Callable

import numpy as np

from tangent import errors

__all__ = ['autograd_apply', 'autograd_vjp_function', 'autograd_jvp_function',
           'flatten_parameters', 'unflatten_like', 'flattened_like']


def _split(fn: Callable, values: tuple, keyword_names: tuple) -> tuple[list, dict]:
    """The positional and keyword arguments of the call; a keyword argument naming a
    positional parameter is passed by position, where autograd differentiates it."""
    count = len(values) - len(keyword_names)
    positional, keywords = list(values[:count]), dict(zip(keyword_names, values[count:]))
    if keywords:
        try:
            bound = inspect.signature(getattr(fn, 'fun', fn)).bind(*positional, **keywords)
        except (TypeError, ValueError):
            return positional, keywords
        return list(bound.args), dict(bound.kwargs)
    return positional, keywords


def _keyword_only(fn: Callable, values: tuple, keyword_names: tuple) -> set:
    """The positions in ``values`` that ``fn`` still receives by keyword, which autograd
    does not differentiate."""
    count = len(values) - len(keyword_names)
    keywords = _split(fn, values, keyword_names)[1]
    return {count + keyword_names.index(name) for name in keywords}


def autograd_apply(fn: Callable, keyword_names: tuple, *values: Any) -> Any:
    """``fn(*positional, **keywords)``, the last ``len(keyword_names)`` values being
    the keyword arguments, in that order."""
    positional, keywords = _split(fn, values, keyword_names)
    return fn(*positional, **keywords)


# Functions linear in each of their array arguments, whose tangent is therefore
# the sum of the calls with one argument replaced by its tangent. autograd has
# no forward rule for them. (defining module, name) of the wrapped function.
_MULTILINEAR = {('autograd.scipy.signal', 'convolve')}


def _is_multilinear(fn: Callable) -> bool:
    wrapped = getattr(fn, 'fun', None)
    return (getattr(wrapped, '__module__', None), getattr(wrapped, '__name__', None)) \
        in _MULTILINEAR


def _autograd():
    import autograd  # noqa: PLC0415 - only calls that go through autograd import it
    import autograd.core  # noqa: PLC0415
    return autograd


def _plain(value: Any) -> Any:
    """The value under autograd's box, when autograd differentiates these helpers."""
    from autograd.tracer import getval  # noqa: PLC0415
    return getval(value)


def _is_differentiable(value: Any) -> bool:
    plain = _plain(value)
    if isinstance(plain, (bool, np.bool_)):
        return False
    if isinstance(plain, (float, complex, np.floating, np.complexfloating)):
        return True
    return isinstance(plain, np.ndarray) and plain.dtype.kind in 'fc'


def _leaves(value: Any) -> list:
    """The differentiable numbers and arrays in ``value``, in a fixed order."""
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _leaves(item)]
    if isinstance(value, dict):
        return [leaf for key in sorted(value, key=repr) for leaf in _leaves(value[key])]
    return [value] if _is_differentiable(value) else []


def _rebuild(value: Any, leaves: list, constant: Callable[[Any], Any]) -> Any:
    """``value`` with its differentiable leaves taken, in order, from ``leaves`` (a list
    consumed from the front) and every other leaf replaced by ``constant(leaf)``."""
    if isinstance(value, (tuple, list)):
        return type(value)(_rebuild(item, leaves, constant) for item in value)
    if isinstance(value, dict):
        rebuilt = {key: _rebuild(value[key], leaves, constant)
                   for key in sorted(value, key=repr)}
        return {key: rebuilt[key] for key in value}
    return leaves.pop(0) if _is_differentiable(value) else constant(value)


def _zero_of(value: Any) -> Any:
    """The gradient of a value that carries none (an int, a string, None)."""
    plain = _plain(value)
    if isinstance(plain, np.ndarray) and plain.dtype.kind in 'biu':
        return np.zeros(plain.shape)
    return 0.0 if isinstance(plain, (int, np.integer)) and not isinstance(plain, bool) \
        else None


def _seed_like(seed: Any, result: Any) -> Any:
    """tangent's seed for ``result`` in the form autograd expects: zeros where tangent
    left a part of a container result without gradient (None, or a scalar zero)."""
    plain = _plain(result)
    plain_seed = None if seed is None else _plain(seed)
    if isinstance(plain, (tuple, list)):
        has_parts = isinstance(plain_seed, (tuple, list))
        return type(plain)(_seed_like(seed[i] if has_parts else None, part)
                           for i, part in enumerate(plain))
    if isinstance(plain, dict):
        has_parts = isinstance(plain_seed, dict)
        return {key: _seed_like(seed[key] if has_parts and key in plain_seed else None, part)
                for key, part in plain.items()}
    if seed is None or (np.ndim(plain) > 0 and np.ndim(plain_seed) == 0 and plain_seed == 0):
        return np.zeros_like(plain, dtype=float) if np.ndim(plain) else 0.0
    return seed


def _name(fn: Callable) -> str:
    return errors.callable_name(fn)


def _gradient_function(fn: Callable, keyword_names: tuple, index: int) -> Callable:
    autograd = _autograd()
    if hasattr(fn, 'fun') and fn not in autograd.core.primitive_vjps:
        raise errors.ReverseNotImplementedError(
            _name(fn), 'an autograd primitive for which autograd registers no vjp',
            f'Register one with autograd.extend.defvjp({_name(fn)}, ...), or a tangent '
            f'adjoint with @tangent.grads.adjoint.')

    def gradient(seed, values):
        """The gradient of argument ``index`` of the call, for the output gradient ``seed``."""
        value = values[index]
        leaves = _leaves(value)
        if not leaves:
            return _rebuild(value, [], _zero_of)
        if index in _keyword_only(fn, values, keyword_names):
            raise errors.ReverseNotImplementedError(
                _name(fn), f'autograd does not differentiate its keyword-only argument '
                f'{keyword_names[index - len(values) + len(keyword_names)]}',
                'Make it a positional parameter of the primitive.')

        def of_leaves(leaf_values):
            changed = list(values)
            changed[index] = _rebuild(value, list(leaf_values), lambda leaf: leaf)
            return autograd_apply(fn, keyword_names, *changed)

        with warnings.catch_warnings():
            # The gradient of a linear function (unflatten) does not depend on its
            # input: autograd warns, and its zero derivative is right.
            warnings.filterwarnings('ignore', 'Output seems independent of input')
            vjp, result = autograd.make_vjp(of_leaves)(tuple(leaves))
        return _rebuild(value, list(vjp(_seed_like(seed, result))), _zero_of)

    gradient.__name__ = gradient.__qualname__ = f'{fn.__name__}_gradient_{index}'
    if _is_multilinear(fn):
        gradient._tangent_gradient_of_multilinear = index
    gradient._tangent_gradient_of = (fn, keyword_names, index)
    return gradient


def _tangent_function(fn: Callable, keyword_names: tuple) -> Callable:
    autograd = _autograd()
    multilinear = _is_multilinear(fn)
    if hasattr(fn, '_tangent_gradient_of_multilinear'):
        index = fn._tangent_gradient_of_multilinear

        def tangent_of_gradient(values, tangents):
            """The gradient of argument ``index`` of a multilinear function is linear in
            the seed and in each other argument, and does not depend on its own."""
            return _multilinear_gradient_tangent(fn, index, values, tangents)
        return tangent_of_gradient
    if hasattr(fn, '_tangent_gradient_of') and hasattr(fn._tangent_gradient_of[0], 'fun') \
            and fn._tangent_gradient_of[0] not in autograd.core.primitive_jvps:
        primitive, names, index = fn._tangent_gradient_of

        def tangent_of_gradient_by_reverse(values, tangents):
            """Without a jvp of the primitive, the tangent of its gradient comes from
            reverse mode twice (the Hessian is symmetric)."""
            return _gradient_tangent_by_reverse(primitive, names, index, values, tangents)
        return tangent_of_gradient_by_reverse
    if hasattr(fn, '_tangent_tangent_of_multilinear'):
        primitive, names = fn._tangent_tangent_of_multilinear

        def tangent_of_tangent(values, tangents):
            """The tangent of a multilinear function's tangent (itself linear in each
            argument and in each argument's tangent)."""
            return _multilinear_second_tangent(primitive, names, values, tangents)
        return tangent_of_tangent
    if hasattr(fn, 'fun') and not multilinear and fn not in autograd.core.primitive_jvps:
        given_vjp = ': it was given defvjp but not defjvp' \
            if fn in autograd.core.primitive_vjps else ''
        raise errors.ForwardNotImplementedError(
            _name(fn), f'autograd has no jvp for it{given_vjp}',
            f'Register one with autograd.extend.defjvp({_name(fn)}, ...) or '
            f'@tangent.tangents.tangent_, or use reverse mode.')

    def tangent(values, tangents):
        """The tangent of the call's result, for the arguments' ``tangents``."""
        if multilinear:
            return _multilinear_tangent(fn, keyword_names, values, tangents)
        if not isinstance(tangents, (tuple, list)) or len(tangents) != len(values):
            tangents = [None] * len(values)
        constant = _keyword_only(fn, values, keyword_names)
        for position in constant:
            if any(np.any(_plain(t) != 0) for t in
                   _leaves_or_zeros(tangents[position], values[position])):
                raise errors.ForwardNotImplementedError(
                    _name(fn), 'autograd does not differentiate its keyword-only argument '
                    f'{keyword_names[position - len(values) + len(keyword_names)]}',
                    'Make it a positional parameter of the primitive.')
        varying = [p for p in range(len(values)) if p not in constant]
        leaves = [leaf for p in varying for leaf in _leaves(values[p])]
        leaf_tangents = [
            leaf_tangent if np.shape(_plain(leaf_tangent)) == np.shape(_plain(leaf))
            else np.zeros_like(_plain(leaf), dtype=float) + leaf_tangent
            for p in varying for leaf, leaf_tangent in
            zip(_leaves(values[p]), _leaves_or_zeros(tangents[p], values[p]))]

        def of_leaves(leaf_values):
            remaining = list(leaf_values)
            changed = list(values)
            for p in varying:
                changed[p] = _rebuild(values[p], remaining, lambda leaf: leaf)
            return autograd_apply(fn, keyword_names, *changed)

        try:
            _, result_tangent = autograd.core.make_jvp(of_leaves, tuple(leaves))(
                tuple(leaf_tangents))
        except NotImplementedError as error:  # a primitive inside fn has no jvp
            raise errors.ForwardNotImplementedError(
                _name(fn), f'autograd cannot differentiate it in forward mode: {error}',
                'Use reverse mode for this derivative.') from None
        return result_tangent

    tangent.__name__ = tangent.__qualname__ = f'{fn.__name__}_tangent'
    if multilinear:
        tangent._tangent_tangent_of_multilinear = (fn, keyword_names)
    return tangent


def _is_zero_placeholder(value_tangent: Any, value: Any) -> bool:
    """tangent hands an inactive argument's tangent as None or a scalar zero."""
    if value_tangent is None:
        return True
    plain = _plain(value_tangent)
    if isinstance(_plain(value), (tuple, list, dict)):
        return not isinstance(plain, (tuple, list, dict)) and np.ndim(plain) == 0 and plain == 0
    return np.ndim(plain) == 0 and np.ndim(_plain(value)) > 0 and plain == 0


def _multilinear_gradient_tangent(gradient, index, values, tangents):
    (seed, arguments), (seed_tangent, argument_tangents) = values, tangents
    terms = []
    if not _is_zero_placeholder(seed_tangent, seed) and _leaves(seed):
        terms.append(gradient(seed_tangent, arguments))
    if isinstance(argument_tangents, (tuple, list)):
        for position, argument_tangent in enumerate(argument_tangents):
            if position == index or not _leaves(arguments[position]) or \
                    _is_zero_placeholder(argument_tangent, arguments[position]):
                continue
            changed = list(arguments)
            changed[position] = argument_tangent
            terms.append(gradient(seed, tuple(changed)))
    if not terms:
        return np.zeros_like(_plain(gradient(seed, arguments)))
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _gradient_tangent_by_reverse(fn, keyword_names, index, values, tangents):
    """The tangent of g_i(s, x) = (df/dx_i)^T s along (ds, dx): g_i(ds, x), plus the
    gradient with respect to x_i of sum_j <g_j(s, x), dx_j> (the mixed second
    derivatives are symmetric)."""
    autograd = _autograd()
    import autograd.numpy as anp  # noqa: PLC0415
    (seed, arguments), (seed_tangent, argument_tangents) = values, tangents
    if not isinstance(argument_tangents, (tuple, list)) or \
            len(argument_tangents) != len(arguments):
        argument_tangents = [None] * len(arguments)
    own = arguments[index]
    steps = [(j, _leaves_or_zeros(argument_tangents[j], arguments[j]))
             for j in range(len(arguments)) if _leaves(arguments[j]) and
             not _is_zero_placeholder(argument_tangents[j], arguments[j])]

    def pairing(own_leaves):
        changed = list(arguments)
        changed[index] = _rebuild(own, list(own_leaves), lambda leaf: leaf)
        total = 0.0
        for j, step in steps:
            gradient = autograd_vjp_function(fn, keyword_names, j)(seed, tuple(changed))
            total = total + sum(anp.sum(g * t) for g, t in zip(_leaves(gradient), step))
        return total

    leaves = _leaves(own)
    parts = [np.zeros_like(_plain(leaf), dtype=float) for leaf in leaves]
    if steps:
        with warnings.catch_warnings():
            warnings.filterwarnings('ignore', 'Output seems independent of input')
            parts = list(autograd.grad(pairing)(tuple(leaves)))
    if not _is_zero_placeholder(seed_tangent, seed) and seed_tangent is not None:
        first = autograd_vjp_function(fn, keyword_names, index)(seed_tangent, arguments)
        parts = [a + b for a, b in zip(parts, _leaves(first))]
    return _rebuild(own, parts, _zero_of)


def _multilinear_second_tangent(fn, keyword_names, values, tangents):
    """d [sum_j f(x with x_j <- t_j)] along (dx, dt): for each j, f(x with x_j <- dt_j)
    plus f(x with x_j <- t_j and x_k <- dx_k) for each k other than j."""
    (arguments, argument_tangents), (argument_steps, tangent_steps) = values, tangents

    def parts(sequence):
        return list(sequence) if isinstance(sequence, (tuple, list)) and \
            len(sequence) == len(arguments) else [None] * len(arguments)

    argument_tangents, argument_steps, tangent_steps = \
        parts(argument_tangents), parts(argument_steps), parts(tangent_steps)
    live = [j for j in range(len(arguments)) if _leaves(arguments[j])]

    def given(sequence, j):
        return not _is_zero_placeholder(sequence[j], arguments[j])

    terms = []
    for j in live:
        if given(tangent_steps, j):
            changed = list(arguments)
            changed[j] = tangent_steps[j]
            terms.append(autograd_apply(fn, keyword_names, *changed))
        if not given(argument_tangents, j):
            continue
        for k in live:
            if k != j and given(argument_steps, k):
                changed = list(arguments)
                changed[j], changed[k] = argument_tangents[j], argument_steps[k]
                terms.append(autograd_apply(fn, keyword_names, *changed))
    if not terms:
        return np.zeros_like(_plain(autograd_apply(fn, keyword_names, *arguments)))
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _multilinear_tangent(fn, keyword_names, values, tangents):
    """d f(a, b) = f(da, b) + f(a, db) for f linear in each argument."""
    total = None
    for position, value_tangent in enumerate(tangents):
        if _is_zero_placeholder(value_tangent, values[position]) or \
                not _leaves(values[position]):
            continue
        changed = list(values)
        changed[position] = value_tangent
        term = autograd_apply(fn, keyword_names, *changed)
        total = term if total is None else total + term
    if total is None:
        return np.zeros_like(_plain(autograd_apply(fn, keyword_names, *values)))
    return total


_gradients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_tangents: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def autograd_vjp_function(fn: Callable, keyword_names: tuple, index: int) -> Callable:
    """``gradient(seed, values)``: the gradient of argument ``index`` of
    ``autograd_apply(fn, keyword_names, *values)`` by autograd's vjp, itself a
    function autograd can differentiate."""
    made = _gradients.setdefault(fn, {})
    if (keyword_names, index) not in made:
        made[keyword_names, index] = _gradient_function(fn, keyword_names, index)
    return made[keyword_names, index]


def autograd_jvp_function(fn: Callable, keyword_names: tuple) -> Callable:
    """``tangent(values, tangents)``: the tangent of
    ``autograd_apply(fn, keyword_names, *values)`` by autograd's forward mode."""
    made = _tangents.setdefault(fn, {})
    if keyword_names not in made:
        made[keyword_names] = _tangent_function(fn, keyword_names)
    return made[keyword_names]


def flatten_parameters(value: Any) -> tuple:
    """``autograd.misc.flatten(value)``: the 1-D array of every number in ``value``
    (nested lists, tuples and dicts of arrays) and the function mapping such an
    array back to ``value``'s structure."""
    from autograd.misc import flatten  # noqa: PLC0415
    return flatten(value)


def unflatten_like(flat: Any, value: Any) -> Any:
    """``flat`` (a 1-D array laid out as ``flatten_parameters(value)``'s) in the
    structure of ``value``: the gradient of flattening."""
    return flatten_parameters(value)[1](flat)


def flattened_like(parts: Any, value: Any) -> Any:
    """The 1-D array of ``parts`` (``value``'s structure; a zero where tangent left a
    part without derivative): the tangent of flattening."""
    filled = _rebuild(value, [p for p in _leaves_or_zeros(parts, value)], _zero_of)
    return flatten_parameters(filled)[0]


def _leaves_or_zeros(parts: Any, value: Any) -> list:
    """The leaves of ``parts`` paired with ``value``'s differentiable leaves, zeros
    (of the value leaf's shape) where ``parts`` holds None or a scalar zero."""
    if isinstance(value, (tuple, list)):
        items = parts if isinstance(parts, (tuple, list)) else [None] * len(value)
        return [leaf for p, v in zip(items, value) for leaf in _leaves_or_zeros(p, v)]
    if isinstance(value, dict):
        items = parts if isinstance(parts, dict) else {}
        return [leaf for key in sorted(value, key=repr)
                for leaf in _leaves_or_zeros(items.get(key), value[key])]
    if not _is_differentiable(value):
        return []
    if _is_zero_placeholder(parts, value) or (parts is None):
        return [np.zeros_like(_plain(value), dtype=float)]
    return [parts]
