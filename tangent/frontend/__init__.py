"""Reading the user's function: resolution and activity (``annotate``), the
supported subset (``fence``), wrapped functions (``decorators``), array methods
(``desugar``), inlining of user functions, and the normal form (``anf``)."""
