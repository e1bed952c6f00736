"""Write docs/jax_coverage.md from tangent's derivative registries.

Run ``python tools/gen_jax_coverage.py`` after adding or changing a JAX rule (in
``tangent/backends/jax/``); ``tests/test_jax_docs.py`` fails while the committed
page differs from what this script writes. Needs JAX.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tangent import backends, grads, tangents  # noqa: E402

PAGE = ROOT / 'docs' / 'jax_coverage.md'
# The public namespaces searched for names, in the order a name is preferred.
NAMESPACES = ('jax.numpy', 'jax.numpy.linalg', 'jax.nn', 'jax.lax', 'jax.lax.linalg',
              'jax.scipy.linalg')
SHORT = {'jax.numpy': 'jnp', 'jax.numpy.linalg': 'jnp.linalg', 'jax.nn': 'jax.nn',
         'jax.lax': 'jax.lax', 'jax.lax.linalg': 'jax.lax.linalg',
         'jax.scipy.linalg': 'jax.scipy.linalg'}

# What a user should know about a rule beyond "it exists", by public name.
NOTES = {
    'jnp.asarray': ('a cast (x.astype(dtype)): the derivative cast back; 0 through a cast '
                    'to integers'),
    'jnp.prod': 'exact at zeros (no division); initial= and where= raise',
    'jnp.nansum': 'NaNs get no derivative; initial= and where= raise',
    'jnp.max': 'ties share the gradient equally',
    'jnp.min': 'ties share the gradient equally',
    'jnp.amax': 'ties share the gradient equally',
    'jnp.amin': 'ties share the gradient equally',
    'jnp.maximum': 'a tie gives each side half',
    'jnp.minimum': 'a tie gives each side half',
    'jnp.fmax': 'a tie gives each side half',
    'jnp.fmin': 'a tie gives each side half',
    'jax.lax.max': 'a tie gives each side half',
    'jax.lax.min': 'a tie gives each side half',
    'jnp.abs': 'real arguments; derivative 0 at 0',
    'jnp.clip': 'in the array and in both bounds',
    'jnp.where': 'in x and y; the condition has no derivative',
    'jnp.sort': 'the gradient goes back to where each element came from',
    'jnp.repeat': 'a whole number of repeats (an int); an array of repeats raises',
    'jnp.diff': 'prepend= and append= raise',
    'jnp.linalg.norm': 'the default norm (ord=None: 2-norm, Frobenius); another ord raises',
    'jnp.linalg.solve': ('in a and b; b a vector (1-D) or a stack of matrices, batch '
                         'dimensions broadcast'),
    'jax.scipy.linalg.solve_triangular': ('in a (the triangle it reads) and b; any trans, '
                                          'lower, unit_diagonal'),
    'jax.lax.linalg.triangular_solve': ('in a (the triangle it reads) and b; either side, '
                                        'transpose_a, lower, unit_diagonal'),
    'jnp.split': 'pieces left unused get a zero gradient',
    'jnp.array_split': 'pieces left unused get a zero gradient',
    'jax.nn.logsumexp': 'any axis, keepdims; weights b, return_sign= and where= raise',
    'jax.nn.gelu': 'approximate=True and False',
    'jax.nn.elu': 'in x and alpha',
    'jax.nn.celu': 'in x and alpha',
    'jax.nn.leaky_relu': 'in x and negative_slope',
    'jnp.nan_to_num': 'in x (finite values) and in nan, posinf, neginf',
    'jax.lax.polygamma': 'in x; the order m is a whole number, not differentiated',
    'jax.lax.integer_pow': 'in x; the exponent is a Python int',
    'jax.lax.stop_gradient': 'derivative 0',
    'jnp.mod': 'slope 1 in x1, -floor(x1 / x2) in x2 (between the jumps)',
    'jnp.remainder': 'slope 1 in x1, -floor(x1 / x2) in x2 (between the jumps)',
    'jnp.fmod': 'slope 1 in x1, -trunc(x1 / x2) in x2 (between the jumps)',
}


def _load_rules() -> None:
    """The JAX backend's rules, as a differentiated function using JAX loads them."""
    import jax  # noqa: F401 - the backend's library
    for backend in backends.registered():
        if backend.name == 'jax':
            backends.load(backend)


def _public() -> list[tuple[str, object]]:
    import importlib
    found = []
    for namespace in NAMESPACES:
        module = importlib.import_module(namespace)
        found += [(f'{SHORT[namespace]}.{attr}', getattr(module, attr))
                  for attr in sorted(dir(module)) if not attr.startswith('_')]
    return found


def rows() -> list[tuple[str, str, str, str]]:
    """(name, adjoint, tangent, notes) for every public JAX function with a rule."""
    _load_rules()
    public = _public()
    keys = [key for key in list(grads.adjoints) + list(tangents.tangents)
            if getattr(backends.owner_of(key), 'name', None) == 'jax']
    result = set()
    for key in keys:
        for name, value in public:
            if value is key:
                result.add((name, 'yes' if key in grads.adjoints else 'no',
                            'yes' if key in tangents.tangents else 'no', NOTES.get(name, '')))
    return sorted(result)


def render() -> str:
    table = rows()
    with_both = sum(1 for _, adjoint, tangent, _ in table if adjoint == tangent == 'yes')
    lines = [
        '# JAX coverage',
        '',
        'Written by `python tools/gen_jax_coverage.py` from the registries, after',
        'loading the JAX backend (`tangent/backends/jax/`); a test fails when this',
        'page is stale. The JAX rules load the first time a differentiated function',
        'uses JAX; `import tangent` does not import JAX. See [JAX](jax.md) for how',
        'to use them.',
        '',
        f'{len(table)} public JAX names have a rule; {with_both} have both (an adjoint',
        'for reverse mode and a tangent for forward mode). A name listed under two',
        'namespaces (`jnp.abs`, `jax.lax.abs`) counts twice when they are two functions.',
        '`tests/test_jax_backend.py` checks every one against JAX\'s own autodiff:',
        '`jax.grad` (reverse), `jax.jvp` (forward) and `jax.jvp(jax.grad(f))` (second',
        'order, forward over reverse), in float64. The helpers generated code calls',
        'have rules of their own, so a derivative can be differentiated again.',
        '',
        'Array methods (`x.sum(axis=0)`, `x.T`, `x.reshape(2, 3)`, `x.max()`, ...)',
        'use the rule of the `jnp` function they mean, in a function that uses JAX.',
        'Indexing reads (`x[i]`, slices, integer arrays) are differentiated; their',
        'gradients are scattered back with `x.at[i].add(...)`.',
    ]
    for namespace in NAMESPACES:
        prefix = SHORT[namespace] + '.'
        group = [row for row in table if row[0].startswith(prefix)
                 and '.' not in row[0][len(prefix):]]
        lines += ['', f'## {SHORT[namespace]}', '']
        lines += ['| function | adjoint | tangent | notes |', '|---|---|---|---|']
        lines += [f'| `{name}` | {adjoint} | {tangent} | {notes} |'
                  for name, adjoint, tangent, notes in group]
    lines += [
        '',
        'A JAX function without a rule (`jnp.einsum`, `jnp.median`, ...) raises',
        '`tangent.ReverseNotImplementedError` (or `ForwardNotImplementedError`) naming',
        'it: tangent never differentiates JAX\'s own source.',
        '[Custom derivatives](custom_derivatives.md) shows how to register a rule.',
        '',
    ]
    return '\n'.join(lines)


if __name__ == '__main__':
    PAGE.write_text(render())
    print(f'wrote {PAGE.relative_to(ROOT)}')
