"""The C6 CNN (two convolution blocks with BatchNorm, dropout before the classifier) on
Fashion-MNIST, written as a course writes it: an nn.Module subclass with F.* in forward.

Plain PyTorch. Runs as it is on torch (`python cnn.py`) and on chainrule
(`chainrule run-torch cnn.py`).
"""

import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from fashion_data import default_data_dir, load

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--limit", type=int, default=None, help="train on the first LIMIT images only")
parser.add_argument("--data-dir", default=default_data_dir())
args = parser.parse_args()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(64)
        self.dropout = nn.Dropout(0.25)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = x.view(x.size(0), -1)
        x = self.dropout(F.relu(self.fc1(x)))
        return self.fc2(x)


torch.manual_seed(0)
x, y = load("train", args.data_dir, args.limit)
tx, ty = load("test", args.data_dir, None if args.limit is None else args.limit // 4)
train_loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
test_loader = DataLoader(TensorDataset(tx, ty), batch_size=500)

model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)

for epoch in range(args.epochs):
    model.train()
    total_loss = 0.0
    for batch, (images, labels) in enumerate(train_loader):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        total_loss += loss.item()
    scheduler.step()

    model.eval()
    correct = 0
    with torch.no_grad():
        for images, labels in test_loader:
            correct += (model(images).argmax(dim=1) == labels).sum().item()
    print(f"epoch {epoch + 1} loss {total_loss / (batch + 1):.4f} accuracy {correct / len(ty):.4f} "
          f"lr {scheduler.get_last_lr()[0]:.4g}")
