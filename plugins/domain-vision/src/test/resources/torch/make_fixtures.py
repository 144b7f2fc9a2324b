#!/usr/bin/env python3
"""Writes the small torch.save files TorchStateDictTest reads (torch 2.7.1):

  small-legacy.pt   the legacy (non-zip) format, _use_new_zipfile_serialization=False
  small-zip.pt      the zip format (the default)
  strided.pt        a transposed (non-contiguous) tensor "t" = arange(6).reshape(2, 3).t()

The state dict holds: "w" float32 [2, 3] = 0.5 * arange(6) - 1; "b" float32 [3] = a view at
offset 4 into arange(7) (so [4, 5, 6]); "n" int64 scalar 42; "ids" int64 [2, 2] = [[1, -2],
[3, 1 << 40]]; "s" float32 [3] sharing the storage of "b" (offset 1 of the same view base: [1, 2, 3]).
"""
import collections
import torch

base = torch.arange(7, dtype=torch.float32)
sd = collections.OrderedDict()
sd['w'] = 0.5 * torch.arange(6, dtype=torch.float32).reshape(2, 3) - 1
sd['b'] = base[4:]
sd['n'] = torch.tensor(42, dtype=torch.int64)
sd['ids'] = torch.tensor([[1, -2], [3, 1 << 40]], dtype=torch.int64)
sd['s'] = base[1:4]
torch.save(sd, 'small-legacy.pt', _use_new_zipfile_serialization=False)
torch.save(sd, 'small-zip.pt')
torch.save({'t': torch.arange(6, dtype=torch.float32).reshape(2, 3).t()}, 'strided.pt',
           _use_new_zipfile_serialization=False)
