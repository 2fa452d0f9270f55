"""``einsum``: HW9 Q4 c–e, the einsum calls of multi-query attention, judged by the tensor they compute."""

from __future__ import annotations

from typing import Any

import pytest

from autograder.graders import einsum
from autograder.mathread import Unreadable
from autograder.spec import Part, SpecError, build_dataclass, build_vocabulary

VOCABULARY = build_vocabulary({}, [], "test")
OPERANDS = {
    "c": [{"name": "x", "shape": ["b", "d"]}, {"name": "W_q", "shape": ["h", "d", "q"]}],
    "d": [{"name": "x", "shape": ["b", "d"]}, {"name": "W_k", "shape": ["d", "k"]}],
    "e": [{"name": "x", "shape": ["b", "d"]}, {"name": "W_v", "shape": ["d", "v"]}],
}
REFERENCE = {
    "c": 'torch.einsum("bd,hdq->bhq", x, W_q)',
    "d": 'torch.einsum("bd,dk->bk", x, W_k)',
    "e": 'torch.einsum("bd,dv->bv", x, W_v)',
}


def make_part(key: str, raw: dict[str, Any] | None = None) -> Part:
    data = raw if raw is not None else {"operands": OPERANDS[key]}
    params = einsum.prepare(build_dataclass(einsum.Params, data, "test"), VOCABULARY)
    return Part(
        id=f"q4.{key}",
        question="q4",
        title=key,
        prompt="",
        points=1.0,
        kind="einsum",
        params=params,
        vocabulary=VOCABULARY,
    )


PARTS = {key: make_part(key) for key in OPERANDS}


def grade(key: str, text: str) -> Any:
    part = PARTS[key]
    return einsum.grade(einsum.read(text, part), einsum.read(REFERENCE[key], part), part)


ACCEPTED = [
    ("c", 'torch.einsum("bd,hdq->bhq", x, W_q)'),
    ("c", "einsum('bd,hdq->bhq', x, W_q)"),
    ("c", 'np.einsum("bd,hdq->bhq", x, W_q)'),
    ("c", '"bd,hdq->bhq"'),
    ("c", "bd,hdq->bhq"),
    ("c", " bd , hdq -> bhq "),
    ("c", '"ij,kjl->ikl"'),
    ("c", 'torch.einsum("ij,kjl->ikl", x, W_q)'),
    ("c", 'torch.einsum("hdq,bd->bhq", W_q, x)'),
    ("c", 'torch.einsum("bd,hdq->bhq", [x, W_q])'),
    ("c", "bd,hdq"),
    ("c", "...d,hdq->...hq"),
    ("c", "`bd,hdq->bhq`"),
    ("c", 'q = torch.einsum("bd,hdq->bhq", x, W_q)'),
    ("d", 'torch.einsum("bd,dk->bk", x, W_k)'),
    ("d", "bd,dk->bk"),
    ("d", "ij,jk->ik"),
    ("d", "bd,dk"),
    ("d", 'einsum("dk,bd->bk", W_k, x)'),
    ("e", 'torch.einsum("bd,dv->bv", x, W_v)'),
    ("e", "bd,dv->bv"),
    ("e", "BD,DV->BV"),
]

