"""The shortcuts of ``quoting.to_source`` write what the standard unparser writes."""

import ast
import itertools
import pathlib

import gast
import pytest

import tangent
from tangent.syntax import comments, quoting

_ATOMS = ['x', 'y_1', '0', '1', '2.5', '1e-300', '1e+300', '0.001', '-1', '-0.0', '1e400',
          '(-2)', '3j', 'True', 'None', "'s'", '10**20', '123456789012345678901234567890']
_OPERATORS = ['+', '-', '*', '/', '//', '%', '**', '@', '<<', '&']


def unparsed(node):
    """What to_source wrote before its shortcuts: gast's converter, then the unparser."""
    return comments.render(quoting._Emitter().visit(gast.gast_to_ast(node)))


def test_assignments_of_names_and_numbers_read_as_the_unparser_writes_them():
    sources = [f'z = {a} {op} {b}' for a, b, op in itertools.product(_ATOMS, _ATOMS, _OPERATORS)]
    sources += [f'z = {a}' for a in _ATOMS]
    for source in sources:
        statement = gast.ast_to_gast(ast.parse(source)).body[0]
        assert quoting.to_source(statement) == unparsed(statement), source


@pytest.mark.parametrize('value', [-1, -2.5, float('inf'), float('nan'), True, 7, -0.0, 1e16])
def test_built_constants_with_signs_or_infinities_read_as_the_unparser_writes_them(value):
    statement = gast.Assign(
        targets=[gast.Name(id='z', ctx=gast.Store(), annotation=None, type_comment=None)],
        value=gast.BinOp(left=gast.Name(id='x', ctx=gast.Load(), annotation=None,
                                        type_comment=None),
                         op=gast.Pow(), right=gast.Constant(value=value, kind=None)),
        type_comment=None)
    assert quoting.to_source(statement) == unparsed(statement)


def test_the_converted_tree_is_the_one_gast_builds_for_every_module_of_tangent():
    for path in sorted(pathlib.Path(tangent.__file__).parent.rglob('*.py')):
        tree = gast.ast_to_gast(ast.parse(path.read_text()))
        assert ast.dump(quoting._to_ast(tree)) == ast.dump(gast.gast_to_ast(tree)), path
        assert quoting.to_source(tree) == unparsed(tree), path


def test_comments_with_quotes_and_backslashes_survive():
    for text in ["it's", 'a "quoted" word', 'back\\slash', 'tab\there', "both ' and \""]:
        body = [comments.comment(text), gast.Pass()]
        assert quoting.to_source(body).splitlines()[0] == '# ' + ' '.join(text.split())


def test_the_parsed_tree_is_the_one_gast_builds_for_every_module_of_tangent():
    for path in sorted(pathlib.Path(tangent.__file__).parent.rglob('*.py')):
        tree = ast.parse(path.read_text())
        assert gast.dump(quoting.to_gast(tree), include_attributes=True) == \
            gast.dump(gast.ast_to_gast(tree), include_attributes=True), path


def test_arithmetic_is_written_as_the_unparser_writes_it():
    """Assignments of arithmetic on names and numbers take a shortcut past the
    unparser: random ones, parenthesised every way, come out as it writes them."""
    import random
    generator = random.Random(7)
    operators = ['+', '-', '*', '/', '//', '%', '@', '**']
    leaves = ['a', 'b', 'x1', '2', '0.5', '3.0', '1e-3', '10', '1e+20', '0']

    def expression(depth):
        if depth == 0 or generator.random() < 0.3:
            return generator.choice(leaves)
        choice = generator.random()
        if choice < 0.2:
            return generator.choice(['-', '+', '~']) + '(' + expression(depth - 1) + ')'
        if choice < 0.3:
            return 'f(' + expression(depth - 1) + ')'
        return (f'({expression(depth - 1)} {generator.choice(operators)} '
                f'{expression(depth - 1)})')

    shortcut = 0
    for _ in range(3000):
        source = f'y = {expression(4)}\nz = -y ** 2'
        module = gast.parse(source)
        assert quoting.to_source(module) == ast.unparse(ast.parse(source)), source
        shortcut += quoting._simple_assignment(module.body[0]) is not None
    assert shortcut > 1000  # the shortcut is taken, not only the unparser
