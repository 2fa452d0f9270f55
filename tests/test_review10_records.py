"""Review of issue 10 (reviewer-safety): a result record whose new field ``as_read_math``
is not text is refused with the record's name, as other malformed
records are (``RecordError``: "not a result record …; grade again"), never a traceback
from inside a template."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from autograder.cli import EXIT_OK, main
from tests.conftest import TINY


@pytest.mark.parametrize(("field", "value"), [("as_read_math", 7), ("as_read_math", ["<math/>"])])
def test_a_record_with_a_non_text_new_field_is_a_clear_error(
    tmp_path: Path, field: str, value: object, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    command = ["grade", str(TINY / "submissions"), "--problems", str(TINY / "problems"), "--out", str(out)]
    assert main(command, io.StringIO()) == EXIT_OK
    record = out / "alice" / "result.json"
    data = json.loads(record.read_text(encoding="utf-8"))
    data["questions"][0]["parts"][0][field] = value
    record.write_text(json.dumps(data), encoding="utf-8")
    stdout = io.StringIO()
    code = main(["report", str(out)], stdout)  # a traceback here fails the test
    assert code != EXIT_OK
    error = capsys.readouterr().err  # errors go to stderr, as a sentence
    assert "alice" in error and "not a result record" in error and "Traceback" not in error