REJECTED = [
    ("c", "bd,dq->bhq", "You index W_q with 2 axes (dq) but W_q has 3 axes [h, d, q]."),
    ("c", "bhd,dq->bhq", "You index x with 3 axes (bhd) but x has 2 axes [b, d]."),
    ("c", "bd,hdq->bqh", "It has the expected axes, in another order."),
    ("c", "bd,hdq->bq", "You sum over h, which the expected result keeps."),
    ("c", "bd,hdq->bhdq", "You keep d, which the expected result sums over."),
    ("c", "bd,hdq->bhh", "h appears more than once in the output"),
    ("c", 'torch.einsum("bd,hdq->bhq", x, W_k)', "W_k is not an operand of this einsum; it combines x, W_q."),
    ("c", 'torch.einsum("bd,hdq->bhq", x, x)', "You pass x more than once"),
    ("c", 'torch.einsum("bd->b", x)', "You do not pass W_q"),
    ("c", 'torch.einsum("bd,hdq,q->bh", x, W_q)', "Your equation has 3 input term(s) (bd, hdq, q) but you pass 2"),
    ("c", "bd->b", "this einsum combines 2 tensors, in this order: x, W_q."),
    ("c", "bd,hbq->bhq", "You use the letter b for axis b of x and for axis d of W_q"),
    ("d", "bd,dk->bhk", "h appears in the output but in no input"),
    ("d", "bd,hdk->bhk", "You index W_k with 3 axes (hdk) but W_k has 2 axes [d, k]."),
    ("d", "bd,dk->kb", "Your result has shape [k, b] = [5, 2], the expected has [2, 5]."),
    ("d", "bd,dk->bdk", "You keep d, which the expected result sums over."),
    ("d", "bd,kd->bk", "You use the letter d for axis d of x and for axis k of W_k"),
    ("e", "bd,hdv->bhv", "You index W_v with 3 axes (hdv) but W_v has 2 axes [d, v]."),
    ("e", "bd,dv->bhv", "h appears in the output but in no input"),
    ("e", "bd,dv->b", "You sum over v, which the expected result keeps."),
    ("e", "bd,dv->...bv", "The output has ... but no input does."),
]

UNREADABLE = [
    ("c", "__import__('os').system('x')", "Only a call of einsum"),
    ("c", 'torch.einsum("a"*10000)', "The first argument of einsum must be the equation"),
    ("c", "x" * 100_000, "characters long"),
    ("c", 'torch.einsum("' + "a" * 300 + '", x)', "The equation is 300 characters long"),
    ("d", 'einsum("bd,dk->bk", x, W_k).__class__', "found an attribute"),
    ("d", 'einsum("bd,dk->bk", x, W_k.T)', "Pass the operands of einsum by name"),
    ("d", 'einsum("bd,dk->bk", x, W_k, optimize=True)', "no keyword arguments"),
    ("d", "torch.bmm(x, W_k)", "found a call of torch.bmm"),  # a matmul is read (as its einsum)
    ("d", "bd,dk->b1", "'1' cannot appear in an einsum equation"),
    ("d", "bd,dk->bk->b", "at most one '->'"),
    ("d", "b.d,dk->bk", "must be part of an ellipsis"),
    ("d", "......d,dk->bk", "more than one ellipsis"),
    ("d", ",".join(["ab"] * 9) + "->a", "at most 8 are read"),
    ("d", "einsum(x, [0, 1], W_k, [1, 2])", "The first argument of einsum must be the equation"),
    ("d", "bd,dk@bk", "'@' cannot appear in an einsum equation"),
    ("d", 'einsum("bd,dk->bk", x, W_k', "neither an einsum equation nor a Python einsum call"),
]


@pytest.mark.parametrize(("key", "text"), ACCEPTED)
def test_accepted(key: str, text: str) -> None:
    outcome = grade(key, text)
    assert outcome.verdict == "correct", outcome.feedback
    assert outcome.credit == 1.0


@pytest.mark.parametrize(("key", "text", "fragment"), REJECTED)
def test_rejected_with_explanation(key: str, text: str, fragment: str) -> None:
    outcome = grade(key, text)
    assert outcome.verdict == "incorrect"
    assert fragment in outcome.feedback


@pytest.mark.parametrize(("key", "text", "fragment"), UNREADABLE)
def test_unreadable(key: str, text: str, fragment: str) -> None:
    with pytest.raises(Unreadable) as caught:
        einsum.read(text, PARTS[key])
    assert fragment in caught.value.message


