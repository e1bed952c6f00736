"""LSTM sequence classifier: gates from a concatenated input and hidden state, dict parameters."""

import autograd.numpy as np
from autograd.scipy.special import logsumexp

WRT = (0,)


def sigmoid(x):
    return 0.5 * (np.tanh(x / 2.0) + 1.0)


def affine(weights, input, hiddens):
    cat_state = np.concatenate((input, hiddens, np.ones((input.shape[0], 1))), axis=1)
    return np.dot(cat_state, weights)


def lstm_final_state(params, inputs):
    num_sequences = inputs.shape[1]
    hiddens = np.repeat(params['init_hiddens'], num_sequences, axis=0)
    cells = np.repeat(params['init_cells'], num_sequences, axis=0)
    states = [hiddens]
    for input in inputs:
        change = np.tanh(affine(params['change'], input, hiddens))
        forget = sigmoid(affine(params['forget'], input, hiddens))
        ingate = sigmoid(affine(params['ingate'], input, hiddens))
        outgate = sigmoid(affine(params['outgate'], input, hiddens))
        cells = cells * forget + ingate * change
        hiddens = outgate * np.tanh(cells)
        states.append(hiddens)
    return states[-1]


def objective(params, inputs, labels):
    """Softmax cross-entropy of the class read off the last hidden state."""
    final = lstm_final_state(params, inputs)
    logits = np.dot(final, params['readout_W']) + params['readout_b']
    log_probs = logits - logsumexp(logits, axis=1, keepdims=True)
    return -np.mean(np.sum(log_probs * labels, axis=1))


def inputs(rs):
    input_size, state_size, num_classes = 3, 5, 2
    gate_shape = (input_size + state_size + 1, state_size)
    params = {'init_hiddens': 0.1 * rs.randn(1, state_size),
              'init_cells': 0.1 * rs.randn(1, state_size),
              'change': 0.3 * rs.randn(*gate_shape),
              'forget': 0.3 * rs.randn(*gate_shape),
              'ingate': 0.3 * rs.randn(*gate_shape),
              'outgate': 0.3 * rs.randn(*gate_shape),
              'readout_W': 0.3 * rs.randn(state_size, num_classes),
              'readout_b': np.zeros(num_classes)}
    sequences = rs.randn(7, 4, input_size)
    labels = np.eye(num_classes)[rs.randint(0, num_classes, size=4)]
    return params, sequences, labels
