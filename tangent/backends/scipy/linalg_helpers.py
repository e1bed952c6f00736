"""The helpers the ``scipy.linalg`` rules call as ``tangent.<name>``."""

__all__: list[str] = []
