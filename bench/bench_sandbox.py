"""Benchmark: the cost of running a student's module in the sandbox.

    .venv/bin/python bench/bench_sandbox.py [--runs 50] [--mode bwrap|rlimits]

Prints the zygote's start time (paid once per worker: it imports torch) and the
mean wall time of one "module" run with a warm zygote (d_model=16, 2 heads, two
forward calls), which is what a batch pays per submission. Measures, asserts
nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.sandbox import Sandbox, isolation_available  # noqa: E402

MODULE = """
import math
import torch
import torch.nn as nn


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        super().__init__()
        self.d_model, self.num_heads, self.d_k = d_model, num_heads, d_model // num_heads
        self.W_q = nn.Linear(d_model, d_model)
        self.W_k = nn.Linear(d_model, d_model)
        self.W_v = nn.Linear(d_model, d_model)
        self.W_o = nn.Linear(d_model, d_model)

    def split_heads(self, x):
        b, s, _ = x.size()
        return x.view(b, s, self.num_heads, self.d_k).transpose(1, 2)

    def forward(self, Q, K, V, mask=None):
        Q, K, V = (self.split_heads(w(t)) for w, t in ((self.W_q, Q), (self.W_k, K), (self.W_v, V)))
        scores = torch.matmul(Q, K.transpose(-2, -1)) / math.sqrt(self.d_k)
        if mask is not None:
            scores = scores.masked_fill(mask == 0, -1e9)
        out = torch.matmul(torch.softmax(scores, dim=-1), V)
        b, _, s, _ = out.size()
        return self.W_o(out.transpose(1, 2).contiguous().view(b, s, self.d_model))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--mode", choices=["bwrap", "rlimits"], default=None)
    options = parser.parse_args()

    x = [[[((i * 7 + j * 3 + k) % 11) / 11 for k in range(16)] for j in range(5)] for i in range(2)]
    payload = {
        "class_name": "MultiHeadAttention",
        "init_args": [16, 2],
        "calls": [{"args": [x, x, x]}, {"args": [x, x, x]}],
        "attributes": ["W_v.in_features"],
    }
    print(f"automatic isolation here: {isolation_available()}")
    with Sandbox(mode=options.mode) as sandbox:
        print(f"isolation: {sandbox.isolation}")
        print(f"zygote start: {sandbox.zygote_start_seconds * 1000:.0f} ms")
        sandbox.run("module", MODULE, payload)  # first run: page cache, lazy imports
        times = []
        for _ in range(options.runs):
            started = time.perf_counter()
            result = sandbox.run("module", MODULE, payload)
            times.append(time.perf_counter() - started)
            if result.status != "ok":
                raise SystemExit(f"unexpected result: {result}")
        echo = []
        for _ in range(options.runs):
            started = time.perf_counter()
            sandbox.run("echo", "", {})
            echo.append(time.perf_counter() - started)
    print(
        f"module run: mean {statistics.mean(times) * 1000:.1f} ms, "
        f"median {statistics.median(times) * 1000:.1f} ms over {options.runs} runs"
    )
    print(f"echo run (fork + round trip only): mean {statistics.mean(echo) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
