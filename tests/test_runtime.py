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


def test_get_device_auto_and_cpu():
    assert get_device("cpu").type == "cpu"
    expected = "cuda" if torch.cuda.is_available() else ("mps" if cu.available_devices()[-1] == "mps" else "cpu")
    assert get_device("auto").type == expected


def test_get_device_says_when_cuda_is_missing():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU; the missing-device message cannot be provoked")
    with pytest.raises(ValueError, match=r"no CUDA GPU is available.*device='auto'"):
        get_device("cuda")


@pytest.mark.parametrize("bad, exc", [("tpu", ValueError), (3, TypeError)])
def test_get_device_rejects_unknown_names(bad, exc):
    with pytest.raises(exc, match="device must be"):
        get_device(bad)


def test_limit_threads_restores_torch_threads():
    before = torch.get_num_threads()
    with limit_threads(1):
        assert torch.get_num_threads() == 1
        from threadpoolctl import threadpool_info

        assert all(pool["num_threads"] == 1 for pool in threadpool_info())
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="positive integer"):
        with limit_threads(0):
            pass


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
