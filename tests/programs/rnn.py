"""Character-level recurrent network: next-symbol log-likelihood with dict parameters."""

import autograd.numpy as np
from autograd.scipy.special import logsumexp

WRT = (0,)


def sigmoid(x):
    return 0.5 * (np.tanh(x / 2.0) + 1.0)


def concat_and_multiply(weights, *args):
    cat_state = np.hstack(args + (np.ones((args[0].shape[0], 1)),))
    return np.dot(cat_state, weights)


def rnn_predict(params, inputs):
    def update_rnn(input, hiddens):
        return np.tanh(concat_and_multiply(params['change'], input, hiddens))

    def hiddens_to_output_probs(hiddens):
        output = concat_and_multiply(params['predict'], hiddens)
        return output - logsumexp(output, axis=1, keepdims=True)

    num_sequences = inputs.shape[1]
    hiddens = np.repeat(params['init_hiddens'], num_sequences, axis=0)
    output = [hiddens_to_output_probs(hiddens)]
    for input in inputs:
        hiddens = update_rnn(input, hiddens)
        output.append(hiddens_to_output_probs(hiddens))
    return output


def objective(params, inputs, targets):
    """Mean negative log-likelihood of each next symbol."""
    logprobs = rnn_predict(params, inputs)
    loglik = 0.0
    num_time_steps, num_examples, _ = inputs.shape
    for t in range(num_time_steps):
        loglik += np.sum(logprobs[t] * targets[t])
    return -loglik / (num_time_steps * num_examples)


def inputs(rs):
    input_size, state_size, output_size = 4, 6, 4
    params = {'init_hiddens': 0.1 * rs.randn(1, state_size),
              'change': 0.3 * rs.randn(input_size + state_size + 1, state_size),
              'predict': 0.3 * rs.randn(state_size + 1, output_size)}
    symbols = rs.randint(0, input_size, size=(6, 3))
    one_hot = np.eye(input_size)[symbols]
    return params, one_hot[:-1], one_hot[1:]
