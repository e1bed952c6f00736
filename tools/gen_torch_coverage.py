"""Write docs/torch_coverage.md from tangent's derivative registries.

Run ``python tools/gen_torch_coverage.py`` after adding or changing a PyTorch rule
(in ``tangent/backends/torch/``); ``tests/test_torch_coverage.py`` fails while the
committed page differs from what this script writes. Needs PyTorch.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
import torch.linalg  # noqa: F401 - its public names are listed
import torch.nn.functional  # noqa: F401
import torch.special  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tangent import backends, grads, tangents  # noqa: E402

PAGE = ROOT / 'docs' / 'torch_coverage.md'
MODULES = ('torch', 'torch.nn.functional', 'torch.special', 'torch.linalg')

# What a user should know about a rule beyond "it exists", by public name.
NOTES = {
    'torch.div': 'rounding_mode raises (piecewise constant)',
    'torch.logit': 'eps raises (it clamps the input)',
    'torch.nn.functional.gelu': "approximate='none' only; 'tanh' raises",
    'torch.nn.functional.pad': "mode='constant' only",
    'torch.nn.functional.cross_entropy': ('class-index targets; weight, ignore_index hits and '
                                          'label_smoothing raise'),
    'torch.nn.functional.binary_cross_entropy_with_logits': 'weight and pos_weight raise',
    'torch.softmax': 'dim is required (the implicit choice raises)',
    'torch.nn.functional.softmax': 'dim is required (the implicit choice raises)',
    'torch.amax': 'ties share the gradient equally',
    'torch.amin': 'ties share the gradient equally',
    'torch.prod': 'exact with zeros',
    'torch.maximum': 'ties share the gradient equally',
    'torch.minimum': 'ties share the gradient equally',
}


def _load_rules() -> None:
    for backend in backends.registered():
        if backend.name == 'torch':
            backends.load(backend)


def _public() -> list[tuple[str, object]]:
    items = []
    for module_name in MODULES:
        module = sys.modules[module_name]
        items += [(f'{module_name}.{attr}', getattr(module, attr, None))
                  for attr in sorted(dir(module)) if not attr.startswith('_')]
    return items


def rows() -> list[tuple[str, str, str, str]]:
    """(name, adjoint, tangent, notes) for every public PyTorch function with a rule."""
    _load_rules()
    result = []
    for name, value in _public():
        if not callable(value) or isinstance(value, type):
            continue
        try:
            has_adjoint, has_tangent = value in grads.adjoints, value in tangents.tangents
        except TypeError:  # unhashable
            continue
        if has_adjoint or has_tangent:
            result.append((name, 'yes' if has_adjoint else 'no',
                           'yes' if has_tangent else 'no', NOTES.get(name, '')))
    return result


def methods() -> list[str]:
    """The tensor methods and attributes that mean a function with rules."""
    _load_rules()
    from tangent.backends.torch.helpers import IN_PLACE_METHODS
    from tangent.backends.torch.rules import ARRAY_METHODS
    return sorted((set(ARRAY_METHODS.methods) | set(ARRAY_METHODS.shape_methods) |
                   set(ARRAY_METHODS.attributes)) - set(IN_PLACE_METHODS))


def render() -> str:
    table = rows()
    with_both = sum(1 for _, adjoint, tangent, _ in table if adjoint == tangent == 'yes')
    lines = [
        '# PyTorch coverage',
        '',
        'Written by `python tools/gen_torch_coverage.py` from the registries, after',
        'loading the PyTorch backend (`tangent/backends/torch/`); a test fails when this',
        'page is stale. The rules load the first time a differentiated function uses',
        'PyTorch; `import tangent` does not import PyTorch. See [PyTorch](pytorch.md).',
        '',
        f'{len(table)} public names (an alias counts once per name) have a rule; '
        f'{with_both} have both',
        'the adjoint (reverse mode) and the tangent (forward mode). Every rule is',
        'written with functions that have rules, so second-order derivatives',
        '(Hessian-vector products) work through it: `tests/test_torch_backend.py`',
        'checks each against `torch.autograd.grad`, `torch.func.jvp` and a',
        'forward-over-reverse Hessian-vector product of `torch.func`, on float64.',
    ]
    for module in MODULES:
        group = [row for row in table if row[0].rpartition('.')[0] == module]
        lines += ['', f'## {module}', '']
        lines += ['| function | adjoint | tangent | notes |', '|---|---|---|---|']
        lines += [f'| `{name}` | {adjoint} | {tangent} | {notes} |'
                  for name, adjoint, tangent, notes in group]
    lines += [
        '',
        '## Tensor methods',
        '',
        'In a function that names `torch`, these methods and attributes of a tensor',
        'mean the function of the same name (`x.view(6)` and `x.reshape(2, 3)` are',
        '`torch.reshape`, `x.T` is `torch.t`), so the rules above apply:',
        '',
        ', '.join(f'`{name}`' for name in methods()),
        '',
        'An in-place method (`x.add_(y)`, any method whose name ends in `_`) raises an',
        'error naming it in a differentiated function: write `x = x + y`.',
        '',
        'A PyTorch function without a rule raises an error naming it when you',
        'differentiate through it; `docs/custom_derivatives.md` shows how to register one.',
        '',
    ]
    return '\n'.join(lines)


if __name__ == '__main__':
    PAGE.write_text(render())
    print(f'wrote {PAGE.relative_to(ROOT)}')
