"""Attention layers as PyTorch's, composed of existing Tensor ops: `nn.MultiheadAttention`,
`nn.TransformerEncoderLayer`, `nn.TransformerEncoder`, `nn.TransformerDecoderLayer`,
`nn.TransformerDecoder` and `nn.Transformer.generate_square_subsequent_mask`.

Parameter names, shapes and initialisation are PyTorch's (`in_proj_weight` (3E, E) Xavier-
uniform, `in_proj_bias` zeros, `out_proj` a Linear with a zero bias; `q_proj_weight`,
`k_proj_weight`, `v_proj_weight` when kdim or vdim differ from embed_dim), so a PyTorch state
dict loads unchanged. The arithmetic is PyTorch's slow path (`F.multi_head_attention_forward`):
masks are made float (a bool True means "masked out", -inf), key padding is added to the
attention mask. A query whose keys are all masked gives NaN with `need_weights=True` and
zeros without (PyTorch computes that case with scaled_dot_product_attention). PyTorch's fused
fast path (eval, no gradient) computes the same values, except that `TransformerEncoder`'s
nested-tensor path returns zeros at the padded positions: imitated under its conditions (see
TransformerEncoder).
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np

from tinygrad_np.amp import is_autocast_enabled
from tinygrad_np.device import as_device, backends
from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.errors import AssertionTensorError, RankError
from tinygrad_np.function import is_grad_enabled
from tinygrad_np.nn import functional as F, init
from tinygrad_np.nn.activation import GELU, ReLU
from tinygrad_np.nn.container import ModuleList
from tinygrad_np.nn.dropout import Dropout
from tinygrad_np.nn.functional_mha import canonical_masks, causal_mask as _causal_mask
from tinygrad_np.nn.linear import Linear
from tinygrad_np.nn.module import Module
from tinygrad_np.nn.normalization import LayerNorm
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.tensor import Tensor, to_tensor as _tensor


class NonDynamicallyQuantizableLinear(Linear):
    """PyTorch's name for MultiheadAttention's `out_proj` (a plain Linear), kept for the repr."""


class MultiheadAttention(Module):
    """Attention over `num_heads` heads of embed_dim / num_heads features each.

    forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False) -> (output, weights or None), with inputs
    (L, N, E) ((N, L, E) when `batch_first`, or unbatched (L, E)). `key_padding_mask` (N, S):
    True (or -inf) marks keys to ignore; `attn_mask` (L, S) or (N * num_heads, L, S): True
    (or -inf, or any added float) per query/key pair. `is_causal` is PyTorch's hint: it needs
    an attn_mask and, without key padding and with need_weights=False, uses the causal mask
    in its place. `add_bias_kv`: learnt `bias_k`, `bias_v` (1, 1, E) appended to the keys
    and values of every batch entry; `add_zero_attn`: a zero key and value appended after
    that (per head); masks get unmasked columns for them, as PyTorch's.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        as_device(device, type(self).__name__)  # only the CPU: anything else raises
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise AssertionTensorError(f"embed_dim and num_heads must be greater than 0, got "
                                       f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise AssertionTensorError(f"embed_dim must be divisible by num_heads (embed_dim "
                                       f"{embed_dim}, num_heads {num_heads})")
        dtype = get_default_dtype() if dtype is None else dtype
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.zeros((3 * embed_dim, embed_dim), dtype=dtype))
            self.q_proj_weight = self.k_proj_weight = self.v_proj_weight = None
        else:
            self.q_proj_weight = Parameter(np.zeros((embed_dim, embed_dim), dtype=dtype))
            self.k_proj_weight = Parameter(np.zeros((embed_dim, self.kdim), dtype=dtype))
            self.v_proj_weight = Parameter(np.zeros((embed_dim, self.vdim), dtype=dtype))
            self.in_proj_weight = None
        self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype=dtype)) if bias else None
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        dtype=dtype)
        self.bias_k = self.bias_v = None
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, embed_dim), dtype=dtype))
            self.bias_v = Parameter(np.empty((1, 1, embed_dim), dtype=dtype))
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def merge_masks(self, attn_mask: Any, key_padding_mask: Any, query: Tensor
                    ) -> tuple[Any, int | None]:
        """PyTorch's helper for its fused path: (mask, mask_type) with mask_type 1 for a key
        padding mask alone (returned as it is), 2 when there is an attn_mask ((L, L) or
        (N * heads, L, L)), which comes back (N, heads, L, L), plus the padding mask
        (logical or for two bool masks); (None, None) without masks. `query` is (N, L, E)."""
        if attn_mask is None:
            return key_padding_mask, None if key_padding_mask is None else 1
        batch, length = query.shape[0], query.shape[1]
        heads = self.num_heads
        attn_mask = _tensor(attn_mask)
        if attn_mask.ndim == 3:
            merged = attn_mask.reshape(batch, -1, length, length)
        else:
            merged = attn_mask.reshape(1, 1, length, length).expand(batch, heads, -1, -1)
        if key_padding_mask is not None:
            padding = _tensor(key_padding_mask).reshape(batch, 1, 1, length).expand(
                -1, heads, -1, -1)
            both_bool = merged.dtype == np.bool_ and padding.dtype == np.bool_
            merged = merged | padding if both_bool else merged + padding
        return merged, 2

    def _projections(self) -> tuple[Any, ...]:
        """(w_q, w_k, w_v, b_q, b_k, b_v)."""
        if self._qkv_same_embed_dim:
            weights = self.in_proj_weight.chunk(3)
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        biases = (None,) * 3 if self.in_proj_bias is None else self.in_proj_bias.chunk(3)
        return (*weights, *biases)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Any = None, need_weights: bool = True, attn_mask: Any = None,
                average_attn_weights: bool = True, is_causal: bool = False
                ) -> tuple[Tensor, Tensor | None]:
        query, key, value = _tensor(query), _tensor(key), _tensor(value)
        transpose = self.batch_first and query.ndim == 3
        if transpose:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        output, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight, average_attn_weights=average_attn_weights,
            is_causal=is_causal)
        return (output.transpose(0, 1) if transpose else output), weights



