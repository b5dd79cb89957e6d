"""Round 18, torch.nn.functional probed function by function against PyTorch 2.13: one_hot's
dtype and empty-input errors, cosine_similarity with norms that overflow, gumbel_softmax on
integer logits, pixel_(un)shuffle's factor check, and embedding's second derivative with
scale_grad_by_freq."""
import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
torch.set_num_threads(1)


def _raises_like(make, error=RuntimeError):
    """Both libraries raise `error` for the same call (`make(lib)`)."""
    with pytest.raises(error):
        make(torch)
    with pytest.raises(error):
        make(tg)


@pytest.mark.parametrize("dtype", ["int32", "int16", "uint8", "int8"])
def test_one_hot_refuses_integer_dtypes_other_than_int64_as_pytorch(dtype):
    ids = np.array([0, 2, 1], dtype=dtype)
    _raises_like(lambda lib: lib.nn.functional.one_hot(lib.tensor(ids), 3))
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor"):
        F.one_hot(tg.tensor(ids))


def test_one_hot_of_an_empty_tensor_needs_num_classes():
    empty = np.zeros((0,), dtype=np.int64)
    _raises_like(lambda lib: lib.nn.functional.one_hot(lib.tensor(empty)))
    with pytest.raises(RuntimeError, match="Can not infer total number of classes"):
        F.one_hot(tg.tensor(empty), -1)
    for shape, classes in [((0,), 3), ((2, 0), 4)]:
        ids = np.zeros(shape, dtype=np.int64)
        ours = F.one_hot(tg.tensor(ids), classes)
        theirs = TF.one_hot(torch.tensor(ids), classes)
        assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype == tg.int64


def test_one_hot_int64_still_matches_pytorch():
    ids = np.array([[3, 0], [1, 3]])
    for classes in (-1, 4, 6):
        np.testing.assert_array_equal(F.one_hot(tg.tensor(ids), classes).numpy(),
                                      TF.one_hot(torch.tensor(ids), classes).numpy())


@pytest.mark.parametrize("scale,dtype", [(1e200, "float64"), (1e30, "float32")])
def test_cosine_similarity_of_vectors_whose_norm_overflows_is_pytorchs_zero_not_nan(scale, dtype):
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal((4, 5)) * scale).astype(dtype), (rng.standard_normal((4, 5))
                                                                * scale).astype(dtype)
    ours = F.cosine_similarity(tg.tensor(a), tg.tensor(b)).numpy()
    theirs = TF.cosine_similarity(torch.tensor(a), torch.tensor(b)).numpy()
    np.testing.assert_array_equal(ours, theirs)
    assert not np.isnan(ours).any()


