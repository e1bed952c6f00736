"""Derivative rules of ``scipy.special``: adjoint and tangent templates."""
