"""Train a small MLP on TensorFlow with gradients written by tangent.

Shows tangent on TensorFlow 2 code: the loss is plain eager TensorFlow
(``tf.matmul``, ``tf.nn.relu``, softmax cross-entropy); ``tangent.grad``
writes its gradient as TensorFlow code, printed below, which the training
loop runs inside ``tf.function`` (graph mode). The data is synthetic: two
interleaved spirals, three classes. The loss is printed falling.

Needs the ``tf`` extra: pip install -e ".[tf]"
Run: python examples/tf_mlp.py   (TANGENT_EXAMPLES_QUICK=1 for a short run)
"""

import os

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from loss_curve import save_loss_curve  # noqa: E402

import tangent  # noqa: E402

QUICK = os.environ.get('TANGENT_EXAMPLES_QUICK') == '1'
STEPS = 60 if QUICK else 600
LEARNING_RATE = 0.5


def loss(x, w1, b1, w2, b2, labels):
    """Mean softmax cross-entropy of a one-hidden-layer ReLU network."""
    hidden = tf.nn.relu(tf.matmul(x, w1) + b1)
    logits = tf.matmul(hidden, w2) + b2
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    return tf.reduce_mean(losses)


def spirals(points_per_class, classes, rng):
    """Points on ``classes`` noisy spiral arms in the plane, labelled by arm."""
    xs, labels = [], []
    for arm in range(classes):
        radius = np.linspace(0.05, 1.0, points_per_class)
        angle = np.linspace(arm * 4.0, (arm + 1) * 4.0, points_per_class)
        angle = angle + rng.normal(scale=0.2, size=points_per_class)
        xs.append(np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1))
        labels.append(np.full(points_per_class, arm))
    return np.concatenate(xs).astype(np.float32), np.concatenate(labels).astype(np.int32)


def main():
    rng = np.random.default_rng(0)
    points, classes = spirals(100, 3, rng)
    x, labels = tf.constant(points), tf.constant(classes)
    hidden = 64
    params = [tf.Variable(rng.normal(scale=0.5, size=(2, hidden)).astype(np.float32)),
              tf.Variable(np.zeros(hidden, np.float32)),
              tf.Variable(rng.normal(scale=0.5, size=(hidden, 3)).astype(np.float32)),
              tf.Variable(np.zeros(3, np.float32))]

    dloss = tangent.grad(loss, wrt=(1, 2, 3, 4), verbose=1)

    @tf.function
    def train_step():
        gradients = dloss(x, *params, labels)
        for param, gradient in zip(params, gradients):
            param.assign_sub(LEARNING_RATE * gradient)
        return loss(x, *params, labels)

    curve = [float(loss(x, *params, labels))]
    print(f'step    0: loss {curve[0]:.4f}')
    for step in range(1, STEPS + 1):
        curve.append(float(train_step()))
        if step % (STEPS // 6) == 0:
            print(f'step {step:4d}: loss {curve[-1]:.4f}')
    logits = tf.matmul(tf.nn.relu(tf.matmul(x, params[0]) + params[1]), params[2]) + params[3]
    accuracy = float(tf.reduce_mean(tf.cast(tf.argmax(logits, 1) == tf.cast(labels, tf.int64),
                                            tf.float32)))
    print(f'training accuracy {accuracy:.3f}')
    save_loss_curve('tf_mlp', {'training loss': curve}, xlabel='training step',
                    title='TensorFlow MLP, gradient by tangent')


if __name__ == '__main__':
    main()
