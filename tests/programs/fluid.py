"""Grid fluid simulation (advection and pressure projection) steering smoke to a target."""

import autograd.numpy as np

WRT = (0, 1)
NUM_STEPS = 6
NUM_PROJECTION_ITERS = 8


def project(vx, vy):
    """Removes divergence with Jacobi iterations on the pressure."""
    h = 1.0 / vx.shape[0]
    div = -0.5 * h * (np.roll(vx, -1, axis=0) - np.roll(vx, 1, axis=0)
                      + np.roll(vy, -1, axis=1) - np.roll(vy, 1, axis=1))
    p = np.zeros(vx.shape)
    for _ in range(NUM_PROJECTION_ITERS):
        p = (div + np.roll(p, 1, axis=0) + np.roll(p, -1, axis=0)
             + np.roll(p, 1, axis=1) + np.roll(p, -1, axis=1)) / 4.0
    vx = vx - 0.5 * (np.roll(p, -1, axis=0) - np.roll(p, 1, axis=0)) / h
    vy = vy - 0.5 * (np.roll(p, -1, axis=1) - np.roll(p, 1, axis=1)) / h
    return vx, vy


def advect(f, vx, vy):
    """Semi-Lagrangian advection of f with bilinear interpolation on a periodic grid."""
    rows, cols = f.shape
    cell_ys, cell_xs = np.meshgrid(np.arange(rows), np.arange(cols), indexing='ij')
    center_xs = (cell_xs - vx).ravel()
    center_ys = (cell_ys - vy).ravel()
    left_ix = np.floor(center_xs).astype(int)
    top_ix = np.floor(center_ys).astype(int)
    rw = center_xs - left_ix
    bw = center_ys - top_ix
    left_ix = np.mod(left_ix, cols)
    right_ix = np.mod(left_ix + 1, cols)
    top_ix = np.mod(top_ix, rows)
    bot_ix = np.mod(top_ix + 1, rows)
    flat = (1 - rw) * ((1 - bw) * f[top_ix, left_ix] + bw * f[bot_ix, left_ix]) \
        + rw * ((1 - bw) * f[top_ix, right_ix] + bw * f[bot_ix, right_ix])
    return np.reshape(flat, (rows, cols))


def simulate(vx, vy, smoke):
    for _ in range(NUM_STEPS):
        vx_updated = advect(vx, vx, vy)
        vy_updated = advect(vy, vx, vy)
        vx, vy = project(vx_updated, vy_updated)
        smoke = advect(smoke, vx, vy)
    return smoke


def objective(init_vx, init_vy, smoke, target):
    """Squared distance of the final smoke from the target image."""
    final_smoke = simulate(init_vx, init_vy, smoke)
    return np.mean((final_smoke - target) ** 2)


def inputs(rs):
    size = 8
    init_vx = 0.5 * rs.randn(size, size)
    init_vy = 0.5 * rs.randn(size, size)
    smoke = np.zeros((size, size))
    smoke[2:5, 2:5] = 1.0
    target = np.roll(np.roll(smoke, 2, axis=0), 1, axis=1)
    return init_vx, init_vy, smoke, target
