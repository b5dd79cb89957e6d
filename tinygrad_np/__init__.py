"""tinygrad_np: reverse-mode automatic differentiation on NumPy, with PyTorch's API.

    import tinygrad_np as tg
    w = tg.randn(3, requires_grad=True)
    loss = (w * w).sum()
    loss.backward()          # w.grad == 2 * w

Layers: the engine (`tensor`, `function`, `autograd`), the primitive ops (`ops/`), what is
built on them (`nn`, `optim`), and tools (`gradcheck`, `viz`, `datasets`).
"""

from typing import Any as _Any  # noqa: I001

import inspect as _inspect

import numpy as np
from tinygrad_np.tensor import Size, Tensor, TensorError  # (Tensor first: the ops import it)
from tinygrad_np import _decorate, tensor as _tensor_module  # noqa: E402
from tinygrad_np import indexed as _indexed  # noqa: E402
from tinygrad_np.functions import where_out as _where_out  # noqa: E402
from tinygrad_np.dtypes import get_default_dtype, set_default_dtype
from tinygrad_np.factories import (
    arange,
    empty,
    empty_like,
    empty_strided,
    eye,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from tinygrad_np.function import Function, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from tinygrad_np.anomaly import detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled
from tinygrad_np.functions import (
    argsort,
    broadcast_to,
    cummax,
    cummin,
    cumprod,
    cumsum,
    diag,
    diagonal,
    einsum,
    flip,
    gather,
    index_select,
    logsumexp,
    masked_select,
    maximum,
    median,
    minimum,
    moveaxis,
    movedim,
    narrow,
    nonzero,
    norm,
    numel,
    outer,
    prod,
    repeat_interleave,
    roll,
    scatter,
    scatter_add,
    sort,
    std,
    std_mean,
    take,
    take_along_dim,
    topk,
    tril,
    triu,
    var,
    var_mean,
)
from tinygrad_np.counting import bucketize, isin, searchsorted
from tinygrad_np.gradcheck import gradcheck, numerical_grad
from tinygrad_np.nn.functional_distance import cdist
from tinygrad_np.join import (
    cat,
    chunk,
    concat,
    concatenate,
    dstack,
    hstack,
    meshgrid,
    split,
    stack,
    unbind,
    vstack,
)
from tinygrad_np.rng import get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from tinygrad_np.serialization import load, save
from tinygrad_np.viz import draw_graph, graph_stats, trace_backward  # graphviz: when drawing

# PyTorch's front door: `import tinygrad_np as torch` then torch.nn, torch.float32, torch.sin,
# torch.device("cpu"), torch.utils.data.DataLoader, ... (the layers above the engine; the
# engine modules never import them).
from tinygrad_np import jit, linalg, nn, optim, utils  # noqa: E402
from tinygrad_np import distributions  # noqa: E402  (above nn: its log_probs use F)
from tinygrad_np.distributions.gamma_family import (  # noqa: E402, F401  (torch._standard_gamma)
    _dirichlet_grad,
    _sample_dirichlet,
    _standard_gamma,
    _standard_gamma_grad,
)
from tinygrad_np.linalg import logdet, matrix_exp, matrix_power, pinverse  # noqa: E402
from tinygrad_np.linalg import old_det as det, old_inverse as inverse  # noqa: E402
from tinygrad_np.linalg import old_cholesky as cholesky  # noqa: E402
from tinygrad_np.linalg import old_svd as svd  # noqa: E402
from tinygrad_np.linalg import cholesky_solve, old_slogdet as slogdet, triangular_solve  # noqa: E402
from tinygrad_np.device import (  # noqa: E402
    accelerator,
    backends,
    cuda,
    device,
    get_default_device,
    channels_last,
    channels_last_3d,
    contiguous_format,
    get_float32_matmul_precision,
    layout,
    memory_format,
    preserve_format,
    set_default_device,
    sparse_coo,
    strided,
    set_float32_matmul_precision,
    version,
)
from tinygrad_np.dtypes import (  # noqa: E402
    bool_,
    double,
    dtype,  # the class of tg.float32, ...: isinstance(tg.float32, tg.dtype)
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
    uint16,
    uint32,
    uint64,
)
from tinygrad_np import functional_forms  # noqa: E402
from tinygrad_np import toplevel as _toplevel  # noqa: E402
from tinygrad_np.toplevel import *  # noqa: E402, F403  (torch.conv2d, torch.hann_window, ...)
from tinygrad_np.functional_forms import *  # noqa: E402, F403  (tg.sin, tg.sum, tg.max, ...)

# The rest of PyTorch's module-level vocabulary (compositions of Tensor ops; bound after the
# function forms so a later Tensor method of the same name does not replace them).
from tinygrad_np.functions import (  # noqa: E402
    absolute,
    adjoint,
    addbmm,
    addmv,
    addr,
    aminmax,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    baddbmm,
    block_diag,
    polygamma,
    asarray,
    scalar_tensor,
    broadcast_shapes,
    gcd,
    lcm,
    clamp_,
    broadcast_tensors,
    can_cast,
    cartesian_prod,
    chain_matmul,
    column_stack,
    combinations,
    copysign,
    corrcoef,
    cov,
    deg2rad,
    diag_embed,
    diagflat,
    dist,
    dropout,
    dsplit,
    float_power,
    heaviside,
    hsplit,
    isneginf,
    isposinf,
    isreal,
    kron,
    logaddexp2,
    msort,
    nanmedian,
    negative,
    pdist,
    positive,
    promote_types,
    rad2deg,
    randint_like,
    real,
    renorm,
    result_type,
    rot90,
    row_stack,
    signbit,
    sinc,
    swapdims,
    tensordot,
    trapezoid,
    cumulative_trapezoid,
    ldexp,
    angle,
    unravel_index,
    range_,
    frexp,
    nextafter,
    ger,
    histogram,
    trapz,
    triu_indices,
    tril_indices,
    unique_consecutive,
    vander,
    vdot,
    vsplit,
)
from tinygrad_np.nn.functional_distance import cosine_similarity, pairwise_distance  # noqa: E402
from tinygrad_np.rng import Generator, default_generator  # noqa: E402
from tinygrad_np.sampling import multinomial, normal, poisson  # noqa: E402
from tinygrad_np.settings import (  # noqa: E402
    are_deterministic_algorithms_enabled,
    get_deterministic_debug_mode,
    get_num_interop_threads,
    get_num_threads,
    is_deterministic_algorithms_warn_only_enabled,
    set_deterministic_debug_mode,
    set_num_interop_threads,
    set_num_threads,
    set_printoptions,
    use_deterministic_algorithms,
)
from tinygrad_np.typeinfo import finfo, iinfo  # noqa: E402
from tinygrad_np import amp  # noqa: E402
from tinygrad_np import fft, random, signal, special  # noqa: E402
from tinygrad_np.amp import GradScaler, autocast  # noqa: E402
import warnings as _warnings  # noqa: E402

# NumPy's floating-point warnings raised inside this package (a float16 product past 65504
# becoming inf, 0 / 0 giving NaN) are silenced, as PyTorch computes such values
# quietly; a user's own NumPy code keeps its warnings (the filter names this package's modules).
_warnings.filterwarnings("ignore", r"(overflow|invalid value|divide by zero|underflow) encountered",
                         RuntimeWarning, r"tinygrad_np(\.|$)")

globals().update({_name: getattr(amp, _name) for _name in amp.AUTOCAST_NAMES})  # (autocast state)
globals().update(linalg.removed_names)  # torch.eig, symeig, lstsq, solve, matrix_rank: refused
for _name in ("eig", "symeig", "lstsq", "solve"):  # the methods too: the same RuntimeError
    setattr(Tensor, _name, linalg.removed_names[_name])
from tinygrad_np import toplevel_small as _toplevel_small  # noqa: E402
from tinygrad_np.toplevel_small import *  # noqa: E402, F403  (torch.cond, torch.histogramdd, ...)

Tensor.storage, Tensor.resize = _toplevel_small.storage, _toplevel_small.resize
Tensor._typed_storage = _toplevel_small.storage  # (PyTorch's name, in copied collate functions)
Tensor.untyped_storage = _toplevel_small.untyped_storage
Tensor.resize_as = _toplevel_small.resize_as
Tensor.dim_order, Tensor.to_dense = _toplevel_small.dim_order, _toplevel_small.to_dense
Tensor.grad_dtype, Tensor.hash_tensor = _toplevel_small.grad_dtype, _toplevel_small.hash_tensor
Tensor.as_subclass = _toplevel_small.as_subclass
from tinygrad_np import toplevel_compat as _toplevel_compat, toplevel_native as _toplevel_native  # noqa: E402, I001, E501
from tinygrad_np.toplevel_compat import *  # noqa: E402, F403  (torch.sym_int, torch.fork, ...)
from tinygrad_np.toplevel_native import *  # noqa: E402, F403  (torch.convolution, ...)

Tensor.is_distributed = _toplevel_compat.is_distributed
Tensor.dequantize = _toplevel_compat.dequantize  # (of a tensor that is not quantized: itself)
Tensor.xpu, Tensor.ipu, Tensor.mtia = _toplevel_compat.DEVICE_MOVES.values()  # (as .cuda())
jit.fork, jit.wait = _toplevel_compat.jit_fork, _toplevel_compat.jit_wait  # (they warn)

# NumPy's spelling of None in indexing, which PyTorch also has (PyTorch's wider unsigned
# dtypes uint16/32/64 are imported above: PyTorch 2.13 itself runs few ops on them).
newaxis = None

Tensor.__dlpack__, Tensor.__dlpack_device__ = _toplevel_small.dlpack, _toplevel_small.dlpack_device

cuda.amp = amp._cuda_namespace  # torch.cuda.amp.GradScaler / autocast: the older spellings

# torch.autograd's other names (gradcheck, gradgradcheck, Variable, backward, functional, the
# grad and anomaly modes) are attached to the engine module here: autograd.py stays the
# engine (backward and grad, importing nothing above it), the front door adds PyTorch's names,
# so torch.autograd.X and `from tinygrad_np.autograd import X` both work.
import sys as _sys  # noqa: E402
import types as _types  # noqa: E402

from tinygrad_np import autograd, autograd_extra, autograd_functional  # noqa: E402
from tinygrad_np.device_modules import (  # noqa: E402, F401 (torch.cpu, torch.OutOfMemoryError)
    AcceleratorError,
    OutOfMemoryError,
    _inductor,
    cpu,
    mps,
    xpu,
)

for _name in autograd_extra.__all__:
    setattr(autograd, _name, getattr(autograd_extra, _name))
grad = autograd_extra.grad  # the engine's grad after PyTorch's argument checks
autograd.functional = autograd_functional
futures = _types.ModuleType("tinygrad_np.futures", "torch.futures: futures already done "
                            "(torch.fork runs the function at once).")
futures.Future, futures.wait_all, futures.collect_all = (
    _toplevel_compat.Future, _toplevel_compat.wait_all, _toplevel_compat.collect_all)
Future = futures.Future  # (torch.Future: torch.futures.Future is its subclass there)
_sys.modules["tinygrad_np.futures"] = futures
# torch.autograd's small queries (the profiler is a tool: imported when asked)
autograd.is_tensor_like = lambda inp: isinstance(inp, Tensor)  # noqa: E731 (no __torch_function__)
autograd.is_view_replay_enabled = lambda: False  # noqa: E731 (views are NumPy views, never replayed)
# torch.autograd.Function: the Tensor-level class (autograd_function.py), not the engine's
# array-level `tinygrad_np.Function` (which autograd.py's code calls `Node`).
from tinygrad_np import autograd_function, func  # noqa: E402  (func: torch.func's transforms)

vmap = func.vmap
from tinygrad_np.rearrange import rearrange as _rearrange  # noqa: E402

func.rearrange = _rearrange  # (einops' rearrange: reshape, permute, reshape)

autograd.Function = autograd_function.Function
autograd.function = autograd_function
_sys.modules["tinygrad_np.autograd.function"] = autograd_function
# `import tinygrad_np.autograd.functional` (autograd is a module, not a package)
_sys.modules["tinygrad_np.autograd.functional"] = autograd_functional
# torch.profiler and torch.autograd.profiler (record_function blocks timed, ops counted)
# torch.compiler and torch._dynamo (code runs as written; torch.compile's OptimizedModule)
from tinygrad_np import _dynamo, compiler, profiler  # noqa: E402
from tinygrad_np.foreach import *  # noqa: E402, F403  (torch._foreach_add_, ...)

autograd.profiler = profiler
_sys.modules["tinygrad_np.autograd.profiler"] = profiler
autograd.profiler_util = profiler  # (EventList, FunctionEventAvg)
_sys.modules["tinygrad_np.autograd.profiler_util"] = profiler
from tinygrad_np import autograd_graph  # noqa: E402  (torch.autograd.graph)

autograd.graph = autograd_graph
_sys.modules["tinygrad_np.autograd.graph"] = autograd_graph
from tinygrad_np import forward_ad as _forward_ad  # noqa: E402  (torch.autograd.forward_ad)

autograd.forward_ad = _forward_ad
_sys.modules["tinygrad_np.autograd.forward_ad"] = _forward_ad
# `from torch.autograd.gradcheck import GradcheckError` (a module there, its function here)
_sys.modules["tinygrad_np.autograd.gradcheck"] = _types.ModuleType(
    "tinygrad_np.autograd.gradcheck", "torch.autograd.gradcheck's names.")
for _name in ("gradcheck", "gradgradcheck", "GradcheckError"):
    setattr(_sys.modules["tinygrad_np.autograd.gradcheck"], _name, getattr(autograd, _name))
del _name
# torch.distributed, torch.multiprocessing, torch.types, torch.utils._pytree, ... (small shims)
from tinygrad_np import namespaces as _namespaces  # noqa: E402, F401

autograd.kineto_available, autograd.ProfilerActivity = (  # (torch.autograd's spellings)
    profiler.kineto_available, profiler.ProfilerActivity)
autograd.has_torch_function = overrides.has_torch_function  # noqa: F405 (always False here)
legacy_contiguous_format = contiguous_format  # noqa: F405 (PyTorch's alias)
from tinygrad_np.typed_tensors import (  # noqa: E402
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)

range = range_  # noqa: A001 (torch.range, deprecated there too)

# Tensor methods that are the functions above (`x.kron(y)` is `tg.kron(x, y)`), and in-place
# forms of them (`x.copysign_(y)`), as PyTorch's Tensor has them.
for _name in ("positive negative absolute signbit isposinf isneginf isreal deg2rad rad2deg "
              "copysign heaviside logaddexp2 aminmax nanmedian diag_embed unique_consecutive "
              "gcd lcm kron corrcoef cov triangular_solve matrix_exp addmm baddbmm addbmm addmv "
              "addr dist ldexp angle nextafter frexp").split():
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, globals()[_name])
for _name in ("copysign bitwise_and bitwise_or bitwise_xor floor_divide deg2rad rad2deg gcd lcm "
              "float_power").split():
    if not hasattr(Tensor, _name + "_"):
        setattr(Tensor, _name + "_", _tensor_module._in_place_form(_name + "_",
                                                                    getattr(Tensor, _name)))
