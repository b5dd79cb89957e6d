"""`torch.nn.utils.convert_parameters`: parameters_to_vector and vector_to_parameters (also in
nn.utils)."""

from tinygrad_np.nn.utils import parameters_to_vector, vector_to_parameters

__all__ = ["parameters_to_vector", "vector_to_parameters"]
