"""PyTorch's public names that tinygrad_np does not support, refused by name with the reason.

* Complex numbers (there are no complex tensors): `torch.complex`, `polar`, `view_as_real`,
  `view_as_complex`, `stft`, `istft` and the methods `cfloat()`, `cdouble()`, `chalf()`,
  `stft()`, `istft()` exist and raise NotImplementedError saying so (the dtypes
  `torch.complex64`/`cfloat`, `complex128`/`cdouble` are named in missing_dtypes.py).
* Whole features out of scope (quantized tensors, the compressed sparse layouts, vendor
  kernels such as cudnn_*/miopen_*/mkldnn_*, TorchScript's IR, storages, torch.fx, export,
  hub, nested and masked tensors, ...): `torch.<name>` raises
  `NotSupported`, an AttributeError (so `hasattr(torch, name)` is False, as feature checks
  expect) that is also a NotImplementedError, naming the name and the feature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_NO_COMPLEX = ("its result is complex, and tinygrad_np has no complex tensors (keep the real "
               "and imaginary parts as two real tensors)")


class NotSupported(AttributeError, NotImplementedError):
    """A PyTorch name out of tinygrad_np's scope: an AttributeError (hasattr is False) and a
    NotImplementedError, whose message names it and the feature it belongs to."""


def complex_only(name: str, owner: str = "torch") -> Callable[..., Any]:
    """A function `owner.name` that raises NotImplementedError: its result is complex."""
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{owner}.{name} is not supported by tinygrad_np: "
                                  f"{_NO_COMPLEX}")
    refused.__name__ = refused.__qualname__ = name
    refused.__doc__ = f"Refused (NotImplementedError): {owner}.{name} makes complex tensors."
    return refused


def view_as_real(input: Any) -> Any:  # noqa: A002
    """PyTorch's RuntimeError: only complex tensors can be viewed as real (there are none)."""
    raise RuntimeError("view_as_real is only supported for complex tensors (tinygrad_np has no "
                       "complex tensors)")


COMPLEX_FUNCTIONS = {name: complex_only(name) for name in (
    "complex", "polar", "view_as_complex", "view_as_complex_copy", "stft", "istft")}
COMPLEX_FUNCTIONS.update(view_as_real=view_as_real, view_as_real_copy=view_as_real)
COMPLEX_METHODS = {name: complex_only(name, "Tensor") for name in (
    "cfloat", "cdouble", "chalf", "stft", "istft")}

