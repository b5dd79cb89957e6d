"""Recurrent layers as torch.nn's: RNN, LSTM, GRU and their one-step cells.

Parameter names, shapes, gate order and initialisation are PyTorch's, so a PyTorch state dict
loads unchanged. Everything is composed from Tensor ops (linear, sigmoid, tanh, slicing,
cat/stack), so the gradients come from the engine; a float32/float64 LSTM without packing or
proj_size runs each layer and direction as one op (ops/recurrent.py's LSTMLayer, the same
values). A layer projects its input 16 time steps at a time (x W_ih^T + b_ih for the 16 steps
in one matmul); only the h W_hh^T part runs step by step.

Gate order, with gx = x W_ih^T + b_ih and gh = h W_hh^T + b_hh split into equal chunks:
    RNN   h' = tanh(gx + gh)  (or relu)
    LSTM  i, f, g, o:  c' = sigmoid(f) c + sigmoid(i) tanh(g),  h' = sigmoid(o) tanh(c')
    GRU   r, z, n:     n = tanh(gx_n + sigmoid(r) gh_n),  h' = (1 - z) n + z h
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np.device import as_device
from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.errors import TensorError
from tinygrad_np.join import cat, stack
from tinygrad_np.nn import functional as F, init
from tinygrad_np.nn.module import Module
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.nn.utils.rnn import PackedSequence, pad_packed_sequence
from tinygrad_np.node_api import pytorch_named
from tinygrad_np.ops.activation import LSTMCellUpdate
from tinygrad_np.ops.recurrent import LSTMLayer
from tinygrad_np.tensor import Tensor, to_tensor as _as_tensor

_FUSED_DTYPES = (np.float32, np.float64)  # (float16 rounds each op's result: composed)

# A step maps (projected input gx, state, W_hh, b_hh) to the new state; the state is h, or
# (h, c) for an LSTM.
State = Any
Step = Callable[[Tensor, State, Tensor, "Tensor | None"], State]


def _rnn_step(activation: Callable[[Tensor], Tensor]) -> Step:
    def step(gx: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
        return activation(gx + F.linear(h, w_hh, b_hh))
    return step


def _lstm_step(gx: Tensor, state: tuple[Tensor, Tensor], w_hh: Tensor,
               b_hh: Tensor | None) -> tuple[Tensor, Tensor]:
    h, c = state
    gates = gx + F.linear(h, w_hh, b_hh)
    if gates.dtype in _FUSED_DTYPES and c.dtype == gates.dtype:  # one node for the update
        both = LSTMCellUpdate.apply(gates, c)  # (copied out: h and c share no memory, so an
        # in-place write to one is not a write to the other, as PyTorch's)
        return (pytorch_named(both[..., :c.shape[-1]].clone(), "MulBackward0"),  # (PyTorch's
                pytorch_named(both[..., c.shape[-1]:].clone(), "AddBackward0"))  # last ops)
    i, f, g, o = gates.chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def _projected(w_hr: Tensor) -> Step:
    """An LSTM step whose output h is projected by w_hr (LSTM's proj_size)."""
    def step(gx: Tensor, state: tuple[Tensor, Tensor], w_hh: Tensor,
             b_hh: Tensor | None) -> tuple[Tensor, Tensor]:
        h, c = _lstm_step(gx, state, w_hh, b_hh)
        return F.linear(h, w_hr), c
    return step


def _gru_step(gx: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    x_r, x_z, x_n = gx.chunk(3, -1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return n + z * (h - n)  # (1 - z) n + z h


# Time steps projected together: long enough for a sizeable matmul, short enough that slicing
# the steps out of the block (each slice's gradient is block-sized) costs little.
_BLOCK = 16
_ACTIVATIONS = {"tanh": Tensor.tanh, "relu": Tensor.relu}
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _step_for(mode: str) -> Step:
    if mode == "LSTM":
        return _lstm_step
    if mode == "GRU":
        return _gru_step
    return _rnn_step(_ACTIVATIONS[mode[4:].lower()])


def _activation_mode(name: str, nonlinearity: str) -> str:
    if nonlinearity not in _ACTIVATIONS:
        raise TensorError(f"Unknown nonlinearity {nonlinearity!r}. Select from 'tanh' or "
                          "'relu'." if name == "RNN" else f"Unknown nonlinearity: {nonlinearity}")
    return "RNN_" + nonlinearity.upper()


def _join_directions(outputs: list[Tensor]) -> Tensor:
    """Forward (and reverse) outputs side by side on the feature axis, as PyTorch."""
    return outputs[0] if len(outputs) == 1 else cat(outputs, -1)


def _keep_finished(new: State, old: State, running: Tensor) -> State:
    """The new state where `running` (N, 1) holds, else the old one (a packed batch's
    sequences that have ended, or not yet started in the reverse direction)."""
    if isinstance(new, tuple):
        return tuple(a.where(running, b) for a, b in zip(new, old))
    return new.where(running, old)


def _check_same_dtype(name: str, what: str, tensor: Tensor, other: Tensor,
                      other_name: str = "the input") -> None:
    """RuntimeError (as PyTorch's matrix products) when `what` has another dtype."""
    if tensor.dtype != other.dtype:
        raise TensorError(f"{name}: {what} has dtype {tensor.dtype.name} but {other_name} has "
                          f"{other.dtype.name}: they must have the same dtype")


def _check_shape(name: str, what: str, tensor: Tensor, expected: tuple[int, ...]) -> None:
    if tuple(tensor.shape) != expected:
        raise TensorError(f"{name}: expected {what} of shape {expected}, got {tuple(tensor.shape)}")


# ----------------------------------------------------------------------------- full sequences
_HIDDEN_SIZE_MESSAGES = {"hx": "Expected hidden size {}, got {}",  # PyTorch's words
                         "h_0": "Expected hidden[0] size {}, got {}",
                         "c_0": "Expected hidden[1] size {}, got {}"}
_PROJ_SIZE_ONLY_LSTM = "proj_size argument is only supported for LSTM, not RNN or GRU"


def _refuse_proj_size(name: str, unknown: dict) -> None:
    """RNN and GRU take no proj_size (any value: a ValueError, as PyTorch's) and no other
    unknown keyword (a TypeError, as Python's)."""
    if "proj_size" in unknown:
        raise ValueError(_PROJ_SIZE_ONLY_LSTM)
    if unknown:
        raise TypeError(f"{name}.__init__() got an unexpected keyword argument "
                        f"{next(iter(unknown))!r}")


class RNNBase(Module):
    """Shared by RNN, LSTM and GRU: the parameters, their init, and the loop over layers,
    directions and time steps.

    For layer k and direction suffix s ('' or '_reverse'): weight_ih_l{k}{s} (G*H, in_k),
    weight_hh_l{k}{s} (G*H, P), bias_ih_l{k}{s} and bias_hh_l{k}{s} (G*H,), with G gates
    (1, 4, 3), in_0 = input_size and in_k = P * directions above, P = H (an LSTM with
    proj_size: P = proj_size, and weight_hr_l{k}{s} (P, H) projects h). All start as
    U(-1/sqrt(H), 1/sqrt(H)), drawn from the library generator in PyTorch's parameter order.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0,
                 device: Any = None, dtype: Any = None) -> None:
        as_device(device, type(self).__name__)  # only the CPU: anything else raises
        super().__init__()
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode} (expected one of {list(_GATES)})")
        if (isinstance(dropout, bool) or not isinstance(dropout, numbers.Number)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        for argument, flag in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"{argument} should be of type bool, got: {type(flag).__name__}")
        for argument, size in (("input_size", input_size), ("hidden_size", hidden_size)):
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
                raise TypeError(f"{argument} should be of type int, got: {type(size).__name__}")
            if size <= 0:
                raise ValueError(f"{argument} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size != 0 and mode != "LSTM":
            raise ValueError(_PROJ_SIZE_ONLY_LSTM)
        if isinstance(proj_size, bool) or proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.proj_size = proj_size
        dtype = get_default_dtype() if dtype is None else dtype
        gates = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        out = proj_size or hidden_size  # h's size: projected by weight_hr when proj_size > 0
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []  # the names per layer and direction
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out * directions
            for suffix in ("", "_reverse")[:directions]:
                shapes = {"weight_ih": (gates, layer_input), "weight_hh": (gates, out)}
                if bias:
                    shapes.update(bias_ih=(gates,), bias_hh=(gates,))
                if proj_size:
                    shapes.update(weight_hr=(proj_size, hidden_size))
                for kind, shape in shapes.items():
                    parameter_name = f"{kind}_l{layer}{suffix}"
                    setattr(self, parameter_name, Parameter(np.zeros(shape, dtype=dtype)))
                    self._flat_weights_names.append(parameter_name)
                self._all_weights.append(self._flat_weights_names[-len(shapes):])
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1 / math.sqrt(self.hidden_size)
        for parameter in self.parameters():
            init.uniform_(parameter, -bound, bound)

    # PyTorch's argument checks, public on RNNBase (code that subclasses RNN calls them)
    def check_input(self, input: Tensor, batch_sizes: Any) -> None:  # noqa: A002
        """RuntimeError unless `input` is 3-D (2-D when packed: batch_sizes given) with
        input_size features."""
        expected = 2 if batch_sizes is not None else 3
        if input.ndim != expected:
            raise TensorError(f"input must have {expected} dimensions, got {input.ndim}")
        if input.shape[-1] != self.input_size:
            raise TensorError(f"input.size(-1) must be equal to input_size. Expected "
                              f"{self.input_size}, got {input.shape[-1]}")

    def get_expected_hidden_size(self, input: Tensor, batch_sizes: Any  # noqa: A002
                                 ) -> tuple[int, int, int]:
        """(num_layers * directions, batch, proj_size or hidden_size): the shape of h0."""
        if batch_sizes is not None:
            batch = int(np.asarray(getattr(batch_sizes, "_data", batch_sizes))[0])
        else:
            batch = input.shape[0] if self.batch_first else input.shape[1]
        layers = self.num_layers * (2 if self.bidirectional else 1)
        return layers, batch, self.proj_size or self.hidden_size

    def check_hidden_size(self, hx: Tensor, expected_hidden_size: tuple[int, int, int],
                          msg: str = "Expected hidden size {}, got {}") -> None:
        """RuntimeError (`msg` formatted) unless hx has the expected shape."""
        if tuple(hx.shape) != tuple(expected_hidden_size):
            raise TensorError(msg.format(tuple(expected_hidden_size), list(hx.shape)))

    def check_forward_args(self, input: Tensor, hidden: Any,  # noqa: A002
                           batch_sizes: Any) -> None:
        """check_input, then the hidden state's shape (an LSTM's (h, c): c has hidden_size)."""
        self.check_input(input, batch_sizes)
        expected = self.get_expected_hidden_size(input, batch_sizes)
        if self.mode != "LSTM":
            self.check_hidden_size(hidden, expected)
            return
        self.check_hidden_size(hidden[0], expected, "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def get_expected_cell_size(self, input: Tensor, batch_sizes: Any  # noqa: A002
                               ) -> tuple[int, int, int]:
        """(num_layers * directions, batch, hidden_size): the shape of an LSTM's c_0."""
        layers, batch, _ = self.get_expected_hidden_size(input, batch_sizes)
        return layers, batch, self.hidden_size

    def permute_hidden(self, hx: Any, permutation: Any) -> Any:
        """The hidden state with its batch (dim 1) in `permutation`'s order (None: as is);
        an LSTM's (h, c) both."""
        if permutation is None:
            return hx
        if isinstance(hx, tuple):
            return tuple(state.index_select(1, permutation) for state in hx)
        return hx.index_select(1, permutation)

    @property
    def _flat_weights(self) -> list[Any]:
        """The parameters in PyTorch's order (`_flat_weights_names`), read afresh, so a
        parameter assigned anew is in it (PyTorch keeps this list in step on assignment)."""
        return [getattr(self, name, None) for name in self._flat_weights_names]

    def flatten_parameters(self) -> None:
        """Nothing to do: PyTorch packs the weights for cuDNN here; tinygrad_np needs no such
        step (kept so that models calling it in forward run unchanged)."""

    def _init_flat_weights(self) -> None:
        """Nothing to do (PyTorch's refresh of its weight list; `_flat_weights` is read
        afresh here): kept for code that calls it after replacing a weight."""

    _update_flat_weights = _init_flat_weights

    def _weights_have_changed(self) -> bool:
        """False: `_flat_weights` is always read afresh, so it never goes stale."""
        return False

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of each layer and direction: [[w_ih, w_hh, b_ih, b_hh], ...]."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def _weights(self, layer: int, direction: int) -> list[Any]:
        """[w_ih, w_hh, b_ih, b_hh, w_hr] of one layer and direction (biases None without
        bias, w_hr None without proj_size)."""
        suffix = "_reverse" if direction else ""
        return [getattr(self, f"{kind}_l{layer}{suffix}", None)
                for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")]

    def _run(self, x: Tensor, state: list[State], lengths: np.ndarray | None = None
             ) -> tuple[Tensor, list[State]]:
        """x (L, N, H_in) and a start state per layer and direction -> the last layer's
        outputs (L, N, D*H) and every final state. With `lengths` (a packed batch), sequence
        n's state stops changing after its lengths[n] steps (and, reversed, starts there).

        Each layer's input is kept in blocks of _BLOCK time steps, and each block projected
        by one matmul. Slicing every step out of one whole-sequence projection would send a
        full (L, N, G*H) gradient back from each step, a cost quadratic in L.
        """
        if x.shape[0] == 0:
            raise TensorError("Expected sequence length to be larger than 0 in RNN")
        if self.mode == "LSTM" and lengths is None and not self.proj_size and \
                x.dtype in _FUSED_DTYPES and all(w.dtype == x.dtype for w in self._flat_weights):
            return self._run_lstm(x, state)
        directions = 2 if self.bidirectional else 1
        blocks = x.split(_BLOCK)
        finals = []
        running = None if lengths is None else [
            Tensor((lengths > t)[:, None]) for t in range(x.shape[0])]
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                blocks = [F.dropout(block, self.dropout, True) for block in blocks]
            per_direction = []
            for direction in range(directions):
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, direction)
                step = _step_for(self.mode) if w_hr is None else _projected(w_hr)
                projected = [gx for block in blocks
                             for gx in F.linear(block, w_ih, b_ih).unbind(0)]
                current = state[layer * directions + direction]
                hidden: list[Any] = [None] * len(projected)
                times = range(len(projected))
                for t in reversed(times) if direction else times:
                    new = step(projected[t], current, w_hh, b_hh)
                    current = new if running is None else _keep_finished(new, current,
                                                                         running[t])
                    hidden[t] = current[0] if self.mode == "LSTM" else current
                per_direction.append(hidden)
                finals.append(current)
            blocks = [_join_directions([stack(h[start:start + _BLOCK]) for h in per_direction])
                      for start in range(0, len(per_direction[0]), _BLOCK)]
        return cat(blocks, 0) if len(blocks) > 1 else blocks[0], finals

    def _run_lstm(self, x: Tensor, state: list[State]) -> tuple[Tensor, list[State]]:
        """_run for an LSTM without packing or projection: each layer and direction one
        LSTMLayer op over the whole sequence (its input projected by one matmul)."""
        directions = 2 if self.bidirectional else 1
        finals = []
        for layer in range(self.num_layers):
            blocks = x.split(_BLOCK)  # (projected block by block, as _run: the same sums)
            if layer > 0 and self.dropout > 0 and self.training:
                blocks = [F.dropout(block, self.dropout, True) for block in blocks]
            outputs = []
            for direction in range(directions):
                w_ih, w_hh, b_ih, b_hh, _ = self._weights(layer, direction)
                h0, c0 = state[layer * directions + direction]
                parts = [F.linear(block, w_ih, b_ih) for block in blocks]
                projected = cat(parts) if len(parts) > 1 else parts[0]
                both = LSTMLayer.apply(projected, h0, c0, w_hh, b_hh, bool(direction))
                outputs.append(both[0])
                last = 0 if direction else -1
                finals.append((both[0, last], both[1, last]))
            x = _join_directions(outputs)
        if directions == 1 and x.grad_fn is None:  # (no graph: copied, so that the output
            x = x.clone()  # is no view keeping the op's c sequence alive, as PyTorch's)
        elif directions == 1:  # (a view of the op's saved result: an in-place write to it
            # is caught, as PyTorch's; named as its node, oneDNN's in float32, else a stack)
            pytorch_named(x, "MkldnnRnnLayerBackward0" if x.dtype == np.float32
                          else "StackBackward0")
        return x, finals

    def _prepare(self, input: Any) -> tuple[Tensor, bool]:  # noqa: A002
        """The input as (L, N, H_in), and whether it had a batch axis. A PackedSequence
        is padded, its batch left in sorted order (decreasing lengths)."""
        name = type(self).__name__
        if isinstance(input, PackedSequence):
            self.check_input(input.data, input.batch_sizes)
            self._check_dtype(input.data)
            padded, _ = pad_packed_sequence(input._replace(unsorted_indices=None))
            return padded, True
        x = _as_tensor(input)
        if x.ndim not in (2, 3):  # (PyTorch's RNN says "tensor", its LSTM and GRU do not)
            raise TensorError(f"{name}: Expected input to be 2D or 3D, got {x.ndim}D"
                              f"{' tensor' if self.mode.startswith('RNN') else ''} instead")
        self.check_input(x if x.ndim == 3 else x.unsqueeze(1), None)
        self._check_dtype(x)
        if x.ndim == 2:
            return x.unsqueeze(1), False
        return (x.transpose(0, 1) if self.batch_first else x), True

    def _check_dtype(self, x: Tensor) -> None:
        """PyTorch's ValueError for an input whose dtype is not the weights'."""
        weight = self._flat_weights[0]
        if weight is not None and x.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({x.dtype.name}) does not match weight dtype "
                             f"({weight.dtype.name}). Convert input: "
                             f"input.to({weight.dtype.name}), or "
                             f"convert model: model.to({x.dtype.name})")

    def _initial(self, given: Any, what: str, x: Tensor, batched: bool,
                 packed: PackedSequence | None = None, size: int | None = None) -> list[Tensor]:
        """A start state (D*layers, N, H), or (D*layers, H) unbatched, split per layer and
        direction; zeros when not given. For a packed input, put in the packing's order.
        H is `size` (the hidden size by default; an LSTM's h_0 with proj_size: proj_size)."""
        count = self.num_layers * (2 if self.bidirectional else 1)
        batch, size = x.shape[1], size or self.hidden_size
        if given is None:
            zeros = Tensor(np.zeros((batch, size), dtype=x.dtype))
            return [zeros] * count
        given = _as_tensor(given)
        if not batched:
            given = given.unsqueeze(1)
        self.check_hidden_size(given, (count, batch, size), _HIDDEN_SIZE_MESSAGES[what])
        _check_same_dtype(type(self).__name__, what, given, x)
        if packed is not None and packed.sorted_indices is not None:
            given = given[:, np.asarray(packed.sorted_indices._data)]
        return list(given.unbind(0))

    def _output(self, output: Tensor, batched: bool, packed: PackedSequence | None = None
                ) -> Any:
        if packed is not None:  # packed again, with the input's batch sizes and order
            sizes = packed.batch_sizes._data.tolist()
            data = cat([output[t, :size] for t, size in enumerate(sizes)], 0)
            return packed._replace(data=data)
        if not batched:
            return output.squeeze(1)
        return output.transpose(0, 1) if self.batch_first else output

    def _final(self, states: list[Tensor], batched: bool,
               packed: PackedSequence | None = None) -> Tensor:
        if packed is not None and packed.unsorted_indices is not None:
            return stack(states)[:, np.asarray(packed.unsorted_indices._data)]
        return stack(states) if batched else stack(states).squeeze(1)

    @staticmethod
    def _check_state_dims(states: tuple[Any, ...], batched: bool) -> None:
        """PyTorch's RuntimeError when a given start state (an LSTM's h_0 and c_0) does not
        have the input's number of dims (3 batched, 2 unbatched)."""
        dims = [_as_tensor(state).ndim for state in states if state is not None]
        want = 3 if batched else 2
        if dims and any(dim != want for dim in dims):
            kind = f"{'batched 3-D' if batched else 'unbatched 2-D'} input"
            got = (f"{dims[0]}-D tensor" if len(dims) == 1
                   else f"({', '.join(f'{dim}-D' for dim in dims)}) tensors")
            names = "hx" if len(dims) == 1 else "hx and cx"
            raise TensorError(f"For {kind}, {names} should also be {want}-D but got {got}")

    @staticmethod
    def _packing(input: Any) -> tuple[PackedSequence | None, np.ndarray | None]:  # noqa: A002
        if isinstance(input, PackedSequence):
            return input, input.lengths()
        return None, None

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Tensor]:  # noqa: A002
        """(output, h_n): output (L, N, D*H) ((N, L, D*H) with batch_first, (L, D*H)
        unbatched) and h_n (D*num_layers, N, H) ((D*num_layers, H) unbatched). For a
        PackedSequence input, output is a PackedSequence and h_n each sequence's last state."""
        x, batched = self._prepare(input)
        packed, lengths = self._packing(input)
        self._check_state_dims((hx,), batched)
        output, finals = self._run(x, self._initial(hx, "hx", x, batched, packed), lengths)
        return self._output(output, batched, packed), self._final(finals, batched, packed)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), stacked
    `num_layers` deep, optionally bidirectional; `dropout` between layers in training."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None, **unknown: Any) -> None:
        _refuse_proj_size(type(self).__name__, unknown)
        mode = _activation_mode("RNN", nonlinearity)
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory, gates i, f, g, o as PyTorch. forward(input, (h_0, c_0)) returns
    (output, (h_n, c_n)); h_0 and c_0 default to zeros. With proj_size > 0, h is projected
    to proj_size features by weight_hr_l{k} (proj_size, hidden_size) each step, as PyTorch."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device=device, dtype=dtype)

    def forward(self, input: Any, hx: Any = None  # noqa: A002
                ) -> tuple[Any, tuple[Tensor, Tensor]]:
        """(output, (h_n, c_n)), shaped as RNN.forward's (output, h_n)."""
        x, batched = self._prepare(input)
        packed, lengths = self._packing(input)
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TensorError("LSTM: the initial state must be a pair (h_0, c_0)")
        h0, c0 = (None, None) if hx is None else hx
        self._check_state_dims((h0, c0), batched)
        start = list(zip(self._initial(h0, "h_0", x, batched, packed, self.proj_size),
                         self._initial(c0, "c_0", x, batched, packed)))
        output, finals = self._run(x, start, lengths)
        h_n = self._final([h for h, _ in finals], batched, packed)
        c_n = self._final([c for _, c in finals], batched, packed)
        return self._output(output, batched, packed), (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit, gates r, z, n as PyTorch (r multiplies W_hn h + b_hn)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None,
                 **unknown: Any) -> None:
        _refuse_proj_size(type(self).__name__, unknown)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)


