"""Round 19: PyTorch's public names. torch.fft (the real part of it, the rest refused by
name), the complex dtypes' names, keyword drift found by comparing signatures, and PyTorch
names out of scope refused with a clear error. Checked against PyTorch and float64 central
differences."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

FFT_CASES = [
    ("irfft", (5,), {}), ("irfft", (5,), {"n": 7}), ("irfft", (5,), {"n": 4}),
    ("irfft", (3, 4), {"dim": 0, "n": 6}), ("irfft", (6,), {"norm": "ortho"}),
    ("irfft", (6,), {"norm": "forward", "n": 11}), ("irfftn", (3, 4, 5), {}),
    ("irfftn", (3, 4, 5), {"s": (2, 3)}),
    ("irfftn", (3, 4, 5), {"s": (5, 7), "dim": (0, 2), "norm": "ortho"}),
    ("irfft2", (3, 4), {}), ("irfft2", (3, 4), {"s": (4, 5), "norm": "forward"}),
    ("hfft", (5,), {}), ("hfft", (5,), {"n": 9, "norm": "ortho"}),
    ("hfft", (4, 3), {"dim": 0, "norm": "forward"}), ("hfft2", (3, 4), {}),
    ("hfftn", (3, 4, 5), {"s": (4, 6)}), ("hfftn", (2, 3, 4), {"norm": "ortho", "dim": (1, 0)}),
    ("fftshift", (4, 5), {}), ("ifftshift", (4, 5), {"dim": 1}),
    ("fftshift", (3, 4, 5), {"dim": (0, 2)}), ("ifftshift", (5,), {}),
]


def _central(function, a: np.ndarray, g: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        step = np.zeros_like(a)
        step[index] = eps
        grad[index] = ((function(a + step) * g).sum() - (function(a - step) * g).sum()) / (2 * eps)
    return grad


@pytest.mark.parametrize(("name", "shape", "kwargs"), FFT_CASES)
def test_fft_real_transforms_match_torch_with_gradients(name, shape, kwargs):
    rs = np.random.RandomState(len(shape) + len(kwargs))
    a = rs.randn(*shape)
    expected = getattr(torch.fft, name)(torch.tensor(a, requires_grad=True), **kwargs)
    g = rs.randn(*expected.shape)
    tx = torch.tensor(a, requires_grad=True)
    ty = getattr(torch.fft, name)(tx, **kwargs)
    ty.backward(torch.tensor(g))
    x = tg.tensor(a, requires_grad=True)
    y = getattr(tg.fft, name)(x, **kwargs)
    y.backward(tg.tensor(g))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-10)
    numeric = _central(lambda v: getattr(tg.fft, name)(tg.tensor(v), **kwargs).numpy(), a, g)
    np.testing.assert_allclose(x.grad.numpy(), numeric, atol=1e-6)
    y32 = getattr(tg.fft, name)(tg.tensor(a.astype(np.float32)), **kwargs)
    assert y32.dtype == tg.float32
    np.testing.assert_allclose(y32.numpy(), ty.detach().numpy(), atol=1e-5)


@pytest.mark.parametrize("name", ["irfft", "irfftn", "hfft2"])
def test_fft_double_backward_through_the_incoming_gradient(name):
    rs = np.random.RandomState(3)
    a, w = rs.randn(3, 4), rs.randn(3, 4)
    g = rs.randn(*getattr(torch.fft, name)(torch.tensor(a)).shape)
    results = []
    for lib in (torch, tg):
        x, v = lib.tensor(a, requires_grad=True), lib.tensor(g, requires_grad=True)
        (grad,) = lib.autograd.grad(getattr(lib.fft, name)(x), x, grad_outputs=v,
                                    create_graph=True)
        (grad * lib.tensor(w)).sum().backward()
        results.append(v.grad.numpy())
    np.testing.assert_allclose(results[1], results[0], atol=1e-10)


@pytest.mark.parametrize(("n", "d"), [(5, 1.0), (4, 0.5), (1, 2.0), (8, 0.1), (7, 3)])
@pytest.mark.parametrize("name", ["fftfreq", "rfftfreq"])
def test_fft_frequencies(name, n, d):
    expected = getattr(torch.fft, name)(n, d)
    got = getattr(tg.fft, name)(n, d)
    assert got.dtype == tg.float32 and got.shape == tuple(expected.shape)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)
    assert getattr(tg.fft, name)(n, d, dtype=tg.float64).dtype == tg.float64
    out = tg.empty(0, dtype=tg.float64)
    assert getattr(tg.fft, name)(n, d=d, out=out) is out
    np.testing.assert_allclose(out.numpy(), expected.double().numpy())


def test_fft_int_input_is_default_float_and_half_refused():
    expected = torch.fft.irfft(torch.arange(5))
    got = tg.fft.irfft(tg.arange(5))
    assert got.dtype == tg.float32
    np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=1e-6)
    with pytest.raises(RuntimeError, match="Half"):
        tg.fft.irfft(tg.ones(4, dtype=tg.float16))


@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "fft2", "ifft2", "rfft2", "fftn",
                                  "ifftn", "rfftn", "ihfft", "ihfft2", "ihfftn"])
def test_fft_complex_results_refused_by_name(name):
    assert getattr(torch.fft, name)(torch.ones(4, 4)).is_complex()
    with pytest.raises(NotImplementedError, match=rf"torch\.fft\.{name} .*complex"):
        getattr(tg.fft, name)(tg.ones(4, 4))


@pytest.mark.parametrize(("call", "error"), [
    (lambda m: m.fft.irfft(m.ones(3), norm="x"), RuntimeError),
    (lambda m: m.fft.irfftn(m.ones(3), s=(2, 2)), RuntimeError),
    (lambda m: m.fft.irfftn(m.ones(3, 2), dim=(0, 0)), RuntimeError),
    (lambda m: m.fft.irfft(m.ones(1)), RuntimeError),
    (lambda m: m.fft.irfft(m.ones(3), n=0), RuntimeError),
    (lambda m: m.fft.irfft2(m.ones(3)), IndexError),
    (lambda m: m.fft.fftshift(m.ones(2, 3), dim=5), IndexError),
    (lambda m: m.fft.irfft(m.ones(3), dim=(0, 1)), TypeError),
    (lambda m: m.fft.irfft(m.ones(3, requires_grad=True), out=m.empty(4)), RuntimeError),
])
def test_fft_errors_as_torch(call, error):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error):
        call(tg)


def test_fft_importable_as_module():
    import tinygrad_np.fft as fft_module

    assert fft_module is tg.fft and "irfft" in tg.fft.__all__


# ------------------------------------------------- complex dtypes and functions: named, refused
@pytest.mark.parametrize("name", ["complex64", "cfloat", "complex128", "cdouble"])
def test_complex_dtypes_are_named_like_torch(name):
    ours, theirs = getattr(tg, name), getattr(torch, name)
    assert repr(ours) == repr(theirs) and ours is getattr(tg, repr(theirs)[6:])
    assert (ours.is_complex, ours.is_floating_point, ours.itemsize) == (
        theirs.is_complex, theirs.is_floating_point, theirs.itemsize)
    assert str(ours.to_real()) == str(theirs.to_real())
    assert tg.finfo(ours).eps == torch.finfo(theirs).eps
    assert tg.ones(1).dtype != ours and ours in (tg.complex64, tg.complex128)
    with pytest.raises(TypeError, match=f"no complex tensors, so no {repr(theirs)[6:]} tensors"):
        tg.zeros(2, dtype=ours)
    with pytest.raises(TypeError, match="no complex tensors"):
        tg.ones(2).to(ours)


@pytest.mark.parametrize("call", [
    lambda m: m.complex(m.ones(2), m.ones(2)), lambda m: m.polar(m.ones(2), m.ones(2)),
    lambda m: m.view_as_complex(m.ones(2, 2)), lambda m: m.ones(2).cfloat(),
    lambda m: m.ones(2).cdouble(), lambda m: m.ones(2).chalf(),
    lambda m: m.stft(m.ones(64), 16, window=m.hann_window(16), return_complex=True),
    lambda m: m.ones(64).stft(16, window=m.hann_window(16), return_complex=True),
], ids=["complex", "polar", "view_as_complex", "cfloat", "cdouble", "chalf", "stft",
        "Tensor.stft"])
@pytest.mark.filterwarnings("ignore:ComplexHalf support is experimental")
def test_complex_results_refused_by_name(call):
    assert call(torch).is_complex()
    with pytest.raises(NotImplementedError, match="not supported by tinygrad_np: its result is "
                                                  "complex"):
        call(tg)


def test_view_as_real_of_a_real_tensor_is_torchs_runtime_error():
    for lib in (torch, tg):
        with pytest.raises(RuntimeError, match="view_as_real is only supported for complex"):
            lib.view_as_real(lib.ones(2))


@pytest.mark.parametrize(("name", "feature"), [
    ("quantize_per_tensor", "quantized tensors"), ("qint8", "quantized tensors"),
    ("sparse_csr_tensor", "compressed sparse"), ("sparse_csr", "compressed sparse"),
    ("cudnn_convolution", "vendor kernels"), ("mkldnn_convolution", "vendor kernels"),
    ("parse_ir", "TorchScript"), ("FloatStorage", "storages"), ("uint4", "sub-byte"),
])
def test_out_of_scope_names_say_so(name, feature):
    assert hasattr(torch, name)
    assert not hasattr(tg, name)  # (feature checks take the other path)
    with pytest.raises(NotImplementedError, match=rf"torch\.{name} is not supported by "
                                                  rf"tinygrad_np: it belongs to .*{feature}"):
        getattr(tg, name)
    with pytest.raises(AttributeError, match=name):
        getattr(tg, name)
    with pytest.raises(AttributeError, match="has no attribute 'not_a_torch_name'"):
        tg.not_a_torch_name  # noqa: B018


# ------------------------------------------------- keywords PyTorch documents, found rejected
def _spd(lib):
    a = np.random.RandomState(0).randn(3, 3)
    return lib.tensor(a @ a.T + 3 * np.eye(3))


def _f64(lib, *shape):
    return lib.empty(*shape, dtype=lib.float64)


OUT_CALLS = {
    "cholesky_solve": lambda m, out: m.cholesky_solve(_spd(m), m.linalg.cholesky(_spd(m)),
                                                      out=out(m, 3, 3)),
    "lu_solve": lambda m, out: m.lu_solve(_spd(m), *m.linalg.lu_factor(_spd(m)), out=out(m, 3, 3)),
    "lu_unpack": lambda m, out: m.lu_unpack(*m.linalg.lu_factor(_spd(m)),
                                            out=(out(m, 3, 3), out(m, 3, 3), out(m, 3, 3))),
    "qr": lambda m, out: m.qr(_spd(m), out=(out(m, 3, 3), out(m, 3, 3))),
    "svd": lambda m, out: m.svd(_spd(m), out=(out(m, 3, 3), out(m, 3), out(m, 3, 3))),
    "triangular_solve": lambda m, out: m.triangular_solve(_spd(m), _spd(m).tril(),
                                                          out=(out(m, 3, 3), out(m, 3, 3))),
    "range": lambda m, out: m.range(0, 3, out=out(m, 4)),
}


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", sorted(OUT_CALLS))
def test_out_keyword_of_the_older_linalg_names_and_range(name):
    expected = OUT_CALLS[name](torch, _f64)
    got = OUT_CALLS[name](tg, _f64)
    pairs = zip(got, expected) if isinstance(expected, tuple) else [(got, expected)]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-10)
    if name not in ("range", "cholesky_solve"):  # as PyTorch: out must have the result's dtype
        def float32_out(lib, *shape):
            return lib.empty(*shape)
        with pytest.raises(RuntimeError):
            OUT_CALLS[name](torch, float32_out)
        with pytest.raises(RuntimeError):
            OUT_CALLS[name](tg, float32_out)


def test_cholesky_solve_out_casts_as_torch():
    for lib in (torch, tg):
        out = lib.empty(3, 3)
        lib.cholesky_solve(_spd(lib), lib.linalg.cholesky(_spd(lib)), out=out)
        assert out.dtype == lib.float32
        with pytest.raises(RuntimeError):
            lib.cholesky_solve(_spd(lib), lib.linalg.cholesky(_spd(lib)),
                               out=lib.empty(3, 3, dtype=lib.int64))


def test_out_tensors_are_the_ones_returned():
    out = (_f64(tg, 3, 3), _f64(tg, 3), _f64(tg, 3, 3))
    result = tg.svd(_spd(tg), out=out)
    assert all(r is o for r, o in zip(result, out)) and result.S is out[1]


@pytest.mark.filterwarnings("ignore:non-inplace resize_as is deprecated")
@pytest.mark.parametrize("call", [
    lambda m: m.set_default_device(device=None),  # (torch's "cpu" would leave a mode on)
    lambda m: m.from_dlpack(np.arange(3.0), device="cpu", copy=True),
    lambda m: m.ones(2, 3).resize_as(tensor=m.ones(6)),
    lambda m: m.ones(2, 3).to_dense(m.float64, masked_grad=True),
    lambda m: m.ones(2, 3).to_dense(dtype=m.float64),
    lambda m: m.ones(2, 3).dim_order(ambiguity_check=True),
    lambda m: m.ones(1, 3).dim_order(ambiguity_check=[m.contiguous_format]),
    lambda m: m.tensor(np.eye(3)).orgqr(input2=m.tensor([0.5, 0.2], dtype=m.float64)),
], ids=["set_default_device", "from_dlpack", "resize_as", "to_dense", "to_dense_kw",
        "dim_order", "dim_order_formats", "orgqr"])
def test_documented_keywords_accepted(call):
    expected, got = call(torch), call(tg)
    if expected is None:
        assert got is None
    elif isinstance(expected, tuple):
        assert got == expected
    else:
        assert str(got.dtype) == str(expected.dtype)
        np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=1e-12)


def test_from_dlpack_copy_and_share():
    array = np.arange(3.0)
    shared, copied = tg.from_dlpack(array), tg.from_dlpack(array, copy=True)
    array[0] = 7.0
    assert shared[0].item() == 7.0 and copied[0].item() == 0.0
    with pytest.raises(RuntimeError, match="cuda"):
        tg.from_dlpack(array, device="cuda")


@pytest.mark.parametrize(("call", "error"), [
    (lambda m: m.ones(1, 3).dim_order(ambiguity_check=True), RuntimeError),
    (lambda m: m.ones(2, 3).dim_order(ambiguity_check="x"), TypeError),
    (lambda m: m.ones(1, 3, 1, 1).dim_order(
        ambiguity_check=[m.contiguous_format, m.channels_last]), RuntimeError),
    (lambda m: m.ormqr(m.ones(3, 3, dtype=m.float64), m.ones(2, dtype=m.float64),
                       m.ones(3, 3, dtype=m.float64)), RuntimeError),
])
def test_keyword_misuse_errors_as_torch(call, error):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error):
        call(tg)


# ------------------------------------------------- signatures: every PyTorch keyword accepted
SIGNATURE_NAMESPACES = ["nn", "optim", "optim.lr_scheduler", "utils.data", "distributions",
                        "nn.utils", "nn.utils.rnn", "nn.utils.parametrize",
                        "nn.utils.parametrizations", "nn.utils.prune", "nn.utils.stateless",
                        "nn.init", "nn.functional", "autograd", "autograd.functional", "func",
                        "testing", "linalg", "special"]


@pytest.mark.parametrize("namespace", SIGNATURE_NAMESPACES)
def test_python_signatures_take_every_pytorch_keyword(namespace):
    """Each function and class both have, whose PyTorch signature Python can read: every
    named parameter of PyTorch's is one of ours (or ours takes **kwargs)."""
    import importlib
    import inspect
    import types

    theirs_module = importlib.import_module(f"torch.{namespace}")
    ours_module = tg
    for part in namespace.split("."):
        ours_module = getattr(ours_module, part)
    drift = {}
    for name in dir(theirs_module):
        theirs = getattr(theirs_module, name, None)
        if name.startswith("_") or isinstance(theirs, types.ModuleType) or not callable(theirs) \
                or not getattr(theirs, "__module__", "torch").startswith("torch"):
            continue
        ours = getattr(ours_module, name, None)
        try:
            wanted, have = (inspect.signature(theirs).parameters,
                            inspect.signature(ours).parameters)
        except (TypeError, ValueError):
            continue
        if any(p.kind is p.VAR_KEYWORD for p in have.values()):
            continue
        missing = [p for p, spec in wanted.items() if p not in have and p != "self"
                   and spec.kind not in (spec.VAR_POSITIONAL, spec.VAR_KEYWORD)]
        if missing:
            drift[name] = missing
    assert not drift


