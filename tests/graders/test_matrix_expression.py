"""``matrix_expression``: HW9 Q6 b.iii, kernel attention with a feature map, judged by its values."""

from __future__ import annotations

import builtins
from typing import Any

import pytest

from autograder.graders import matrix_expression as mx
from autograder.mathread import Unreadable
from autograder.problem import Part
from autograder.spec import SpecError, build_dataclass, build_vocabulary

VOCABULARY = build_vocabulary({}, [], "test")
FORGOT_NORMALIZER = "You forgot the normalizer: divide each row by φ(Q_i)ᵀ Σ_j φ(K_j)."
PARAMS = {
    "matrices": {"Q": ["N", "D"], "K": ["N", "D"], "V": ["N", "M"]},
    "feature_maps": {"phi": "C"},
    "known_wrong": {"phi(Q) @ (phi(K).T @ V)": FORGOT_NORMALIZER},
}
REFERENCE = "phi(Q) @ (phi(K).T @ V) / (phi(Q) @ phi(K).T.sum(1))[:, None]"


def make_part(raw: dict[str, Any]) -> Part:
    params = mx.prepare(build_dataclass(mx.Params, raw, "test"), VOCABULARY)
    return Part(
        id="q6.b.iii",
        question="q6",
        title="b.iii",
        prompt="",
        points=2.0,
        kind="matrix_expression",
        params=params,
        vocabulary=VOCABULARY,
    )


PART = make_part(PARAMS)


def grade(text: str) -> Any:
    return mx.grade(mx.read(text, PART), mx.read(REFERENCE, PART), PART)


ACCEPTED = [
    REFERENCE,
    "phi(Q) @ (phi(K).T @ V) / (phi(Q) @ phi(K).T @ ones(N))[:, None]",
    "(phi(Q) @ phi(K).T @ V) / (phi(Q) @ phi(K).T).sum(axis=1, keepdims=True)",
    "phi(Q) @ (phi(K).T @ V) / (phi(Q) @ phi(K).sum(0))[:, None]",
    "phi(Q) @ (phi(K).T @ V) / (phi(Q) @ sum(phi(K)))[:, None]",
    "phi(Q) @ (phi(K).T @ V) / np.sum(phi(Q) @ phi(K).T, axis=1)[:, np.newaxis]",
    "phi(Q) @ (phi(K).T @ V) / (phi(Q) @ phi(K).T @ ones((N, 1)))",
    "diag(1 / (phi(Q) @ phi(K).T @ ones(N))) @ phi(Q) @ (phi(K).T @ V)",
    "(phi(Q) @ phi(K).T / (phi(Q) @ phi(K).T).sum(1, keepdims=True)) @ V",
    "φ(Q) @ (φ(K)ᵀ @ V) / (φ(Q) @ φ(K)ᵀ.sum(1))[:, None]",
    "V' = phi(Q) @ (phi(K).T @ V) / (phi(Q) @ phi(K).T.sum(1))[:, None]",
    "`phi(Q) @ (phi(K).T @ V) / (phi(Q) @ phi(K).T.sum(1))[:, None]`",
    # numpy's other spellings of the product and the transpose
    "phi(Q).dot(phi(K).T.dot(V)) / phi(Q).dot(phi(K).T.sum(1))[:, None]",
    "np.dot(phi(Q), np.dot(phi(K).transpose(), V)) / (phi(Q) @ phi(K).T.sum(1))[:, None]",
    "np.matmul(phi(Q), np.transpose(phi(K)) @ V) / (phi(Q) @ np.transpose(phi(K)).sum(1))[:, None]",
    "numpy.matmul(phi(Q), numpy.transpose(phi(K)).dot(V)) / (phi(Q) @ phi(K).T.sum(1))[:, None]",
    "torch.matmul(phi(Q), phi(K).transpose() @ V) / (phi(Q) @ phi(K).T.sum(1))[:, None]",
    "phi(Q) @ (phi(K).T @ V) / (phi(Q).dot(phi(K).transpose()).dot(ones(N)))[:, None]",
]

