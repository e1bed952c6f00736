"""Dispatch: hand a runtime helper call to the backend that owns the values' types.
"""

from __future__ import annotations

from typing import Any

# Helpers for the tensors of other libraries, by the module prefix of their
# types: TensorFlow's are added by ``tangent.runtime_tf`` when it is first
# needed. Empty until then, so NumPy code pays one dict test per call.
_TENSOR_BACKENDS: dict[str, dict[str, Any]] = {}


def register_tensor_backend(module_prefix: str, helpers: dict[str, Any]) -> None:
    """Route runtime helper calls on values of ``module_prefix``'s types to ``helpers``."""
    _TENSOR_BACKENDS[module_prefix] = helpers


def _tensor_helper(name: str, *values: Any) -> Any:
    """The backend's helper ``name`` if one of ``values`` is such a tensor, else None."""
    for value in values:
        module = type(value).__module__
        for prefix, helpers in _TENSOR_BACKENDS.items():
            if module.startswith(prefix):
                return helpers.get(name)
    return None
