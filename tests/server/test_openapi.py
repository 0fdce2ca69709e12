"""The published contract: /openapi.json says what the server really does; migrations match the models."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from apptdesk.server.app import create_app
from apptdesk.server.db.engine import create_engine
from apptdesk.server.db.tables import Base
from apptdesk.server.embedded import ServerThread
from tests.support.api import API, APPOINTMENT_FIELDS, Api
from tests.support.databases import cheap_settings, run_async

PROBLEM_JSON = "application/problem+json"
CONTRACT: dict[str, set[str]] = {
    "/auth/login": {"post"},
    "/auth/refresh": {"post"},
    "/auth/logout": {"post"},
    "/me": {"get"},
    "/cases": {"get"},
    "/cases/{case_id}": {"get"},
    "/cases/{case_id}/appointments": {"get", "post"},
    "/appointments": {"get"},
    "/appointments/{appointment_id}": {"get", "patch"},
    "/appointments/{appointment_id}/accept": {"post"},
    "/appointments/{appointment_id}/reject": {"post"},
    "/appointments/{appointment_id}/cancel": {"post"},
    "/appointments/{appointment_id}/complete": {"post"},
    "/appointments/{appointment_id}/history": {"get"},
    # Notifications and the live stream (the notifications issue).
    "/notifications": {"get"},
    "/notifications/unread-count": {"get"},
    "/notifications/read-all": {"post"},
    "/notifications/{notification_id}/read": {"post"},
    "/events": {"get"},
}
METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


def _fetch_spec(base_url: str) -> dict[str, Any]:
    response = httpx.get(base_url + "/openapi.json", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    return dict(response.json())


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The document as served; it does not depend on the database, so one server serves the module."""
    url = f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'unused.sqlite3'}"
    thread = ServerThread(create_app(cheap_settings(url), sweeper=False)).start()
    try:
        yield _fetch_spec(thread.url)
    finally:
        thread.stop()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = spec["components"]["schemas"][name]
    return schema


def conforms(value: Any, schema: dict[str, Any], spec: dict[str, Any], where: str = "$") -> list[str]:
    """The ways ``value`` breaks ``schema`` (the subset of JSON Schema that FastAPI emits)."""
    schema = resolve(schema, spec)
    if "anyOf" in schema or "oneOf" in schema:
        options = schema.get("anyOf", schema.get("oneOf"))
        if any(not conforms(value, option, spec, where) for option in options):
            return []
        return [f"{where}: {value!r} matches none of {options}"]
    errors: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where}: {value!r} is not {schema['const']!r}")
    kind = schema.get("type")
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    if kind is not None and not checks[kind](value):
        return [*errors, f"{where}: {value!r} is not {kind}"]
    if kind == "object":
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f"{where}: missing {name}")
        for name, item in value.items():
            if name in properties:
                errors.extend(conforms(item, properties[name], spec, f"{where}.{name}"))
            elif schema.get("additionalProperties") is False:
                errors.append(f"{where}: undeclared {name}")
            elif properties and schema.get("additionalProperties") is None:
                # Pydantic response models: an undeclared field means the schema is out of date.
                errors.append(f"{where}: undeclared {name}")
    if kind == "array":
        for index, item in enumerate(value):
            errors.extend(conforms(item, schema.get("items", {}), spec, f"{where}[{index}]"))
    if kind == "string" and schema.get("format") == "date-time":
        try:
            if datetime.fromisoformat(value).tzinfo is None:
                errors.append(f"{where}: {value!r} has no offset")
        except ValueError:
            errors.append(f"{where}: {value!r} is not a date-time")
    return errors


def test_every_contract_path_is_published_with_its_methods(spec: dict[str, Any]) -> None:
    published = {
        path.removeprefix(API): {m for m in item if m in METHODS}
        for path, item in spec["paths"].items()
        if path.startswith(API)
    }
    assert published == CONTRACT
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"]


def test_success_codes(spec: dict[str, Any]) -> None:
    def codes(path: str, method: str) -> set[str]:
        return set(spec["paths"][API + path][method]["responses"])

    assert {"201"} == {c for c in codes("/cases/{case_id}/appointments", "post") if c.startswith("2")}
    assert {"204"} == {c for c in codes("/auth/logout", "post") if c.startswith("2")}
    for path, methods in CONTRACT.items():
        for method in methods:
            if (path, method) not in {("/cases/{case_id}/appointments", "post"), ("/auth/logout", "post")}:
                assert {c for c in codes(path, method) if c.startswith("2")} == {"200"}, (path, method)