# PyTorch's element-by-element and resizing in-place methods (tinygrad_np/indexed.py)
Tensor.apply_, Tensor.map_, Tensor.resize_ = _indexed.apply_, _indexed.map_, _indexed.resize_
Tensor.set_ = _indexed.set_
Tensor.index_reduce = index_reduce = _indexed.index_reduce
from tinygrad_np import linalg_lu as _linalg_lu  # noqa: E402
from tinygrad_np.ops.masked import MaskedBy as _MaskedBy  # noqa: E402

lu, lu_solve, lu_unpack = _linalg_lu.old_lu, _linalg_lu.old_lu_solve, _linalg_lu.lu_unpack
Tensor.lu, Tensor.lu_solve = lu, lu_solve
Tensor.nonzero_static = _toplevel.nonzero_static
Tensor.orgqr = _toplevel_small.orgqr  # (its keyword is input2, as torch.orgqr's)
geqrf, orgqr, ormqr = _linalg_lu.geqrf, _linalg_lu.orgqr, _linalg_lu.ormqr
Tensor.geqrf, Tensor.ormqr = geqrf, ormqr
Tensor.as_strided = as_strided = _indexed.as_strided
Tensor.as_strided_ = as_strided_ = _indexed.as_strided_
Tensor.as_strided_scatter = as_strided_scatter = _indexed.as_strided_scatter
masked_scatter = Tensor.masked_scatter
for _name in ("adjoint diagflat ger hardshrink is_nonzero is_same_size narrow_copy prelu qr "
              "select_scatter slice_scatter diagonal_scatter cholesky_inverse cholesky_solve "
              "vdot histogram conj conj_physical resolve_conj resolve_neg is_conj is_neg").split():
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, globals()[_name])
for _name in "ldexp nextafter addmm addbmm baddbmm addmv addr conj_physical index_reduce".split():
    if not hasattr(Tensor, _name + "_"):
        setattr(Tensor, _name + "_", _tensor_module._in_place_form(_name + "_",
                                                                    getattr(Tensor, _name)))


