"""The systems the benchmark compares: hand-written NumPy, tangent and its peers.

Each system turns a workload and its NumPy inputs into a zero-argument call
that computes the gradient (or the Hessian-vector product), plus a function
that converts that call's result into a tuple of NumPy arrays for checking.
Inputs are converted to the system's own types once, outside the timed call;
the timed call includes the forward pass, the backward pass and, for JAX,
waiting for the result to be ready.

The peers (autograd, PyTorch, JAX) are imported on first use; a peer that is
not installed reports why and its column reads "n/a". The caller must pin
thread counts in the environment before this module imports NumPy (run.py
does).
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import sys
import time
import types
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from workloads import Workload, leaves, map_leaves, rebind


@dataclass
class Built:
    call: Callable[[], Any]
    to_numpy: Callable[[Any], tuple]
    compile_seconds: float | None = None  # JAX jit: the first call (trace and compile)


def _as_tuple(result: Any, count: int) -> tuple:
    return (result,) if count == 1 else tuple(result)


def _numpy_tuple(result: Any, count: int) -> tuple:
    """One float64 array per leaf of the result: dicts of gradients flattened."""
    return tuple(np.asarray(leaf, dtype=np.float64) for leaf in leaves(_as_tuple(result, count)))


def _split_hvp(args: tuple) -> tuple[tuple, Any]:
    return args[:-1], args[-1]


class System:
    name = ''
    label = ''

    def unavailable(self) -> str | None:
        """Why this system cannot run here, or None when it can."""
        return None

    def versions(self) -> dict[str, str]:
        return {}

    def build(self, workload: Workload, args: tuple) -> Built:
        raise NotImplementedError


class Hand(System):
    name = 'hand'
    label = 'hand NumPy'

    def build(self, workload, args):
        gradient = workload.hand_gradient
        return Built(lambda: gradient(*args),
                     lambda result: tuple(np.asarray(leaf, dtype=np.float64)
                                          for leaf in leaves(result)))


def tangent_hvp(function: Callable) -> Callable:
    """Forward over reverse: called as hvp(*args, 1.0, v), v the tangent of argument 0."""
    import tangent

    reverse = tangent.autodiff(function, mode='reverse', check_dims=False)
    return tangent.autodiff(reverse, mode='forward', check_dims=False)


def tangent_derivative(workload: Workload) -> Callable:
    """What the benchmark asks tangent to generate for a workload."""
    import tangent

    if workload.kind == 'hvp':
        return tangent_hvp(workload.function)
    return tangent.grad(workload.function, wrt=workload.wrt)


class Tangent(System):
    name = 'tangent'
    label = 'tangent'

    def versions(self):
        import tangent

        return {'tangent': getattr(tangent, '__version__', '?')}

    def build(self, workload, args):
        derivative = tangent_derivative(workload)
        count = len(workload.wrt)
        if workload.kind == 'hvp':
            f_args, v = _split_hvp(args)
            return Built(lambda: derivative(*f_args, 1.0, v), lambda r: _numpy_tuple(r, 1))
        return Built(lambda: derivative(*args), lambda r: _numpy_tuple(r, count))


class _Peer(System):
    modules: tuple[str, ...] = ()

    def unavailable(self):
        for module in self.modules:
            try:
                importlib.import_module(module)
            except Exception as error:  # ImportError, or a broken install
                return f'{module}: {type(error).__name__}: {error}'
        return None

    def versions(self):
        return {module: importlib.metadata.version(module) for module in self.modules}


class Autograd(_Peer):
    name = 'autograd'
    label = 'autograd'
    modules = ('autograd',)

    def build(self, workload, args):
        import autograd
        import autograd.numpy as anp
        from autograd.differential_operators import make_jvp

        function = rebind(workload.function, anp)
        count = len(workload.wrt)
        if workload.kind == 'hvp':
            f_args, v = _split_hvp(args)
            gradient = autograd.grad(function)
            return Built(lambda: make_jvp(gradient)(*f_args)(v)[1],
                         lambda r: _numpy_tuple(r, 1))
        argnum = workload.wrt[0] if count == 1 else workload.wrt
        gradient = autograd.grad(function, argnum=argnum)
        return Built(lambda: gradient(*args), lambda r: _numpy_tuple(r, count))


class Torch(_Peer):
    name = 'torch'
    label = 'PyTorch'
    modules = ('torch',)

    def __init__(self):
        self._configured = False

    def _torch(self):
        import torch

        if not self._configured:
            torch.set_num_threads(1)
            try:
                torch.set_num_interop_threads(1)
            except RuntimeError:  # only allowed before any parallel work started
                pass
            self._configured = True
        return torch

    def build(self, workload, args):
        torch = self._torch()
        function = rebind(workload.function, torch)

        def to_numpy(parts):
            return tuple(part.detach().numpy() for part in parts)

        if workload.kind == 'hvp':
            f_args, v = _split_hvp(args)
            x, *rest = (torch.tensor(a, dtype=torch.float64) for a in f_args)
            tv = torch.tensor(v, dtype=torch.float64)
            gradient = torch.func.grad(lambda x_: function(x_, *rest))
            return Built(lambda: torch.func.jvp(gradient, (x,), (tv,))[1],
                         lambda r: to_numpy((r,)))
        tensors = [map_leaves(lambda leaf, wanted=index in workload.wrt: torch.tensor(
                       leaf, dtype=torch.float64, requires_grad=wanted), value)
                   for index, value in enumerate(args)]
        differentiated = [leaf for index in workload.wrt for leaf in leaves(tensors[index])]

        def call():
            return torch.autograd.grad(function(*tensors), differentiated)

        return Built(call, to_numpy)


class _TorchTables(Torch):
    """A PyTorch system of the PyTorch table (run.py): tangent on PyTorch code against
    PyTorch's own autodiff, plain and under torch.compile."""

    table = 'pytorch'

    def _inputs(self, args):
        torch = self._torch()
        return tuple(map_leaves(lambda leaf: torch.tensor(leaf, dtype=torch.float64), value)
                     for value in args)


