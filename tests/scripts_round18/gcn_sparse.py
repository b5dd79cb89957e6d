"""A two-layer graph convolutional network in pygcn's style on a synthetic two-community
graph: a symmetric-normalised sparse adjacency (torch.sparse_coo_tensor, coalesce,
torch.sparse.sum for degrees), GraphConvolution layers with torch.spmm, log_softmax +
nll_loss on the training nodes, Adam with weight decay, masked accuracy."""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.nn.parameter import Parameter

torch.manual_seed(42)
rng = np.random.default_rng(15)
n_nodes, n_feat, n_hidden, n_class = 40, 8, 16, 2
labels_np = np.repeat([0, 1], n_nodes // 2)
edges = []
for i in range(n_nodes):
    for j in range(i + 1, n_nodes):
        p = 0.25 if labels_np[i] == labels_np[j] else 0.02
        if rng.random() < p:
            edges += [(i, j), (j, i)]
edges += [(i, i) for i in range(n_nodes)]  # self-loops
edge_index = torch.tensor(edges, dtype=torch.long).t().contiguous()
features = torch.from_numpy(rng.normal(labels_np[:, None] * 0.5, 1.0, (n_nodes, n_feat)).astype(np.float32))
labels = torch.LongTensor(labels_np)

adj = torch.sparse_coo_tensor(edge_index, torch.ones(edge_index.size(1)), (n_nodes, n_nodes)).coalesce()
deg = torch.sparse.sum(adj, dim=1).to_dense()
d_inv_sqrt = deg.pow(-0.5)
d_inv_sqrt[torch.isinf(d_inv_sqrt)] = 0.0
row, col = adj.indices()
norm_values = d_inv_sqrt[row] * adj.values() * d_inv_sqrt[col]
adj = torch.sparse_coo_tensor(adj.indices(), norm_values, adj.shape)
assert adj.is_sparse and adj._nnz() == len(edges)
idx_train, idx_val = torch.LongTensor(list(range(0, 40, 4))), torch.LongTensor(list(range(1, 40, 2)))


class GraphConvolution(nn.Module):
    def __init__(self, in_features, out_features, bias=True):
        super(GraphConvolution, self).__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(torch.FloatTensor(in_features, out_features))
        if bias:
            self.bias = Parameter(torch.FloatTensor(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.weight.size(1))
        self.weight.data.uniform_(-stdv, stdv)
        if self.bias is not None:
            self.bias.data.uniform_(-stdv, stdv)

    def forward(self, input, adj):
        support = torch.mm(input, self.weight)
        output = torch.spmm(adj, support)
        return output + self.bias if self.bias is not None else output

    def __repr__(self):
        return self.__class__.__name__ + " (" + str(self.in_features) + " -> " + str(self.out_features) + ")"


class GCN(nn.Module):
    def __init__(self, nfeat, nhid, nclass, dropout):
        super(GCN, self).__init__()
        self.gc1 = GraphConvolution(nfeat, nhid)
        self.gc2 = GraphConvolution(nhid, nclass)
        self.dropout = dropout

    def forward(self, x, adj):
        x = F.relu(self.gc1(x, adj))
        x = F.dropout(x, self.dropout, training=self.training)
        x = self.gc2(x, adj)
        return F.log_softmax(x, dim=1)


def accuracy(output, labels):
    preds = output.max(1)[1].type_as(labels)
    correct = preds.eq(labels).double()
    return correct.sum() / len(labels)


model = GCN(nfeat=n_feat, nhid=n_hidden, nclass=n_class, dropout=0.0)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.uniform(-0.3, 0.3, tuple(p.shape)).astype(np.float32)))
description = repr(model.gc1)
optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)

losses = []
for epoch in range(40):
    model.train()
    optimizer.zero_grad()
    output = model(features, adj)
    loss_train = F.nll_loss(output[idx_train], labels[idx_train])
    acc_train = accuracy(output[idx_train], labels[idx_train])
    loss_train.backward()
    optimizer.step()
    model.eval()
    output = model(features, adj)
    loss_val = F.nll_loss(output[idx_val], labels[idx_val])
    losses += [loss_train.item(), loss_val.item()]
    if epoch % 10 == 0:
        print("Epoch: {:04d}".format(epoch + 1), "loss_train: {:.4f}".format(loss_train.item()),
              "acc_train: {:.4f}".format(acc_train.item()), "loss_val: {:.4f}".format(loss_val.item()))

model.eval()
output = model(features, adj)
acc_test = accuracy(output, labels)
edge_weights = torch.sparse_coo_tensor(edge_index, torch.ones(edge_index.size(1)), (n_nodes, n_nodes),
                                       requires_grad=True)
(torch.sparse.mm(edge_weights, features) ** 2).sum().backward()
grad_at_edges = edge_weights.grad.to_dense()[edge_index[0], edge_index[1]]
result = [acc_test.item(), deg.sum().item(), norm_values.sum().item(), grad_at_edges.sum().item(),
          edge_weights.grad.to_dense().abs().sum().item()]
