"""Derivative rules of ``scipy.stats``: adjoint and tangent templates."""
