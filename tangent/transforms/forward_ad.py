"""Forward mode: tangent code interleaved with the primal.

Requires: a function in normal form (``anf``) whose names are resolved
(``annotate.resolve``).

Produces a function ``dfdx(x, ..., dx)`` that runs the primal statements
and, right after each one that carries a derivative, the statement computing
its tangent ``dy`` from the tangents of its arguments. Control flow is kept
as it is (tangents flow forward with the values), so no tape is needed. A
tangent an argument does not carry is zero: rules are linear in their
tangents, so the zero is simplified away at generation time.
"""

from __future__ import annotations

import types
from typing import Any, Callable

import gast

from tangent import backends, runtime
from tangent.errors import (
    FUNCTION_VALUE, OBJECT_ATTRIBUTE, ForwardNotImplementedError, callable_name,
)
from tangent.frontend import annotate
from tangent.frontend.anf import is_atom
from tangent.rules import policy, registry
from tangent.rules.policy import Derivation
from tangent.syntax import annotations as anno, comments, create, quoting, transformers
from tangent.syntax.annotations import Key
from tangent.syntax.create import assign, name
from tangent.syntax.naming import Namer, Namespace, tangent_name
from tangent.transforms import template
from tangent.transforms.reverse_ad import (
    _differentiable,
    _numeric_variables,
    sequence_operation,
    sequence_variables,
)

ZERO = 'zero tangent'
ZERO_OF_VARIABLE = 'zero tangent of a variable that may broadcast'
TANGENT_VARIABLE = 'a tangent variable of the generated code'


class Subroutine:
    """What the driver returns for a user function called by the differentiated one."""

    def __init__(self, function: Callable, tangent_names: list):
        self.function = function  # its forward function, preserving the result: returns (dy, y)
        self.tangent_names = tangent_names  # its tangent parameters, in the order of the positions asked for


def _zero(of_variable: bool = False) -> gast.Constant:
    node = create.const(0.0)
    anno.set(node, Key.FUNC, ZERO_OF_VARIABLE if of_variable else ZERO)
    return node


def _is_zero(node: gast.AST) -> bool:
    marker = anno.get(node, Key.FUNC) if isinstance(node, gast.Constant) else None
    return marker is ZERO or marker is ZERO_OF_VARIABLE


def _drops_variable(*nodes: gast.AST) -> bool:
    """Whether dropping these zeros may lose a shape the result broadcast to."""
    return any(any(anno.get(n, Key.FUNC) is ZERO_OF_VARIABLE for n in anno.walk(node))
               for node in nodes)


class _ZeroSimplifier(transformers.NodeTransformer):
    """Removes zero tangents from an expression that is linear in tangents."""

    def __init__(self):
        self.dropped_term = False

    def visit_BinOp(self, node):
        self.generic_visit(node)
        left, right = _is_zero(node.left), _is_zero(node.right)
        of_variable = _drops_variable(node)
        if isinstance(node.op, gast.Add):
            if left and right:
                return _zero(of_variable)
            if left or right:
                self.dropped_term |= of_variable
                return node.right if left else node.left
        if isinstance(node.op, gast.Sub):
            if left and right:
                return _zero(of_variable)
            if right:
                self.dropped_term |= of_variable
                return node.left
            if left:
                self.dropped_term |= of_variable
                return gast.UnaryOp(op=gast.USub(), operand=node.right)
        if isinstance(node.op, (gast.Mult, gast.MatMult)) and (left or right):
            return _zero(of_variable)
        if isinstance(node.op, gast.Div) and left:
            return _zero(of_variable)
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        return _zero(_drops_variable(node)) if _is_zero(node.operand) else node

    def visit_Call(self, node):
        self.generic_visit(node)
        values = list(node.args) + [k.value for k in node.keywords]
        if any(_is_zero(v) for v in values) and not any(_has_tangent(v) for v in values):
            return _zero(_drops_variable(node))
        return node

    def visit_Subscript(self, node):
        self.generic_visit(node)
        return _zero(_drops_variable(node)) if _is_zero(node.value) else node

    def visit_Attribute(self, node):
        self.generic_visit(node)
        return _zero(_drops_variable(node)) if _is_zero(node.value) else node


