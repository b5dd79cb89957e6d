"""PyTorch's `torch.utils`: `tinygrad_np.utils.data` (Dataset, TensorDataset, DataLoader)."""

from tinygrad_np.utils import data

__all__ = ["data"]
