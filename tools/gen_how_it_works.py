"""Write docs/how_it_works.md by running tangent on a small function.

The page walks through tangent's passes in order and shows the example
function's code after each one. Every listing on it is captured from tangent
itself (``verbose=2`` prints each intermediate stage), so the page can only
say what the code does today. Run ``python tools/gen_how_it_works.py`` after
changing a pass; ``tests/test_docs.py`` fails while the committed page
differs from what this script writes. ``--stdout`` prints the page instead of
writing it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import io
import re
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tangent  # noqa: E402
from tangent import quoting  # noqa: E402

PAGE = ROOT / 'docs' / 'how_it_works.md'

# The function the page follows through the passes, and one the fence rejects.
EXAMPLE = '''\
import numpy as np


def f(x, w):
    h = x
    for i in range(3):
        h = np.tanh(w * h)
    return np.sum(h * h) / 2.0


def uses_try(x):
    try:
        return x * x
    except ValueError:
        return x
'''

STAGE_HEADER = re.compile(r'^# ---- (.*) ----$', re.MULTILINE)

# What each stage printed by verbose=2 shows, keyed by the start of its title.
STAGE_NOTES = {
    'normal form': (
        '`desugar` and `anf`: the normal form',
        'Desugaring turns what is written as array methods and attributes '
        '(`x.sum(axis=0)`, `x.T`) into calls of the NumPy functions they mean, '
        'and `inlining` copies into the caller each user function it calls with a '
        'differentiated value (or a `lambda`), so every call runs once per '
        'evaluation of the derivative. '
        'The normaliser then gives every operation a statement of its own, '
        'assigned to a fresh, descriptive name (`w_times_h`, `sum_h_times_h`): '
        'tuple unpacking, augmented assignments, conditional expressions and '
        'comprehensions are written out, and a `return` of an expression becomes '
        'a return of a name. Each statement now has exactly one derivative rule, '
        'and each intermediate value a name its gradient can be named after '
        '(`bw_times_h`). The result is still a Python function that computes the '
        'same thing.'),
    'raw adjoint': (
        '`reverse_ad`: primal and adjoint statements',
        'Reverse mode walks the normal form once. For the forward sweep it copies '
        'each statement, first pushing onto a stack (`_stack`, the tape) any value '
        'the statement overwrites, since the backward sweep needs it back. For the '
        'backward sweep it emits, in reverse order, the adjoint template of each '
        'statement with the caller\'s names filled in, headed by a `# Grad of:` '
        'comment; a loop becomes a loop over `reversed(...)` that pops what the '
        'forward loop pushed. A `for` loop over `range` without `break` keeps '
        'one list per taped value instead (`h_saved.append(h)` forward, '
        '`h = h_saved.pop()` backward), and an item `xs[i]` of an array nothing '
        'writes is read again in the backward loop, not taped. Nothing is '
        'optimised yet: `h ** (2 - 1)` comes '
        'straight from the rule for a square.'),
    'after motion: joint': (
        '`motion`: joint',
        'Motion decides how the two sweeps are packaged. Joint motion (the '
        'default, and what `tangent.grad` uses) puts both in one function named '
        'after the original Tangent\'s convention: `d` + function + `d` + each '
        '`wrt` argument, here `dfdw`. The seed `bsum_h_times_h_over_2_0`, the '
        'gradient of the returned variable, is an extra parameter with the '
        'default `1.0`, and `tangent.check_seed` checks that `f` returned a '
        'scalar. Variables pushed before their first assignment start as '
        '`None`, and each list a loop records into as `[]`.'),
    'after optimization': (
        '`optimization`',
        'Dead-code elimination, copy propagation, constant folding and the '
        'inlining of temporaries read once remove what the derivative does not '
        'need: here the pushes and pops of values the backward sweep never '
        'reads, the `None` initialisations and the `** (2 - 1)`.'),
    'after motion: split': (
        '`motion`: split',
        'With `motion=\'split\'` the optimised joint function is cut in two: a '
        'forward function (`fdfdw`) that computes the result and returns it with '
        'the tape, and a backward function (`bdfdw`) that consumes the tape. The '
        'wrapper `dfdw(x, w, init_grad=1.0)` calls both.'),
    'raw tangent': (
        '`forward_ad`: primal and tangent statements',
        'Forward mode interleaves: after each primal statement comes the tangent '
        'template of that statement, headed by a `# Tangent of:` comment. The '
        'tangent of `w` is a new parameter `dw` after `f`\'s own.'),
}

# The same stage titles read differently in forward mode.
FORWARD_NOTES = {
    'after optimization': (
        '`optimization`',
        'The same optimization pass: primal values that no tangent reads are '
        'no longer computed, and the rule\'s `2 * h ** (2 - 1)` is folded.'),
}


def _load_example(folder: str):
    path = Path(folder) / 'how_it_works_example.py'
    path.write_text(EXAMPLE, encoding='utf-8')
    spec = importlib.util.spec_from_file_location('how_it_works_example', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, str(path)


def _stages(make_derivative) -> tuple[list[tuple[str, str]], object]:
    """Run ``make_derivative`` with stdout captured; split what verbose=2 printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        derivative = make_derivative()
    text = printed.getvalue()
    headers = list(STAGE_HEADER.finditer(text))
    stages = []
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        stages.append((header.group(1), text[header.end():end].strip('\n')))
    # verbose also prints the final source after the last stage: keep it apart.
    final = _final_source(derivative)
    if stages and stages[-1][1].endswith(final) and stages[-1][1] != final:
        title, body = stages[-1]
        stages[-1] = (title, body[:-len(final)].rstrip('\n'))
    return stages, derivative


