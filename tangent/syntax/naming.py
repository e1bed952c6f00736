"""Names for generated variables and functions.

Generated names follow the original Tangent: the adjoint of ``x`` is ``bx``,
its tangent ``dx``, the reverse function of ``f`` with respect to ``x`` is
``dfdx``. Temporaries are named after what they hold (``tanh_x``) so the
generated code reads like hand-written code. A ``Namer`` hands out names that
collide with nothing the function already uses, with counters (never random
ids) so the same input always gives the same text.
"""

from __future__ import annotations

import builtins
import keyword
import re
from typing import Iterable

import gast

from tangent.syntax import annotations as anno

_MAX_TEMP_LENGTH = 24
# A temporary named ``min`` would shadow the builtin that generated code calls.
_BUILTIN_NAMES = frozenset(dir(builtins))
_OPERATOR_WORDS = {
    gast.Add: 'plus', gast.Sub: 'minus', gast.Mult: 'times', gast.Div: 'over',
    gast.Pow: 'to', gast.MatMult: 'at', gast.FloorDiv: 'floordiv',
    gast.Mod: 'mod', gast.USub: 'neg', gast.UAdd: 'pos', gast.Not: 'not',
    gast.Invert: 'invert',
}


def names_in(node: gast.AST) -> set[str]:
    """Every identifier used in ``node``: variables, parameters, attributes."""
    found = set()
    for child in anno.walk(node):
        if isinstance(child, gast.Name):
            found.add(child.id)
        elif isinstance(child, (gast.FunctionDef, gast.ClassDef)):
            found.add(child.name)
        elif isinstance(child, gast.Attribute):
            found.add(child.attr)
    return found


def function_name(prefix: str, func_name: str, wrt_names: Iterable[str]) -> str:
    """``dfdx`` for the derivative of ``f`` with respect to ``x``."""
    return prefix + func_name + ''.join('d' + name for name in wrt_names)


def adjoint_name(name: str) -> str:
    """The adjoint (reverse-mode gradient) variable of ``name``."""
    return 'b' + name


def tangent_name(name: str) -> str:
    """The tangent (forward-mode derivative) variable of ``name``."""
    return 'd' + name


class Namer:
    """Hands out fresh, readable, deterministic names."""

    def __init__(self, taken: Iterable[str] = ()):
        self.taken = set(taken)
        # The number after which the next ``base_N`` is looked for: names are only
        # ever added to ``taken``, so every lower number is still taken.
        self.last_number: dict[str, int] = {}

    def reserve(self, names: Iterable[str]) -> None:
        self.taken.update(names)

    def fresh(self, base: str) -> str:
        """``base`` itself if free, else ``base_1``, ``base_2``, ...; never a builtin's name."""
        base = _clean(base)
        if base not in self.taken and base not in _BUILTIN_NAMES:
            self.taken.add(base)
            return base
        for number in range(self.last_number.get(base, 0) + 1, 1_000_000):
            candidate = f'{base}_{number}'
            if candidate not in self.taken and candidate not in _BUILTIN_NAMES:
                self.taken.add(candidate)
                self.last_number[base] = number
                return candidate
        raise RuntimeError('ran out of names')  # unreachable in practice

    def temp_for(self, node: gast.AST) -> str:
        """A fresh name describing the value of expression ``node``."""
        return self.fresh(describe(node))


def _clean(base: str) -> str:
    leading = '_' if base.startswith('_') else ''
    base = leading + (re.sub(r'\W+', '_', base).strip('_') or 't')
    if base[0].isdigit():
        base = 't' + base
    if keyword.iskeyword(base):  # 'for' cut from for_each_loop_step
        base += '_'
    return base


def describe(node: gast.AST) -> str:
    """A short identifier describing expression ``node`` (``tanh_x``)."""
    text = _describe(node)
    if not text or len(text) > _MAX_TEMP_LENGTH:
        head = text.split('_')[0] if text else ''
        text = head if head and len(head) <= _MAX_TEMP_LENGTH else 't'
    return _clean(text)


def _describe(node: gast.AST) -> str:
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Constant):
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return str(node.value).replace('.', '_').replace('-', 'neg')
        return ''
    if isinstance(node, gast.Attribute):
        return node.attr
    if isinstance(node, gast.Call):
        func = _describe(node.func)
        args = [_describe(arg) for arg in node.args[:2]]
        return '_'.join([func] + [a for a in args if a])
    if isinstance(node, gast.BinOp):
        word = _OPERATOR_WORDS.get(type(node.op), 'op')
        return f'{_describe(node.left)}_{word}_{_describe(node.right)}'
    if isinstance(node, gast.UnaryOp):
        return f'{_OPERATOR_WORDS.get(type(node.op), "op")}_{_describe(node.operand)}'
    if isinstance(node, gast.Subscript):
        return f'{_describe(node.value)}_item'
    if isinstance(node, (gast.Compare, gast.BoolOp)):
        return 'cond'
    if isinstance(node, (gast.Tuple, gast.List)):
        return 'seq'
    if isinstance(node, gast.Dict):
        return 'dict'
    return ''


class Namespace:
    """The global names of one generated module and the objects they mean.

    The user's own global names come first and keep their names (the primal
    code uses them). Everything generated code adds (runtime helpers, NumPy
    in templates, derivative functions of subroutines) is bound under its
    preferred name when that is free, or reuses an existing binding that
    reaches the same object, or gets a fresh name.
    """

    def __init__(self, namer: Namer):
        self.namer = namer
        self.values: dict[str, object] = {}

    def bind_user(self, name: str, value: object) -> None:
        """Bind a name the user's code uses, exactly as the user means it."""
        self.values[name] = value
        self.namer.reserve([name])

    def ref(self, value: object, preferred: str) -> str:
        """A global name bound to ``value``, preferably ``preferred``."""
        for name in (preferred,):
            if name in self.values and self.values[name] is value:
                return name
        if preferred not in self.values and preferred not in self.namer.taken:
            self.namer.reserve([preferred])
            self.values[preferred] = value
            return preferred
        for name, bound in self.values.items():
            if bound is value:
                return name
        name = self.namer.fresh(preferred)
        self.values[name] = value
        return name

    def ref_chain(self, root: object, root_name: str, attrs: list[str]) -> str:
        """A root name such that ``root_name.a.b`` in generated code reaches
        the same object as ``root.a.b``, reusing the user's binding if it does.
        """
        target = _follow(root, attrs)
        existing = self.values.get(root_name)
        if existing is not None and existing is not root and attrs:
            if _follow(existing, attrs, default=None) is target:
                return root_name
        return self.ref(root, root_name)


def _follow(obj: object, attrs: list[str], default: object = ...) -> object:
    for attr in attrs:
        if default is ...:
            obj = getattr(obj, attr)
        else:
            obj = getattr(obj, attr, default)
            if obj is default:
                return default
    return obj
