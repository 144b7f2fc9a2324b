"""Makes the TorchScript fixture of the vision domain's tests (run once; outputs are committed).

Made with torch 2.7.1 (CPU) from /work/venv-torch:
    /work/venv-torch/bin/python make_fixture.py   (in this folder)

Writes
  tiny_cnn.pt        a scripted tiny CNN (3x32x32 in, conv-bn-relu x3, global average pool,
                     [N, 16] out); weights from torch.manual_seed(7), batch-norm statistics
                     set to fixed non-trivial values, saved in eval mode.
  tiny_cnn_map.pt    the same network without the pool: it returns the [N, 16, 8, 8] feature
                     map (the backbone pools it).
  reference.json     three fixed inputs (already preprocessed NCHW float32 values, as formulas
                     in the test) and both modules' outputs on them.
"""
import json

import torch
from torch import nn


class TinyCnn(nn.Module):
    def __init__(self, pool: bool):
        super().__init__()
        self.pool = pool
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU()),
            nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU()),
            nn.Sequential(nn.Conv2d(16, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU()),
        )
        self.head = nn.Conv2d(16, 16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.head(self.features(x))
        if self.pool:
            return y.mean(dim=(2, 3))
        return y


def build(pool: bool) -> nn.Module:
    torch.manual_seed(7)
    net = TinyCnn(pool)
    g = torch.Generator().manual_seed(11)
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
    return net.eval()


def inputs() -> torch.Tensor:
    """Three deterministic inputs the Java test rebuilds: x[n,c,h,w] = sin(0.37*(n+1)*(c*1024+h*32+w))."""
    n, c, h, w = torch.meshgrid(torch.arange(3), torch.arange(3), torch.arange(32), torch.arange(32),
                                indexing="ij")
    idx = (c * 1024 + h * 32 + w).double()
    return torch.sin(0.37 * (n + 1).double() * idx).float()


def main() -> None:
    x = inputs()
    ref = {"torch": torch.__version__, "input": "x[n,c,h,w] = sin(0.37*(n+1)*(c*1024+h*32+w)), 3x3x32x32"}
    for name, pool in (("tiny_cnn", True), ("tiny_cnn_map", False)):
        scripted = torch.jit.script(build(pool))
        scripted.save(name + ".pt")
        with torch.no_grad():
            y = scripted(x)
        ref[name] = {"shape": list(y.shape), "values": [round(v, 7) for v in y.flatten().tolist()]}
    with open("reference.json", "w") as f:
        json.dump(ref, f)
        f.write("\n")


if __name__ == "__main__":
    main()
