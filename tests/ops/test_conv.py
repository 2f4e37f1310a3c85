"""conv2d, max_pool2d, avg_pool2d: finite differences over strides, paddings, non-square
kernels, with and without bias; PyTorch parity including max-pool ties."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.nn import functional as F
from chainrule.ops.conv import pair
from gradcheck import distinct, fd_check, parity, randn, rng

# (input shape, weight shape, stride, padding)
CONV_CASES = [
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 0),
    ((1, 2, 6, 5), (3, 2, 3, 3), 2, 1),
    ((2, 2, 5, 6), (2, 2, 2, 3), (2, 1), (1, 2)),   # non-square kernel, stride, padding
    ((1, 3, 4, 4), (2, 3, 1, 1), 1, 0),             # 1x1
    ((1, 1, 7, 6), (2, 1, 3, 2), 3, (0, 1)),        # stride that skips the last rows
    ((2, 2, 3, 3), (1, 2, 3, 3), 1, 2),             # padding larger than needed
    ((2, 2, 6, 7), (3, 2, 3, 2), (1, 2), (2, 1)),   # stride 1 down the rows only
    ((1, 2, 4, 1), (2, 2, 2, 1), (1, 3), (1, 2)),   # no output sees the image's only column
]


def _conv_id(case):
    x, w, s, p = case
    return f"x{x}-w{w}-s{s}-p{p}"


def _conv(stride, padding):
    def fn(x, w, b=None):
        return F.conv2d(x, w, b, stride=stride, padding=padding)
    return fn


def _torch_conv(stride, padding):
    torch = pytest.importorskip("torch")

    def fn(x, w, b=None):
        return torch.nn.functional.conv2d(x, w, b, stride=stride, padding=padding)
    return fn


# ------------------------------------------------------------------ conv2d
@pytest.mark.parametrize("case", CONV_CASES, ids=_conv_id)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_fd(case, bias):
    xs, ws, stride, padding = case
    x, w, b = randn(*xs, seed=1), randn(*ws, seed=2), randn(ws[0], seed=3)
    args = (x, w, b) if bias else (x, w)
    fd_check(_conv(stride, padding), *args)


def test_conv2d_forward_matches_direct_sum():
    """An independent reference for the forward pass: the defining sum, looped."""
    x, w, b = randn(2, 3, 5, 6, seed=4), randn(4, 3, 2, 3, seed=5), randn(4, seed=6)
    stride, padding = (2, 1), (1, 2)
    out = F.conv2d(cr.tensor(x), cr.tensor(w), cr.tensor(b), stride=stride, padding=padding).detach().numpy()
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (2, 2)))
    oh, ow = (5 + 2 - 2) // 2 + 1, (6 + 4 - 3) // 1 + 1
    expected = np.zeros((2, 4, oh, ow))
    for n in range(2):
        for o in range(4):
            for i in range(oh):
                for j in range(ow):
                    expected[n, o, i, j] = np.sum(w[o] * xp[n, :, 2 * i:2 * i + 2, j:j + 3]) + b[o]
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("requires_grad", [[False, True, False], [False, False, True], [True, False, True]])
def test_conv2d_some_inputs_require_grad_fd(requires_grad):
    """The weight and bias gradients come from one product when both are wanted, each alone otherwise."""
    fd_check(_conv(1, 1), randn(1, 2, 4, 4, seed=7), randn(3, 2, 3, 3, seed=8), randn(3, seed=9),
             requires_grad=requires_grad)


@pytest.mark.parametrize("case", CONV_CASES, ids=_conv_id)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_parity(case, bias):
    xs, ws, stride, padding = case
    x, w, b = randn(*xs, seed=1), randn(*ws, seed=2), randn(ws[0], seed=3)
    args = (x, w, b) if bias else (x, w)
    parity(_conv(stride, padding), _torch_conv(stride, padding), *args)


def test_conv2d_channel_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match="conv2d") as info:
        F.conv2d(cr.randn(1, 3, 5, 5), cr.randn(4, 2, 3, 3))
    assert "(1, 3, 5, 5)" in str(info.value) and "(4, 2, 3, 3)" in str(info.value)


def test_conv2d_needs_4d_input_and_fitting_kernel():
    with pytest.raises(ValueError, match="conv2d.*4-d"):
        F.conv2d(cr.randn(3, 5, 5), cr.randn(4, 3, 3, 3))
    with pytest.raises(ValueError, match="conv2d.*kernel"):
        F.conv2d(cr.randn(1, 3, 2, 2), cr.randn(4, 3, 3, 3))


def test_conv2d_integer_input_names_dtype():
    with pytest.raises(TypeError, match="int64"):
        F.conv2d(cr.tensor(np.ones((1, 1, 3, 3), np.int64)), cr.randn(1, 1, 2, 2))


# ------------------------------------------------------------------ pooling
# (input shape, kernel, stride, padding)
POOL_CASES = [
    ((2, 2, 4, 4), 2, None, 0),            # the classic non-overlapping 2x2
    ((1, 2, 5, 5), 3, 1, 0),               # overlapping windows
    ((1, 1, 5, 6), 3, 2, 1),               # overlapping, padded
    ((2, 1, 5, 7), (2, 3), (1, 2), (1, 1)),  # non-square kernel and stride
    ((1, 2, 7, 5), (3, 2), (3, 2), 0),     # stride that skips the edge
]


def _pool_id(case):
    x, k, s, p = case
    return f"x{x}-k{k}-s{s}-p{p}"


@pytest.mark.parametrize("case", POOL_CASES, ids=_pool_id)
def test_max_pool2d_fd(case):
    xs, k, s, p = case
    # pairwise-distinct values: no ties, so the max is differentiable at x
    fd_check(lambda t: F.max_pool2d(t, k, s, p), distinct(xs, seed=10))


@pytest.mark.parametrize("case", POOL_CASES, ids=_pool_id)
def test_avg_pool2d_fd(case):
    xs, k, s, p = case
    fd_check(lambda t: F.avg_pool2d(t, k, s, p), randn(*xs, seed=11))


@pytest.mark.parametrize("case", POOL_CASES, ids=_pool_id)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_parity(case, kind):
    torch = pytest.importorskip("torch")
    xs, k, s, p = case
    ours = {"max": F.max_pool2d, "avg": F.avg_pool2d}[kind]
    theirs = {"max": torch.nn.functional.max_pool2d, "avg": torch.nn.functional.avg_pool2d}[kind]
    parity(lambda t: ours(t, k, s, p), lambda t: theirs(t, k, s, p), randn(*xs, seed=12))


@pytest.mark.parametrize("case", POOL_CASES, ids=_pool_id)
def test_max_pool2d_ties_follow_torch(case):
    """Small integers make ties in almost every window (and shared elements in the
    overlapping ones): the gradient must go exactly where PyTorch sends it."""
    torch = pytest.importorskip("torch")
    xs, k, s, p = case
    for seed in range(3):
        x = rng(seed).integers(-1, 2, size=xs).astype(np.float32)
        # Overlapping windows add several upstream gradients into one element, in another
        # order than PyTorch (1-ulp differences), hence tolerances rather than equality;
        # where the gradient goes must match exactly: a misplaced one is an O(1) error
        # and changes the pattern of non-zeros.
        cts, tts, _, _ = parity(lambda t: F.max_pool2d(t, k, s, p),
                                lambda t: torch.nn.functional.max_pool2d(t, k, s, p), x, seed=seed)
        np.testing.assert_array_equal(cts[0].grad.detach().numpy() != 0, tts[0].grad.numpy() != 0)


def test_max_pool2d_constant_input_sends_gradient_to_first_element():
    torch = pytest.importorskip("torch")
    x = np.zeros((1, 1, 4, 4), np.float32)
    cts, _, _, _ = parity(lambda t: F.max_pool2d(t, 2), lambda t: torch.nn.functional.max_pool2d(t, 2),
                          x, exact=True)
    nonzero = np.argwhere(cts[0].grad.detach().numpy()[0, 0] != 0).tolist()
    assert nonzero == [[0, 0], [0, 2], [2, 0], [2, 2]]


@pytest.mark.parametrize("x, kernel, stride, padding", [
    ([[1.0, np.nan], [3.0, 2.0]], 2, None, 0),                                  # NaN wins its window
    ([[1.0, 2.0, np.nan], [3.0, 4.0, 1.0], [0.0, 1.0, 2.0]], 2, 1, 0),           # overlapping windows
    ([[np.nan, 1.0, np.nan, 0.0], [np.nan, 2.0, -np.inf, -np.inf]], 2, None, 0),  # the last NaN; all −∞
    ([[-np.inf, -np.inf], [-np.inf, -np.inf]], 2, 1, 1),                         # −∞ beats the padding
], ids=["nan", "nan-overlapping", "nans-and-minus-inf", "minus-inf-padded"])
def test_max_pool2d_non_finite_windows_follow_torch(x, kernel, stride, padding):
    """A window's NaN is its maximum (the last NaN where there are several), and a window of
    −∞ sends its gradient to its first real element, never to the padding, as in PyTorch."""
    torch = pytest.importorskip("torch")
    x = np.array(x)[None, None]
    ours = cr.tensor(x, requires_grad=True)
    out = F.max_pool2d(ours, kernel, stride, padding)
    out.sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.max_pool2d(theirs, kernel, stride, padding)
    expected.sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    np.testing.assert_array_equal(ours.grad.detach().numpy(), theirs.grad.numpy())


def test_max_pool2d_padding_is_minus_infinity():
    torch = pytest.importorskip("torch")
    # all-negative input: zero padding would win every border window
    x = -rng(13).uniform(1, 2, size=(1, 1, 4, 4))
    _, _, co, _ = parity(lambda t: F.max_pool2d(t, 3, 2, 1),
                         lambda t: torch.nn.functional.max_pool2d(t, 3, 2, 1), x, exact=True)
    assert np.all(co.detach().numpy() < 0)


def test_avg_pool2d_padding_counts_in_the_mean():
    x = np.ones((1, 1, 2, 2))
    out = F.avg_pool2d(cr.tensor(x), 3, 1, 1).detach().numpy()
    np.testing.assert_allclose(out, np.full((1, 1, 2, 2), 4 / 9))


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
def test_pool_errors(pool):
    with pytest.raises(ValueError, match="pool2d.*padding"):
        pool(cr.randn(1, 1, 4, 4), 2, 2, 2)
    with pytest.raises(ValueError, match="pool2d.*4-d"):
        pool(cr.randn(4, 4), 2)


# ------------------------------------------------- both weight-gradient products
@pytest.fixture(params=["one product", "per row"])
def weight_product(request, monkeypatch):
    """Force the weight gradient onto one product or onto one product per output row."""
    from chainrule.ops import conv

    monkeypatch.setattr(conv, "_SKINNY_WEIGHT", 0 if request.param == "one product" else 10**9)
    return request.param


@pytest.mark.parametrize("case", CONV_CASES[:3], ids=_conv_id)
def test_conv2d_weight_products_fd_and_parity(case, weight_product):
    xs, ws, stride, padding = case
    x, w, b = randn(*xs, seed=7), randn(*ws, seed=8), randn(ws[0], seed=9)
    fd_check(_conv(stride, padding), x, w, b)
    parity(_conv(stride, padding), _torch_conv(stride, padding),
           x.astype(np.float32), w.astype(np.float32), b.astype(np.float32))


# ------------------------------------------------- the input gradient by kernel rows
STRIDE_1_ROWS = [case for case in CONV_CASES if pair(case[2])[0] == 1]


@pytest.fixture(params=["BLAS", "NumPy"])
def products(request, monkeypatch):
    """The kernel-row products by NumPy's BLAS directly, or by the NumPy fallback of ``addmm``."""
    from chainrule import _blas

    if request.param == "NumPy":
        monkeypatch.setattr(_blas, "_GEMMS", {})
    return request.param