def test_rnn_cell_base_has_pytorchs_signature():
    class MyCell(tg.nn.RNNCellBase):
        def __init__(self) -> None:
            super().__init__(3, 5, bias=True, num_chunks=4)

    cell = MyCell()
    assert tuple(cell.weight_ih.shape) == (20, 3) and tuple(cell.weight_hh.shape) == (20, 5)
    for cls, chunks in ((tg.nn.RNNCell, 1), (tg.nn.LSTMCell, 4), (tg.nn.GRUCell, 3)):
        ours, theirs = cls(3, 5), getattr(torch.nn, cls.__name__)(3, 5)
        assert tuple(ours.weight_ih.shape) == tuple(theirs.weight_ih.shape) == (5 * chunks, 3)
    x, h = np.random.RandomState(0).randn(2, 3), np.random.RandomState(1).randn(2, 5)
    theirs = torch.nn.GRUCell(3, 5).double()
    ours = tg.nn.GRUCell(3, 5, dtype=tg.float64)
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    np.testing.assert_allclose(ours(tg.tensor(x), tg.tensor(h)).detach().numpy(),
                               theirs(torch.tensor(x), torch.tensor(h)).detach().numpy(),
                               atol=1e-12)


def test_uninitialized_parameter_device_and_parametrization_list_unsafe():
    assert tg.nn.UninitializedParameter(device="cpu", dtype=tg.float64).dtype == tg.float64
    with pytest.raises(RuntimeError, match="cuda"):
        tg.nn.UninitializedParameter(device="cuda")
    for lib in (torch, tg):
        layer = lib.nn.Linear(3, 3)
        lib.nn.utils.parametrize.register_parametrization(layer, "weight", lib.nn.Identity(),
                                                          unsafe=True)
        assert layer.parametrizations.weight.unsafe is True
        entries = lib.nn.utils.parametrize.ParametrizationList(
            [lib.nn.Identity()], lib.nn.Parameter(lib.ones(2)), unsafe=False)
        assert entries.unsafe is False


