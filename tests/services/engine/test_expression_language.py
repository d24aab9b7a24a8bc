"""The expression language is useful and safe: no escape into Python, one error type."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.engine.expressions import ExpressionError, evaluate, render

ITEM = {"total": 5, "status": "failed", "customer": {"email": "A@x.org"}, "tags": ["a", "b"]}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ $json.total * 4 }}", 20),
        ("{{ $json.customer.email }}", "A@x.org"),
        ("{{ $json['status'] == 'failed' }}", True),
        ("{{ len($json.tags) }}", 2),
        ("{{ lower($json.customer.email) }}", "a@x.org"),
        ("total={{ $json.total }} of {{ $json.tags }}", 'total=5 of ["a", "b"]'),
        ("no template", "no template"),
        ("{{ $json.customer }}", {"email": "A@x.org"}),
    ],
)
def test_render(template: str, expected: object) -> None:
    assert render(template, ITEM) == expected


@pytest.mark.parametrize(
    "escape",
    ["().__class__", "__import__('os').system('id')", "$json.__class__", "$json._data",
     "open('/etc/passwd')", "9 ** 9 ** 9", "'x' * 10**9", "[1] * 10**9", "exec('1')",
     "$json.missing"],
)  # fmt: skip
def test_escapes_and_abuse_are_refused(escape: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(escape, ITEM)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_input_either_evaluates_or_raises_expression_error(source: str) -> None:
    with contextlib.suppress(ExpressionError):
        evaluate(source, ITEM)


def test_unique_keeps_first_occurrences_and_compares_objects_as_json() -> None:
    item = {"rows": [3, 1, 3, {"a": 1}, {"a": 1}, 2, 1]}
    assert render("{{ unique($json.rows) }}", item) == [3, 1, {"a": 1}, 2]
    assert render("{{ unique($json.rows[0]) }}", item) == 3


def test_json_encodes_items_read_from_json_even_nested() -> None:
    item = {"body": {"status": "error", "rows": [1, 2]}}
    assert render("{{ json($json.body) }}", item) == '{"status": "error", "rows": [1, 2]}'
    assert render('{{ json({"text": "x", "data": $json.body}) }}', item) == (
        '{"text": "x", "data": {"status": "error", "rows": [1, 2]}}'
    )
    assert render("{{ json($json) }}", item).startswith('{"body": ')


def test_a_blank_transform_target_is_missing() -> None:
    from contract.models import Node
    from services.catalog import missing_parameters

    blank = Node.model_validate({"id": "t", "name": "T", "type": "TRANSFORM",
                                 "position": {"x": 0, "y": 0}, "parameters": {"target": "   "}})  # fmt: skip
    assert missing_parameters(blank) == ["target"]
