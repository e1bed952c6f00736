"""The conveniences autograd and JAX users reach for, each a thin layer over ``autodiff``.

``value_and_grad`` and ``elementwise_grad`` are one reverse pass each;
``jacobian`` runs one forward pass per input element or one reverse pass per
output element, whichever is fewer for the shapes of the call; ``hessian``
and ``hvp`` run the forward derivative of the gradient (forward over
reverse). Every derivative is written when the convenience is called, so
argument errors and unsupported code are reported there, as by ``grad``.
"""

from __future__ import annotations

import functools
import inspect
import numbers
from typing import Any, Callable

import numpy as np

from tangent.api.grad_util import (DEFAULT_INDEX, DEFAULT_WRT, INPUT_DERIVATIVE,
                                   _partial_derivative, _wrt_indices, autodiff, wrt_or_argnum)

__all__ = ['elementwise_grad', 'hessian', 'hvp', 'jacobian', 'value_and_grad']

Indices = 'int | tuple[int, ...]'  # a wrt: one index, or several


def _name(func: Any) -> str:
    return getattr(func, '__qualname__', None) or type(func).__name__


def _returned(derivatives: tuple, several: bool) -> Any:
    """Tangent's convention: one derivative bare, several as a tuple in ``wrt`` order."""
    return tuple(derivatives) if several else derivatives[0]


def _indices(wrt: Any, argnum: Any, caller: str) -> tuple[int, ...]:
    """``wrt`` (or ``argnum``) as a tuple of ints, at least one."""
    indices = _wrt_indices(wrt_or_argnum(wrt, argnum, caller))
    if not indices:
        raise ValueError(f'tangent.{caller}: wrt is empty; name at least one argument to '
                         f'differentiate with respect to.')
    return indices


def value_and_grad(func: Callable, wrt: Indices = DEFAULT_WRT, optimized: bool = True,
                   check_dims: bool = True, verbose: int = 0, checkpoint: bool | int = False,
                   *, argnum: Indices | None = None) -> Callable:
    """``func``'s value and gradient from one pass: ``(value, gradient)``.

    The order ``scipy.optimize.minimize(fun, x0, jac=True)`` expects. The value
    is the one the gradient's forward sweep computes (``grad``'s
    ``preserve_result``), so ``func`` runs once per call. With several ``wrt``
    arguments the gradient is a tuple, as ``grad`` returns it. ``func`` must
    return a scalar, as for ``grad``.

    Args:
      func: a scalar-valued Python function.
      wrt: the index, or a tuple of indices, of the arguments to differentiate.
      optimized, check_dims, verbose, checkpoint: as for ``tangent.grad``.
      argnum: autograd's name for ``wrt``, accepted in its place.

    Returns:
      A function taking ``func``'s arguments (and, like ``grad``'s result, an
      optional seed) and returning ``(value, gradient)``.
    """
    wrt = wrt_or_argnum(wrt, argnum, 'value_and_grad')
    derivative = autodiff(func, wrt=wrt, optimized=optimized, motion='joint', mode='reverse',
                          preserve_result=True, check_dims=check_dims,
                          input_derivative=INPUT_DERIVATIVE.DefaultOne, verbose=verbose,
                          checkpoint=checkpoint)
    several = len(_wrt_indices(wrt)) > 1

    def value_and_gradient(*args, **kwargs):
        *gradients, value = derivative(*args, **kwargs)
        return value, _returned(gradients, several)

    value_and_gradient.__name__ = value_and_gradient.__qualname__ = \
        f'value_and_grad_{getattr(derivative, "__name__", "derivative")}'
    value_and_gradient.__doc__ = f'The value and gradient of {_name(func)}.'
    return value_and_gradient


def elementwise_grad(func: Callable, wrt: Indices = DEFAULT_WRT, optimized: bool = True,
                     verbose: int = 0, *, argnum: Indices | None = None) -> Callable:
    """The sum of the rows of ``func``'s Jacobian: one reverse pass seeded with ones.

    For a function that acts element by element (``np.sin(x) * x``) that sum
    is the derivative of each output element with respect to its input
    element. For other functions it is still the gradient of
    ``np.sum(func(...))``, which is not the diagonal of the Jacobian.

    This is ``autodiff(func, input_derivative=INPUT_DERIVATIVE.DefaultOnes)``:
    the returned function is the generated derivative itself (its last
    parameter is the seed, defaulting to ones shaped like the result), so
    it can be differentiated again.
    """
    return autodiff(func, wrt=wrt_or_argnum(wrt, argnum, 'elementwise_grad'),
                    optimized=optimized, motion='joint', mode='reverse',
                    input_derivative=INPUT_DERIVATIVE.DefaultOnes, verbose=verbose)


