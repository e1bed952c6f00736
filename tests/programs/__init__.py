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

import numpy

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


SEED = 0  # the arguments every test and benchmark differentiates at


def fresh_arguments(program):
    """The program's arguments, rebuilt so that any RandomState in them starts afresh."""
    return program.inputs(numpy.random.RandomState(SEED))


def leaves(tree):
    """The numeric leaves of nested lists, tuples and dicts, in a fixed order."""
    if isinstance(tree, dict):
        return [leaf for key in sorted(tree) for leaf in leaves(tree[key])]
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in leaves(item)]
    return [tree]