def _activation(activation: Any) -> Any:
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    if isinstance(activation, str) or not callable(activation):
        raise RuntimeError(f"activation should be relu/gelu, not {activation}")
    return activation


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward block (linear1, activation, linear2), each with
    dropout and a residual connection, layer-normed after (or, `norm_first`, before) as
    PyTorch's. forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: Any = F.relu, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        as_device(device, type(self).__name__)  # only the CPU: anything else raises
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation)
        # PyTorch's fast-path flag: 1 for relu, 2 for gelu (function or module), else 0
        self.activation_relu_or_gelu = (1 if self.activation is F.relu or isinstance(
            self.activation, ReLU) else 2 if self.activation is F.gelu or isinstance(
            self.activation, GELU) else 0)

    def _sa_block(self, x: Tensor, mask: Any, padding: Any, is_causal: bool) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=padding,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, src: Tensor, src_mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool = False) -> Tensor:
        x = _tensor(src)
        src_key_padding_mask, src_mask = canonical_masks(
            src_key_padding_mask, "src_key_padding_mask", src_mask, "src_mask", x.dtype)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))


class TransformerEncoder(Module):
    """`num_layers` deep copies of `encoder_layer` in `layers`, then `norm` if given.
    forward(src, mask=None, src_key_padding_mask=None, is_causal=None).

    PyTorch's nested-tensor path (`enable_nested_tensor=True`, the default) runs each sequence
    at its unpadded length and pads the output with zeros: the same values at the kept
    positions, 0 at the padded ones (before `norm`). It is taken, and the padded positions
    zeroed here, when: the layer allows it (a TransformerEncoderLayer, batch_first, not
    norm_first, relu or gelu, an even number of heads, biases, one embedding size, equal norm
    eps), `torch.backends.mha.get_fastpath_enabled()`, the first layer is in eval mode, src is
    3-D, a src_key_padding_mask is given, padding only at the end of each row (PyTorch checks
    this with mask_check=True; here it is required either way), no `mask`, CUDA autocast
    off, and no gradient is needed (grad mode off, or neither src nor the first layer's
    weights require grad).
    """

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        why_not = _why_not_nested(encoder_layer)
        if enable_nested_tensor and why_not:
            warnings.warn("enable_nested_tensor is True, but self.use_nested_tensor is False "
                          f"because {why_not}", stacklevel=2)
        self.use_nested_tensor = enable_nested_tensor and not why_not
        self.mask_check = mask_check

    def forward(self, src: Tensor, mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool | None = None) -> Tensor:
        output = _tensor(src)
        src_key_padding_mask, mask = canonical_masks(src_key_padding_mask,
                                                     "src_key_padding_mask", mask, "mask",
                                                     output.dtype)
        padded = self._nested_padding(output, mask, src_key_padding_mask)
        if is_causal is None:
            is_causal = _detect_is_causal_mask(mask)
        for layer in self.layers:
            output = layer(output, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                           is_causal=is_causal)
        if padded is not None:  # the nested tensor padded back with zeros
            output = output.masked_fill(Tensor(padded[..., None]), 0.0)
        return output if self.norm is None else self.norm(output)

    def _nested_padding(self, src: Tensor, mask: Any, padding_mask: Any) -> np.ndarray | None:
        """The padded positions (batch, seq) when PyTorch takes the nested-tensor path, else
        None (the conditions in the class docstring, in PyTorch's order)."""
        first = self.layers[0] if len(self.layers) else None
        if (first is None or not backends.mha.get_fastpath_enabled()
                or not getattr(self, "use_nested_tensor", False) or first.training
                or src.ndim != 3 or padding_mask is None or mask is not None):
            return None
        array = padding_mask._data if isinstance(padding_mask, Tensor) else np.asarray(
            padding_mask)
        padded = array if array.dtype == np.bool_ else array != 0  # float: -inf (or any) pads
        kept = ~padded
        if padded.shape != src.shape[:2] or np.any(kept[:, 1:] & ~kept[:, :-1]):
            return None  # not padding at the ends of the rows
        attention = first.self_attn
        weights = (src, attention.in_proj_weight, attention.in_proj_bias,
                   attention.out_proj.weight, attention.out_proj.bias, first.norm1.weight,
                   first.norm1.bias, first.norm2.weight, first.norm2.bias, first.linear1.weight,
                   first.linear1.bias, first.linear2.weight, first.linear2.bias)
        if is_autocast_enabled() or (is_grad_enabled() and any(
                t is not None and t.requires_grad for t in weights)):
            return None
        return padded


