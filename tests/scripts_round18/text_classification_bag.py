"""The text-classification tutorial's EmbeddingBag model on synthetic "news": a vocab built
with a Counter, collate_batch producing (label, text, offsets) with cumsum offsets,
EmbeddingBag(mode='mean') with init_weights' uniform_/zero_, SGD(lr=5), StepLR(step_size=1.0),
clip_grad_norm_(0.1), the tutorial's train/evaluate loops and predict()."""

from collections import Counter

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

torch.manual_seed(0)
rng = np.random.default_rng(23)
topic_words = [["ball", "goal", "team", "match"], ["stock", "market", "bank", "price"],
               ["vote", "party", "law", "court"]]
common = ["the", "a", "of", "in", "today", "new"]
train_iter = []
for i in range(90):
    label = int(rng.integers(0, 3))
    words = list(rng.choice(topic_words[label], 3)) + list(rng.choice(common, int(rng.integers(2, 6))))
    rng.shuffle(words)
    train_iter.append((label + 1, " ".join(words)))
tokenizer = str.split
counter = Counter(tok for _, line in train_iter for tok in tokenizer(line))
vocab = {"<unk>": 0}
for tok, _ in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])):
    vocab[tok] = len(vocab)
text_pipeline = lambda x: [vocab.get(t, 0) for t in tokenizer(x)]  # noqa: E731
label_pipeline = lambda x: int(x) - 1  # noqa: E731
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def collate_batch(batch):
    label_list, text_list, offsets = [], [], [0]
    for _label, _text in batch:
        label_list.append(label_pipeline(_label))
        processed_text = torch.tensor(text_pipeline(_text), dtype=torch.int64)
        text_list.append(processed_text)
        offsets.append(processed_text.size(0))
    label_list = torch.tensor(label_list, dtype=torch.int64)
    offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
    text_list = torch.cat(text_list)
    return label_list.to(device), text_list.to(device), offsets.to(device)


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super(TextClassificationModel, self).__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self):
        initrange = 0.5
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.fc.weight.data.uniform_(-initrange, initrange)
        self.fc.bias.data.zero_()

    def forward(self, text, offsets):
        embedded = self.embedding(text, offsets)
        return self.fc(embedded)


model = TextClassificationModel(len(vocab), 8, 3).to(device)
g = np.random.default_rng(24)
model.embedding.weight.data.copy_(torch.from_numpy(g.uniform(-0.5, 0.5, (len(vocab), 8)).astype(np.float32)))
model.fc.weight.data.copy_(torch.from_numpy(g.uniform(-0.5, 0.5, (3, 8)).astype(np.float32)))
criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=5)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
train_dataloader = DataLoader(train_iter[:72], batch_size=8, shuffle=False, collate_fn=collate_batch)
valid_dataloader = DataLoader(train_iter[72:], batch_size=8, shuffle=False, collate_fn=collate_batch)
losses = []


def train(dataloader):
    model.train()
    total_acc, total_count = 0, 0
    for idx, (label, text, offsets) in enumerate(dataloader):
        optimizer.zero_grad()
        predicted_label = model(text, offsets)
        loss = criterion(predicted_label, label)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        total_acc += (predicted_label.argmax(1) == label).sum().item()
        total_count += label.size(0)
        losses.append(loss.item())
    return total_acc / total_count


def evaluate(dataloader):
    model.eval()
    total_acc, total_count = 0, 0
    with torch.no_grad():
        for idx, (label, text, offsets) in enumerate(dataloader):
            predicted_label = model(text, offsets)
            total_acc += (predicted_label.argmax(1) == label).sum().item()
            total_count += label.size(0)
    return total_acc / total_count


total_accu, accs = None, []
for epoch in range(1, 5):
    train_acc = train(train_dataloader)
    accu_val = evaluate(valid_dataloader)
    if total_accu is not None and total_accu > accu_val:
        scheduler.step()
    else:
        total_accu = accu_val
    accs += [train_acc, accu_val, optimizer.param_groups[0]["lr"]]


def predict(text, text_pipeline):
    with torch.no_grad():
        text = torch.tensor(text_pipeline(text))
        output = model(text, torch.tensor([0]))
        return output.argmax(1).item() + 1


result = accs + [predict("the goal of the team", text_pipeline), predict("bank price today", text_pipeline)]