def test_cosine_similarity_zero_vectors_and_eps_unchanged():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    a[1] = 0.0
    for eps in (1e-8, 5.0):
        ta, tb = (tg.tensor(x, requires_grad=True) for x in (a, b))
        pa, pb = (torch.tensor(x, requires_grad=True) for x in (a, b))
        ours, theirs = F.cosine_similarity(ta, tb, eps=eps), TF.cosine_similarity(pa, pb, eps=eps)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-12)
        weights = np.arange(1.0, 5.0)
        (ours * tg.tensor(weights)).sum().backward()
        (theirs * torch.tensor(weights)).sum().backward()
        np.testing.assert_allclose(ta.grad.numpy(), pa.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(tb.grad.numpy(), pb.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_gumbel_softmax_refuses_non_float_logits_as_pytorch(dtype):
    logits = np.ones((2, 3)).astype(dtype)
    _raises_like(lambda lib: lib.nn.functional.gumbel_softmax(lib.tensor(logits)))
    with pytest.raises(TypeError, match="gumbel_softmax"):
        F.gumbel_softmax(tg.tensor(logits), hard=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gumbel_softmax_float_logits_keep_their_dtype(dtype):
    out = F.gumbel_softmax(tg.tensor(np.zeros((3, 4), dtype=dtype)), tau=0.5, hard=True)
    assert out.dtype == tg.tensor(np.zeros(1, dtype=dtype)).dtype
    np.testing.assert_array_equal(out.numpy().sum(-1), np.ones(3))


@pytest.mark.parametrize("factor", [0, -1, -2])
@pytest.mark.parametrize("name,shape", [("pixel_shuffle", (2, 8, 3, 4)),
                                        ("pixel_unshuffle", (2, 2, 4, 4))])
def test_pixel_shuffle_factor_must_be_positive(name, factor, shape):
    x = np.ones(shape)
    _raises_like(lambda lib: getattr(lib.nn.functional, name)(lib.tensor(x), factor))
    with pytest.raises(RuntimeError, match=f"{name} expects a positive"):
        getattr(F, name)(tg.tensor(x), factor)


def _embedding_second_grad(lib, table, ids, padding_idx, by_freq):
    weight = lib.tensor(table, requires_grad=True)
    rows = lib.nn.functional.embedding(lib.tensor(ids), weight, padding_idx=padding_idx,
                                       scale_grad_by_freq=by_freq)
    mix = lib.tensor(np.sin(np.arange(rows.numel())).reshape(tuple(rows.shape)))
    (first,) = lib.autograd.grad((rows ** 2 * mix).sum(), [weight], create_graph=True)
    (second,) = lib.autograd.grad((first * first).sum(), [weight])
    return first.detach().numpy(), second.numpy()


def _first_grad_squared_norm(table, ids, padding_idx, by_freq):
    weight = tg.tensor(table, requires_grad=True)
    rows = F.embedding(tg.tensor(ids), weight, padding_idx=padding_idx,
                       scale_grad_by_freq=by_freq)
    mix = tg.tensor(np.sin(np.arange(rows.numel())).reshape(tuple(rows.shape)))
    (first,) = tg.autograd.grad((rows ** 2 * mix).sum(), [weight])
    return float((first.numpy() ** 2).sum())


@pytest.mark.parametrize("padding_idx,by_freq", [(None, True), (1, True), (1, False),
                                                 (None, False)])
def test_embedding_second_derivative_with_scale_grad_by_freq(padding_idx, by_freq):
    table = np.random.default_rng(3).standard_normal((4, 3))
    ids = [[1, 2, 2], [0, 2, 3]]
    ours = _embedding_second_grad(tg, table, ids, padding_idx, by_freq)
    theirs = _embedding_second_grad(torch, table, ids, padding_idx, by_freq)
    np.testing.assert_allclose(ours[0], theirs[0], atol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], atol=1e-10)
    step, central = 1e-6, np.zeros_like(table)  # float64 central differences of |dW|^2
    for i in np.ndindex(table.shape):
        up, down = table.copy(), table.copy()
        up[i] += step
        down[i] -= step
        central[i] = (_first_grad_squared_norm(up, ids, padding_idx, by_freq)
                      - _first_grad_squared_norm(down, ids, padding_idx, by_freq)) / (2 * step)
    np.testing.assert_allclose(ours[1], central, atol=1e-6)


def test_embedding_bag_by_freq_second_derivative_matches_pytorch():
    # ids whose counts PyTorch 2.13's CPU embedding_bag reads right (its first-order
    # scale_grad_by_freq bug, pytorch#190063, hits a single id sorting after a repeated one)
    table = np.random.default_rng(4).standard_normal((5, 2))
    ids, offsets = np.array([0, 1, 2, 4, 4]), np.array([0, 2])
    grads = []
    for lib in (tg, torch):
        weight = lib.tensor(table, requires_grad=True)
        out = lib.nn.functional.embedding_bag(lib.tensor(ids), weight ** 3, lib.tensor(offsets),
                                              mode="sum", scale_grad_by_freq=True)
        (first,) = lib.autograd.grad(out.sum(), [weight], create_graph=True)
        grads.append((first.detach().numpy(),
                      lib.autograd.grad((first ** 2).sum(), [weight])[0].numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], atol=1e-12)
    np.testing.assert_allclose(grads[0][1], grads[1][1], atol=1e-10)
    counts = np.bincount(ids, minlength=5)[:, None]  # d/dW of |3 W^2 (count / count)|^2
    np.testing.assert_allclose(grads[0][1], 36 * table ** 3 * (counts > 0), atol=1e-10)


def test_interpolate_recompute_scale_factor_with_an_explicit_size_is_a_value_error():
    x = np.ones((1, 2, 3, 4))
    _raises_like(lambda lib: lib.nn.functional.interpolate(
        lib.tensor(x), size=(5, 6), recompute_scale_factor=True), ValueError)
    with pytest.raises(ValueError, match="recompute_scale_factor is not meaningful"):
        F.interpolate(tg.tensor(x), size=5, mode="bilinear", recompute_scale_factor=True)
    for flag in (False, None):  # a false flag with a size is fine in both
        ours = F.interpolate(tg.tensor(x), size=(5, 6), recompute_scale_factor=flag)
        theirs = TF.interpolate(torch.tensor(x), size=(5, 6), recompute_scale_factor=flag)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name,shape", [("adaptive_avg_pool2d", (1, 2, 5, 6)),
                                        ("adaptive_max_pool2d", (1, 2, 5, 6)),
                                        ("adaptive_avg_pool3d", (1, 2, 3, 5, 6)),
                                        ("adaptive_max_pool3d", (1, 2, 3, 5, 6))])