def _has_tangent(node: gast.AST) -> bool:
    return any(anno.get(n, Key.FUNC) is TANGENT_VARIABLE for n in anno.walk(node))


class ForwardAD:
    """Writes the primal and tangent code of one normalised function."""

    def __init__(self, fdef: gast.FunctionDef, wrt: list[int], namer: Namer,
                 namespace: Namespace, differentiate_subroutine: Callable, filename: str,
                 param_types: dict[str, type] | None = None,
                 file_of: Callable[[int], str | None] | None = None):
        self.param_types = param_types or {}
        self.fdef = fdef
        self.namer = namer
        self.namespace = namespace
        self.differentiate_subroutine = differentiate_subroutine
        self.filename = filename
        # The file a line number refers to: helpers copied in come from other files.
        self.file_of = file_of or (lambda line: None)
        # The backends whose rules apply to differentiated values here, by name.
        self.libraries: dict = {}
        self.lineno = None  # of the user's statement being differentiated, for errors
        # Keyword-only parameters follow the positional ones (a subroutine's wrt
        # positions may name them).
        self.params = [arg.id for arg in fdef.args.args + fdef.args.kwonlyargs]
        self.wrt_names = [self.params[i] for i in wrt]
        self.result_name = fdef.body[-1].value.id
        self.active = annotate.activity(fdef, set(self.wrt_names), _differentiable)
        self.tangent_names: dict[str, str] = {}
        # Which + and * may join or repeat lists (their rules decide at run time).
        self.sequences = sequence_variables(fdef)
        self.numeric = _numeric_variables(fdef, self.sequences)

    def tan(self, primal: str) -> str:
        """The tangent variable of ``primal`` (``dx``)."""
        if primal not in self.tangent_names:
            self.tangent_names[primal] = self.namer.fresh(tangent_name(primal))
        return self.tangent_names[primal]

    def tan_ref(self, node: gast.expr) -> gast.expr:
        """The tangent of atom ``node``: a variable, or a zero."""
        if isinstance(node, gast.Name) and node.id in self.active:
            ref = name(self.tan(node.id))
            anno.set(ref, Key.FUNC, TANGENT_VARIABLE)
            return ref
        return _zero(of_variable=isinstance(node, gast.Name))

    def is_active(self, node):
        if isinstance(node, gast.Starred):  # f(*args) passes on what args holds
            node = node.value
        return isinstance(node, gast.Name) and node.id in self.active

    def run(self) -> tuple[list, list[str], str]:
        """Returns the body (without the return), the tangent parameter names, and the
        name of the result's tangent."""
        tangent_params = [self.tan(n) for n in self.wrt_names]
        body = []
        for param in self.params:
            if param in self.active and param not in self.wrt_names:
                body.extend(self.zero(param))  # reassigned later from a wrt argument
        body += self.block(self.fdef.body[:-1])
        if self.result_name in self.active:
            result_tangent = self.tan(self.result_name)
        else:
            result_tangent = self.namer.fresh(tangent_name(self.result_name))
            body.append(assign(result_tangent, create.runtime_call(
                self.namespace, runtime.init_grad, [name(self.result_name)])))
        return self.copies_of_written_parameters() + body, tangent_params, result_tangent

    def copies_of_written_parameters(self) -> list[gast.stmt]:
        """``x = tangent.copy(x)`` for each parameter the function writes into
        (``x[i] = v``, ``x.append(v)``): forward code runs the writes as they are, and
        the caller's arrays and lists must not change (reverse code restores them from
        its tape)."""
        written = []
        for node in anno.walk(self.fdef):
            appended = annotate.list_append(node)
            if appended is not None:
                written.append(appended[0])
            elif isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Subscript) \
                    and isinstance(node.targets[0].value, gast.Name):
                written.append(node.targets[0].value.id)
        return [assign(param, create.runtime_call(self.namespace, runtime.copy, [name(param)]))
                for param in dict.fromkeys(written) if param in self.params]

    def block(self, stmts: list) -> list:
        out = []
        for stmt in stmts:
            out.extend(self.statement(stmt))
        return out

    def where(self, node) -> str:
        line = getattr(node, 'lineno', None) or self.lineno or '?'
        return f'called at {self._file_at(line)}:{line}'

    def _file_at(self, line: Any) -> str:
        return (self.file_of(line) if isinstance(line, int) else None) or self.filename

    def statement(self, stmt) -> list:
        self.lineno = anno.get(stmt, Key.LINENO) or self.lineno
        tape = annotate.tape_operation(stmt)
        if tape is not None:
            return self.tape_statement(stmt, *tape)
        appended = annotate.list_append(stmt)
        if appended is not None and appended[0] in self.active:
            list_name, value = appended
            tangent_value = (name(self.tan(value.id)) if self.is_active(value) else
                             create.runtime_call(self.namespace, runtime.init_grad,
                                                 [anno.copy_tree(value)]))
            append = gast.Attribute(value=name(self.tan(list_name)), attr='append',
                                    ctx=gast.Load())
            return [stmt, gast.Expr(value=gast.Call(func=append, args=[tangent_value],
                                                    keywords=[]))]
        popped_list = annotate.list_pop(stmt)
        if popped_list is not None and popped_list in self.active:
            # Derivatives tangent wrote pop their lists; the tangents go with the items.
            pop = gast.Attribute(value=name(self.tan(popped_list)), attr='pop', ctx=gast.Load())
            return [stmt, gast.Expr(value=gast.Call(func=pop, args=[], keywords=[]))]
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Name):
                return self.assign(stmt, target.id, stmt.value)
            return self.subscript_write(stmt, target, stmt.value)
        if isinstance(stmt, gast.If):
            return [gast.If(test=stmt.test, body=self.block(stmt.body) or [gast.Pass()],
                            orelse=self.block(stmt.orelse))]
        if isinstance(stmt, gast.For):
            return [gast.For(target=stmt.target, iter=stmt.iter,
                             body=self.block(stmt.body) or [gast.Pass()], orelse=[],
                             type_comment=None)]
        if isinstance(stmt, gast.While):
            return [gast.While(test=stmt.test, body=self.block(stmt.body) or [gast.Pass()],
                               orelse=[])]
        if isinstance(stmt, gast.With):
            return []  # insert_grad_of blocks belong to the backward pass only
        return [stmt]

    def tape_statement(self, stmt, kind, op_id, operand) -> list:
        """Tangents travel on the tape beside the values they belong to."""
        call = stmt.value
        if kind == 'push':
            if annotate.tape_slot(op_id) not in self.active:
                return [stmt]
            tangent_value = (name(self.tan(operand.id)) if self.is_active(operand) else
                             create.runtime_call(self.namespace, runtime.init_grad,
                                                 [anno.copy_tree(operand)]))
            push = gast.Expr(value=gast.Call(func=anno.copy_tree(call.func),
                                             args=[anno.copy_tree(call.args[0]), tangent_value,
                                                   anno.copy_tree(call.args[2])], keywords=[]))
            return [stmt, push]
        if kind == 'pop':
            if operand not in self.active:
                return [stmt]
            if annotate.tape_slot(op_id) not in self.active:  # a constant was pushed
                return [stmt] + self.zero(operand)
            return [assign(self.tan(operand), anno.copy_tree(call)), stmt]
        target, value = operand
        if target not in self.active:
            return [stmt]
        tangent_value = self.tan_ref(value)
        if _is_zero(tangent_value):
            return [stmt]
        add = assign(self.tan(target), gast.Call(func=anno.copy_tree(call.func),
                                                 args=[name(self.tan(target)),
                                                       anno.copy_tree(call.args[1]),
                                                       tangent_value], keywords=[]))
        return [stmt, add]

    def assign(self, stmt, target: str, value) -> list:
        if target not in self.active:
            return [stmt]
        if isinstance(value, gast.Call) and self._is_subroutine(value):
            return self.subroutine(stmt, target, value)
        tangent_stmts = self.tangent_of(target, value)
        if tangent_stmts and comments.is_comment(tangent_stmts[0]) is False:
            tangent_stmts.insert(0, comments.comment(
                'Tangent of: ' + quoting.to_source(stmt)))
        return [stmt] + tangent_stmts

    def zero(self, target: str) -> list:
        return [assign(self.tan(target), create.runtime_call(self.namespace, runtime.init_grad,
                                                             [name(target)]))]

    def tangent_of(self, target: str, value) -> list:
        if isinstance(value, gast.Name):
            if self.is_active(value):
                return [assign(self.tan(target), name(self.tan(value.id)))]
            return self.zero(target)
        if is_atom(value) or not _differentiable(value):
            return self.zero(target)
        if isinstance(value, (gast.BinOp, gast.UnaryOp)):
            func, args = annotate.operation_of(value)
            if annotate.is_square(value):  # x * x is x ** 2: one term, not two
                func, args = annotate.operator.pow, [value.left, create.const(2)]
            func = sequence_operation(value, self.numeric, self.sequences) or func
            return self.expand_rule(func, target, args, {}, value)
        if isinstance(value, gast.Call):
            func = annotate.callee(value)
            args = annotate.call_arguments(value)
            if not any(self.is_active(a) for a in args) and \
                    not any(self.is_active(k.value) for k in value.keywords) and \
                    not any(self.is_active(r) for r in annotate.unresolved_receiver(value)):
                return self.zero(target)
            if func is not None and policy.derivation(func, 'forward') is Derivation.RULE:
                keywords = {k.arg: k.value for k in value.keywords}
                return self.expand_rule(func, target, args, keywords, value)
            if func is None:
                raise ForwardNotImplementedError(quoting.to_source(value.func),
                                                 self.where(value),
                                                 annotate.unresolved_callee_advice(value))
            what = callable_name(func)
            raise ForwardNotImplementedError(what, self.where(value))
        if isinstance(value, gast.Subscript):
            if not self.is_active(value.value):
                return self.zero(target)
            return [assign(self.tan(target), gast.Subscript(
                value=name(self.tan(value.value.id)), slice=anno.copy_tree(value.slice),
                ctx=gast.Load()))]
        if isinstance(value, (gast.Tuple, gast.List)):
            elements = [name(self.tan(e.id)) if self.is_active(e) else
                        create.runtime_call(self.namespace, runtime.init_grad, [anno.copy_tree(e)])
                        for e in value.elts]
            return [assign(self.tan(target), type(value)(elts=elements, ctx=gast.Load()))]
        if isinstance(value, gast.Dict):
            values = [name(self.tan(v.id)) if self.is_active(v) else
                      create.runtime_call(self.namespace, runtime.init_grad, [anno.copy_tree(v)])
                      for v in value.values]
            return [assign(self.tan(target), gast.Dict(keys=anno.copy_tree(value.keys),
                                                       values=values))]
        if isinstance(value, gast.Attribute):
            if value.attr == 'T' and self.is_active(value.value):
                return [assign(self.tan(target), gast.Attribute(
                    value=name(self.tan(value.value.id)), attr='T', ctx=gast.Load()))]
            if self.is_active(value.value):
                raise ForwardNotImplementedError(f'the attribute .{value.attr}', self.where(value),
                                                 OBJECT_ATTRIBUTE)
            return self.zero(target)
        if isinstance(value, gast.Lambda):
            raise ForwardNotImplementedError(quoting.to_source(value), self.where(value),
                                             FUNCTION_VALUE)
        raise ForwardNotImplementedError(quoting.to_source(value), self.where(value))

    def expand_rule(self, func, target, args, keywords, node) -> list:
        backends.check_unmixed(self.libraries, func,
                               self.where(node).removeprefix('called at '), self.fdef.name)
        rule = template.parse_template(registry.tangents[func])
        func_name = getattr(func, '__name__', str(func))
        bindings = rule.bind(list(args), keywords, self.namespace, func_name)
        bindings[rule.result_param] = name(target)

        differentiated = set()

        def read(param):
            if param == rule.result_param:
                raise TypeError(f'Tangent template {rule.name} reads d[{param}] of its result.')
            differentiated.add(param)
            return self.tan_ref(bindings[param])

        def write(param, value):
            if param != rule.result_param:
                raise TypeError(f'Tangent template {rule.name} may only assign '
                                f'd[{rule.result_param}].')
            simplifier = _ZeroSimplifier()
            value = simplifier.visit(value)
            if _is_zero(value):
                return self.zero(target)
            primal_names = {n.id for atom in bindings.values() for n in anno.walk(atom)
                            if isinstance(n, gast.Name)}
            reads_primal = any(isinstance(n, gast.Name) and n.id in primal_names
                               for n in anno.walk(value))
            if simplifier.dropped_term and not reads_primal:
                # A lone tangent may be smaller than the broadcast result it stands for.
                value = create.runtime_call(self.namespace, runtime.broadcast_like,
                                            [value, name(target)])
            return [assign(self.tan(target), value)]

        out = template.expand(rule, bindings, self.namespace, self.namer, read, write)
        if rule.varargs in differentiated:  # d[args]: every argument gathered there
            differentiated.update(p for p in bindings if p.startswith(rule.varargs + '['))
        template.require_partials(rule, func, bindings, differentiated, self.is_active,
                                  'forward', self.where(node).removeprefix('called at '))
        return out

    def _is_subroutine(self, call) -> bool:
        func = annotate.callee(call)
        # A function with a custom adjoint but no tangent is a primitive with a
        # missing rule, not source to read: tangent_of reports it.
        return (func is not None
                and policy.derivation(func, 'forward') in (Derivation.SOURCE, Derivation.TRACED)
                and isinstance(annotate.call_target(call)[0], types.FunctionType)
                and not annotate.is_library_primitive(annotate.call_target(call)[0]))

    def subroutine(self, stmt, target, call) -> list:
        func, call_args = annotate.call_target(call)
        line = anno.get(stmt, Key.LINENO)
        where = (self._file_at(line), line, None)
        active = annotate.active_parameters(func, call_args, call.keywords, self.is_active,
                                            where)
        if not active:
            return [stmt] + self.zero(target)
        subroutine = self.differentiate_subroutine(
            func, tuple(active), annotate.argument_types(func, call_args, self.param_types,
                                                      call.keywords))
        function_name = self.namespace.ref(subroutine.function, subroutine.function.__name__)
        tangent_keywords = [gast.keyword(arg=tangent_param, value=name(self.tan(node.id)))
                            for tangent_param, node in zip(subroutine.tangent_names,
                                                           active.values())]
        new_call = gast.Call(func=name(function_name), args=anno.copy_tree(call_args),
                             keywords=anno.copy_tree(call.keywords) + tangent_keywords)
        return [comments.comment('Tangent of: ' + quoting.to_source(stmt)),
                assign(gast.Tuple(elts=[name(self.tan(target), store=True),
                                        name(target, store=True)], ctx=gast.Store()),
                       new_call)]

    def subscript_write(self, stmt, target, value) -> list:
        base = target.value.id
        if base not in self.active:
            return [stmt]
        out = [stmt, comments.comment('Tangent of: ' + quoting.to_source(stmt))]
        out.append(assign(self.tan(base), create.runtime_call(self.namespace, runtime.copy,
                                                              [name(self.tan(base))])))
        if self.is_active(value):
            item = name(self.tan(value.id))
        elif isinstance(value, gast.Constant) and isinstance(value.value, (int, float)):
            item = create.const(0.0)
        else:  # a list, dict or array item needs a zero of its own structure
            item = create.runtime_call(self.namespace, runtime.init_grad,
                                       [anno.copy_tree(value)])
        out.append(assign(gast.Subscript(value=name(self.tan(base)),
                                         slice=anno.copy_tree(target.slice), ctx=gast.Store()),
                          item))
        return out


__all__ = ['ForwardAD', 'Subroutine']