# torch.<name> out of scope: the feature each belongs to, and its names in PyTorch 2.13
_FEATURES = {
    "quantized tensors (torch.ao.quantization)": (
        "quantize_per_tensor quantize_per_channel quantize_per_tensor_dynamic "
        "int_repr q_scale q_zero_point q_per_channel_scales q_per_channel_zero_points "
        "q_per_channel_axis fake_quantize_per_tensor_affine fake_quantize_per_channel_affine "
        "fused_moving_avg_obs_fake_quant choose_qparams_optimized empty_quantized "
        "quantized_batch_norm quantized_gru quantized_gru_cell quantized_lstm "
        "quantized_lstm_cell quantized_max_pool1d quantized_max_pool2d quantized_max_pool3d "
        "quantized_rnn_relu_cell quantized_rnn_tanh_cell qint8 quint8 qint32 quint4x2 quint2x4 "
        "qscheme per_tensor_affine per_tensor_symmetric per_channel_affine "
        "per_channel_symmetric per_channel_affine_float_qparams fbgemm_linear_fp16_weight "
        "fbgemm_linear_fp16_weight_fp32_activation fbgemm_linear_int8_weight "
        "fbgemm_linear_int8_weight_fp32_activation fbgemm_linear_quantize_weight "
        "fbgemm_pack_gemm_matrix_fp16 fbgemm_pack_quantized_matrix QInt32Storage "
        "QInt8Storage QUInt2x4Storage QUInt4x2Storage QUInt8Storage"),
    "the compressed sparse layouts (CSR, CSC, BSR, BSC; torch.sparse_coo_tensor works)": (
        "sparse_csr sparse_csc sparse_bsr sparse_bsc sparse_csr_tensor sparse_csc_tensor "
        "sparse_bsr_tensor sparse_bsc_tensor sparse_compressed_tensor crow_indices_copy "
        "col_indices_copy ccol_indices_copy row_indices_copy values_copy indices_copy "
        "resize_as_sparse_ hspmm saddmm smm dsmm hsmm sspaddmm"),
    "vendor kernels (cuDNN, MIOpen, oneDNN/mkldnn; tinygrad_np runs on NumPy)": (
        "cudnn_affine_grid_generator cudnn_batch_norm cudnn_convolution "
        "cudnn_convolution_add_relu cudnn_convolution_relu cudnn_convolution_transpose "
        "cudnn_grid_sampler cudnn_is_acceptable miopen_batch_norm miopen_convolution "
        "miopen_convolution_add_relu miopen_convolution_relu miopen_convolution_transpose "
        "miopen_ctc_loss miopen_depthwise_convolution miopen_rnn mkldnn_adaptive_avg_pool2d "
        "mkldnn_convolution mkldnn_linear_backward_weights mkldnn_max_pool2d mkldnn_max_pool3d "
        "mkldnn_rnn_layer"),
    "TorchScript's IR and type system (torch.jit.script/trace run the model eagerly here)": (
        "parse_ir parse_schema parse_type_comment import_ir_module import_ir_module_from_buffer "
        "merge_type_from_type_comment unify_type_list ScriptModule ScriptFunction ScriptMethod "
        "ScriptObject CompilationUnit Graph Node Value Block FunctionSchema Argument"),
    "storages (a tensor's data is a NumPy array: t.numpy(), t.untyped_storage())": (
        "UntypedStorage TypedStorage FloatStorage DoubleStorage HalfStorage BFloat16Storage "
        "LongStorage IntStorage ShortStorage CharStorage ByteStorage BoolStorage "
        "ComplexFloatStorage ComplexDoubleStorage from_file"),
    "features built on PyTorch's dispatcher and compiler stack (graph capture, export, "
    "packaging, custom-op libraries, model hubs, nested and masked tensors)": (
        "fx export package library hub nested masked ao quantization monitor quasirandom "
        "jagged"),
    "the narrow and sub-byte dtypes (NumPy has no such types)": (
        "int1 int2 int3 int4 int5 int6 int7 uint1 uint2 uint3 uint4 uint5 uint6 uint7 bits8 "
        "bits16 bits1x8 bits2x4 bits4x2 float4_e2m1fn_x2 float8_e4m3fnuz float8_e5m2fnuz "
        "float8_e8m0fnu"),
}
OUT_OF_SCOPE = {name: feature for feature, names in _FEATURES.items() for name in names.split()}


def not_supported(name: str, owner: str = "torch") -> NotSupported:
    """The error for `torch.<name>` (or `Tensor.<name>`) out of scope (see OUT_OF_SCOPE)."""
    feature = OUT_OF_SCOPE[name] if owner == "torch" else _TENSOR_OUT_OF_SCOPE[name]
    return NotSupported(f"{owner}.{name} is not supported by tinygrad_np: it belongs to "
                        f"{feature}, which tinygrad_np does not have")


def _method(name: str) -> Callable[..., Any]:
    def refused(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise not_supported(name, "Tensor")
    refused.__name__ = refused.__qualname__ = name
    refused.__doc__ = f"Refused (NotSupported): Tensor.{name} belongs to " \
                      f"{_TENSOR_OUT_OF_SCOPE[name]}."
    return refused


_QUANTIZED, _COMPRESSED, _VENDOR = list(_FEATURES)[:3]
_TENSOR_OUT_OF_SCOPE = {
    **dict.fromkeys("to_sparse_csr to_sparse_csc to_sparse_bsr to_sparse_bsc crow_indices "
                    "col_indices ccol_indices row_indices".split(), _COMPRESSED),
    **dict.fromkeys("int_repr q_scale q_zero_point q_per_channel_scales "
                    "q_per_channel_zero_points q_per_channel_axis qscheme".split(), _QUANTIZED),
    "to_mkldnn": _VENDOR}
OUT_OF_SCOPE_METHODS = {name: _method(name) for name in _TENSOR_OUT_OF_SCOPE}
