"""Advantage actor-critic on a small gridworld written in Python (the "RL in PyTorch" course
style): torch.distributions.Categorical(logits=...) for sampling, log_prob and an entropy
bonus, discounted returns computed backwards and normalised, a shared trunk with a policy and
a value head, smooth_l1 value loss, and a greedy evaluation rollout."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical

torch.manual_seed(16)
SIZE, GOAL, MAX_STEPS = 4, (3, 3), 12
MOVES = [(-1, 0), (1, 0), (0, -1), (0, 1)]


class GridWorld:
    def reset(self):
        self.pos = (0, 0)
        self.t = 0
        return self.obs()

    def obs(self):
        o = torch.zeros(SIZE * SIZE)
        o[self.pos[0] * SIZE + self.pos[1]] = 1.0
        return o

    def step(self, action):
        dr, dc = MOVES[action]
        self.pos = (min(max(self.pos[0] + dr, 0), SIZE - 1), min(max(self.pos[1] + dc, 0), SIZE - 1))
        self.t += 1
        done = self.pos == GOAL or self.t >= MAX_STEPS
        reward = 1.0 if self.pos == GOAL else -0.05
        return self.obs(), reward, done


class ActorCritic(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(SIZE * SIZE, 32), nn.Tanh())
        self.policy = nn.Linear(32, 4)
        self.value = nn.Linear(32, 1)

    def forward(self, x):
        h = self.trunk(x)
        return Categorical(logits=self.policy(h)), self.value(h).squeeze(-1)


env, model = GridWorld(), ActorCritic()
optimizer = torch.optim.RMSprop(model.parameters(), lr=7e-3, alpha=0.99, eps=1e-5)
gamma, entropy_coef = 0.95, 0.01
losses, episode_returns = [], []
for episode in range(40):
    obs, done = env.reset(), False
    log_probs, values, rewards, entropies = [], [], [], []
    while not done:
        dist, value = model(obs)
        action = dist.sample()
        obs, reward, done = env.step(action.item())
        log_probs.append(dist.log_prob(action))
        entropies.append(dist.entropy())
        values.append(value)
        rewards.append(reward)
    returns, R = [], 0.0
    for r in reversed(rewards):
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    values, log_probs = torch.stack(values), torch.stack(log_probs)
    advantages = returns - values.detach()
    if len(advantages) > 1:
        advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    policy_loss = -(log_probs * advantages).sum()
    value_loss = F.smooth_l1_loss(values, returns, reduction="sum")
    loss = policy_loss + 0.5 * value_loss - entropy_coef * torch.stack(entropies).sum()
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    optimizer.step()
    losses.append(value_loss.item())  # (the total cancels to near zero: compare its parts)
    episode_returns.append(sum(rewards))
    if episode % 10 == 0:
        print(f"episode {episode:2d} length {len(rewards):2d} return {sum(rewards):.2f} loss {loss.item():.3f}")

with torch.no_grad():
    obs, done, path = env.reset(), False, []
    while not done:
        dist, _ = model(obs)
        action = dist.probs.argmax().item()
        obs, _, done = env.step(action)
        path.append(action)
    start_dist, start_value = model(env.reset())
print("greedy path", path, "reached", env.pos == GOAL)
print("start probs", [round(p, 3) for p in start_dist.probs.tolist()], dist)
result = [np.mean(episode_returns[-10:]), start_value.item(), start_dist.entropy().item(), len(path)]
