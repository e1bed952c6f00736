"""The documentation stays true: names covered, code blocks run, generated pages fresh.

A fenced block is runnable when its opening fence is exactly ```python and its
first line does not start with ``# not run``; output listings are fenced as ```text. The
runnable blocks of one page run in order in a fresh Python process, sharing
one namespace. Each block is written to a real file first (its lines at the
same line numbers as in the page), because tangent reads the source of the
functions it differentiates.

Blocks that use TensorFlow (they import it or read ``tf.``) are left out when
TensorFlow is not installed (the ``tf`` extra), and the test then reports a
skip once the other blocks have passed; with TANGENT_REQUIRE_TF=1, as in CI,
they always run.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import tangent

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / 'docs'
# The pages whose code is checked here; the generated coverage pages and the
# pages other tests own are not in the list.
CHECKED_PAGES = ['getting_started.md', 'how_it_works.md', 'custom_derivatives.md',
                 'surgery_and_debugging.md', 'forward_and_higher_order.md', 'api.md',
                 'index.md', 'tensorflow.md', 'checkpointing.md', 'coming_from_autograd.md']
# README blocks known not to run as written, by their first line. The test
# fails when one of them starts to run, so that it is taken off this list.
# Names from modules that API.md promises, beyond tangent's own attributes.
MODULE_NAMES = [
    'tangent.grads', 'tangent.tangents', 'tangent.non_differentiable', 'tangent.errors',
    'tangent.grad_util', 'tangent.quoting', 'tangent.compile', 'adjoint', 'tangent_',
    'register_non_differentiable_functions', 'parse_function', 'parse_string', 'quote',
    'unquote', 'to_source', 'compile_function', 'compile_file', 'tangent.testing',
    'check_grads',
]

FENCE = re.compile(r'^(\s*)```(.*)$')
USES_TENSORFLOW = re.compile(r'^\s*(?:import|from) tensorflow\b|\btf\.', re.M)

RUNNER = '''
import json, runpy, sys, traceback
namespace, failures = {}, []
for index, path in enumerate(sys.argv[1:]):
    try:
        namespace = runpy.run_path(path, init_globals=namespace)
    except BaseException:  # report every failing block, then go on
        failures.append({'block': index, 'traceback': traceback.format_exc()})
print('@@FAILURES@@' + json.dumps(failures))
'''


def public_names() -> list[str]:
    """tangent.__all__ if it exists, else every public non-module attribute."""
    names = getattr(tangent, '__all__', None)
    if names is None:
        names = [name for name in dir(tangent) if not name.startswith('_')
                 and not isinstance(getattr(tangent, name), types.ModuleType)]
    return sorted(names)


def code_blocks(text: str) -> list[tuple[int, str, list[str]]]:
    """(first line number of the code, info string, lines) of each fenced block."""
    blocks, current = [], None
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line)
        if current is None:
            if match:
                current = (number + 1, match.group(2).strip(), [], len(match.group(1)))
        elif match and not match.group(2).strip():
            blocks.append(current[:3])
            current = None
        else:
            indent = current[3]
            current[2].append(line[indent:] if line[:indent].isspace() else line)
    assert current is None, 'a code block is not closed'
    return blocks


def runnable(blocks):
    return [(start, lines) for start, info, lines in blocks
            if info == 'python' and not (lines and lines[0].strip().startswith('# not run'))]


def tensorflow_missing() -> bool:
    """Whether TensorFlow blocks are left out: it is not installed, and CI
    (TANGENT_REQUIRE_TF=1) does not insist on it."""
    return os.environ.get('TANGENT_REQUIRE_TF') != '1' and \
        importlib.util.find_spec('tensorflow') is None


def run_blocks(page: Path, tmp_path: Path) -> tuple[list, list[dict], int]:
    """Run a page's runnable blocks in one process; return the blocks, the failures
    and how many TensorFlow blocks were left out."""
    blocks = runnable(code_blocks(page.read_text(encoding='utf-8')))
    left_out = 0
    if tensorflow_missing():
        kept = [(start, lines) for start, lines in blocks
                if not USES_TENSORFLOW.search('\n'.join(lines))]
        left_out, blocks = len(blocks) - len(kept), kept
    paths = []
    for index, (start, lines) in enumerate(blocks):
        path = tmp_path / f'{page.stem}_block_{index}.py'
        # Blank lines first, so that line numbers in tracebacks are the page's.
        path.write_text('\n' * (start - 1) + '\n'.join(lines) + '\n', encoding='utf-8')
        paths.append(str(path))
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(ROOT), env.get('PYTHONPATH')]))
    env.setdefault('MPLBACKEND', 'Agg')
    completed = subprocess.run([sys.executable, '-c', RUNNER, *paths], cwd=tmp_path, env=env,
                               stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=600)
    marker = completed.stdout.rfind('@@FAILURES@@')
    assert completed.returncode == 0 and marker >= 0, completed.stderr
    return blocks, json.loads(completed.stdout[marker + len('@@FAILURES@@'):]), left_out


def skip_if_left_out(page: Path, left_out: int) -> None:
    """Report the TensorFlow blocks that did not run, after the others passed."""
    if left_out:
        pytest.skip(f'{left_out} block(s) of {page.name} use TensorFlow, which is not '
                    f'installed (the tf extra); the other blocks ran and passed. Set '
                    f'TANGENT_REQUIRE_TF=1 to insist.')


def describe(page: Path, blocks, failures) -> str:
    return '\n'.join(f'{page.name}, block starting at line {blocks[f["block"]][0]}:\n'
                     f'{f["traceback"]}' for f in failures)


# (a) every public name is documented ------------------------------------------------

def test_every_public_name_is_in_the_api_reference():
    text = (DOCS / 'api.md').read_text(encoding='utf-8')
    missing = [name for name in public_names() + MODULE_NAMES
               if not re.search(rf'`(?:tangent\.)?{re.escape(name)}[`(\[]', text)]
    assert not missing, f'docs/api.md does not document: {", ".join(missing)}'


def test_the_index_links_every_page():
    text = (DOCS / 'index.md').read_text(encoding='utf-8')
    pages = sorted(path.name for path in DOCS.glob('*.md') if path.name != 'index.md')
    unlinked = [name for name in pages if f']({name})' not in text]
    assert not unlinked, f'docs/index.md does not link: {", ".join(unlinked)}'


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings, as GitHub makes them."""
    text = page.read_text(encoding='utf-8')
    headings = re.findall(r'^#+ (.*)$', re.sub(r'```.*?```', '', text, flags=re.S), re.M)
    return {re.sub(r'[^\w\- ]', '', heading.lower()).replace(' ', '-') for heading in headings}


