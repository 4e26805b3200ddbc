import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("WORKBOOK_UNATTENDED", "1")
# Libraries that load their thread pools after the fixture below starts read these instead.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_name, "1")


@pytest.fixture(scope="session", autouse=True)
def one_blas_thread():
    """Run every test with one BLAS/OpenMP thread and one torch thread.

    Timings and floating-point sums then do not depend on how many cores the machine has, and tests
    running side by side on a small machine do not fight over cores. Restored at the end of the session.
    """
    import scipy.linalg  # noqa: F401  (load the BLAS and OpenMP pools now, so that the limit reaches them)
    import sklearn.cluster  # noqa: F401
    import torch
    from threadpoolctl import threadpool_limits

    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        yield
    torch.set_num_threads(torch_threads)
