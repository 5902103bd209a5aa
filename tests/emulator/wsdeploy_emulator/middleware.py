"""The WSGI layer in front of moto.

For every AWS request, in this order: classify it (service, operation), wait
the configured latency, inject the faults that apply (random throttling,
quotas, random conflicts, IAM propagation, Lambda states), hand it to moto
under one lock (moto's backends are not thread-safe), clean the answer up
(API Gateway nulls, small pages), and append it to the call log.

It also serves the control endpoint, ``/_wsdeploy/*``, which is never logged:

- ``GET /_wsdeploy/calls`` / ``DELETE /_wsdeploy/calls``: read / clear the log;
- ``GET /_wsdeploy/faults`` / ``POST /_wsdeploy/faults``: read / change faults;
- ``POST /_wsdeploy/reset``: forget all AWS state, the log and the clocks;
  faults return to the launch settings;
- ``POST /_wsdeploy/lambda-logs``: write what Lambda logs when a function
  runs (``lambda_logs``).
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from moto.awslambda.exceptions import LambdaClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_api._internal.models import moto_api_backend
from werkzeug.http import HTTP_STATUS_CODES

from . import errors, lambda_logs, pagination, settings
from .classify import Call, classify
from .errors import AwsError
from .state import STATE

StartResponse = Callable[..., Any]

DOMAIN_OPERATIONS = {"CreateDomainName", "UpdateDomainName", "DeleteDomainName"}
# Rate quotas without burst: (service, operation) -> the setting of its rate.
WINDOWED_QUOTAS = {("logs", "FilterLogEvents"): "logs_filter_rate"}
CONTROL_ROUTES = ("calls", "faults", "profiles", "reset", "lambda-logs")
# Lambda calls that work while a function is Pending (reads, and deleting it).
LAMBDA_ALLOWED_WHILE_PENDING = {"CreateFunction", "DeleteFunction"}
LAMBDA_UPDATES = {"UpdateFunctionCode", "UpdateFunctionConfiguration", "PublishVersion"}
ROLE_NOT_ASSUMABLE = "The role defined for the function cannot be assumed by Lambda."

# moto's backends are plain dicts mutated from request threads; one lock makes
# every AWS call atomic. Latency and faults are applied outside of it.
MOTO_LOCK = threading.Lock()


def function_name(identifier: str) -> str:
    """The bare name of a function given a name, an ARN or a partial ARN."""
    parts = identifier.split(":")
    if "function" in parts:
        index = parts.index("function")
        if index + 1 < len(parts):
            return parts[index + 1]
    return parts[0]


def function_arn(call: Call, name: str) -> str:
    region = call.region or "us-east-1"
    return f"arn:aws:lambda:{region}:{DEFAULT_ACCOUNT_ID}:function:{name}"


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH") or ""
    if length.isdigit():
        return stream.read(int(length))
    if environ.get("wsgi.input_terminated"):
        return stream.read()
    return b""


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _json_response(status: int, document: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    body = json.dumps(document, indent=None).encode()
    return status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], body


class EmulatorMiddleware:
    def __init__(self, moto_app: Callable[..., Iterable[bytes]]) -> None:
        self.moto_app = moto_app

    # -- WSGI entry point -------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_wsdeploy/"):
            status, headers, body = self.control(environ, path)
        elif path.startswith("/moto-api"):
            status, headers, body = self.forward(environ, _read_body(environ))
        else:
            status, headers, body = self.aws(environ)
        start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'Status')}", headers)
        return [body]

    # -- AWS requests -----------------------------------------------------

    def aws(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        started = time.time()
        body = _read_body(environ)
        call = classify(environ, body)
        faults = dict(STATE.faults)
        fault = ""
        if faults["latency_ms"]:
            time.sleep(faults["latency_ms"] / 1000.0)
        try:
            if call.mutating and not STATE.admit_mutation():
                self.hold_while_frozen()
            self.inject(call, body, faults)
            body = pagination.limit_request(
                call, environ, body, pagination.page_size_for(call, faults)
            )
            pagination.check_token(call, environ, body)
            status, headers, answer = self.forward(environ, body)
            if 200 <= status < 300:
                answer = self.after_success(call, environ, body, answer, faults)
                # moto's Flask app labels API Gateway's JSON bodies text/html.
                json_body = call.model == "apigatewayv2"
                replaced = {"content-length", "content-type"} if json_body else {"content-length"}
                headers = [(k, v) for k, v in headers if k.lower() not in replaced]
                if json_body:
                    headers.append(("Content-Type", "application/json"))
                headers.append(("Content-Length", str(len(answer))))
        except AwsError as error:
            fault = error.fault
            status, headers, answer = errors.render(call.service, error)
        STATE.log_call(
            {
                "time": started,
                "service": call.service,
                "operation": call.operation or "Unknown",
                "mutating": call.mutating,
                "status": status,
                "fault": fault or None,
                "duration_ms": round((time.time() - started) * 1000.0, 1),
            }
        )
        return status, headers, answer

    def hold_while_frozen(self) -> None:
        """A crash test froze mutations: hold this request (as if the
        process that sent it were about to die) until the test lifts the
        freeze, at most 120 s, then drop it without touching any state."""
        deadline = time.time() + 120
        while STATE.frozen() and time.time() < deadline:
            time.sleep(0.02)
        raise AwsError(503, "ServiceUnavailable", "request dropped by a crash test", fault="frozen")

    def forward(
        self, environ: dict[str, Any], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = list(headers)

        with MOTO_LOCK:
            result = self.moto_app(environ, capture)
            try:
                answer = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        return captured["status"], captured["headers"], answer

    def inject(self, call: Call, body: bytes, faults: dict[str, Any]) -> None:
        """Raise the AwsError a fault produces for this call, if any."""
        if call.service == "unknown":
            return
        if STATE.roll(faults["throttle_rate"]):
            raise errors.throttled(call.service, "throttle")
        if faults["quotas"]:
            self.enforce_quotas(call, faults)
        if call.service == "apigateway" and call.mutating and STATE.roll(faults["conflict_rate"]):
            raise errors.conflict()
        if call.service == "lambda":
            self.lambda_faults(call, body, faults)

    def enforce_quotas(self, call: Call, faults: dict[str, Any]) -> None:
        setting = WINDOWED_QUOTAS.get((call.service, call.operation))
        if setting is not None:
            if not STATE.admit_windowed(setting, call.region or "us-east-1", faults[setting]):
                raise errors.throttled(call.service, "quota")
            return
        if call.service not in ("apigateway", "route53"):
            return
        with STATE.lock:
            now = time.monotonic()
            bucket = STATE.buckets[call.service]
            if not bucket.available(now):
                raise errors.throttled(call.service, "quota")
            if call.service == "apigateway":
                if call.operation == "CreateDeployment":
                    last = STATE.last_deployment
                    if last is not None and now - last < faults["deployment_interval_s"]:
                        raise errors.throttled(call.service, "quota")
                    STATE.last_deployment = now
                if call.operation in DOMAIN_OPERATIONS:
                    last = STATE.last_domain_op
                    if last is not None and now - last < faults["domain_interval_s"]:
                        raise errors.throttled(call.service, "quota")
                    STATE.last_domain_op = now
            bucket.take()

    def lambda_faults(self, call: Call, body: bytes, faults: dict[str, Any]) -> None:
        if (
            call.operation in ("CreateFunction", "UpdateFunctionConfiguration")
            and faults["iam_propagation_s"]
        ):
            try:
                role = json.loads(body or b"{}").get("Role")
            except (ValueError, AttributeError):
                role = None
            if isinstance(role, str):
                age = STATE.role_age(role.rsplit("/", 1)[-1])
                if age is not None and age < faults["iam_propagation_s"]:
                    raise AwsError(
                        400,
                        "InvalidParameterValueException",
                        ROLE_NOT_ASSUMABLE,
                        fault="iam_propagation",
                    )
        if call.operation in ("UpdateFunctionCode", "UpdateFunctionConfiguration"):
            try:
                conditional = bool(json.loads(body or b"{}").get("RevisionId"))
            except (ValueError, AttributeError):
                conditional = False
            if conditional and STATE.refuse_as_stale():
                raise AwsError(
                    412,
                    "PreconditionFailedException",
                    "The Revision Id provided does not match the latest Revision Id. "
                    "Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
                    fault="stale_revision",
                )
        identifier = call.params.get("FunctionName") or call.params.get("Resource")
        if not identifier or not call.mutating:
            return
        name = function_name(str(identifier))
        clock = STATE.function_clock(name)
        if clock is None:
            return
        now = time.monotonic()
        if now < clock.pending_until and call.operation not in LAMBDA_ALLOWED_WHILE_PENDING:
            raise AwsError(
                409,
                "ResourceConflictException",
                "The operation cannot be performed at this time. "
                "The function is currently in the following state: Pending",
                fault="lambda_pending",
            )
        if now < clock.update_until and call.operation in LAMBDA_UPDATES:
            raise AwsError(
                409,
                "ResourceConflictException",
                "The operation cannot be performed at this time. "
                f"An update is in progress for resource: {function_arn(call, name)}",
                fault="lambda_update",
            )

    def after_success(
        self,
        call: Call,
        environ: dict[str, Any],
        body: bytes,
        answer: bytes,
        faults: dict[str, Any],
    ) -> bytes:
        if call.service == "iam" and call.operation == "CreateRole":
            names = parse_qs(body.decode("utf-8", "replace")).get("RoleName")
            if names:
                STATE.role_created(names[0])
        if call.service == "lambda" and call.operation == "DeleteFunction":
            identifier = call.params.get("FunctionName")
            if identifier:
                STATE.function_deleted(function_name(str(identifier)))
        if call.model == "apigatewayv2" and answer[:1] == b"{":
            try:
                answer = json.dumps(_strip_nulls(json.loads(answer))).encode()
            except ValueError:
                pass
        return pagination.paginate_response(
            call, environ, body, answer, pagination.page_size_for(call, faults)
        )

    # -- control endpoint ---------------------------------------------------

    def control(
        self, environ: dict[str, Any], path: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        body = _read_body(environ)
        route = path[len("/_wsdeploy/") :].strip("/")
        if route == "calls" and method == "GET":
            return _json_response(200, {"calls": STATE.call_log()})
        if route == "calls" and method == "DELETE":
            STATE.clear_calls()
            return _json_response(200, {"calls": []})
        if route == "faults" and method == "GET":
            return _json_response(200, STATE.faults)
        if route == "faults" and method == "POST":
            try:
                update = json.loads(body or b"{}")
                return _json_response(200, STATE.update_faults(update))
            except (ValueError, settings.SettingsError) as error:
                return _json_response(400, {"error": str(error)})
        if route == "profiles" and method == "GET":
            return _json_response(200, {name: settings.profile(name) for name in settings.PROFILES})
        if route == "reset" and method == "POST":
            with MOTO_LOCK:
                moto_api_backend.reset()
                STATE.reset()
            return _json_response(200, {"reset": True})
        if route == "lambda-logs" and method == "POST":
            return self.lambda_logs(body)
        if route in CONTROL_ROUTES:
            return _json_response(405, {"error": f"{method} is not allowed on /_wsdeploy/{route}"})
        return _json_response(404, {"error": f"no control endpoint /_wsdeploy/{route}"})

    def lambda_logs(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        try:
            request = json.loads(body or b"{}")
            with MOTO_LOCK:
                return _json_response(200, lambda_logs.write(request))
        except (ValueError, lambda_logs.RequestError) as error:
            return _json_response(400, {"error": str(error)})
        except LambdaClientError as error:
            return _json_response(error.code, {"error": error.message})
