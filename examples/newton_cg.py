"""Newton-CG with Hessian-vector products written by tangent, against gradient descent.

The problem is L2-regularised logistic regression in ten dimensions, with
features on scales from 1 to about 30 so that the Hessian is badly
conditioned. Differentiating the generated gradient again in forward mode,

    hvp = tangent.autodiff(tangent.autodiff(loss, mode='reverse', check_dims=False),
                           mode='forward', check_dims=False)

gives ``hvp(w, 1.0, v)``, the product of the Hessian at ``w`` with ``v``,
without ever forming the Hessian (the arguments are the reverse function's
``w`` and seed, then the forward tangent ``v``). Newton-CG solves each Newton
system with conjugate gradients using only such products, and reaches the
optimum in about fifteen iterations; gradient descent with a backtracking line
search is still crawling after hundreds. The script checks ``hvp`` against
finite differences of the gradient, then prints the iterations and the loss
for both methods.

Run: python examples/newton_cg.py
Set TANGENT_EXAMPLES_QUICK=1 for a short run (the smoke test does).
"""

import os

import numpy as np
from loss_curve import save_loss_curve

import tangent

QUICK = os.environ.get('TANGENT_EXAMPLES_QUICK') == '1'
GRADIENT_DESCENT_ITERATIONS = 200 if QUICK else 3000
NEWTON_ITERATIONS = 30
TOLERANCE = 1e-8  # on the norm of the gradient
SAMPLES, DIMENSION, PENALTY = 200, 10, 1e-2


def make_loss(features, targets, penalty):
    """The regularised logistic loss of a data set, as a function of the weights only."""
    def loss(w):
        margins = targets * (features @ w)
        # log(1 + exp(-m)) written so that it cannot overflow.
        return np.mean(np.logaddexp(0.0, -margins)) + 0.5 * penalty * np.sum(w * w)
    return loss


def make_problem(rng):
    scales = np.logspace(0.0, 1.5, DIMENSION)
    features = rng.normal(size=(SAMPLES, DIMENSION)) * scales
    true_weights = rng.normal(size=DIMENSION) / scales
    targets = np.sign(features @ true_weights + 0.3 * rng.normal(size=SAMPLES))
    return make_loss(features, targets, PENALTY)


def backtracking(loss, w, value, gradient, direction, step=1.0):
    """The first step of 1, 1/2, 1/4, ... that decreases the loss enough (Armijo)."""
    slope = gradient @ direction
    while loss(w + step * direction) > value + 1e-4 * step * slope and step > 1e-12:
        step *= 0.5
    return step


def conjugate_gradients(hessian_times, rhs, tolerance, max_iterations):
    """Solve H p = rhs for symmetric positive definite H given only v -> H v."""
    p = np.zeros_like(rhs)
    residual = rhs.copy()
    direction = residual.copy()
    products = 0
    for _ in range(max_iterations):
        if np.linalg.norm(residual) <= tolerance:
            break
        h_direction = hessian_times(direction)
        products += 1
        alpha = (residual @ residual) / (direction @ h_direction)
        p = p + alpha * direction
        new_residual = residual - alpha * h_direction
        beta = (new_residual @ new_residual) / (residual @ residual)
        direction = new_residual + beta * direction
        residual = new_residual
    return p, products


def newton_cg(loss, gradient_of, hvp, w, history):
    total_products = 0
    for iteration in range(NEWTON_ITERATIONS + 1):
        value, gradient = loss(w), gradient_of(w)
        history.append(value)
        norm = np.linalg.norm(gradient)
        print(f'  iteration {iteration:3d}  loss {value:.12f}  |gradient| {norm:.2e}')
        if norm < TOLERANCE or iteration == NEWTON_ITERATIONS:
            break
        # Solve the Newton system only as accurately as the current gradient deserves.
        forcing = min(0.5, np.sqrt(norm)) * norm
        direction, products = conjugate_gradients(lambda v, w=w: hvp(w, 1.0, v), -gradient,
                                                  forcing, 10 * w.size)
        total_products += products
        w = w + backtracking(loss, w, value, gradient, direction) * direction
    return w, iteration, total_products


def gradient_descent(loss, gradient_of, w, history):
    step = 1.0
    report_every = max(1, GRADIENT_DESCENT_ITERATIONS // 10)
    for iteration in range(GRADIENT_DESCENT_ITERATIONS + 1):
        value, gradient = loss(w), gradient_of(w)
        history.append(value)
        norm = np.linalg.norm(gradient)
        last = norm < TOLERANCE or iteration == GRADIENT_DESCENT_ITERATIONS
        if iteration % report_every == 0 or last:
            print(f'  iteration {iteration:4d}  loss {value:.12f}  |gradient| {norm:.2e}')
        if last:
            break
        # Start from twice the last accepted step, so the step can grow again.
        step = backtracking(loss, w, value, gradient, -gradient, 2.0 * step)
        w = w - step * gradient
    return w, iteration


def main():
    rng = np.random.default_rng(0)
    loss = make_problem(rng)
    gradient_of = tangent.grad(loss)
    hvp = tangent.autodiff(tangent.autodiff(loss, mode='reverse', check_dims=False),
                           mode='forward', check_dims=False)

    start = 0.1 * rng.normal(size=DIMENSION)
    v = rng.normal(size=DIMENSION)
    eps = 1e-6
    by_differences = (gradient_of(start + eps * v) - gradient_of(start - eps * v)) / (2 * eps)
    error = np.max(np.abs(hvp(start, 1.0, v) - by_differences))
    print(f'Hessian-vector product against finite differences: max difference {error:.1e}\n')

    print('Newton-CG (forward-over-reverse Hessian-vector products):')
    newton_losses, descent_losses = [], []
    w_newton, newton_iterations, products = newton_cg(loss, gradient_of, hvp, start,
                                                      newton_losses)
    print('\nGradient descent (backtracking line search):')
    w_descent, descent_iterations = gradient_descent(loss, gradient_of, start, descent_losses)

    print()
    print(f'Newton-CG:        {newton_iterations:5d} iterations, {products} Hessian-vector '
          f'products, final loss {loss(w_newton):.12f}')
    print(f'gradient descent: {descent_iterations:5d} iterations, '
          f'final loss {loss(w_descent):.12f}')
    save_loss_curve('newton_cg', {'Newton-CG': newton_losses,
                                  'gradient descent': descent_losses},
                    xlabel='iteration', title='Newton-CG against gradient descent')


if __name__ == '__main__':
    main()