_index_reduce_in_place = Tensor.index_reduce_


def _index_reduce_(self: Tensor, dim: int, index: _Any, source: _Any, *args: _Any,
                   **kwargs: _Any) -> Tensor:
    """`index_reduce` in place (a tensor source of self's dtype, as PyTorch)."""
    _tensor_module._same_dtype("index_reduce_", self, source)
    _tensor_module._refuse_source_overlap(self, source)  # (PyTorch's overlap error)
    return _index_reduce_in_place(self, dim, index, source, *args, **kwargs)


Tensor.index_reduce_ = _index_reduce_


def _flat_in_place(name: str) -> _Any:
    """`x.eq_(y)`: the comparison written into x in x's dtype; on a tensor in the graph it
    stays in the graph with a zero derivative, as PyTorch's (not a new leaf)."""
    def compare(t: Tensor, other: _Any) -> Tensor:
        values = getattr(t, name)(other).to(t.dtype)
        graded = [x for x in (t, other) if isinstance(x, Tensor) and x.requires_grad]
        return _MaskedBy.apply(values._data, *graded) if graded else values

    def method(self: Tensor, other: _Any = None, **kwargs: _Any) -> Tensor:
        if kwargs:  # heaviside_(values=...)
            ((key, other),) = kwargs.items()
            if key != ("values" if name == "heaviside" else "other"):
                raise TypeError(f"{name}_() got an unexpected keyword argument '{key}'")
        return self._in_place(compare, other)

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"`{name}(self, other)` written into self, in self's dtype."
    return method


