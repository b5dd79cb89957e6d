"""Hand-written loops over RNNCell, GRUCell and LSTMCell, NAdam with ExponentialLR."""
import torch
import torch.nn as nn

torch.manual_seed(41)
torch.set_num_threads(1)

rnn = nn.RNNCell(3, 5, nonlinearity="tanh")
gru = nn.GRUCell(5, 6)
lstm = nn.LSTMCell(6, 4)
head = nn.Linear(4, 1)
params = [*rnn.parameters(), *gru.parameters(), *lstm.parameters(), *head.parameters()]
opt = torch.optim.NAdam(params, lr=0.01)
sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
print("gru w_hh", gru.weight_hh[:2, :3])

for step in range(8):
    seq = torch.randn(7, 4, 3)
    target = seq.sum(dim=(0, 2)).unsqueeze(1) / 4
    h1 = torch.zeros(4, 5)
    h2 = torch.zeros(4, 6)
    h3, c3 = torch.zeros(4, 4), torch.zeros(4, 4)
    for x in seq:
        h1 = rnn(x, h1)
        h2 = gru(h1, h2)
        h3, c3 = lstm(h2, (h3, c3))
    loss = nn.functional.mse_loss(head(h3), target)
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    print(f"step {step} loss {loss.item():.6f} lr {opt.param_groups[0]['lr']:.6f}")
print("h3", h3[0])
print("c3", c3[:2].detach())
