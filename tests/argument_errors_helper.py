"""A helper in a module of its own, for tests/test_argument_errors.py: an error raised
inside it must be reported at this file's line, not the caller's."""


def checked(value):
    if value > 10.0:
        raise ValueError('too large to check')
    return value * 3.0
