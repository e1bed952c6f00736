"""The options of a derivative: one frozen, validated object.

``autodiff`` builds one from its arguments; the pipeline reads it, and it is
the options part of the cache key. Options that do not change the code
(``verbose``) are not compared, and those a mode ignores are reset, so two
requests for the same code share one entry.
"""

from __future__ import annotations

import dataclasses

from tangent.transforms.motion import INPUT_DERIVATIVE


@dataclasses.dataclass(frozen=True)
class Options:
    """How to differentiate (see ``tangent.autodiff`` for each option)."""

    mode: str = 'reverse'
    motion: str = 'joint'
    optimized: bool = True
    preserve_result: bool = False
    check_dims: bool = True
    input_derivative: INPUT_DERIVATIVE = INPUT_DERIVATIVE.Required
    checkpoint: bool | int = False
    verbose: int = dataclasses.field(default=0, compare=False)
    # checkpoint=True and checkpoint=1 compare equal, yet mean 2 sqrt(n) snapshots
    # and one snapshot: the key holds the type too.
    _checkpoint_kind: type = dataclasses.field(default=bool, init=False, repr=False)

    def __post_init__(self):
        if self.mode not in ('reverse', 'forward'):
            raise ValueError(f"mode must be 'reverse' or 'forward', got {self.mode!r}")
        if self.motion not in ('joint', 'split'):
            raise ValueError(f"motion must be 'joint' or 'split', got {self.motion!r}")
        if not isinstance(self.input_derivative, INPUT_DERIVATIVE):
            raise TypeError(f'input_derivative must be a tangent.INPUT_DERIVATIVE member, '
                            f'got {self.input_derivative!r}')
        if self.mode == 'forward':  # no seed, no tape, no motion: one forward function
            for name in ('motion', 'check_dims', 'input_derivative', 'checkpoint'):
                object.__setattr__(self, name, Options.__dataclass_fields__[name].default)
        object.__setattr__(self, '_checkpoint_kind', type(self.checkpoint))

    def replace(self, **changes) -> Options:
        return dataclasses.replace(self, **changes)


# A function a derivative calls is differentiated as a plain vector-Jacobian
# product: joint motion, the seed required, no result kept, no shape check.
def for_callee(options: Options) -> Options:
    """The options a user function called by the differentiated one is written with."""
    return Options(mode=options.mode, optimized=options.optimized,
                   preserve_result=options.mode == 'forward', check_dims=False,
                   input_derivative=INPUT_DERIVATIVE.Required)
