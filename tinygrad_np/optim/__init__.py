"""Optimizers: `import tinygrad_np.optim as optim`; `optim.SGD(model.parameters(), lr=0.1)`.

Learning-rate schedules are in `tinygrad_np.optim.lr_scheduler`, weight averaging (SWA, EMA)
in `tinygrad_np.optim.swa_utils`, as in PyTorch.
"""

from tinygrad_np.optim import lr_scheduler, swa_utils
from tinygrad_np.optim.adadelta import Adadelta
from tinygrad_np.optim.adafactor import Adafactor
from tinygrad_np.optim.adagrad import Adagrad
from tinygrad_np.optim.adam import Adam, AdamW
from tinygrad_np.optim.adamax import Adamax
from tinygrad_np.optim.asgd import ASGD
from tinygrad_np.optim.lbfgs import LBFGS
from tinygrad_np.optim.muon import Muon
from tinygrad_np.optim.nadam import NAdam, RAdam
from tinygrad_np.optim.optimizer import Optimizer
from tinygrad_np.optim.rmsprop import RMSprop
from tinygrad_np.optim.rprop import Rprop
from tinygrad_np.optim.sgd import SGD
from tinygrad_np.optim.sparse_adam import SparseAdam

__all__ = ["ASGD", "SGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS",
           "Muon", "NAdam", "Optimizer", "RAdam", "RMSprop", "Rprop", "SparseAdam", "lr_scheduler",
           "swa_utils"]
