"""The helpers the ``scipy.stats`` rules call as ``tangent.<name>``."""

__all__: list[str] = []
