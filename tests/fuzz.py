"""Random differentiable programs, differentiated in every mode and checked.

The generator writes small NumPy programs as source text: straight-line
arithmetic and ufuncs on Python floats and arrays of shape (3,), ``if/elif/else``
on data, ``for`` loops over ranges, arrays, lists and ``enumerate``, ``while``
loops with counters, ``break`` and ``continue``, lists, tuples and dicts built,
written and indexed, and a second module-level function called as a
subroutine. Every operation is kept inside its domain by construction: ``exp``
only sees bounded values, ``log`` and ``sqrt`` positive ones, and denominators
are bounded away from zero.

Each program is written to a real ``.py`` file (tangent reads source with
``inspect.getsource``), imported, and differentiated six ways: reverse mode
with joint and split motion, optimized and not, and forward mode optimized and
not. Every result is compared with central finite differences of the original
function and the modes are compared with each other at a much tighter
tolerance.

Programs on which finite differences are not a trustworthy reference are
discarded and counted, never checked with a looser tolerance: a data-dependent
comparison that comes within ``BRANCH_MARGIN`` of switching (measured by
running an instrumented copy of the program), a result or any intermediate
value past ``VALUE_LIMIT`` (rounding at that magnitude is larger than the
finite-difference tolerance, and where such terms cancel, finite differences
see no change at all), an intermediate value that overflows or turns NaN (even
one the result does not depend on: its adjoint is 0 * inf), or finite
differences at two step sizes that disagree. The axis reductions ``np.max``
and ``np.min`` of the idioms (below) are measured like comparisons: the gap
between the two extreme items along the axis is a branch margin (a tie there
has no derivative, and where both sides are smooth, finite differences at
two steps agree on the average of the two).

With ``--order 2``, every program that passes at first order is also
differentiated twice, each second-order composition built as
``tangent.testing.check_grads(order=2)`` builds it (``autodiff`` of the
inner derivative, its seed or tangents held): forward over reverse (the
Hessian-vector product H v along the forward tangents v), reverse over
reverse (the gradient seeded with v), reverse over forward and forward over
forward (v.H v). The reference is independent of second-order machinery:
central differences, by the suite's one oracle (``tests/reference.py``), of
tangent's first-order gradient (reverse joint, just checked), along v for
forward over reverse and of its projection on v for the reverse-over
compositions; a reference that disagrees between the two steps (a kink in
the gradient) discards the program. A wrong number, a wrong shape, an
internal error (``KeyError``, ``TypeError``, ...) or compositions that
disagree is a failure. A tangent ``NotImplementedError``
(``ForwardNotImplementedError``, ``ReverseNotImplementedError``) naming a
function of the program (``tangent.no_second_derivative`` for a rule whose
own derivative is missing, or a user function without a rule for the outer
mode) is the clear error tangent documents for what it does not
differentiate: the program counts as unsupported, its other compositions
still checked, and the summary lists these errors by message. The same
error for a call inside tangent's own helpers (``getattr`` in a helper of a
first-order rule) names nothing the program wrote: it is a failure ("raised
... in a tangent helper"). At order 2
the generator also writes the constructs second order has broken on (the
``idioms``): list and dict comprehensions and generator expressions, ``map`` of
ufuncs and lambdas, lists appended in a loop then made into an array with
``np.array``, ``np.stack`` or ``np.concatenate``, axis reductions
(``np.max(m, axis=0)``), and well-conditioned 3x3 matrices with
``np.linalg.solve``, ``inv``, ``det``, ``slogdet``, ``norm`` and ``qr``, also on a
batch of three such matrices (``det``, ``slogdet``, ``inv``, ``norm`` and ``qr`` of
the stack, a vector times each, ``np.einsum``, ``solve`` with one vector for every
matrix or a matrix broadcast against the stack, ``cholesky`` of each Gram matrix with
either factor, ``np.cross`` of the vectors along one of its axes); order
1 draws the same programs as before.

The same generator is driven by a ``random.Random`` (the command line) or by
hypothesis's ``st.data()`` (``tests/test_fuzz.py``), so campaigns are
reproducible from a seed and pytest failures shrink to small programs::

    python -m tests.fuzz --examples 2000 --seed 1 [--jobs 2] [--only INDEX]
    python -m tests.fuzz --examples 300 --seed 1 --order 2 [--reduce 60]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import itertools
import math
import os
import random
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

import tangent

if __package__:  # run as ``python -m tests.fuzz`` from the repository root
    from .reference import numerical_grad, numerical_jvp
else:  # imported as ``fuzz`` by the test suite, with tests/ on sys.path (conftest.py)
    from reference import numerical_grad, numerical_jvp

SCALAR = 'scalar'
VECTOR = 'vector'
SIZE = 3  # the length of every array in a generated program

MAX_NESTING = 2  # compound statements inside compound statements
BRANCH_MARGIN = 1e-3  # a data comparison closer than this to switching is ill-conditioned
VALUE_LIMIT = 1e4  # rounding of larger values, over STEP, exceeds ATOL
STEP = 1e-6  # the finite-difference step the derivatives are compared with
CHECK_STEP = 1e-5  # the second step; the two must agree for the program to be kept
RTOL, ATOL = 1e-5, 1e-6  # derivative against finite differences
JUMP_TOLERANCE = 1e-8  # the value at the point against the mean of its neighbours
MODE_RTOL, MODE_ATOL = 1e-8, 1e-10  # one mode against another (same maths, other order)


# Sources of choices ------------------------------------------------------------------

class RandomChooser:
    """Choices drawn from a seeded ``random.Random``: fully reproducible."""

    def __init__(self, seed: Any):
        self.rng = random.Random(seed)

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def choice(self, options: Sequence[Any]) -> Any:
        return options[self.rng.randrange(len(options))]

    def maybe(self, probability: float) -> bool:
        return self.rng.random() < probability

    def real(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high)


class DataChooser:
    """Choices drawn from hypothesis's ``st.data()``, so failures shrink.

    Hypothesis shrinks integers towards their lower bound and ``sampled_from``
    towards the first option, and ``maybe`` towards False; the generator is
    written so that those mean "simpler".
    """

    def __init__(self, data: Any):
        from hypothesis import strategies as st
        self.data = data
        self.st = st

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(self.st.integers(low, high))

    def choice(self, options: Sequence[Any]) -> Any:
        return self.data.draw(self.st.sampled_from(list(options)))

    def maybe(self, probability: float) -> bool:
        return self.data.draw(self.st.integers(0, 99)) >= 100 - round(100 * probability)

    def real(self, low: float, high: float) -> float:
        return self.data.draw(self.st.floats(low, high, allow_nan=False,
                                             allow_infinity=False))


# Program representation --------------------------------------------------------------

@dataclass
class Compare:
    """``left op right``; a data comparison is instrumented to measure its margin."""
    left: str
    op: str
    right: str
    data: bool = True

    def render(self, instrument: bool) -> str:
        if instrument and self.data:
            return f'_cmp({self.left}, {self.op!r}, {self.right})'
        return f'{self.left} {self.op} {self.right}'


@dataclass
class Condition:
    parts: list[Compare]

    def render(self, instrument: bool) -> str:
        return ' and '.join(part.render(instrument) for part in self.parts)


@dataclass
class Line:
    text: str


@dataclass
class If:
    test: Condition
    body: list
    orelse: list = field(default_factory=list)


@dataclass
class For:
    target: str
    iterable: str
    body: list


@dataclass
class While:
    test: Condition
    body: list


@dataclass
class Function:
    name: str
    params: list[str]
    body: list
    result: list[str]  # returned expressions: summed terms, or tuple items
    joiner: str = ' + '
    decorators: list[str] = field(default_factory=list)


def render_block(statements: list, indent: int, instrument: bool) -> list[str]:
    pad = '    ' * indent
    lines = []
    for statement in statements:
        if isinstance(statement, Line):
            lines.append(pad + statement.text)
        elif isinstance(statement, If):
            keyword = 'if'
            while True:
                lines.append(f'{pad}{keyword} {statement.test.render(instrument)}:')
                lines += render_block(statement.body, indent + 1, instrument)
                orelse = statement.orelse
                if len(orelse) == 1 and isinstance(orelse[0], If):
                    statement, keyword = orelse[0], 'elif'
                    continue
                if orelse:
                    lines.append(f'{pad}else:')
                    lines += render_block(orelse, indent + 1, instrument)
                break
        elif isinstance(statement, For):
            lines.append(f'{pad}for {statement.target} in {statement.iterable}:')
            lines += render_block(statement.body, indent + 1, instrument)
        elif isinstance(statement, While):
            lines.append(f'{pad}while {statement.test.render(instrument)}:')
            lines += render_block(statement.body, indent + 1, instrument)
        else:
            raise TypeError(f'not a statement: {statement!r}')
    if not statements:
        lines.append(pad + 'pass')
    return lines


def render_function(function: Function, instrument: bool) -> str:
    lines = [f'@{decorator}' for decorator in function.decorators]
    lines.append(f'def {function.name}({", ".join(function.params)}):')
    lines += render_block(function.body, 1, instrument)
    lines.append(f'    return {function.joiner.join(function.result)}')
    return '\n'.join(lines)


@dataclass
class Program:
    """A generated module, the point to differentiate it at and the tangents to push."""
    functions: list[Function]
    args: tuple
    wrt: tuple[int, ...]
    directions: tuple  # forward-mode tangents, one per wrt argument
    main: str = 'f'
    preamble: list[str] = field(default_factory=list)  # module lines before the functions
    postamble: list[str] = field(default_factory=list)  # and after them (globals rebound)

    def source(self, instrument: bool = False) -> str:
        body = '\n\n\n'.join(render_function(f, instrument) for f in self.functions)
        if instrument:  # the idioms' axis reductions and QR, to measure their ties
            body = body.replace('np.max(', '_max(').replace('np.min(', '_min(')
            body = body.replace('np.linalg.qr(', '_qr(')
        before = '\n'.join(self.preamble) + '\n\n\n' if self.preamble else ''
        after = '\n\n' + '\n'.join(self.postamble) + '\n' if self.postamble else ''
        return f'import numpy as np\n\n\n{before}{body}\n{after}'

    def describe_args(self) -> str:
        return '(' + ', '.join(_literal(arg) for arg in self.args) + ')'


def _literal(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f'np.array({value.tolist()!r})'
    return repr(value)


# The generator -----------------------------------------------------------------------

@dataclass
class Var:
    name: str
    kind: str
    writable: bool = True
    counter: bool = False  # a loop's counter: an int, never data


@dataclass
class Container:
    name: str
    form: str  # 'list', 'tuple' or 'dict'
    keys: list[str]  # subscripts, as source text: a prefix of the items at run time
    kinds: list[str]  # the kind of the element under each key
    appendable: bool = True  # False inside a loop over this very list
    made_in: str | None = None  # the innermost loop whose body made it
    # Longer at run time than `keys` says, by a number of items the generator does
    # not know (appended in a loop that did not make it, in a branch that may not
    # have run, or copied from a sequence of unknown length).
    grows: bool = False
    tail: frozenset = frozenset()  # the kinds the items past `keys` may have
    # Code that a loop may run again (an iteration over it, a copy of it) relied on
    # its element kinds: appending in that loop must not add a kind.
    settled: bool = False

    @property
    def element_kinds(self) -> set[str]:
        return set(self.kinds) | (set(self.tail) if self.grows else set())

    @property
    def homogeneous(self) -> bool:
        return len(self.element_kinds) == 1


class Scope:
    """The names a block may read, with their kinds; a child forgets its new names."""

    def __init__(self, variables: Sequence[Var] = (), containers: Sequence[Container] = ()):
        self.variables = list(variables)
        self.containers = list(containers)

    def child(self) -> Scope:
        return Scope(self.variables, self.containers)

    def of_kind(self, kind: str, writable: bool = False) -> list[Var]:
        return [v for v in self.variables if v.kind == kind and (v.writable or not writable)]

    def bind(self, name: str, kind: str, writable: bool = True,
             counter: bool = False) -> None:
        self.variables = [v for v in self.variables if v.name != name]
        self.variables.append(Var(name, kind, writable, counter))

    def add(self, container: Container) -> None:
        self.containers.append(container)


@dataclass
class Subroutine:
    name: str
    param_kinds: list[str]
    result_kinds: list[str]  # one kind, or two for a tuple result
    random: str | None = None  # 'state': draws from an ``rs`` passed first; 'global': np.random
    default: str | None = None  # a scalar parameter with a default, after the others
    star: str | None = None  # a ``*args`` parameter taking extra scalars
    keyword_only: str | None = None  # a keyword-only scalar parameter with a default


# Helpers that count their calls: the program's module holds one ``Counter``, and
# every evaluation of a derivative must tick it as often as one run of the program.
COUNTER_NAME = 'CALLS'
COUNTER_SOURCE = ['class Counter:', '    def __init__(self):', '        self.n = 0', '',
                  '    def tick(self):', '        self.n += 1', '', '',
                  f'{COUNTER_NAME} = Counter()']


class Generator:
    """Draws one random program from a chooser (``RandomChooser`` or ``DataChooser``)."""

    def __init__(self, chooser: Any, loop_escapes: bool = True, idioms: bool = False):
        self.draw = chooser
        self.loop_escapes = loop_escapes  # read loop variables after their loop
        self.idioms = idioms  # comprehensions, map, append-then-stack, matrices, linalg
        self.names = itertools.count()
        self.subroutine: Subroutine | None = None
        self.in_subroutine = False
        self.in_call = False

    def fresh(self, prefix: str) -> str:
        return f'{prefix}{next(self.names)}'

    def constant(self, low: float = -2.0, high: float = 2.0) -> str:
        value = round(self.draw.real(low, high), 2)
        return repr(value + 0.0)  # never '-0.0'

    def vector_constant(self) -> str:
        return f'np.array([{", ".join(self.constant() for _ in range(SIZE))}])'

    def index(self) -> int:
        return self.draw.integer(0, SIZE - 1)

    # Expressions ---------------------------------------------------------------------

    def leaf(self, scope: Scope, kind: str) -> str:
        options = [v.name for v in scope.of_kind(kind)] * 3
        for container in scope.containers:
            options += [f'{container.name}[{key}]'
                        for key, k in zip(container.keys, container.kinds) if k == kind]
        if kind == SCALAR:
            vectors = [v.name for v in scope.of_kind(VECTOR)]
            options += [f'{v}[{self.index()}]' for v in vectors]
            options += [f'np.sum({v})' for v in vectors]
        if self.can_call(kind) and self.draw.maybe(0.1):
            return self.call_expression(scope)
        if kind == VECTOR and not options and self.draw.maybe(0.7):
            # np.array of scalars: a vector that depends on the scalar inputs
            return f'np.array([{", ".join(self.leaf(scope, SCALAR) for _ in range(SIZE))}])'
        if not options or not self.draw.maybe(0.9):
            return self.constant() if kind == SCALAR else self.vector_constant()
        return self.draw.choice(options)

    def bounded(self, a: str) -> str:
        return self.draw.choice([f'np.sin({a})', f'np.tanh({a})', f'np.cos({a})',
                                 f'0.5 * np.tanh({a})'])

    def positive(self, a: str) -> str:
        return self.draw.choice([f'1.0 + ({a}) * ({a})', f'1.5 + np.cos({a})',
                                 f'np.exp(np.sin({a}))', f'2.0 + np.tanh({a})'])

    def unary(self, a: str) -> str:
        form = self.draw.choice(['sin', 'cos', 'tanh', 'exp', 'log', 'sqrt', 'square',
                                 'power', 'negative', 'self_product'])
        if form in ('sin', 'cos', 'tanh'):
            return f'np.{form}({a})'
        if form == 'exp':
            return f'np.exp({self.bounded(a)})'
        if form in ('log', 'sqrt'):
            return f'np.{form}({self.positive(a)})'
        if form == 'square':
            return f'np.square({a})'
        if form == 'power':  # integer exponents, 0 and 1 included (exact at a == 0)
            return f'({a}) ** {self.draw.choice([2, 3, 0, 1])}'
        if form == 'negative':
            return f'-({a})'
        return f'({a}) * ({a})'

    def binary(self, a: str, b: str) -> str:
        op = self.draw.choice(['+', '*', '-', '/'])
        if op == '/':
            return f'({a}) / ({self.positive(b)})'
        return f'({a}) {op} ({b})'

    def expression(self, scope: Scope, kind: str, depth: int = 2) -> str:
        if depth <= 0 or not self.draw.maybe(0.75):
            return self.leaf(scope, kind)
        if kind == SCALAR:
            form = self.draw.choice(['unary', 'binary', 'reduce', 'binary', 'index'])
        else:
            form = self.draw.choice(['unary', 'binary', 'mixed', 'binary'])
        if form == 'unary':
            return self.unary(self.expression(scope, kind, depth - 1))
        if form == 'binary':
            return self.binary(self.expression(scope, kind, depth - 1),
                               self.expression(scope, kind, depth - 1))
        if form == 'mixed':
            vector = self.expression(scope, VECTOR, depth - 1)
            scalar = self.expression(scope, SCALAR, depth - 1)
            if self.draw.maybe(0.5):
                return self.binary(scalar, vector)
            return self.binary(vector, scalar)
        if form == 'reduce':
            vector = self.expression(scope, VECTOR, depth - 1)
            reduction = self.draw.choice(['sum', 'mean', 'dot'])
            if reduction == 'dot':
                return f'np.dot({vector}, {self.expression(scope, VECTOR, depth - 1)})'
            return f'np.{reduction}({vector})'
        return f'({self.expression(scope, VECTOR, depth - 1)})[{self.index()}]'

    def condition(self, scope: Scope) -> Condition:
        left = self.expression(scope, SCALAR, 1)
        parts = [Compare(left, self.draw.choice(['>', '<']), self.constant(-1.0, 1.0))]
        if self.draw.maybe(0.15):
            left = self.expression(scope, SCALAR, 1)
            parts.append(Compare(left, self.draw.choice(['>', '<']), self.constant(-1.0, 1.0)))
        return Condition(parts)

    # Subroutine calls ----------------------------------------------------------------

    def can_call(self, kind: str) -> bool:
        sub = self.subroutine
        return (sub is not None and not self.in_subroutine and not self.in_call
                and len(sub.result_kinds) == 1 and sub.result_kinds[0] == kind)

    def call_expression(self, scope: Scope) -> str:
        sub = self.subroutine
        self.in_call = True  # no calls in the arguments of a call
        args = [self.expression(scope, kind, 1) for kind in sub.param_kinds]
        if sub.random == 'state':
            args.insert(0, 'rs')
        keywords = []
        extras = ([self.expression(scope, SCALAR, 1) for _ in range(self.draw.integer(0, 2))]
                  if sub.star else [])
        if sub.default:
            # extra positional values fill the defaulted parameter first
            how = 'positional' if extras else self.draw.choice(['omit', 'keyword', 'positional'])
            if how == 'positional':
                args.append(self.expression(scope, SCALAR, 1))
            elif how == 'keyword':
                keywords.append(f'{sub.default}={self.expression(scope, SCALAR, 1)}')
        args += extras
        if sub.keyword_only and self.draw.maybe(0.5):
            keywords.append(f'{sub.keyword_only}={self.expression(scope, SCALAR, 1)}')
        self.in_call = False
        return f'{sub.name}({", ".join(args + keywords)})'

    # Statements ----------------------------------------------------------------------

    def block(self, scope: Scope, nesting: int, loop: str | None, low: int,
              high: int) -> list:
        statements = []
        for _ in range(self.draw.integer(low, high)):
            statements += self.statement(scope, nesting, loop)
        return statements

    def statement(self, scope: Scope, nesting: int, loop: str | None) -> list:
        kinds = ['assign', 'assign', 'assign', 'augmented', 'container', 'array_write']
        if any(c.form != 'tuple' for c in scope.containers):
            kinds.append('container_write')
        if any(c.form != 'dict' for c in scope.containers):
            kinds.append('sequence')
        if nesting < MAX_NESTING:
            kinds += ['if', 'for', 'for_each', 'while']
        if loop is not None:
            kinds += ['exit', 'exit']
        if self.subroutine is not None and not self.in_subroutine:
            kinds += ['call', 'call']
        if self.idioms:
            kinds += ['idiom', 'idiom', 'idiom']
        kind = self.draw.choice(kinds)
        return getattr(self, f'make_{kind}')(scope, nesting, loop)

    def make_assign(self, scope: Scope, nesting: int, loop: str | None) -> list:
        targets = scope.of_kind(SCALAR, writable=True) + scope.of_kind(VECTOR, writable=True)
        if targets and self.draw.maybe(0.5):
            target = self.draw.choice(targets)
            name, kind = target.name, target.kind
        else:
            name, kind = self.fresh('a'), self.draw.choice([SCALAR, VECTOR])
        line = Line(f'{name} = {self.expression(scope, kind)}')
        scope.bind(name, kind)
        return [line]

    def make_augmented(self, scope: Scope, nesting: int, loop: str | None) -> list:
        targets = scope.of_kind(SCALAR, writable=True)
        if not targets:
            return self.make_assign(scope, nesting, loop)
        target = self.draw.choice(targets)
        op = self.draw.choice(['+=', '-=', '*='])
        return [Line(f'{target.name} {op} {self.expression(scope, SCALAR, 1)}')]

    def make_array_write(self, scope: Scope, nesting: int, loop: str | None) -> list:
        """A fresh array (never an alias of an input) written in place."""
        name = self.fresh('w')
        lines = [Line(f'{name} = ({self.expression(scope, VECTOR, 1)}) * 1.0')]
        if self.draw.maybe(0.5):
            value = self.expression(scope, SCALAR, 1)
            lines.append(Line(f'{name}[{self.index()}] = {value}'))
        else:
            op = self.draw.choice(['+=', '*='])
            lines.append(Line(f'{name} {op} {self.expression(scope, VECTOR, 1)}'))
        scope.bind(name, VECTOR)
        return lines

    def make_container(self, scope: Scope, nesting: int, loop: str | None) -> list:
        form = self.draw.choice(['list', 'tuple', 'dict'])
        count = self.draw.integer(2, 3)
        kinds = [self.draw.choice([SCALAR, VECTOR]) for _ in range(count)]
        if self.draw.maybe(0.5):
            kinds = [kinds[0]] * count
        values = [self.expression(scope, kind, 1) for kind in kinds]
        name = self.fresh({'list': 'L', 'tuple': 'T', 'dict': 'D'}[form])
        if form == 'dict':
            keys = [repr(k) for k in 'pqr'[:count]]
            text = '{' + ', '.join(f'{k}: {v}' for k, v in zip(keys, values)) + '}'
        else:
            keys = [str(position) for position in range(count)]
            text = ', '.join(values)
            text = f'[{text}]' if form == 'list' else f'({text})'
        lines = [Line(f'{name} = {text}')]
        container = Container(name, form, keys, kinds, made_in=loop)
        scope.add(container)
        if form == 'tuple' and self.draw.maybe(0.5):
            targets = [self.fresh('u') for _ in kinds]
            lines.append(Line(f'{", ".join(targets)} = {name}'))
            for target, kind in zip(targets, kinds):
                scope.bind(target, kind)
        return lines

    def from_outside(self, container: Container, loop: str | None) -> bool:
        """Whether ``loop`` may run the statement being generated again on the same
        ``container`` (made before the loop), after later statements of its body grew it."""
        return loop is not None and container.made_in != loop

    def rely_on_elements(self, container: Container, loop: str | None) -> None:
        """The statement being generated depends on the kinds of all of ``container``'s
        items (it iterates over them or copies them)."""
        if self.from_outside(container, loop):
            # Its next run would see what the rest of the loop body appends.
            container.settled = True

    def growth_kinds(self, container: Container, loop: str | None) -> list[str]:
        """The kinds that may be appended to ``container`` here."""
        if container.settled and self.from_outside(container, loop):
            return sorted(container.element_kinds)
        return [SCALAR, VECTOR]

    def grow(self, scope: Scope, container: Container, kinds: list[str],
             loop: str | None) -> None:
        """Record that the statement being generated appends items of ``kinds``."""
        known = not container.grows and not self.from_outside(container, loop)
        # Every view of the container older than this statement (an enclosing block's,
        # the other branch's, a loop's state at an exit) shares this object and may or
        # may not see these items, so it learns only that some may follow its keys.
        container.grows = True
        container.tail = container.tail | frozenset(kinds)
        if known:  # this block appends exactly once, after the known items
            grown = dataclasses.replace(
                container, keys=[str(p) for p in range(len(container.kinds) + len(kinds))],
                kinds=container.kinds + kinds, grows=False, tail=frozenset())
            scope.containers = [grown if c is container else c for c in scope.containers]

    def make_sequence(self, scope: Scope, nesting: int, loop: str | None) -> list:
        """Lists and tuples joined (``+``, ``+=``), repeated (``* 2``) or spread into a
        display (``(*t, v)``): each reads as a new container, or as a longer one."""
        sequences = [c for c in scope.containers if c.form != 'dict' and len(c.keys) <= 4]
        if not sequences:
            return self.make_container(scope, nesting, loop)
        source = self.draw.choice(sequences)
        # A source that may be longer at run time than its keys say puts the items
        # after its first copy at positions the generator cannot know.
        unstable = source.grows or self.from_outside(source, loop)
        form = source.form
        way = self.draw.choice(['append', 'prepend', 'repeat', 'starred'])
        if way == 'append' and not source.appendable:
            way = 'prepend'
        allowed = self.growth_kinds(source, loop) if way == 'append' else [SCALAR, VECTOR]
        kinds = [self.draw.choice(allowed) for _ in range(self.draw.integer(1, 2))]
        values = [self.expression(scope, kind, 1) for kind in kinds]
        piece = f'[{", ".join(values)}]' if form == 'list' else f'({", ".join(values)},)'
        if way == 'append':
            # Grows the sequence in place of the old one: its items keep their positions.
            operator_ = self.draw.choice(['+=', '= ' + source.name + ' +'])
            self.grow(scope, source, kinds, loop)
            return [Line(f'{source.name} {operator_} {piece}')]
        name = self.fresh('S')
        tail = source.element_kinds  # past the known items, when the length is unknown
        if way == 'repeat':
            count = self.draw.integer(1, 3)
            text = self.draw.choice([f'{source.name} * {count}', f'{count} * {source.name}'])
            items = source.kinds if unstable else source.kinds * count
        elif way == 'starred':
            form = self.draw.choice(['list', 'tuple'])
            parts = [f'*{source.name}'] + values
            if self.draw.maybe(0.5):
                parts = parts[1:] + parts[:1]
            text = f'[{", ".join(parts)}]' if form == 'list' else f'({", ".join(parts)},)'
            if not parts[0].startswith('*'):
                items = kinds + source.kinds
            else:
                items = source.kinds if unstable else source.kinds + kinds
                tail = tail | set(kinds)
        else:  # a new sequence: the piece first, then the old items
            text = f'{piece} + {source.name}'
            items = kinds + source.kinds
        self.rely_on_elements(source, loop)
        scope.add(Container(name, form, [str(p) for p in range(len(items))], items,
                            made_in=loop, grows=unstable,
                            tail=frozenset(tail) if unstable else frozenset()))
        return [Line(f'{name} = {text}')]

    def make_container_write(self, scope: Scope, nesting: int, loop: str | None) -> list:
        container = self.draw.choice([c for c in scope.containers if c.form != 'tuple'])
        if container.form == 'list' and container.homogeneous and container.appendable \
                and self.draw.maybe(0.4):
            kind = container.kinds[0]  # the kind of every item: it stays homogeneous
            value = self.expression(scope, kind, 1)
            self.grow(scope, container, [kind], loop)
            return [Line(f'{container.name}.append({value})')]
        position = self.draw.integer(0, len(container.keys) - 1)
        value = self.expression(scope, container.kinds[position], 1)
        return [Line(f'{container.name}[{container.keys[position]}] = {value}')]

    def make_if(self, scope: Scope, nesting: int, loop: str | None) -> list:
        test = self.condition(scope)
        body_scope, else_scope = scope.child(), scope.child()
        body = self.block(body_scope, nesting + 1, loop, 1, 3)
        orelse = []
        if self.draw.maybe(0.6):
            if self.draw.maybe(0.3):
                orelse = self.make_if(else_scope, nesting + 1, loop)
            else:
                orelse = self.block(else_scope, nesting + 1, loop, 1, 3)
        if self.draw.maybe(0.5):  # a new name bound on both paths
            name, kind = self.fresh('j'), self.draw.choice([SCALAR, VECTOR])
            body.append(Line(f'{name} = {self.expression(body_scope, kind, 1)}'))
            orelse.append(Line(f'{name} = {self.expression(else_scope, kind, 1)}'))
            scope.bind(name, kind)
        return [If(test, body, orelse)]

    def loop_body(self, scope: Scope, body_scope: Scope, nesting: int, loop: str,
                  runs: bool, prefix: Sequence = ()) -> list:
        """A loop body; if the loop surely runs, names bound before any exit outlive it.

        Python keeps a loop's variables after the loop, and reading them there
        is a pattern of its own for the reverse pass (the value of the last
        iteration), so the generator uses them when they are certainly bound.
        """
        statements = list(prefix)
        surviving = None
        for _ in range(self.draw.integer(1, 4)):
            if surviving is None:
                before = (list(body_scope.variables), list(body_scope.containers))
            new = self.statement(body_scope, nesting + 1, loop)
            if surviving is None and any(_exits(statement) for statement in new):
                surviving = before
            statements += new
        if surviving is None:
            surviving = (body_scope.variables, body_scope.containers)
        if runs and self.loop_escapes:
            known = {v.name for v in scope.variables}
            for var in surviving[0]:
                if var.name not in known:
                    scope.bind(var.name, var.kind, var.writable)
            for container in surviving[1]:
                if all(c.name != container.name for c in scope.containers):
                    scope.add(dataclasses.replace(container, appendable=True))
        return statements

    def make_for(self, scope: Scope, nesting: int, loop: str | None) -> list:
        counter = self.fresh('i')
        n = self.draw.integer(1, 4)
        iterable = self.draw.choice([f'range({n})', f'range(1, {n + 1})',
                                     f'range({n}, 0, -1)'])
        body_scope = scope.child()
        body_scope.bind(counter, SCALAR, writable=False, counter=True)
        body = self.loop_body(scope, body_scope, nesting, f'for {counter}', runs=True)
        return [For(counter, iterable, body)]

    def make_for_each(self, scope: Scope, nesting: int, loop: str | None) -> list:
        vectors = [v.name for v in scope.of_kind(VECTOR)]
        # The loop variable takes the kind of every item in turn: only sequences whose
        # items (known or not) all have one kind.
        lists = [c for c in scope.containers if c.form != 'dict' and c.homogeneous]
        body_scope = scope.child()
        element = self.fresh('e')
        form = self.draw.choice(['vector', 'enumerate', 'zip', 'container'])
        if form == 'container' and lists:
            container = self.draw.choice(lists)
            self.rely_on_elements(container, loop)
            target, iterable = element, container.name
            body_scope.bind(element, container.kinds[0], writable=False)
            body_scope.containers = [
                dataclasses.replace(c, appendable=False) if c is container else c
                for c in body_scope.containers]
        elif not vectors:
            return self.make_for(scope, nesting, loop)
        elif form == 'enumerate':
            position = self.fresh('k')
            target, iterable = f'{position}, {element}', f'enumerate({self.draw.choice(vectors)})'
            body_scope.bind(position, SCALAR, writable=False, counter=True)
            body_scope.bind(element, SCALAR, writable=False)
        elif form == 'zip':
            other = self.fresh('e')
            target = f'{element}, {other}'
            iterable = f'zip({self.draw.choice(vectors)}, {self.draw.choice(vectors)})'
            body_scope.bind(element, SCALAR, writable=False)
            body_scope.bind(other, SCALAR, writable=False)
        else:
            target, iterable = element, self.draw.choice(vectors)
            body_scope.bind(element, SCALAR, writable=False)
        body = self.loop_body(scope, body_scope, nesting, f'for {element}', runs=True)
        return [For(target, iterable, body)]

    def make_while(self, scope: Scope, nesting: int, loop: str | None) -> list:
        counter = self.fresh('c')
        limit = self.draw.integer(1, 4)
        test = Condition([Compare(counter, '<', str(limit), data=False)])
        if self.draw.maybe(0.4):
            test.parts += self.condition(scope).parts[:1]
        body_scope = scope.child()
        body_scope.bind(counter, SCALAR, writable=False, counter=True)
        step = Line(self.draw.choice([f'{counter} = {counter} + 1', f'{counter} += 1']))
        scope.bind(counter, SCALAR, writable=False, counter=True)
        body = self.loop_body(scope, body_scope, nesting, f'while {counter}',
                              runs=len(test.parts) == 1,
                              prefix=[step])
        return [Line(f'{counter} = 0'), While(test, body)]

    def make_exit(self, scope: Scope, nesting: int, loop: str | None) -> list:
        word = self.draw.choice(['break', 'continue'])
        # Only loop counters: a keyword-only parameter (k1) is data, and a test of
        # data that no margin measures makes finite differences cross a branch.
        counters = [v.name for v in scope.variables if v.counter]
        if counters and self.draw.maybe(0.3):
            test = Condition([Compare(f'{self.draw.choice(counters)} % 2', '==', '0',
                                      data=False)])
        else:
            test = self.condition(scope)
        body_scope = scope.child()
        body = self.block(body_scope, MAX_NESTING, loop, 0, 1)
        return [If(test, body + [Line(word)])]

    def make_call(self, scope: Scope, nesting: int, loop: str | None) -> list:
        sub = self.subroutine
        targets = [self.fresh('t') for _ in sub.result_kinds]
        line = Line(f'{", ".join(targets)} = {self.call_expression(scope)}')
        for target, kind in zip(targets, sub.result_kinds):
            scope.bind(target, kind)
        return [line]

    # Idioms: the constructs second-order derivatives broke on ----------------------------

    def make_idiom(self, scope: Scope, nesting: int, loop: str | None) -> list:
        form = self.draw.choice(['comprehension', 'map', 'appended', 'matrix'])
        return getattr(self, f'make_{form}')(scope, nesting, loop)

    def element_term(self, scope: Scope, element: str) -> str:
        """A scalar expression of ``element`` (a comprehension's or lambda's variable,
        or an item read by position), maybe with other values in scope."""
        inner = scope.child()
        inner.bind(element, SCALAR, writable=False)
        form = self.draw.choice(['unary', 'binary', 'both'])
        if form == 'unary':
            return self.unary(element)
        if form == 'binary':
            return self.binary(element, self.expression(inner, SCALAR, 1))
        return self.binary(self.unary(element), self.expression(inner, SCALAR, 1))

    def vector_name(self, scope: Scope) -> str:
        """A vector to read by position: a name, or a parenthesized expression."""
        vector = self.leaf(scope, VECTOR)
        return vector if vector.isidentifier() else f'({vector})'

    def make_comprehension(self, scope: Scope, nesting: int, loop: str | None) -> list:
        """A list comprehension or generator expression, made into an array, summed,
        or kept as a list of scalars; or a dict comprehension kept as a dict."""
        element, name = self.fresh('e'), self.fresh('a')
        way = self.draw.choice(['array', 'sum', 'list', 'indexed', 'filtered', 'dict'])
        if way in ('indexed', 'filtered', 'dict'):  # over positions, reading a vector
            position, vector = self.fresh('i'), self.vector_name(scope)
            term = self.element_term(scope, f'{vector}[{position}]')
            if way == 'dict':  # a dict comprehension, keyed by position
                name = self.fresh('D')
                scope.add(Container(name, 'dict', [str(p) for p in range(SIZE)],
                                    [SCALAR] * SIZE, made_in=loop))
                return [Line(f'{name} = {{{position}: {term} for {position} in range({SIZE})}}')]
            if way == 'indexed':
                scope.bind(name, VECTOR)
                return [Line(f'{name} = np.array([{term} for {position} in range({SIZE})])')]
            skipped = self.index()
            scope.bind(name, SCALAR)
            return [Line(f'{name} = sum([{term} for {position} in range({SIZE}) '
                         f'if {position} != {skipped}])')]
        source = self.expression(scope, VECTOR, 1)
        term = self.element_term(scope, element)
        comprehension = f'[{term} for {element} in {source}]'
        if way == 'array':
            scope.bind(name, VECTOR)
            return [Line(f'{name} = np.array({comprehension})')]
        if way == 'sum':
            scope.bind(name, SCALAR)
            if self.draw.maybe(0.5):  # a generator expression
                return [Line(f'{name} = sum({comprehension[1:-1]})')]
            return [Line(f'{name} = sum({comprehension})')]
        name = self.fresh('L')
        scope.add(Container(name, 'list', [str(p) for p in range(SIZE)], [SCALAR] * SIZE,
                            made_in=loop))
        return [Line(f'{name} = {comprehension}')]

    def make_map(self, scope: Scope, nesting: int, loop: str | None) -> list:
        """``map`` of a ufunc, a lambda (inline or named) or a two-argument lambda."""
        name, element = self.fresh('a'), self.fresh('e')
        source = self.expression(scope, VECTOR, 1)
        way = self.draw.choice(['ufunc', 'lambda', 'pairs', 'named'])
        lines = []
        if way == 'ufunc':
            function = self.draw.choice(['np.sin', 'np.cos', 'np.tanh', 'np.square'])
            mapped = f'map({function}, {source})'
        elif way == 'pairs':
            other = self.fresh('e')
            term = self.binary(self.element_term(scope, element), other)
            mapped = (f'map(lambda {element}, {other}: {term}, {source}, '
                      f'{self.expression(scope, VECTOR, 1)})')
        else:
            function = f'lambda {element}: {self.element_term(scope, element)}'
            if way == 'named':
                named = self.fresh('h')
                lines.append(Line(f'{named} = {function}'))
                function = named
            mapped = f'map({function}, {source})'
        scope.bind(name, VECTOR)
        return lines + [Line(f'{name} = np.array(list({mapped}))')]

    def make_appended(self, scope: Scope, nesting: int, loop: str | None) -> list:
        """A list built by ``append`` in a loop, then made into an array: a vector of
        the scalars appended, or a matrix of the vectors, reduced or solved with."""
        items, name = self.fresh('L'), self.fresh('a')
        if self.draw.maybe(0.5):
            position, vector = self.fresh('i'), self.vector_name(scope)
            target, iterable, element = position, f'range({SIZE})', f'{vector}[{position}]'
        else:
            target = element = self.fresh('e')
            iterable = self.expression(scope, VECTOR, 1)
        if self.draw.maybe(0.5):
            item = self.element_term(scope, element)
            lines = [Line(f'{items} = []'),
                     For(target, iterable, [Line(f'{items}.append({item})')])]
            made = self.draw.choice([f'np.array({items})', f'np.stack({items})'])
            scope.bind(name, VECTOR)
            return lines + [Line(f'{name} = {made}')]
        inner = scope.child()
        inner.bind(element, SCALAR, writable=False)
        item = self.binary(self.expression(inner, VECTOR, 1), element)
        lines = [Line(f'{items} = []'),
                 For(target, iterable, [Line(f'{items}.append({item})')])]
        way = self.draw.choice(['reduce', 'concatenate', 'linalg'])
        if way == 'linalg':
            return lines + self.make_matrix(scope, nesting, loop, f'np.stack({items})')
        if way == 'concatenate':
            start = SIZE * self.index()
            made = f'np.concatenate({items})[{start}:{start + SIZE}]'
        else:
            matrix = self.draw.choice([f'np.stack({items})', f'np.array({items})'])
            reduction = self.draw.choice(['max', 'min', 'sum', 'mean'])
            made = f'np.{reduction}({matrix}, axis={self.draw.integer(0, 1)})'
            if self.draw.maybe(0.3):
                made = f'np.dot({matrix}, {self.expression(scope, VECTOR, 1)})'
        scope.bind(name, VECTOR)
        return lines + [Line(f'{name} = {made}')]

    def make_matrix(self, scope: Scope, nesting: int, loop: str | None,
                    rows: str | None = None) -> list:
        """A well-conditioned matrix and linear algebra on it. Its diagonal is in
        [2.2, 2.8] and each row's other entries sum to less than 0.6 in magnitude, so
        every eigenvalue is at least 1.6 away from 0 (Gershgorin) and det > 0."""
        if rows is None:
            rows = (f'np.outer({self.expression(scope, VECTOR, 1)}, '
                    f'{self.expression(scope, VECTOR, 1)})')
        matrix, name = self.fresh('m'), self.fresh('a')
        lines = [Line(f'{matrix} = 2.5 * np.eye({SIZE}) + 0.3 * np.tanh({rows})')]
        way = self.draw.choice(['solve', 'inv', 'det', 'slogdet', 'norm', 'qr', 'reduce',
                                'batched'])
        vector = self.expression(scope, VECTOR, 1)
        if way == 'batched':
            return lines + self.make_batched(scope, rows, vector)
        if way == 'solve':
            made, kind = f'np.linalg.solve({matrix}, {vector})', VECTOR
        elif way == 'inv':
            made, kind = self.draw.choice([
                (f'np.dot(np.linalg.inv({matrix}), {vector})', VECTOR),
                (f'np.trace(np.linalg.inv({matrix}))', SCALAR)])
        elif way == 'det':
            made, kind = f'np.linalg.det({matrix})', SCALAR
        elif way == 'slogdet':
            sign, logdet = self.fresh('s'), self.fresh('l')
            lines.append(Line(f'{sign}, {logdet} = np.linalg.slogdet({matrix})'))
            made, kind = f'{sign} * {logdet}', SCALAR
        elif way == 'norm':
            made, kind = self.draw.choice([
                (f'np.linalg.norm({matrix})', SCALAR),
                (f'np.linalg.norm({self.positive(vector)})', SCALAR)])
        elif way == 'qr':
            q, r = self.fresh('q'), self.fresh('r')
            lines.append(Line(f'{q}, {r} = np.linalg.qr({matrix})'))
            made, kind = self.draw.choice([(f'np.dot({q}, {vector})', VECTOR),
                                           (f'np.dot({r}, {vector})', VECTOR),
                                           (f'np.sum(np.diag({r}) * {vector})', SCALAR)])
        else:
            reduction = self.draw.choice(['max', 'min', 'sum'])
            made, kind = f'np.{reduction}({matrix}, axis={self.draw.integer(0, 1)})', VECTOR
        scope.bind(name, kind)
        return lines + [Line(f'{name} = {made}')]

    def make_batched(self, scope: Scope, rows: str, vector: str) -> list:
        """A stack of SIZE well-conditioned matrices (the batch as long as each matrix is
        wide, where a misplaced axis keeps the shape) and batched linear algebra on it,
        one number per matrix: a vector. Each matrix is bounded as in make_matrix."""
        batch, name = self.fresh('k'), self.fresh('a')
        vector = f'({vector})'  # an operand of @, which binds as tightly as *
        lines = [Line(f'{batch} = 2.5 * np.eye({SIZE}) + 0.3 * np.tanh('
                      f'({self.expression(scope, VECTOR, 1)})[:, None, None] * {rows})')]
        way = self.draw.choice(['det', 'slogdet', 'inv', 'matmul', 'norm', 'qr', 'einsum',
                                'solve', 'cholesky', 'cross'])
        if way == 'det':
            made = f'np.linalg.det({batch})'
        elif way == 'slogdet':
            sign, logdet = self.fresh('s'), self.fresh('l')
            lines.append(Line(f'{sign}, {logdet} = np.linalg.slogdet({batch})'))
            made = f'{sign} * {logdet}'
        elif way == 'inv':
            made = self.draw.choice([f'np.trace(np.linalg.inv({batch}), axis1=1, axis2=2)',
                                     f'np.sum(np.linalg.inv({batch}) @ {vector}, axis=0)'])
        elif way == 'matmul':  # a vector times each matrix: (n,) @ (k, n, n)
            made = f'np.sum({vector} @ {batch}, axis=-1)'
        elif way == 'norm':
            made = f'np.linalg.norm({batch}, axis=(1, 2))'
        elif way == 'qr':
            q, r = self.fresh('q'), self.fresh('r')
            lines.append(Line(f'{q}, {r} = np.linalg.qr({batch})'))
            made = self.draw.choice([f'np.diagonal({r}, axis1=1, axis2=2) @ {vector}',
                                     f'np.sum({q} @ {vector}, axis=0)'])
        elif way == 'solve':  # one vector b for every matrix, or a matrix b for each
            made = self.draw.choice([
                f'np.sum(np.linalg.solve({batch}, {vector}), axis={self.draw.integer(0, 1)})',
                f'np.sum(np.linalg.solve({batch}, np.outer({vector}, '
                f'{self.expression(scope, VECTOR, 1)})), axis=(0, 2))'])
        elif way == 'cholesky':  # of each Gram matrix, either factor
            upper = self.draw.choice(['False', 'True'])
            made = (f'np.sum(np.linalg.cholesky({batch} @ np.swapaxes({batch}, 1, 2), '
                    f'upper={upper}) @ {vector}, axis=0)')
        elif way == 'cross':  # the stack's vectors along one of its axes, crossed with one
            made = (f'np.sum(np.cross({batch}, {vector}, axisa={self.draw.integer(0, 2)}), '
                    f'axis=(0, 1))')
        else:
            made = f"np.einsum('kij,j->k', {batch}, {vector})"
        scope.bind(name, VECTOR)
        return lines + [Line(f'{name} = {made}')]

    # Functions -----------------------------------------------------------------------

    def result(self, scope: Scope) -> list[str]:
        candidates = [v for v in scope.variables if v.writable] or scope.variables
        chosen = candidates[-self.draw.integer(1, min(3, len(candidates))):]
        terms = []
        for var in chosen:
            if var.kind == SCALAR:
                terms.append(var.name)
            else:
                terms.append(self.draw.choice([f'np.sum({var.name})',
                                               f'np.dot({var.name}, {var.name})']))
        if self.draw.maybe(0.3):
            terms.append(self.expression(scope, SCALAR, 1))
        return terms

    def make_subroutine(self, preamble: list[str], postamble: list[str]) -> Function:
        """The helper ``g``: maybe counting its calls, drawing seeded random numbers,
        with a default (a constant, or a global rebound after the def), ``*args``,
        a keyword-only parameter and positional-only parameters."""
        self.in_subroutine = True
        kinds = [self.draw.choice([SCALAR, VECTOR]) for _ in range(self.draw.integer(1, 2))]
        params = [self.fresh('p') for _ in kinds]
        scope = Scope([Var(p, k) for p, k in zip(params, kinds)])
        sub = Subroutine('g', kinds, [])
        prefix = []
        if self.draw.maybe(0.4):
            if COUNTER_SOURCE[0] not in preamble:
                preamble += COUNTER_SOURCE
            prefix.append(Line(f'{COUNTER_NAME}.tick()'))
        if self.draw.maybe(0.3):
            sub.random = self.draw.choice(['state', 'global'])
            source = 'rs' if sub.random == 'state' else 'np.random'
            for _ in range(self.draw.integer(1, 2)):
                name, kind = self.fresh('n'), self.draw.choice([SCALAR, VECTOR])
                draw = (f'{source}.randn({SIZE})' if kind == VECTOR
                        else f'{source}.uniform(-1.0, 1.0)')
                prefix.append(Line(f'{name} = {draw}'))
                scope.bind(name, kind, writable=False)
        if self.draw.maybe(0.3):
            params.append('/')
        if self.draw.maybe(0.35):
            sub.default = self.fresh('q')
            value = self.constant()
            if self.draw.maybe(0.5):  # the default is a global's value at def time
                name = self.fresh('K')
                preamble.append(f'{name} = {value}')
                postamble.append(f'{name} = {self.constant()}')
                value = name
            params.append(f'{sub.default}={value}')
            scope.bind(sub.default, SCALAR, writable=False)
        if self.draw.maybe(0.25):
            sub.star = self.fresh('rest')
            params.append(f'*{sub.star}')
            total, item = self.fresh('s'), self.fresh('r')
            prefix += [Line(f'{total} = 0.0'),
                       For(item, sub.star, [Line(f'{total} = {total} + {item} * {item}')])]
            scope.bind(total, SCALAR, writable=False)
        if self.draw.maybe(0.25):
            sub.keyword_only = self.fresh('k')
            params += ([] if sub.star else ['*']) + [f'{sub.keyword_only}={self.constant()}']
            scope.bind(sub.keyword_only, SCALAR, writable=False)
        if sub.random == 'state':
            params.insert(0, 'rs')
        body = prefix + self.block(scope, 1, None, 1, 3)
        result_kinds = [self.draw.choice([SCALAR, VECTOR])]
        if self.draw.maybe(0.3):
            result_kinds.append(self.draw.choice([SCALAR, VECTOR]))
        results = [self.expression(scope, kind, 1) for kind in result_kinds]
        self.in_subroutine = False
        sub.result_kinds = result_kinds
        self.subroutine = sub
        decorators = []
        if len(results) == 1 and self.draw.maybe(0.3):
            decorators.append(self.decorator(preamble))
        return Function('g', params, body, results, joiner=', ', decorators=decorators)

    def decorator(self, preamble: list[str]) -> str:
        """A functools.wraps decorator that changes what ``g`` computes: tangent must
        differentiate the wrapper, not the function it wraps."""
        name = self.fresh('decorated')
        scale, shift = self.constant(), self.constant()
        if 'import functools' not in preamble:
            preamble.insert(0, 'import functools')
        preamble += ['', '', f'def {name}(function):', '    @functools.wraps(function)',
                     '    def wrapper(*args, **kwargs):',
                     f'        return {scale} * function(*args, **kwargs) + {shift}',
                     '    return wrapper']
        return name

    def program(self) -> Program:
        functions = []
        preamble, postamble = [], []
        if self.draw.maybe(0.35):
            functions.append(self.make_subroutine(preamble, postamble))
        kinds = [self.draw.choice([SCALAR, VECTOR]) for _ in range(self.draw.integer(1, 3))]
        params = [self.fresh('x' if kind == SCALAR else 'v') for kind in kinds]
        scope = Scope([Var(p, k) for p, k in zip(params, kinds)])
        prefix = []
        random = self.subroutine.random if self.subroutine else None
        if random == 'state':  # a fresh RandomState each run: finite differences see the
            prefix.append(Line(f'rs = np.random.RandomState({self.draw.integer(0, 99)})'))
        elif random == 'global':  # same draws as the derivative
            prefix.append(Line(f'np.random.seed({self.draw.integer(0, 99)})'))
        signature = list(params)
        if self.draw.maybe(0.15):
            signature.insert(self.draw.integer(1, len(params)), '/')
        if self.draw.maybe(0.1):
            name = self.fresh('c')
            signature += ['*', f'{name}={self.constant()}']
            scope.bind(name, SCALAR, writable=False)
        body = prefix + self.block(scope, 0, None, 2, 6)
        functions.append(Function('f', signature, body, self.result(scope)))
        args = tuple(self.value(kind) for kind in kinds)
        wrt = tuple(i for i in range(len(params)) if self.draw.maybe(0.7)) or (0,)
        directions = tuple(self.value(kinds[i]) for i in wrt)
        return Program(functions, args, wrt, directions, preamble=preamble, postamble=postamble)

    def value(self, kind: str) -> Any:
        if kind == SCALAR:
            return self.number()
        return np.array([self.number() for _ in range(SIZE)])

    def number(self) -> float:
        """An input number; sometimes exactly 0.0, where powers are easy to get wrong."""
        if self.draw.maybe(0.15):
            return 0.0
        return self.draw.real(-1.5, 1.5)


def _exits(statement: Any) -> bool:
    """Whether ``statement`` may leave the loop it is in (not counting inner loops)."""
    if isinstance(statement, Line):
        return statement.text in ('break', 'continue')
    if isinstance(statement, If):
        return any(_exits(s) for s in statement.body + statement.orelse)
    return False


def generate(chooser: Any, loop_escapes: bool = True, idioms: bool = False) -> Program:
    return Generator(chooser, loop_escapes, idioms).program()


def campaign_program(seed: int, index: int, loop_escapes: bool = True,
                     idioms: bool = False) -> Program:
    """Program ``index`` of the campaign with ``seed`` (independent of the others)."""
    return generate(RandomChooser(f'{seed}:{index}'), loop_escapes, idioms)


# Checking ----------------------------------------------------------------------------

@dataclass
class Outcome:
    status: str  # 'ok', 'failed', 'discarded' or 'unsupported' (at second order)
    reason: str = ''  # why it was discarded, what failed, or what is unsupported
    details: str = ''
    signature: str = ''  # the kind of failure: 'raised KeyError', 'wrong derivative', ...
    configurations: tuple = ()  # the configurations that failed


class Discard(Exception):
    """The program is not a trustworthy test: finite differences are ill-conditioned."""


_modules = itertools.count()


def load(source: str, directory: str, stem: str = 'fuzz_program') -> Any:
    """Write ``source`` to a fresh .py file in ``directory`` and import it."""
    name = f'{stem}_{os.getpid()}_{next(_modules)}'
    path = os.path.join(directory, f'{name}.py')
    with open(path, 'w') as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def unload(module: Any) -> None:
    sys.modules.pop(module.__name__, None)


def fresh_args(args: Sequence[Any]) -> list:
    return [np.array(arg) if isinstance(arg, np.ndarray) else arg for arg in args]


def evaluate(function: Callable, args: Sequence[Any]) -> float:
    with np.errstate(all='ignore'):
        try:
            return float(function(*fresh_args(args)))
        except OverflowError:  # a Python float past 1e308: no finite difference exists
            return math.inf


def finite_difference(function: Callable, args: Sequence[Any], index: int,
                      step: float) -> Any:
    """Central differences of scalar ``function`` in argument ``index``, by the suite's
    one oracle; each evaluation gets fresh copies of the arrays and counts an overflow
    as infinite."""
    return numerical_grad(lambda *moved: evaluate(function, moved), args, index, step)


def close(actual: Any, expected: Any, rtol: float, atol: float) -> bool:
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    return actual.shape == expected.shape and bool(
        np.all(np.abs(actual - expected) <= atol + rtol * np.abs(expected)))


def _magnitude(value: Any) -> float:
    """The largest absolute float in ``value`` (numbers, arrays and containers of them);
    infinite if any is inf or NaN."""
    if isinstance(value, (float, np.floating, np.ndarray)):
        array = np.abs(np.asarray(value, dtype=float))
        if not np.all(np.isfinite(array)):
            return math.inf
        return float(array.max()) if array.size else 0.0
    if isinstance(value, (list, tuple)):
        return max(map(_magnitude, value), default=0.0)
    if isinstance(value, dict):
        return max(map(_magnitude, value.values()), default=0.0)
    if isinstance(value, int) and not -2**63 <= value < 2**63:
        return math.inf  # no int64 holds it: an array of it holds Python objects
    return 0.0  # integers are exact; other objects hold no floats


def largest_intermediate(function: Callable, args: Sequence[Any]) -> float:
    """The largest magnitude any local variable of the program's own functions takes,
    read at every line by a trace function; infinite if some value overflows or turns
    NaN, even one the result does not depend on (its adjoint is 0 * inf), or if the
    program raises after a value grew past VALUE_LIMIT (a Python integer too large
    for int64 makes an object array, which NumPy's functions then reject)."""
    filename = function.__code__.co_filename
    largest = 0.0

    def per_line(frame, event, arg):
        nonlocal largest
        values = list(frame.f_locals.values()) + ([arg] if event == 'return' else [])
        largest = max(largest, max(map(_magnitude, values), default=0.0))
        return per_line

    def per_call(frame, event, arg):
        return per_line if frame.f_code.co_filename == filename else None

    previous = sys.gettrace()
    sys.settrace(per_call)
    try:
        with np.errstate(over='raise', invalid='raise', divide='raise', under='ignore'):
            function(*fresh_args(args))
    except (FloatingPointError, OverflowError):
        return math.inf
    except Exception:
        if largest > VALUE_LIMIT:
            return math.inf
        raise
    finally:
        sys.settrace(previous)
    return largest


def reference_gradient(program: Program, function: Callable) -> list:
    """Finite-difference gradients for ``program.wrt``, or Discard if ill-conditioned."""
    margins = []

    def compare(left, op, right):
        left, right = float(left), float(right)
        margins.append(abs(left - right))
        return left > right if op == '>' else left < right

    if largest_intermediate(function, program.args) > VALUE_LIMIT:
        raise Discard('values out of range')

    def extreme(largest):
        def reduce(array, axis):
            # Where the two extreme items along the axis are about equal, a step of
            # finite differences switches which one is picked.
            ordered = np.sort(np.asarray(array, dtype=float), axis=axis)
            top = [-1, -2] if largest else [0, 1]
            gaps = np.abs(np.take(ordered, top[0], axis) - np.take(ordered, top[1], axis))
            margins.append(float(np.min(gaps)))
            return np.max(array, axis=axis) if largest else np.min(array, axis=axis)
        return reduce

    def qr(matrix):
        # LAPACK leaves a column of Q (and that row of R) unflipped where the part of a
        # column below the diagonal is exactly 0, and flips it a step away: a switch of
        # branch at the point, which the value may not show (when the column meets 0).
        q, r = np.linalg.qr(matrix)
        nudged = np.linalg.qr(matrix + 1e-9 * np.random.default_rng(0).standard_normal(
            np.shape(matrix)))[1]
        same = np.sign(np.diagonal(r, axis1=-2, axis2=-1)) == \
            np.sign(np.diagonal(nudged, axis1=-2, axis2=-1))
        margins.append(float('inf') if np.all(same) else 0.0)
        return q, r

    namespace = {'np': np, '_cmp': compare, '_max': extreme(True), '_min': extreme(False),
                 '_qr': qr}
    exec(compile(program.source(instrument=True), '<instrumented>', 'exec'), namespace)
    value = evaluate(namespace[program.main], program.args)
    if not math.isfinite(value):
        raise Discard('values out of range')
    if value != evaluate(function, program.args):
        raise AssertionError('the instrumented program computes another value')
    if margins and min(margins) < BRANCH_MARGIN:
        raise Discard('near a branch switch')
    gradients = []
    for index in program.wrt:
        fine = finite_difference(function, program.args, index, STEP)
        coarse = finite_difference(function, program.args, index, CHECK_STEP)
        if not (np.all(np.isfinite(fine)) and np.all(np.isfinite(coarse))):
            raise Discard('values out of range')
        if not close(fine, coarse, RTOL, ATOL):
            raise Discard('finite differences disagree')
        if jumps_at_the_point(function, program.args, index, STEP):
            raise Discard('discontinuous at the point')
        gradients.append(fine)
    return gradients


def jumps_at_the_point(function: Callable, args: Sequence[Any], index: int,
                       step: float) -> bool:
    """Whether the value at the point differs from the mean of its neighbours a step
    away in some coordinate of argument ``index`` by more than smoothness allows: the
    function jumps exactly there (LAPACK's QR flips the signs of a column of Q where a
    subdiagonal is exactly 0), so central differences, which never evaluate the point,
    describe the neighbourhood and not the derivative tangent computes at the point."""
    value = evaluate(function, args)
    base = args[index]
    if not isinstance(base, (float, np.ndarray)):
        return False
    array = np.array(base, dtype=float)
    for position in np.ndindex(array.shape):
        neighbours = []
        for sign in (1.0, -1.0):
            moved = array.copy()
            moved[position] += sign * step
            moved_arg = moved if isinstance(base, np.ndarray) else float(moved)
            neighbours.append(evaluate(function, [*args[:index], moved_arg, *args[index + 1:]]))
        # A smooth function's mean of neighbours is off by step**2 / 2 times its curvature
        # (under 1e-8 for the curvatures VALUE_LIMIT leaves), a jump by its height.
        gap = abs((neighbours[0] + neighbours[1]) / 2.0 - value)
        if gap > JUMP_TOLERANCE * (1.0 + abs(value)):
            return True
    return False


CONFIGURATIONS = [
    ('reverse', 'joint', True), ('reverse', 'joint', False),
    ('reverse', 'split', True), ('reverse', 'split', False),
    ('forward', 'joint', True), ('forward', 'joint', False),
]


# Second order: (outer mode, inner mode), the inner derivative of the program (with
# respect to the same arguments) differentiated again by the outer one.
COMPOSITIONS = [('forward', 'reverse'), ('reverse', 'reverse'), ('reverse', 'forward'),
                ('forward', 'forward')]


def describe(configuration: tuple) -> str:
    if len(configuration) == 2:
        return '{} over {}'.format(*configuration)
    mode, motion, optimized = configuration
    where = f'reverse {motion}' if mode == 'reverse' else 'forward'
    return f'{where}{"" if optimized else ", optimized=False"}'


class CallCountError(AssertionError):
    """A derivative ran the program's helpers, or drew random numbers, a different
    number of times than one run of the program."""


def side_effects(function: Callable) -> tuple:
    """What running the program leaves behind: its helpers' call count (if they
    count) and the state of NumPy's global random generator."""
    counter = function.__globals__.get(COUNTER_NAME)
    state = np.random.get_state()
    return (getattr(counter, 'n', None), state[0], state[1].tobytes(), *state[2:])


def reset_counter(function: Callable) -> None:
    counter = function.__globals__.get(COUNTER_NAME)
    if counter is not None:
        counter.n = 0


def differentiate(function: Callable, program: Program, configuration: tuple) -> Any:
    """Run one tangent configuration: a tuple of gradients, or a directional derivative;
    at second order (a composition), see ``_differentiate_twice``.

    It must run each of the program's calls exactly as often as one run of the
    program does (counted by ``CALLS``), and draw from NumPy's global generator as
    much: ``CallCountError`` otherwise."""
    reset_counter(function)
    with np.errstate(all='ignore'):
        function(*fresh_args(program.args))
    once = side_effects(function)
    reset_counter(function)
    if len(configuration) == 2:
        result = _differentiate_twice(function, program, configuration)
    else:
        result = _differentiate(function, program, configuration)
    after = side_effects(function)
    if after != once:
        raise CallCountError(
            f'one evaluation of the derivative called the helpers {after[0]} times '
            f'(the program: {once[0]})' if after[0] != once[0] else
            'the derivative drew other random numbers than one run of the program')
    return result


def _differentiate(function: Callable, program: Program, configuration: tuple) -> Any:
    mode, motion, optimized = configuration
    args = fresh_args(program.args)
    if mode == 'forward':
        derivative = tangent.autodiff(function, wrt=program.wrt, mode='forward',
                                      optimized=optimized)
        result = derivative(*args, *fresh_args(program.directions))
    else:
        derivative = tangent.autodiff(function, wrt=program.wrt, mode='reverse',
                                      motion=motion, optimized=optimized,
                                      input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne)
        result = derivative(*args)
        if len(program.wrt) == 1:
            result = (result,)
    _check_unchanged(program.args, args)
    return result


def _check_unchanged(originals: Sequence[Any], passed: Sequence[Any]) -> None:
    for before, after in zip(originals, passed):
        if not np.array_equal(before, after):
            raise AssertionError(f'the derivative changed its input {before!r} to {after!r}')


def _differentiate_twice(function: Callable, program: Program, composition: tuple) -> Any:
    """Run one second-order composition along ``program.directions`` (v), built as
    ``tangent.testing.check_grads(order=2)`` builds them: ``autodiff`` of the inner
    derivative, with its seed (1.0) or tangents (v) held, with respect to ``wrt``.

    Forward over reverse pushes v through the gradient, reverse over reverse seeds
    the gradient with v, reverse over forward seeds the directional derivative along
    v with 1.0: each gives H v, one array per ``wrt`` argument, as a tuple. Forward
    over forward pushes v through the directional derivative along v: v.H v."""
    outer, inner = composition
    wrt = program.wrt
    inner_derivative = tangent.autodiff(function, wrt=wrt, mode=inner, check_dims=False)
    twice = tangent.autodiff(inner_derivative, wrt=wrt, mode=outer, check_dims=False)
    held = [1.0] if inner == 'reverse' else fresh_args(program.directions)
    args = fresh_args(program.args)
    if outer == 'forward':
        result = twice(*args, *held, *fresh_args(program.directions))
    elif inner == 'reverse':  # the gradient's seed is shaped like the gradient
        directions = fresh_args(program.directions)
        result = twice(*args, *held, tuple(directions) if len(wrt) > 1 else directions[0])
    else:
        result = twice(*args, *held, 1.0)
    if composition != ('forward', 'forward') and len(wrt) == 1:
        result = (result,)
    _check_unchanged(program.args, args)
    return result


def directional(gradients: Sequence[Any], directions: Sequence[Any]) -> tuple[float, float]:
    """``sum(g . d)`` and the sum of the magnitudes of its terms (for a tolerance)."""
    terms = [np.asarray(g, dtype=float) * np.asarray(d, dtype=float)
             for g, d in zip(gradients, directions)]
    return (float(sum(np.sum(t) for t in terms)),
            float(sum(np.sum(np.abs(t)) for t in terms)))


def check_program(program: Program, directory: str,
                  run: Callable[[Callable, Program, tuple], Any] = differentiate,
                  configurations: Sequence[tuple] = tuple(CONFIGURATIONS)) -> Outcome:
    """Differentiate ``program`` in every configuration and compare; never raises.

    Second-order compositions among ``configurations`` (``COMPOSITIONS``) are
    checked once the first-order ones pass. A derivative that falls back to its
    generic code because a version for the call's shapes did not compile is a
    failure too (the fallback is right, the specialiser is not)."""
    with warnings.catch_warnings():
        warnings.filterwarnings('error', message='tangent could not specialise',
                                category=RuntimeWarning)
        return _check_program(program, directory, run, configurations)


def _check_program(program: Program, directory: str, run: Callable,
                   configurations: Sequence[tuple]) -> Outcome:
    try:
        module = load(program.source(), directory)
    except Exception as error:  # a generator bug: report it, do not hide it
        return Outcome('failed', f'the program does not import: {error!r}')
    try:
        function = getattr(module, program.main)
        try:
            expected = reference_gradient(program, function)
        except Discard as reason:
            return Outcome('discarded', str(reason))
        except Exception:
            return Outcome('failed', 'the generated program itself raises',
                           traceback.format_exc(limit=-3))
        first = [c for c in configurations if len(c) == 3]
        second = [c for c in configurations if len(c) == 2]
        outcome = _compare_modes(program, function, expected, run, first)
        if outcome.status != 'ok' or not second:
            return outcome
        return _compare_second_order(program, function, run, second)
    finally:
        unload(module)


def _compare_modes(program: Program, function: Callable, expected: list,
                   run: Callable, configurations: Sequence[tuple]) -> Outcome:
    problems = []  # (configuration, signature, text)
    reverse_results = []
    forward_results = []
    jvp_expected, jvp_scale = directional(expected, program.directions)
    for configuration in configurations:
        name = describe(configuration)
        try:
            with np.errstate(all='ignore'):
                result = run(function, program, configuration)
        except Exception as error:
            problems.append((configuration, f'raised {type(error).__name__}',
                             f'{name}: raised {type(error).__name__}: {error}\n'
                             + _traceback_tail(error)))
            continue
        if configuration[0] == 'forward':
            forward_results.append((configuration, result))
            if not (np.shape(result) == () and
                    abs(float(result) - jvp_expected) <= ATOL + RTOL * jvp_scale):
                problems.append((configuration, 'wrong derivative',
                                 f'{name}: directional derivative {result!r}, finite '
                                 f'differences give {jvp_expected!r}'))
            continue
        reverse_results.append((configuration, result))
        for position, (actual, wanted) in enumerate(zip(result, expected)):
            argument = program.wrt[position]
            if np.shape(actual) != np.shape(wanted):
                problems.append((configuration, 'wrong shape',
                                 f'{name}: gradient of argument {argument} has shape '
                                 f'{np.shape(actual)}, the argument has {np.shape(wanted)}'))
            elif not close(actual, wanted, RTOL, ATOL):
                problems.append((configuration, 'wrong derivative',
                                 f'{name}: gradient of argument {argument} is {actual!r}, '
                                 f'finite differences give {wanted!r}'))
    problems += _modes_disagree(program, reverse_results, forward_results)
    if not problems:
        return Outcome('ok')
    failing = tuple(dict.fromkeys(configuration for configuration, _, _ in problems))
    return Outcome('failed', problems[0][2].split('\n')[0],
                   '\n'.join(text for _, _, text in problems), problems[0][1], failing)


def _modes_disagree(program: Program, reverse_results: list, forward_results: list) -> list:
    """Modes that disagree with the first reverse mode beyond rounding."""
    problems = []
    if not reverse_results:
        return problems
    first_configuration, first = reverse_results[0]
    first_name = describe(first_configuration)
    for configuration, result in reverse_results[1:]:
        for actual, wanted in zip(result, first):
            if np.shape(actual) == np.shape(wanted) and \
                    not close(actual, wanted, MODE_RTOL, MODE_ATOL):
                problems.append((configuration, 'modes disagree',
                                 f'{describe(configuration)} gives {result!r} but '
                                 f'{first_name} gives {first!r}'))
                break
    value, scale = directional(first, program.directions)
    for configuration, result in forward_results:
        if np.shape(result) == () and abs(float(result) - value) > MODE_ATOL + MODE_RTOL * scale:
            problems.append((configuration, 'modes disagree',
                             f'{describe(configuration)} gives {result!r} but {first_name} '
                             f'gradients project to {value!r}'))
    return problems


# Second order ------------------------------------------------------------------------

def first_order_gradient(function: Callable, program: Program) -> Callable:
    """Tangent's own first-order gradient (reverse joint, just checked against finite
    differences of the program), a function of the program's arguments returning a
    tuple of one gradient per ``wrt`` argument: the reference at second order."""
    derivative = tangent.autodiff(function, wrt=program.wrt, mode='reverse',
                                  check_dims=False)

    def gradient(*args):
        with np.errstate(all='ignore'):
            result = derivative(*fresh_args(args), 1.0)
        return tuple(result) if len(program.wrt) > 1 else (result,)
    return gradient


def reference_second_order(program: Program, gradient: Callable) -> tuple[tuple, tuple]:
    """Central differences of ``gradient``: along the directions v (H v, for forward
    over reverse) and of its projection ``<gradient, v>`` in each ``wrt`` argument (the
    same H v by symmetry, reached as the reverse-over compositions reach it), each a
    tuple by ``wrt`` argument. Discard if either disagrees between two steps."""
    def along(step):
        columns = [numerical_jvp(gradient, program.args, index, direction, step)
                   for index, direction in zip(program.wrt, program.directions)]
        return tuple(sum(parts) for parts in zip(*columns))

    def projected(*point):
        return directional(gradient(*point), program.directions)[0]

    def through_projection(step):
        return tuple(numerical_grad(projected, program.args, index, step)
                     for index in program.wrt)

    references = []
    for reference in (along, through_projection):
        with np.errstate(all='ignore'):
            fine, coarse = reference(STEP), reference(CHECK_STEP)
        if not all(np.all(np.isfinite(part)) for part in fine + coarse):
            raise Discard('second-order values out of range')
        if not all(close(a, b, RTOL, ATOL) for a, b in zip(fine, coarse)):
            raise Discard('second-order finite differences disagree')
        references.append(fine)
    return tuple(references)


TANGENT_SOURCE = os.path.dirname(os.path.abspath(tangent.__file__))


def is_unsupported(error: BaseException) -> bool:
    """A clear tangent error saying a function of the program has no rule for a mode
    (``tangent.no_second_derivative``'s, or a user function's), the documented way an
    unsupported derivative fails. A missing rule for a call inside tangent's own
    helpers (``getattr`` in a first-order rule's helper, differentiated from its
    source) names nothing the program wrote: it is an internal error."""
    return (isinstance(error, NotImplementedError)
            and type(error).__module__.startswith('tangent.')
            and TANGENT_SOURCE not in str(error))


def _signature(error: BaseException) -> str:
    inside = isinstance(error, NotImplementedError) and TANGENT_SOURCE in str(error)
    return f'raised {type(error).__name__}{" in a tangent helper" if inside else ""}'


def _compare_second_order(program: Program, function: Callable, run: Callable,
                          compositions: Sequence[tuple]) -> Outcome:
    try:
        along, through = reference_second_order(
            program, first_order_gradient(function, program))
    except Discard as reason:
        return Outcome('discarded', str(reason))
    except Exception as error:  # where the program itself runs (a candidate reduced?)
        return Outcome('failed', f'the gradient raises {type(error).__name__} near the point',
                       traceback.format_exc(limit=-3), 'gradient raised near the point')
    problems, unsupported, results = [], [], []
    for composition in compositions:
        name = describe(composition)
        try:
            with np.errstate(all='ignore'):
                result = run(function, program, composition)
        except Exception as error:
            message = f'{name}: {type(error).__name__}: {str(error).splitlines()[0]}'
            if is_unsupported(error):
                unsupported.append(message)
            else:
                problems.append((composition, _signature(error),
                                 f'{name}: raised {type(error).__name__}: {error}\n'
                                 + _traceback_tail(error)))
            continue
        if composition == ('forward', 'forward'):
            expected, scale = directional(along, program.directions)
            if not (np.shape(result) == () and
                    abs(float(result) - expected) <= ATOL + RTOL * scale):
                problems.append((composition, 'wrong second derivative',
                                 f'{name}: v.Hv is {result!r}, finite differences of the '
                                 f'gradient give {expected!r}'))
            continue
        expected = along if composition == ('forward', 'reverse') else through
        if not isinstance(result, tuple) or len(result) != len(expected):
            problems.append((composition, 'wrong shape',
                             f'{name}: gave {result!r}, not {len(expected)} array(s)'))
            continue
        results.append((composition, result))
        for argument, actual, wanted in zip(program.wrt, result, expected):
            if np.shape(actual) != np.shape(wanted):
                problems.append((composition, 'wrong shape',
                                 f'{name}: H v in argument {argument} has shape '
                                 f'{np.shape(actual)}, the argument has {np.shape(wanted)}'))
            elif not close(actual, wanted, RTOL, ATOL):
                problems.append((composition, 'wrong second derivative',
                                 f'{name}: H v in argument {argument} is {actual!r}, finite '
                                 f'differences of the gradient give {wanted!r}'))
    for composition, result in results[1:]:
        first_composition, first = results[0]
        if not all(np.shape(a) == np.shape(b) and close(a, b, MODE_RTOL, MODE_ATOL)
                   for a, b in zip(result, first)):
            problems.append((composition, 'modes disagree',
                             f'{describe(composition)} gives {result!r} but '
                             f'{describe(first_composition)} gives {first!r}'))
    if problems:
        failing = tuple(dict.fromkeys(composition for composition, _, _ in problems))
        return Outcome('failed', problems[0][2].split('\n')[0],
                       '\n'.join(text for _, _, text in problems + [
                           (None, None, message) for message in unsupported]),
                       problems[0][1], failing)
    if unsupported:
        return Outcome('unsupported', unsupported[0], '\n'.join(unsupported))
    return Outcome('ok')


def _traceback_tail(error: BaseException, frames: int = 3) -> str:
    lines = traceback.format_exception(type(error), error, error.__traceback__, limit=-frames)
    return ''.join('    ' + line for line in ''.join(lines).splitlines(keepends=True))


def report(program: Program, outcome: Outcome, label: str = '') -> str:
    """A failing program, ready to paste into a test: source, arguments, what went wrong."""
    wrt = ', '.join(str(i) for i in program.wrt)
    directions = ', '.join(_literal(d) for d in program.directions)
    return (f'---- failing program {label}: {outcome.reason}\n'
            f'{program.source()}\n'
            f'# args = {program.describe_args()}, wrt = ({wrt},), '
            f'forward tangents = ({directions},)\n'
            f'{outcome.details}\n')


# Reduction ---------------------------------------------------------------------------

def reduce_program(program: Program, outcome: Outcome, directory: str,
                   budget: float = 300.0,
                   run: Callable[[Callable, Program, tuple], Any] = differentiate,
                   ) -> tuple[Program, Outcome]:
    """Greedily shrink a failing program while it still fails the same way.

    Tries, until nothing more helps or ``budget`` seconds pass: fewer ``wrt``
    arguments, dropping the subroutine, fewer returned terms, deleting
    statements, replacing an ``if`` or a loop by its body, and replacing an
    expression by one of its sub-expressions. Only the configurations that
    failed are re-run, and a candidate counts only if it shows the same
    kind of failure (the same exception class, or a wrong derivative).
    """
    deadline = time.perf_counter() + budget
    configurations = outcome.configurations or tuple(CONFIGURATIONS)
    if any(len(configuration) == 2 for configuration in configurations):
        # The second-order reference is the reverse joint gradient: keep it checked.
        configurations = (CONFIGURATIONS[0],) + tuple(configurations)
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for candidate in _smaller(program):
            if time.perf_counter() > deadline:
                break
            result = check_program(candidate, directory, run, configurations)
            if result.status == 'failed' and result.signature == outcome.signature:
                program, outcome, improved = candidate, result, True
                break
    return program, outcome


def _smaller(program: Program):
    """Candidate programs one step simpler than ``program``."""
    if len(program.wrt) > 1:
        for position in range(len(program.wrt)):
            yield dataclasses.replace(program, wrt=(program.wrt[position],),
                                      directions=(program.directions[position],))
    functions = program.functions
    main = functions[-1]
    if len(functions) > 1:
        yield dataclasses.replace(program, functions=[main])
    if len(main.result) > 1:
        for position in range(len(main.result)):
            yield _with_function(program, -1, result=[main.result[position]])
    for index, function in enumerate(functions):
        for body in _smaller_blocks(function.body, protected=0):
            yield _with_function(program, index, body=body)
    for index, function in enumerate(functions):
        for position, term in enumerate(function.result):
            for simpler in _subexpressions(term):
                result = list(function.result)
                result[position] = simpler
                yield _with_function(program, index, result=result)


def _with_function(program: Program, index: int, **changes: Any) -> Program:
    functions = list(program.functions)
    functions[index] = dataclasses.replace(functions[index], **changes)
    return dataclasses.replace(program, functions=functions)


def _smaller_blocks(block: list, protected: int):
    """Variants of a block; its first ``protected`` statements are kept as they are."""
    for position in range(protected, len(block)):
        yield block[:position] + block[position + 1:]
    for position in range(protected, len(block)):
        for replacement in _smaller_statements(block[position]):
            yield block[:position] + replacement + block[position + 1:]


def _smaller_statements(statement: Any):
    if isinstance(statement, If):
        yield statement.body
        if statement.orelse:
            yield statement.orelse
            yield [If(statement.test, statement.body, [])]
        yield from _smaller_conditions(statement.test, lambda test: [
            If(test, statement.body, statement.orelse)])
        for body in _smaller_blocks(statement.body, 0):
            yield [If(statement.test, body, statement.orelse)]
        for orelse in _smaller_blocks(statement.orelse, 0):
            yield [If(statement.test, statement.body, orelse)]
    elif isinstance(statement, For):
        if not any(_exits(s) for s in statement.body):
            yield statement.body
        for body in _smaller_blocks(statement.body, 0):
            yield [For(statement.target, statement.iterable, body)]
    elif isinstance(statement, While):
        # The counter's step comes first and must stay, or the loop never ends.
        yield from _smaller_conditions(statement.test, lambda test: [
            While(test, statement.body)])
        for body in _smaller_blocks(statement.body, 1):
            yield [While(statement.test, body)]
    elif isinstance(statement, Line) and ' = ' in statement.text:
        target, value = statement.text.split(' = ', 1)
        for simpler in _subexpressions(value):
            yield [Line(f'{target} = {simpler}')]


def _smaller_conditions(test: Condition, rebuild: Callable):
    if len(test.parts) > 1:
        for position in range(len(test.parts)):
            if test.parts[position].data:
                yield rebuild(Condition(test.parts[:position] + test.parts[position + 1:]))
    for position, part in enumerate(test.parts):
        if part.data:
            for simpler in _subexpressions(part.left):
                parts = list(test.parts)
                parts[position] = dataclasses.replace(part, left=simpler)
                yield rebuild(Condition(parts))


def _subexpressions(text: str) -> list[str]:
    """The direct operands of an expression, as source text (calls: their arguments)."""
    import ast
    try:
        node = ast.parse(text, mode='eval').body
    except SyntaxError:
        return []
    children = [child for child in ast.iter_child_nodes(node)
                if isinstance(child, ast.expr) and not isinstance(child, ast.Attribute)
                and not (isinstance(node, ast.Call) and child is node.func)
                and not (isinstance(node, ast.Subscript) and child is node.slice)]
    if isinstance(node, (ast.List, ast.Tuple, ast.Dict)):
        return []  # a container must keep its length and keys
    return [ast.unparse(child) for child in children]


# The campaign ------------------------------------------------------------------------

def configurations_for(order: int) -> tuple:
    return tuple(CONFIGURATIONS) + (tuple(COMPOSITIONS) if order == 2 else ())


def _check_index(job: tuple[int, int, str, bool, int]) -> tuple[int, Outcome]:
    seed, index, directory, loop_escapes, order = job
    program = campaign_program(seed, index, loop_escapes, idioms=order == 2)
    return index, check_program(program, directory, configurations=configurations_for(order))


def run_campaign(examples: int, seed: int, jobs: int = 1,
                 indices: Sequence[int] | None = None, reduce: float = 0.0,
                 loop_escapes: bool = True, out=sys.stdout, order: int = 1) -> dict:
    """Check ``examples`` programs; print failures and a summary; return the counts.

    With ``reduce`` > 0, each failing program is also shrunk for up to that
    many seconds and printed again in its reduced form. With ``order=2`` the
    programs also use the idioms (``Generator.idioms``) and each one that
    passes at first order is checked at second order (``COMPOSITIONS``); the
    clear errors for what tangent does not support there are counted by message.
    """
    indices = list(range(examples)) if indices is None else list(indices)
    discarded: dict[str, int] = {}
    kinds: dict[str, int] = {}
    unsupported: dict[str, int] = {}
    unsupported_programs = 0
    failed: dict[int, Outcome] = {}
    with tempfile.TemporaryDirectory(prefix='tangent_fuzz_') as directory:
        work = [(seed, index, directory, loop_escapes, order) for index in indices]
        if jobs > 1:
            import multiprocessing
            with multiprocessing.get_context('fork').Pool(jobs) as pool:
                outcomes = dict(pool.imap_unordered(_check_index, work, chunksize=4))
        else:
            outcomes = dict(map(_check_index, work))
        for index in indices:
            outcome = outcomes[index]
            if outcome.status == 'discarded':
                discarded[outcome.reason] = discarded.get(outcome.reason, 0) + 1
            if outcome.status == 'unsupported':
                unsupported_programs += 1
                for message in outcome.details.splitlines():
                    unsupported[message] = unsupported.get(message, 0) + 1
            if outcome.status != 'failed':
                continue
            kinds[outcome.signature] = kinds.get(outcome.signature, 0) + 1
            failed[index] = outcome
            program = campaign_program(seed, index, loop_escapes, idioms=order == 2)
            label = f'#{index} (--seed {seed}{" --order 2" if order == 2 else ""} ' \
                    f'--only {index})'
            print(report(program, outcome, label), file=out, flush=True)
            if reduce > 0:
                small, small_outcome = reduce_program(program, outcome, directory, reduce)
                print(report(small, small_outcome, f'#{index}, reduced'), file=out, flush=True)
    failures = sum(kinds.values())
    total_discarded = sum(discarded.values())
    reasons = ', '.join(f'{count} {reason}' for reason, count in sorted(discarded.items()))
    if kinds:
        print('failures by kind: ' + ', '.join(
            f'{count} {kind}' for kind, count in sorted(kinds.items())), file=out)
    if unsupported:
        print(f'unsupported at second order, in {unsupported_programs} programs (their '
              f'other compositions checked), by message:', file=out)
        for message, count in sorted(unsupported.items(), key=lambda item: -item[1]):
            print(f'  {count} x {message}', file=out)
    print(f'{len(indices)} programs, {failures} failures '
          f'({len(indices) - total_discarded} checked'
          f'{f", {unsupported_programs} of them unsupported" if order == 2 else ""}; '
          f'{total_discarded} discarded as '
          f'ill-conditioned{": " + reasons if reasons else ""})', file=out)
    return {'programs': len(indices), 'failures': failures, 'discarded': discarded,
            'kinds': kinds, 'failed': failed, 'unsupported': unsupported,
            'unsupported_programs': unsupported_programs}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m tests.fuzz', description=__doc__.split(
        '\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--examples', type=int, default=100, help='programs to check')
    parser.add_argument('--seed', type=int, default=0, help='campaign seed')
    parser.add_argument('--jobs', type=int, default=1, help='worker processes')
    parser.add_argument('--only', type=int, action='append',
                        help='check only this program index (repeatable)')
    parser.add_argument('--show', action='store_true',
                        help='print the source of every program checked')
    parser.add_argument('--reduce', type=float, default=0.0, metavar='SECONDS',
                        help='also shrink each failing program, for up to SECONDS each')
    parser.add_argument('--no-loop-escapes', dest='loop_escapes', action='store_false',
                        help='never read a loop\'s variables after the loop')
    parser.add_argument('--order', type=int, choices=(1, 2), default=1,
                        help='2: also check the second-order compositions (and generate '
                             'comprehensions, map, appended lists, linear algebra)')
    options = parser.parse_args(argv)
    if options.show:
        for index in options.only or range(options.examples):
            program = campaign_program(options.seed, index, options.loop_escapes,
                                       idioms=options.order == 2)
            print(f'# program #{index}, args = {program.describe_args()}, '
                  f'wrt = {program.wrt}\n{program.source()}')
    started = time.perf_counter()
    counts = run_campaign(options.examples, options.seed, options.jobs, options.only,
                          options.reduce, options.loop_escapes, order=options.order)
    print(f'({time.perf_counter() - started:.0f} s)')
    return 1 if counts['failures'] else 0


if __name__ == '__main__':
    sys.exit(main())
