"""PyTorch's tensors as the specialiser knows them: shape and dtype.

A CPU tensor of a dtype NumPy also has counts by its shape and dtype
(``tangent.transforms.shapes``), so that a derivative called with tensors runs
a version written for them, its broadcasting helpers resolved to nothing or to
``g.sum(dim=...)``. Also how the results of PyTorch's reductions, products and
constructors are shaped (its element-wise functions are declared in
``declared``).
"""

import operator

import numpy as np
import torch

from tangent.rules.shapes import (ArrayType, CONTRACTING, declare_array_type, declare_shapes,
                                  EVALUATED)

_NUMPY_DTYPES = {torch.float64: np.dtype(np.float64), torch.float32: np.dtype(np.float32),
                 torch.float16: np.dtype(np.float16), torch.int64: np.dtype(np.int64),
                 torch.int32: np.dtype(np.int32), torch.int16: np.dtype(np.int16),
                 torch.int8: np.dtype(np.int8), torch.uint8: np.dtype(np.uint8),
                 torch.bool: np.dtype(np.bool_), torch.complex64: np.dtype(np.complex64),
                 torch.complex128: np.dtype(np.complex128)}


def _describe(tensor: torch.Tensor) -> tuple | None:
    """Shape and NumPy dtype of a dense CPU tensor; None for others (the stand-ins the
    specialiser runs PyTorch's functions on live on the CPU)."""
    dtype = _NUMPY_DTYPES.get(tensor.dtype)
    if dtype is None or tensor.device.type != 'cpu' or tensor.layout is not torch.strided:
        return None
    return tuple(tensor.shape), dtype


def _key(tensor: torch.Tensor) -> tuple:
    return tensor.dtype, tensor.shape, tensor.device, tensor.layout


declare_array_type(torch.Tensor, ArrayType(library='torch', describe=_describe,
                                           stand_in=torch.from_numpy, axis_keyword='dim',
                                           keepdims_keyword='keepdim', key=_key,
                                           untraced=torch.compiler.disable))

declare_shapes(CONTRACTING, torch.matmul, torch.mm, torch.mv, torch.dot, operator.matmul)

# Shaped by the arguments' shapes and the literal arguments (dim=1), never their values.
declare_shapes(EVALUATED, torch.sum, torch.mean, torch.prod, torch.amax, torch.amin,
               torch.logsumexp, torch.var, torch.std, torch.transpose, torch.reshape,
               torch.flatten, torch.squeeze, torch.unsqueeze, torch.outer, torch.t,
               torch.diag, torch.diagonal, torch.trace, torch.eye, torch.zeros, torch.ones,
               torch.zeros_like, torch.ones_like, torch.linalg.cholesky, torch.linalg.solve,
               torch.linalg.inv, torch.linalg.det, torch.cholesky_solve)