for _name in ("eq ne lt le gt ge greater greater_equal less less_equal not_equal "
              "heaviside").split():
    if not hasattr(Tensor, _name + "_"):
        setattr(Tensor, _name + "_", _flat_in_place(_name))


def _swapped_(self: Tensor, dim0: int, dim1: int) -> Tensor:
    """`transpose_(dim0, dim1)`: self's two dims swapped in place."""
    return self.transpose_(dim0, dim1)


def _swapaxes_(self: Tensor, axis0: int, axis1: int) -> Tensor:
    """`transpose_(axis0, axis1)` under swapaxes_'s names (PyTorch's)."""
    return self.transpose_(axis0, axis1)


def _resize_as_(self: Tensor, the_template: Tensor, *, memory_format: _Any = None) -> Tensor:
    """`resize_(the_template.shape)`, laid out as `memory_format` says (not as the template
    is, as PyTorch's)."""
    return self.resize_(the_template.shape, memory_format=memory_format)


def _new_empty_strided(self: Tensor, size: _Any, stride: _Any, *, dtype: _Any = None,
                       **kwargs: _Any) -> Tensor:
    """`empty_strided(size, stride)` in self's dtype unless `dtype` is given."""
    return empty_strided(size, stride, dtype=dtype or self.dtype, **kwargs)


