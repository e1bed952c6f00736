"""Write docs/tensorflow_coverage.md from tangent's TensorFlow rules.

Run ``python tools/gen_tf_coverage.py`` after adding or changing a rule in
``tangent/backends/tensorflow/rules.py``; ``tests/test_tensorflow.py`` fails while the
committed page differs from what this script writes. Needs TensorFlow.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tensorflow as tf  # noqa: E402

import tangent.backends.tensorflow.rules  # noqa: E402,F401 - registers the rules
from tangent import grads, non_differentiable, tangents  # noqa: E402

PAGE = ROOT / 'docs' / 'tensorflow_coverage.md'
NAMESPACES = ('tf', 'tf.math', 'tf.nn', 'tf.linalg')

NOTES = {
    'tf.cast': 'zero derivative through integer and boolean dtypes',
    'tf.einsum': 'up to three operands; no repeated index within one operand',
    'tf.gather': 'batch_dims=0',
    'tf.maximum': 'ties share the gradient equally',
    'tf.minimum': 'ties share the gradient equally',
    'tf.reduce_max': 'ties share the gradient equally',
    'tf.reduce_min': 'ties share the gradient equally',
    'tf.pad': "mode='CONSTANT'",
    'tf.nn.max_pool2d': 'tangent through MaxPoolGradGrad',
}


def _public_names() -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for prefix in NAMESPACES:
        module = eval(prefix, {'tf': tf})  # noqa: S307 - our own constant names
        for attr in sorted(dir(module)):
            if attr.startswith('_'):
                continue
            value = getattr(module, attr, None)
            if callable(value):
                names.setdefault(id(value), []).append(f'{prefix}.{attr}')
    return names


def _is_tensorflow(key) -> bool:
    return (getattr(key, '__module__', '') or '').startswith('tensorflow')


def rows() -> list[tuple[str, str, str, str]]:
    """(name, adjoint, tangent, notes) for every TensorFlow op with a rule."""
    names = _public_names()
    keys = {id(k): k for k in list(grads.adjoints) + list(tangents.tangents)
            if _is_tensorflow(k)}
    result = []
    for key_id, key in keys.items():
        public = names.get(key_id, [])
        shortest = min(public, key=len) if public else None
        if shortest is None:
            continue
        aliases = ', '.join(f'`{n}`' for n in public if n != shortest)
        notes = '; '.join(part for part in (NOTES.get(shortest, ''),
                                            f'also {aliases}' if aliases else '') if part)
        result.append((shortest, 'yes' if key in grads.adjoints else 'no',
                       'yes' if key in tangents.tangents else 'no', notes))
    return sorted(result)


def zero_derivative_names() -> list[str]:
    found = set()
    for public in _public_names().values():
        value = eval(public[0], {'tf': tf})  # noqa: S307
        if _is_tensorflow(value) and non_differentiable.is_non_differentiable(value):
            found.add(min(public, key=len))
    return sorted(found)


def render() -> str:
    table = rows()
    with_both = sum(1 for _, adjoint, tangent, _ in table if adjoint == tangent == 'yes')
    lines = [
        '# TensorFlow coverage',
        '',
        'Written by `python tools/gen_tf_coverage.py` from the rules in',
        '`tangent/backends/tensorflow/rules.py`; a test fails when this page is stale. Every rule',
        'is checked against `tf.GradientTape` (reverse, joint and split motion)',
        'and `tf.autodiff.ForwardAccumulator` (forward) by',
        '`tests/test_tensorflow.py`, and every op\'s second derivative (the three',
        'Hessian-vector-product compositions) against nested tapes. The runtime',
        'helpers the rules call have rules of their own, so generated code can be',
        'differentiated again. Tensor operators (`+ - * / ** @`, unary `-`,',
        'subscripts with integers, slices, negative steps, `...` and `None`) use',
        "tangent's generic rules, which handle tensors too.",
        '',
        f'{len(table)} TensorFlow ops have a rule; {with_both} have both.',
        '',
        '| TensorFlow | adjoint | tangent | notes |',
        '|---|---|---|---|',
    ]
    lines += [f'| `{name}` | {adjoint} | {tangent} | {notes} |'
              for name, adjoint, tangent, notes in table]
    lines += [
        '',
        '## Zero derivative',
        '',
        'Evaluated in the primal code, contributing nothing to any derivative:',
        '',
        ', '.join(f'`{name}`' for name in zero_derivative_names()),
        '',
    ]
    return '\n'.join(lines)


if __name__ == '__main__':
    PAGE.write_text(render())
    print(f'wrote {PAGE.relative_to(ROOT)}')
