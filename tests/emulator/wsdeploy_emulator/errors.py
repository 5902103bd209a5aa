"""AWS errors rendered in the wire protocol of the service that failed, so the
AWS SDKs map them to their typed errors (e.g. the Rust SDK's
``is_too_many_requests_exception()``).

- REST-JSON (API Gateway v2, Lambda): status, ``x-amzn-ErrorType`` header and
  a JSON body whose ``message`` member is the one botocore models.
- JSON 1.1 (ACM, CloudWatch Logs): ``{"__type": code, "message": ...}``.
- query (IAM, STS) and REST-XML (Route 53): an ``<ErrorResponse>`` document.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

XML_NAMESPACES = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "route53": "https://route53.amazonaws.com/doc/2013-04-01/",
}
JSON_11_SERVICES = {"acm", "logs", "ssm"}

CONCURRENT_MODIFICATION = (
    "Unable to complete operation due to concurrent modification. Please try again later."
)


@dataclass
class AwsError(Exception):
    """An error the emulator answers instead of moto."""

    status: int
    code: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    fault: str = ""  # which fault produced it, for the call log


def render(service: str, error: AwsError) -> tuple[int, list[tuple[str, str]], bytes]:
    request_id = str(uuid.uuid4())
    headers = [("x-amzn-RequestId", request_id)]
    headers.extend(error.headers.items())
    if service in XML_NAMESPACES:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<ErrorResponse xmlns="{XML_NAMESPACES[service]}">'
            f"<Error><Type>Sender</Type><Code>{escape(error.code)}</Code>"
            f"<Message>{escape(error.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    elif service in JSON_11_SERVICES:
        body = json.dumps({"__type": error.code, "message": error.message}).encode()
        headers.append(("Content-Type", "application/x-amz-json-1.1"))
    else:
        payload: dict[str, str] = {"message": error.message}
        if service == "lambda":
            payload["Type"] = "User"
        body = json.dumps(payload).encode()
        headers.append(("Content-Type", "application/json"))
        headers.append(("x-amzn-ErrorType", error.code))
    headers.append(("Content-Length", str(len(body))))
    return error.status, headers, body


def throttled(service: str, fault: str) -> AwsError:
    """The throttling error each service answers when over its rate."""
    if service in ("apigateway", "lambda"):
        error = AwsError(429, "TooManyRequestsException", "Too Many Requests", fault=fault)
        if service == "lambda":
            error.message = "Rate exceeded"
            error.headers["Retry-After"] = "1"
        return error
    if service in JSON_11_SERVICES:
        return AwsError(400, "ThrottlingException", "Rate exceeded", fault=fault)
    return AwsError(400, "Throttling", "Rate exceeded", fault=fault)


def conflict() -> AwsError:
    return AwsError(409, "ConflictException", CONCURRENT_MODIFICATION, fault="conflict")
