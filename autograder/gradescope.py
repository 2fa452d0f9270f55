"""The one place that turns a :class:`SubmissionResult` into Gradescope's
``results.json`` format (https://gradescope-autograders.readthedocs.io/en/latest/specs/)."""

from __future__ import annotations

from typing import Any

from autograder.result import PartResult, SubmissionResult

#: Gradescope shows "passed" in green and "failed" in red; partial and
#: provisional grades are failed tests with a score, and the output says why.
STATUS = {"correct": "passed"}


def to_gradescope(result: SubmissionResult) -> dict[str, Any]:
    data: dict[str, Any] = {
        "score": round(result.score, 4),
        "output_format": "text",
        "tests": [_test(part) for part in result.parts],
    }
    if result.messages:
        data["output"] = "\n".join(result.messages)
    return data


def _test(part: PartResult) -> dict[str, Any]:
    output = part.feedback
    if part.answer_raw is not None:
        read = part.answer_as_read if part.answer_as_read is not None else "(could not be read)"
        output = f"Your answer: {_one_line(part.answer_raw)}\nRead as: {read}\n{output}"
    return {
        "name": f"{part.id}: {part.title}",
        "score": part.score,
        "max_score": part.max_score,
        "status": STATUS.get(part.verdict, "failed"),
        "output": output,
        "visibility": "visible" if part.visible else "after_published",
        "extra_data": {
            "id": part.id,
            "verdict": part.verdict,
            "answer_as_read": part.answer_as_read,
            "note": part.note,
        },
    }


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + " …"
