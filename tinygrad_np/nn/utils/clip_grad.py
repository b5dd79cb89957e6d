"""`torch.nn.utils.clip_grad`: the gradient clipping functions of nn.utils, importable by this
module path too (`from torch.nn.utils.clip_grad import clip_grad_norm_`)."""

from tinygrad_np.nn.utils import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm"]
