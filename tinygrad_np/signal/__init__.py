"""`torch.signal`: its one namespace, `torch.signal.windows` (the scipy.signal-style window
functions)."""

from tinygrad_np.signal import windows

__all__ = ["windows"]
