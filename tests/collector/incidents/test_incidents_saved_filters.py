"""Saved filters: GET, POST (the same name replaces) and DELETE /api/v1/filters."""

from __future__ import annotations

from typing import Any

import pytest

FILTERS = "/api/v1/filters"


def save(console: Any, name: str, query: str) -> Any:
    return console.client.post(FILTERS, json={"name": name, "query": query})


def test_saved_filters_are_listed_by_name(console: Any) -> None:
    assert save(console, "storms", "?q=beacon&min_severity=1").status_code == 201
    assert save(console, "escalated", "state=escalated&tenant=tanaka-kogyo").status_code == 201
    listed = console.get(FILTERS).json()
    assert [(f["name"], f["query"]) for f in listed] == [
        ("escalated", "state=escalated&tenant=tanaka-kogyo"),
        ("storms", "q=beacon&min_severity=1")]


def test_saving_the_same_name_replaces_the_query(console: Any) -> None:
    first = save(console, "mine", "min_severity=1").json()
    again = save(console, "mine", "min_severity=2").json()
    assert again["id"] == first["id"] and again["query"] == "min_severity=2"
    assert len(console.get(FILTERS).json()) == 1


def test_a_saved_query_string_works_on_the_feed(console: Any) -> None:
    console.send("pi-001", [console.alert(1, severity=1), console.alert(2, severity=3)])
    query = save(console, "severe", "min_severity=1").json()["query"]
    answer = console.client.get(f"/api/v1/alerts?{query}")
    assert [a["alert"]["severity"] for a in answer.json()["alerts"]] == [1]


def test_delete(console: Any) -> None:
    saved = save(console, "gone soon", "sid=1").json()
    assert console.client.delete(f"{FILTERS}/{saved['id']}").status_code == 204
    assert console.get(FILTERS).json() == []
    assert console.client.delete(f"{FILTERS}/{saved['id']}").status_code == 404


@pytest.mark.parametrize(("body", "words"), [
    ({"name": "x", "query": "sid=1&colour=red"}, "unknown filter parameter(s): colour"),
    ({"name": "x", "query": "sid"}, "not a query string"),
    ({"name": "", "query": "sid=1"}, "name"),
    ({"name": "x" * 129, "query": "sid=1"}, "name"),
    ({"name": "x", "query": "sid=1", "owner": "ken"}, "owner"),
])
def test_bad_filters_are_422_and_not_saved(console: Any, body: dict[str, Any],
                                           words: str) -> None:
    answer = console.client.post(FILTERS, json=body)
    assert answer.status_code == 422
    assert words in answer.json()["error"]
    assert console.get(FILTERS).json() == []
