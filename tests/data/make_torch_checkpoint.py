"""Writes tests/data/torch_2_13_checkpoint.pt with PyTorch 2.13 (run once; the file is
committed, and test_round21_files.py checks its values)."""

import collections

import torch

torch.manual_seed(0)
lin = torch.nn.Linear(3, 2)
with torch.no_grad():
    lin.weight.copy_(torch.arange(6.0).reshape(2, 3) / 4)
    lin.bias.copy_(torch.tensor([-1.0, 0.5]))
bn = torch.nn.BatchNorm1d(2)
base = torch.arange(12.0).reshape(3, 4)
opt = torch.optim.Adam(lin.parameters(), lr=0.1)
lin(torch.ones(1, 3)).sum().backward()
opt.step()
obj = {
    "linear": lin.state_dict(),
    "bn": bn.state_dict(),
    "opt": opt.state_dict(),
    "base": base,
    "row": base[1],
    "t": base.t(),
    "bool": torch.tensor([True, False]),
    "int8": torch.tensor([-128, 127], dtype=torch.int8),
    "uint8": torch.tensor([0, 255], dtype=torch.uint8),
    "int16": torch.tensor([-3], dtype=torch.int16),
    "int32": torch.tensor([7], dtype=torch.int32),
    "int64": torch.tensor(2**40),
    "float16": torch.tensor([0.5, -2.0], dtype=torch.float16),
    "float64": torch.tensor([1 / 3], dtype=torch.float64),
    "uint16": torch.tensor([65535], dtype=torch.uint16),
    "bfloat16": torch.tensor([1.5, -256.0], dtype=torch.bfloat16),
    "empty": torch.zeros(0, 3),
    "scalar": torch.tensor(2.5),
    "param": torch.nn.Parameter(torch.tensor([1.0, 2.0])),
    "grad": torch.tensor([3.0], requires_grad=True),
    "meta": {
        "epoch": 3,
        "name": "run",
        "lr": 0.1,
        "none": None,
        "pair": (1, "a"),
        "size": torch.Size([2, 3]),
        "dtype": torch.float16,
        "device": torch.device("cpu"),
        "ordered": collections.OrderedDict(b=1, a=2),
        "bytes": b"\x00\xff",
    },
}
torch.save(obj, "tests/data/torch_2_13_checkpoint.pt")