# ------------------------------------------------- small torch.* names: compositions and shims
CELLS = {"rnn_tanh_cell": 1, "rnn_relu_cell": 1, "lstm_cell": 4, "gru_cell": 3}


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("name", sorted(CELLS))
def test_rnn_cell_functions_match_torch_with_gradients(name, bias):
    rs = np.random.RandomState(7)
    hidden = 4
    arrays = [rs.randn(2, 3), rs.randn(2, hidden), rs.randn(2, hidden),
              rs.randn(CELLS[name] * hidden, 3), rs.randn(CELLS[name] * hidden, hidden),
              rs.randn(CELLS[name] * hidden), rs.randn(CELLS[name] * hidden)]
    if not bias:
        arrays = arrays[:5]

    def run(lib, values, grad=True):
        x, h, c, *weights = [lib.tensor(v, requires_grad=grad) for v in values]
        state = (h, c) if name == "lstm_cell" else h
        out = getattr(lib, name)(x, state, *weights)
        out = out[0] * 2 + out[1] if name == "lstm_cell" else out
        return out, [x, h, c, *weights]

    g = rs.randn(2, hidden)
    results = []
    for lib in (torch, tg):
        out, inputs = run(lib, arrays)
        (out * lib.tensor(g)).sum().backward()
        results.append([out.detach().numpy()] + [
            np.zeros_like(a) if t.grad is None else t.grad.numpy() for t, a in zip(inputs, arrays)])
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, atol=1e-10)
    weight_index = 3  # w_ih against central differences
    numeric = _central(lambda w: run(tg, arrays[:weight_index] + [w] + arrays[weight_index + 1:],
                                     False)[0].numpy(), arrays[weight_index], g)
    np.testing.assert_allclose(results[1][weight_index + 1], numeric, atol=1e-6)


