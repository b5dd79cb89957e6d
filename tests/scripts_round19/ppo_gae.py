"""PPO (Schulman et al.) on a toy chain environment: an actor-critic with a shared body,
Categorical(logits=...) log_prob/entropy, generalised advantage estimation in a reversed
loop, advantage normalisation, the clipped surrogate with torch.clamp/torch.min, a value
loss with smooth_l1, several epochs of shuffled
minibatches, and clip_grad_norm_."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical

torch.manual_seed(67)
rng = np.random.default_rng(67)
n_states, n_actions, horizon = 6, 2, 64


def step_env(state, action):
    nxt = min(state + 1, n_states - 1) if action == 1 else max(state - 1, 0)
    reward = 1.0 if nxt == n_states - 1 else -0.01
    return nxt, reward, nxt == n_states - 1


class ActorCritic(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_states, 32), nn.Tanh())
        self.pi = nn.Linear(32, n_actions)
        self.v = nn.Linear(32, 1)

    def forward(self, obs):
        h = self.body(obs)
        return self.pi(h), self.v(h).squeeze(-1)


def one_hot(s):
    return F.one_hot(torch.tensor(s), n_states).float()


model = ActorCritic()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, eps=1e-5)
gamma, lam, clip_eps = 0.99, 0.95, 0.2
losses, returns_log = [], []
for update in range(4):
    obs, actions, logps, rewards, dones, values = [], [], [], [], [], []
    state = 0
    for t in range(horizon):
        with torch.no_grad():
            logits, value = model(one_hot(state))
        dist = Categorical(logits=logits)
        action = int(rng.random() < dist.probs[1].item())
        obs.append(one_hot(state))
        actions.append(action)
        logps.append(dist.log_prob(torch.tensor(action)))
        values.append(value)
        state, reward, done = step_env(state, action)
        rewards.append(reward)
        dones.append(done)
        if done:
            state = 0
    with torch.no_grad():
        last_value = model(one_hot(state))[1]
    advantages = torch.zeros(horizon)
    gae = 0.0
    for t in reversed(range(horizon)):
        next_value = last_value if t == horizon - 1 else values[t + 1]
        nonterminal = 1.0 - float(dones[t])
        delta = rewards[t] + gamma * next_value * nonterminal - values[t]
        gae = delta + gamma * lam * nonterminal * gae
        advantages[t] = gae
    values_t = torch.stack(values)
    returns = advantages + values_t
    obs_t, actions_t, old_logps = torch.stack(obs), torch.tensor(actions), torch.stack(logps)
    returns_log.append(sum(rewards))
    for epoch in range(2):
        order = rng.permutation(horizon)
        for start in range(0, horizon, 16):
            idx = torch.from_numpy(order[start:start + 16])
            logits, value = model(obs_t[idx])
            dist = Categorical(logits=logits)
            ratio = torch.exp(dist.log_prob(actions_t[idx]) - old_logps[idx])
            adv = advantages[idx]
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
            surr1 = ratio * adv
            surr2 = torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * adv
            policy_loss = -torch.min(surr1, surr2).mean()
            value_loss = F.smooth_l1_loss(value, returns[idx])
            loss = policy_loss + 0.5 * value_loss - 0.01 * dist.entropy().mean()
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optimizer.step()
            losses.append(loss.item())

with torch.no_grad():
    probs = F.softmax(model(torch.eye(n_states))[0], dim=-1)[:, 1]
print("returns:", [round(r, 2) for r in returns_log])
result = [*probs.tolist(), advantages.abs().mean().item()]