class TangentTorch(_TorchTables):
    """tangent's derivative of the PyTorch version of the workload, on tensors."""

    name = 'tangent_torch'
    label = 'tangent on PyTorch'
    compile = False

    def build(self, workload, args):
        torch = self._torch()
        function = rebind(workload.function, torch)
        inputs = self._inputs(args)
        count = len(workload.wrt)
        if workload.kind == 'hvp':
            derivative = tangent_hvp(function)
            f_args, v = _split_hvp(inputs)
            arguments, count = (*f_args, 1.0, v), 1
        else:
            import tangent

            derivative = tangent.grad(function, wrt=workload.wrt)
            arguments = inputs
        compile_seconds = None
        if self.compile:
            torch._dynamo.reset()
            derivative = torch.compile(derivative)
            start = time.perf_counter()
            derivative(*arguments)
            compile_seconds = time.perf_counter() - start
        return Built(lambda: derivative(*arguments),
                     lambda r: _numpy_tuple(map_leaves(lambda t: t.numpy(), r), count),
                     compile_seconds)


class TangentTorchCompiled(TangentTorch):
    name = 'tangent_torch_compiled'
    label = 'torch.compile(tangent)'
    compile = True


class TorchCompiled(_TorchTables):
    """torch.compile of torch.func's gradient (or Hessian-vector product)."""

    name = 'torch_compiled'
    label = 'torch.compile(torch.func)'

    def build(self, workload, args):
        torch = self._torch()
        function = rebind(workload.function, torch)
        # TorchDynamo's guards read a function's globals through the module named by
        # its __name__: under 'workloads' they would find NumPy's np. The rebound copy
        # gets a module of its own, holding what its globals hold.
        module_name = f'workloads_on_torch_{workload.name}'
        on_torch = types.ModuleType(module_name)
        vars(on_torch).update(function.__globals__, __name__=module_name)
        sys.modules[module_name] = on_torch
        function.__globals__['__name__'] = module_name
        inputs = self._inputs(args)
        count = len(workload.wrt)
        if workload.kind == 'hvp':
            f_args, v = _split_hvp(inputs)
            x, *rest = f_args
            gradient = torch.func.grad(lambda x_: function(x_, *rest))
            derivative = torch.compile(lambda x_, v_: torch.func.jvp(gradient, (x_,), (v_,))[1])
            arguments, count = (x, v), 1
        else:
            derivative = torch.compile(torch.func.grad(function, argnums=workload.wrt))
            arguments = inputs
        torch._dynamo.reset()
        start = time.perf_counter()
        derivative(*arguments)
        compile_seconds = time.perf_counter() - start
        return Built(lambda: derivative(*arguments),
                     lambda r: _numpy_tuple(map_leaves(lambda t: t.detach().numpy(), r), count),
                     compile_seconds)