def test_lstm_cell_state_must_be_a_pair():
    for lib in (torch, tg):
        with pytest.raises(TypeError, match="must be tuple of Tensors"):
            lib.lstm_cell(lib.ones(2, 3), lib.ones(2, 4), lib.ones(16, 3), lib.ones(16, 4))


def test_native_dropout():
    x = tg.tensor(np.arange(1.0, 2001.0), requires_grad=True)
    out, mask = tg.native_dropout(x, 0.25, True)
    assert mask.dtype == tg.bool and 0.65 < mask.float().mean().item() < 0.85
    np.testing.assert_allclose(out.detach().numpy(), np.where(mask.numpy(), x.detach().numpy()
                                                              / 0.75, 0.0))
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), mask.numpy() / 0.75)
    for lib in (torch, tg):
        same, everything = lib.native_dropout(lib.ones(3), 0.5, False)
        assert same.tolist() == [1.0] * 3 and everything.tolist() == [True] * 3
        zeros, none = lib.native_dropout(lib.ones(3), 1.0, True)
        assert zeros.tolist() == [0.0] * 3 and none.tolist() == [False] * 3
        with pytest.raises(RuntimeError, match="expects p to be in"):
            lib.native_dropout(lib.ones(3), 1.5, True)
    expected = torch.native_channel_shuffle(torch.arange(8.0).reshape(1, 4, 2), 2)
    got = tg.native_channel_shuffle(tg.arange(8.0).reshape(1, 4, 2), 2)
    assert got.tolist() == expected.tolist()


