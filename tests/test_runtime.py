import random

import numpy as np
import pytest
import torch

import course_utils as cu
from course_utils.runtime import env_flag, get_device, limit_threads, seed_everything


def test_seed_everything_repeats_python_numpy_and_torch():
    seed_everything(123)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    seed_everything(123)
    second = (random.random(), np.random.rand(), torch.rand(1).item())
    assert first == pytest.approx(second, rel=0, abs=0)
    seed_everything(124)
    assert torch.rand(1).item() != pytest.approx(first[2], abs=1e-12)


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "7", True])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed must be an integer"):
        seed_everything(bad)


def test_get_device_cpu_and_auto_on_this_machine():
    assert get_device("cpu") == torch.device("cpu")
    assert get_device("auto").type in cu.available_devices()


@pytest.fixture
def no_mps(monkeypatch):
    """Pretend Apple's MPS backend is absent, so only the (patched) CUDA answer decides."""
    if getattr(torch.backends, "mps", None) is not None:
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


def test_get_device_with_a_gpu(monkeypatch, no_mps):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device("auto") == torch.device("cuda")
    assert get_device("cuda") == torch.device("cuda")
    assert get_device("cuda:1") == torch.device("cuda:1")
    assert get_device("CUDA:1") == torch.device("cuda:1")  # names are case-insensitive
    assert get_device("cpu") == torch.device("cpu")
    assert cu.available_devices() == ["cpu", "cuda"]


def test_get_device_without_a_gpu(monkeypatch, no_mps):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert get_device("auto") == torch.device("cpu")
    assert cu.available_devices() == ["cpu"]
    with pytest.raises(ValueError, match=r"device='cuda' was requested but no CUDA GPU is available here "
                                         r"\(available: cpu\); use device='auto' to fall back to the CPU"):
        get_device("cuda")
    with pytest.raises(ValueError, match=r"device='cuda:0' was requested but no CUDA GPU"):
        get_device("cuda:0")


def test_get_device_prefers_cuda_then_mps(monkeypatch):
    if getattr(torch.backends, "mps", None) is None:
        pytest.skip("this torch build has no MPS backend module")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert get_device("auto") == torch.device("mps")
    assert get_device("mps") == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device("auto") == torch.device("cuda")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"device='mps' was requested but Apple's MPS backend is not available"):
        get_device("mps")


@pytest.mark.parametrize("bad, exc", [("tpu", ValueError), (3, TypeError)])
def test_get_device_rejects_unknown_names(bad, exc):
    with pytest.raises(exc, match="device must be"):
        get_device(bad)


def test_limit_threads_restores_torch_threads():
    session = torch.get_num_threads()  # 1, from the conftest fixture
    torch.set_num_threads(2)  # so that a missing restore shows
    try:
        with limit_threads(1):
            assert torch.get_num_threads() == 1
            from threadpoolctl import threadpool_info

            assert all(pool["num_threads"] == 1 for pool in threadpool_info())
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(session)
    with pytest.raises(ValueError, match="positive integer"):
        with limit_threads(0):
            pass


def test_the_session_runs_on_one_thread():
    from threadpoolctl import threadpool_info

    assert torch.get_num_threads() == 1
    assert all(pool["num_threads"] == 1 for pool in threadpool_info())


def test_env_flag(monkeypatch):
    monkeypatch.setenv("WB_TEST_FLAG", "yes")
    assert env_flag("WB_TEST_FLAG") is True
    monkeypatch.setenv("WB_TEST_FLAG", "0")
    assert env_flag("WB_TEST_FLAG", True) is False
    monkeypatch.delenv("WB_TEST_FLAG")
    assert env_flag("WB_TEST_FLAG", True) is True
    monkeypatch.setenv("WB_TEST_FLAG", "maybe")
    with pytest.raises(ValueError, match="WB_TEST_FLAG"):
        env_flag("WB_TEST_FLAG")


def test_progress_is_quiet_when_unattended(monkeypatch):
    monkeypatch.setenv("WORKBOOK_UNATTENDED", "1")
    bar = cu.progress(range(3))
    assert bar.disable and list(bar) == [0, 1, 2]
    monkeypatch.delenv("WORKBOOK_UNATTENDED")
    assert cu.progress(range(3), enabled=False).disable


def test_import_has_no_side_effects():
    import subprocess
    import sys

    code = "import numpy as np; s = np.random.get_state()[1][0]; import course_utils; " \
           "assert np.random.get_state()[1][0] == s; import sys; assert 'torch' not in sys.modules"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
