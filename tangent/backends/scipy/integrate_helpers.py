"""The helpers the ``scipy.integrate`` rules call as ``tangent.<name>``."""

__all__: list[str] = []