def _positional(func: Callable, caller: str, args: tuple, kwargs: dict) -> tuple[list, dict]:
    """``func``'s positional parameters as the call fills them (defaults included), and
    its keyword-only arguments: a generated derivative takes its seed or tangents
    after all the positional parameters, so those must all be passed."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as error:
        raise TypeError(f'tangent.{caller} cannot read the parameters of {_name(func)}: '
                        f'{error}.') from None
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in signature.parameters.values()):
        raise TypeError(f'tangent.{caller} cannot call the derivative of {_name(func)}, which '
                        f'takes *args: its seed or tangents go after the positional '
                        f'parameters. Use tangent.autodiff directly.')
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f'{_name(func)}: {error}') from None
    bound.apply_defaults()
    positional, keywords = [], {}
    for parameter in signature.parameters.values():
        value = bound.arguments[parameter.name]
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            keywords[parameter.name] = value
        elif parameter.kind is inspect.Parameter.VAR_KEYWORD:
            keywords.update(value)
        else:
            positional.append(value)
    return positional, keywords


def _as_array(value: Any, what: str, caller: str) -> np.ndarray:
    """A number or real array as a float64 array; anything else a clear TypeError."""
    if isinstance(value, (bool, np.bool_)) or not (
            isinstance(value, (numbers.Real, np.ndarray)) and
            np.issubdtype(np.asarray(value).dtype, np.number) and
            not np.iscomplexobj(value)):
        raise TypeError(f'tangent.{caller} needs {what} to be a real number or a real NumPy '
                        f'array, got {type(value).__name__} {value!r:.80}.')
    return np.asarray(value, dtype=np.float64)


def _directions(like: np.ndarray, scalar: bool):
    """The unit directions of the elements of ``like``, in C order, shaped like it
    (a float for a scalar passed as a number)."""
    if scalar:
        yield 1.0
        return
    for index in range(like.size):
        direction = np.zeros(like.size)
        direction[index] = 1.0
        yield direction.reshape(like.shape)


def _shaped(derivative: Any, shape: tuple, caller: str) -> np.ndarray:
    """A derivative pass's output as an array of ``shape``; a zero returned as a bare
    number (nothing depended on the input) is spread over it."""
    value = np.asarray(derivative, dtype=np.float64)
    if value.shape == shape:
        return value
    if value.ndim == 0:
        return np.broadcast_to(value, shape)
    raise ValueError(f'tangent.{caller}: a derivative pass returned shape {value.shape} where '
                     f'{shape} was expected; please report this as a bug.')


def _by_rows(vjp: Callable, positional: list, keywords: dict, inputs: list[np.ndarray],
             result: np.ndarray) -> list[np.ndarray]:
    """The Jacobians in each input, a reverse pass (``vjp``) per element of the result."""
    rows = [[] for _ in inputs]
    for seed in _directions(result, result.ndim == 0):
        gradients = vjp(*positional, seed, **keywords)
        gradients = gradients if len(inputs) > 1 else (gradients,)
        for row, gradient, x in zip(rows, gradients, inputs):
            row.append(_shaped(gradient, x.shape, 'jacobian').ravel())
    return [np.stack(row).reshape(result.shape + x.shape) if row else
            np.zeros(result.shape + x.shape) for row, x in zip(rows, inputs)]


def _by_columns(jvps: tuple[Callable, ...], positional: list, keywords: dict,
                inputs: list[np.ndarray], result: np.ndarray) -> list[np.ndarray]:
    """The Jacobians in each input, a forward pass (``jvps``, one per input) per element
    of the input."""
    blocks = []
    for jvp, x in zip(jvps, inputs):
        columns = [_shaped(jvp(*positional, direction, **keywords), result.shape,
                           'jacobian').ravel() for direction in _directions(x, x.ndim == 0)]
        blocks.append(np.stack(columns, axis=-1).reshape(result.shape + x.shape) if columns
                      else np.zeros(result.shape + x.shape))
    return blocks


def jacobian(func: Callable, wrt: Indices = DEFAULT_INDEX, mode: str | None = None,
             optimized: bool = True, verbose: int = 0, *,
             argnum: Indices | None = None) -> Callable:
    """``func``'s full Jacobian, shaped ``result.shape + argument.shape``.

    Forward mode takes one pass per element of the ``wrt`` arguments, reverse
    mode one pass per element of the result. The returned function first runs
    ``func`` once to learn the result's shape and, unless ``mode`` says which,
    picks the mode needing fewer passes (reverse on a tie; the other mode when
    a call in ``func`` has a rule for one mode only). Arguments and results
    must be real numbers or NumPy arrays.

    Args:
      func: a Python function.
      wrt: the index of the argument to differentiate, or a tuple of indices
        (several give a tuple of Jacobians, one per argument).
      mode: None (choose at each call), 'forward' or 'reverse'.
      optimized, verbose: as for ``tangent.autodiff``.
      argnum: autograd's name for ``wrt``, accepted in its place.

    Returns:
      A function taking ``func``'s arguments and returning the Jacobian(s).
    """
    if mode not in (None, 'forward', 'reverse'):
        raise ValueError(f"tangent.jacobian: mode must be None, 'forward' or 'reverse', "
                         f'got {mode!r}.')
    indices = _indices(wrt, argnum, 'jacobian')
    derivatives, errors = {}, {}
    # Both are written now, so that errors surface here; a function with rules for
    # one mode only still gets its Jacobian from that mode.
    for candidate in ('reverse', 'forward') if mode is None else (mode,):
        try:
            if candidate == 'reverse':
                derivatives[candidate] = autodiff(
                    func, wrt=indices, optimized=optimized, mode='reverse', check_dims=True,
                    input_derivative=INPUT_DERIVATIVE.Required, verbose=verbose)
            else:
                derivatives[candidate] = tuple(
                    autodiff(func, wrt=(index,), optimized=optimized, mode='forward',
                             verbose=verbose) for index in indices)
        except NotImplementedError as error:
            errors[candidate] = error
    if not derivatives:
        raise next(iter(errors.values()))

    def jacobian_of(*args, **kwargs):
        positional, keywords = _positional(func, 'jacobian', args, kwargs)
        inputs = [_as_array(positional[index], f'argument {index}', 'jacobian')
                  for index in indices]
        # One run of func, for the result's shape: the seeds' shape in reverse mode,
        # and how many passes each mode would need.
        result = _as_array(func(*args, **kwargs), 'the result', 'jacobian')
        if len(derivatives) == 1:
            chosen, = derivatives
        else:
            chosen = 'forward' if sum(x.size for x in inputs) < result.size else 'reverse'
        if chosen == 'reverse':
            blocks = _by_rows(derivatives['reverse'], positional, keywords, inputs, result)
        else:
            blocks = _by_columns(derivatives['forward'], positional, keywords, inputs, result)
        return _returned(blocks, len(indices) > 1)

    jacobian_of.__name__ = jacobian_of.__qualname__ = f'jacobian_of_{_name(func)}'
    jacobian_of.__doc__ = f'The Jacobian of {_name(func)} with respect to argument(s) {indices}.'
    return jacobian_of


def _forward_over_reverse(func: Callable, indices: tuple[int, ...], outer: tuple[int, ...],
                          optimized: bool, verbose: int) -> Callable:
    """The forward derivative (along the arguments ``outer``) of the gradient of the
    scalar ``func`` with respect to ``indices``: ``second(*params, seed, *tangents)``."""
    if isinstance(func, functools.partial):
        # The bound arguments are constants: differentiate the function they go to.
        return _partial_derivative(func, indices, lambda inner, inner_indices: (
            _forward_over_reverse(inner, inner_indices,
                                  tuple(inner_indices[indices.index(i)] for i in outer),
                                  optimized, verbose)))
    gradient = autodiff(func, wrt=indices, optimized=optimized, mode='reverse',
                        check_dims=True, input_derivative=INPUT_DERIVATIVE.DefaultOne)
    return autodiff(gradient, wrt=outer, optimized=optimized, mode='forward', verbose=verbose)


def hessian(func: Callable, wrt: Indices = DEFAULT_INDEX, optimized: bool = True,
            verbose: int = 0, *, argnum: Indices | None = None) -> Callable:
    """The Hessian of the scalar-valued ``func``, shaped ``argument.shape * 2``.

    Built from Hessian-vector products, forward over reverse: one forward pass
    through the gradient per element of the argument. With a tuple ``wrt``,
    the blocks come back as a tuple of tuples: ``H[i][j]`` holds the second
    derivatives in arguments ``wrt[i]`` and ``wrt[j]``, shaped
    ``argument_i.shape + argument_j.shape``. A result that is not a scalar
    raises the ``ValueError`` ``grad`` raises.

    ``argnum`` is autograd's name for ``wrt``, accepted in its place.
    """
    indices = _indices(wrt, argnum, 'hessian')
    columns_along = tuple(_forward_over_reverse(func, indices, (index,), optimized, verbose)
                          for index in indices)

    def hessian_of(*args, **kwargs):
        positional, keywords = _positional(func, 'hessian', args, kwargs)
        inputs = [_as_array(positional[index], f'argument {index}', 'hessian')
                  for index in indices]
        rows = [[None] * len(indices) for _ in indices]
        for j, (index, x_j, second) in enumerate(zip(indices, inputs, columns_along)):
            columns = [[] for _ in indices]
            for direction in _directions(x_j, x_j.ndim == 0):
                products = second(*positional, 1.0, direction, **keywords)
                products = products if len(indices) > 1 else (products,)
                for column, product, x_i in zip(columns, products, inputs):
                    column.append(_shaped(product, x_i.shape, 'hessian').ravel())
            for i, (column, x_i) in enumerate(zip(columns, inputs)):
                rows[i][j] = (np.stack(column, axis=-1).reshape(x_i.shape + x_j.shape)
                              if column else np.zeros(x_i.shape + x_j.shape))
        if len(indices) == 1:
            return rows[0][0]
        return tuple(tuple(row) for row in rows)

    hessian_of.__name__ = hessian_of.__qualname__ = f'hessian_of_{_name(func)}'
    hessian_of.__doc__ = f'The Hessian of {_name(func)} with respect to argument(s) {indices}.'
    return hessian_of


def hvp(func: Callable, wrt: Indices = DEFAULT_INDEX, optimized: bool = True,
        verbose: int = 0, *, argnum: Indices | None = None) -> Callable:
    """Hessian-vector products of the scalar-valued ``func``: ``hvp(*args, v)``.

    One forward pass through the gradient (forward over reverse), never the
    whole Hessian. ``v`` is shaped like the ``wrt`` argument; with several
    ``wrt`` arguments it is a tuple of one direction per argument, and the
    product a tuple of one block per argument. A result that is not a scalar
    raises the ``ValueError`` ``grad`` raises.

    ``argnum`` is autograd's name for ``wrt``, accepted in its place.
    """
    indices = _indices(wrt, argnum, 'hvp')
    second = _forward_over_reverse(func, indices, indices, optimized, verbose)

    def hessian_vector_product(*args_and_direction, **kwargs):
        if not args_and_direction:
            raise TypeError(f'the Hessian-vector product of {_name(func)} takes its '
                            f'arguments and then the direction v.')
        *args, direction = args_and_direction
        positional, keywords = _positional(func, 'hvp', tuple(args), kwargs)
        if len(indices) > 1:
            if not isinstance(direction, (tuple, list)) or len(direction) != len(indices):
                raise TypeError(f'with wrt={indices}, v must be a tuple of {len(indices)} '
                                f'directions, one per argument; got {type(direction).__name__}.')
            return second(*positional, 1.0, *direction, **keywords)
        return second(*positional, 1.0, direction, **keywords)

    hessian_vector_product.__name__ = hessian_vector_product.__qualname__ = \
        f'hvp_of_{_name(func)}'
    hessian_vector_product.__doc__ = (f'Hessian-vector products of {_name(func)} in '
                                      f'argument(s) {indices}: hvp(*args, v).')
    return hessian_vector_product