@pytest.mark.parametrize(("name", "args"), [
    ("sym_int", (-2.7,)), ("sym_int", (3,)), ("sym_float", (3,)), ("sym_max", (2, 3.5)),
    ("sym_max", (4, 3)), ("sym_min", (2.0, 1)), ("sym_not", (True,)), ("sym_sqrt", (4,)),
    ("sym_sum", ([1, 2, 3],)), ("sym_ite", (False, 1, 2)),
])
def test_sym_helpers_on_plain_numbers(name, args):
    expected, got = getattr(torch, name)(*args), getattr(tg, name)(*args)
    assert got == expected and type(got) is type(expected)


@pytest.mark.filterwarnings("ignore:torch.(get|set)_autocast_.* is deprecated")
def test_build_queries_autocast_accessors_and_anomaly():
    for lib in (torch, tg):
        assert lib.compiled_with_cxx11_abi() is True and lib.is_vulkan_available() is False
        assert lib.init_num_threads() is None
        assert lib.get_device_module() is lib.cpu and lib.get_device_module("cpu") is lib.cpu
        assert lib.get_autocast_cpu_dtype() is lib.bfloat16
        assert lib.get_autocast_gpu_dtype() == lib.float16
        lib.set_autocast_cpu_dtype(lib.float16)
        assert lib.get_autocast_cpu_dtype() == lib.float16
        lib.set_autocast_cpu_dtype(lib.bfloat16)
        depth = lib.autocast_increment_nesting()
        assert lib.autocast_decrement_nesting() == depth - 1
        lib.set_anomaly_enabled(True)
        assert lib.is_anomaly_enabled()
        lib.set_anomaly_enabled(False)
        assert not lib.is_anomaly_enabled()
        assert lib.is_distributed(lib.ones(1)) is False and lib.ones(1).is_distributed() is False
        with pytest.raises(RuntimeError, match="imag is not implemented for tensors with "
                                               "non-complex dtypes"):
            lib.imag(lib.ones(2))


