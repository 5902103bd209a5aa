"""What Lambda writes to CloudWatch Logs when a function runs, for
``POST /_wsdeploy/lambda-logs`` (the emulator runs no code, so a test says
what the function logged).

One request is one invocation in a new execution environment (a cold
start). Like Lambda, it creates the function's log group (``LoggingConfig.
LogGroup``, by default ``/aws/lambda/<function>``) when it is missing,
untagged and never expiring, then a stream ``YYYY/MM/DD/[$LATEST]<32 hex>``
(``YYYY/MM/DD/<function>[$LATEST]<32 hex>`` in a custom group), and writes
in the function's ``LogFormat``:

- Text: ``INIT_START ...``, ``START RequestId: <id> Version: $LATEST``, each
  line as ``<ISO time>\\t<id>\\t<LEVEL>\\t<line>``, ``END RequestId: <id>``,
  ``REPORT RequestId: <id>\\tDuration: ...``; every message ends with a
  newline, as Lambda's do.
- JSON: ``{"time", "type": "platform.initStart" | "platform.start" |
  "platform.report", "record"}`` around each line as ``{"timestamp",
  "level", "requestId", "message"}``; lines below ``ApplicationLogLevel``
  and platform records below ``SystemLogLevel`` are not written.

Body: ``{"function": NAME, "lines": [LINE, ...], "timestamp": MS,
"region": REGION}``; a LINE is a string (level INFO, as ``console.log``) or
``{"level": LEVEL, "message": TEXT}``. Answer: the group, the stream, the
request id and the messages written.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.logs.models import logs_backends

from .patches import lambda_logging

APPLICATION_ORDER = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
SYSTEM_ORDER = ("DEBUG", "INFO", "WARN")
RUNTIME_VERSION = "nodejs:20.v13"
RUNTIME_ARN = (
    "arn:aws:lambda:{region}::runtime:"
    "0cdcfbdefbc5e7d3343f73c2e2dd3cba17d61dea0686b404502a0c9ce83931b9"
)
INIT_MS, DURATION_MS, MAX_MEMORY_MB = 152.37, 1.85, 64


class RequestError(ValueError):
    """A malformed request body (400)."""


@dataclass
class Line:
    level: str
    message: str


@dataclass
class Invocation:
    function: str
    region: str
    start_ms: int
    lines: list[Line]
    config: dict[str, Any] = field(default_factory=dict)
    memory_mb: int = 128
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def _line(value: Any) -> Line:
    if isinstance(value, str):
        return Line("INFO", value)
    if isinstance(value, dict) and isinstance(value.get("message"), str):
        level = str(value.get("level", "INFO")).upper()
        if level in APPLICATION_ORDER:
            return Line(level, value["message"])
    raise RequestError('each line is a string or {"level": LEVEL, "message": TEXT}')


def parse(body: Any) -> Invocation:
    if not isinstance(body, dict) or not isinstance(body.get("function"), str):
        raise RequestError('the body needs "function": the name of an existing function')
    lines = body.get("lines", [])
    stamp = body.get("timestamp", int(time.time() * 1000))
    if not isinstance(lines, list) or not isinstance(stamp, int) or isinstance(stamp, bool):
        raise RequestError('"lines" is a list and "timestamp" an integer (ms)')
    region = body.get("region") or "us-east-1"
    return Invocation(body["function"], str(region), stamp, [_line(v) for v in lines])


def iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def stream_name(invocation: Invocation) -> str:
    day = datetime.fromtimestamp(invocation.start_ms / 1000, tz=timezone.utc)
    default_group = invocation.config["LogGroup"] == f"/aws/lambda/{invocation.function}"
    owner = "" if default_group else invocation.function
    return f"{day:%Y/%m/%d}/{owner}[$LATEST]{uuid.uuid4().hex}"


def _report_fields(invocation: Invocation) -> list[str]:
    return [
        f"REPORT RequestId: {invocation.request_id}",
        f"Duration: {DURATION_MS:.2f} ms",
        f"Billed Duration: {math.ceil(DURATION_MS)} ms",
        f"Memory Size: {invocation.memory_mb} MB",
        f"Max Memory Used: {MAX_MEMORY_MB} MB",
        f"Init Duration: {INIT_MS:.2f} ms",
    ]


def text_messages(invocation: Invocation) -> list[tuple[int, str]]:
    """(offset in ms, message) of every event, in Text format."""
    rid, start = invocation.request_id, invocation.start_ms
    arn = RUNTIME_ARN.format(region=invocation.region)
    messages = [
        (0, f"INIT_START Runtime Version: {RUNTIME_VERSION}\tRuntime Version ARN: {arn}\n"),
        (1, f"START RequestId: {rid} Version: $LATEST\n"),
    ]
    for index, line in enumerate(invocation.lines):
        offset = 2 + index
        messages.append((offset, f"{iso(start + offset)}\t{rid}\t{line.level}\t{line.message}\n"))
    end = 2 + len(invocation.lines)
    messages.append((end, f"END RequestId: {rid}\n"))
    messages.append((end, "\t".join(_report_fields(invocation)) + "\t\n"))
    return messages


def _platform(offset: int, invocation: Invocation, kind: str, record: dict[str, Any]) -> str:
    moment = iso(invocation.start_ms + offset)
    return json.dumps({"time": moment, "type": kind, "record": record}, separators=(",", ":"))


def _application(offset: int, invocation: Invocation, line: Line) -> str:
    document = {
        "timestamp": iso(invocation.start_ms + offset),
        "level": line.level,
        "requestId": invocation.request_id,
        "message": line.message,
    }
    return json.dumps(document, separators=(",", ":"))


def json_messages(invocation: Invocation) -> list[tuple[int, str]]:
    """(offset in ms, message) of every event, in JSON format."""
    rid = invocation.request_id
    app_floor = APPLICATION_ORDER.index(invocation.config["ApplicationLogLevel"])
    system = SYSTEM_ORDER.index(invocation.config["SystemLogLevel"]) <= SYSTEM_ORDER.index("INFO")
    init = {
        "initializationType": "on-demand",
        "phase": "init",
        "runtimeVersion": RUNTIME_VERSION,
        "runtimeVersionArn": RUNTIME_ARN.format(region=invocation.region),
    }
    messages = [(0, _platform(0, invocation, "platform.initStart", init))] if system else []
    if system:
        start = {"requestId": rid, "version": "$LATEST"}
        messages.append((1, _platform(1, invocation, "platform.start", start)))
    for index, line in enumerate(invocation.lines):
        if APPLICATION_ORDER.index(line.level) >= app_floor:
            messages.append((2 + index, _application(2 + index, invocation, line)))
    end = 2 + len(invocation.lines)
    if system:
        messages.append((end, _platform(end, invocation, "platform.report", _report(invocation))))
    return messages


def _report(invocation: Invocation) -> dict[str, Any]:
    metrics = {
        "durationMs": DURATION_MS,
        "billedDurationMs": math.ceil(DURATION_MS),
        "memorySizeMB": invocation.memory_mb,
        "maxMemoryUsedMB": MAX_MEMORY_MB,
        "initDurationMs": INIT_MS,
    }
    return {"requestId": invocation.request_id, "metrics": metrics, "status": "success"}


def write(body: Any) -> dict[str, Any]:
    """Runs one invocation's logging (call under the moto lock). Raises
    ``RequestError`` for a bad body and moto's UnknownFunctionException for a
    function that does not exist."""
    invocation = parse(body)
    function = lambda_backends[DEFAULT_ACCOUNT_ID][invocation.region].get_function(
        invocation.function
    )
    invocation.config = lambda_logging.logging_config(function)
    invocation.memory_mb = int(function.memory_size)
    json_format = invocation.config["LogFormat"] == "JSON"
    messages = json_messages(invocation) if json_format else text_messages(invocation)
    group, stream = invocation.config["LogGroup"], stream_name(invocation)
    logs = logs_backends[DEFAULT_ACCOUNT_ID][invocation.region]
    logs.ensure_log_group(group)
    logs.create_log_stream(group, stream)
    events = [{"timestamp": invocation.start_ms + o, "message": m} for o, m in messages]
    logs.put_log_events(group, stream, events)
    return {
        "logGroupName": group,
        "logStreamName": stream,
        "requestId": invocation.request_id,
        "messages": [m for _, m in messages],
    }
