"""REINFORCE on a toy contextual bandit / corridor: a policy network, Categorical(logits=...),
log_prob and entropy bonus, discounted returns normalised with std + eps, and a value
baseline with smooth_l1_loss. Actions are drawn with NumPy so both runs see the same."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical

torch.manual_seed(543)
rng = np.random.default_rng(14)
gamma, eps = 0.99, np.finfo(np.float32).eps.item()


class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(4, 32)
        self.action_head = nn.Linear(32, 2)
        self.value_head = nn.Linear(32, 1)
        self.saved_actions, self.rewards = [], []

    def forward(self, x):
        x = F.relu(self.affine1(x))
        return F.softmax(self.action_head(x), dim=-1), self.value_head(x)


policy = Policy()
with torch.no_grad():
    for p in policy.parameters():
        p.copy_(torch.from_numpy(rng.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))
optimizer = optim.Adam(policy.parameters(), lr=3e-2)


def env_step(state, action):
    target = 1 if state[0] + state[2] > 0 else 0
    reward = 1.0 if action == target else -0.5
    return rng.normal(size=4).astype(np.float32), reward


def select_action(state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs, state_value = policy(state)
    m = Categorical(probs)
    u = rng.random()
    action = torch.tensor([int(u > probs[0, 0].item())])
    policy.saved_actions.append((m.log_prob(action), m.entropy(), state_value))
    return action.item()


def finish_episode():
    R, policy_losses, value_losses, returns = 0, [], [], []
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for (log_prob, entropy, value), R in zip(policy.saved_actions, returns):
        advantage = R - value.item()
        policy_losses.append(-log_prob * advantage - 0.01 * entropy)
        value_losses.append(F.smooth_l1_loss(value, torch.tensor([[R]])))
    optimizer.zero_grad()
    loss = torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()
    loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_actions[:]
    return loss.item()


losses, running_reward = [], 0
for i_episode in range(15):
    state, ep_reward = rng.normal(size=4).astype(np.float32), 0
    for t in range(1, 12):
        action = select_action(state)
        state, reward = env_step(state, action)
        policy.rewards.append(reward)
        ep_reward += reward
    running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
    losses.append(finish_episode())
    if i_episode % 5 == 0:
        print(f"Episode {i_episode}\tLast reward: {ep_reward:.2f}\tAverage reward: {running_reward:.2f}")

with torch.no_grad():
    probe = torch.from_numpy(rng.normal(size=(64, 4)).astype(np.float32))
    probs, values = policy(probe)
    dist = Categorical(probs=probs)
    greedy_acc = (probs.argmax(-1) == (probe[:, 0] + probe[:, 2] > 0).long()).float().mean().item()
    samples = dist.sample((5,))
    assert samples.shape == (5, 64) and samples.dtype == torch.int64
result = [running_reward, greedy_acc, dist.entropy().mean().item(), values.mean().item()]
