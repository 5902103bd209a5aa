"""Small pages on the list calls the reconciler uses, so its pagination code
runs against every list, not only against lists longer than AWS's page size.

Two mechanisms, both bounded by the ``page_size`` setting (``None`` turns
them off and leaves moto's own page sizes):

- ``limit_request``: for calls moto paginates itself (IAM, Route 53,
  CloudWatch Logs; see the table), lower the request's page-size parameter
  to ``page_size``.
- ``paginate_response``: for JSON calls moto answers in one piece (every API
  Gateway v2 ``Get*`` list, Lambda ListFunctions, ACM ListCertificates), cut
  the full answer into pages addressed by an opaque token.

A client's own smaller page size is always honoured.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from .classify import Call
from .errors import AwsError

# (service, operation) -> (where the page size travels, its name).
NATIVE_LIMITS: dict[tuple[str, str], tuple[str, str]] = {
    ("iam", "ListRoles"): ("form", "MaxItems"),
    ("iam", "ListRolePolicies"): ("form", "MaxItems"),
    ("iam", "ListAttachedRolePolicies"): ("form", "MaxItems"),
    ("iam", "ListRoleTags"): ("form", "MaxItems"),
    ("route53", "ListHostedZones"): ("query", "maxitems"),
    ("route53", "ListHostedZonesByName"): ("query", "maxitems"),
    ("route53", "ListResourceRecordSets"): ("query", "maxitems"),
    ("logs", "DescribeLogGroups"): ("json", "limit"),
    ("logs", "FilterLogEvents"): ("json", "limit"),
}

# Pages of log events are bounded by their own setting, ``events_page_size``
# (default: moto's own, 10,000): AWS returns up to 10,000 events or 1 MB a
# page, and a reader held to FilterLogEvents' 5 calls a second must not be
# made to read thousands of events two at a time.
EVENTS = ("logs", "FilterLogEvents")


def page_size_for(call: Call, faults: dict[str, Any]) -> int | None:
    """The page size that applies to this call."""
    if (call.service, call.operation) == EVENTS:
        return faults.get("events_page_size")
    return faults["page_size"]


@dataclass(frozen=True)
class Pager:
    source: str  # "query" or "body": where the request carries token and limit
    token_in: str
    limit_in: str
    items: str  # response member holding the list
    token_out: str


APIGW_PAGER = Pager("query", "nextToken", "maxResults", "items", "nextToken")
PAGERS: dict[tuple[str, str], Pager] = {
    ("lambda", "ListFunctions"): Pager("query", "Marker", "MaxItems", "Functions", "NextMarker"),
    ("acm", "ListCertificates"): Pager(
        "body", "NextToken", "MaxItems", "CertificateSummaryList", "NextToken"
    ),
}
BAD_TOKEN = {
    "apigateway": (400, "BadRequestException"),
    "lambda": (400, "InvalidParameterValueException"),
    "acm": (400, "InvalidArgsException"),
}


def _smaller(requested: str | None, page_size: int) -> str:
    try:
        if requested is not None and 0 < int(requested) < page_size:
            return str(int(requested))
    except ValueError:
        pass
    return str(page_size)


def limit_request(call: Call, environ: dict[str, Any], body: bytes, page_size: int | None) -> bytes:
    """Lower the page size of a natively paginated request; returns the body."""
    spec = NATIVE_LIMITS.get((call.service, call.operation))
    if spec is None or page_size is None:
        return body
    where, name = spec
    if where == "query":
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        current = next((v for k, v in pairs if k == name), None)
        pairs = [(k, v) for k, v in pairs if k != name] + [(name, _smaller(current, page_size))]
        environ["QUERY_STRING"] = urlencode(pairs)
        return body
    new_body = (_limit_json if where == "json" else _limit_form)(environ, body, name, page_size)
    environ["CONTENT_LENGTH"] = str(len(new_body))
    return new_body


def _limit_form(environ: dict[str, Any], body: bytes, name: str, page_size: int) -> bytes:
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return body
    pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    current = next((v for k, v in pairs if k == name), None)
    pairs = [(k, v) for k, v in pairs if k != name] + [(name, _smaller(current, page_size))]
    return urlencode(pairs).encode()


def _limit_json(environ: dict[str, Any], body: bytes, name: str, page_size: int) -> bytes:
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        return body
    current = document.get(name) if isinstance(document, dict) else None
    if not isinstance(document, dict) or (isinstance(current, int) and current < 1):
        return body  # an invalid limit is the service's to refuse
    document[name] = int(_smaller(None if current is None else str(current), page_size))
    return json.dumps(document).encode()


def pager_for(call: Call) -> Pager | None:
    if call.model == "apigatewayv2" and call.operation.startswith("Get"):
        return APIGW_PAGER
    return PAGERS.get((call.service, call.operation))


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"wsdeploy:{offset}".encode()).decode()


def _decode(token: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        prefix, offset = text.split(":", 1)
        return int(offset) if prefix == "wsdeploy" and int(offset) >= 0 else None
    except (ValueError, UnicodeDecodeError):
        return None


def _request_args(pager: Pager, environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    if pager.source == "query":
        return dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    try:
        parsed = json.loads(body or b"{}")
        return parsed if isinstance(parsed, dict) else {}
    except ValueError:
        return {}


def check_token(call: Call, environ: dict[str, Any], body: bytes) -> None:
    """Reject a token this emulator did not hand out, as AWS would."""
    pager = pager_for(call)
    if pager is None:
        return
    token = _request_args(pager, environ, body).get(pager.token_in)
    if token and _decode(str(token)) is None:
        status, code = BAD_TOKEN.get(call.service, (400, "ValidationException"))
        raise AwsError(status, code, "Invalid pagination token", fault="")


def paginate_response(
    call: Call, environ: dict[str, Any], body: bytes, response: bytes, page_size: int | None
) -> bytes:
    """Cut one page out of a complete JSON list response."""
    pager = pager_for(call)
    if pager is None:
        return response
    try:
        document = json.loads(response)
    except ValueError:
        return response
    if not isinstance(document, dict) or not isinstance(document.get(pager.items), list):
        return response
    args = _request_args(pager, environ, body)
    offset = _decode(str(args[pager.token_in])) if args.get(pager.token_in) else 0
    limit: int | None = page_size
    try:
        requested = int(args[pager.limit_in]) if args.get(pager.limit_in) else None
    except (TypeError, ValueError):
        requested = None
    if requested is not None and requested > 0:
        limit = requested if limit is None else min(limit, requested)
    items = document[pager.items]
    start = offset or 0
    end = len(items) if limit is None else start + limit
    document[pager.items] = items[start:end]
    document.pop(pager.token_out, None)
    if end < len(items):
        document[pager.token_out] = _encode(end)
    return json.dumps(document).encode()