@pytest.mark.parametrize("case", STRIDE_1_ROWS, ids=_conv_id)
def test_conv2d_input_gradient_by_kernel_rows_fd_and_parity(case, products):
    xs, ws, stride, padding = case
    x, w = randn(*xs, seed=3), randn(*ws, seed=4)
    fd_check(_conv(stride, padding), x, w)
    parity(_conv(stride, padding), _torch_conv(stride, padding), x.astype(np.float32), w.astype(np.float32))


@pytest.mark.parametrize("case", STRIDE_1_ROWS, ids=_conv_id)
def test_kernel_rows_equal_scattering_the_patch_gradient(case):
    """At stride 1 down the rows, the two ways to the input gradient agree to the rounding."""
    from chainrule.ops.conv import _geometry, _Patches

    xs, ws, stride, padding = case
    geometry = ((ws[2], ws[3]), pair(stride), pair(padding))
    out_hw = _geometry("conv2d", xs, *geometry)
    patches = _Patches(xs, *geometry, out_hw)
    w, g = randn(*ws, seed=5), randn(ws[0], out_hw[0] * out_hw[1] * xs[0], seed=6)
    by_rows = patches._input_grad_by_kernel_rows(w, g)
    scattered = patches._scatter(w.reshape(ws[0], -1).T @ g)
    np.testing.assert_allclose(by_rows, scattered, rtol=1e-12, atol=1e-12)