def _why_not_nested(layer: Module) -> str:
    """Why PyTorch's TransformerEncoder would not use nested tensors with this layer ("" if
    it would), in PyTorch's words and order."""
    name = "encoder_layer"
    if not isinstance(layer, TransformerEncoderLayer):
        return f"{name} was not TransformerEncoderLayer"
    attention = layer.self_attn
    reasons = ((layer.norm_first, f"{name}.norm_first was True"),
               (not attention.batch_first, f"{name}.self_attn.batch_first was not True(use "
                                           "batch_first for better inference performance)"),
               (not attention._qkv_same_embed_dim,
                f"{name}.self_attn._qkv_same_embed_dim was not True"),
               (attention.in_proj_bias is None, f"{name}.self_attn was passed bias=False"),
               (not layer.activation_relu_or_gelu, f"{name}.activation_relu_or_gelu was not True"),
               (layer.norm1.eps != layer.norm2.eps,
                f"{name}.norm1.eps was not equal to {name}.norm2.eps"),
               (attention.num_heads % 2 == 1, f"{name}.self_attn.num_heads is odd"))
    return next((why for failed, why in reasons if failed), "")



def _detect_is_causal_mask(mask: Any, is_causal: bool | None = None,
                           size: int | None = None) -> bool:
    """PyTorch's _detect_is_causal_mask: the `is_causal` hint when given, else whether `mask`
    equals the (size, size) causal mask (size: the mask's own rows by default)."""
    if is_causal is not None or mask is None:
        return is_causal is True
    array = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    size = array.shape[-2] if size is None else size
    return array.shape == (size, size) and bool(np.all(array == _causal_mask(size, np.float64)))


def _generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
    """PyTorch's private form of Transformer.generate_square_subsequent_mask."""
    return Transformer.generate_square_subsequent_mask(sz, device, dtype)


def _get_activation_fn(activation: str) -> Any:
    """PyTorch's helper: F.relu or F.gelu for "relu" or "gelu"."""
    if activation in ("relu", "gelu"):
        return _activation(activation)
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _get_clones(module: Module, N: int) -> ModuleList:  # noqa: N803 (PyTorch's name)
    """PyTorch's helper: a ModuleList of N deep copies of module (the encoder's layers)."""
    return ModuleList([copy.deepcopy(module) for _ in range(N)])


