"""Realistic programs written for autograd, differentiated unchanged by tangent.

Each module is one model in the style autograd's users write (``autograd.numpy as np``,
parameters as lists of ``(W, b)`` pairs and dicts) and defines:

- ``objective(...)``: the scalar function to differentiate, parameters first;
- ``inputs(rs)``: its arguments, built from a ``numpy.random.RandomState``;
- ``WRT``: the argument positions to differentiate.

A program that draws noise receives a ``RandomState`` as an argument; callers that
compare two tools give each an identically seeded copy, so both draw the same noise.
"""

import importlib

PROGRAM_NAMES = [
    'gp_regression',
    'deep_gp',
    'bbvi',
    'bayesian_nn',
    'vae',
    'gan',
    'gmm',
    'hmm',
    'rnn',
    'lstm',
    'convnet',
    'neural_ode',
    'ica',
    'negative_binomial',
    'fluid',
    'gplvm',
    'newton_cg',
    'logistic_regression',
    'softmax_mlp',
    'mixture_density_network',
    'kalman_filter',
    'skipgram',
    'neural_net_regression',
]


def load(name):
    """The program module called ``name``."""
    return importlib.import_module(f'{__name__}.{name}')


def all_programs():
    """Every program module, in the order of ``PROGRAM_NAMES``."""
    return [load(name) for name in PROGRAM_NAMES]