# ------------------------------------------------- convolution by kernel rows
# Cases where kernel rows apply (stride 1 down the rows, 2·ph < kH), with column strides and
# paddings, non-square kernels, and columns that see nothing but padding.
KERNEL_ROW_CASES = [case for case in CONV_CASES if pair(case[2])[0] == 1 and 2 * pair(case[3])[0] < case[1][2]] + [
    ((2, 3, 5, 6), (4, 3, 3, 2), (1, 2), (1, 1)),
    ((2, 2, 6, 5), (3, 2, 5, 3), 1, (2, 0)),
    ((1, 2, 3, 4), (2, 2, 3, 3), 1, (1, 3)),
    ((2, 2, 1, 4), (3, 2, 3, 1), 1, (1, 0)),   # one image row: only the middle kernel row reaches it
]


@pytest.mark.parametrize("case", KERNEL_ROW_CASES, ids=_conv_id)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_fd_and_parity_both_ways(case, bias, unfolding, products):
    from chainrule.ops import conv

    xs, ws, stride, padding = case
    x, w, b = randn(*xs, seed=10), randn(*ws, seed=11), randn(ws[0], seed=12)
    args = (x, w, b) if bias else (x, w)
    geometry = ((ws[2], ws[3]), pair(stride), pair(padding))
    chosen = conv._unfolding(xs, *geometry, conv._geometry("conv2d", xs, *geometry))
    assert isinstance(chosen, conv._KernelRows) == (unfolding == "kernel rows")
    fd_check(_conv(stride, padding), *args)
    parity(_conv(stride, padding), _torch_conv(stride, padding), *(a.astype(np.float32) for a in args))


