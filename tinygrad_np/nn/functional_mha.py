"""`F.multi_head_attention_forward`: PyTorch's functional form of `nn.MultiheadAttention`
(which calls it), with PyTorch's signature. Re-exported by F.

The arithmetic is PyTorch's slow path: masks are made float (a bool True means "masked out",
-inf), key padding is added to the attention mask, `bias_k`/`bias_v` append one learnt key
and value (the masks get a zero column), `add_zero_attn` one zero key and value, `static_k`/
`static_v` replace the projected keys and values. With `need_weights=True` the weights are
softmax(q k^T / sqrt(head_dim) + mask) (a query with every key masked gives NaN); without,
PyTorch uses scaled_dot_product_attention, which gives zeros there.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.errors import AssertionTensorError, TensorError
from tinygrad_np.join import cat
from tinygrad_np.tensor import Tensor, to_tensor as _tensor


class MaskDtypeError(AssertionTensorError, TypeError):
    """A mask neither bool nor float: PyTorch's AssertionError (from `_canonical_mask`), a
    TypeError as well."""


def float_mask(mask: Any, name: str, dtype: Any) -> Any:
    """PyTorch's `_canonical_mask`: a bool mask becomes -inf where True (0 elsewhere), a float
    mask is kept (a Tensor, so a learnt mask gets its gradient)."""
    if mask is None:
        return None
    array = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if array.dtype == np.bool_:
        return xp.where(array, np.asarray(-np.inf, dtype), np.asarray(0.0, dtype))
    if array.dtype.kind != "f":
        raise MaskDtypeError(f"only bool and floating types of {name} are supported, got "
                             f"{array.dtype}")
    return _tensor(mask)


def _mask_dtype(mask: Any) -> Any:
    return mask.dtype if isinstance(mask, Tensor) else np.asarray(mask).dtype


def warn_mismatched(padding: Any, padding_name: str, mask: Any, mask_name: str) -> None:
    """PyTorch's deprecation warning for a bool key padding mask with a float attention mask
    (or the reverse), given where PyTorch's `_canonical_mask` gives it."""
    if padding is None or mask is None:
        return
    padding_dtype, mask_dtype = _mask_dtype(padding), _mask_dtype(mask)
    if padding_dtype != mask_dtype and padding_dtype.kind in "bf":
        warnings.warn(f"Support for mismatched {padding_name} and {mask_name} is deprecated. "
                      "Use same type for both instead.", stacklevel=4)


def canonical_masks(padding: Any, padding_name: str, mask: Any, mask_name: str,
                    dtype: Any) -> tuple[Any, Any]:
    """Both masks float (bool: -inf where True), as PyTorch's Transformer layers make them
    before attention, warning as PyTorch's when their dtypes differ."""
    warn_mismatched(padding, padding_name, mask, mask_name)
    return float_mask(padding, padding_name, dtype), float_mask(mask, mask_name, dtype)


def causal_mask(size: int, dtype: Any, source: int | None = None) -> np.ndarray:
    """-inf above the diagonal of a (size, source) mask (source defaults to size)."""
    return np.triu(np.full((size, size if source is None else source), -np.inf, dtype=dtype), 1)


def _zero_column(mask: Any) -> Any:
    """A float mask (array or Tensor) with one more key, not masked (PyTorch pads with 0)."""
    if mask is None:
        return None
    if isinstance(mask, Tensor):
        return cat([mask, Tensor(np.zeros((*mask.shape[:-1], 1), dtype=mask.dtype))], -1)
    return np.concatenate([mask, np.zeros((*mask.shape[:-1], 1), dtype=mask.dtype)], -1)


def _mha_shape_check(query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Any,
                     attn_mask: Any, num_heads: int) -> bool:
    """PyTorch's F._mha_shape_check: whether query is batched (3-D) rather than unbatched
    (2-D), with an AssertionError (as PyTorch's) for dims that do not fit together."""
    kind = {3: "batched (3-D)", 2: "unbatched (2-D)"}.get(query.ndim)
    if kind is None:
        raise AssertionTensorError(f"query should be unbatched 2D or batched 3D tensor but "
                                   f"received {query.ndim}-D query tensor")
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionTensorError(f"For {kind} `query`, expected `key` and `value` to be "
                                   f"{query.ndim}-D but found {key.ndim}-D and {value.ndim}-D "
                                   f"tensors respectively")
    if key_padding_mask is not None and np.ndim(key_padding_mask) != query.ndim - 1:
        raise AssertionTensorError(f"For {kind} `query`, expected `key_padding_mask` to be "
                                   f"`None` or {query.ndim - 1}-D but found "
                                   f"{np.ndim(key_padding_mask)}-D tensor instead")
    if attn_mask is not None and np.ndim(attn_mask) not in (2, 3):
        raise AssertionTensorError(f"For {kind} `query`, expected `attn_mask` to be `None`, "
                                   f"2-D or 3-D but found {np.ndim(attn_mask)}-D tensor instead")
    expected = (num_heads, query.shape[0], key.shape[0])
    if query.ndim == 2 and np.ndim(attn_mask) == 3 and tuple(np.shape(attn_mask)) != expected:
        raise AssertionTensorError(f"Expected `attn_mask` shape to be {expected} but got "
                                   f"{tuple(np.shape(attn_mask))}")
    return query.ndim == 3


