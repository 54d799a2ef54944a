"""Thread settings, applied before numpy or torch is imported (standard library only).

numpy's BLAS (OpenBLAS, MKL, ...) and torch size their thread pools when they are
imported, from these environment variables; torch's intra-op pool is also set with
``torch.set_num_threads`` by the harness. Every implementation, in this process and
in the memory subprocesses, gets the same number.
"""

from __future__ import annotations

import os

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def set_thread_env(threads: int) -> None:
    """Pin every BLAS/OpenMP pool to *threads* (effective only before numpy/torch load)."""
    for var in THREAD_VARS:
        os.environ[var] = str(threads)
