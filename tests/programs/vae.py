"""Variational autoencoder on binary vectors: MLP encoder/decoder, Bernoulli likelihood."""

import autograd.numpy as np
import autograd.numpy.random as npr

WRT = (0, 1)
LATENT_DIM = 2
DATA_DIM = 10


def init_net_params(scale, layer_sizes, rs=npr.RandomState(0)):
    return [(scale * rs.randn(m, n), scale * rs.randn(n))
            for m, n in zip(layer_sizes[:-1], layer_sizes[1:])]


def relu(x):
    return np.maximum(0, x)


def neural_net_predict(params, inputs):
    for W, b in params[:-1]:
        inputs = relu(np.dot(inputs, W) + b)
    W, b = params[-1]
    return np.dot(inputs, W) + b


def diag_gaussian_log_density(x, mu, log_std):
    return np.sum(-0.5 * ((x - mu) / np.exp(log_std)) ** 2 - log_std
                  - 0.5 * np.log(2 * np.pi), axis=-1)


def unpack_gaussian_params(params):
    return params[:, :LATENT_DIM], params[:, LATENT_DIM:]


def sample_noise(rs, shape):
    return rs.randn(*shape)


def bernoulli_log_density(targets, unnormalized_logprobs):
    # targets are in {0, 1}; sign flips turn log-sigmoid into one logaddexp
    label_probabilities = -np.logaddexp(0, -unnormalized_logprobs * (targets * 2 - 1))
    return np.sum(label_probabilities, axis=-1)


def objective(encoder_params, decoder_params, data, rs):
    """Negative ELBO, one sample of the latent per data point."""
    q_means, q_log_stds = unpack_gaussian_params(neural_net_predict(encoder_params, data))
    latents = q_means + np.exp(q_log_stds) * sample_noise(rs, q_means.shape)
    logits = neural_net_predict(decoder_params, latents)
    log_prior = diag_gaussian_log_density(latents, 0.0, 0.0)
    log_likelihood = bernoulli_log_density(data, logits)
    log_q = diag_gaussian_log_density(latents, q_means, q_log_stds)
    return -np.mean(log_prior + log_likelihood - log_q)


def inputs(rs):
    encoder_params = init_net_params(0.3, [DATA_DIM, 8, 2 * LATENT_DIM], rs)
    decoder_params = init_net_params(0.3, [LATENT_DIM, 8, DATA_DIM], rs)
    data = (rs.rand(6, DATA_DIM) > 0.5).astype(float)
    return encoder_params, decoder_params, data, np.random.RandomState(rs.randint(1 << 30))
