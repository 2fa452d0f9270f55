"""Charts for the instructor report, as ``data:image/png;base64`` URIs so the
page stays one self-contained file. matplotlib is imported when a chart is
drawn: grading never pays for it. Figures are saved without pyplot
(matplotlib picks its Agg renderer for PNG): no display, no global figure state."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from autograder.result import VERDICTS, Verdict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

VERDICT_COLORS: dict[Verdict, str] = {
    "correct": "#2e7d32",
    "partial": "#f9a825",
    "incorrect": "#c62828",
    "unanswered": "#9e9e9e",
    "unreadable": "#6a1b9a",
    "needs_review": "#1565c0",
}


def score_histogram(scores: Sequence[float], max_score: float) -> str:
    """Histogram of total scores, bins of about a tenth of the maximum."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(6.4, 2.8), dpi=100)
    axes = figure.add_subplot()
    top = max(max_score, max(scores, default=0.0), 1.0)
    bins = [top * i / 10 for i in range(11)]
    axes.hist(list(scores), bins=bins, color="#1565c0", edgecolor="white")
    axes.set_xlim(0, top)
    axes.set_xlabel(f"total score (of {top:g})")
    axes.set_ylabel("submissions")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout()
    return _png(figure)


def verdict_shares(rows: Sequence[tuple[str, Mapping[Verdict, int]]]) -> str:
    """One horizontal stacked bar per part: the share of each verdict."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.0, 1.2 + 0.26 * len(rows)), dpi=100)
    axes = figure.add_subplot()
    labels = [label for label, _ in rows]
    positions = list(range(len(rows)))
    left = [0.0] * len(rows)
    for verdict in VERDICTS:
        shares = []
        for _, counts in rows:
            total = sum(counts.values())
            shares.append(counts.get(verdict, 0) / total if total else 0.0)
        axes.barh(positions, shares, left=left, color=VERDICT_COLORS[verdict], label=verdict, height=0.8)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    axes.set_yticks(positions, labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.set_xlabel("share of submissions")
    figure.legend(loc="upper center", ncol=len(VERDICTS), fontsize=7, frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 1 - 0.35 / figure.get_figheight()))
    return _png(figure)


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
