"""`torch.utils.tensorboard`, as far as it goes here. PyTorch's module imports the
`tensorboard` package first and, without it, `from torch.utils.tensorboard import
SummaryWriter` is ModuleNotFoundError: No module named 'tensorboard'; so is this one's. With
the package installed, tinygrad_np still writes no event files: the import is an ImportError
saying so (not a writer that silently logs nothing)."""

import tensorboard  # noqa: F401  (PyTorch's error where the package is missing)

raise ImportError("tinygrad_np.utils.tensorboard: tinygrad_np writes no TensorBoard event "
                  "files (there is no SummaryWriter); log the values yourself, e.g. to a CSV "
                  "file, or with PyTorch's writer on loss.item() values")
