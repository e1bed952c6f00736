"""Smoke test of examples/: every script runs, shortened, and prints what it promises.

Each ``examples/*.py`` runs as a subprocess with ``TANGENT_EXAMPLES_QUICK=1``
in a temporary directory (where any picture it draws goes). ``tf_mlp.py`` is
skipped when TensorFlow is not installed, unless ``TANGENT_REQUIRE_TF=1``
asks for it to run regardless.
"""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / 'examples').glob('*.py'))
NEEDS_TENSORFLOW = {'tf_mlp.py'}
NUMBER = r'[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan'
LOSS = re.compile(rf'\bloss[\s=:]+({NUMBER})')


def run_example(path: Path, tmp_path: Path) -> str:
    env = dict(os.environ)
    env['TANGENT_EXAMPLES_QUICK'] = '1'
    env['TANGENT_EXAMPLES_OUTPUT'] = str(tmp_path)
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(ROOT), env.get('PYTHONPATH')]))
    env.setdefault('MPLBACKEND', 'Agg')
    completed = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                               capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, (
        f'{path.name} exited with {completed.returncode}\n--- stdout\n{completed.stdout}'
        f'\n--- stderr\n{completed.stderr}')
    return completed.stdout


def losses(output: str) -> list[float]:
    return [float(value) for value in LOSS.findall(output)]


def assert_loss_fell(output: str) -> None:
    values = losses(output)
    assert len(values) >= 2, f'expected at least two printed losses in:\n{output}'
    assert values[-1] < values[0], f'the loss did not fall: first {values[0]}, last {values[-1]}'


def check_quickstart(output, tmp_path):
    difference = float(re.search(rf'max difference:\s*({NUMBER})', output).group(1))
    assert difference < 1e-6
    assert 'def dlossdx' in output


def check_logistic_regression(output, tmp_path):
    assert_loss_fell(output)
    accuracy = float(re.search(rf'training accuracy ({NUMBER})', output).group(1))
    assert accuracy > 0.9
    if 'matplotlib is not installed' not in output:
        assert 'loss curve written to' in output
        assert (tmp_path / 'logistic_regression_loss.png').stat().st_size > 0


def check_rnn_gradient_clipping(output, tmp_path):
    assert_loss_fell(output)
    snippet = output.split('gradient norms')[0]
    assert '# Grad of: with insert_grad_of(h) as dh:' in snippet
    assert 'dh = np.clip(dh, -CLIP, CLIP)' in snippet
    clipped = re.search(r'start, clipped:\s*(.*)', output).group(1).split(', ')
    unclipped = re.search(r'start, unclipped:\s*(.*)', output).group(1).split(', ')
    # The clipping shrinks the recurrent weights' gradient.
    assert float(clipped[0]) < float(unclipped[0])


def check_newton_cg(output, tmp_path):
    hvp_error = float(re.search(rf'max difference ({NUMBER})', output).group(1))
    assert hvp_error < 1e-6
    newton = re.search(rf'Newton-CG:\s+(\d+) iterations.*final loss ({NUMBER})', output)
    descent = re.search(rf'gradient descent:\s+(\d+) iterations.*final loss ({NUMBER})', output)
    assert newton and descent, output
    assert int(newton.group(1)) < int(descent.group(1))
    assert float(newton.group(2)) <= float(descent.group(2))
    assert_loss_fell(output)


def check_custom_logsumexp(output, tmp_path):
    assert 'naive log-sum-exp: value inf, gradient [nan nan nan]' in output
    assert 'np.exp(features_at_theta - logsumexp' in output  # the inlined rule
    assert 'gradient finite: True; matches finite differences: True' in output


CHECKS = {
    'quickstart.py': check_quickstart,
    'logistic_regression.py': check_logistic_regression,
    'rnn_gradient_clipping.py': check_rnn_gradient_clipping,
    'newton_cg.py': check_newton_cg,
    'custom_logsumexp.py': check_custom_logsumexp,
}


def test_the_expected_examples_are_there():
    names = {path.name for path in EXAMPLES}
    assert set(CHECKS) <= names


@pytest.mark.parametrize('path', EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_runs(path, tmp_path):
    if path.name in NEEDS_TENSORFLOW and os.environ.get('TANGENT_REQUIRE_TF') != '1':
        if importlib.util.find_spec('tensorflow') is None:
            pytest.skip('TensorFlow is not installed (set TANGENT_REQUIRE_TF=1 to insist)')
    docstring = path.read_text(encoding='utf-8').lstrip()
    assert docstring.startswith(('"""', "'''")), f'{path.name} needs a module docstring'
    output = run_example(path, tmp_path)
    check = CHECKS.get(path.name)
    if check is not None:
        check(output, tmp_path)
    elif losses(output):
        assert_loss_fell(output)
