"""Derivative rules of ``scipy.integrate``: adjoint and tangent templates."""
