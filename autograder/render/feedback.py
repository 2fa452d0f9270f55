"""Per-submission feedback: ``OUT/<submission>/feedback.html`` (self-contained:
inline CSS, no scripts, no network) and ``feedback.md`` (for Gradescope's
``output_format: md``)."""

from __future__ import annotations

from pathlib import Path

from autograder import safeio
from autograder.render.env import environment
from autograder.render.records import GradedSubmission

FEEDBACK_HTML = "feedback.html"
FEEDBACK_MD = "feedback.md"


def feedback_html(record: GradedSubmission, *, show_solutions: bool = False) -> str:
    """Reference answers appear where the spec says ``show_reference`` or when ``show_solutions``."""
    return environment().get_template(FEEDBACK_HTML).render(record=record, show_solutions=show_solutions)


def feedback_markdown(record: GradedSubmission, *, show_solutions: bool = False) -> str:
    return environment().get_template(FEEDBACK_MD).render(record=record, show_solutions=show_solutions)


def write_feedback(record: GradedSubmission, folder: Path, *, show_solutions: bool = False) -> list[Path]:
    safeio.ensure_folder(folder)
    return [
        safeio.write_text(folder / FEEDBACK_HTML, feedback_html(record, show_solutions=show_solutions)),
        safeio.write_text(folder / FEEDBACK_MD, feedback_markdown(record, show_solutions=show_solutions)),
    ]