class _JaxBase(_Peer):
    modules = ('jax', 'jaxlib')

    def _jax(self):
        import jax

        jax.config.update('jax_enable_x64', True)
        return jax

    def _derivative(self, workload, args):
        """A JAX function of the converted inputs, and those inputs."""
        jax = self._jax()
        import jax.numpy as jnp

        function = rebind(workload.function, jnp)
        inputs = tuple(map_leaves(lambda leaf: leaf if isinstance(leaf, float)
                                  else jnp.asarray(leaf), value)
                       for value in args)
        if workload.kind == 'hvp':
            def hvp(x, *rest_and_v):
                *rest, v = rest_and_v
                gradient = jax.grad(lambda x_: function(x_, *rest))
                return jax.jvp(gradient, (x,), (v,))[1]

            return hvp, inputs
        argnums = workload.wrt[0] if len(workload.wrt) == 1 else workload.wrt
        return jax.grad(function, argnums=argnums), inputs

    def _jitted(self, workload, args):
        """The derivative compiled by ``jax.jit``, with the time of its first call."""
        jax = self._jax()
        derivative, inputs = self._derivative(workload, args)
        compiled = jax.jit(derivative)
        start = time.perf_counter()
        jax.block_until_ready(compiled(*inputs))  # traces and compiles
        compile_seconds = time.perf_counter() - start
        return self._built(compiled, inputs, workload, compile_seconds)

    def _built(self, derivative, inputs, workload, compile_seconds=None):
        jax = self._jax()
        count = 1 if workload.kind == 'hvp' else len(workload.wrt)
        return Built(lambda: jax.block_until_ready(derivative(*inputs)),
                     lambda r: _numpy_tuple(r, count), compile_seconds)


class Jax(_JaxBase):
    name = 'jax'
    label = 'JAX'

    def build(self, workload, args):
        derivative, inputs = self._derivative(workload, args)
        return self._built(derivative, inputs, workload)


class JaxJit(_JaxBase):
    name = 'jax_jit'
    label = 'JAX jit'

    def build(self, workload, args):
        return self._jitted(workload, args)


class TangentJax(_JaxBase):
    """tangent's derivative of the workload written with jax.numpy (``np`` rebound to
    ``jnp``), run op by op: against the JAX column, JAX's own autodiff."""
    name = 'tangent_jax'
    label = 'tangent on JAX'

    def _derivative(self, workload, args):
        self._jax()
        import jax.numpy as jnp

        rebound = dataclasses.replace(workload, function=rebind(workload.function, jnp))
        _, inputs = super()._derivative(workload, args)
        derivative = tangent_derivative(rebound)
        if workload.kind == 'hvp':
            def hvp(*args_and_v):
                *f_args, v = args_and_v
                return derivative(*f_args, 1.0, v)

            return hvp, inputs
        return derivative, inputs

    def build(self, workload, args):
        derivative, inputs = self._derivative(workload, args)
        return self._built(derivative, inputs, workload)


class TangentJaxJit(TangentJax):
    """As ``TangentJax``, the generated derivative compiled by ``jax.jit``."""
    name = 'tangent_jax_jit'
    label = 'tangent on JAX jit'

    def build(self, workload, args):
        return self._jitted(workload, args)


SYSTEMS: list[System] = [Hand(), Tangent(), Autograd(), Torch(), Jax(), JaxJit(),
                         TangentTorch(), TorchCompiled(), TangentTorchCompiled(), TangentJax(),
                         TangentJaxJit()]
PEERS = [system for system in SYSTEMS if isinstance(system, _Peer)]
