"""A backend for ``toy_vectors``, written entirely inside the test suite.

It is what ``docs/adding_a_backend.md`` describes: one descriptor, and a
rules module that registers adjoints, tangents, functions without a
derivative, and the toy versions of the runtime helpers generated code calls
on the library's values. Nothing under ``tangent/`` names it.
"""

from tangent.backends import Backend

BACKEND = Backend(
    name='toy',
    modules=('toy_vectors',),
    rules=('toy_backend_rules',),
    tensor_helpers='toy_backend_rules:HELPERS',
)
