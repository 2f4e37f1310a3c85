"""dtypes and devices in PyTorch's spelling, against PyTorch: the aliases (``torch.float``,
``torch.long`` ...), conversions (``.long()``, ``.to(dtype)``, ``.type()``), ``torch.device``,
``.to('cpu')``, and the refusal of CUDA on this engine with an error that names the torch backend."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from both_engines import check_case  # noqa: E402

import chainrule as cr  # noqa: E402

ALIASES = ["float32", "float", "float64", "double", "float16", "half", "int64", "long", "int32", "int",
           "int16", "short", "int8", "uint8", "bool"]

CASES = {
    "Tensor(list) is float32": lambda T: (T.Tensor([1, 2]), T.Tensor([[1.5], [2.0]])),
    "Tensor(sizes)": lambda T: (T.Tensor(2, 3).shape, T.Tensor(5).shape, T.Tensor(T.Size([2, 3])).shape, T.Tensor().shape,
                                T.nn.Parameter(T.Tensor(3, 2)).shape, T.FloatTensor(T.Size([2, 1])).shape,
                                T.LongTensor(2).dtype),
    "tensor infers": lambda T: (T.tensor([1, 2]), T.tensor([1.0]), T.tensor([True]), T.tensor(3), T.tensor(2.5)),
    "conversions": lambda T: tuple(f(T.tensor([1.7, -2.2, 0.0])) for f in
                                   (T.Tensor.long, T.Tensor.int, T.Tensor.bool, T.Tensor.float, T.Tensor.double,
                                    T.Tensor.half)),
    "to dtype": lambda T: (T.tensor([1.5]).to(T.int64), T.tensor([1]).to(T.float), T.tensor([1]).to(dtype=T.double)),
    "to tensor": lambda T: T.tensor([1, 2]).to(T.tensor([0.5])),
    "type names": lambda T: (T.tensor([1.0]).type(), T.tensor([1]).type(), T.tensor([True]).type(),
                             T.tensor([1.0]).double().type()),
    "type converts": lambda T: (T.tensor([1.5]).type(T.int64), T.tensor([1]).type("torch.FloatTensor"),
                                T.tensor([1]).type_as(T.tensor([1.0]))),
    "dtype comparisons": lambda T: (T.tensor([1.0]).dtype == T.float32, T.tensor([1.0]).dtype == T.float,
                                    T.tensor([1]).dtype == T.long, T.tensor([1]).dtype in (T.int64, T.int32),
                                    T.tensor([1.0]).dtype == T.float64, T.tensor([1.0]).dtype.is_floating_point
                                    if hasattr(T.tensor([1.0]).dtype, "is_floating_point") else True),
    "is_floating_point": lambda T: (T.tensor([1.0]).is_floating_point(), T.tensor([1]).is_floating_point()),
    "promotion int and float": lambda T: (T.tensor([1, 2]) + 0.5, T.tensor([1, 2]) * 2, T.tensor([1, 2]) / 2,
                                          T.tensor([True]) + 1, T.tensor([1], dtype=T.int32) + T.tensor([1])),
    "zeros with dtype alias": lambda T: (T.zeros(2, dtype=T.long), T.ones(2, dtype=T.double), T.arange(3, dtype=T.float)),
    "device": lambda T: (str(T.device("cpu")), str(T.tensor([1.0]).device), T.tensor([1.0]).device == T.device("cpu"),
                         T.tensor([1.0]).device.type, str(T.device("cuda:1")), T.device("cuda", 0).index),
    "to cpu": lambda T: (T.tensor([1.0]).to("cpu"), T.tensor([1.0]).cpu(), T.tensor([1.0]).to(T.device("cpu")),
                         T.tensor([1]).to("cpu", T.float), T.tensor([1.0]).is_cuda),
    "cuda is not available": lambda T: (T.cuda.is_available(), T.cuda.device_count()),
    "the course's device line": lambda T: str(T.device("cuda" if T.cuda.is_available() else "cpu")),
    "bad device": lambda T: T.device("tpu"),
}


@pytest.mark.parametrize("name", CASES)
def test_same_as_torch(name):
    if name in ("cuda is not available", "the course's device line") and torch.cuda.is_available():
        pytest.skip("torch sees a GPU here")
    check_case(CASES[name], name)


@pytest.mark.parametrize("alias", ALIASES)
def test_dtype_aliases_name_the_same_dtypes(alias):
    ours, theirs = getattr(cr, alias), getattr(torch, alias)
    assert str(theirs) == f"torch.{np.dtype(ours).name.replace('bool', 'bool')}"
    assert cr.zeros(1, dtype=ours).dtype == ours
    assert isinstance(ours, cr.dtype)


def test_numpy_shares_storage():
    x = cr.tensor([1.0, 2.0])
    x.numpy()[0] = 5.0
    assert x[0].item() == 5.0


def test_cuda_names_the_torch_backend():
    x = cr.tensor([1.0])
    for move in (lambda: x.cuda(), lambda: x.to("cuda"), lambda: x.to(cr.device("cuda:0")),
                 lambda: cr.nn.Linear(2, 2).to("cuda"), lambda: cr.nn.Linear(2, 2).cuda()):
        with pytest.raises(RuntimeError, match="PyTorch backend"):
            move()


def test_short_dtype_names_as_strings():
    assert cr.tensor([1]).to("float").dtype == cr.float32
    assert cr.tensor([1.5]).type("torch.long").dtype == cr.int64
