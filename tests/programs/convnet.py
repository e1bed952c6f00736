"""Convolutional classifier built from a list of layer objects, with a `convolve` layer."""

import autograd.numpy as np
import autograd.scipy.signal
from autograd.scipy.special import logsumexp

WRT = (0,)
convolve = autograd.scipy.signal.convolve


class ConvLayer:
    def __init__(self, name, kernel_shape, num_filters):
        self.name = name
        self.kernel_shape = kernel_shape
        self.num_filters = num_filters

    def forward(self, inputs, params):
        # inputs [batch, in, height, width] and filters [in, out, kh, kw] give
        # [batch, out, height', width']; flipping the kernel makes it a correlation
        filters, biases = params[self.name]
        conv = convolve(inputs, filters[:, :, ::-1, ::-1],
                        axes=([2, 3], [2, 3]), dot_axes=([1], [0]), mode='valid')
        return conv + biases[None, :, None, None]


class MaxPoolLayer:
    def __init__(self, pool_size):
        self.pool_size = pool_size

    def forward(self, inputs, params):
        batch, channels, height, width = inputs.shape
        size = self.pool_size
        blocks = np.reshape(inputs, (batch, channels, height // size, size, width // size, size))
        return np.max(np.max(blocks, axis=5), axis=3)


class TanhLayer:
    def __init__(self, name):
        self.name = name

    def forward(self, inputs, params):
        W, b = params[self.name]
        flat = np.reshape(inputs, (inputs.shape[0], -1))
        return np.tanh(np.dot(flat, W) + b)


class SoftmaxLayer:
    def __init__(self, name):
        self.name = name

    def forward(self, inputs, params):
        W, b = params[self.name]
        logits = np.dot(inputs, W) + b
        return logits - logsumexp(logits, axis=1, keepdims=True)


LAYERS = [ConvLayer('conv', (3, 3), 3), MaxPoolLayer(2), TanhLayer('hidden'),
          SoftmaxLayer('output')]


def objective(params, images, labels):
    """Mean cross-entropy of the network's log-probabilities."""
    x = images
    for layer in LAYERS:
        x = layer.forward(x, params)
    return -np.sum(x * labels) / images.shape[0]


def inputs(rs):
    params = {'conv': (0.3 * rs.randn(1, 3, 3, 3), 0.1 * rs.randn(3)),
              'hidden': (0.3 * rs.randn(3 * 3 * 3, 8), 0.1 * rs.randn(8)),
              'output': (0.3 * rs.randn(8, 4), 0.1 * rs.randn(4))}
    images = rs.randn(3, 1, 8, 8)
    labels = np.eye(4)[rs.randint(0, 4, size=3)]
    return params, images, labels
