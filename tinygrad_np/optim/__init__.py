"""Optimizers: `import tinygrad_np.optim as optim`; `optim.SGD(model.parameters(), lr=0.1)`."""

from tinygrad_np.optim.adam import Adam
from tinygrad_np.optim.optimizer import Optimizer
from tinygrad_np.optim.sgd import SGD

__all__ = ["SGD", "Adam", "Optimizer"]
