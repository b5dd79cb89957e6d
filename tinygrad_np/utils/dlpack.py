"""`torch.utils.dlpack`: from_dlpack (a DLPack-capable object or an old-style capsule) and
to_dlpack (a tensor's memory as a capsule), sharing memory with NumPy's DLPack support."""

from tinygrad_np.toplevel_small import from_dlpack, to_dlpack

__all__ = ["from_dlpack", "to_dlpack"]
