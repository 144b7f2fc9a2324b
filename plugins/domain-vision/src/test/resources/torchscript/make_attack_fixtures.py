"""Makes the TorchScript attack fixtures of the operator audit's tests (run once; outputs are committed).

Made with torch 2.7.1 and torchvision 0.22.1 (CPU is enough), in this folder:
    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.7.1 torchvision==0.22.1
    /tmp/torchenv/bin/python make_attack_fixtures.py

Writes
  attack_from_file.pt  a scripted module whose forward reads 16 bytes of the server file
                       /tmp/graft-audit-secret.txt with torch.from_file (aten::from_file) and
                       returns them as its [N, 16] "features": what Extract would hand back.
  attack_save.pt       a scripted module whose forward writes its input to the server file
                       /tmp/graft-audit-written.pt with torch.ops.aten.save (aten::save): the
                       probe pass of an import would create that file.
  code_resnet18.pt, code_mobilenet_v3_small.pt, code_efficientnet_b0.pt
                       torchvision's classifiers (random weights), scripted and saved, then cut
                       down to what the audit reads: the code, data.pkl and constants.pkl (no
                       tensor records, no .debug_pkl). They show the allow-list accepts typical
                       vision CNNs; PyTorch could not load them (their tensors are gone).
  ../../../main/resources/dev/graft/plugins/vision/torchscript/aten-operator-names.txt
                       the name of every operator in torch's aten namespace (one a line,
                       sorted), from torch._C._jit_get_all_schemas(). The audit uses it to stop
                       a name the archive declares from shadowing an operator that is not in
                       the allow-list (x.NAME(...) on a tensor runs aten::NAME).

Both modules are plain TorchScript saved by torch.jit.save: without the audit, PyTorch loads them
and runs the attack (the Java test proves it by loading them with the native loader directly).
"""
import io
import pathlib
import zipfile

import torch
import torchvision
from torch import nn

class ReadsAServerFile(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        data = torch.from_file("/tmp/graft-audit-secret.txt", False, 16, dtype=torch.uint8)
        return data.to(torch.float32).reshape(1, 16).expand(x.shape[0], 16)


class WritesAServerFile(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        torch.ops.aten.save(x, "/tmp/graft-audit-written.pt")
        return x.mean(dim=(2, 3))


def operator_names() -> list:
    names = set()
    for schema in torch._C._jit_get_all_schemas():
        namespace, name = schema.name.split("::", 1)
        if namespace == "aten":
            names.add(name)
    return sorted(names)


def code_only(name: str) -> None:
    """Saves torchvision's NAME scripted, keeping only what the operator audit reads."""
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(getattr(torchvision.models, name)(weights=None).eval()), buffer)
    with zipfile.ZipFile(buffer) as full, zipfile.ZipFile("code_" + name + ".pt", "w",
                                                          zipfile.ZIP_DEFLATED) as out:
        for info in full.infolist():
            kept = info.filename.endswith((".py", "/data.pkl", "/constants.pkl"))
            if kept:
                out.writestr(info.filename, full.read(info))


def main() -> None:
    torch.jit.script(ReadsAServerFile()).save("attack_from_file.pt")
    torch.jit.script(WritesAServerFile()).save("attack_save.pt")
    for name in ("resnet18", "mobilenet_v3_small", "efficientnet_b0"):
        code_only(name)
    out = pathlib.Path("../../../main/resources/dev/graft/plugins/vision/torchscript")
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "aten-operator-names.txt", "w") as f:
        f.write("# Every operator name in torch " + torch.__version__.split("+")[0]
                + "'s aten namespace; made by src/test/resources/torchscript/"
                + "make_attack_fixtures.py\n")
        for name in operator_names():
            f.write(name + "\n")


if __name__ == "__main__":
    main()
