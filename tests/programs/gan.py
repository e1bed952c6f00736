"""Generative adversarial network on 2-D points: the minimax value of generator and critic."""

import autograd.numpy as np

WRT = (0, 1)
NOISE_DIM = 3


def init_params(scale, layer_sizes, rs):
    return [(scale * rs.randn(m, n), scale * rs.randn(n))
            for m, n in zip(layer_sizes[:-1], layer_sizes[1:])]


def leaky_relu(x):
    return np.where(x > 0, x, 0.1 * x)


def neural_net_predict(params, inputs):
    for W, b in params[:-1]:
        inputs = leaky_relu(np.dot(inputs, W) + b)
    W, b = params[-1]
    return np.dot(inputs, W) + b


def logsigmoid(x):
    return x - np.logaddexp(0, x)


def sample_noise(rs, num_samples):
    return rs.randn(num_samples, NOISE_DIM)


def objective(gen_params, dsc_params, real_data, rs):
    """The discriminator maximises it, the generator minimises it."""
    fake_data = neural_net_predict(gen_params, sample_noise(rs, len(real_data)))
    logprobs_fake = logsigmoid(neural_net_predict(dsc_params, fake_data))
    logprobs_real = logsigmoid(neural_net_predict(dsc_params, real_data))
    return np.mean(logprobs_real) - np.mean(logprobs_fake)


def inputs(rs):
    gen_params = init_params(0.5, [NOISE_DIM, 6, 2], rs)
    dsc_params = init_params(0.5, [2, 6, 1], rs)
    angles = rs.uniform(0, 2 * np.pi, 8)
    real_data = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return gen_params, dsc_params, real_data, np.random.RandomState(rs.randint(1 << 30))
