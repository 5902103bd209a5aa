"""Which AWS service and operation an HTTP request is.

The service is the signing name in the SigV4 credential scope of the
Authorization header (``apigateway``, ``lambda``, ``iam``, ...). The operation
is found the way each protocol carries it:

- query (IAM, STS): the ``Action`` form field or query parameter;
- JSON (ACM, CloudWatch Logs): the ``X-Amz-Target`` header;
- REST-JSON / REST-XML (API Gateway v2, Lambda, Route 53): method and path,
  matched against botocore's service model by moto's router.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from moto.core.request import Request
from moto.core.routing import get_service_router

READ_PREFIXES = ("Get", "List", "Describe", "Head", "Filter")

# Signing names whose botocore model has another name.
MODEL_NAMES = {"monitoring": "cloudwatch", "email": "ses", "states": "stepfunctions"}


@dataclass
class Call:
    service: str  # signing name, as in the call log
    model: str  # botocore model name, e.g. "apigatewayv2"
    operation: str  # botocore operation name, e.g. "CreateRoute"; "" if unknown
    region: str
    params: dict[str, Any] = field(default_factory=dict)  # URI labels

    @property
    def mutating(self) -> bool:
        return bool(self.operation) and not self.operation.startswith(READ_PREFIXES)


@functools.cache
def _router(model: str) -> Any:
    return get_service_router(model)


def _credential_scope(environ: dict[str, Any]) -> tuple[str, str]:
    """(service, region) from a SigV4 Authorization header, or ("", "")."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    for part in auth.replace(",", " ").split():
        if part.startswith("Credential="):
            pieces = part[len("Credential=") :].split("/")
            if len(pieces) >= 5:
                return pieces[3].lower(), pieces[2]
    return "", ""


# The STS operations a client calls without signing.
UNSIGNED_STS = ("AssumeRoleWithWebIdentity", "AssumeRoleWithSAML")


def _form(environ: dict[str, Any], body: bytes) -> dict[str, list[str]]:
    """The query-protocol parameters: the query string, else a form body."""
    form = parse_qs(environ.get("QUERY_STRING", ""))
    if not form.get("Action") and environ.get("CONTENT_TYPE", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        form = parse_qs(body.decode("utf-8", "replace"))
    return form


def classify(environ: dict[str, Any], body: bytes) -> Call:
    service, region = _credential_scope(environ)
    path = environ.get("PATH_INFO", "")
    if service == "apigateway":
        model = "apigatewayv2" if path.startswith("/v2/") else "apigateway"
    else:
        model = MODEL_NAMES.get(service, service)
    call = Call(service=service or "unknown", model=model, operation="", region=region)
    if not service:
        # STS's web identity and SAML exchanges are the unsigned requests a
        # client makes: the token is the credential.
        action = _form(environ, body).get("Action", [""])[0]
        if action in UNSIGNED_STS:
            call.service, call.model, call.operation = "sts", "sts", action
        return call

    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        call.operation = target.rsplit(".", 1)[-1]
        return call

    form = _form(environ, body)
    if form.get("Action"):
        call.operation = form["Action"][0]
        return call

    try:
        request_environ = dict(environ)
        request_environ["wsgi.input"] = io.BytesIO(body)
        operation, params = _router(model).match(Request(request_environ))
        call.operation = operation.name
        call.params = dict(params)
    except Exception:  # noqa: BLE001 - unknown paths are logged, not fatal
        pass
    return call
