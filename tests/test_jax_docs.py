"""The JAX pages stay true: docs/jax.md's code blocks run, and docs/jax_coverage.md is
what tools/gen_jax_coverage.py writes from the registries.

Skipped when JAX is not installed, unless TANGENT_REQUIRE_JAX=1 (as in CI).
"""

import importlib.util
import os
from pathlib import Path

import pytest

if os.environ.get('TANGENT_REQUIRE_JAX') != '1' and importlib.util.find_spec('jax') is None:
    pytest.skip('JAX is not installed (the jax extra); set TANGENT_REQUIRE_JAX=1 to insist',
                allow_module_level=True)

from test_docs import DOCS, describe, run_blocks  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _generator():
    path = ROOT / 'tools' / 'gen_jax_coverage.py'
    spec = importlib.util.spec_from_file_location('gen_jax_coverage', path)
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    return generator


def test_the_coverage_page_is_current():
    generator = _generator()
    assert generator.PAGE.read_text() == generator.render(), (
        'docs/jax_coverage.md is stale: run python tools/gen_jax_coverage.py')
    names = [name for name, adjoint, tangent, _ in generator.rows()
             if adjoint == tangent == 'yes']
    assert len(names) >= 100
    for required in ('jnp.sum', 'jnp.matmul', 'jnp.prod', 'jax.nn.softmax', 'jax.nn.relu',
                     'jax.lax.exp', 'jnp.linalg.solve'):
        assert required in names


def test_the_jax_page_code_runs(tmp_path):
    page = DOCS / 'jax.md'
    blocks, failures, _ = run_blocks(page, tmp_path)
    assert blocks and not failures, describe(page, blocks, failures)