@pytest.mark.parametrize("case", KERNEL_ROW_CASES, ids=_conv_id)
def test_kernel_rows_equal_the_patch_matrix(case):
    """Output, ∂L/∂W and ∂L/∂b by kernel rows and by the patch matrix agree to the rounding."""
    from chainrule.ops.conv import _geometry, _KernelRows, _Patches

    xs, ws, stride, padding = case
    geometry = ((ws[2], ws[3]), pair(stride), pair(padding))
    out_hw = _geometry("conv2d", xs, *geometry)
    x, w, b = randn(*xs, seed=13), randn(*ws, seed=14), randn(ws[0], seed=15)
    g = randn(ws[0], out_hw[0] * out_hw[1] * xs[0], seed=16)
    by_rows, by_patches = _KernelRows(xs, *geometry, out_hw), _Patches(xs, *geometry, out_hw)
    np.testing.assert_allclose(by_rows.forward(x, w, b), by_patches.forward(x, w, b), rtol=1e-12, atol=1e-12)
    for got, want in zip(by_rows.weight_grad(g, ws, True), by_patches.weight_grad(g, ws, True)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("batch_last", [True, False])
def test_kernel_row_matrix_matches_its_definition(batch_last):
    """Q[(c, q), (t, j, n)] = x_pad[n, c, t + ph, j·sw + q], for every small geometry it serves."""
    from chainrule.ops.conv import _geometry, _KernelRows

    for h, w, kh, kw, sw, ph, pw in np.ndindex(3, 3, 3, 2, 2, 2, 3):
        h, w, kh, kw, sw = h + 1, w + 2, kh + 1, kw + 1, sw + 1
        if 2 * ph >= kh or kh > h + 2 * ph or kw > w + 2 * pw:
            continue
        x = randn(2, 3, h, w, seed=h * w)
        if batch_last:
            x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
        geometry = ((kh, kw), (1, sw), (ph, pw))
        oh, ow = _geometry("conv2d", x.shape, *geometry)
        xp = np.pad(x, ((0, 0), (0, 0), (0, 0), (pw, pw)))
        want = np.stack([xp[:, :, :, q:q + sw * (ow - 1) + 1:sw] for q in range(kw)])  # [q, n, c, t, j]
        want = want.transpose(2, 0, 3, 4, 1).reshape(3 * kw, -1)
        matrix = _KernelRows(x.shape, *geometry, (oh, ow)).gather_rows(x, ones_row=True)
        np.testing.assert_array_equal(matrix[:-1], want, err_msg=str(geometry))
        np.testing.assert_array_equal(matrix[-1], 1)


def test_first_layers_and_small_patch_matrices_keep_the_patch_matrix():
    """C6's layers at batch 64: the one-channel first layer and the 3×3 fourth stay on the
    patch matrix; the second and third, with large patch matrices, go by kernel rows."""
    from chainrule.ops.conv import _KernelRows, _unfolding

    def by_rows(n, c, h):
        return isinstance(_unfolding((n, c, h, h), (3, 3), (1, 1), (1, 1), (h, h)), _KernelRows)

    assert [by_rows(64, c, h) for c, h in ((1, 28), (32, 14), (64, 7), (128, 3))] == [False, True, True, False]
    assert not isinstance(_unfolding((64, 32, 14, 14), (3, 3), (2, 1), (1, 1), (7, 14)), _KernelRows)


# ------------------------------------------------- memory order between layers
def _stack(conv, relu, max_pool, batch_norm, avg_pool):
    """Two convolutions with pooling and normalisation between them: every op after the
    first convolution gets a batch-last input, and the first gets its gradient back
    in whatever order the ops after it produce."""
    def fn(x, w1, b1, w2, gamma, beta):
        h = max_pool(relu(conv(x, w1, b1, 1, 1)), 2)
        h = avg_pool(batch_norm(h, gamma, beta), 3, 1, 1)
        return conv(h, w2, None, 2, 1)
    return fn


def _stack_inputs():
    return (randn(3, 2, 6, 6, seed=1), randn(4, 2, 3, 3, seed=2), randn(4, seed=3),
            randn(5, 4, 3, 3, seed=4), randn(4, seed=5), randn(4, seed=6))


def _cr_batch_norm(h, gamma, beta):
    return F.batch_norm(h, None, None, gamma, beta, training=True)


def test_layers_after_a_convolution_fd_and_parity():
    cr_stack = _stack(F.conv2d, F.relu, F.max_pool2d, _cr_batch_norm, F.avg_pool2d)
    fd_check(cr_stack, *_stack_inputs())
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    torch_stack = _stack(tf.conv2d, tf.relu, tf.max_pool2d,
                         lambda h, g, b: tf.batch_norm(h, None, None, g, b, training=True), tf.avg_pool2d)
    parity(cr_stack, torch_stack, *_stack_inputs())


def test_activations_stay_batch_last_in_memory():
    """The convolution's output is [N, C, H, W] batch-last in memory, and the ops after
    it keep that order, so the next convolution copies its patches in long runs."""
    from chainrule.ops.layout import memory_order

    x = cr.randn(4, 2, 6, 6)
    h = F.conv2d(x, cr.randn(3, 2, 3, 3), cr.randn(3), padding=1)
    for op in (F.relu, lambda t: F.max_pool2d(t, 2), lambda t: F.avg_pool2d(t, 3, 1, 1),
               lambda t: F.dropout(t, 0.5, training=True),
               lambda t: F.batch_norm(t, None, None, cr.ones(3), cr.zeros(3), training=True)):
        h = op(h)
        assert memory_order(h.detach().numpy()) == (1, 2, 3, 0)


# ------------------------------------------------- the patch matrix
def _reference_patches(x, kernel, stride, padding):
    """im2col the plain way: pad, then one column per output pixel, rows (c, p, q), columns (i, j, n)."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    cols = [xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] for i in range(oh) for j in range(ow)]
    return np.stack(cols).transpose(2, 3, 4, 0, 1).reshape(x.shape[1] * kh * kw, -1)  # [(c,p,q), (i,j,n)]


@pytest.mark.parametrize("batch_last", [True, False])
def test_patch_matrix_matches_padding_then_copying(batch_last):
    """Every geometry of small images: kernels, strides and paddings up to and past half the kernel."""
    from chainrule.ops.conv import _Patches, _geometry

    for h, w, kh, kw, sh, sw, ph, pw in np.ndindex(4, 3, 3, 2, 3, 2, 3, 2):
        h, w, kh, kw, sh, sw = h + 1, w + 2, kh + 1, kw + 1, sh + 1, sw + 1
        if kh > h + 2 * ph or kw > w + 2 * pw:
            continue
        x = randn(2, 3, h, w, seed=h * w)
        if batch_last:
            x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
        geometry = ((kh, kw), (sh, sw), (ph, pw))
        out_hw = _geometry("conv2d", x.shape, *geometry)
        matrix = _Patches(x.shape, *geometry, out_hw).gather(x, ones_row=True)
        np.testing.assert_array_equal(matrix[:-1], _reference_patches(x, *geometry), err_msg=str(geometry))
        np.testing.assert_array_equal(matrix[-1], 1)


def test_conv2d_of_an_image_without_rows_gives_zero_gradients():
    """Padding makes outputs, all of padding, from an image with no rows (PyTorch refuses
    such an input); no kernel row reaches the image."""
    x, w = cr.zeros(1, 1, 0, 3, requires_grad=True), cr.tensor(randn(2, 1, 1, 1, seed=1), requires_grad=True)
    out = F.conv2d(x, w, None, 1, 1)
    out.sum().backward()
    assert out.shape == (1, 2, 2, 5)
    assert x.grad.shape == (1, 1, 0, 3)
    np.testing.assert_array_equal(w.grad.detach().numpy(), 0)


# ------------------------------------------------- dilation, groups, 'same' and 'valid'
# (input shape, weight shape, stride, padding, dilation, groups)
GENERAL_CASES = [
    ((2, 4, 6, 5), (6, 2, 3, 3), 1, 1, 1, 2),              # two groups
    ((2, 3, 6, 6), (6, 1, 3, 3), 2, 1, 1, 3),              # depthwise, two filters per channel
    ((1, 2, 7, 6), (3, 2, 3, 3), 1, 2, 2, 1),              # dilation
    ((2, 2, 9, 8), (2, 2, 3, 2), (2, 1), (1, 2), (2, 3), 1),  # dilation and stride per axis
    ((1, 4, 8, 7), (4, 1, 2, 3), (1, 2), 0, (3, 1), 4),    # dilated depthwise
    ((1, 6, 5, 5), (3, 2, 1, 1), 1, 0, 1, 3),              # grouped 1x1
]


def _general_id(case):
    x, w, s, p, d, g = case
    return f"x{x}-w{w}-s{s}-p{p}-d{d}-g{g}"


def _general(stride, padding, dilation, groups, torch_side=False):
    conv2d = pytest.importorskip("torch").nn.functional.conv2d if torch_side else F.conv2d

    def fn(x, w, b=None):
        return conv2d(x, w, b, stride, padding, dilation, groups)
    return fn


@pytest.mark.parametrize("case", GENERAL_CASES, ids=_general_id)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_dilation_groups_fd_and_parity(case, bias):
    xs, ws, *options = case
    x, w, b = randn(*xs, seed=21), randn(*ws, seed=22), randn(ws[0], seed=23)
    args = (x, w, b) if bias else (x, w)
    fd_check(_general(*options), *args)
    parity(_general(*options), _general(*options, torch_side=True), *args)


def test_conv2d_dilated_grouped_forward_matches_direct_sum():
    """The defining sum, looped: output channel o sees its group's input channels, the
    kernel's taps d pixels apart."""
    x, w, b = randn(2, 4, 7, 8, seed=24), randn(6, 2, 2, 3, seed=25), randn(6, seed=26)
    (sh, sw), (ph, pw), (dh, dw), groups = (2, 1), (1, 2), (2, 3), 2
    out = F.conv2d(cr.tensor(x), cr.tensor(w), cr.tensor(b), (sh, sw), (ph, pw), (dh, dw), groups).numpy()
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = (7 + 2 * ph - dh * 1 - 1) // sh + 1, (8 + 2 * pw - dw * 2 - 1) // sw + 1
    expected = np.zeros((2, 6, oh, ow))
    for n, o, i, j in np.ndindex(*expected.shape):
        g = o // 3
        window = xp[n, 2 * g:2 * g + 2, i * sh:i * sh + 2 * dh:dh, j * sw:j * sw + 3 * dw:dw]
        expected[n, o, i, j] = np.sum(w[o] * window) + b[o]
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")  # PyTorch's, about its copy
@pytest.mark.parametrize("kernel, dilation", [(3, 1), (4, 1), ((2, 5), 1), ((4, 3), (1, 2)), (2, 2), (1, 1)])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv2d_string_padding_parity(kernel, dilation, padding):
    """'same' keeps the size, with PyTorch's extra pixel after where the total padding is
    odd (even kernels, odd dilation); 'valid' pads nothing."""
    kh, kw = pair(kernel)
    x, w, b = randn(2, 3, 7, 8, seed=27), randn(4, 3, kh, kw, seed=28), randn(4, seed=29)
    options = (1, padding, dilation, 1)
    # ∂L/∂W sums 2·7·8 products of O(1) terms into values up to ~10: float32 rounds them to ~1e-6
    _, _, out, _ = parity(_general(*options), _general(*options, torch_side=True), x, w, b, atol=1e-5)
    if padding == "same":
        assert out.shape == (2, 4, 7, 8)


def test_conv2d_same_padding_with_an_even_kernel_fd():
    fd_check(_general(1, "same", 1, 1), randn(1, 2, 5, 4, seed=30), randn(3, 2, 4, 2, seed=31), randn(3, seed=32))


def test_conv2d_padding_strings_match_explicit_padding():
    """'valid' is padding 0, and 'same' of an odd kernel is padding ⌊k/2⌋·d."""
    x, w = cr.randn(2, 3, 7, 8), cr.randn(4, 3, 3, 5)
    np.testing.assert_array_equal(F.conv2d(x, w, padding="valid").numpy(), F.conv2d(x, w).numpy())
    np.testing.assert_array_equal(F.conv2d(x, w, padding="same", dilation=2).numpy(),
                                  F.conv2d(x, w, padding=(2, 4), dilation=2).numpy())


def test_conv2d_bad_options_raise_like_torch():
    """PyTorch raises RuntimeError for these: ShapeError is one (and a ValueError)."""
    x = cr.randn(1, 4, 6, 6)
    with pytest.raises(RuntimeError, match="conv2d: padding='same' is not supported for strided"):
        F.conv2d(x, cr.randn(2, 4, 3, 3), stride=2, padding="same")
    with pytest.raises(ValueError, match="conv2d: invalid padding string 'full'"):
        F.conv2d(x, cr.randn(2, 4, 3, 3), padding="full")
    with pytest.raises(RuntimeError, match="conv2d: given groups=3.*divisible by 3.*(4, 2, 3, 3)"):
        F.conv2d(x, cr.randn(4, 2, 3, 3), groups=3)
    with pytest.raises(RuntimeError, match="conv2d: input has 4 channels.*groups=2 expects 6"):
        F.conv2d(x, cr.randn(4, 3, 3, 3), groups=2)
    with pytest.raises(ValueError, match="conv2d: groups must be a positive integer, got 0"):
        F.conv2d(x, cr.randn(4, 4, 3, 3), groups=0)
    with pytest.raises(ValueError, match=r"conv2d: kernel 7x7 \(dilation 3,3\) is larger than the padded input 6x6"):
        F.conv2d(x, cr.randn(4, 4, 3, 3), dilation=3)
    with pytest.raises(ValueError, match="conv2d: dilation must be positive"):
        F.conv2d(x, cr.randn(4, 4, 3, 3), dilation=0)
    with pytest.raises(ValueError, match="conv2d: padding must be non-negative"):
        F.conv2d(x, cr.randn(4, 4, 3, 3), padding=-1)


def test_plain_convolutions_keep_the_fast_ways():
    """groups=1, dilation=1 goes by kernel rows or the plain patch matrix as before; only
    dilated or grouped convolutions take the general patch matrix."""
    from chainrule.ops import conv

    plain = conv._unfolder((64, 32, 14, 14), (3, 3), (1, 1), (1, 1), (14, 14), (1, 1), 1)
    assert type(plain) is conv._KernelRows
    assert type(conv._unfolder((64, 1, 28, 28), (3, 3), (1, 1), (1, 1), (28, 28), (1, 1), 1)) is conv._Patches
    assert type(conv._unfolder((64, 32, 14, 14), (3, 3), (1, 1), (1, 1), (14, 14), (1, 1), 2)) is conv._GroupedPatches
    assert type(conv._unfolder((64, 32, 14, 14), (3, 3), (1, 1), (2, 2), (14, 14), (2, 2), 1)) is conv._GroupedPatches


# ------------------------------------------------- conv1d
@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 0, 1, 1), (2, 1, 1, 2), (1, 2, 2, 1),
                                                               (1, "same", 1, 1), (1, "same", 3, 6), (3, "valid", 2, 3)])
