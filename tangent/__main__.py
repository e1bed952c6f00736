"""Command line: print the derivative tangent writes for a function in a file.

    python -m tangent PATH.py:FUNCTION [--wrt 0,1] [--mode reverse|forward]
                                       [--motion joint|split] [--no-optimize]
"""

from __future__ import annotations

import argparse
import importlib.util
import pathlib
import sys

from tangent.api import grad_util
from tangent.syntax import compile as compile_


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='python -m tangent',
        description='Print the Python source of the derivative that tangent generates for '
                    'FUNCTION defined in the file PATH.py.')
    parser.add_argument('target', metavar='PATH.py:FUNCTION',
                        help='the file and the name of the function to differentiate')
    parser.add_argument('--wrt', default='0',
                        help='comma-separated indices of the arguments to differentiate '
                             'with respect to (default: 0)')
    parser.add_argument('--mode', choices=['reverse', 'forward'], default='reverse',
                        help='reverse (gradients, VJPs) or forward (JVPs); default reverse')
    parser.add_argument('--motion', choices=['joint', 'split'], default='joint',
                        help='reverse mode: one function (joint) or forward and backward '
                             'functions joined by a tape (split); default joint')
    parser.add_argument('--no-optimize', action='store_true',
                        help='show the code before dead-code elimination and propagation')
    return parser


def _load(target: str):
    path_text, _, function_name = target.rpartition(':')
    if not path_text or not function_name:
        raise ValueError(f'expected PATH.py:FUNCTION, got {target!r}')
    path = pathlib.Path(path_text)
    if not path.is_file():
        raise FileNotFoundError(f'no such file: {path}')
    # The module is registered while it runs, as an import would: dataclasses and
    # pickling look their class's module up in sys.modules. A name already taken (the
    # file may be called json.py) gets a private one instead.
    name = path.stem if path.stem not in sys.modules else f'_tangent_cli_{path.stem}'
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(path.parent.resolve()))
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    finally:
        sys.path.pop(0)
    if not hasattr(module, function_name):
        raise AttributeError(f'{path} defines no function named {function_name!r}')
    return getattr(module, function_name)


def _highlight(source: str) -> str:
    if not sys.stdout.isatty() or importlib.util.find_spec('pygments') is None:
        return source
    import pygments
    from pygments.formatters import TerminalFormatter
    from pygments.lexers import PythonLexer
    return pygments.highlight(source, PythonLexer(), TerminalFormatter())


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        wrt = tuple(int(part) for part in args.wrt.split(','))
        function = _load(args.target)
        derivative = grad_util.autodiff(
            function, wrt=wrt, mode=args.mode, motion=args.motion,
            optimized=not args.no_optimize,
            input_derivative=grad_util.INPUT_DERIVATIVE.DefaultOne)
    except Exception as error:  # noqa: BLE001 - one clear line for any failure
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f'tangent: error: {type(error).__name__}: {message}', file=sys.stderr)
        return 1
    print(_highlight(compile_.source_of(derivative)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
