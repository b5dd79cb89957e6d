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


class SparseAdam:
    """PyTorch's SparseAdam updates only the rows a sparse gradient holds. Gradients here are
    dense (`nn.Embedding(sparse=True)` gives a dense one), so it is refused with the nearest
    choice named, rather than silently behaving as Adam."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError(
            "SparseAdam needs sparse gradients, which tinygrad_np does not have (every "
            "gradient is dense); use optim.Adam, which also moves the moments of rows that got "
            "no gradient this step (or optim.SGD, which does not)")


__all__ = ["ASGD", "SGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS",
           "Muon", "NAdam", "Optimizer", "RAdam", "RMSprop", "Rprop", "SparseAdam", "lr_scheduler",
           "swa_utils"]
