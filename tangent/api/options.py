"""The options of a derivative: one immutable, validated object.

``autodiff`` builds one from its arguments; the pipeline reads it, and it is
the options part of the cache key. Options that do not change the code
(``verbose``) are not compared, and those a mode ignores are reset, so two
requests for the same code share one entry. (A plain class, not a dataclass:
it is defined at ``import tangent``, where a dataclass costs a millisecond.)
"""

from __future__ import annotations

from typing import Any

from tangent.transforms.motion import INPUT_DERIVATIVE

_REVERSE_ONLY = {'motion': 'joint', 'check_dims': True,
                 'input_derivative': INPUT_DERIVATIVE.Required, 'checkpoint': False}


class Options:
    """How to differentiate (see ``tangent.autodiff`` for each option)."""

    __slots__ = ('mode', 'motion', 'optimized', 'preserve_result', 'check_dims',
                 'input_derivative', 'checkpoint', 'verbose', '_key')

    def __init__(self, mode: str = 'reverse', motion: str = 'joint', optimized: bool = True,
                 preserve_result: bool = False, check_dims: bool = True,
                 input_derivative: INPUT_DERIVATIVE = INPUT_DERIVATIVE.Required,
                 checkpoint: bool | int = False, verbose: int = 0):
        if mode not in ('reverse', 'forward'):
            raise ValueError(f"mode must be 'reverse' or 'forward', got {mode!r}")
        if motion not in ('joint', 'split'):
            raise ValueError(f"motion must be 'joint' or 'split', got {motion!r}")
        if not isinstance(input_derivative, INPUT_DERIVATIVE):
            raise TypeError(f'input_derivative must be a tangent.INPUT_DERIVATIVE member, '
                            f'got {input_derivative!r}')
        values = dict(mode=mode, motion=motion, optimized=optimized,
                      preserve_result=preserve_result, check_dims=check_dims,
                      input_derivative=input_derivative, checkpoint=checkpoint)
        if mode == 'forward':  # no seed, no tape, no motion: one forward function
            values.update(_REVERSE_ONLY)
        for name, value in values.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, 'verbose', verbose)
        # checkpoint=True and checkpoint=1 compare equal, yet mean 2 sqrt(n)
        # snapshots and one snapshot: the key holds the type too.
        object.__setattr__(self, '_key', (*values.values(), type(values['checkpoint'])))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f'Options are immutable: use replace({name}=...)')

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Options) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        fields = ', '.join(f'{name}={getattr(self, name)!r}' for name in self.__slots__[:-1])
        return f'Options({fields})'

    def replace(self, **changes: Any) -> Options:
        """These options with ``changes``."""
        values = {name: getattr(self, name) for name in self.__slots__[:-1]}
        values.update(changes)
        return Options(**values)


# A function a derivative calls is differentiated as a plain vector-Jacobian
# product: joint motion, the seed required, no result kept, no shape check.
def for_callee(options: Options) -> Options:
    """The options a user function called by the differentiated one is written with."""
    return Options(mode=options.mode, optimized=options.optimized,
                   preserve_result=options.mode == 'forward', check_dims=False,
                   input_derivative=INPUT_DERIVATIVE.Required)
