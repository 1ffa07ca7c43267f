"""Example vendor plugin: what a third party ships to plug a service into xuewei.

- `verify_identity`: a stand-in for a face-recognition service. It only judges captures made
  by its own (pretend) camera SDK, which start with ``EXAMPLE-FACE:``; anything else it leaves
  to the next plugin by returning None.
- `fetch_residence_permits`: answers from the vendor's own small register for the people it
  knows; for anyone else it returns None, so another connector is asked. The register is
  reached through `REGISTER`, the vendor's client (here over permits.json); its tests put a
  slow or failing stand-in there (tests/plugins/test_example_vendor_timeouts.py).
- `connector_policy`: how long the register may take, how often it is retried and when its
  breaker opens.
- `notify_guardian`: "delivers" messages to an in-memory outbox.
"""
from __future__ import annotations

import json
from importlib import resources

from core.hookspecs import hookimpl

CAPTURE_PREFIX = b"EXAMPLE-FACE:"
OUTBOX: list[dict] = []


class PermitRegister:
    """The vendor's client of its permit register. A real one makes one request per question,
    with its own timeout no longer than the policy's (docs/plugins.md), and raises when the
    register is down; this one reads permits.json."""

    def permits(self, id_numbers: list[str]) -> dict[str, list[dict]]:
        """The permits of each of these people that the register knows, by ID number."""
        register = json.loads(resources.files(__name__).joinpath("permits.json").read_text(encoding="utf-8"))
        return {number: register[number] for number in id_numbers if number in register}


REGISTER = PermitRegister()
POLICY = {"timeout": 2.0, "retries": 1, "backoff": 0.5, "failure_threshold": 3, "reset_after": 60.0}


@hookimpl
def verify_identity(id_number, name, face_image):
    if face_image is None or not face_image.startswith(CAPTURE_PREFIX):
        return None
    if face_image[len(CAPTURE_PREFIX):].decode() == id_number:
        return {"verified": True, "method": "face", "score": 0.98}
    return {"verified": False, "method": "face", "score": 0.12,
            "reason": "人脸与身份证照片不一致 / the face does not match the ID photo"}


@hookimpl
def connector_policy(source):
    return POLICY if source == "residence_permits" else None


@hookimpl
def fetch_residence_permits(id_numbers):
    register = REGISTER.permits(list(id_numbers.values()))
    known = {relation: register[number] for relation, number in id_numbers.items() if number in register}
    if not known:
        return None
    return {"residence_permits": [{"holder": relation, **permit}
                                  for relation, permits in sorted(known.items()) for permit in permits]}


@hookimpl
def notify_guardian(guardian_id, application_id, kind, message):
    OUTBOX.append({"guardian_id": guardian_id, "application_id": application_id, "kind": kind,
                   "text": message["zh"]})
    return True