def test_adaptive_pool_bare_none_output_size_is_a_type_error_but_none_per_axis_keeps_it(
        name, shape):
    x = np.random.default_rng(5).standard_normal(shape)
    _raises_like(lambda lib: getattr(lib.nn.functional, name)(lib.tensor(x), None), TypeError)
    sizes = (None,) + (2,) * (len(shape) - 3)
    ours = getattr(F, name)(tg.tensor(x), sizes)
    theirs = getattr(TF, name)(torch.tensor(x), sizes)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-12)


@pytest.mark.parametrize("name", ["layer_norm", "rms_norm"])
def test_empty_normalized_shape_is_refused_as_pytorch(name):
    x = np.ones((2, 3))
    _raises_like(lambda lib: getattr(lib.nn.functional, name)(lib.tensor(x), ()))
    with pytest.raises(RuntimeError, match="at least 1-dimensional"):
        getattr(F, name)(tg.tensor(x), [])


@pytest.mark.parametrize("shape,size", [((2, 4, 5), 2), ((2, 6, 5, 3), 3), ((1, 5, 2, 3, 2), 4)])
def test_local_response_norm_of_int64_is_pytorchs_integer_average(shape, size):
    x = np.random.default_rng(6).integers(-40, 40, shape)
    ours = F.local_response_norm(tg.tensor(x), size, alpha=1.0, beta=0.5, k=2.0)
    theirs = TF.local_response_norm(torch.tensor(x), size, alpha=1.0, beta=0.5, k=2.0)
    assert ours.dtype == tg.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    squares = np.pad(x * x, [(0, 0), (size // 2, (size - 1) // 2)] + [(0, 0)] * (len(shape) - 2))
    window_sums = sum(squares[:, i:i + shape[1]] for i in range(size))
    expected = x / (2.0 + (window_sums // size)) ** 0.5  # integer mean, then float
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool"])
def test_local_response_norm_refuses_other_integer_dtypes(dtype):
    x = np.ones((2, 4, 5)).astype(dtype)
    _raises_like(lambda lib: lib.nn.functional.local_response_norm(lib.tensor(x), 2))
    empty = np.ones((0, 4, 5)).astype(dtype)  # an empty input comes back as it is
    assert F.local_response_norm(tg.tensor(empty), 2).dtype == tg.tensor(empty).dtype


@pytest.mark.parametrize("size", [[1, 2, 0, 4], [0, 2, 3, 4], [1, 0, 3, 4], [1, 2, 3, 4, 0]])
def test_affine_grid_refuses_a_zero_output_size_as_pytorch(size):
    theta = np.zeros((size[0], len(size) - 2, len(size) - 1))
    _raises_like(lambda lib: lib.nn.functional.affine_grid(lib.tensor(theta), size,
                                                           align_corners=False), ValueError)
    with pytest.raises(ValueError, match="Expected non-zero, positive output size"):
        F.affine_grid(tg.tensor(theta), size, align_corners=True)


def _sdpa_pair(shapes, **kwargs):
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    results = []
    for lib in (tg, torch):
        tensors = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = lib.nn.functional.scaled_dot_product_attention(*tensors, **kwargs)
        weights = lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)))
        grads = lib.autograd.grad((out * weights).sum(), tensors)
        results.append([out.detach().numpy()] + [g.numpy() for g in grads])
    return results


@pytest.mark.parametrize("shapes", [
    [(2, 6, 4, 8), (2, 2, 5, 8), (2, 6, 5, 3)],   # key 2 heads, value 6
    [(2, 6, 4, 8), (2, 3, 5, 8), (2, 2, 5, 3)],   # key 3 heads, value 2
    [(2, 6, 4, 8), (1, 3, 5, 8), (1, 2, 5, 3)],   # and a broadcast batch
    [(6, 4, 8), (3, 5, 8), (1, 5, 3)]])
def test_sdpa_enable_gqa_repeats_key_and_value_heads_each_on_its_own(shapes):
    ours, theirs = _sdpa_pair(shapes, enable_gqa=True)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, atol=1e-10)


@pytest.mark.parametrize("heads", [(6, 4, 4), (6, 3, 4), (2, 4, 4)])
def test_sdpa_enable_gqa_heads_that_do_not_divide_are_refused(heads):
    shapes = [(1, h, 3, 4) for h in heads]
    _raises_like(lambda lib: lib.nn.functional.scaled_dot_product_attention(
        *[lib.zeros(s) for s in shapes], enable_gqa=True))
    with pytest.raises(RuntimeError, match="must divide the number of heads"):
        F.scaled_dot_product_attention(*[tg.zeros(s) for s in shapes], enable_gqa=True)


def test_sdpa_dropout_p_one_gives_zeros_not_nan():
    ours, theirs = _sdpa_pair([(2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5)], dropout_p=1.0)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
        assert not a.any()


@pytest.mark.parametrize("shapes", [[(2, 4, 8), (2, 5, 7), (2, 5, 3)],
                                    [(2, 4, 8), (2, 5, 8), (2, 6, 3)]])
def test_sdpa_mismatched_feature_or_key_lengths_name_the_function_and_shapes(shapes):
    _raises_like(lambda lib: lib.nn.functional.scaled_dot_product_attention(
        *[lib.zeros(s) for s in shapes]))
    with pytest.raises(RuntimeError, match=r"scaled_dot_product_attention: .*query \(2, 4, 8\)"):
        F.scaled_dot_product_attention(*[tg.zeros(s) for s in shapes])


@pytest.mark.parametrize("bias_shape", [(1, 5), (1,)])
def test_bilinear_bias_must_have_the_weights_out_size(bias_shape):
    arrays = [np.ones((3, 4)), np.ones((3, 2)), np.ones((5, 4, 2)), np.ones(bias_shape)]
    _raises_like(lambda lib: lib.nn.functional.bilinear(*[lib.tensor(a) for a in arrays]))
    with pytest.raises(RuntimeError, match=r"bias size does not match weight size.*\(5,\)"):
        F.bilinear(*[tg.tensor(a) for a in arrays])
    good = [np.random.default_rng(8).standard_normal(a.shape[:-1] + (a.shape[-1],))
            for a in arrays[:3]] + [np.arange(5.0)]
    np.testing.assert_allclose(F.bilinear(*[tg.tensor(a) for a in good]).numpy(),
                               TF.bilinear(*[torch.tensor(a) for a in good]).numpy(), atol=1e-12)


def test_embedding_bag_max_mode_refuses_scale_grad_by_freq():
    ids, offsets, table = np.array([0, 1, 1]), np.array([0, 2]), np.ones((3, 2))
    _raises_like(lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor(ids), lib.tensor(table), lib.tensor(offsets), mode="max",
        scale_grad_by_freq=True), ValueError)
    for mode in ("sum", "mean"):  # the other modes take it
        out = F.embedding_bag(tg.tensor(ids), tg.tensor(table), tg.tensor(offsets), mode=mode,
                              scale_grad_by_freq=True)
        assert tuple(out.shape) == (2, 2)


