"""`torch.nn.utils.init`: skip_init (also in nn.utils)."""

from tinygrad_np.nn.utils import skip_init

__all__ = ["skip_init"]
