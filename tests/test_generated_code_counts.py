"""A guard on what generated gradients do, without timing: counts pinned per workload.

For each benchmark workload, counts what the generated gradient's source
does: statements, calls of runtime helpers in all, and the calls that decide
at run time what shapes could decide once (``DISPATCH``: tape pushes and
pops, shape records, ``unbroadcast``, ``unreduce``, ``add_grad``,
``init_grad``, ``check_seed``, the matmul gradients' shape checks, ...),
each kind apart and in all. The counts are pinned exactly in
``benchmarks/code_counts.json``:

- a count above the pinned one fails: slower code crept in;
- a count below the pinned one fails too, saying so: the code got leaner and
  the pin tightens. Record the new numbers with

      TANGENT_UPDATE_COUNTS=1 python -m pytest tests/test_generated_code_counts.py

  and commit ``benchmarks/code_counts.json`` (look at its diff: every number
  that changed should have gone down, unless the growth is intended).

Issue 22's target is no run-time dispatch at all in the workloads where
per-call overhead dominates (``PER_CALL_WORKLOADS``):
``test_no_run_time_dispatch`` is a strict xfail for each of them until the
specialiser gets there; when one reaches zero, its XPASS fails the run, and
the workload leaves ``DISPATCH_PENDING``.
"""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import tangent
from tangent import compile as compile_

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'benchmarks'))

from workloads import PER_CALL_WORKLOADS, WORKLOADS  # noqa: E402

COUNTS = ROOT / 'benchmarks' / 'code_counts.json'
UPDATE = os.environ.get('TANGENT_UPDATE_COUNTS') == '1'


def _derivative(workload):
    if workload.kind == 'hvp':
        return tangent.autodiff(tangent.autodiff(workload.function, mode='reverse',
                                                 check_dims=False),
                                mode='forward', check_dims=False)
    return tangent.grad(workload.function, wrt=workload.wrt)


# Runtime helpers whose work a specialisation on the arguments' types and shapes can
# settle when it is written, by kind: a hand-written gradient has none of them.
DISPATCH = {
    'tape_pushes': ('push', 'push_stack'),
    'tape_pops': ('pop', 'pop_stack'),
    'tape_creations': ('Stack',),
    'shape_records': ('shape_only',),
    'unbroadcast': ('unbroadcast',),
    'unreduce': ('unreduce', 'unreduce_like'),
    'add_grad': ('add_grad',),
    'init_grad': ('init_grad',),
    'check_seed': ('check_seed',),
    'matmul_dispatch': ('grad_matmul_left', 'grad_matmul_right', 'grad_dot', 'grad_dot_right'),
    'container_dispatch': ('add_at', 'unaliased', 'copy', 'astype', 'shapes_match'),
}

# The workloads whose generated gradients are not expected to lose all run-time dispatch
# yet, and why; take a workload out when the specialiser gets it to zero (its xfail then
# XPASSes). A loop's tape of values its backward pass reads is counted as dispatch here,
# though the specialiser can only drop the tapes of shapes and of ints every step shares.
_LOOP_TAPE = 'a loop tapes values its backward pass reads (states, gates)'
DISPATCH_PENDING = {
    'rnn_loss_small': _LOOP_TAPE,
    'rnn_loss_large': _LOOP_TAPE,
    'lstm_small': _LOOP_TAPE,
    'lstm_large': _LOOP_TAPE,
    'hvp_small': 'forward over reverse: forward-mode derivatives are not specialised',
}


def count(source: str) -> dict[str, int]:
    """What a generated function does, by kind."""
    tree = ast.parse(source)
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]

    def helper(node):
        func = node.func
        return (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id.startswith('tangent'))

    def named(attr):
        return sum(1 for node in calls if helper(node) and node.func.attr == attr)

    # A loop over range records into lists, each popped into a variable backward.
    tape_lists = {node.value.func.value.id for node in ast.walk(tree)
                  if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                  and isinstance(node.value.func, ast.Attribute)
                  and node.value.func.attr == 'pop' and not node.value.args
                  and isinstance(node.value.func.value, ast.Name)}

    def on_tape_lists(method):
        return sum(1 for node in calls if isinstance(node.func, ast.Attribute)
                   and node.func.attr == method and isinstance(node.func.value, ast.Name)
                   and node.func.value.id in tape_lists)

    counts = {
        'statements': sum(1 for node in ast.walk(tree) if isinstance(node, ast.stmt)),
        'helper_calls': sum(1 for node in calls if helper(node)),
    }
    for kind, helpers in DISPATCH.items():
        counts[kind] = sum(named(name) for name in helpers)
    counts['tape_pushes'] += on_tape_lists('append')
    counts['tape_pops'] += on_tape_lists('pop')
    counts['dispatch'] = sum(counts[kind] for kind in DISPATCH)
    return counts