@pytest.mark.parametrize("shape", [(), (4,)])
def test_feature_alpha_dropout_needs_two_dims_in_training(shape):
    x = np.ones(shape)
    _raises_like(lambda lib: lib.nn.functional.feature_alpha_dropout(lib.tensor(x), 0.5, True))
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions"):
        F.feature_alpha_dropout(tg.tensor(x), 0.3, training=True)
    for p, training in ((0.5, False), (0.0, True), (1.0, True)):  # no draw: no check, as PyTorch
        ours = F.feature_alpha_dropout(tg.tensor(x), p, training)
        theirs = TF.feature_alpha_dropout(torch.tensor(x), p, training)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_local_response_norm_of_huge_values_is_silent_and_pytorchs():
    import warnings

    x = np.random.default_rng(9).standard_normal((1, 3, 4)) * 1e200
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours_in = tg.tensor(x, requires_grad=True)
        ours = F.local_response_norm(ours_in, 2)
        ours.sum().backward()
    theirs_in = torch.tensor(x, requires_grad=True)
    theirs = TF.local_response_norm(theirs_in, 2)
    theirs.sum().backward()
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    np.testing.assert_array_equal(ours_in.grad.numpy(), theirs_in.grad.numpy())


@pytest.mark.parametrize("name", ["conv1d", "conv2d", "conv3d", "conv_transpose2d", "unfold",
                                  "fold", "lp_pool1d", "embedding_max_norm"])