Tensor.swapaxes_, Tensor.swapdims_ = _swapaxes_, _swapped_
Tensor.resize_as_, Tensor.new_empty_strided = _resize_as_, _new_empty_strided
Tensor.real = property(real, doc="The real part: a real tensor itself.")


def _imag(self: Tensor) -> Tensor:
    raise RuntimeError(f"imag is not implemented for tensors with non-complex dtypes "
                       f"({self.dtype.name}): tinygrad_np has no complex tensors")


Tensor.imag = property(_imag, doc="Refused: tinygrad_np has no complex tensors.")
from tinygrad_np import sparse  # noqa: E402  (torch.sparse: COO tensors, held dense)

sparse_coo_tensor = sparse.sparse_coo_tensor
Tensor.to_sparse = Tensor.to_sparse_coo = sparse.to_sparse
# PyTorch's unchecked spellings: the same pieces, which may be written in place (split's
# and chunk's may not, with grad mode on: see tensor.py's _mark_multi_view)
def _unsafe(method: _Any) -> _Any:
    def unsafe(self: Tensor, *args: _Any, **kwargs: _Any) -> tuple:
        pieces = method(self, *args, **kwargs)
        for piece in pieces:
            piece._multi_view = False
        return pieces

    unsafe.__name__ = f"unsafe_{method.__name__}"
    unsafe.__doc__ = f"{method.__name__}, with pieces that may be written in place."
    return unsafe


Tensor.unsafe_chunk, Tensor.unsafe_split, Tensor.unsafe_split_with_sizes = (
    _unsafe(Tensor.chunk), _unsafe(Tensor.split), _unsafe(Tensor.split_with_sizes))
unsafe_chunk, unsafe_split, unsafe_split_with_sizes = (
    Tensor.unsafe_chunk, Tensor.unsafe_split, Tensor.unsafe_split_with_sizes)


def _copying(name: str) -> _Any:
    def function(input: Tensor, *args: _Any, out: _Any = None, **kwargs: _Any) -> _Any:  # noqa: A002
        result = getattr(_tensor_module.to_tensor(input), name)(*args, **kwargs)
        return functional_forms.write_out(name + "_copy", out, result.clone() if isinstance(
            result, Tensor) else tuple(part.clone() for part in result))

    function.__name__ = function.__qualname__ = name + "_copy"
    function.__doc__ = f"`input.{name}(...)`, copied (never a view of input), as PyTorch's."
    return function


# PyTorch's `*_copy` functions: the view ops, returning copies
for _name in ("detach diagonal expand permute select split split_with_sizes squeeze t "
              "transpose unbind unfold unsqueeze view as_strided").split():
    globals()[_name + "_copy"] = _copying(_name)


def alias_copy(input: Tensor) -> Tensor:  # noqa: A002
    """A copy of input."""
    return _tensor_module.to_tensor(input).clone()


def slice_copy(input: Tensor, dim: int = 0, start: _Any = None, end: _Any = None,  # noqa: A002
               step: int = 1) -> Tensor:
    """input[start:end:step] along `dim`, copied."""
    x = _tensor_module.to_tensor(input)
    axis = _tensor_module._wrap_dim("slice_copy", dim, x.ndim)
    return x[(slice(None),) * axis + (slice(start, end, step),)].clone()


# Python's augmented assignments change the tensor itself (and what views it), as PyTorch's:
# without these, `a //= 2` would quietly rebind `a` to a new tensor.
for _name, _method in (("floordiv", "floor_divide_"), ("pow", "pow_"), ("and", "bitwise_and_"),
                       ("or", "bitwise_or_"), ("xor", "bitwise_xor_"),
                       ("lshift", "bitwise_left_shift_"), ("rshift", "bitwise_right_shift_"),
                       ("add", "add_"), ("sub", "sub_"), ("mul", "mul_"), ("truediv", "div_")):
    setattr(Tensor, f"__i{_name}__", getattr(Tensor, _method))


