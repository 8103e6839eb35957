"""Reference tests run torch on one thread: on tensors this small its thread pool only adds
overhead, and it stalls badly when the suite shares a 2-core machine with other processes."""

import sys

import pytest


@pytest.fixture(autouse=True)
def torch_single_thread():
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
