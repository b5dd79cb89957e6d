"""Review 3, round 18 (session 24): regressions in the merged helpers' changes."""
import os
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.errors import TensorError


def test_clamp_out_with_a_number_and_a_tensor_bound_wants_the_exact_dtype():
    x = tg.tensor([3.0, 1.0, 2.0])
    with pytest.raises(TensorError, match="Found dtype"):
        tg.clamp(x, 0.5, tg.tensor(2.0), out=tg.empty(3, dtype=tg.float64))
    with pytest.raises(TensorError, match="Found dtype"):
        tg.clamp(x, tg.tensor(0.5), 2.0, out=tg.empty(3, dtype=tg.float64))
    out = tg.empty(3, dtype=tg.float64)
    tg.clamp(x, tg.tensor(1.5), None, out=out)
    assert out.tolist() == [3.0, 1.5, 2.0]


def test_lerp_out_with_a_0d_weight_tensor_takes_a_wider_dtype():
    x, out = tg.tensor([3.0, 1.0, 2.0]), tg.empty(3, dtype=tg.float64)
    tg.lerp(x, tg.ones(3), tg.tensor(0.5), out=out)
    assert out.tolist() == [2.0, 1.0, 1.5]
    with pytest.raises(TensorError, match="Found dtype"):
        tg.lerp(x, x, tg.full((3,), 0.5), out=tg.empty(3, dtype=tg.float64))


def test_float16_cosine_similarity_is_pytorch_s_bit_for_bit():
    """Computed in float16 as PyTorch's (norms in float16: an inf norm gives 0, not 1)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((200, 8)).astype(np.float16)
    b = rng.standard_normal((200, 8)).astype(np.float16)
    for scale in (1, 100):
        x = (a * scale).astype(np.float16)
        x[0] = 6e4
        want = torch.nn.functional.cosine_similarity(torch.tensor(x), torch.tensor(b)).numpy()
        got = tg.nn.functional.cosine_similarity(tg.tensor(x), tg.tensor(b)).numpy()
        np.testing.assert_array_equal(got, want)


def test_sdpa_enable_gqa_needs_a_heads_dim_as_pytorch():
    q, k, v = tg.ones(3, 2), tg.ones(4, 2), tg.ones(4, 5)
    with pytest.raises(IndexError, match="Dimension out of range"):
        tg.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    out = tg.nn.functional.scaled_dot_product_attention(
        tg.ones(4, 3, 2), tg.ones(2, 4, 2), tg.ones(2, 4, 5), enable_gqa=True)
    assert out.shape == (4, 3, 5)


def test_an_inference_tensor_dropped_while_observers_change_does_not_deadlock():
    """Its weakref callback unobserves; a GC pass inside observe() runs it under the lock."""
    script = (
        "import tinygrad_np as tg\n"
        "from tinygrad_np import function, observing\n"
        "with tg.inference_mode():\n"
        "    t = tg.ones(2) * 2\n"
        "with observing._lock:\n"
        "    del t\n"
        "print(len(function.observers))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=os.path.dirname(os.path.dirname(tg.__file__)))
    assert done.returncode == 0, done.stderr


def test_scale_first_deprecation_warns_once_per_process_as_pytorch(monkeypatch):
    """PyTorch warns for the first scale-first call only (not every optimizer step)."""
    monkeypatch.setattr(sys.modules["tinygrad_np.tensor"], "_scale_first_warned", False)
    x, g = tg.ones(2), tg.ones(2)
    with pytest.warns(UserWarning, match="deprecated"):
        x.addcmul_(0.5, g, g)
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            x.add_(-0.1, g).sub_(0.1, g).addcdiv_(0.5, g, g)
    assert not caught
    np.testing.assert_allclose(x.numpy(), [2.4, 2.4], rtol=1e-6)


def test_swapaxes_refuses_a_third_positional_axis():
    x = tg.ones(2, 3, 4)
    with pytest.raises(TypeError):
        x.swapaxes(0, 1, 2)
    assert x.swapaxes(axis1=0, axis2=2).shape == (4, 3, 2)
    assert x.swapaxes(axis0=0, axis1=1).shape == (3, 2, 4)