def _module_level(name: str) -> _Any:
    def function(input: Tensor, *args: _Any, **kwargs: _Any) -> _Any:  # noqa: A002
        if not isinstance(input, Tensor):  # PyTorch's TypeError, not an AttributeError
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"`input.{name}(...)`: {name[:-1]} written into `input`, as PyTorch's."
    return function


# PyTorch's factories write into `out=` too (`torch.rand(2, 2, out=c)`), and `where`.
for _name in ("arange empty eye full linspace logspace ones rand randint randn randperm "
              "zeros normal").split():
    globals()[_name] = functional_forms.with_out(globals()[_name], dtype_of_out=True)
where = _where_out  # (its out= takes tensors only, as PyTorch)
spmm = mm  # noqa: F405  (torch.spmm takes dense matrices too: mm)
# ... and the rest of the elementwise family, products and copies (after the Tensor methods
# above were bound to the plain functions: PyTorch's methods take no out=)
for _name in ("absolute angle copysign deg2rad float_power heaviside isin isneginf isposinf "
              "ldexp logaddexp2 negative nextafter rad2deg signbit sinc kron ger vdot tensordot "
              "msort inverse cholesky cholesky_inverse chain_matmul alias_copy slice_copy "
              "slice_scatter conj_physical hardshrink frobenius_norm nuclear_norm geqrf orgqr "
              "ormqr multinomial gcd lcm cummax cummin matrix_power polygamma frexp "
              "aminmax baddbmm addbmm addmv addr").split():
    globals()[_name] = functional_forms.with_out(globals()[_name], name=_name)
for _name in "lu_solve lu_unpack qr svd triangular_solve".split():
    globals()[_name] = functional_forms.with_out(globals()[_name], name=_name, exact_dtype=True)
cholesky_solve = functional_forms.with_out(cholesky_solve)  # (casts into out, as PyTorch)
range = functional_forms.with_out(range, dtype_of_out=True)  # noqa: A001
nanmedian = functional_forms.with_out(nanmedian)
histogram = functional_forms.with_out(histogram, exact_dtype=True)
# torch.linalg's and torch.special's functions take out= too (all but these few, as PyTorch)
functional_forms.namespace_out(linalg, " ".join(sorted(
    set(linalg.__all__) - {"LinAlgError", "diagonal", "matrix_exp", "vander"})) + " matmul",
    exact_dtype=True)
functional_forms.namespace_out(special, " ".join(sorted(
    set(special.__all__) - {"softmax", "log_softmax"})))

# PyTorch's module-level in-place functions (`torch.sin_(x)`, `torch.relu_(x)`): the methods.
for _name in ("abs_ acos_ acosh_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ asinh_ "
              "atan_ atanh_ ceil_ clamp_ clamp_max_ clamp_min_ clip_ cos_ cosh_ deg2rad_ "
              "detach_ erf_ erfc_ exp2_ exp_ expm1_ fill_ fix_ floor_ frac_ gcd_ i0_ lcm_ log10_ "
              "log1p_ log2_ log_ logit_ nan_to_num_ neg_ negative_ rad2deg_ reciprocal_ relu_ "
              "round_ rsqrt_ sigmoid_ sin_ sinc_ sinh_ sqrt_ square_ tan_ tanh_ trunc_ xlogy_ "
              "zero_ conj_physical_ ldexp_").split():
    if hasattr(Tensor, _name) and _name not in globals():
        globals()[_name] = _module_level(_name)


_vector_norm = Tensor.norm  # the engine's, which does not reach linalg


def _norm(self: Tensor, p: _Any = "fro", dim: _Any = None, keepdim: bool = False,
          dtype: _Any = None) -> Tensor:
    linalg.check_norm_input("vector_norm", self, dtype)  # (PyTorch's name)
    if p == "nuc":
        dims = (-2, -1) if dim is None and self.ndim == 2 else tuple(np.atleast_1d(dim))
        if len(dims) != 2:
            raise RuntimeError(f"norm: p='nuc' needs a matrix: a 2-D input or dim a 2-tuple, "
                               f"got shape {self.shape} and dim={dim}")
        return linalg.matrix_norm(self, "nuc", dims, keepdim, dtype=dtype)
    if p == "fro" and isinstance(dim, (tuple, list)) and len(dim) > 2:  # (PyTorch's check)
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim} (norm with "
                           f"p='fro' reduces 1 or 2 dims)")
    return _vector_norm(self, p, dim, keepdim, dtype)


_norm.__doc__ = (f"{_vector_norm.__doc__} p='nuc': the nuclear norm of a matrix (the sum of "
                 f"its singular values).")
Tensor.norm = _norm