def test_every_error_is_declared_as_problem_json(spec: dict[str, Any]) -> None:
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) >= {"title", "status", "detail"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, method, operation in operations(spec):
        for code, response in operation["responses"].items():
            if code.isdigit() and int(code) >= 400:
                assert set(response.get("content", {})) == {PROBLEM_JSON}, (path, method, code)
                schema = response["content"][PROBLEM_JSON]["schema"]
                assert resolve(schema, spec) == problem, (path, method, code)


def test_declared_error_codes_cover_the_contract(spec: dict[str, Any]) -> None:
    for path, method, operation in operations(spec):
        if not path.startswith(API):
            continue
        codes = set(operation["responses"])
        short = path.removeprefix(API)
        if short not in {"/auth/login", "/auth/refresh"}:
            assert "401" in codes, (path, method)
            assert operation.get("security"), (path, method)
        if "{" in short:
            assert "404" in codes, (path, method)
        if method in {"patch", "post"} and short.startswith("/appointments/"):
            assert {"403", "404", "409", "412"} <= codes, (path, method)
    patch = spec["paths"][f"{API}/appointments/{{appointment_id}}"]["patch"]
    assert {"412", "428"} <= set(patch["responses"])
    assert "429" in spec["paths"][f"{API}/auth/login"]["post"]["responses"]
    create = spec["paths"][f"{API}/cases/{{case_id}}/appointments"]["post"]
    assert {"403", "404", "422"} <= set(create["responses"])


def test_appointment_schema_is_the_contract(spec: dict[str, Any]) -> None:
    schema = spec["components"]["schemas"]["AppointmentOut"]
    assert set(schema["properties"]) == APPOINTMENT_FIELDS | {"proposed_by"}
    assert set(schema["required"]) == APPOINTMENT_FIELDS | {"proposed_by"}
    assert set(resolve(schema["properties"]["status"], spec)["enum"]) == {
        "pending",
        "accepted",
        "rejected",
        "canceled",
        "completed",
    }
    assert set(resolve(schema["properties"]["type"], spec)["enum"]) >= {"requester", "provider"}
    person = spec["components"]["schemas"]["Person"]
    assert set(person["properties"]) == {"id", "name", "role"}
    token = spec["components"]["schemas"]["TokenOut"]
    assert set(token["properties"]) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}


PATH_VALUES = {
    "appointment_id": ["{real}", "1", "0", "-1", "2147483647", "2147483648", "abc", "1.5"],
    "case_id": ["C-1", "C-2", "nope", "ü", "x" * 300, "%00"],
    "notification_id": ["1", "0", "-1", "2147483647", "2147483648", "abc"],
}
QUERY_VALUES = [
    "",
    "x",
    "0",
    "1",
    "500",
    "501",
    "-1",
    "2030-01-01",
    "2030-01-01T00:00:00Z",
    "pending",
    "%",
    "9" * 30,
]
BODIES: list[dict[str, Any]] = [
    {},
    {"json": {}},
    {"json": []},
    {"json": "x"},
    {"json": {"unknown": 1}},
    {"content": b"{oops", "headers": {"Content-Type": "application/json"}},
    {"content": b"x", "headers": {"Content-Type": "text/plain"}},
]


def test_responses_match_the_published_schema(server: ServerThread, api: Api) -> None:
    """A small fuzz in the spirit of schemathesis: odd values everywhere, every answer declared and valid."""
    spec = _fetch_spec(server.url)
    real = api.create("p1", purpose="Fuzz target")
    valid_bodies: dict[tuple[str, str], list[dict[str, Any]]] = {
        ("/cases/{case_id}/appointments", "post"): [
            {"json": {"start": api.future(), "duration_minutes": 30}}
        ],
        ("/appointments/{appointment_id}", "patch"): [
            {"json": {"purpose": "fuzzed"}, "headers": {"If-Match": '"1"'}},
            {"json": {"purpose": "fuzzed"}},
        ],
        ("/appointments/{appointment_id}/reject", "post"): [{"json": {"reason": "fuzz"}}],
        ("/auth/login", "post"): [{"json": {"email": "x@y.z", "password": "p"}}],
        ("/auth/refresh", "post"): [{"json": {"refresh_token": "apd_rt_x"}}],
    }
    client = api.client("r1")
    problems: list[str] = []
    seen = 0
    codes: dict[str, int] = {}
    for path, method, operation in operations(spec):
        short = path.removeprefix(API)
        if short == "/auth/logout":
            continue  # would end the session the fuzz runs in; covered in test_auth
        if short == "/events":
            continue  # an endless stream; its own tests read it with a deadline
        declared = set(operation["responses"])
        path_params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        query_params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]

        def url(
            values: dict[str, str], template: str = path, names: tuple[str, ...] = tuple(path_params)
        ) -> str:
            for name in names:
                template = template.replace(f"{{{name}}}", values.get(name, PATH_VALUES[name][0]))
            return template.replace("{real}", str(real["id"]))

        attempts: list[tuple[str, dict[str, Any]]] = []
        for name in path_params:
            attempts += [(url({name: value}), {}) for value in PATH_VALUES[name]]
        for name in query_params:
            attempts += [(url({}), {"params": {name: value}}) for value in QUERY_VALUES]
        if "requestBody" in operation:
            attempts += [(url({}), body) for body in BODIES + valid_bodies.get((short, method), [])]
        attempts = attempts or [(url({}), {})]
        for target, request in attempts:
            seen += 1
            response = client.request(method, httpx.URL(api.base_url).join(target), **request)
            code = str(response.status_code)
            label = f"{method.upper()} {target[:80]} {str(request)[:80]} -> {code}"
            if code not in declared:
                problems.append(f"{label}: undeclared (declared {sorted(declared)})")
                continue
            content_type = response.headers.get("content-type", "")
            if response.status_code >= 400 and not content_type.startswith(PROBLEM_JSON):
                problems.append(f"{label}: not problem+json")
                continue
            declared_content = operation["responses"][code].get("content", {})
            if response.status_code == 204:
                if response.content:
                    problems.append(f"{label}: 204 with a body")
                continue
            media = next(iter(declared_content), None)
            if media is None:
                continue
            errors = conforms(response.json(), declared_content[media].get("schema", {}), spec)
            problems += [f"{label}: {error}" for error in errors[:3]]
            codes[code] = codes.get(code, 0) + 1
    assert seen > 200
    assert {"200", "201", "400", "404", "409", "422"} <= set(codes), codes  # the fuzz reached every layer
    assert not problems, "\n".join(problems[:40])


def _migration_diff(url: str) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async def run() -> list[Any]:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(compare)
        finally:
            await engine.dispose()

    return run_async(run)


def test_migrations_match_the_models(database_url: str) -> None:
    assert _migration_diff(database_url) == []