REJECTED = [
    ("phi(Q) @ (phi(K).T @ V)", FORGOT_NORMALIZER),
    ("phi(Q) @ phi(K).T @ V", FORGOT_NORMALIZER),
    (
        "(phi(Q) @ phi(K).T @ V) / (phi(Q) @ phi(K).T).sum(axis=0, keepdims=True)",
        "combines [N, M] with [1, N]: these shapes do not broadcast",
    ),
    (
        "phi(Q) @ (phi(K).T @ V) / (phi(Q) @ phi(K).T.sum(0))[:, None]",
        "phi(Q) @ phi(K).T.sum(0) multiplies [N, C] by [N]: the inner sizes differ (C and N).",
    ),
    ("Q @ K.T @ V", "a matrix of the expected shape [N, M], but different values"),
    ("phi(Q) @ phi(K) @ V", "phi(Q) @ phi(K) multiplies [N, C] by [N, C]: the inner sizes differ (C and N)."),
    ("phi(Q) @ (phi(K).T @ V) / (phi(Q) @ phi(K).T).sum(1)", "combines [N, M] with [N]"),
    ("(phi(Q) @ phi(K).T @ V) / (phi(Q) @ phi(K).T).sum()", "check the normalizer"),
    ("2 * phi(Q) @ (phi(K).T @ V) / (phi(Q) @ phi(K).T.sum(1))[:, None]", "times a constant (2)"),
    ("phi(Q) @ phi(K).T", "Your expression gives a [N, N] matrix; the expected result is a [N, M] matrix."),
    ("phi(Q @ K.T) @ V", "phi(Q @ K.T) @ V multiplies [N, C] by [N, M]"),
    ("phi(K).T.sum(5)", "sums over axis 5, but phi(K).T is [C, N]"),
    ("V / 0", "divides by zero"),
    ("N @ V", "@ needs a matrix or a vector on both sides, but N is a number"),
    # the spellings of @ and .T mean what @ and .T mean, and are explained in their words
    ("phi(Q).dot(phi(K).T.dot(V))", FORGOT_NORMALIZER),
    ("np.dot(phi(Q), phi(K)) @ V", "phi(Q) @ phi(K) multiplies [N, C] by [N, C]: the inner sizes differ (C and N)."),
    ("phi(Q).dot(phi(K).transpose())", "Your expression gives a [N, N] matrix"),
    ("V.dot(2)", "@ needs a matrix or a vector on both sides, but 2 is a number"),
    ("np.transpose(V).dot(V).dot(V)", "multiplies [M, M] by [N, M]"),
]

UNREADABLE = [
    ("__import__('os')", "'__import__' is not a function"),
    ("phi.__globals__", "found the attribute .__globals__"),
    ("().__class__", "found the attribute .__class__"),
    ("lambda: 1", "found a lambda"),
    ("(lambda: V)()", "not a name"),
    ("V.__class__.__mro__", "found the attribute .__mro__"),
    ("phi(Q).numpy()", "found the method .numpy()"),
    ("[x for x in V]", "found a list comprehension"),
    ("'V'", "found text in quotes"),
    ("V[0]", "Indexing can only add axes"),
    (r"\phi(Q) (\phi(K)^T V)", "This looks like LaTeX"),
    ("$phi(Q)$", "This looks like LaTeX"),
    ("phi(K)^T @ V", "^ is neither a transpose nor a power"),
    ("q @ K.T", "did you mean Q?"),
    ("softmax(Q @ K.T) @ V", "'softmax' is not a function"),
    ("phi @ V", "phi is a function of a matrix"),
    ("phi(Q, K)", "phi takes one argument"),
    ("phi(Q).sum(axis=1, keepdims=2)", "keepdims= must be True or False"),
    ("phi(Q).sum(axis=N)", "axis= must be a whole number"),
    ("V ** V", "Only a number from -8 to 8 can be an exponent"),
    ("V * 1e300", "too large"),
    ("ones(10**6)", "ones takes a declared size"),
    ("V" + " + V" * 200, "at most 200 are read"),
    ("V" * 2000, "characters long"),
    ("phi(Q) @", "not a matrix expression"),
    ("V.transpose(1, 0)", ".transpose is read as a transpose of one matrix, with no axes"),
    ("np.transpose(V, (1, 0))", "np.transpose is read as a transpose of one matrix, with no axes"),
    ("np.dot(V)", "np.dot multiplies two matrices: write np.dot(A, B); found 1 argument(s)"),
    ("V.dot(V, V)", ".dot multiplies two matrices: write A.dot(B); found 2 argument(s)"),
    ("np.matmul(V, V, out=V)", "found 2 argument(s) and keywords"),
    ("torch.transpose(V)", "'transpose' is not a function"),
    ("math.dot(V, V)", "'dot' is not a function"),
    ("V.dot", "found the attribute .dot"),
    ("V.dot(V).__class__", "found the attribute .__class__"),
    ("V.transpose().__dict__", "found the attribute .__dict__"),
    ("np.dot(V, V).numpy()", "found the method .numpy()"),
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepted(text: str) -> None:
    outcome = grade(text)
    assert outcome.verdict == "correct", outcome.feedback
    assert outcome.credit == 1.0


@pytest.mark.parametrize(("text", "fragment"), REJECTED)
def test_rejected_with_explanation(text: str, fragment: str) -> None:
    outcome = grade(text)
    assert outcome.verdict == "incorrect"
    assert fragment in outcome.feedback


@pytest.mark.parametrize(("text", "fragment"), UNREADABLE)
def test_unreadable(text: str, fragment: str) -> None:
    with pytest.raises(Unreadable) as caught:
        mx.read(text, PART)
    assert fragment in caught.value.message


def test_hostile_text_is_never_executed(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("student text reached eval or exec")

    # compile stays: ast.parse uses it to build the tree, which is only looked at.
    for name in ("eval", "exec"):
        monkeypatch.setattr(builtins, name, forbidden)
    for text in ("__import__('os')", "phi.__globals__", "().__class__", "lambda: 1"):
        with pytest.raises(Unreadable):
            mx.read(text, PART)


def test_missing_normalizer_without_known_wrong_is_still_explained() -> None:
    part = make_part({key: value for key, value in PARAMS.items() if key != "known_wrong"})
    outcome = mx.grade(mx.read("phi(Q) @ (phi(K).T @ V)", part), mx.read(REFERENCE, part), part)
    assert outcome.verdict == "incorrect"
    assert outcome.feedback == mx.ROW_SCALED


def test_feature_map_is_not_linear() -> None:
    # With a linear φ, phi(Q) @ phi(K).T would equal phi(Q @ K.T)-like shortcuts; exp makes it fail.
    outcome = grade("phi(Q) @ (phi(K).T @ V) / (phi(Q) @ phi(K).T.sum(1))[:, None] * 1.0000001")
    assert outcome.verdict == "incorrect"


def test_show_and_names() -> None:
    reading = mx.read("phi( Q )@(phi(K).T@V)/(phi(Q)@phi(K).T.sum(1))[:,None]", PART)
    # Parentheses where @ meets /: Python reads A @ B / c as (A @ B) / c, a student may not.
    assert mx.show(reading) == "(phi(Q) @ (phi(K).T @ V)) / (phi(Q) @ phi(K).T.sum(1))[:, None]"
    assert mx.names(reading) == {"phi", "Q", "K", "V"}


def test_matches_by_values() -> None:
    same = mx.read("phi(Q) @ (phi(K).T @ V) / (phi(Q) @ phi(K).T @ ones(N))[:, None]", PART)
    assert mx.matches(same, mx.read(REFERENCE, PART), PART)
    assert mx.matches(mx.read("phi(Q) @ phi(K).T @ V", PART), mx.read("phi(Q) @ (phi(K).T @ V)", PART), PART)
    assert not mx.matches(mx.read("Q @ K.T @ V", PART), mx.read(REFERENCE, PART), PART)


def test_default_sizes_are_distinct() -> None:
    assert PART.params.axis_sizes == {"N": 7, "D": 3, "M": 5, "C": 6}


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({}, "declare at least one matrix"),
        ({"matrices": {"Q": ["N", "N", "N"]}}, "1 or 2 axes"),
        ({"matrices": {"Q": ["N", "D"]}, "sizes": {"N": 3, "D": 3}}, "distinct sizes"),
        ({"matrices": {"Q": ["N", "D"]}, "sizes": {"X": 3}}, "not an axis"),
        ({"matrices": {"Q": ["N", "D"]}, "known_wrong": {"Q @ W": "no"}}, "cannot read 'Q @ W'"),
        ({"matrices": {"sum": ["N", "D"]}}, "must all differ"),
    ],
)
def test_bad_params(raw: dict[str, Any], fragment: str) -> None:
    with pytest.raises((ValueError, SpecError), match=fragment):
        mx.prepare(build_dataclass(mx.Params, raw, "test"), VOCABULARY)