# NumPy's `axis=` for `dim=` on every op that has a `dim` (PyTorch accepts both everywhere);
# a method that is one of the functions (x.aminmax is tg.aminmax) stays that function.
_aliased: dict = {}
for _name, _value in list(globals().items()):
    if _inspect.isfunction(_value) and not _name.startswith("_"):
        globals()[_name] = _aliased.setdefault(_value, _decorate.accepts_axis(_value))
for _name, _value in list(vars(Tensor).items()):
    if _inspect.isfunction(_value) and not _name.startswith("_"):
        setattr(Tensor, _name, _aliased.get(_value) or _decorate.accepts_axis(_value))

# PyTorch's names that are also Python builtins: bound last, nothing below uses the builtins.
bool = bool_  # noqa: A001
compile = _dynamo.compile  # noqa: A001
float = float32  # noqa: A001
int = int32  # noqa: A001  (torch.int is int32; torch.long is int64)
pi, e, inf, nan = 3.141592653589793, 2.718281828459045, np.inf, np.nan

# the PyTorch API level followed, with the library's version as local label: "2.13.0+tgnp.0.1.0"
# (a str comparing as a version, as PyTorch's); the library's own: tinygrad_np.version.tinygrad_np
__version__ = version.__version__

__all__ = [
    "arange",
    "argsort",
    "broadcast_to",
    "bucketize",
    "cat",
    "cdist",
    "chunk",
    "concat",
    "concatenate",
    "cummax",
    "cummin",
    "cumprod",
    "cumsum",
    "detect_anomaly",
    "diag",
    "diagonal",
    "draw_graph",
    "dstack",
    "einsum",
    "empty",
    "empty_like",
    "empty_strided",
    "enable_grad",
    "eye",
    "flip",
    "full",
    "full_like",
    "Function",
    "gather",
    "get_default_dtype",
    "grad",
    "gradcheck",
    "isin",
    "graph_stats",
    "hstack",
    "index_select",
    "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "linspace",
    "load",
    "linalg",
    "det",
    "logdet",
    "slogdet",
    "inverse",
    "cholesky",
    "svd",
    "pinverse",
    "cholesky_solve",
    "triangular_solve",
    "matrix_exp",
    "matrix_power",
    "logspace",
    "logsumexp",
    "manual_seed",
    "masked_select",
    "maximum",
    "median",
    "meshgrid",
    "minimum",
    "moveaxis",
    "movedim",
    "narrow",
    "no_grad",
    "nonzero",
    "norm",
    "numel",
    "numerical_grad",
    "ones",
    "ones_like",
    "outer",
    "prod",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "repeat_interleave",
    "roll",
    "save",
    "set_grad_enabled",
    "scatter",
    "scatter_add",
    "searchsorted",
    "set_default_dtype",
    "Size",
    "sort",
    "split",
    "stack",
    "std",
    "std_mean",
    "take",
    "take_along_dim",
    "Tensor",
    "TensorError",
    "tensor",
    "trace_backward",
    "topk",
    "tril",
    "triu",
    "unbind",
    "var",
    "var_mean",
    "vstack",
    "where",
    "zeros",
    "zeros_like",
]

# The PyTorch front door (see above).
__all__ += [
    "are_deterministic_algorithms_enabled",
    "get_deterministic_debug_mode",
    "set_deterministic_debug_mode",
    "get_num_interop_threads",
    "get_num_threads",
    "initial_seed",
    "is_deterministic_algorithms_warn_only_enabled",
    "seed",
    "set_num_interop_threads",
    "set_num_threads",
    "set_printoptions",
    "use_deterministic_algorithms",
    "BoolTensor",
    "ByteTensor",
    "DoubleTensor",
    "FloatTensor",
    "Generator",
    "default_generator",
    "HalfTensor",
    "IntTensor",
    "LongTensor",
    "ShortTensor",
    "CharTensor",
    "amp",
    "autocast",
    "GradScaler",
    "accelerator",
    "jit",
    "func",
    "vmap",
    "backends",
    "channels_last",
    "channels_last_3d",
    "contiguous_format",
    "get_float32_matmul_precision",
    "memory_format",
    "layout",
    "strided",
    "sparse_coo",
    "preserve_format",
    "set_float32_matmul_precision",
    "version",
    "bool",
    "compile",
    "bool_",
    "cuda",
    "device",
    "distributions",
    "double",
    "e",
    "finfo",
    "float",
    "float16",
    "bfloat16",
    "float8_e4m3fn",
    "float8_e5m2",
    "complex32",
    "chalf",
    "complex64",
    "cfloat",
    "complex128",
    "cdouble",
    "float32",
    "float64",
    "get_default_device",
    "half",
    "iinfo",
    "inf",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "long",
    "multinomial",
    "nan",
    "nn",
    "normal",
    "optim",
    "pi",
    "set_default_device",
    "short",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "newaxis",
    "utils",
]
__all__ += functional_forms.__all__
__all__ += _toplevel.__all__ + _toplevel_small.__all__ + amp.AUTOCAST_NAMES
__all__ += _toplevel_native.__all__
__all__ += _toplevel_compat.__all__
__all__ += [*_sys.modules["tinygrad_np.foreach"].__all__, "compiler", "spmm", "sparse",
            "sparse_coo_tensor"]
