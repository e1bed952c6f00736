"""Derivative rules of ``scipy.linalg``: adjoint and tangent templates."""