def test_fork_and_wait():
    for lib in (torch, tg):
        with pytest.warns(DeprecationWarning, match="torch.jit.fork` is deprecated"):
            future = lib.jit.fork(lambda x, y=1: x + y, 2, y=3)
        with pytest.warns(DeprecationWarning, match="torch.jit.wait` is deprecated"):
            assert lib.jit.wait(future) == 5
        assert lib.wait(lib.fork(len, [1, 2])) == 2
        with pytest.raises(RuntimeError, match="Future can't be None"):
            lib.wait(None)
        with pytest.warns(DeprecationWarning, match=r"get_autocast_dtype\('cpu'\) instead"):
            lib.get_autocast_cpu_dtype()


@pytest.mark.parametrize(("name", "error"), [
    ("int_repr", NotImplementedError), ("q_scale", NotImplementedError),
    ("qscheme", NotImplementedError), ("crow_indices", RuntimeError),
    ("col_indices", RuntimeError), ("xpu", AssertionError), ("ipu", RuntimeError),
    ("mtia", AssertionError),
])
def test_tensor_methods_out_of_scope_raise_pytorchs_class(name, error):
    with pytest.raises(error):
        getattr(torch.ones(2), name)()
    with pytest.raises(error, match=rf"Tensor\.{name}"):
        getattr(tg.ones(2), name)()


def test_dequantize_of_a_real_tensor_is_itself_and_to_sparse_csr_refused():
    for lib in (torch, tg):
        x = lib.ones(2)
        assert x.dequantize() is x and lib.dequantize(x) is x
    with pytest.raises(NotImplementedError, match="compressed sparse layouts"):
        tg.ones(2, 2).to_sparse_csr()


def test_backends_modules_scripts_query():
    import importlib

    for name in ("cpu", "mkl", "nnpack", "opt_einsum", "miopen", "cusparselt", "kleidiai"):
        module = importlib.import_module(f"tinygrad_np.backends.{name}")
        assert module is getattr(tg.backends, name)
        assert hasattr(getattr(torch.backends, name), "is_available") == hasattr(
            module, "is_available")
    assert tg.backends.cpu.get_cpu_capability() == "DEFAULT"
    assert not tg.backends.mkl.is_available() and not tg.backends.nnpack.is_available()
    assert not tg.backends.opt_einsum.is_available() and tg.backends.cusparselt.version() is None
    with tg.backends.nnpack.flags(enabled=False):
        assert tg.backends.nnpack.enabled is False


