import torch
from torch import nn


class ElmanCell(nn.Module):
    """One step of a vanilla RNN on a batch: h' = tanh(x W_x + h W_h + b)."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.W_x = nn.Parameter(torch.randn(input_size, hidden_size) / input_size ** 0.5)
        self.W_h = nn.Parameter(torch.randn(hidden_size, hidden_size) / hidden_size ** 0.5)
        self.b = nn.Parameter(torch.randn(hidden_size))

    def forward(self, x, h):
        # x: [N, input_size], h: [N, hidden_size] -> [N, hidden_size]
        return ___(step)___
