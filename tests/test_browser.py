"""Open report.html and feedback pages in headless Chromium and check that they
render with no console errors and no network requests.

Chromium is driven over the DevTools protocol on ``--remote-debugging-pipe``
(JSON messages separated by NUL bytes on file descriptors 3 and 4) with the
standard library only. Debian's ``chromium`` package provides the browser
(``.ci/run`` installs it); without it the test is skipped, except under CI.

Math is native MathML (no scripts, no fonts): the tests check that Chromium lays it out
(a fraction's numerator stands above its denominator, taller than a line of text), that
statement Markdown became HTML, and that a caret stands under the character it points at.

Screenshots of every page opened are kept as test artifacts in ``$ARTIFACTS_DIR``
(default ``tests/artifacts/``, git-ignored), one PNG per page, for a person to look at.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sympy

from autograder.graders import REGISTRY
from autograder.mathread import Vocabulary, read_expression
from autograder.render.feedback import feedback_html
from autograder.render.records import GradedPart, GradedQuestion, GradedSubmission
from tests.test_reports import graded_out  # noqa: F401 (the graded OUT folder, shared with test_reports)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TIMEOUT = 30.0
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
    "--window-size=1200,900",
]
ALLOWED_SCHEMES = ("file:", "data:")
ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR") or Path(__file__).parent / "artifacts")
#: What a page's math and Markdown look like once laid out, measured in the page.
LAYOUT_PROBE = """(() => {
    const box = (element) => element.getBoundingClientRect();
    const maths = Array.from(document.querySelectorAll("math"));
    const fractions = Array.from(document.querySelectorAll("mfrac")).filter((f) => f.children.length === 2);
    const line = parseFloat(getComputedStyle(document.body).lineHeight);
    const caret = (pre) => {
        const text = pre.firstChild;
        if (!text || text.nodeType !== Node.TEXT_NODE) return null;
        const lines = text.data.split("\\n");
        let offset = 0;
        for (let i = 0; i < lines.length; i++) {
            if (i > 0 && /^ +\\^$/.test(lines[i])) {
                const column = lines[i].indexOf("^"), above = lines[i - 1];
                const x = (start, end) => {
                    const range = document.createRange();
                    range.setStart(text, start);
                    range.setEnd(text, end);
                    return range.getBoundingClientRect();
                };
                const mark = x(offset + column, offset + column + 1);
                const start = offset - above.length - 1;
                const last = start + above.length;
                const target = column < above.length
                    ? x(start + column, start + column + 1).left
                    : x(last - 1, last).right;
                return Math.abs(mark.left - target);
            }
            offset += lines[i].length + 1;
        }
        return null;
    };
    return JSON.stringify({
        maths: maths.length,
        mathsDrawn: maths.filter((m) => box(m).width > 0 && box(m).height > 0).length,
        mathDisplay: maths.length ? getComputedStyle(maths[0]).display : "",
        fractions: fractions.length,
        fractionsStacked: fractions.filter((f) => box(f.children[0]).bottom <= box(f.children[1]).top + 1).length,
        tallestFraction: Math.max(0, ...fractions.map((f) => box(f).height)),
        roots: Array.from(document.querySelectorAll("msqrt"))
            .map((root) => box(root).width - box(root.firstElementChild || root).width),
        line: line,
        statementCode: document.querySelectorAll(".statement code").length,
        statementItems: document.querySelectorAll(".statement li").length,
        statementMath: document.querySelectorAll(".statement math").length,
        latexShownAsSource: document.querySelectorAll("code.latex").length,
        carets: Array.from(document.querySelectorAll("pre.pointed")).map(caret),
    });
})()"""

VOCABULARY = Vocabulary({"d": sympy.Symbol("d", positive=True)})

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


class DevTools:
    """A Chromium child and a blocking DevTools client on its pipe."""

    def __init__(self, profile: Path) -> None:
        assert CHROMIUM is not None, "chromium must be installed for this test (apt-get install -y chromium)"
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def connect_pipe() -> None:
            # Chromium reads commands on fd 3 and writes replies on fd 4. Duplicate
            # high first so a pipe end that already is 3 or 4 is not overwritten.
            commands = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
            replies = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
            os.dup2(commands, 3)
            os.dup2(replies, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=connect_pipe,  # the only way to place fds 3 and 4; no other thread runs yet
            pass_fds=(3, 4),
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._from_browser, 65536):
            buffer += chunk
            *complete, buffer = buffer.split(b"\0")
            for message in complete:
                self.messages.put(json.loads(message))

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        command: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            command["sessionId"] = session
        os.write(self._to_browser, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = self.messages.get(timeout=max(0.1, deadline - time.monotonic()))
            if message.get("id") == self._next_id:
                assert "error" not in message, f"{method}: {message['error']}"
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    def wait_for(self, methods: tuple[str, ...], seen: int = 0, seconds: float = TIMEOUT) -> dict[str, Any]:
        """The first event after ``events[seen:]`` whose method is one of ``methods``."""
        deadline = time.monotonic() + seconds
        while True:
            for event in self.events[seen:]:
                if event.get("method") in methods:
                    return event
            seen = len(self.events)
            self.events.append(self.messages.get(timeout=max(0.1, deadline - time.monotonic())))

    def drain(self, seconds: float) -> None:
        """Collect the events that arrive within ``seconds`` (late console messages)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self.events.append(self.messages.get(timeout=left))
            except queue.Empty:
                break

    def close(self) -> None:
        try:
            self.call("Browser.close")
            self.process.wait(timeout=10)
        except Exception:  # a browser that does not close must not outlive the test
            self.process.kill()
            self.process.wait()
        finally:
            os.close(self._to_browser)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    devtools = DevTools(tmp_path_factory.mktemp("chromium-profile"))
    yield devtools
    devtools.close()


