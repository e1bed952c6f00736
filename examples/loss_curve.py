"""Saves a loss curve as a PNG for the training examples, when matplotlib is there.

Not an example itself: ``logistic_regression.py``, ``rnn_gradient_clipping.py``,
``newton_cg.py`` and ``tf_mlp.py`` import ``save_loss_curve`` from it. The
picture goes to the directory named by ``TANGENT_EXAMPLES_OUTPUT``, else the
current one. Without matplotlib it prints that no picture was written.

Run on its own, it draws a sample curve: python examples/loss_curve.py
"""

import importlib.util
import os


def save_loss_curve(name, curves, xlabel='step', title=''):
    """Plot ``curves`` (label -> list of losses) into ``<name>_loss.png``; say so.

    Returns the path written, or None when matplotlib is not installed.
    """
    if importlib.util.find_spec('matplotlib') is None:
        print('matplotlib is not installed: no loss-curve PNG written')
        return None
    import matplotlib

    matplotlib.use('Agg')  # no display needed
    from matplotlib import pyplot as plt

    folder = os.environ.get('TANGENT_EXAMPLES_OUTPUT', '.')
    path = os.path.join(folder, f'{name}_loss.png')
    figure, axes = plt.subplots(figsize=(5, 3.5))
    for label, losses in curves.items():
        axes.plot(range(len(losses)), losses, label=label)
    if len(curves) > 1:
        axes.legend()
    axes.set_xlabel(xlabel)
    axes.set_ylabel('loss')
    axes.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f'loss curve written to {path}')
    return path


if __name__ == '__main__':
    save_loss_curve('sample', {'sample': [1.0 / (1 + step) for step in range(20)]},
                    title='a sample loss curve')