def test_conv1d_fd_and_parity(stride, padding, dilation, groups):
    torch = pytest.importorskip("torch")
    x, w, b = randn(2, 6, 11, seed=33), randn(6, 6 // groups, 4, seed=34), randn(6, seed=35)

    def ours(x, w, b):
        return F.conv1d(x, w, b, stride, padding, dilation, groups)

    def theirs(x, w, b):
        return torch.nn.functional.conv1d(x, w, b, stride, padding, dilation, groups)
    fd_check(ours, x, w, b)
    parity(ours, theirs, x, w, b)


def test_conv1d_needs_3d_input_and_weight():
    with pytest.raises(ValueError, match=r"conv1d: expected a 3-d input.*\(1, 2, 3, 4\)"):
        F.conv1d(cr.randn(1, 2, 3, 4), cr.randn(2, 2, 3))
    with pytest.raises(ValueError, match="conv1d: stride must be an int or a 1-tuple"):
        F.conv1d(cr.randn(1, 2, 5), cr.randn(2, 2, 3), stride=(1, 1))


# ------------------------------------------------- conv_transpose2d
# (input shape, weight shape [C_in, C_out/G, kH, kW], stride, padding, output_padding, groups, dilation)
TRANSPOSED_CASES = [
    ((2, 3, 4, 5), (3, 2, 3, 3), 1, 0, 0, 1, 1),
    ((2, 3, 4, 5), (3, 2, 3, 3), (1, 2), 1, (0, 1), 1, 1),  # by kernel rows too, with the fixture
    ((2, 3, 4, 5), (3, 4, 3, 3), 2, 1, 1, 1, 1),            # the usual ×2 upsampling layer
    ((1, 2, 3, 4), (2, 3, 4, 2), (2, 3), (1, 0), (0, 2), 1, 1),
    ((2, 4, 3, 3), (4, 1, 3, 3), 2, 1, 0, 2, 1),            # groups
    ((1, 2, 4, 3), (2, 2, 3, 2), 1, (2, 1), 0, 1, (2, 1)),  # dilation
    ((1, 2, 4, 3), (2, 3, 2, 3), 1, 0, 1, 1, 2),            # output padding ≥ stride (allowed by the dilation)
    ((2, 2, 5, 5), (2, 3, 1, 1), 3, 0, 2, 1, 1),            # 1x1 with gaps between the outputs
]


def _transposed_id(case):
    x, w, s, p, op, g, d = case
    return f"x{x}-w{w}-s{s}-p{p}-op{op}-g{g}-d{d}"


def _transposed(options, torch_side=False):
    conv = pytest.importorskip("torch").nn.functional.conv_transpose2d if torch_side else F.conv_transpose2d

    def fn(x, w, b=None):
        return conv(x, w, b, *options)
    return fn


@pytest.mark.parametrize("case", TRANSPOSED_CASES, ids=_transposed_id)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose2d_fd_and_parity(case, bias, unfolding):
    xs, ws, *options = case
    x, w, b = randn(*xs, seed=36), randn(*ws, seed=37), randn(ws[1] * options[3], seed=38)
    args = (x, w, b) if bias else (x, w)
    fd_check(_transposed(options), *args)
    parity(_transposed(options), _transposed(options, torch_side=True), *args)


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    """⟨conv(z, W), x⟩ = ⟨z, conv_transpose(x, W)⟩ for every z and x: the definition."""
    z, x, w = randn(2, 3, 10, 8, seed=39), randn(2, 4, 5, 5, seed=40), randn(4, 3, 3, 2, seed=41)
    conv = F.conv2d(cr.tensor(z), cr.tensor(w), None, 2, 1).numpy()
    transposed = F.conv_transpose2d(cr.tensor(x), cr.tensor(w), None, 2, 1, (1, 0)).numpy()  # row 10 seen by none
    assert conv.shape == x.shape and transposed.shape == z.shape
    np.testing.assert_allclose(np.sum(conv * x), np.sum(z * transposed), rtol=1e-12)


def test_conv_transpose2d_bad_options_raise_like_torch():
    x = cr.randn(1, 4, 5, 5)
    with pytest.raises(RuntimeError, match="conv_transpose2d: output padding must be smaller than either stride"):
        F.conv_transpose2d(x, cr.randn(4, 2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(RuntimeError, match="conv_transpose2d: input has 4 channels.*expects 3"):
        F.conv_transpose2d(x, cr.randn(3, 2, 3, 3))
    with pytest.raises(RuntimeError, match="conv_transpose2d: given groups=3"):
        F.conv_transpose2d(x, cr.randn(4, 2, 3, 3), groups=3)
    with pytest.raises(RuntimeError, match="conv_transpose2d: input 5x5 gives an output of size -5x-5"):
        F.conv_transpose2d(x, cr.randn(4, 2, 3, 3), padding=6)
    with pytest.raises(ValueError, match="conv_transpose2d: expected a 4-d input"):
        F.conv_transpose2d(cr.randn(4, 5, 5), cr.randn(4, 2, 3, 3))


# ------------------------------------------------- interpolate
INTERPOLATE_CASES = [dict(scale_factor=2), dict(scale_factor=(1.5, 0.75)), dict(size=(7, 3)), dict(size=4),
                     dict(size=(1, 9)), dict(scale_factor=(2.2, 3)),
                     dict(scale_factor=(1.7, 0.6), recompute_scale_factor=True)]
MODES = [("nearest", None), ("bilinear", False), ("bilinear", True)]


@pytest.mark.parametrize("mode, align_corners", MODES)
@pytest.mark.parametrize("options", INTERPOLATE_CASES, ids=str)
def test_interpolate_fd_and_parity(mode, align_corners, options):
    torch = pytest.importorskip("torch")

    def ours(x):
        return F.interpolate(x, mode=mode, align_corners=align_corners, **options)

    def theirs(x):
        return torch.nn.functional.interpolate(x, mode=mode, align_corners=align_corners, **options)
    x = randn(2, 3, 5, 4, seed=42)
    fd_check(ours, x)
    parity(ours, theirs, x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_interpolate_index_rules_match_torch_for_every_small_size(dtype):
    """Every output size 1…19 and many scale factors, from inputs of 1…9 rows: the same pixels
    and weights as PyTorch (nearest exactly; float32 scales, ⌊i/2⌋ when doubling)."""
    torch = pytest.importorskip("torch")
    for h in range(1, 10):
        x = rng(h).standard_normal((1, 2, h, 2)).astype(dtype)
        options = [dict(size=(out, 2)) for out in range(1, 20)]
        options += [dict(scale_factor=(f, 1)) for f in (0.3, 0.5, 0.6, 0.7, 1.5, 1.7, 2, 2.2, 2.5, 3, 1 / 3)
                    if int(h * f) >= 1]
        for option in options:
            for mode, corners in MODES:
                want = torch.nn.functional.interpolate(torch.from_numpy(x), mode=mode, align_corners=corners,
                                                       **option).numpy()
                got = F.interpolate(cr.tensor(x), mode=mode, align_corners=corners, **option).numpy()
                what = f"h={h} {option} {mode} align_corners={corners}"
                if mode == "nearest":
                    np.testing.assert_array_equal(got, want, err_msg=what)
                else:
                    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6 if dtype == np.float32 else 1e-13,
                                               err_msg=what)


def test_interpolate_bad_arguments_raise_like_torch():
    x = cr.randn(1, 2, 3, 3)
    with pytest.raises(ValueError, match="interpolate: either size or scale_factor should be defined"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="interpolate: only one of size or scale_factor should be defined"):
        F.interpolate(x, size=4, scale_factor=2)
    with pytest.raises(ValueError, match="interpolate: align_corners option can only be set with the interpolating"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="interpolate: mode 'bicubic' is not supported"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match=r"interpolate: expected a 4-d input.*\(2, 3, 3\)"):
        F.interpolate(cr.randn(2, 3, 3), scale_factor=2)
    with pytest.raises(ValueError, match="interpolate: size must be positive"):
        F.interpolate(x, size=(0, 2))
    with pytest.raises(ValueError, match="interpolate: scale_factor must be a positive number"):
        F.interpolate(x, scale_factor=-1)
