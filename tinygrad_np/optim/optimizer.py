"""`Optimizer`: what every optimizer shares, with PyTorch's layout: `param_groups` (a list of
dicts, each with its own "params" and settings), `state` (a dict per parameter), `zero_grad`,
`add_param_group`, and `state_dict()` / `load_state_dict()` in the format torch.optim uses.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import Any

import numpy as np

from tinygrad_np.device import device
from tinygrad_np.dtypes import float32, get_default_dtype
from tinygrad_np.errors import TensorError
from tinygrad_np.function import enable_grad, is_grad_enabled, set_grad_enabled
from tinygrad_np.nn.module import RemovableHandle
from tinygrad_np.tensor import Size, Tensor, _unlock
from tinygrad_np.xp import _quietly

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


def _update_unlocking(param: Tensor, amount: np.ndarray, scale: float | None = None) -> None:
    """values = values * scale - amount, making the array writable for the moment (see
    `Optimizer._update_`, which takes this path only when it knows no writable alias)."""
    array = param._data
    flags = array.flags
    locked = not flags.writeable  # a parameter's array is read-only outside in-place ops
    try:
        if not (locked and param._requires_grad and param.grad_fn is None):
            raise ValueError  # not a parameter's locked array: _unlock decides
        flags.writeable = True  # a ValueError when the memory itself is read-only
    except ValueError:
        array, locked = _unlock(param)
        flags = array.flags
    try:
        if scale is not None:
            array *= scale
        array -= amount
    finally:
        flags.writeable = not locked
    param._bump_version()  # graphs that saved the old values now refuse to use them


def _writable_memory(param: Tensor) -> np.ndarray | None:
    """The writable array behind a parameter's read-only view (the same memory, layout and
    dtype: what `requires_grad_` made the view of), or None when there is none."""
    array = param._data
    if array.flags.writeable:
        return array
    base = array.base
    if not (param._requires_grad and param.grad_fn is None and type(base) is np.ndarray):
        return None
    layout = (array.shape, array.strides, array.dtype, array.__array_interface__["data"][0])
    same = layout == (base.shape, base.strides, base.dtype, base.__array_interface__["data"][0])
    return base if same else None


class _RequiredParameter:
    """PyTorch's `required`: the default of a setting the caller must give (`lr=required` in
    older custom optimizers)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class: parameter groups, per-parameter state, zero_grad, state_dict.

    `params` is an iterable of Tensors (such as `model.parameters()`; a generator is fine),
    of `(name, Tensor)` pairs (`model.named_parameters()`), or of dicts, each a parameter group
    `{"params": [...], "lr": ..., ...}` whose missing settings come from `defaults` (the
    optimizer's keyword arguments). A tensor listed twice in a group is kept twice (so updated
    twice per step), with PyTorch's warning; one in two groups is an error, as in PyTorch.

    Subclasses define `step()`, which changes each parameter's values in place (through
    `self._update_`), so the model sees them, and skips parameters whose `.grad` is None.
    """

    quiet_step = True  # NumPy's invalid/overflow warnings off in step (SGD: never needed)
    # What PyTorch's capturable check names ("params and state_steps"; None: no capturable),
    # and whether its device list has "xla" without and with foreach (see _check_capturable)
    _capturable_names: str | None = None
    _capturable_xla = (True, False)
    _array_state = False  # a built-in optimizer's state arrays are Tensors (see load_state_dict)

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self._opt_called = False
        self._patch_step_function()
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        # Per parameter, for the fast step math (not state: never saved, copied or pickled):
        # its (read-only) array, the writable array behind it (or None), a work array.
        self._work: dict[Tensor, tuple[np.ndarray, np.ndarray | None, np.ndarray]] = {}
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of Tensors or dicts (such "
                "as model.parameters()), got a single Tensor; wrap it in a list")
        groups = list(params)
        if not groups:
            raise ValueError(f"optimizer got an empty parameter list ({type(self).__name__})")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own settings (e.g. when unfreezing layers);
        settings it does not give come from the optimizer's defaults."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: param_group must be a dict, but got "
                            f"{type(param_group).__name__}")
        param_group = dict(param_group)
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(f"{name}: parameters need to be in an ordered collection (a list), "
                            "not a set, whose order changes between runs")
        params = list(params)
        tensors: list[Tensor] = []
        names: list[str] = []
        for position, param in enumerate(params):
            if isinstance(param, tuple):
                if len(param) != 2 or isinstance(param[0], Tensor):  # (PyTorch would take a
                    raise TypeError(  # (W1, b1) pair as (name, parameter) and skip W1)
                        f"{name}: parameter {position} is a tuple of "
                        f"{', '.join(type(p).__name__ for p in param)}; a tuple must be a "
                        f"(name, parameter) pair; list several tensors one by one "
                        f"([W1, b1, W2, b2])")
                names.append(param[0])
                param = param[1]
            if not isinstance(param, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors, but parameter {position} "
                                f"is a {type(param).__name__}")
            if not param.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor: parameter "
                                 f"{position} is not a leaf (it was computed by an op); "
                                 "optimize the tensor it came from")
            tensors.append(param)
        if len({id(param) for param in tensors}) != len(tensors):  # kept, as PyTorch keeps it
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see github.com/pytorch/pytorch/"
                          "issues/40967 for more information", UserWarning, stacklevel=3)
        if names:
            if len(names) != len(params):
                raise ValueError(f"{name}: all parameters should be with or without names; "
                                 "some parameter names are missing")
            param_group["param_names"] = names
        param_group["params"] = tensors
        for key, default in self.defaults.items():
            if default is required and key not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {key}")
            param_group.setdefault(key, default)
        present = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in present for p in tensors):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        for group in self.param_groups:
            if ("param_names" in group) != ("param_names" in param_group):
                raise ValueError(f"{name}: all parameter groups should be with or without names")
        self.param_groups.append(param_group)

    @property
    def lr(self) -> float:
        """The learning rate, when every group has the same one (else see `param_groups`)."""
        rates = {group["lr"] for group in self.param_groups}
        if len(rates) != 1:
            raise AttributeError(f"{type(self).__name__}.lr: the groups have different learning "
                                 f"rates {sorted(rates)}; read param_groups[i]['lr']")
        return rates.pop()

    @lr.setter
    def lr(self, value: float) -> None:
        # Scripts written for the old single-group optimizers set `optimizer.lr`: it must
        # reach every group, not become an attribute nothing reads.
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to None (the default, as in PyTorch), or to zeros
        in place with `set_to_none=False` (the same gradient tensor, detached)."""
        for group in self.param_groups:
            for param in group["params"]:
                grad = param._grad
                if grad is None:
                    continue
                if set_to_none:
                    param._grad = None  # (the grad setter's checks are for other values)
                else:
                    if grad.requires_grad:
                        grad = param.grad = grad.detach()
                    grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns `closure()`'s loss if given."""
        raise NotImplementedError(f"{type(self).__name__} must define step()")

    def _closure_loss(self, closure: Callable[[], Any] | None) -> Any:
        """Run the closure (which recomputes the loss and its gradients) with grad enabled."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        if self._capturable_names is not None:
            self._check_capturable()
        return loss

    def _check_capturable(self) -> None:
        """PyTorch's AssertionError at step for `capturable=True` (its CUDA-graph mode) with
        parameters on the CPU, as here always: raised for a group with a gradient to apply
        (not with `fused=True`, which PyTorch's CPU kernels run)."""
        for group in self.param_groups:
            if not group.get("capturable") or group.get("fused"):
                continue
            if any(param.grad is not None for param in group["params"]):
                devices = ["cuda", "xpu", "hpu", "privateuseone", "xla"]
                if not self._capturable_xla[bool(group.get("foreach"))]:
                    devices.pop()
                raise AssertionError(f"If capturable=True, {self._capturable_names} must be on "
                                     f"supported devices: {devices}.")

    def _update_(self, param: Tensor, amount: np.ndarray, scale: float | None = None,
                 target: np.ndarray | None = None) -> None:
        """The one place where optimizers change a parameter's values, as an in-place operation
        (nothing recorded, version counter bumped): values = values * scale - amount.

        `amount` is usually the optimizer's work array (`_scratch_for`), computed before the
        call (it may not be computed from the values being changed). `scale` is AdamW's
        decoupled weight decay. A parameter's array is a read-only view; the writable array
        behind it is looked up once (toggling the flag costs more than a small parameter's
        arithmetic); a caller that has it (`_work_for`) passes it as `target`.
        """
        if target is None:
            target = self._work_for(param)[1]
        try:  # (read-only: the first write raises, before any change)
            if scale is not None:
                target *= scale
            target -= amount
        except (ValueError, TypeError):  # no writable alias, or someone locked it since
            _update_unlocking(param, amount, scale)
            return
        counter = param._counter  # graphs that saved the old values now refuse to use them
        if counter is None:
            param._counter = [1]
        else:
            counter[0] += 1

    def __getstate__(self) -> dict[str, Any]:  # the work arrays alias this process's memory
        return {**self.__dict__, "_work": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickling, and the end of `load_state_dict` (given the new "state" and
        "param_groups"), as PyTorch's: a subclass's override fills in what older dicts lack."""
        # (older pickles hold their own caches, "_scratch" and "_writable": dropped)
        self.__dict__.update({k: v for k, v in state.items() if k not in ("_scratch", "_writable")})
        self.__dict__.setdefault("_work", {})
        self.defaults.setdefault("differentiable", False)  # as PyTorch's, in every defaults
        self._patch_step_function()  # (unpickled where no instance of the class was made)

    def _stepped_state(self, param: Tensor, *zeros: str, **initial: Any) -> dict[str, Any]:
        """The parameter's state with this step counted. On its first step `step` starts at 0,
        then the `initial` entries and a zero tensor (the parameter's shape) per name in
        `zeros` are put in, in that order (PyTorch's order of the state's keys)."""
        state = self.state[param]
        if not state:
            state["step"] = Step(0.0)
            state.update(initial)
            state.update((name, Tensor(np.zeros_like(param._data))) for name in zeros)
        state["step"] += 1
        return state

    def _scratch_for(self, param: Tensor) -> np.ndarray:
        """One reused work array per parameter (same shape and dtype), so a step allocates
        nothing after the first."""
        return self._work_for(param)[2]

    def _work_for(self, param: Tensor) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """A parameter's array, the writable array behind it, and a work array: cached, and
        found again whenever the parameter's array is replaced."""
        array = param._data
        work = self._work.get(param)
        if work is None or work[0] is not array:
            work = self._work[param] = (array, _writable_memory(param), np.empty_like(array))
        return work

    # ------------------------------------------- what optimizers copied from torch.optim call
    def _patch_step_function(self) -> None:
        """The class's `step` wrapped, once per class, to run the step hooks (as PyTorch's)."""
        if not getattr(type(self).step, "hooked", False):
            type(self).step = _with_step_hooks(type(self).step)

    @staticmethod
    def profile_hook_step(step: Callable) -> Callable:
        """`step` wrapped to run the step hooks around it."""
        return _with_step_hooks(step)

    def _accelerator_graph_capture_health_check(self) -> None:
        """PyTorch's check before a CUDA graph capture: nothing to check here."""

    def _cuda_graph_capture_health_check(self) -> None:
        """The older name, deprecated as in PyTorch."""
        warnings.warn("Use _accelerator_graph_capture_health_check instead", DeprecationWarning,
                      stacklevel=2)

    def _optimizer_step_code(self) -> None:
        """Runs after every step in PyTorch (a profiler marker): nothing."""

    @staticmethod
    def _group_tensors_by_device_and_dtype(tensorlistlist: list[list[Any]],
                                           with_indices: bool = False
                                           ) -> dict[tuple[Any, Any], tuple[list, list[int]]]:
        """{(device, dtype): (every list cut to the positions of the first list's tensors of
        that device and dtype, those positions (with_indices; else []))}, in first-seen order,
        as the foreach paths of torch.optim group their tensors."""
        positions: dict[tuple[Any, Any], list[int]] = {}
        for position, tensor in enumerate(tensorlistlist[0]):
            positions.setdefault((tensor.device, tensor.dtype), []).append(position)
        return {key: ([[values[i] for i in indices] for values in tensorlistlist],
                      indices if with_indices else [])
                for key, indices in positions.items()}

    # ----------------------------------------------------------------- hooks
    def _hooks(self, kind: str) -> dict:
        return self.__dict__.setdefault("_optimizer_hooks", {}).setdefault(kind, {})

    def _register(self, kind: str, hook: Callable, prepend: bool = False) -> RemovableHandle:
        hooks = self._hooks(kind)
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.update({key: hooks.pop(key) for key in list(hooks) if key != handle.id})
        return handle

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """`hook(optimizer, args, kwargs)` before each step, `args` starting with the optimizer
        (as PyTorch's); returning (args, kwargs) replaces step's arguments."""
        return self._register("step_pre", hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """`hook(optimizer, args, kwargs)` after each step (`args` as the pre-hooks')."""
        return self._register("step_post", hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False
                                     ) -> RemovableHandle:
        """`hook(optimizer)` before state_dict() builds the dict."""
        return self._register("state_dict_pre", hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False
                                      ) -> RemovableHandle:
        """`hook(optimizer, state_dict)` after; a dict it returns is state_dict()'s result."""
        return self._register("state_dict_post", hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False
                                          ) -> RemovableHandle:
        """`hook(optimizer, state_dict)` before loading; a dict it returns is loaded instead."""
        return self._register("load_pre", hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False
                                           ) -> RemovableHandle:
        """`hook(optimizer)` after load_state_dict()."""
        return self._register("load_post", hook, prepend)

    def _run_hooks(self, kind: str, *args: Any) -> Any:
        """Each hook of `kind` in turn; the last non-None result (None if there was none)."""
        result = None
        for hook in list(self.__dict__.get("_optimizer_hooks", {}).get(kind, {}).values()):
            returned = hook(self, *args)
            if returned is not None:
                result = returned
                if kind in ("state_dict_post", "load_pre"):
                    args = (returned,)
        return result

    # ----------------------------------------------------------------- saving and loading
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in torch.optim's layout:

            {"state": {0: {"step": 3.0, "exp_avg": Tensor, ...}, 1: {...}},
             "param_groups": [{"lr": 0.01, ..., "params": [0, 1]}, ...]}

        Parameters are numbered in order through all groups; `state` holds an entry per
        parameter in `self.state` (even an empty one) and, as they are, entries under other
        keys (a custom optimizer's `self.state["global_step"]`). As in PyTorch, the
        per-parameter dicts and tensors are the optimizer's own, not copies (they change as
        training goes on: save the dict, or `copy.deepcopy` it, before stepping again);
        `load_state_dict` copies them.
        """
        self._run_hooks("state_dict_pre")
        index_of: dict[int, int] = {}
        groups, start = [], 0
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            # PyTorch's numbering: by position through all groups; a parameter listed twice in
            # a group takes the number of its last position
            index_of.update({id(param): start + position
                             for position, param in enumerate(group["params"])})
            start += len(group["params"])
            packed["params"] = [index_of[id(param)] for param in group["params"]]
            groups.append(packed)
        state = {index_of[id(param)]: values for param, values in self.state.items()
                 if isinstance(param, Tensor) and id(param) in index_of}
        # state kept under other keys (a custom optimizer's self.state["global_step"]) is
        # saved as it is, as PyTorch saves it
        others = {key: values for key, values in self.state.items()
                  if not isinstance(key, Tensor)}
        result = {"state": {**dict(sorted(state.items())), **others}, "param_groups": groups}
        return self._run_hooks("state_dict_post", result) or result

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the state saved by `state_dict()` (of an optimizer of the same kind over
        parameters of the same shapes, grouped the same way). Tensors are copied and cast to
        their parameter's dtype, so training continues exactly where it stopped."""
        name = type(self).__name__
        state_dict = self._run_hooks("load_pre", state_dict) or state_dict
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state dict has {len(saved_groups)} "
                             f"parameter groups, the optimizer {len(self.param_groups)}")
        for position, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: parameter group {position} has "
                    f"{len(saved['params'])} parameters in the state dict, "
                    f"{len(group['params'])} in the optimizer")
        builtin = type(self).__module__.startswith("tinygrad_np.optim")
        param_of = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                            chain.from_iterable(g["params"] for g in self.param_groups)))
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for index, values in state_dict["state"].items():
            position = int(index) if isinstance(index, int) or str(index).isdigit() else None
            param = param_of.get(position)
            if param is None:  # not a parameter's number: kept as it is, as PyTorch keeps it
                state[index] = copy.deepcopy(values)
                continue
            state[param] = {key: _state_value(key, value, param, builtin,
                                              builtin and not self._array_state)
                            for key, value in values.items()}
            if builtin:
                _check_state_shapes(name, position, param, state[param])
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
            for key, default in self.defaults.items():  # a dict from an older version, as
                saved.setdefault(key, default)  # PyTorch fills in the settings it lacks
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})
        self._run_hooks("load_post")

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for position, group in enumerate(self.param_groups):
            if position:
                lines.append("")  # a blank line between groups, as PyTorch's
            lines.append(f"Parameter Group {position}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"


_GLOBAL_STEP_HOOKS: dict[str, dict] = {"step_pre": {}, "step_post": {}}


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """`hook(optimizer, args, kwargs)` before every optimizer's step (all optimizers)."""
    handle = RemovableHandle(_GLOBAL_STEP_HOOKS["step_pre"])
    _GLOBAL_STEP_HOOKS["step_pre"][handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """`hook(optimizer, args, kwargs)` after every optimizer's step."""
    handle = RemovableHandle(_GLOBAL_STEP_HOOKS["step_post"])
    _GLOBAL_STEP_HOOKS["step_post"][handle.id] = hook
    return handle


def _with_step_hooks(step: Callable) -> Callable:
    """`step` running the global and the optimizer's own step hooks around it, and without
    NumPy's warnings where an inf or NaN gradient makes inf - inf (PyTorch is silent)."""
    quiet = _quietly(step)

    @functools.wraps(step)
    def wrapper(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        own = self.__dict__.get("_optimizer_hooks")
        step_ = quiet if self.quiet_step else step
        self._opt_called = True  # (a scheduler stepped before this warns, as PyTorch's)
        if not own and not _GLOBAL_STEP_HOOKS["step_pre"] and not _GLOBAL_STEP_HOOKS[
                "step_post"]:
            try:
                return step_(self, *args, **kwargs)
            except ValueError as error:
                _explain_shape_error(self, error)
                raise
        own = own or {}
        args = (self, *args)  # the hooks see step's arguments with the optimizer first
        for hook in (*_GLOBAL_STEP_HOOKS["step_pre"].values(), *own.get("step_pre", {}).values()):
            changed = hook(self, args, kwargs)
            if changed is not None:
                if not (isinstance(changed, tuple) and len(changed) == 2):
                    raise RuntimeError(f"{type(self).__name__}.step: a step pre-hook must return "
                                       "None or a tuple (new_args, new_kwargs), but got "
                                       f"{changed!r}")
                args, kwargs = changed
        try:
            result = step_(*args, **kwargs)
        except ValueError as error:
            _explain_shape_error(self, error)
            raise
        for hook in (*own.get("step_post", {}).values(), *_GLOBAL_STEP_HOOKS["step_post"].values()):
            hook(self, args, kwargs)
        return result

    wrapper.hooked = True  # type: ignore[attr-defined]
    return wrapper


class Step(float):
    """The step count in an optimizer's state: a number (the update's arithmetic stays Python
    arithmetic) that answers `.item()`, `.tolist()`, `.dtype`, `.shape`, `.numpy()`, `.cpu()`
    ... as PyTorch's 0-d float32 tensor does (`torch.is_tensor` is False for it)."""

    dtype, shape, ndim, device = float32, Size(()), 0, device("cpu")
    requires_grad = is_cuda = False

    def item(self) -> float:
        return float(self)

    tolist = item

    def __repr__(self) -> str:
        """`tensor(3.)`, as PyTorch's step prints (in a printed state_dict too)."""
        return repr(Tensor(np.array(float(self), np.float32)))

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        """f"{step}" and f"{step:.0f}" format the number, as a 0-d tensor's do."""
        return format(float(self), spec)

    def numel(self) -> int:
        return 1

    def dim(self) -> int:
        return 0

    def is_floating_point(self) -> bool:
        return True

    def numpy(self) -> np.ndarray:
        return np.array(float(self), np.float32)

    def cpu(self, *_: Any, **__: Any) -> Step:  # (and .to(...), .detach(), .clone(), .float())
        return Step(self)

    to = detach = clone = float = cpu

    def __add__(self, other: Any) -> Any:  # `state["step"] += 1` keeps a Step; with an
        total = float(self) + other  # array or a tensor, the sum is theirs
        return Step(total) if type(total) is float else total

    __radd__ = __add__


# A built-in optimizer's state entries that have their parameter's shape
_PARAM_SHAPED = frozenset({"momentum_buffer", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "sum",
                           "square_avg", "acc_delta", "exp_inf", "ax", "grad_avg", "prev",
                           "step_size", "variance"})


def _check_state_shapes(name: str, position: int, param: Tensor, values: dict[str, Any]) -> None:
    """An error naming the entry when a loaded state tensor does not have its parameter's
    shape (a dict saved with the parameters in another order; PyTorch fails at the next step
    with a RuntimeError, "The size of tensor a must match the size of tensor b"): a
    TensorError, both RuntimeError and ValueError (what load_state_dict raises for groups)."""
    for key, value in _misfits(param, values):
        raise TensorError(
            f"{name}.load_state_dict: state[{position}][{key!r}] has shape "
            f"{tuple(value.shape)}, but parameter {position} has shape {tuple(param.shape)} "
            "(were the parameters given in another order than when it was saved?)")


def _misfits(param: Tensor, values: dict[str, Any]) -> Iterator[tuple[str, Tensor]]:
    """The state entries that should have the parameter's shape but do not."""
    return ((key, value) for key, value in values.items() if key in _PARAM_SHAPED
            and isinstance(value, Tensor) and value.shape != param.shape)


def _explain_shape_error(optimizer: Optimizer, error: ValueError) -> None:
    """After NumPy's broadcasting ValueError in a step: PyTorch's RuntimeError (a TensorError,
    also a ValueError) naming the parameter and the state entry whose shapes differ (its
    `.data` replaced by one of another shape, or a state dict from another model). Returns
    when no such entry is found (the original error is then raised as it is)."""
    if not isinstance(error, TensorError) and "broadcast" in str(error):
        position = -1
        for group in optimizer.param_groups:
            for param in group["params"]:
                position += 1
                for key, value in _misfits(param, optimizer.state.get(param, {})):
                    raise TensorError(
                        f"{type(optimizer).__name__}.step: the size of state[{key!r}] "
                        f"{tuple(value.shape)} must match the size of parameter {position} "
                        f"{tuple(param.shape)} (was the parameter's .data replaced by one "
                        "of another shape, or a state dict loaded from another model?)"
                    ) from error


def _state_value(key: str, value: Any, param: Tensor, builtin: bool, as_tensor: bool) -> Any:
    """A loaded state entry: a built-in optimizer's `step` (or a custom one's float) as a Step;
    tensors and arrays as new ones of the same kind, in the parameter's float dtype (arrays as
    Tensors with `as_tensor`: most built-in steps read Tensors), except a custom optimizer's
    tensor `step`, which keeps its dtype as in PyTorch; anything else a deep copy."""
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        value = Tensor(value.detach().cpu().numpy())  # a torch.optim state dict loads as is
    if key == "step" and (builtin or isinstance(value, float | np.ndarray)):  # a custom
        # optimizer's int step stays an int (range(step)), its Tensor step a Tensor
        return Step(value.item() if isinstance(value, (Tensor, np.ndarray)) else value)
    if isinstance(value, (Tensor, np.ndarray)):
        array = value._data if isinstance(value, Tensor) else value
        floats = array.dtype.kind == "f" and param.dtype.kind == "f"
        dtype = param.dtype if floats and key != "step" else None  # (PyTorch keeps step's)
        array = np.array(array, dtype=dtype, copy=True)
        return Tensor(array) if as_tensor or isinstance(value, Tensor) else array
    return copy.deepcopy(value)


# ----------------------------------------------------------------- PyTorch's private helpers
# What optimizers copied from torch.optim's source import from torch.optim.optimizer. Here no
# parameter is on a device with foreach or fused kernels, nothing is compiled, and the update
# runs as written.
StateDict = dict[str, Any]
Args = tuple[Any, ...]
Kwargs = dict[str, Any]
DeviceDict = dict[Any, Tensor]
DeviceDtypeDict = dict[Any, Tensor]
TensorListList = list[list[Tensor]]
OptimizerPreHook = Callable[["Optimizer", Any, Any], "tuple[Any, Any] | None"]
OptimizerPostHook = Callable[["Optimizer", Any, Any], None]
_params_doc = ("params (iterable): iterable of parameters or named_parameters to optimize or "
               "iterable of dicts defining parameter groups")
_foreach_doc = ("foreach (bool, optional): whether the foreach implementation is used "
                "(here it changes nothing) (default: None)")
_fused_doc = "fused (bool, optional): whether the fused implementation is used (default: None)"
_capturable_doc = ("capturable (bool, optional): whether this instance is safe to capture in "
                   "a graph (CUDA only) (default: False)")
_differentiable_doc = ("differentiable (bool, optional): whether autograd should occur "
                       "through the optimizer step (default: False)")
_maximize_doc = ("maximize (bool, optional): maximize the objective with respect to the "
                 "params, instead of minimizing (default: False)")


def _use_grad_for_differentiable(step: Callable) -> Callable:
    """Decorate `step(self, ...)`: it runs with grad mode set to the optimizer's
    `defaults["differentiable"]`, the caller's mode restored after."""
    @functools.wraps(step)
    def wrapper(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        previous = is_grad_enabled()
        set_grad_enabled(bool(self.defaults.get("differentiable", False)))
        try:
            return step(self, *args, **kwargs)
        finally:
            set_grad_enabled(previous)
    return wrapper


def _to_scalar(x: Any) -> Any:
    """A one-element Tensor hyperparameter (`lr=tensor([0.1])`) as a 0-d Tensor, as PyTorch's
    `_to_scalar` squeezes it; anything else as it is."""
    return x.reshape(()) if isinstance(x, Tensor) and x.ndim else x


def _disable_dynamo_if_unsupported(single_tensor_fn: Callable | None = None
                                   ) -> Callable[[Callable], Callable]:
    """PyTorch's decorator of the functional optimizers (for its compiler): the function as
    it is, since nothing is compiled here."""
    return lambda func: func


def _device_dtype_check_for_fused(p: Tensor, cuda_unsupported: bool = False) -> None:
    """PyTorch's RuntimeError when `fused=True` meets a parameter that is not floating point
    (every tensor here is on the CPU, where PyTorch's fused kernels run)."""
    if not p.is_floating_point():
        raise RuntimeError("`fused=True` requires all the params to be floating point Tensors "
                           f"of supported devices: ['cpu'] but {p.dtype.name} and cpu")


def _get_value(x: Any) -> Any:
    """A 0-d tensor's number (`step` kept as a tensor); anything else as it is."""
    return x.item() if isinstance(x, Tensor) else x


def _stack_if_compiling(x: Any) -> Any:
    return x  # (nothing is compiled)


def _get_scalar_dtype(is_fused: bool | None = None) -> np.dtype:
    """The dtype of a tensor `step`: float64 when that is the default dtype, else float32."""
    default = get_default_dtype()
    return np.dtype(np.float64) if default == np.float64 and not is_fused else np.dtype(
        np.float32)


def _default_to_fused_or_foreach(params: list, differentiable: bool,
                                 use_fused: bool = False) -> tuple[bool, bool]:
    """(fused, foreach): (False, False), as PyTorch's answer for CPU tensors."""
    return False, False


def _view_as_real(params: list, *state_and_grads: list) -> None:
    """PyTorch swaps complex entries for their real views; here no tensor is complex."""


def _get_capturable_supported_devices(supports_xla: bool = True) -> list[str]:
    return ["cuda", "xpu", "hpu", "privateuseone", *(["xla"] if supports_xla else [])]


def check_non_negative(owner: str, **values: float) -> None:
    """Raise PyTorch's ValueError for a negative hyperparameter (a typo, or a sign slip)."""
    labels = {"lr": "learning rate", "eps": "epsilon value"}
    for name, value in values.items():
        if isinstance(value, Tensor) and value.numel() != 1:  # (PyTorch's, for lr)
            raise ValueError(f"{owner}: Tensor {name} must be 1-element, got one of shape "
                             f"{tuple(value.shape)}")
        if not value >= 0:
            raise ValueError(f"{owner}: Invalid {labels.get(name, name + ' value')}: {value} "
                             f"({name} must be >= 0)")


def check_fused(owner: str, fused: bool | None, foreach: bool | None,
                differentiable: bool) -> None:
    """PyTorch's RuntimeErrors for `fused=True` with `differentiable` or `foreach`."""
    if fused and differentiable:
        raise RuntimeError(f"{owner}: `fused` does not support `differentiable`")
    if fused and foreach:
        raise RuntimeError(f"{owner}: `fused` and `foreach` cannot be `True` together.")


def check_not_differentiable(owner: str, differentiable: bool) -> None:
    """`differentiable=True` (gradients through the update) is not supported."""
    if differentiable:
        raise NotImplementedError(
            f"{owner}: differentiable=True is not supported; for gradients through an update "
            "(meta-learning) write it as tensor arithmetic: w = w - lr * g, with g from "
            "tg.autograd.grad(loss, w, create_graph=True)")


def regularized_grad(param: Tensor, group: dict[str, Any]) -> np.ndarray:
    """The gradient the update rules start from: -grad with maximize, plus the L2 penalty
    weight_decay * p (a new array when either applies; never written into)."""
    grad = param.grad._data
    if group["maximize"]:
        grad = -grad
    if group["weight_decay"]:
        grad = grad + group["weight_decay"] * param._data
    return grad