def _final_source(derivative) -> str:
    return tangent.compile.source_of(derivative).strip('\n')


def _note(title: str, notes: dict) -> tuple[str, str]:
    for prefix, note in {**STAGE_NOTES, **notes}.items():
        if title.startswith(prefix):
            return note
    return f'`{title}`', ''


def _block(text: str, language: str = 'text') -> list[str]:
    return [f'```{language}', text.rstrip('\n'), '```']


def _stage_sections(stages, number: int | None, notes: dict | None = None) -> list[str]:
    """A section per stage: numbered ``## n.`` headings, or ``###`` when number is None."""
    lines = []
    for title, body in stages:
        heading, explanation = _note(title, notes or {})
        if number is None:
            lines += ['', f'### {heading}', '']
        else:
            lines += ['', f'## {number}. {heading}', '']
            number += 1
        if explanation:
            lines += textwrap.fill(explanation, 74).split('\n') + ['']
        lines += [f'Printed by `verbose=2` as "{title}":', '']
        lines += _block(body)
    return lines


def render() -> str:
    with tempfile.TemporaryDirectory() as folder:
        example, path = _load_example(folder)
        parsed = quoting.to_source(quoting.parse_function(example.f))
        try:
            tangent.grad(example.uses_try)
        except tangent.TangentParseError as error:
            fence_message = str(error).replace(path, Path(path).name)
        else:  # pragma: no cover - only if the fence stopped rejecting try
            fence_message = 'tangent.grad(uses_try) raised nothing'
        reverse, gradient = _stages(lambda: tangent.grad(example.f, wrt=(1,), verbose=2))
        split, _ = _stages(lambda: tangent.autodiff(
            example.f, wrt=(1,), motion='split', verbose=2,
            input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne))
        forward, _ = _stages(lambda: tangent.autodiff(example.f, wrt=(1,), mode='forward',
                                                      verbose=2))
        optimized = dict(reverse).get('after optimization')
        same_source = inspect.getsource(gradient).strip('\n') == optimized
        value = gradient(0.5, 1.5)
        eps = 1e-6
        difference = (example.f(0.5, 1.5 + eps) - example.f(0.5, 1.5 - eps)) / (2 * eps)
        pseudo_file = re.sub(r'#\d+', '#N', inspect.unwrap(gradient).__code__.co_filename)
    # Stages already shown for the joint run are not repeated for split and forward.
    shown = {title for title, _ in reverse}
    split = [(title, body) for title, body in split if title not in shown]
    forward = [(title, body) for title, body in forward if not title.startswith('normal form')]

    lines = [
        '# How tangent works',
        '',
        'Written by `python tools/gen_how_it_works.py`, which runs tangent on the',
        'function below and captures what `verbose=2` prints after each pass; a',
        'test fails when this page no longer matches what tangent does.',
        '',
        '`tangent.grad(f)` is a compiler: it reads the source of `f`, passes the',
        'syntax tree through a fixed series of transformations, one module each,',
        'and compiles the Python source that comes out. Nothing is traced and',
        'nothing is recorded at run time except the values the backward pass',
        'needs. The example follows one small function through every pass:',
        '',
    ]
    lines += _block(EXAMPLE.split('\n\n\ndef uses_try')[0], 'python')
    lines += [
        '',
        'and differentiates it with respect to `w` (`wrt=(1,)`):',
        '',
        '```python',
        'import tangent',
        '',
        'dfdw = tangent.grad(f, wrt=(1,), verbose=2)   # prints every stage below',
        '```',
    ]
    lines += _tree_section()
    lines += [
        '',
        '## 1. `syntax.quoting`: source to tree',
        '',
        '`quoting.parse_function` reads the source with `inspect.getsource`,',
        'dedents it, strips decorators and parses it into a',
        '[gast](https://github.com/serge-sans-paille/gast) tree whose line numbers',
        'are those of your file (error messages quote them). Before the conversion to',
        'gast, `shallow.split_deep_expressions` cuts any expression nested more than',
        '64 levels into pieces assigned to fresh variables, in the order Python',
        'evaluates them, so that no later pass (several of which recurse) meets an',
        'expression deeper than it can follow. `quoting.to_source`',
        'is the single way back to text, through the standard library\'s',
        '`ast.unparse`; for the example the round trip gives:',
        '',
    ]
    lines += _block(parsed)
    lines += [
        '',
        '## 2. `frontend.annotate`: what every name means',
        '',
        'Each name and call is resolved to the live object it refers to, in the',
        'function\'s globals and closure: `np.tanh` becomes `numpy.tanh`, the key',
        'of its derivative rules. Activity analysis then marks the variables that',
        'depend on a `wrt` argument; only those get derivative code. This pass',
        'changes no code: its results travel as annotations on the tree.',
        '',
        '## 3. `frontend.fence`: the supported subset',
        '',
        'Anything outside the Python that tangent differentiates is rejected',
        'here, before any code is written, with a `TangentParseError` that names',
        'the construct, the file and line, and what to write instead. For',
        '`uses_try`, a function with a `try` statement, the message is:',
        '',
    ]
    lines += _block(fence_message)
    lines += ['', 'The subset is listed in [python_subset.md](python_subset.md).']
    number = 4
    lines += _stage_sections(reverse, number)
    number += len(reverse)
    lines += _stage_sections(split, number)
    number += len(split)
    lines += [
        '',
        f'## {number}. `syntax.compile`: a live function',
        '',
        'The final source is compiled into a function whose globals are the',
        'names it uses (`np`, `tangent`, your own functions). The text is',
        f'registered with `linecache` under a pseudo file name, `{pseudo_file}`',
        'with N a counter, and no file is written; so `inspect.getsource`,',
        'tracebacks and `pdb` all show the generated code. `verbose=1` prints',
        'exactly this text: for the example, `inspect.getsource(dfdw)` equals',
        f'the source printed after the optimization pass: `{same_source}`.',
        '',
        f'## {number + 1}. `api.grad_util`: the entry point',
        '',
        '`tangent.grad` and `tangent.autodiff` run the passes above and wrap the',
        'result: they check the arguments (`wrt` in range, a function with',
        'source), cache the generated function on the function\'s code, its',
        'globals, closure and default values and the options (so a second',
        '`tangent.grad(f)` costs a dictionary lookup), and return a single',
        'gradient bare or several as a tuple. When a global, a helper or a',
        'callable attribute the derivative was written from is rebound, the',
        'next call writes it anew.',
        '',
        f'`dfdw(0.5, 1.5)` returns `{value:.6f}`; central differences of `f` in `w`',
        f'give `{difference:.6f}`.',
        '',
        f'## {number + 2}. Forward mode',
        '',
        '`tangent.autodiff(f, wrt=(1,), mode=\'forward\')` shares passes 1 to 4',
        'and then takes `forward_ad` in place of `reverse_ad`; there is no tape',
        'and no motion.',
    ]
    lines += _stage_sections(forward, None, FORWARD_NOTES)
    lines += [
        '',
        '## Seeing it for yourself',
        '',
        '`verbose=1` prints the final source of a derivative; `verbose=2` prints',
        'every stage shown here as well, each under a `# ---- title ----` line.',
        'The command line `python -m tangent file.py:f --wrt 1` prints the final',
        'source too; add `--no-optimize` to see it before the optimization pass.',
        '',
    ]
    return '\n'.join(lines)


