"""A continuous-control policy gradient with a Beta policy (Chou et al.: bounded actions),
as in RL course notebooks: softplus(...) + 1 concentrations, Beta.rsample / log_prob /
entropy, actions rescaled to the action bounds, a Gamma-distributed "wind" disturbance and a
Dirichlet-weighted mixture of targets; REINFORCE with a moving-average baseline."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Beta, Dirichlet, Gamma

torch.manual_seed(23)
low, high = -2.0, 2.0


class BetaPolicy(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 32), nn.Tanh())
        self.alpha_head = nn.Linear(32, 1)
        self.beta_head = nn.Linear(32, 1)

    def forward(self, obs):
        h = self.body(obs)
        alpha = F.softplus(self.alpha_head(h)) + 1.0
        beta = F.softplus(self.beta_head(h)) + 1.0
        return Beta(alpha.squeeze(-1), beta.squeeze(-1))


def make_targets(n):
    weights = Dirichlet(torch.tensor([2.0, 1.0, 1.0])).sample((n,))
    anchors = torch.tensor([1.0, -1.0, 0.5])
    return (weights * anchors).sum(-1)


policy = BetaPolicy()
optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
wind = Gamma(torch.tensor(2.0), torch.tensor(8.0))
baseline, losses = 0.0, []
for episode in range(40):
    target = make_targets(32)
    obs = torch.stack([target, torch.sin(3 * target), torch.ones_like(target)], dim=1)
    dist = policy(obs)
    u = dist.sample()
    action = low + (high - low) * u
    outcome = action + wind.sample((32,))
    reward = -(outcome - target) ** 2
    advantage = reward - baseline
    baseline = 0.9 * baseline + 0.1 * reward.mean().item()
    loss = -(dist.log_prob(u) * advantage).mean() - 0.01 * dist.entropy().mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(reward.mean().item())
    if episode % 10 == 0:
        print(f"episode {episode:2d} reward {reward.mean().item():.4f} mean action {action.mean().item():.3f}")

# a pathwise (reparameterised) refinement of the same policy
for step in range(10):
    target = make_targets(64)
    obs = torch.stack([target, torch.sin(3 * target), torch.ones_like(target)], dim=1)
    dist = policy(obs)
    action = low + (high - low) * dist.rsample()
    loss = ((action + wind.mean - target) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

with torch.no_grad():
    test_target = torch.linspace(-1, 1, 5)
    obs = torch.stack([test_target, torch.sin(3 * test_target), torch.ones(5)], dim=1)
    dist = policy(obs)
    greedy = low + (high - low) * dist.mean
print("greedy actions", [round(a, 3) for a in greedy.tolist()])
print("concentrations", [round(c, 2) for c in dist.concentration1.tolist()][:3], dist.batch_shape)
result = [*greedy.tolist(), dist.entropy().mean().item(), baseline]
