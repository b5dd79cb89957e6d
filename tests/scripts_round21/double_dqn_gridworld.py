"""Double DQN on a small gridworld (the shape of many course homeworks): a replay memory of
namedtuple Transitions with random.sample, epsilon-greedy actions drawn from a torch.Generator
passed around, one-hot states, the Double-DQN target (online argmax, target-net value),
SmoothL1Loss, clip_grad_norm_, and the target net's soft update written in place on
state_dict() values with lerp_ and with mul_ + add_ (the two common spellings)."""

import random
from collections import deque, namedtuple

import torch
import torch.nn as nn

random.seed(0)
torch.manual_seed(4)
gen = torch.Generator().manual_seed(123)
SIZE, GOAL = 5, (4, 4)
ACTIONS = torch.tensor([[0, 1], [1, 0], [0, -1], [-1, 0]])
Transition = namedtuple("Transition", ("state", "action", "next_state", "reward", "done"))


class ReplayMemory:
    def __init__(self, capacity):
        self.memory = deque([], maxlen=capacity)

    def push(self, *args):
        self.memory.append(Transition(*args))

    def sample(self, batch_size):
        return random.sample(self.memory, batch_size)

    def __len__(self):
        return len(self.memory)


def encode(pos):
    return nn.functional.one_hot(torch.tensor(pos[0] * SIZE + pos[1]), SIZE * SIZE).float()


def step(pos, action):
    new = (torch.tensor(pos) + ACTIONS[action]).clamp(0, SIZE - 1)
    new = tuple(new.tolist())
    done = new == GOAL
    return new, (1.0 if done else -0.04), done


def select_action(net, state, eps, generator):
    if torch.rand(1, generator=generator).item() < eps:
        return int(torch.randint(0, 4, (1,), generator=generator))
    with torch.no_grad():
        return net(state).argmax().item()


policy_net = nn.Sequential(nn.Linear(SIZE * SIZE, 32), nn.ReLU(), nn.Linear(32, 4))
target_net = nn.Sequential(nn.Linear(SIZE * SIZE, 32), nn.ReLU(), nn.Linear(32, 4))
target_net.load_state_dict(policy_net.state_dict())
optimizer = torch.optim.Adam(policy_net.parameters(), lr=3e-3)
memory, criterion = ReplayMemory(500), nn.SmoothL1Loss()
GAMMA, TAU, BATCH = 0.9, 0.05, 32
losses, returns = [], []
for episode in range(25):
    pos, total = (0, 0), 0.0
    eps = max(0.1, 1.0 - episode / 15)
    for t in range(30):
        state = encode(pos)
        action = select_action(policy_net, state, eps, gen)
        pos, reward, done = step(pos, action)
        total += reward
        memory.push(state, torch.tensor([action]), encode(pos), torch.tensor([reward]), torch.tensor([done]))
        if len(memory) >= BATCH:
            batch = Transition(*zip(*memory.sample(BATCH)))
            states, actions = torch.stack(batch.state), torch.cat(batch.action)
            next_states, rewards = torch.stack(batch.next_state), torch.cat(batch.reward)
            dones = torch.cat(batch.done)
            q = policy_net(states).gather(1, actions.unsqueeze(1)).squeeze(1)
            with torch.no_grad():
                best = policy_net(next_states).argmax(1, keepdim=True)
                next_q = target_net(next_states).gather(1, best).squeeze(1)
                target = rewards + GAMMA * next_q * (~dones)
            loss = criterion(q, target)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy_net.parameters(), 10.0)
            optimizer.step()
            losses.append(loss.item())
            target_sd, policy_sd = target_net.state_dict(), policy_net.state_dict()
            for key in policy_sd:
                if key.endswith("weight"):
                    target_sd[key].lerp_(policy_sd[key], TAU)
                else:
                    target_sd[key].mul_(1 - TAU).add_(TAU * policy_sd[key])
        if done:
            break
    returns.append(total)
    if episode % 5 == 4:
        print(f"episode {episode + 1}: return {total:.2f}, steps {t + 1}, eps {eps:.2f}, memory {len(memory)}")

with torch.no_grad():
    grid = torch.stack([encode((r, c)) for r in range(SIZE) for c in range(SIZE)])
    values, greedy = policy_net(grid).max(1)
print(greedy.view(SIZE, SIZE))
gap = sum((a - b).abs().sum() for a, b in zip(policy_net.parameters(), target_net.parameters()))
print(f"mean return (last 5) {sum(returns[-5:]) / 5:.3f}, target gap {gap.item():.4f}")
result = [values.mean().item(), gap.item(), sum(returns)]
