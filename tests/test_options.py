"""The options object: validated once, immutable, and the options part of the cache key."""

import numpy as np
import pytest

import tangent
from tangent.api.options import Options, for_callee


def test_options_are_immutable_and_hashable():
    options = Options()
    with pytest.raises(AttributeError, match="immutable"):
        options.mode = 'forward'
    assert hash(options) == hash(Options())


def test_verbose_does_not_change_the_key():
    assert Options(verbose=2) == Options(verbose=0)


def test_checkpoint_true_and_one_snapshot_are_different_keys():
    assert Options(checkpoint=True) != Options(checkpoint=1)
    assert Options(checkpoint=2) == Options(checkpoint=2)


def test_forward_mode_ignores_the_reverse_only_options():
    assert Options(mode='forward', motion='split', check_dims=False, checkpoint=True,
                   input_derivative=tangent.INPUT_DERIVATIVE.DefaultOne) == \
        Options(mode='forward')


@pytest.mark.parametrize('changes, error', [
    ({'mode': 'sideways'}, ValueError), ({'motion': 'both'}, ValueError),
    ({'input_derivative': 'ones'}, TypeError)])
def test_invalid_options_raise_clear_errors(changes, error):
    with pytest.raises(error, match=next(iter(changes))):
        Options(**changes)


def test_a_called_function_is_differentiated_as_a_plain_product():
    callee = for_callee(Options(motion='split', preserve_result=True, checkpoint=True))
    assert callee == Options(check_dims=False)
    assert for_callee(Options(mode='forward')).preserve_result


def _cubic(x):
    return x * x * x


def test_one_cache_entry_per_distinct_options():
    tangent.clear_cache()
    first = tangent.grad(_cubic)
    assert tangent.grad(_cubic, verbose=0) is not None
    assert tangent.api.cache.derivatives.entries  # written once, found again
    count = len(tangent.api.cache.derivatives.entries)
    tangent.grad(_cubic)
    assert len(tangent.api.cache.derivatives.entries) == count
    tangent.grad(_cubic, preserve_result=True)
    assert len(tangent.api.cache.derivatives.entries) == count + 1
    central_difference = (_cubic(2.0 + 1e-6) - _cubic(2.0 - 1e-6)) / 2e-6
    assert np.isclose(first(2.0), central_difference)
    assert np.isclose(tangent.grad(_cubic, preserve_result=True)(2.0)[0], central_difference)
