"""Optimizers and learning-rate schedules (as ``torch.optim``).

* :class:`SGD` -- gradient descent, optionally with (Nesterov) momentum (F14);
* :class:`Adam` -- Kingma & Ba's Adam, with bias correction (F16);
* :class:`Adadelta` -- Zeiler's Adadelta (the source document's F18 is not a working
  algorithm; see the class docstring);
* :class:`ExponentialLR`, :class:`StepLR` -- learning-rate decay (F15), also available
  as ``tinynet.optim.lr_scheduler.ExponentialLR`` as in PyTorch.

Typical loop::

    opt = tinynet.optim.Adam(model.parameters(), lr=1e-3)
    for x, y in batches:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

Every optimizer accepts ``trace=True`` to record the intermediate quantities of each
step in ``opt.last_trace`` (for worked examples), and has ``state_dict()`` /
``load_state_dict()`` for exact resumption.
"""

from tinynet.optim import lr_scheduler
from tinynet.optim.adadelta import Adadelta
from tinynet.optim.adam import Adam
from tinynet.optim.lr_scheduler import ExponentialLR, LRScheduler, StepLR
from tinynet.optim.optimizer import Optimizer
from tinynet.optim.sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "Adadelta",
    "LRScheduler",
    "ExponentialLR",
    "StepLR",
    "lr_scheduler",
]
