"""The architecture holds: layering of imports, determinism, registry coverage."""

import ast
import pathlib

import numpy as np
import pytest

import tangent
from tangent import compile as compile_
from tangent import grads, tangents

PACKAGE = pathlib.Path(tangent.__file__).parent

# The layering below is read off the tree, not kept in a list: each module
# belongs to the stage package it sits in, and the stages' imports must form
# a directed graph without cycles, whose order is then the pipeline's.
OPTIONAL_LIBRARIES = ('tensorflow', 'keras', 'tf_keras', 'jax', 'torch', 'scipy')


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob('*.py'))}


def _is_top(module):
    """Whether ``module`` is a file of the package's top (the public API), not of a stage."""
    return module in MODULES and MODULES[module].parent == PACKAGE


def _stage(module):
    """The stage package a module belongs to: its first subpackage under tangent
    (each backend is a stage of its own), or the module itself at the top."""
    parts = module.split('.')
    if len(parts) >= 3 and parts[1] == 'backends':
        return '.'.join(parts[:3])
    return '.'.join(parts[:2])


def _imports(path, at_import_time_only=False):
    """The tangent modules ``path`` imports (lazily, inside functions, too unless asked)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if at_import_time_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and \
                node.module.split('.')[0] == 'tangent':
            for alias in node.names:
                submodule = f'{node.module}.{alias.name}'
                yield submodule if submodule in MODULES else node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split('.')[0] == 'tangent':
                    yield alias.name


def _is_kept_import_path(path):
    """A top-level module that only makes an old import path name a module of the tree."""
    return 'sys.modules[__name__] = ' in path.read_text()


CORE_STAGES = {_stage(name) for name in MODULES if not _is_top(name) and
               not name.startswith('tangent.backends')}


def _cycle(graph):
    """A cycle of ``graph`` (node -> set of nodes) as a list, or None."""
    state = {}
    for start in graph:
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 'open'
        while stack:
            node, successors = stack[-1]
            for successor in successors:
                if state.get(successor) == 'open':
                    return path[path.index(successor):] + [successor]
                if successor not in state and successor in graph:
                    state[successor] = 'open'
                    stack.append((successor, iter(sorted(graph[successor]))))
                    path.append(successor)
                    break
            else:
                stack.pop()
                state[path.pop()] = 'done'
    return None


def test_the_tree_has_the_pipeline_stages():
    stages = {_stage(name) for name in MODULES if not _is_top(name)}
    assert {'tangent.syntax', 'tangent.frontend', 'tangent.transforms', 'tangent.runtime',
            'tangent.rules', 'tangent.api', 'tangent.backends.numpy',
            'tangent.backends.tensorflow'} <= stages


def test_modules_import_each_other_without_cycles():
    graph = {name: {imported for imported in _imports(path, at_import_time_only=True)
                    if imported in MODULES and imported != name}
             for name, path in MODULES.items()}
    # A package imports its own modules to re-export them: not a dependency of theirs.
    for name in graph:
        graph[name] = {m for m in graph[name] if not (MODULES[name].name == '__init__.py' and
                                                       m.startswith(name + '.'))}
    assert _cycle(graph) is None, f'import cycle: {" -> ".join(_cycle(graph))}'


def test_stages_import_each_other_without_cycles():
    graph = {}
    for name, path in MODULES.items():
        if _is_top(name) or name == 'tangent.backends':
            continue  # the public API at the top, and the backends' interface
        graph.setdefault(_stage(name), set()).update(
            _stage(imported) for imported in _imports(path)
            if not _is_top(imported) and _stage(imported) != _stage(name))
    assert _cycle(graph) is None, f'stage cycle: {" -> ".join(_cycle(graph))}'


@pytest.mark.parametrize('name', sorted(MODULES), ids=str)
def test_no_module_imports_upward_into_the_public_api(name):
    # The top of the tree (tangent/__init__, __main__, testing and the kept import
    # paths) is for users: no stage reaches back up into it.
    if _is_top(name) or name == 'tangent.backends':
        return
    for imported in _imports(MODULES[name]):
        if _is_top(imported):
            assert imported == 'tangent.errors', f'{name} imports {imported} from the top'


@pytest.mark.parametrize('name', sorted(n for n in MODULES if n.startswith('tangent.runtime')),
                         ids=str)
def test_the_runtime_imports_only_itself_and_errors(name):
    # Generated code runs with nothing but the runtime loaded.
    for imported in _imports(MODULES[name]):
        assert imported.startswith('tangent.runtime') or imported == 'tangent.errors', \
            f'{name} imports {imported}'


@pytest.mark.parametrize('name', sorted(n for n in MODULES if _stage(n) in CORE_STAGES),
                         ids=str)
def test_the_core_names_no_backend_and_no_optional_library(name):
    tree = ast.parse(MODULES[name].read_text())
    for imported in _imports(MODULES[name]):
        assert not imported.startswith('tangent.backends.'), \
            f'{name} imports the backend module {imported}: ask tangent.backends instead'
    strings = [node.value for node in ast.walk(tree)
               if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    code_strings = [s for s in strings if s.split('.')[0] in OPTIONAL_LIBRARIES]
    imports = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names]
    assert not code_strings and not any(i.split('.')[0] in OPTIONAL_LIBRARIES for i in imports)


@pytest.mark.parametrize('name', sorted(n for n in MODULES if n.startswith('tangent.backends.')),
                         ids=str)
def test_backends_build_on_the_core_and_not_on_each_other(name):
    own = _stage(name)
    for imported in _imports(MODULES[name]):
        if imported.startswith('tangent.backends.'):
            assert _stage(imported) == own, f'{name} imports another backend: {imported}'
        assert _stage(imported) not in ('tangent.frontend', 'tangent.transforms',
                                        'tangent.api'), f'{name} imports {imported}'


def test_kept_import_paths_are_the_modules_of_the_tree():
    import importlib
    kept = [name for name, path in MODULES.items() if _is_top(name) and
            _is_kept_import_path(path)]
    assert sorted(kept) == sorted(f'tangent.{name}' for name in (
        'grads', 'tangents', 'utils', 'quoting', 'compile', 'annotations', 'grad_util',
        'non_differentiable'))
    for name in kept:
        module = importlib.import_module(name)
        assert module.__name__ != name and not _is_top(module.__name__)


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
    tangent.api.cache.derivatives.clear()
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


def test_every_directory_of_the_package_is_a_regular_package():
    # setuptools' find_packages skips a directory without __init__.py (a namespace
    # package), so an installed tangent would lack it.
    for directory in {path.parent for path in PACKAGE.rglob('*.py')}:
        assert (directory / '__init__.py').exists(), f'{directory} has no __init__.py'