# ----------------------------------------------------------------------------- one step
class RNNCellBase(Module):
    """Shared by the cells: weight_ih (G*H, input_size), weight_hh (G*H, H), bias_ih and
    bias_hh (G*H,), all ~ U(-1/sqrt(H), 1/sqrt(H)) as PyTorch; G = num_chunks, the gates.
    PyTorch's signature, so a custom cell can subclass it; `mode` names the built-in cells'
    step (the custom cell brings its own forward)."""

    mode = ""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        """PyTorch's signature (num_chunks: 1 for RNNCell, 4 for LSTMCell, 3 for GRUCell);
        the cells below set `mode`, which picks their step."""
        as_device(device, type(self).__name__)  # only the CPU: anything else raises
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dtype = get_default_dtype() if dtype is None else dtype
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(np.zeros((gates, input_size), dtype=dtype))
        self.weight_hh = Parameter(np.zeros((gates, hidden_size), dtype=dtype))
        self.bias_ih = Parameter(np.zeros(gates, dtype=dtype)) if bias else None
        self.bias_hh = Parameter(np.zeros(gates, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for parameter in self.parameters():
            init.uniform_(parameter, -bound, bound)

    def _prepare(self, input: Any) -> tuple[Tensor, bool]:  # noqa: A002
        """The input as (N, H_in), and whether it had a batch axis."""
        x = _as_tensor(input)
        name = type(self).__name__
        if x.ndim not in (1, 2):
            raise TensorError(f"{name}: Expected input to be 1D or 2D, got {x.ndim}D instead")
        if x.shape[-1] != self.input_size:
            raise TensorError(f"input has inconsistent input_size: got {x.shape[-1]} expected "
                              f"{self.input_size}")
        _check_same_dtype(name, "input", x, self.weight_ih, "weight_ih")
        return (x if x.ndim == 2 else x.unsqueeze(0)), x.ndim == 2

    def _initial(self, given: Any, what: str, x: Tensor, batched: bool) -> Tensor:
        """The state `what` ("hx", or an LSTMCell's "hx[0]"/"hx[1]"), zeros if not given,
        checked with PyTorch's messages (hidden0, hidden1: its names for h and c)."""
        if given is None:
            return Tensor(np.zeros((x.shape[0], self.hidden_size), dtype=x.dtype))
        given = _as_tensor(given)
        name, shape = type(self).__name__, tuple(given.shape)
        if given.ndim not in (1, 2):
            raise TensorError(f"{name}: Expected {'hidden' if what == 'hx' else what} to be "
                              f"1D or 2D, got {given.ndim}D instead")
        which = "hidden1" if what == "hx[1]" else "hidden0"
        if given.ndim == 2 and batched and shape[0] != x.shape[0]:
            raise TensorError(f"Input batch size {x.shape[0]} doesn't match {which} batch "
                              f"size {shape[0]}")
        if shape[-1] != self.hidden_size:
            raise TensorError(f"{which} has inconsistent hidden_size: got {shape[-1]}, "
                              f"expected {self.hidden_size}")
        expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        _check_shape(name, what, given, expected)
        _check_same_dtype(name, what, given, x)
        return given if batched else given.unsqueeze(0)

    def _step(self, x: Tensor, state: State) -> State:
        gx = F.linear(x, self.weight_ih, self.bias_ih)
        return _step_for(self.mode)(gx, state, self.weight_hh, self.bias_hh)

    def forward(self, input: Any, hx: Any = None) -> Tensor:  # noqa: A002
        """h' (N, H), or (H,) for an unbatched input (H_in,); hx defaults to zeros."""
        x, batched = self._prepare(input)
        h = self._step(x, self._initial(hx, "hx", x, batched))
        return h if batched else h.squeeze(0)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text


class RNNCell(RNNCellBase):
    """One Elman step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        mode = _activation_mode("RNNCell", nonlinearity)
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.mode, self.nonlinearity = mode, nonlinearity


class LSTMCell(RNNCellBase):
    """One LSTM step: forward(input, (h, c)) returns (h', c'); the state defaults to zeros."""

    mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        """(h', c'), each (N, H), or (H,) for an unbatched input."""
        x, batched = self._prepare(input)
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TensorError("LSTMCell: the state must be a pair (h, c)")
        h, c = (None, None) if hx is None else hx
        h, c = self._step(x, (self._initial(h, "hx[0]", x, batched),
                              self._initial(c, "hx[1]", x, batched)))
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step, gates r, z, n as PyTorch: h' = (1 - z) n + z h."""

    mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)


def apply_permutation(tensor: Tensor, permutation: Tensor, dim: int = 1) -> Tensor:
    """PyTorch's nn.modules.rnn.apply_permutation: tensor's entries along dim (the batch of a
    hidden state) in `permutation`'s order."""
    return tensor.index_select(dim, permutation)