def test_links_between_pages_resolve():
    for name in CHECKED_PAGES:
        page = DOCS / name
        text = page.read_text(encoding='utf-8')
        for target, anchor in re.findall(r'\]\(([^)#\s]*)(?:#([^)\s]*))?\)', text):
            if target.startswith(('http://', 'https://')):
                continue
            linked = (DOCS / target).resolve() if target else page
            assert linked.exists(), f'{name} links to a missing file: {target}'
            if anchor:
                assert linked.suffix == '.md' and anchor in anchors(linked), \
                    f'{name} links to a missing heading: {target}#{anchor}'


# (b) the code blocks run ----------------------------------------------------------------

def test_the_block_parser():
    text = ('x\n```python\na = 1\n```\n```text\nout\n```\n'
            '```python\n# not run: interactive\nb\n```\n')
    blocks = code_blocks(text)
    assert [(start, info) for start, info, _ in blocks] == [(3, 'python'), (6, 'text'),
                                                           (9, 'python')]
    assert runnable(blocks) == [(3, ['a = 1'])]


def test_blocks_using_tensorflow_are_recognised():
    assert USES_TENSORFLOW.search('import numpy as np\nimport tensorflow as tf')
    assert USES_TENSORFLOW.search('from tensorflow import keras')
    assert USES_TENSORFLOW.search('v = tf.ones_like(w)')
    assert not USES_TENSORFLOW.search('dtf_loss = 1.0\nleft.append(x)\n# tensorflow.md')


def test_tensorflow_blocks_run_when_ci_insists(monkeypatch):
    monkeypatch.setenv('TANGENT_REQUIRE_TF', '1')
    assert not tensorflow_missing()


@pytest.mark.parametrize('name', CHECKED_PAGES)
def test_runnable_blocks_of_the_docs_run(name, tmp_path):
    page = DOCS / name
    blocks, failures, left_out = run_blocks(page, tmp_path)
    assert not failures, describe(page, blocks, failures)
    skip_if_left_out(page, left_out)


def test_runnable_blocks_of_the_readme_run(tmp_path):
    page = ROOT / 'README.md'
    blocks, failures, left_out = run_blocks(page, tmp_path)
    assert not failures, describe(page, blocks, failures)
    skip_if_left_out(page, left_out)


# (c) the generated page is fresh ---------------------------------------------------------

def test_how_it_works_is_up_to_date():
    script = ROOT / 'tools' / 'gen_how_it_works.py'
    # A fresh process: tangent's cache and registries are as a user's would be.
    completed = subprocess.run([sys.executable, str(script), '--stdout'], capture_output=True,
                               text=True, timeout=600, cwd=ROOT)
    assert completed.returncode == 0, completed.stderr
    assert (DOCS / 'how_it_works.md').read_text(encoding='utf-8') == completed.stdout, (
        'docs/how_it_works.md is stale: run python tools/gen_how_it_works.py')