def _run_version(workload):
    """The generated function a call with the workload's inputs runs: for Python
    numbers only, the version written knowing that. A derivative specialised on
    array shapes at its first call must be looked up here the same way, so that
    the counts are those of the code that runs."""
    derivative = _derivative(workload)
    inputs = workload.make_inputs(np.random.default_rng(0))
    if workload.kind == 'grad':
        # The first call writes the version for these arguments' signature, which is
        # then what source_of (as inspect) shows.
        derivative(*inputs)
    return derivative


def _measured() -> dict[str, dict[str, int]]:
    return {w.name: count(compile_.source_of(_run_version(w))) for w in WORKLOADS}


def test_the_counter_counts():
    counts = count('def f(x, bx):\n    tangent.push(_stack, x, "a")\n'
                   '    bx = tangent.add_grad(bx, tangent.unbroadcast(bx, x))\n'
                   '    bx = tangent.grad_matmul_left(bx, x, x) + tangent.safe_log(x)\n'
                   '    return bx\n')
    expected = dict.fromkeys(DISPATCH, 0)
    expected.update(statements=5, helper_calls=5, tape_pushes=1, add_grad=1, unbroadcast=1,
                    matmul_dispatch=1, dispatch=4)
    assert counts == expected


def test_the_counter_counts_appends_to_tape_lists():
    counts = count('def f(x, n, bx):\n    x_saved = []\n    for i in range(n):\n'
                   '        x_saved.append(x)\n    for i in range(n):\n'
                   '        x = x_saved.pop()\n    return bx\n')
    assert counts['tape_pushes'] == 1


@pytest.mark.parametrize('workload', WORKLOADS, ids=[w.name for w in WORKLOADS])
def test_generated_code_counts_are_pinned(workload):
    measured = count(compile_.source_of(_run_version(workload)))
    if UPDATE:
        recorded = json.loads(COUNTS.read_text()) if COUNTS.exists() else {}
        recorded[workload.name] = measured
        COUNTS.write_text(json.dumps(recorded, indent=2, sort_keys=True) + '\n')
        return
    recorded = json.loads(COUNTS.read_text()).get(workload.name)
    assert recorded is not None, (f'no counts recorded for {workload.name}: record them with '
                                  'TANGENT_UPDATE_COUNTS=1 (see the module docstring)')
    grown = {kind: (recorded.get(kind), value) for kind, value in measured.items()
             if recorded.get(kind) is None or value > recorded[kind]}
    assert not grown, (f'the generated gradient of {workload.name} grew (recorded, now): '
                       f'{grown}; if that is intended, record it with TANGENT_UPDATE_COUNTS=1')
    shrunk = {kind: (recorded[kind], value) for kind, value in measured.items()
              if value < recorded[kind]}
    assert not shrunk, (f'the generated gradient of {workload.name} got leaner (recorded, now): '
                        f'{shrunk}; tighten the pin: TANGENT_UPDATE_COUNTS=1 python -m pytest '
                        'tests/test_generated_code_counts.py, then commit '
                        'benchmarks/code_counts.json')


def _dispatch_case(name):
    if name in DISPATCH_PENDING:
        return pytest.param(name, marks=pytest.mark.xfail(
            strict=True, reason=f'issue 22: {DISPATCH_PENDING[name]}'))
    return name


@pytest.mark.parametrize('name', [_dispatch_case(name) for name in PER_CALL_WORKLOADS])
def test_no_run_time_dispatch(name):
    workload = next(w for w in WORKLOADS if w.name == name)
    measured = count(compile_.source_of(_run_version(workload)))
    left = {kind: measured[kind] for kind in DISPATCH if measured[kind]}
    assert not left, f'{name}: run-time dispatch left in the generated gradient: {left}'


def test_pending_workloads_are_per_call_workloads():
    assert set(DISPATCH_PENDING) <= set(PER_CALL_WORKLOADS)
