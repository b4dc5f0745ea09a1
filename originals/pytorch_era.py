"""What PyTorch 0.2-0.4 computed where today's PyTorch differs (the originals S2, S4, S5).

The three PyTorch originals ran in 2017-2018 (S4 and S5 on PyTorch 0.2, August 2017; S2 on
PyTorch 0.4, August 2018). Two of the calls they make compute something else today:

- `optim.Adam` added epsilon to sqrt(v) and folded both bias corrections into the step size,
  `p -= lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)`, until 2019 (pytorch/pytorch
  PR #22628 moved eps after the bias correction: `m_hat / (sqrt(v_hat) + eps)`). `Adam` below
  is the old `step`, which is also what Keras's Adam computes.
- `nn.BCELoss` was THNN's BCECriterion: `-mean(t log(p + 1e-12) + (1 - t) log(1 - p + 1e-12))`
  with the gradient `-(t - p) / ((1 - p + 1e-12) (p + 1e-12)) / N`; today's clamps each log at
  -100 and divides by max(p (1 - p), 1e-12). The two agree unless p is within about 1e-12 of
  0 or 1 (a saturated sigmoid: there the old loss stops at 27.6, today's at 100, and both
  gradients vanish). `BCELoss` below is the old one (THNN's kernel of PyTorch 0.2-0.4.0).

The third difference, `F.dropout`'s `training` argument defaulting to False before PyTorch 1.0,
is emulated where it is called (S5: `training=False` written out).
"""
import math

import torch
from torch import nn

BCE_EPS = 1e-12  # THNN's EPS


class Adam(torch.optim.Optimizer):
    """torch.optim.Adam as PyTorch 0.2-1.2 computed it (eps before the bias correction)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            beta1, beta2 = group['betas']
            for p in group['params']:
                if p.grad is None:
                    continue
                grad = p.grad
                state = self.state[p]
                if not state:
                    state['step'] = 0
                    state['exp_avg'] = torch.zeros_like(p)
                    state['exp_avg_sq'] = torch.zeros_like(p)
                exp_avg, exp_avg_sq = state['exp_avg'], state['exp_avg_sq']
                state['step'] += 1
                exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = exp_avg_sq.sqrt().add_(group['eps'])
                bias_correction1 = 1 - beta1 ** state['step']
                bias_correction2 = 1 - beta2 ** state['step']
                step_size = group['lr'] * math.sqrt(bias_correction2) / bias_correction1
                p.addcdiv_(exp_avg, denom, value=-step_size)


class _BCECriterion(torch.autograd.Function):
    @staticmethod
    def forward(ctx, p, t):
        ctx.save_for_backward(p, t)
        return -torch.mean(torch.log(p + BCE_EPS) * t + torch.log(1 - p + BCE_EPS) * (1 - t))

    @staticmethod
    def backward(ctx, grad_output):
        p, t = ctx.saved_tensors
        grad = -(t - p) / ((1 - p + BCE_EPS) * (p + BCE_EPS)) / p.numel()
        return grad_output * grad, None


class BCELoss(nn.Module):
    """nn.BCELoss() (mean over the elements) as THNN's BCECriterion of PyTorch 0.2-0.4.0."""

    def forward(self, input, target):
        if input.shape != target.shape:  # today's BCELoss refuses other shapes as well
            raise ValueError(f'target {tuple(target.shape)} and input {tuple(input.shape)} '
                             f'differ')
        return _BCECriterion.apply(input, target)
