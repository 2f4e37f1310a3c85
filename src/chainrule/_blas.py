"""``out ← a·b + β·out`` into an existing, strided ``out``: the one product NumPy cannot ask its BLAS for.

``np.matmul(a, b, out=...)`` always overwrites ``out``. A convolution's input gradient
adds several products into overlapping row ranges of one array (:mod:`.ops.conv`);
with β = 1 the BLAS adds each product in place, in the same pass that computes it,
instead of writing the product out and reading it back to add it.

NumPy's wheels ship OpenBLAS (``numpy.libs/libscipy_openblas64_*`` on Linux,
``numpy/.dylibs`` on macOS) with its CBLAS symbols renamed ``scipy_cblas_?gemm64_``
and 64-bit integers. This module calls that same library, the one ``np.matmul`` uses,
through ctypes, after checking a float32 and a float64 product against NumPy's. Where
no such library is found, where ``CHAINRULE_NO_BLAS`` is set to any non-empty value, or
where the arrays are not ones BLAS can take as they are (aligned native floats of one
dtype, a unit stride in each matrix, a writable ``out`` that shares no memory with
``a`` or ``b``), :func:`addmm` computes the same thing with NumPy (a product, then an
addition).
"""

from __future__ import annotations

import ctypes
import glob
import os

import numpy as np

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
# (symbol prefix, suffix, integer type) of the CBLAS builds NumPy's wheels have shipped
_NAMINGS = (("scipy_cblas_", "64_", ctypes.c_int64), ("cblas_", "64_", ctypes.c_int64),
            ("scipy_cblas_", "", ctypes.c_int32), ("cblas_", "", ctypes.c_int32))


def _library_paths() -> list[str]:
    numpy_dir = os.path.dirname(np.__file__)
    patterns = [os.path.join(numpy_dir, os.pardir, "numpy.libs", "*openblas*"),
                os.path.join(numpy_dir, ".dylibs", "*openblas*")]
    return sorted(path for pattern in patterns for path in glob.glob(pattern))


def _bind(function, integer, real):
    function.restype = None
    function.argtypes = [ctypes.c_int] * 3 + [integer] * 3 + [real, ctypes.c_void_p, integer,
                                                               ctypes.c_void_p, integer, real,
                                                               ctypes.c_void_p, integer]
    function.largest = 2 ** (8 * ctypes.sizeof(integer) - 1) - 1  # a size or stride beyond it would wrap
    return function


def _find_gemms() -> dict:
    """{dtype: cblas_?gemm} from the first library that has them, or {}."""
    if os.environ.get("CHAINRULE_NO_BLAS"):
        return {}
    for path in _library_paths():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix, integer in _NAMINGS:
            try:
                return {np.dtype(np.float32): _bind(getattr(library, f"{prefix}sgemm{suffix}"), integer, ctypes.c_float),
                        np.dtype(np.float64): _bind(getattr(library, f"{prefix}dgemm{suffix}"), integer, ctypes.c_double)}
            except AttributeError:
                continue
    return {}


def _operand(matrix) -> tuple[int, int] | None:
    """(transpose flag, leading dimension) of a 2-d view BLAS can read in place, else None."""
    if not matrix.flags.aligned or matrix.strides[0] % matrix.itemsize or matrix.strides[1] % matrix.itemsize:
        return None
    rows, cols = matrix.strides[0] // matrix.itemsize, matrix.strides[1] // matrix.itemsize
    if cols == 1 and rows >= max(1, matrix.shape[1]):
        return _NO_TRANS, rows
    if rows == 1 and cols >= max(1, matrix.shape[0]):
        return _TRANS, cols
    return None


def _blas_addmm(a, b, out, beta: float) -> bool:
    """``out ← a·b + β·out`` by BLAS where the arrays allow it; returns whether it ran."""
    gemm = _GEMMS.get(out.dtype)
    if (gemm is None or not (a.dtype == b.dtype == out.dtype) or 0 in a.shape + b.shape
            or not out.flags.writeable or np.may_share_memory(out, a) or np.may_share_memory(out, b)):
        return False
    a_form, b_form, out_form = _operand(a), _operand(b), _operand(out)
    if a_form is None or b_form is None or out_form is None or out_form[0] != _NO_TRANS:
        return False
    if max(*a.shape, *b.shape, a_form[1], b_form[1], out_form[1]) > gemm.largest:
        return False
    (m, k), n = a.shape, b.shape[1]
    gemm(_ROW_MAJOR, a_form[0], b_form[0], m, n, k, 1.0, a.ctypes.data, a_form[1],
         b.ctypes.data, b_form[1], beta, out.ctypes.data, out_form[1])
    return True


def addmm(a: np.ndarray, b: np.ndarray, out: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """``out ← a·b + β·out`` for 2-d arrays, in place; β = 0 ignores what ``out`` held."""
    if a.shape[1] != b.shape[0] or out.shape != (a.shape[0], b.shape[1]):
        raise ValueError(f"addmm: shapes {a.shape} · {b.shape} do not make {out.shape}")
    if not _blas_addmm(a, b, out, beta):
        product = a @ b  # first: out may be a or b
        if beta == 0:
            out[...] = product
        else:
            if beta != 1:
                out *= beta
            out += product
    return out


def _works() -> bool:
    """Small products through the library, against NumPy's; a library that disagrees is not used."""
    rng = np.random.default_rng(0)
    for dtype, tolerance in ((np.float64, 1e-12), (np.float32, 1e-5)):
        a = rng.standard_normal((5, 3)).astype(dtype).T   # a is transposed in memory
        b = rng.standard_normal((7, 5)).astype(dtype).T   # and b too
        out = np.ones((6, 9), dtype)[::2, 1:8]            # out is a strided view
        expected = a.astype(np.float64) @ b + 0.5 * out
        if not (_blas_addmm(a, b, out, 0.5) and np.allclose(out, expected, rtol=tolerance, atol=tolerance)):
            return False
    return True


_GEMMS = _find_gemms()
if _GEMMS and not _works():
    _GEMMS = {}
uses_blas = bool(_GEMMS)  # whether addmm reaches BLAS directly (False: the NumPy fallback)
