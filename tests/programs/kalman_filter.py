"""Linear-Gaussian state-space model: Kalman-filter log-likelihood of dynamics parameters."""

import autograd.numpy as np

WRT = (0,)


def objective(params, observations):
    """Negative log-likelihood from the filter's predictive distributions."""
    transition = params['A']
    emission = params['C']
    state_dim = transition.shape[0]
    obs_dim = emission.shape[0]
    process_cov = np.exp(params['log_q']) * np.eye(state_dim)
    obs_cov = np.exp(params['log_r']) * np.eye(obs_dim)
    mean = np.zeros(state_dim)
    cov = np.eye(state_dim)
    log_lik = 0.0
    for y in observations:
        # predict
        mean = np.dot(transition, mean)
        cov = np.dot(np.dot(transition, cov), transition.T) + process_cov
        # the predictive density of y
        innovation = y - np.dot(emission, mean)
        innovation_cov = np.dot(np.dot(emission, cov), emission.T) + obs_cov
        sign, log_det = np.linalg.slogdet(innovation_cov)
        log_lik = log_lik - 0.5 * (np.dot(innovation, np.linalg.solve(innovation_cov, innovation))
                                   + log_det + obs_dim * np.log(2 * np.pi))
        # update
        gain = np.dot(cov, np.dot(emission.T, np.linalg.inv(innovation_cov)))
        mean = mean + np.dot(gain, innovation)
        cov = cov - np.dot(gain, np.dot(emission, cov))
    return -log_lik


def inputs(rs):
    theta = 0.3
    params = {'A': 0.95 * np.array([[np.cos(theta), -np.sin(theta)],
                                    [np.sin(theta), np.cos(theta)]]) + 0.02 * rs.randn(2, 2),
              'C': np.array([[1.0, 0.0]]) + 0.1 * rs.randn(1, 2),
              'log_q': np.log(0.1),
              'log_r': np.log(0.2)}
    observations = np.reshape(np.sin(0.3 * np.arange(12)) + 0.3 * rs.randn(12), (12, 1))
    return params, observations
