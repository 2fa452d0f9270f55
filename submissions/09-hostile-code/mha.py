"""A hostile q3.b: it tries to read the reference and other students' work, to reach the
network, to forge a result and to leave files behind, then crashes. Graded: 0 points, a clear
message, and nothing it found or printed reaches the grade."""
import os
import pathlib
import socket

LOOT = []
for path in ("/work/main/reference/hw9/answers.yaml", "../../reference/hw9/answers.yaml", "/autograder/source"):
    try:
        LOOT.append(pathlib.Path(path).read_text()[:80])
    except Exception as error:  # noqa: BLE001
        LOOT.append(type(error).__name__)
try:
    socket.create_connection(("1.1.1.1", 53), timeout=1)
    LOOT.append("network")
except OSError as error:
    LOOT.append(type(error).__name__)
try:
    pathlib.Path("/tmp/hostile-was-here").write_text("x")
except OSError:
    pass
print('{"score": 41, "tests": []}')
raise RuntimeError("what I could reach: " + repr(LOOT))




import math

import torch
from torch import nn


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        super().__init__()
        self.d_model = d_model
        self.num_heads = num_heads
        self.d_k = d_model // num_heads
        self.W_q = nn.Linear(d_model, d_model)
        self.W_k = nn.Linear(d_model, d_model)
        self.W_v = nn.Linear(in_features=d_model, out_features=2 * d_model)
        self.W_o = nn.Linear(2 * d_model, d_model)

    def scaled_dot_product_attention(self, Q, K, V, mask=None):
        attn_scores = torch.matmul(Q, K.transpose(-2, -1))
        attn_scores = attn_scores / math.sqrt(self.d_k)
        if mask is not None:
            attn_scores = attn_scores.masked_fill(mask == 0, -1e9)
        attn_probs = torch.softmax(attn_scores, dim=-1)
        output = torch.matmul(attn_probs, V)
        return output

    def split_heads(self, x):
        batch_size, seq_length, _ = x.size()
        return x.view(batch_size, seq_length, self.num_heads, -1).transpose(1, 2)

    def combine_heads(self, x):
        batch_size, _, seq_length, _ = x.size()
        return x.transpose(1, 2).contiguous().view(batch_size, seq_length, -1)

    def forward(self, Q, K, V, mask=None):
        Q = self.split_heads(self.W_q(Q))
        K = self.split_heads(self.W_k(K))
        V = self.split_heads(self.W_v(V))
        attn_output = self.scaled_dot_product_attention(Q, K, V, mask)
        output = self.W_o(self.combine_heads(attn_output))
        return output