# ------------------------------------------------- torch.func.rearrange (einops)
REARRANGE_CASES = [
    ((2, 3, 4), "b h w -> b (h w)", {}), ((2, 3, 4), "b h w -> w b h", {}),
    ((2, 3, 4), "... w -> w ...", {}), ((2, 3, 4), "b h w -> b 1 h w", {}),
    ((2, 3, 4), "b h w -> b () h w", {}), ((2, 6), "a (b c) -> a b c", {"c": 2}),
    ((2, 6, 3), "a (b c) d -> (d a) c b", {"b": 2}), ((2, 6, 3), "a ... -> ... a", {}),
    ((2, 6, 3), "a ... -> a (...)", {}), ((2, 1, 3), "a 1 b -> b a", {}),
    ((2, 3, 4, 5), "b c (h) w -> b (w h) c", {}), ((4,), "a -> a", {}),
    ((2, 6, 3), "a (b c) d -> a b c d", {"b": 2, "c": 3}),
    ((2, 3, 4, 5), "b ... c -> (b c) ...", {}), ((2, 3), "... -> ...", {}),
]


@pytest.mark.parametrize(("shape", "pattern", "lengths"), REARRANGE_CASES)
def test_rearrange_matches_torch_with_gradients(shape, pattern, lengths):
    rs = np.random.RandomState(len(pattern))
    a = rs.randn(*shape)
    theirs = torch.tensor(a, requires_grad=True)
    expected = torch.func.rearrange(theirs, pattern, **lengths)
    g = rs.randn(*expected.shape)
    expected.backward(torch.tensor(g))
    ours = tg.tensor(a, requires_grad=True)
    got = tg.func.rearrange(ours, pattern, **lengths)
    got.backward(tg.tensor(g))
    assert tuple(got.shape) == tuple(expected.shape)
    np.testing.assert_array_equal(got.detach().numpy(), expected.detach().numpy())
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_rearrange_of_a_list_stacks_it():
    arrays = [np.random.RandomState(i).randn(3, 4) for i in range(5)]
    expected = torch.func.rearrange([torch.tensor(v) for v in arrays], "n a b -> a (n b)")
    got = tg.func.rearrange([tg.tensor(v) for v in arrays], "n a b -> a (n b)")
    np.testing.assert_array_equal(got.numpy(), expected.numpy())
    x = tg.ones(2)
    assert tg.func.debug_unwrap(x) is x


@pytest.mark.parametrize(("pattern", "lengths"), [
    ("a b -> a", {}), ("a a b -> a b", {}), ("a b", {}), ("x y z w -> x y z w", {}),
    ("a (b c d -> a b", {}), ("a b c -> a b c", {"x": 3}), ("a ... b ... -> a b", {}),
])
def test_rearrange_misuse_is_torchs_value_error(pattern, lengths):
    with pytest.raises(ValueError) as theirs:
        torch.func.rearrange(torch.ones(2, 6, 3), pattern, **lengths)
    with pytest.raises(ValueError) as ours:
        tg.func.rearrange(tg.ones(2, 6, 3), pattern, **lengths)
    assert str(ours.value).split(":")[0].strip() == str(theirs.value).split(":")[0].strip()


@pytest.mark.parametrize(("pattern", "lengths"), [
    ("a (b c) d -> a b c d", {}), ("a (b c) d -> a b c d", {"b": 5}),
    ("a (b c) d -> a b c d", {"b": 2, "c": 2}), ("a 1 b -> a b", {}),
])
def test_rearrange_sizes_that_do_not_fit(pattern, lengths):
    with pytest.raises(ValueError, match="rearrange: "):
        tg.func.rearrange(tg.ones(2, 6, 3), pattern, **lengths)


def test_futures_module_and_autograd_queries():
    import tinygrad_np.futures as futures

    for lib, module in ((torch, torch.futures), (tg, futures)):
        done = [lib.fork(len, [1]), lib.fork(len, [1, 2])]
        assert module.wait_all(done) == [1, 2]
        assert [f.wait() for f in module.collect_all(done).wait()] == [1, 2]
        assert lib.autograd.is_tensor_like(lib.ones(1)) and not lib.autograd.is_tensor_like(1)
        assert lib.autograd.is_view_replay_enabled() is False
        assert isinstance(lib.fork(len, []), lib.Future)


@pytest.mark.parametrize("name", ["fx", "export", "hub", "nested", "masked", "library",
                                  "package", "ao", "quasirandom", "jagged"])
def test_out_of_scope_torch_modules_say_so(name):
    assert hasattr(torch, name) or name in ("fx", "export", "hub", "package", "library")
    with pytest.raises(NotImplementedError, match=rf"torch\.{name} is not supported by "
                                                  r"tinygrad_np"):
        getattr(tg, name)
    assert getattr(tg, name, None) is None


