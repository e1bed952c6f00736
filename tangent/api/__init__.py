"""The public entry points (``grad_util``) and what they run: the options, the
pipeline, the cache of derivatives, versions chosen at call time
(``specialise``), gradient surgery and tracing."""