class TransformerDecoderLayer(Module):
    """Self-attention over the target, attention to `memory` (the encoder's output), then a
    feed-forward block, each with dropout and a residual connection, layer-normed after (or,
    `norm_first`, before) as PyTorch's. forward(tgt, memory, tgt_mask=None, memory_mask=None,
    tgt_key_padding_mask=None, memory_key_padding_mask=None, tgt_is_causal=False,
    memory_is_causal=False)."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: Any = F.relu, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        as_device(device, type(self).__name__)  # only the CPU: anything else raises
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation)

    def _sa_block(self, x: Tensor, mask: Any, padding: Any, is_causal: bool) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=padding,
                           is_causal=is_causal, need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x: Tensor, memory: Tensor, mask: Any, padding: Any,
                   is_causal: bool) -> Tensor:
        x = self.multihead_attn(x, memory, memory, attn_mask=mask, key_padding_mask=padding,
                                is_causal=is_causal, need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Any = None,
                memory_mask: Any = None, tgt_key_padding_mask: Any = None,
                memory_key_padding_mask: Any = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        x, memory = _tensor(tgt), _tensor(memory)
        if x.ndim != memory.ndim or x.ndim not in (2, 3):
            raise AssertionTensorError(  # (PyTorch's attention asserts it)
                f"TransformerDecoderLayer: tgt and memory must both be 3-D (batched) or 2-D "
                f"(unbatched), got shapes {x.shape} and {memory.shape}")
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask,
                                   tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            return x + self._ff_block(self.norm3(x))
        x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                           memory_is_causal))
        return self.norm3(x + self._ff_block(x))


class TransformerDecoder(Module):
    """`num_layers` deep copies of `decoder_layer` in `layers`, then `norm` if given.
    forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False); a None
    tgt_is_causal is found from tgt_mask, as PyTorch does."""

    def __init__(self, decoder_layer: Module, num_layers: int,
                 norm: Module | None = None) -> None:
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Any = None,
                memory_mask: Any = None, tgt_key_padding_mask: Any = None,
                memory_key_padding_mask: Any = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        output = _tensor(tgt)
        if tgt_is_causal is None:
            size = output.shape[1 if getattr(self.layers[0], "self_attn", None) is not None
                                and self.layers[0].self_attn.batch_first
                                and output.ndim == 3 else 0]
            tgt_is_causal = _detect_is_causal_mask(tgt_mask, size=size)
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask,
                           tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        return output if self.norm is None else self.norm(output)


class Transformer(Module):
    """The encoder-decoder model of "Attention is all you need", as PyTorch's: `encoder` (a
    TransformerEncoder of `num_encoder_layers` layers and a final LayerNorm) reads `src`,
    `decoder` (likewise) reads `tgt` and the encoder's output. Weight matrices start
    xavier-uniform. forward(src, tgt, src_mask, tgt_mask, memory_mask, the three key padding
    masks, src_is_causal, tgt_is_causal, memory_is_causal)."""

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: Any = F.relu, custom_encoder: Any = None,
                 custom_decoder: Any = None, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        settings = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                    batch_first, norm_first, bias)
        self.encoder = custom_encoder if custom_encoder is not None else TransformerEncoder(
            TransformerEncoderLayer(*settings, device=device, dtype=dtype), num_encoder_layers,
            LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self.decoder = custom_decoder if custom_decoder is not None else TransformerDecoder(
            TransformerDecoderLayer(*settings, device=device, dtype=dtype), num_decoder_layers,
            LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def _reset_parameters(self) -> None:
        """Every parameter of more than one dimension drawn anew, in place, xavier-uniform."""
        for parameter in self.parameters():
            if parameter.ndim > 1:
                init.xavier_uniform_(parameter)

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Any = None, tgt_mask: Any = None,
                memory_mask: Any = None, src_key_padding_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        src, tgt = _tensor(src), _tensor(tgt)
        if src.ndim < 2 or tgt.ndim < 2:  # (PyTorch indexes their dim 1 first: IndexError)
            raise RankError(f"Transformer: Dimension out of range: src {tuple(src.shape)} and "
                            f"tgt {tuple(tgt.shape)} must be (S, E) / (T, E) or batched")
        batch = 0 if self.batch_first else 1
        if src.ndim == 3 and tgt.ndim == 3 and src.shape[batch] != tgt.shape[batch]:
            raise RuntimeError(f"Transformer: the batch number of src {src.shape} and tgt "
                               f"{tgt.shape} must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError(f"Transformer: the feature number of src {src.shape} and tgt "
                               f"{tgt.shape} must be equal to d_model ({self.d_model})")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None,
                                        dtype: Any = None) -> Tensor:
        """(sz, sz) float mask: 0 on and below the diagonal, -inf above (future positions)."""
        return Tensor(_causal_mask(sz, get_default_dtype() if dtype is None else dtype))
