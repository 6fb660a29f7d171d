"""The unrolled discriminator for image GANs (Metz et al. 2017): G's adversarial loss is taken
against D after k more steps of D's own optimiser on the current batch, with the gradient
flowing back through those k steps, so G sees how D would answer it rather than D as it is.

The look-ahead steps use D's adversarial loss (penalties such as R1 or WGAN-GP act on D's own
steps: through k steps they would need third derivatives of a convolutional network). Adam's
second moment is held constant along the look-ahead, as in the 2-D lab: its derivative only
adds noise. Batch norm's running statistics move on copies, so looking ahead changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.func import functional_call

from latentlab.core.models.gan_objectives import add_instance_noise, discriminator_loss

Weights = dict[str, torch.Tensor]


def unrolled_critic(features: nn.Module, critic: nn.Module, real: torch.Tensor,
                    fake: torch.Tensor, optimizer: torch.optim.Optimizer, steps: int,
                    loss: str, sigma: float = 0.0) -> Callable[[torch.Tensor], torch.Tensor]:
    """D (``critic`` over ``features``) after ``steps`` steps of ``optimizer`` (Adam) on
    (real, fake), as a function images → logits that is differentiable in ``fake``."""
    parts = {"features": features, "critic": critic}
    weights: Weights = {f"{part}.{name}": p.detach().requires_grad_(True)
                        for part, module in parts.items()
                        for name, p in module.named_parameters()}
    buffers: Weights = {f"{part}.{name}": b.clone() for part, module in parts.items()
                        for name, b in module.named_buffers()}
    owners = [p for module in parts.values() for p in module.parameters()]

    def logits(x: torch.Tensor, at: Weights) -> torch.Tensor:
        def own(part: str) -> Weights:
            prefix = f"{part}."
            return {k[len(prefix):]: v for k, v in {**at, **buffers}.items()
                    if k.startswith(prefix)}

        return functional_call(critic, own("critic"),
                               (functional_call(features, own("features"), (x,)),)).squeeze(1)

    group = optimizer.param_groups[0]
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    states = [optimizer.state.get(p, {}) for p in owners]
    started = all(states)
    m = [st["exp_avg"] if started else torch.zeros_like(p) for st, p in zip(states, owners,
                                                                             strict=True)]
    v = [st["exp_avg_sq"] if started else torch.zeros_like(p) for st, p in zip(states, owners,
                                                                                strict=True)]
    t = float(states[0]["step"]) if started else 0.0
    real = add_instance_noise(real, sigma)
    fake = add_instance_noise(fake, sigma)
    for _ in range(steps):
        d_loss = discriminator_loss(logits(real, weights), logits(fake, weights), loss)
        grads = torch.autograd.grad(d_loss, list(weights.values()), create_graph=True)
        t += 1
        moved: Weights = {}
        for i, ((name, w), g) in enumerate(zip(weights.items(), grads, strict=True)):
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g.detach() ** 2
            step = (m[i] / (1 - beta1**t)) / ((v[i] / (1 - beta2**t)).sqrt() + eps)
            moved[name] = w - lr * step
        weights = moved
    final = weights
    return lambda x: logits(x, final)
