"""PyTorch's `torch.utils`: `tinygrad_np.utils.data` (Dataset, TensorDataset, DataLoader) and
`tinygrad_np.utils.checkpoint` (checkpoint, checkpoint_sequential: no memory saved);
`utils._foreach_utils` is loaded too, as `import torch` loads it."""

from tinygrad_np.utils import _foreach_utils as _foreach_utils, checkpoint, data

__all__ = ["checkpoint", "data"]