def _none_or_dtype(input: Any) -> Any:  # noqa: A002
    """PyTorch's F._none_or_dtype: None, or the tensor's dtype."""
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _canonical_mask(mask: Any, mask_name: str, other_type: Any, other_name: str,
                    target_type: Any, check_other: bool = True) -> Tensor | None:
    """PyTorch's F._canonical_mask: a bool mask as a float one of target_type (-inf where
    True, 0 elsewhere), a float mask unchanged; other dtypes raise AssertionError, and a
    dtype other than other_type's warns (a deprecated mix)."""
    if mask is None:
        return None
    mask = _tensor(mask)
    if mask.dtype != np.bool_ and mask.dtype.kind != "f":
        raise AssertionTensorError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. "
                      "Use same type for both instead.", stacklevel=2)
    if mask.dtype != np.bool_:
        return mask
    return Tensor(np.where(mask._data, -np.inf, 0.0).astype(target_type))


def _in_projection_packed(q: Tensor, k: Tensor, v: Tensor, w: Tensor,
                          b: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """PyTorch's F._in_projection_packed: q, k and v projected by the thirds of the packed
    weight w (3E, E) and bias b (3E,)."""
    from tinygrad_np.nn import functional as F  # (F imports this module)

    biases = (None,) * 3 if b is None else b.chunk(3)
    return tuple(F.linear(x, weight, bias) for x, weight, bias in zip((q, k, v), w.chunk(3),
                                                                      biases))


def _check_inputs(query: Tensor, key: Tensor, value: Tensor, embed_dim: int,
                  num_heads: int, separate: bool) -> None:
    if separate and key.shape[:-1] != value.shape[:-1]:  # (PyTorch's checks and words)
        raise AssertionTensorError(f"key's sequence and batch dims {tuple(key.shape[:-1])} do "
                                   f"not match value's {tuple(value.shape[:-1])}")
    if not separate and key.shape != value.shape:
        raise AssertionTensorError(f"key shape {tuple(key.shape)} does not match value shape "
                                   f"{tuple(value.shape)}")
    if query.shape[-1] != embed_dim:
        raise AssertionTensorError(f"was expecting embedding dimension of {embed_dim}, but "
                                   f"got {query.shape[-1]}")
    if num_heads <= 0 or embed_dim % num_heads:
        raise AssertionTensorError(f"embed_dim {embed_dim} not divisible by num_heads "
                                   f"{num_heads}")
    if key.shape[:-1] != value.shape[:-1] or key.shape[1:-1] != query.shape[1:-1]:
        raise AssertionTensorError(
            f"multi_head_attention_forward: expected query (L, N, {embed_dim}) and key, value "
            f"(S, N, ...) (or unbatched (L, E), (S, ...)), got {query.shape}, {key.shape}, "
            f"{value.shape}")


def _attention_mask(attn_mask: Any, is_causal: bool, use_causal: bool, shape: tuple[int, ...],
                    dtype: Any) -> Any:
    """The float attention mask as (L, S) or (N, heads, L, S), checked against
    shape = (N, heads, L, S)."""
    batch, heads, target, source = shape
    if use_causal:  # PyTorch's is_causal hint without key padding or weights
        return causal_mask(target, dtype, source)
    mask = float_mask(attn_mask, "attn_mask", dtype)
    if mask is None or (mask.ndim == 2 and tuple(mask.shape) == (target, source)):
        return mask
    if mask.ndim == 3 and tuple(mask.shape) == (batch * heads, target, source):
        return mask.reshape(batch, heads, target, source)
    if mask.ndim not in (2, 3):
        raise TensorError(f"multi_head_attention_forward: attn_mask's dimension {mask.ndim} is "
                          f"not supported")
    right = (target, source) if mask.ndim == 2 else (batch * heads, target, source)
    raise TensorError(f"multi_head_attention_forward: The shape of the {mask.ndim}D attn_mask is "
                      f"{tuple(mask.shape)}, but should be {right}.")


def _heads(x: Tensor, static: Any, batch: int, heads: int, name: str) -> Tensor:
    """(S, N, E) -> (N, heads, S, head_dim), or `static` (N * heads, S, head_dim) reshaped."""
    size = x.shape[-1] // heads
    if static is None:
        return x.reshape(x.shape[0], batch, heads, size).permute(1, 2, 0, 3)
    static = _tensor(static)
    if static.ndim != 3 or static.shape[0] != batch * heads or static.shape[2] != size:
        raise AssertionTensorError(f"expecting {name} of shape ({batch * heads}, S, {size}), "
                                   f"got {tuple(static.shape)}")
    return static.reshape(batch, heads, static.shape[1], size)


@xp.quiet  # huge scores beside a -inf mask: inf - inf is NaN, silently (as PyTorch)
def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float,
        out_proj_weight: Tensor, out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Any = None, need_weights: bool = True, attn_mask: Any = None,
        use_separate_proj_weight: bool = False, q_proj_weight: Tensor | None = None,
        k_proj_weight: Tensor | None = None, v_proj_weight: Tensor | None = None,
        static_k: Tensor | None = None, static_v: Tensor | None = None,
        average_attn_weights: bool = True, is_causal: bool = False
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention of query (L, N, E) over key (S, N, kdim) and value (S, N, vdim)
    (or unbatched (L, E), (S, kdim), (S, vdim)) -> (output (L, N, E), weights (N, L, S)
    averaged over heads, (N, heads, L, S) if not average_attn_weights, or None without
    need_weights). The projections are in_proj_weight (3E, E) / in_proj_bias (3E,), or
    q/k/v_proj_weight with use_separate_proj_weight, then out_proj_weight/out_proj_bias.
    key_padding_mask (N, S) and attn_mask (L, S) or (N * heads, L, S): True (or -inf, or any
    added float) masks out; dropout_p applies when training."""
    from tinygrad_np.nn import functional as F  # (F imports this module)

    query, key, value = _tensor(query), _tensor(key), _tensor(value)
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    _check_inputs(query, key, value, embed_dim_to_check, num_heads, use_separate_proj_weight)
    warn_mismatched(key_padding_mask, "key_padding_mask", attn_mask, "attn_mask")
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if use_separate_proj_weight:
        weights = (q_proj_weight, k_proj_weight, v_proj_weight)
        for name, x, weight in zip(("query", "key", "value"), (query, key, value), weights):
            if weight is not None and tuple(weight.shape) != (embed_dim_to_check, x.shape[-1]):
                raise AssertionTensorError(  # (PyTorch's assert, before any projection)
                    f"expecting {name} weights shape of ({embed_dim_to_check}, {x.shape[-1]}), "
                    f"but got {tuple(weight.shape)} ({name} of shape {tuple(x.shape)})")
    else:
        weights = in_proj_weight.chunk(3)
    biases = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
    q, k, v = (F.linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))
    target, batch, embed = q.shape
    heads = num_heads
    mask = _attention_mask(attn_mask, is_causal, is_causal and key_padding_mask is None
                           and not need_weights, (batch, heads, target, key.shape[0]), q.dtype)
    padding = float_mask(key_padding_mask, "key_padding_mask", q.dtype)
    if padding is not None and tuple(padding.shape) != ((batch, key.shape[0]) if batched
                                                       else (key.shape[0],)):
        raise AssertionTensorError(
            f"multi_head_attention_forward: key_padding_mask must have shape "
            f"{(batch, key.shape[0]) if batched else (key.shape[0],)}, got "
            f"{tuple(padding.shape)}")
    if (bias_k is None) != (bias_v is None):
        raise AssertionTensorError("bias_k and bias_v must both be given or both be None")
    if bias_k is not None:  # one more (learnt) key and value for every sequence
        if static_k is not None or static_v is not None:
            raise AssertionTensorError("bias cannot be added to static key or value")
        k = cat([k, bias_k.reshape(1, 1, embed).expand(1, batch, embed)])
        v = cat([v, bias_v.reshape(1, 1, embed).expand(1, batch, embed)])
        mask, padding = _zero_column(mask), _zero_column(padding)
    q = _heads(q, None, batch, heads, "q")
    k, v = _heads(k, static_k, batch, heads, "static_k"), _heads(v, static_v, batch, heads,
                                                                   "static_v")
    if add_zero_attn:  # one more zero key and value
        zeros = Tensor(np.zeros((batch, heads, 1, embed // heads), dtype=k.dtype))
        k, v = cat([k, zeros], 2), cat([v, zeros], 2)
        mask, padding = _zero_column(mask), _zero_column(padding)
    if padding is not None:
        padding = padding.reshape(batch, 1, 1, k.shape[2])
        mask = padding if mask is None else mask + padding
    if need_weights:
        scores = (q * (1 / math.sqrt(embed // heads))) @ k.transpose(-2, -1)
        weights = F.dropout((scores if mask is None else scores + mask).softmax(-1), dropout_p,
                            training)
        output = weights @ v
    else:  # PyTorch's path then: a row with every key masked gives zeros, not NaN
        output = F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                                dropout_p=dropout_p if training else 0.0)
    output = F.linear(output.permute(2, 0, 1, 3).reshape(target, batch, embed),
                      out_proj_weight, out_proj_bias)
    attention = (weights.mean(1) if average_attn_weights else weights) if need_weights else None
    if not batched:
        return output.squeeze(1), None if attention is None else attention.squeeze(0)
    return output, attention
