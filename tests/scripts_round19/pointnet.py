"""PointNet classification (Qi et al.; no bias before a BatchNorm, which cancels it): an input T-Net predicting a 3x3 transform applied with
bmm, shared MLPs as Conv1d with BatchNorm1d, max-pooling over points, and the feature
transform's orthogonality regulariser ||I - A A^T||."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(2)
rng = np.random.default_rng(2)


class TNet(nn.Module):
    def __init__(self, k=3):
        super(TNet, self).__init__()
        self.k = k
        self.conv1 = nn.Conv1d(k, 16, 1, bias=False)
        self.conv2 = nn.Conv1d(16, 32, 1, bias=False)
        self.fc1 = nn.Linear(32, 16)
        self.fc2 = nn.Linear(16, k * k)
        self.bn1 = nn.BatchNorm1d(16)
        self.bn2 = nn.BatchNorm1d(32)

    def forward(self, x):
        batchsize = x.size()[0]
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = torch.max(x, 2, keepdim=True)[0]
        x = x.view(-1, 32)
        x = self.fc2(F.relu(self.fc1(x)))
        iden = torch.eye(self.k, dtype=torch.float32).flatten().view(1, self.k * self.k).repeat(batchsize, 1)
        x = x + iden
        return x.view(-1, self.k, self.k)


class PointNetCls(nn.Module):
    def __init__(self, k=2):
        super(PointNetCls, self).__init__()
        self.stn = TNet(3)
        self.conv1 = nn.Conv1d(3, 16, 1, bias=False)
        self.fstn = TNet(16)
        self.conv2 = nn.Conv1d(16, 32, 1, bias=False)
        self.bn1, self.bn2 = nn.BatchNorm1d(16), nn.BatchNorm1d(32)
        self.fc = nn.Sequential(nn.Linear(32, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, k))

    def forward(self, x):
        trans = self.stn(x)
        x = torch.bmm(x.transpose(2, 1), trans).transpose(2, 1)
        x = F.relu(self.bn1(self.conv1(x)))
        trans_feat = self.fstn(x)
        x = torch.bmm(x.transpose(2, 1), trans_feat).transpose(2, 1)
        x = self.bn2(self.conv2(x))
        x, _ = torch.max(x, 2)
        return F.log_softmax(self.fc(x), dim=1), trans, trans_feat


def feature_transform_regularizer(trans):
    d = trans.size()[1]
    I = torch.eye(d)[None, :, :]
    return torch.mean(torch.norm(torch.bmm(trans, trans.transpose(2, 1)) - I, dim=(1, 2)))


n, npts = 16, 32
labels = rng.integers(0, 2, n)
pts = rng.normal(size=(n, npts, 3))
pts[labels == 1] /= np.linalg.norm(pts[labels == 1], axis=2, keepdims=True)  # spheres vs blobs
points = torch.tensor(pts, dtype=torch.float32).transpose(2, 1)
target = torch.from_numpy(labels)

classifier = PointNetCls(k=2)
with torch.no_grad():
    for name, p in classifier.named_parameters():
        if p.dim() > 1 or "bn" not in name:
            p.copy_(torch.from_numpy(rng.normal(0, 0.2, p.shape).astype(np.float32)))
optimizer = torch.optim.Adam(classifier.parameters(), lr=0.001, betas=(0.9, 0.999))
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.5)
losses = []
for epoch in range(8):
    classifier.train()
    optimizer.zero_grad()
    pred, trans, trans_feat = classifier(points)
    loss = F.nll_loss(pred, target) + feature_transform_regularizer(trans_feat) * 0.001
    loss.backward()
    optimizer.step()
    scheduler.step()
    losses.append(loss.item())

classifier.eval()
with torch.no_grad():
    pred, trans, _ = classifier(points)
    pred_choice = pred.data.max(1)[1]
    correct = pred_choice.eq(target.data).cpu().sum()
result = [correct.item() / float(n), torch.linalg.det(trans).mean().item(),
          classifier.stn.bn1.running_mean.sum().item(), classifier.bn2.num_batches_tracked.item()]
