"""PyTorch's `torch.utils`: `tinygrad_np.utils.data` (Dataset, TensorDataset, DataLoader) and
`tinygrad_np.utils.checkpoint` (checkpoint, checkpoint_sequential: no memory saved)."""

from tinygrad_np.utils import checkpoint, data

__all__ = ["checkpoint", "data"]
