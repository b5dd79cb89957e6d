"""PyTorch's `torch.utils`: `tinygrad_np.utils.data` (Dataset, TensorDataset, DataLoader) and
`tinygrad_np.utils.checkpoint` (checkpoint, checkpoint_sequential: no memory saved),
`tinygrad_np.utils.dlpack` (to_dlpack, from_dlpack; loaded by `import torch` as PyTorch's);
`utils._foreach_utils` is loaded too, as `import torch` loads it."""

from tinygrad_np.utils import _foreach_utils as _foreach_utils, checkpoint, data, dlpack

__all__ = ["checkpoint", "data", "dlpack"]
