"""A guard against slow code creeping into generated gradients, without timing.

For each benchmark workload, counts what the generated gradient does
(statements, tape pushes, ``add_grad`` and ``unbroadcast`` calls, runtime
helper calls in all) and fails when a count grows beyond the committed one
in ``benchmarks/code_counts.json``. When a change makes the code smaller,
record the new counts with ``TANGENT_UPDATE_COUNTS=1 python -m pytest
tests/test_generated_code_counts.py``.
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

from workloads import WORKLOADS  # noqa: E402

COUNTS = ROOT / 'benchmarks' / 'code_counts.json'
UPDATE = os.environ.get('TANGENT_UPDATE_COUNTS') == '1'


def _derivative(workload):
    if workload.kind == 'hvp':
        return tangent.autodiff(tangent.autodiff(workload.function, mode='reverse',
                                                 check_dims=False),
                                mode='forward', check_dims=False)
    return tangent.grad(workload.function, wrt=workload.wrt)


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
    list_appends = sum(1 for node in calls if isinstance(node.func, ast.Attribute)
                       and node.func.attr == 'append' and isinstance(node.func.value, ast.Name)
                       and node.func.value.id in tape_lists)

    return {
        'statements': sum(1 for node in ast.walk(tree) if isinstance(node, ast.stmt)),
        'tape_pushes': named('push') + named('push_stack') + list_appends,
        'add_grad': named('add_grad'),
        'unbroadcast': named('unbroadcast'),
        'helper_calls': sum(1 for node in calls if helper(node)),
    }


def _run_version(workload):
    """The generated function a call with the workload's inputs runs: for Python
    numbers only, the version written knowing that."""
    derivative = _derivative(workload)
    inputs = workload.make_inputs(np.random.default_rng(0))
    if workload.kind == 'grad' and all(type(value) is float for value in inputs):
        derivative(*inputs)  # a derivative matching shapes writes its version for numbers
        return getattr(derivative, 'specialisations', {}).get('numbers', derivative)
    return derivative


def _measured() -> dict[str, dict[str, int]]:
    return {w.name: count(compile_.source_of(_run_version(w))) for w in WORKLOADS}


def test_the_counter_counts():
    counts = count('def f(x, bx):\n    tangent.push(_stack, x, "a")\n'
                   '    bx = tangent.add_grad(bx, tangent.unbroadcast(bx, x))\n    return bx\n')
    assert counts == {'statements': 4, 'tape_pushes': 1, 'add_grad': 1, 'unbroadcast': 1,
                      'helper_calls': 3}


def test_the_counter_counts_appends_to_tape_lists():
    counts = count('def f(x, n, bx):\n    x_saved = []\n    for i in range(n):\n'
                   '        x_saved.append(x)\n    for i in range(n):\n'
                   '        x = x_saved.pop()\n    return bx\n')
    assert counts['tape_pushes'] == 1


@pytest.mark.parametrize('workload', WORKLOADS, ids=[w.name for w in WORKLOADS])
def test_generated_code_does_not_grow(workload):
    measured = count(compile_.source_of(_run_version(workload)))
    if UPDATE:
        recorded = json.loads(COUNTS.read_text()) if COUNTS.exists() else {}
        recorded[workload.name] = measured
        COUNTS.write_text(json.dumps(recorded, indent=2, sort_keys=True) + '\n')
        return
    recorded = json.loads(COUNTS.read_text())[workload.name]
    grown = {kind: (recorded[kind], value) for kind, value in measured.items()
             if value > recorded[kind]}
    assert not grown, (f'the generated gradient of {workload.name} grew (recorded, now): '
                       f'{grown}; if that is intended, record it with TANGENT_UPDATE_COUNTS=1')