def test_messages_name_the_parts_own_matrices_and_feature_maps() -> None:
    part = make_part({"matrices": {"X": ["N", "D"], "Y": ["D", "M"]}, "feature_maps": {"g": "C"}})
    with pytest.raises(Unreadable) as caught:
        mx.read(r"$g(X) \cdot Y$", part)
    assert "g(X) for the feature map g of each row of X" in caught.value.message
    with pytest.raises(Unreadable) as caught:
        mx.read("g @ Y", part)
    assert caught.value.message == "g is a function of a matrix: write g(X)."
    plain = make_part({"matrices": {"X": ["N", "D"]}})
    with pytest.raises(Unreadable) as caught:
        mx.read(r"X \cdot X", plain)
    assert "feature map" not in caught.value.message


def test_the_caret_points_at_the_refused_operator() -> None:
    with pytest.raises(Unreadable) as caught:
        mx.read("phi(K) ^ 2", PART)
    assert caught.value.message == mx.XOR
    assert caught.value.position == len("phi(K) ")


# (spelling, the canonical text it is read as): one form per operation.
SPELLINGS = [
    ("V.dot(V.T)", "V @ V.T"),
    ("np.dot(Q, K.T)", "Q @ K.T"),
    ("np.matmul(Q, K.T)", "Q @ K.T"),
    ("numpy.dot(Q, K.T)", "Q @ K.T"),
    ("torch.matmul(Q, K.T)", "Q @ K.T"),
    ("Q.transpose()", "Q.T"),
    ("np.transpose(Q)", "Q.T"),
    ("numpy.transpose(Q @ K.T)", "(Q @ K.T).T"),
    ("Q.T.dot(K.dot(V.T))", "Q.T @ (K @ V.T)"),
    ("(Q + K).transpose().dot(V) / 2", "((Q + K).T @ V) / 2"),
]


@pytest.mark.parametrize(("text", "canonical"), SPELLINGS)
def test_numpy_spellings_of_product_and_transpose_read_as_at_and_T(text: str, canonical: str) -> None:
    assert mx.read(text, PART).text == canonical
    assert mx.read(canonical, PART).text == canonical