def test_functional_ops_past_the_float_range_give_inf_or_nan_without_numpy_warnings(name):
    import warnings

    rng = np.random.default_rng(10)
    big = {"conv1d": [(1, 1, 3), (1, 1, 2)], "conv2d": [(1, 1, 3, 3), (1, 1, 2, 2)],
           "conv3d": [(1, 1, 3, 3, 3), (1, 1, 2, 2, 2)],
           "conv_transpose2d": [(1, 1, 3, 3), (1, 1, 2, 2)], "unfold": [(1, 1, 4, 4)],
           "fold": [(1, 4, 4)], "lp_pool1d": [(1, 1, 4)], "embedding_max_norm": [(3, 2)]}[name]
    arrays = [rng.standard_normal(shape) * 1e200 for shape in big]
    if name == "fold":
        arrays = [rng.standard_normal(big[0]) * 1e307]

    def call(lib, *tensors):
        functional = lib.nn.functional
        if name == "unfold":
            return functional.unfold(tensors[0] * 1e107, 2)
        if name == "fold":
            return functional.fold(tensors[0], (3, 3), 2)
        if name == "lp_pool1d":
            return functional.lp_pool1d(tensors[0], 3, 2)
        if name == "embedding_max_norm":
            return functional.embedding(lib.tensor([0, 1]), tensors[0], max_norm=1.0)
        return getattr(functional, name)(*tensors)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = call(tg, *[tg.tensor(a) for a in arrays])
    theirs = call(torch, *[torch.tensor(a) for a in arrays]).numpy()
    # where inf meets -inf depends on the summation order: compare which entries overflowed
    np.testing.assert_array_equal(np.isfinite(ours.numpy()), np.isfinite(theirs))
    finite = np.isfinite(theirs)
    np.testing.assert_allclose(ours.numpy()[finite], theirs[finite], rtol=1e-12)


@pytest.mark.parametrize("mode", ["bicubic", "bilinear", "nearest", "area"])
def test_interpolate_of_inf_and_nan_is_silent_and_keeps_them_local_as_pytorch(mode):
    import warnings

    x = np.random.default_rng(11).standard_normal((1, 1, 4, 4))
    x[0, 0, 0, 0], x[0, 0, 3, 3], x[0, 0, 1, 2] = np.inf, -np.inf, np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = F.interpolate(tg.tensor(x), scale_factor=2, mode=mode).numpy()
    theirs = TF.interpolate(torch.tensor(x), scale_factor=2, mode=mode).numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours[~np.isnan(theirs)], theirs[~np.isnan(theirs)], rtol=1e-10)


def test_local_response_norm_size_not_an_int_is_a_type_error():
    x = np.ones((1, 3, 4))
    _raises_like(lambda lib: lib.nn.functional.local_response_norm(lib.tensor(x), 2.0), TypeError)
    with pytest.raises(RuntimeError, match="size must be a positive int"):
        F.local_response_norm(tg.tensor(x), 0)


@pytest.mark.parametrize("mode,shape,pads", [("reflect", (5, 5, 2), (-1, -1)),
                                             ("replicate", (4, 2), (-1, -2)),
                                             ("replicate", (2, 3), (-2, -2)),
                                             ("replicate", (1, 2, 5), (-1, 4, -2, -1))])
def test_non_constant_pad_cropping_a_dim_to_nothing_is_refused(mode, shape, pads):
    x = np.arange(float(np.prod(shape))).reshape(shape)
    _raises_like(lambda lib: lib.nn.functional.pad(lib.tensor(x), pads, mode=mode))
    with pytest.raises(RuntimeError, match="is too small. Calculated output"):
        F.pad(tg.tensor(x), pads, mode=mode)


def test_non_constant_negative_pads_that_leave_something_still_match_pytorch():
    x = np.random.default_rng(12).standard_normal((2, 3, 5))
    for mode, pads in [("reflect", (-1, 2)), ("replicate", (-2, -1)), ("replicate", (3, -4))]:
        np.testing.assert_array_equal(F.pad(tg.tensor(x), pads, mode=mode).numpy(),
                                      TF.pad(torch.tensor(x), pads, mode=mode).numpy())


@pytest.mark.parametrize("channels,output_size", [(8, 3), (12, (3, 4))])
def test_fold_of_an_empty_batch_is_an_empty_result(channels, output_size):
    x = np.zeros((0, channels, 4 if output_size == 3 else 6))
    ours = F.fold(tg.tensor(x, requires_grad=True), output_size, 2)
    theirs = TF.fold(torch.tensor(x), output_size, 2)
    assert tuple(ours.shape) == tuple(theirs.shape)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_max_unpool_of_an_empty_batch_is_an_empty_result(dims):
    x = np.zeros((0, 2) + (4,) * dims)
    shapes = []
    for lib in (tg, torch):
        functional = lib.nn.functional
        pooled, indices = getattr(functional, f"max_pool{dims}d")(lib.tensor(x), 2,
                                                                  return_indices=True)
        shapes.append(tuple(getattr(functional, f"max_unpool{dims}d")(pooled, indices, 2).shape))
    assert shapes[0] == shapes[1] == (0, 2) + (4,) * dims
