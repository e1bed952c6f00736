"""tangent on JAX, as the benchmark runs it (``benchmarks/systems.py``: the workload's
source with ``np`` bound to ``jax.numpy``), agrees with the hand-written gradient on
every workload, compiled by jax.jit, and op by op on the small ones.

Skipped when JAX is not installed, unless TANGENT_REQUIRE_JAX=1 (as in CI).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest

if os.environ.get('TANGENT_REQUIRE_JAX') != '1' and importlib.util.find_spec('jax') is None:
    pytest.skip('JAX is not installed (the jax extra); set TANGENT_REQUIRE_JAX=1 to insist',
                allow_module_level=True)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'benchmarks'))

from systems import TangentJax, TangentJaxJit  # noqa: E402
from workloads import WORKLOADS, leaves  # noqa: E402

SMALL = ('scalar_poly', 'logistic_regression', 'softmax_5', 'hvp_small', 'helper_chain_small')


def _check(system, workload):
    make = workload.make_test_inputs or workload.make_inputs
    inputs = make(np.random.default_rng(7))
    expected = [np.asarray(part, dtype=np.float64)
                for part in leaves(workload.hand_gradient(*inputs))]
    built = system.build(workload, inputs)
    got = built.to_numpy(built.call())
    assert len(got) == len(expected)
    for part, reference in zip(got, expected):
        np.testing.assert_allclose(part, reference, rtol=1e-7, atol=1e-9,
                                   err_msg=f'{system.label} on {workload.name}')


@pytest.mark.parametrize('workload', WORKLOADS, ids=[w.name for w in WORKLOADS])
def test_tangent_on_jax_compiled_matches_the_hand_gradient(workload):
    _check(TangentJaxJit(), workload)


@pytest.mark.parametrize('workload', [w for w in WORKLOADS if w.name in SMALL],
                         ids=list(SMALL))
def test_tangent_on_jax_op_by_op_matches_the_hand_gradient(workload):
    _check(TangentJax(), workload)
