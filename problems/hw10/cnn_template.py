import torch
from torch import nn
import torch.nn.functional as F


class TinyCNN(nn.Module):
    """3x3 conv (8 channels, padding 1) -> ReLU -> 2x2 max-pool -> flatten -> linear."""

    def __init__(self, in_channels, num_classes, image_size):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, 8, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(___(fc_in)___, num_classes)

    def forward(self, x):
        # x: [N, in_channels, image_size, image_size] -> [N, num_classes]
        x = self.pool(F.relu(self.conv(x)))
        x = ___(flatten)___
        return self.fc(x)