def render_page(browser: DevTools, page: Path, screenshot: Path) -> dict[str, Any]:
    """Load ``page`` in a fresh tab; return its DOM facts, its layout (:data:`LAYOUT_PROBE`),
    the events seen, and save a screenshot (also in :data:`ARTIFACTS`)."""
    target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.call(f"{domain}.enable", session=session)
    browser.events.clear()
    browser.call("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
    seen = 0
    while True:
        event = browser.wait_for(("Page.loadEventFired", "Page.javascriptDialogOpening"), seen)
        if event["method"] == "Page.loadEventFired":
            break
        # An alert() holds the load event until it is dismissed; problems_in reports it.
        seen = browser.events.index(event) + 1
        browser.call("Page.handleJavaScriptDialog", {"accept": True}, session=session)
    browser.drain(0.5)
    facts = browser.call(
        "Runtime.evaluate",
        {
            "expression": """JSON.stringify({
                title: document.title,
                scripts: document.scripts.length,
                images: document.images.length,
                imagesRendered: Array.from(document.images).every(i => i.complete && i.naturalWidth > 0),
                height: document.documentElement.scrollHeight,
            })""",
            "returnByValue": True,
        },
        session=session,
    )
    layout = browser.call("Runtime.evaluate", {"expression": LAYOUT_PROBE, "returnByValue": True}, session=session)
    shot = browser.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / screenshot.name).write_bytes(screenshot.read_bytes())
    events = [event for event in browser.events if event.get("sessionId") == session]
    browser.call("Target.closeTarget", {"targetId": target})
    return {
        "dom": json.loads(facts["result"]["value"]),
        "layout": json.loads(layout["result"]["value"]),
        "events": events,
    }


