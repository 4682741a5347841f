"""Schemathesis against openapi.json, with a real token of each role: no answer may be a 5xx.

A small budget (a few examples per operation and role), so that it stays well under a minute per backend; the
shapes it generates from are the ones the server checks (edoc.api.schema), so valid-looking bodies reach the
service functions, and each role reaches its own refusals. Every 5xx is listed with what was sent.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.documents.conftest import api_token

ROLES = ("quantri", "vanthu", "chutich", "chuyenvien", "daibieu")
EXAMPLES = 6


@pytest.mark.slow
def test_no_5xx_for_any_role(app, demo, make_document):
    make_document("approved")  # something to act on: ids 1 and up exist
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    for role in ROLES:
        headers = api_token(app, demo[role])
        for operation in operations:
            _fuzz(operation, role, headers, failures, statuses)()
    assert failures == []
    # the examples reached the server and were judged: some accepted, some refused
    assert statuses[200] > 0 and statuses[400] > 0, statuses


def _fuzz(operation: object, role: str, headers: dict[str, str], failures: list[str], statuses: Counter[int]
          ) -> object:
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def check(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        statuses[response.status_code // 100 * 100] += 1
        if response.status_code >= 500:
            failures.append(f"{role} {case.method} {case.formatted_path} query={case.query} "
                            f"body={str(case.body)[:200]} → {response.status_code}")

    return check
