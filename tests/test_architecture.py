"""The architecture holds: layering of imports, determinism, registry coverage."""

import ast
import pathlib

import numpy as np
import pytest

import tangent
from tangent import compile as compile_
from tangent import grads, tangents

PACKAGE = pathlib.Path(tangent.__file__).parent

LAYERS = {
    0: {'errors', 'grammar', 'annotations', 'utils', 'runtime_numpy', 'runtime_tf',
        'non_differentiable', 'threadsafe_ast'},
    1: {'quoting', 'compile', 'naming', 'create', 'comments', 'ast', 'shallow'},
    2: {'transformers', 'template', 'cfg', 'annotate', 'anf', 'checkpoint', 'decorators',
        'desugar', 'fence', 'inlining', 'optimization', 'registry'},
    3: {'grads', 'tangents', 'tf_rules'},
    4: {'reverse_ad', 'forward_ad', 'motion'},
    5: {'grad_util', '__init__', '__main__', 'tracing', 'surgery', 'testing'},
}
LAYER_OF = {module: layer for layer, modules in LAYERS.items() for module in modules}


def _imported_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == 'tangent':
                for alias in node.names:
                    yield alias.name
            elif node.module.startswith('tangent.'):
                yield node.module.split('.')[1]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith('tangent.'):
                    yield alias.name.split('.')[1]


@pytest.mark.parametrize('path', sorted(PACKAGE.glob('*.py')), ids=lambda p: p.stem)
def test_module_imports_only_its_layer_or_below(path):
    own = LAYER_OF.get(path.stem)
    assert own is not None, f'{path.stem} is not assigned a layer in this test'
    for imported in _imported_modules(path):
        if imported not in LAYER_OF:
            continue  # a public name re-exported by __init__, not a module
        assert LAYER_OF[imported] <= own, (
            f'{path.stem} (layer {own}) imports {imported} (layer {LAYER_OF[imported]})')


def _poly(x):
    y = x * x + np.sin(x)
    if y > 1.0:
        y = y * 2.0
    for i in range(3):
        y = y + x * i
    return y


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_generated_source_is_deterministic(mode):
    first = compile_.source_of(tangent.autodiff(_poly, mode=mode))
    tangent.grad_util._cache.clear()
    second = compile_.source_of(tangent.autodiff(_poly, mode=mode))
    assert first == second


# Functions whose derivatives add zeros at the end of branches and before loops,
# which the generator once ordered by iterating sets of names: a different order
# in each process (string hashes are salted per process).
_SOURCES_IN_ANOTHER_PROCESS = """
import inspect, sys
sys.path.insert(0, {tests!r})
import tangent, test_calls_soundness, test_campaign_regressions, test_python_constructs
for module, names in [(test_python_constructs, ['enumerate_of_zip', 'zip_into_one_name']),
                      (test_calls_soundness, ['calls_star_args']),
                      (test_campaign_regressions, ['loop_of_helper_calls'])]:
    for name in names:
        print(inspect.getsource(tangent.grad(getattr(module, name))))
"""


def test_generated_source_is_the_same_in_every_process():
    import os
    import subprocess
    import sys
    script = _SOURCES_IN_ANOTHER_PROCESS.format(tests=str(pathlib.Path(__file__).parent))
    sources = []
    for hash_seed in ('1', '2', '3'):
        environment = dict(os.environ, PYTHONHASHSEED=hash_seed)
        result = subprocess.run([sys.executable, '-c', script], capture_output=True,
                                text=True, env=environment, check=True)
        sources.append(result.stdout)
    assert sources[0] and sources[0] == sources[1] == sources[2]


def test_every_adjoint_has_a_tangent_and_back():
    missing_tangents = [f for f in grads.adjoints if f not in tangents.tangents]
    missing_adjoints = [f for f in tangents.tangents if f not in grads.adjoints]
    assert not missing_tangents, f'adjoints without tangents: {missing_tangents}'
    assert not missing_adjoints, f'tangents without adjoints: {missing_adjoints}'
