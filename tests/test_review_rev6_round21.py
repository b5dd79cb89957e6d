"""Review of session 27's merges (names, dtypes, error texts): regressions found and fixed."""

from __future__ import annotations

import pytest

import tinygrad_np as tg


def test_expand_to_fewer_sizes_is_pytorchs_error_not_stop_iteration():
    # the merged words looked for a mismatched dim past the tensor's first one: StopIteration
    # escaped for zeros(1, 3).expand(3), "dimension -1" for zeros(2, 3).expand(3)
    for tensor, size in ((tg.zeros(1, 3), 3), (tg.zeros(2, 3), 3)):
        with pytest.raises(RuntimeError, match=r"the number of sizes provided \(1\) must be "
                           r"greater or equal to the number of dimensions in the tensor \(2\)"):
            tensor.expand(size)
    with pytest.raises(RuntimeError, match="non-negative"):  # (a size below -1: no StopIteration)
        tg.zeros(1, 3).expand(-2, 3)
    with pytest.raises(RuntimeError, match=r"Target sizes: \[-1, 5\]"):  # the sizes as given
        tg.zeros(3, 2).expand(-1, 5)


def test_broadcast_words_only_for_shapes_that_failed_to_broadcast():
    # op_error compared all operands' shapes as if elementwise: batched matmul, einsum and a
    # bad bias in linear got a made-up mismatch (matmul's inner sizes 3 and 4 at dim 3)
    z = tg.zeros
    with pytest.raises(RuntimeError, match=r"tensor a \(4\) must match the size of tensor b "
                       r"\(5\) at non-singleton dimension 0"):
        z(4, 2, 2, 3) @ z(5, 2, 3, 4)
    with pytest.raises(RuntimeError, match=r"tensor a \(2\) must match the size of tensor b "
                       r"\(3\) at non-singleton dimension 0"):  # (inner sizes wrong too)
        z(2, 2, 3) @ z(3, 4, 4)
    with pytest.raises(RuntimeError) as caught:
        tg.einsum("bij,bjk->bik", z(2, 2, 3), z(3, 3, 4))
    assert "must match" not in str(caught.value)
    with pytest.raises(RuntimeError, match=r"tensor a \(4\) must match the size of tensor b "
                       r"\(5\) at non-singleton dimension 1"):  # (x W^T: (2, 4) + bias (5,))
        tg.nn.functional.linear(z(2, 3), z(4, 3), z(5))
    with pytest.raises(RuntimeError, match=r"tensor a \(3\) must match the size of tensor b "
                       r"\(2\) at non-singleton dimension 1"):  # (elementwise: as before)
        z(2, 3) + z(2, 2)


def test_svdvals_eigvalsh_lu_are_outputs_of_pytorchs_one_node():
    # the merge named svdvals' and eigvalsh's slice nodes LinalgSvdBackward0/LinalgEighBackward0
    # but left their next_functions at the inner SVDBackward0/EighBackward0 (PyTorch's: the
    # input's AccumulateGrad), svdvals' output_nr 0 (PyTorch's 1), and lu's L and U next to
    # TrilBackward0/AliasBackward0, both output_nr 0 (PyTorch's 0 and 1)
    a = tg.tensor([[2.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 4.0]], requires_grad=True)
    cases = [(tg.linalg.svdvals(a), "LinalgSvdBackward0", 1),
             (tg.linalg.eigvalsh(a), "LinalgEighBackward0", 0),
             *zip(tg.linalg.lu(a)[1:], ("LinalgLuBackward0",) * 2, (0, 1))]
    for out, name, output_nr in cases:
        assert out.grad_fn.name() == name
        assert out.output_nr == output_nr
        assert [n.name() for n, _ in out.grad_fn.next_functions] == [
            "torch::autograd::AccumulateGrad"]
    s = tg.linalg.svdvals(a)
    s.pow(2).sum().backward()  # (the gradient unchanged: 2 A for sum(s^2) = ||A||_F^2)
    assert abs(a.grad.numpy() - 2 * a.detach().numpy()).max() < 1e-5


def test_solve_of_vectors_or_from_the_right_and_xlog1py_of_a_number_node_names():
    # the spelling table named Solve LinalgSolveExBackward0 but a vector B (a select after
    # it) and left=False (a transpose) showed the step's node; xlog1py(x, 2.0) is PyTorch's
    # overload 2 (as xlogy's, fixed in the merge), xlog1py(2.0, y) overload 1
    a = tg.tensor([[3.0, 1.0], [0.5, 2.0]], requires_grad=True)
    v = tg.tensor([0.5, 1.5], requires_grad=True)
    for out in (tg.linalg.solve(a, v), tg.linalg.solve(a, a, left=False), tg.linalg.solve(a, a)):
        assert out.grad_fn.name() == "LinalgSolveExBackward0"
    assert tg.special.xlog1py(v, 2.0).grad_fn.name() == "SpecialXlog1PyBackward2"
    assert tg.special.xlog1py(2.0, v).grad_fn.name() == "SpecialXlog1PyBackward1"
    assert tg.special.xlog1py(v, v).grad_fn.name() == "SpecialXlog1PyBackward0"


