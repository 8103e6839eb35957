"""The drop-in tests run torch on one thread: on tensors this small its thread pool only adds
overhead, and it stalls badly when the suite shares a 2-core machine with other processes."""

import pytest
import torch


@pytest.fixture(autouse=True)
def torch_single_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