# ------------------------------------------------- F.grouped_mm (Mixture-of-Experts products)
@pytest.mark.parametrize(("shape_a", "shape_b", "offs"), [
    ((8, 4), (2, 4, 4), [3, 8]), ((8, 4), (2, 4, 4), [3, 6]), ((8, 4), (2, 4, 4), [0, 8]),
    ((4, 8), (8, 4), [4, 8]), ((4, 8), (8, 4), [2, 6]), ((2, 4, 4), (4, 8), [4, 8]),
    ((2, 4, 4), (2, 4, 8), None),
])
def test_grouped_mm_matches_torch_with_gradients(shape_a, shape_b, offs):
    rs = np.random.RandomState(sum(shape_a))
    a, b = rs.randn(*shape_a).astype(np.float32), rs.randn(*shape_b).astype(np.float32)
    results = []
    for lib in (torch, tg):
        kwargs = {} if offs is None else {"offs": lib.tensor(offs, dtype=lib.int32)}
        ta, tb = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        y = lib.nn.functional.grouped_mm(ta, tb, **kwargs)
        results.append((y, ta, tb))
    (y, ta, tb), (z, ga, gb) = results
    assert tuple(z.shape) == tuple(y.shape)
    kept = np.ones(tuple(y.shape), dtype=bool)  # PyTorch leaves what offs skips undefined
    if offs is not None and len(shape_a) == 2 and len(shape_b) == 3:
        kept[offs[-1]:] = False
    if offs is not None and len(shape_a) == 3 and len(shape_b) == 2:
        kept[:, offs[-1]:] = False
    np.testing.assert_allclose(z.detach().numpy()[kept], y.detach().numpy()[kept], atol=1e-5)
    assert not z.detach().numpy()[~kept].any()
    g = rs.randn(*y.shape).astype(np.float32) * kept
    y.backward(torch.tensor(g))
    z.backward(tg.tensor(g))
    every, end = slice(None), None if offs is None else offs[-1]
    a_part, b_part = {(2, 3): ((slice(0, end),), every), (3, 2): (every, (every, slice(0, end))),
                      (2, 2): ((every, slice(0, end)), (slice(0, end),))}.get(
        (len(shape_a), len(shape_b)), (every, every))  # (the parts offs reads)
    np.testing.assert_allclose(ga.grad.numpy()[a_part], ta.grad.numpy()[a_part], atol=1e-5)
    np.testing.assert_allclose(gb.grad.numpy()[b_part], tb.grad.numpy()[b_part], atol=1e-5)


def test_grouped_mm_float64_central_differences_and_errors():
    rs = np.random.RandomState(1)
    a, b, g = rs.randn(5, 3), rs.randn(2, 3, 2), rs.randn(5, 2)
    offs = tg.tensor([2, 5], dtype=tg.int32)
    x = tg.tensor(a, requires_grad=True)
    (tg.nn.functional.grouped_mm(x, tg.tensor(b), offs=offs) * tg.tensor(g)).sum().backward()
    numeric = _central(lambda v: tg.nn.functional.grouped_mm(
        tg.tensor(v), tg.tensor(b), offs=offs).numpy(), a, g)
    np.testing.assert_allclose(x.grad.numpy(), numeric, atol=1e-6)
    for lib in (torch, tg):
        with pytest.raises(RuntimeError, match="Bias not supported"):
            lib.nn.functional.grouped_mm(lib.ones(2, 4, 4), lib.ones(2, 4, 4),
                                         bias=lib.ones(2, 4))
    with pytest.raises(RuntimeError, match="offs"):
        tg.nn.functional.grouped_mm(tg.ones(8, 4), tg.ones(2, 4, 4))
    with pytest.raises(RuntimeError, match="offs"):
        tg.nn.functional.grouped_mm(tg.ones(8, 4), tg.ones(2, 4, 4), offs=tg.tensor([5, 3]))


@pytest.mark.parametrize("name", ["eig", "symeig", "lstsq", "solve"])
def test_removed_tensor_methods_raise_pytorchs_runtime_error(name):
    with pytest.raises(RuntimeError) as theirs:
        getattr(torch.ones(2, 2), name)(torch.ones(2, 2))
    with pytest.raises(RuntimeError) as ours:
        getattr(tg.ones(2, 2), name)(tg.ones(2, 2))
    assert str(ours.value) == str(theirs.value).split(" (Triggered internally")[0]


def test_autograd_profiler_spellings_and_legacy_contiguous_format():
    assert tg.autograd.ProfilerActivity.CPU is tg.profiler.ProfilerActivity.CPU
    assert tg.autograd.kineto_available() in (True, False)
    assert tg.autograd.has_torch_function((tg.ones(1),)) is False
    assert tg.legacy_contiguous_format is tg.contiguous_format
    assert torch.legacy_contiguous_format is torch.contiguous_format
