"""A client generated from the served /api/openapi.json (openapi-python-client, at test time, never committed) runs the
main flow against a real server: create an incident, start a retrospective, save a section, meet a 409 on a stale
save, import a timeline file (multipart), export as Markdown and JSON.

The generator must not warn about the document (--fail-on-warning). Operations are found by method and path, and
request models through the operations' signatures, so that renaming an operation or a schema does not break the test."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import typing
from datetime import UTC, datetime
from enum import Enum
from io import BytesIO
from types import ModuleType

import httpx
import pytest

PACKAGE = "retrospector_generated_client"
TIMELINE = b"""\
{"ts": "2026-03-02T14:02:00Z", "level": "info", "service": "payments-api", "msg": "Deploy 4812 starts"}
{"ts": "2026-03-02T14:09:30Z", "level": "error", "service": "payments-api", "msg": "Error rate above 5 %"}
{"ts": "2026-03-02T14:31:00Z", "level": "info", "service": "payments-api", "msg": "Rollback complete"}
"""


class Generated:
    """The generated package, and its operations by (method, path) as the document names them."""

    def __init__(self, package: ModuleType, root) -> None:
        self.package = package
        self.operations: dict[tuple[str, str], str] = {}
        for path in sorted((root / PACKAGE / "api").rglob("*.py")):
            found = re.search(r'"method": "(\w+)",\s*"url": "([^"]+)"', path.read_text(encoding="utf-8"))
            if found:
                module = ".".join(path.relative_to(root).with_suffix("").parts)
                self.operations[(found.group(1).upper(), found.group(2))] = module

    def operation(self, method: str, path: str) -> ModuleType:
        assert (method, path) in self.operations, f"the client has no {method} {path}: {sorted(self.operations)}"
        return importlib.import_module(self.operations[(method, path)])

    @staticmethod
    def argument_type(operation: ModuleType, name: str) -> type:
        """The class an operation takes for an argument (the first class of a union: `Format | Unset`)."""
        hint = typing.get_type_hints(operation.sync_detailed)[name]
        return next((arg for arg in typing.get_args(hint) if isinstance(arg, type)), hint)


@pytest.fixture(scope="module")
def generated(demo_server, tmp_path_factory):
    root = tmp_path_factory.mktemp("generated-client")
    document = httpx.get(f"{demo_server['base']}/api/openapi.json", timeout=30)
    assert document.status_code == 200
    (root / "openapi.json").write_bytes(document.content)
    # No post-processing hooks (they would run ruff on the generated code): nothing to format, nothing on PATH.
    (root / "config.yaml").write_text(f"post_hooks: []\npackage_name_override: {PACKAGE}\n")
    generation = subprocess.run(
        [
            *(sys.executable, "-m", "openapi_python_client", "generate", "--path", str(root / "openapi.json")),
            *("--output-path", str(root / PACKAGE), "--meta", "none", "--config", str(root / "config.yaml")),
            "--fail-on-warning",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert generation.returncode == 0, (
        f"openapi-python-client refused the document:\n{generation.stdout}{generation.stderr}"
    )
    sys.path.insert(0, str(root))
    try:
        package = importlib.import_module(PACKAGE)
        client = package.AuthenticatedClient(base_url=demo_server["base"], token=demo_server["token"], timeout=30)
        with client:
            yield Generated(package, root), client
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def retrospective(generated):
    """An incident created through the client, and a retrospective started on it."""
    api, client = generated
    create = api.operation("POST", "/api/v1/incidents")
    incident = create.sync_detailed(
        client=client,
        body=api.argument_type(create, "body")(
            title="Checkout fails after a deploy",
            team="payments",
            severity="SEV2",
            started_at=datetime(2026, 3, 2, 14, 5, tzinfo=UTC),
        ),
    )
    assert incident.status_code == 201, incident.content
    assert incident.parsed.title == "Checkout fails after a deploy"

    start = api.operation("POST", "/api/v1/incidents/{incident_id}/retrospectives")
    started = start.sync_detailed(
        incident.parsed.id, client=client, body=api.argument_type(start, "body")(template="postmortem")
    )
    assert started.status_code == 201, started.content
    assert started.parsed.incident_id == incident.parsed.id
    assert started.parsed.sections, "a postmortem has sections"
    return started.parsed


def save_section(generated, retrospective_id: int, key: str, body: str, base_version: int):
    api, client = generated
    save = api.operation("PUT", "/api/v1/retrospectives/{retrospective_id}/sections/{key}")
    section_in = api.argument_type(save, "body")
    return save.sync_detailed(
        retrospective_id, key, client=client, body=section_in(body=body, base_version=base_version)
    )


def test_a_generated_client_runs_the_main_flow(generated, retrospective):
    api, client = generated
    section = retrospective.sections[0]

    saved = save_section(generated, retrospective.id, section.key, "Checkout failed for 29 minutes.", section.version)
    assert saved.status_code == 200, saved.content
    assert saved.parsed.version == section.version + 1
    assert saved.parsed.body == "Checkout failed for 29 minutes."

    stale = save_section(generated, retrospective.id, section.key, "An edit of an old version.", section.version)
    assert stale.status_code == 409
    assert json.loads(stale.content)["current"]["version"] == section.version + 1

    upload = api.operation("POST", "/api/v1/incidents/{incident_id}/timeline/imports")
    from_file = api.package.types.File(
        payload=BytesIO(TIMELINE), file_name="deploy.jsonl", mime_type="application/x-ndjson"
    )
    form = api.argument_type(upload, "body")
    source = typing.get_type_hints(form)["source"]("jsonl")  # the document's enum of sources, as a client sees it
    imported = upload.sync_detailed(retrospective.incident_id, client=client, body=form(source=source, file=from_file))
    assert imported.status_code == 201, imported.content
    assert (imported.parsed.added, imported.parsed.dry_run) == (3, False)
    listing = api.operation("GET", "/api/v1/incidents/{incident_id}/events")
    events = listing.sync_detailed(retrospective.incident_id, client=client)
    assert events.status_code == 200, events.content
    assert {"Deploy 4812 starts", "Error rate above 5 %", "Rollback complete"} <= {
        e.text for e in events.parsed.results
    }

    export = api.operation("GET", "/api/v1/retrospectives/{retrospective_id}/export")
    formats = api.argument_type(export, "format_")
    assert issubclass(formats, Enum)
    markdown = export.sync_detailed(retrospective.id, client=client, format_=formats("md"))
    assert markdown.status_code == 200, markdown.content
    assert "Checkout failed for 29 minutes." in markdown.content.decode()
    as_json = export.sync_detailed(retrospective.id, client=client, format_=formats("json"))
    assert as_json.status_code == 200, as_json.content
    exported = json.loads(as_json.content)
    assert "Checkout failed for 29 minutes." in json.dumps(exported)


def test_a_generated_client_reads_the_409_of_a_stale_save_as_the_error_it_documents(generated, retrospective):
    section = retrospective.sections[1]
    saved = save_section(generated, retrospective.id, section.key, "Alerts fired late.", section.version)
    assert saved.status_code == 200, saved.content

    stale = save_section(generated, retrospective.id, section.key, "An edit of an old version.", section.version)

    assert stale.status_code == 409
    error = stale.parsed
    assert error is not None, "the client did not parse the 409: the document does not declare it"
    assert "saved by someone else" in error.detail
    assert error.field == "base_version"
    current = error.current if hasattr(error, "current") else error.additional_properties["current"]
    version = current.version if hasattr(current, "version") else current["version"]
    assert version == section.version + 1
