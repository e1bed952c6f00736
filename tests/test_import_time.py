"""What ``import tangent`` loads, and what it leaves for first use.

``import tangent`` leaves out what a program that never uses it does not need:
the conveniences, gradient surgery, forward mode, and the rules of calls that go
through autograd's own derivatives. Each is loaded, and works, the first time it
is used. Each check runs in a fresh interpreter, since this one has long
imported everything.
"""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tangent
from reference import numerical_grad

DEFERRED = ('tangent.api.conveniences', 'tangent.api.surgery',
            'tangent.transforms.forward_ad', 'tangent.backends.numpy.autograd_helpers',
            'tangent.backends.numpy.autograd_rules')


def _run(code, cwd=None):
    completed = subprocess.run([sys.executable, '-c', textwrap.dedent(code)], cwd=cwd,
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_import_tangent_leaves_the_deferred_modules_unloaded():
    loaded = json.loads(_run(f'''
        import json, sys, tangent
        print(json.dumps([name for name in {DEFERRED!r} if name in sys.modules]))
    '''))
    assert loaded == []


def test_numpy_is_imported_before_any_module_of_tangent():
    order = json.loads(_run('''
        import json, sys

        class Recorder:
            """Records each module the first time it is looked for, then steps aside."""
            order = []

            def find_spec(self, name, path=None, target=None):
                self.order.append(name)
                return None

        sys.meta_path.insert(0, Recorder())
        import tangent
        print(json.dumps(Recorder.order))
    '''))
    first_tangent_module = next(i for i, name in enumerate(order)
                                if name.startswith('tangent.'))
    assert 'numpy' in order[:first_tangent_module]


LAZY_NAMES = {'elementwise_grad': 'tangent.api.conveniences',
              'hessian': 'tangent.api.conveniences', 'hvp': 'tangent.api.conveniences',
              'jacobian': 'tangent.api.conveniences',
              'value_and_grad': 'tangent.api.conveniences',
              'insert_grad_of': 'tangent.api.surgery', 'tangent': 'tangent.api.surgery'}


@pytest.mark.parametrize('name', sorted(LAZY_NAMES))
def test_a_deferred_public_name_is_its_module_s_object(name):
    found = json.loads(_run(f'''
        import json, sys, tangent
        from tangent import {name} as value
        module = sys.modules[{LAZY_NAMES[name]!r}]
        print(json.dumps([value is getattr(module, {name!r}), getattr(tangent, {name!r}) is value,
                          {name!r} in dir(tangent)]))
    '''))
    assert found == [True, True, True]


def test_an_unknown_name_of_tangent_still_raises_attribute_error():
    with pytest.raises(AttributeError, match='no attribute'):
        getattr(tangent, 'no_such_name')


AUTOGRAD_PRIMITIVE = '''
import autograd.numpy as anp
from autograd.extend import defvjp, primitive


@primitive
def softplus(x):
    return anp.log1p(anp.exp(x))


defvjp(softplus, lambda ans, x: lambda g: g / (1.0 + anp.exp(-x)))


def f(x):
    return anp.sum(softplus(x) * x)
'''


def test_autograd_rules_load_when_autograd_is_imported_after_tangent(tmp_path):
    (tmp_path / 'uses_autograd.py').write_text(AUTOGRAD_PRIMITIVE)
    x = np.array([0.3, -1.2, 2.0])
    gradient = json.loads(_run(f'''
        import json, sys
        import numpy as np
        import tangent
        assert 'tangent.backends.numpy.autograd_rules' not in sys.modules
        import uses_autograd
        print(json.dumps(list(tangent.grad(uses_autograd.f)(np.array({list(x)!r})))))
    ''', cwd=tmp_path))

    def softplus_times_x(v):
        return np.sum(np.log1p(np.exp(v)) * v)
    np.testing.assert_allclose(gradient, numerical_grad(softplus_times_x, [x], 0),
                               rtol=1e-6, atol=1e-8)


def test_forward_mode_loads_on_first_use(tmp_path):
    (tmp_path / 'plain.py').write_text(
        'import numpy as np\n\n\ndef f(x):\n    return np.sum(np.sin(x) * x)\n')
    x, v = np.array([0.4, -0.9]), np.array([1.0, 0.5])
    tangent_value = json.loads(_run(f'''
        import json, sys
        import numpy as np
        import tangent, plain
        assert 'tangent.transforms.forward_ad' not in sys.modules
        derivative = tangent.autodiff(plain.f, mode='forward')
        print(json.dumps(float(derivative(np.array({list(x)!r}), np.array({list(v)!r})))))
    ''', cwd=tmp_path))
    gradient = numerical_grad(lambda y: np.sum(np.sin(y) * y), [x], 0)
    np.testing.assert_allclose(tangent_value, gradient @ v, rtol=1e-6)
