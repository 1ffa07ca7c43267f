"""schemathesis against /api/v1/openapi.json: whatever the body, path or query, the API never
answers 500, and every error comes in the one documented shape."""
from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.staff import STAFF_ROLES

ERROR_KEYS = {"code", "message", "message_en", "field"}
EXAMPLES_PER_OPERATION = 12


def _check(case, response) -> None:
    where = f"{case.method} {case.formatted_path} {case.body!r:.200}"
    assert response.status_code < 500, f"{where} answered {response.status_code}: {response.text[:300]}"
    if response.status_code >= 400:
        body = json.loads(response.text)
        assert set(body) == ERROR_KEYS, f"{where}: {body}"
        assert all(isinstance(body[k], str) and body[k] for k in ("code", "message", "message_en")), where


@pytest.mark.slow
@pytest.mark.parametrize("role", ["guardian", *STAFF_ROLES])
def test_no_operation_answers_500_or_breaks_the_error_shape(app, draft_application, make_account, signed_in_as,
                                                             role):
    guardian, application = draft_application
    account = guardian if role == "guardian" else make_account(f"{role}-1", role=role)  # in the draft's district
    cookies, headers = signed_in_as(account)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations
    for operation in operations:
        # Half the cases aim at the real application, so the checks behind the 404 run too.
        real_ids = st.sampled_from([{}, {"application_id": application.id}])

        @given(case=operation.as_strategy(), ids=real_ids)
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case, ids):
            if "application_id" in (case.path_parameters or {}):
                case.path_parameters.update(ids)
            _check(case, case.call(headers=headers, cookies=cookies))

        fuzz()
