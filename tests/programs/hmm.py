"""Hidden Markov model with Gaussian emissions: forward algorithm in log space."""

import autograd.numpy as np
from autograd.scipy.special import logsumexp
from autograd.scipy.stats import norm

WRT = (0,)


def normalize(logits, axis=None):
    return logits - logsumexp(logits, axis=axis, keepdims=True)


def objective(params, observations):
    """Negative log-likelihood of one observed sequence."""
    log_pi = normalize(params['initial_logits'])
    log_transitions = normalize(params['transition_logits'], axis=1)
    emission_means = params['emission_means']
    emission_stds = np.exp(params['emission_log_stds'])
    log_alpha = log_pi + norm.logpdf(observations[0], emission_means, emission_stds)
    for t in range(1, len(observations)):
        log_emission = norm.logpdf(observations[t], emission_means, emission_stds)
        log_alpha = logsumexp(log_alpha[:, None] + log_transitions, axis=0) + log_emission
    return -logsumexp(log_alpha)


def inputs(rs):
    num_states = 3
    params = {'initial_logits': rs.randn(num_states),
              'transition_logits': rs.randn(num_states, num_states),
              'emission_means': np.array([-2.0, 0.0, 2.0]) + 0.1 * rs.randn(num_states),
              'emission_log_stds': 0.1 * rs.randn(num_states)}
    observations = rs.randn(15) * 1.5
    return params, observations