def problems_in(events: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(console errors and messages, URLs requested outside file: and data:)."""
    console = []
    requests = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled":  # the pages have no scripts: any console call is unexpected
            console.append(f"console.{params['type']}: {params.get('args')}")
        elif method == "Runtime.exceptionThrown":
            console.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            console.append(f"log {params['entry']['level']}: {params['entry']['text']}")
        elif method == "Page.javascriptDialogOpening":
            console.append(f"dialog: {params.get('message')}")
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(ALLOWED_SCHEMES):
                requests.append(url)
    return console, requests


@pytest.mark.parametrize(
    ("page", "title"),
    [
        ("report.html", "Grading report"),
        ("03-typical-mistakes/feedback.html", "Feedback: 03-typical-mistakes"),
        ("05-unreadable-and-hostile/feedback.html", "Feedback: 05-unreadable-and-hostile"),
    ],
)
def test_page_renders_offline_without_errors(
    browser: DevTools,
    graded_out: Path,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
    page: str,
    title: str,
) -> None:
    screenshot = tmp_path / (page.replace("/", "-") + ".png")
    seen = render_page(browser, graded_out / page, screenshot)
    console, requests = problems_in(seen["events"])
    assert console == []
    assert requests == []
    assert any(event.get("method") == "Network.requestWillBeSent" for event in seen["events"])  # we did watch
    dom = seen["dom"]
    assert dom["title"] == title
    assert dom["scripts"] == 0  # hostile answers (<script> in 05's q2.b) stay text
    assert dom["imagesRendered"]
    assert dom["height"] > 500
    if page == "report.html":
        assert dom["images"] == 2  # the histogram and the verdict shares, inline PNG
    assert screenshot.stat().st_size > 10_000


def test_answers_as_read_are_native_mathml(
    browser: DevTools,
    graded_out: Path,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    """03's answers as read (``1/sqrt(d)`` among them) laid out by Chromium's MathML engine."""
    seen = render_page(browser, graded_out / "03-typical-mistakes" / "feedback.html", tmp_path / "03-math.png")
    layout = seen["layout"]
    assert layout["maths"] >= 5 and layout["mathsDrawn"] == layout["maths"]
    assert layout["mathDisplay"] in ("math", "inline math")  # Chromium lays it out as MathML
    assert layout["fractions"] >= 1 and layout["fractionsStacked"] == layout["fractions"]
    assert layout["tallestFraction"] > layout["line"]  # numerator over denominator: taller than a line
    assert layout["roots"] and min(layout["roots"]) > 2  # the radical sign takes room beside its content
    assert layout["statementMath"] >= 1 and layout["latexShownAsSource"] == 0  # every statement formula converted
    assert layout["statementCode"] >= 1  # q3's statement: `MultiHeadAttention`, `d_model`… as code


def test_a_caret_stands_under_the_character_it_points_at(
    browser: DevTools,
    graded_out: Path,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    seen = render_page(browser, graded_out / "05-unreadable-and-hostile" / "feedback.html", tmp_path / "05-carets.png")
    carets = [offset for offset in seen["layout"]["carets"] if offset is not None]
    assert carets and max(carets) < 0.5, carets  # pixels between the caret and its character


STATEMENT = """Let $q, k \\in \\mathbb{R}^{d}$ and call `torch.softmax(scores, dim=-1)`:

- scale by $\\frac{1}{\\sqrt{d}}$,
- then *normalise*.

$$\\mathrm{softmax}(x)_i = \\frac{e^{x_i}}{\\sum_j e^{x_j}}$$

Unknown $\\foo{x}$ stays source; <script>alert(1)</script> stays text."""


def test_statement_markdown_and_math_render(browser: DevTools, tmp_path: Path) -> None:
    part = GradedPart(
        id="q1.a", question="q1", title="Scale", max_score=1.0, score=1.0, verdict="correct",
        feedback="Correct.", answer_raw="1/sqrt(d)", answer_as_read="1/sqrt(d)", prompt="Find `s` so that $s^2 = d$.",
        as_read_math=REGISTRY["symbolic"].typeset(read_expression("1/sqrt(d)", VOCABULARY)),  # type: ignore[misc]
    )  # fmt: skip
    record = GradedSubmission("statement-demo", (GradedQuestion("q1", "Markdown", STATEMENT, (part,)),))
    page = tmp_path / "statement-demo-feedback.html"
    page.write_text(feedback_html(record), encoding="utf-8")
    seen = render_page(browser, page, tmp_path / "statement-demo-feedback.html.png")
    console, requests = problems_in(seen["events"])
    assert (console, requests, seen["dom"]["scripts"]) == ([], [], 0)
    layout = seen["layout"]
    assert layout["statementItems"] == 2  # the list
    assert layout["statementCode"] == 2 and layout["latexShownAsSource"] == 1  # `torch.softmax(…)`; \\foo{x}
    assert layout["statementMath"] == 3  # q, k ∈ ℝᵈ; 1/√d; the display formula
    assert layout["mathsDrawn"] == layout["maths"] == 5  # and the prompt's s² = d, the answer as read
    assert layout["fractionsStacked"] == layout["fractions"] == 3