__all__ += [
    "absolute",
    "addbmm",
    "addmv",
    "addr",
    "adjoint",
    "aminmax",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "baddbmm",
    "block_diag",
    "polygamma",
    "random",
    "get_rng_state",
    "set_rng_state",
    "asarray",
    "scalar_tensor",
    "broadcast_shapes",
    "gcd",
    "lcm",
    "clamp_",
    "signal",
    "fft",
    "special",
    "broadcast_tensors",
    "can_cast",
    "cartesian_prod",
    "chain_matmul",
    "column_stack",
    "combinations",
    "copysign",
    "corrcoef",
    "cosine_similarity",
    "cov",
    "deg2rad",
    "diag_embed",
    "diagflat",
    "dist",
    "dropout",
    "dsplit",
    "dtype",
    "float_power",
    "heaviside",
    "hsplit",
    "isneginf",
    "isposinf",
    "isreal",
    "kron",
    "logaddexp2",
    "msort",
    "nanmedian",
    "negative",
    "pairwise_distance",
    "pdist",
    "poisson",
    "positive",
    "promote_types",
    "rad2deg",
    "randint_like",
    "real",
    "renorm",
    "result_type",
    "rot90",
    "row_stack",
    "signbit",
    "sinc",
    "swapdims",
    "tensordot",
    "trapezoid",
    "cumulative_trapezoid",
    "ldexp",
    "angle",
    "unravel_index",
    "range",
    "frexp",
    "nextafter",
    "ger",
    "histogram",
    "trapz",
    "tril_indices",
    "triu_indices",
    "unique_consecutive",
    "vander",
    "vdot",
    "vsplit",
    "geqrf",
    "orgqr",
    "ormqr",
]
__all__ = list(dict.fromkeys(__all__))  # each name once (the forms above overlap)


# PyTorch's submodules that have no counterpart here: what a script reaching for one is told
_ABSENT_MODULES = {"onnx": "it exports no models"}  # (the others: refused.py's features)


def __getattr__(name: str) -> object:
    """`tg.testing` (torch.testing.assert_close and the gradient-test helpers) is imported on
    first use: it loads hypothesis when installed, which the rest of the library never needs.
    A PyTorch submodule missing here is an AttributeError saying why (`_ABSENT_MODULES`)."""
    if name == "testing":
        import importlib  # noqa: PLC0415

        return importlib.import_module("tinygrad_np.testing")
    if name in _OUT_OF_SCOPE:  # quantized tensors, CSR, cudnn_*, ...: named, refused
        raise _not_supported(name)
    why = f" (torch.{name} is not in tinygrad_np: {_ABSENT_MODULES[name]})" if (
        name in _ABSENT_MODULES) else ""
    raise AttributeError(f"module 'tinygrad_np' has no attribute {name!r}{why}")


# PyTorch dtypes with no NumPy counterpart: named, compared, given to autocast; making a
# tensor of one is a TypeError saying why (tinygrad_np/missing_dtypes.py)
from tinygrad_np.missing_dtypes import (  # noqa: E402
    bfloat16,
    complex32,
    complex32 as chalf,
    complex64,
    complex64 as cfloat,
    complex128,
    complex128 as cdouble,
    float8_e4m3fn,
    float8_e5m2,
)


def _no_bfloat16(self: object, *args: object, **kwargs: object) -> object:
    """`tensor.bfloat16()` / `module.bfloat16()`: the explanation `tg.bfloat16` gives."""
    raise AttributeError(f"{type(self).__name__}.bfloat16(): NumPy has no bfloat16 type, so "
                         "tinygrad_np has no bfloat16 tensors; torch.autocast(dtype=...) changes "
                         "no dtype here, so convert with .half() or .float() instead")


Tensor.bfloat16 = nn.Module.bfloat16 = _no_bfloat16
# complex results (there are no complex tensors): torch.complex, polar, view_as_real, stft,
# t.cfloat(), ... raise saying so; out-of-scope features by name in __getattr__ above
from tinygrad_np.refused import (  # noqa: E402
    COMPLEX_FUNCTIONS as _COMPLEX_FUNCTIONS,
    COMPLEX_METHODS as _COMPLEX_METHODS,
    OUT_OF_SCOPE as _OUT_OF_SCOPE,
    OUT_OF_SCOPE_METHODS as _OUT_OF_SCOPE_METHODS,
    not_supported as _not_supported,
)

globals().update(_COMPLEX_FUNCTIONS)
for _name, _method in {**_COMPLEX_METHODS, **_OUT_OF_SCOPE_METHODS}.items():
    setattr(Tensor, _name, _method)