def test_hostile_text_is_never_executed(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("student text reached eval or exec")

    # compile stays: ast.parse uses it to build the tree, which is only looked at.
    for name in ("eval", "exec"):
        monkeypatch.setattr(builtins, name, forbidden)
    for text in ("__import__('os').system('x')", 'einsum("bd,dk->bk", x, W_k).__class__'):
        with pytest.raises(Unreadable):
            einsum.read(text, PARTS["d"])


def test_show_is_normalized() -> None:
    part = PARTS["c"]
    assert einsum.show(einsum.read(" bd , hdq ", part)) == 'einsum("bd,hdq->bhq", x, W_q)'
    assert einsum.show(einsum.read("torch.einsum('hdq,bd->bhq', W_q, x)", part)) == ('einsum("hdq,bd->bhq", W_q, x)')


def test_implicit_output_is_explained_when_wrong() -> None:
    outcome = grade("d", "bd,kd")
    assert outcome.verdict == "incorrect"
    assert "Read the implicit output of 'bd,kd' as '->bk'." in outcome.feedback


def test_implicit_output_follows_einsum_order() -> None:
    assert einsum.implicit_output(("ij", "jk")) == "ik"
    assert einsum.implicit_output(("ba", "a")) == "b"
    assert einsum.implicit_output(("...j", "jB")) == "...B"


def test_matches_by_tensor_and_by_equation_when_neither_runs() -> None:
    part = PARTS["d"]
    read = einsum.read
    assert einsum.matches(read("ij,jk->ik", part), read('torch.einsum("bd,dk->bk", x, W_k)', part), part)
    assert not einsum.matches(read("bd,dk->kb", part), read("bd,dk->bk", part), part)
    # A known wrong choice that cannot run still matches a renaming of itself (for spec rules).
    assert einsum.matches(read("bd,dk->bhk", part), read("ij,jk->ilk", part), part)
    assert not einsum.matches(read("bd,dk->bhk", part), read("bd,dk->bk", part), part)


def test_sizes_are_distinct_primes_unless_given() -> None:
    assert PARTS["c"].params.axis_sizes == {"b": 2, "d": 3, "h": 5, "q": 7}
    part = make_part("c", {"operands": OPERANDS["c"], "sizes": {"d": 12, "h": 3, "q": 4}})
    assert part.params.axis_sizes == {"b": 2, "d": 12, "h": 3, "q": 4}
    outcome = einsum.grade(einsum.read("bd,hdq->bhq", part), einsum.read(REFERENCE["c"], part), part)
    assert outcome.verdict == "correct"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"operands": []}, "at least one operand"),
        ({"operands": [{"name": "x", "shape": ["b"]}, {"name": "x", "shape": ["b"]}]}, "repeat"),
        ({"operands": [{"name": "1x", "shape": ["b"]}]}, "not a Python name"),
        ({"operands": [{"name": "x", "shape": ["b"]}], "sizes": {"bb": 2}}, "did you mean 'b'"),
        ({"operands": [{"name": "x", "shape": ["b"]}], "sizes": {"b": 99}}, "sizes go from 1 to 16"),
    ],
)
def test_bad_params(raw: dict[str, Any], fragment: str) -> None:
    with pytest.raises((ValueError, SpecError), match=fragment):
        einsum.prepare(build_dataclass(einsum.Params, raw, "test"), VOCABULARY)


# (answer typed in prose, what it is read as): the shared reader's clean-up applies to einsum too.
PROSE = [
    ("`torch.einsum(“bd,dk->bk”, x, W_k)`", 'einsum("bd,dk->bk", x, W_k)'),
    ("$bd,dk−>bk$", 'einsum("bd,dk->bk", x, W_k)'),
    ("torch.einsum('bd,dk->bk', x, W_k);", 'einsum("bd,dk->bk", x, W_k)'),
]


@pytest.mark.parametrize(("text", "shown"), PROSE)
def test_code_typed_in_prose_is_read(text: str, shown: str) -> None:
    assert einsum.show(einsum.read(text, PARTS["d"])) == shown


def test_messages_name_the_parts_own_operands() -> None:
    part = make_part("d", {"operands": [{"name": "A", "shape": ["i", "j"]}, {"name": "B", "shape": ["j", "k"]}]})
    with pytest.raises(Unreadable) as caught:
        einsum.read('einsum("ij,jk->ik", A, B.T)', part)
    assert caught.value.message.startswith("Pass the operands of einsum by name (A, B); found an attribute (.T)")
    assert caught.value.position == len('einsum("ij,jk->ik", A, ')
