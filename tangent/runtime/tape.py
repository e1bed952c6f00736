"""The tape: the stack the forward sweep pushes onto and the backward sweep pops.
"""

from __future__ import annotations

from typing import Any


# --------------------------------------------------------------------------- tape


class Stack(list):
    """LIFO tape that the forward sweep pushes onto and the backward sweep pops."""

    __slots__ = ()

    def __repr__(self) -> str:
        # Contents can be huge arrays; the length is what matters when debugging.
        return f"Stack(len={len(self)})"


def push(stack: Stack, x: Any, op_id: str) -> None:
    """Push `x` onto `stack`; `op_id` pairs this push with its pop in the source."""
    stack.append(x)


def pop(stack: Stack, op_id: str) -> Any:
    """Pop and return the most recently pushed item of `stack`."""
    try:
        return stack.pop()
    except IndexError:
        # Only reached on a bug; the op_id tells which push is missing.
        raise IndexError(f"pop from an empty Stack (op_id {op_id!r}): no matching push") from None


def push_stack(stack: Stack, substack: Stack, op_id: str) -> None:
    """Push a whole Stack (the tape of an inner call) onto `stack`."""
    stack.append(substack)


def pop_stack(stack: Stack, op_id: str) -> Stack:
    """Pop and return the Stack most recently pushed with `push_stack`."""
    return pop(stack, op_id)