# The stage packages in the order data flows through them, each with what it holds.
STAGES = [
    ('syntax', 'trees shared by every stage: source to tree and back, names, annotations, '
               'building nodes, compiling'),
    ('frontend', 'reading the user\'s function: resolution, the fence, desugaring, inlining, '
                 'the normal form'),
    ('rules', 'the registries of derivative rules and of functions without a derivative'),
    ('backends', 'one package per array library: its rules, the helpers they call, its '
                 'descriptor'),
    ('transforms', 'writing the derivative: templates, reverse and forward mode, motion, '
                   'checkpointing, optimization'),
    ('runtime', 'the helpers generated code calls as `tangent.<name>`; NumPy only'),
    ('api', 'the entry points, their cache, surgery and tracing'),
]


def _first_line(path: Path) -> str:
    import ast
    doc = ast.get_docstring(ast.parse(path.read_text(encoding='utf-8'))) or ''
    return doc.split('\n\n')[0].replace('\n', ' ').replace('``', '`').strip()


def _tree_section() -> list[str]:
    """The package tree, read from the modules' own docstrings."""
    package = ROOT / 'tangent'
    lines = ['', '## The tree', '',
             'Each stage of the pipeline is a package under `tangent/`; a module imports',
             'only from its own stage and those before it (`tests/test_architecture.py`',
             'reads the order from the imports and fails on a cycle).', '']
    for stage, summary in STAGES:
        lines.append(f'- `{stage}/`: {summary}.')
        for path in sorted((package / stage).rglob('*.py')):
            name = path.relative_to(package / stage).with_suffix('').as_posix()
            if name.endswith('__init__') and name != '__init__':
                name = name[:-len('/__init__')] + '/'
            elif name == '__init__':
                continue
            lines.append(f'  - `{name}`: {_first_line(path)}')
    kept = sorted(path.stem for path in package.glob('*.py')
                  if 'sys.modules[__name__] = ' in path.read_text(encoding='utf-8'))
    lines += ['', 'At the top, `__init__` exports the public API, `errors` holds the error',
              'classes, `testing` checks derivatives for rule authors, and the import paths',
              'kept from Tangent 0.1.9 (' + ', '.join(f'`tangent.{name}`' for name in kept) + ')',
              'are each the module of the tree they name.']
    return lines


if __name__ == '__main__':
    page = render()
    if '--stdout' in sys.argv[1:]:
        sys.stdout.write(page)
    else:
        PAGE.write_text(page, encoding='utf-8')
        print(f'wrote {PAGE.relative_to(ROOT)}')