def test_in_place_activation_of_a_view_keeps_pytorchs_as_strided_node():
    # _node_named's in-place rename overwrote a written view's AsStridedBackward0 (PyTorch's)
    # with LeakyReluBackward1 / EluBackward1 / CopySlices; the base's node is CopySlices
    F = tg.nn.functional
    writes = (lambda v: F.leaky_relu(v, 0.1, inplace=True), lambda v: F.elu(v, inplace=True),
              lambda v: F.celu(v, inplace=True), lambda v: v.fill_diagonal_(0.0))
    for write in writes:
        x = tg.tensor([[-1.0, 2.0, -3.0], [4.0, -5.0, 6.0]], requires_grad=True)
        base = x * 1
        view = base[:, :2]
        assert write(view).grad_fn.name() == "AsStridedBackward0"
        assert base.grad_fn.name() == "torch::autograd::CopySlices"
    assert F.leaky_relu(x * 1, inplace=True).grad_fn.name() == "LeakyReluBackward1"


def test_comparison_of_shapes_that_do_not_broadcast_in_pytorchs_words():
    # the merge put PyTorch's words first for arithmetic, not comparisons ("eq: shapes ...")
    with pytest.raises(RuntimeError, match=r"^The size of tensor a \(3\) must match the size of "
                       r"tensor b \(2\) at non-singleton dimension 1 \(eq on shapes"):
        tg.zeros(2, 3) == tg.zeros(3, 2)  # noqa: B015
    with pytest.raises(ValueError, match=r"tensor b \(4\) at non-singleton dimension 1"):
        tg.zeros(2, 3) < tg.zeros(4)  # noqa: B015


def test_lerp_of_shapes_that_do_not_broadcast_names_self_end_weight_in_order():
    # the merged words came from lerp's inner step end - self: tensor a and b swapped
    with pytest.raises(RuntimeError, match=r"^The size of tensor a \(2\) must match the size of "
                       r"tensor b \(4\) at non-singleton dimension 0 \(lerp on shapes \(2, 3\), "
                       r"\(4, 3\), \(\)\)"):
        tg.lerp(tg.zeros(2, 3), tg.zeros(4, 3), 0.5)
    with pytest.raises(RuntimeError, match=r"tensor a \(2\) must match the size of tensor b "
                       r"\(4\)"):
        tg.zeros(2, 3).lerp(tg.zeros(2, 3), tg.zeros(4, 3))
    with pytest.raises(RuntimeError, match="expected dtype"):  # (other errors: as they were)
        tg.zeros(2).lerp(tg.zeros(2, dtype=tg.float64), 0.5)


def test_clamp_with_tensor_bounds_that_do_not_broadcast_in_pytorchs_words():
    # np.clip's own complaint ("objects cannot be broadcast to a single shape") kept NumPy's
    # words where the merge gave the ufuncs' PyTorch's
    with pytest.raises(RuntimeError, match=r"^The size of tensor a \(2\) must match the size of "
                       r"tensor b \(4\) at non-singleton dimension 0 \(Clip on shapes"):
        tg.zeros(2, 3).clamp(tg.zeros(4, 3))
    with pytest.raises(ValueError, match=r"tensor a \(5\) must match the size of tensor b \(3\)"):
        tg.zeros(5).clamp(max=tg.zeros(3))


def test_adaptive_max_pool3d_node_is_pytorchs():
    # the names merge gave max_pool3d, avg_pool3d, adaptive_avg_pool3d PyTorch's nodes, not
    # adaptive_max_pool3d (ViewBackward0 of its separable steps)
    x = tg.randn(1, 2, 5, 6, 4, requires_grad=True)
    assert tg.nn.functional.adaptive_max_pool3d(x, 2).grad_fn.name() == \
        "AdaptiveMaxPool3DBackward0"
    values, _ = tg.nn.functional.adaptive_max_pool3d(x, (1, 2, 3), return_indices=True)
    assert values.grad_fn.name() == "AdaptiveMaxPool3DBackward0"
    assert tg.nn.AdaptiveMaxPool3d(2)(x[0]).grad_fn.name() == "AdaptiveMaxPool3DBackward0"
