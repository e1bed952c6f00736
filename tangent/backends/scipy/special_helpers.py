"""The helpers the ``scipy.special`` rules call as ``tangent.<name>``."""

__all__: list[str] = []
