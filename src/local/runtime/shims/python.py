# wsdeploy dev: the Python runtime shim. It does what Lambda's Python
# runtime does, in small: import the handler named by _HANDLER (module on
# PYTHONPATH, which starts with LAMBDA_TASK_ROOT), then loop on the Runtime
# API at AWS_LAMBDA_RUNTIME_API (`next`, then `response` or `error`). An
# import failure is reported to `init/error` and ends the process.
import http.client
import importlib
import json
import os
import sys
import time
import traceback

PREFIX = "/2018-06-01/runtime"
HOST, PORT = os.environ["AWS_LAMBDA_RUNTIME_API"].rsplit(":", 1)
# http.client, not urllib: no proxy settings apply, and no timeout, since
# `next` long-polls.
CONN = http.client.HTTPConnection(HOST, int(PORT), timeout=None)


def request(method, path, body=None, headers=None):
    CONN.request(method, PREFIX + path, body=body, headers=headers or {})
    response = CONN.getresponse()
    return response.status, response.headers, response.read()


def post_json(path, payload, error_type=None):
    headers = {"Content-Type": "application/json"}
    if error_type:
        headers["Lambda-Runtime-Function-Error-Type"] = error_type
    return request("POST", path, json.dumps(payload).encode("utf-8"), headers)


def error_body(exc, error_type=None, message=None):
    return {
        "errorMessage": message if message is not None else str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_list(traceback.extract_tb(exc.__traceback__)),
    }


def load_handler():
    spec = os.environ.get("_HANDLER", "")
    if "." not in spec:
        raise InitError("Runtime.MalformedHandlerName", f"Bad handler '{spec}': not enough values to unpack")
    module_name, function_name = spec.rsplit(".", 1)
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        raise InitError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}") from exc
    except ImportError as exc:
        raise InitError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}") from exc
    function = getattr(module, function_name, None)
    if not callable(function):
        raise InitError(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )
    return function


class InitError(Exception):
    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type
        self.message = message


class LambdaContext:
    """The fields of Lambda's Python context object."""

    def __init__(self, headers):
        self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms", "0"))
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "wsdeploy-dev"
        self.identity = None
        self.client_context = None
        self.tenant_id = None

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def init():
    try:
        return load_handler()
    except InitError as exc:
        body = error_body(exc, exc.error_type, exc.message)
    except Exception as exc:  # noqa: BLE001 -- whatever the module raised at import
        body = error_body(exc, "Runtime.ImportModuleError", f"Unable to import module: {type(exc).__name__}: {exc}")
    print(f"[ERROR] {body['errorType']}: {body['errorMessage']}", file=sys.stderr, flush=True)
    try:
        post_json("/init/error", body, body["errorType"])
    except OSError:
        pass
    sys.exit(1)


def main():
    handler = init()
    while True:
        status, headers, raw = request("GET", "/invocation/next")
        if status != 200:
            raise RuntimeError(f"runtime API: next answered {status}")
        request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        try:
            result = handler(json.loads(raw), LambdaContext(headers))
            body = json.dumps(result).encode("utf-8")
        except Exception as exc:  # noqa: BLE001 -- the handler's error goes back to dev
            if isinstance(exc, TypeError) and "JSON serializable" in str(exc):
                error = error_body(exc, "Runtime.MarshalError", f"Unable to marshal response: {exc}")
            else:
                error = error_body(exc)
            print(f"[ERROR] {error['errorType']}: {error['errorMessage']}", file=sys.stderr, flush=True)
            post_json(f"/invocation/{request_id}/error", error, error["errorType"])
            continue
        request("POST", f"/invocation/{request_id}/response", body, {"Content-Type": "application/json"})


if __name__ == "__main__":
    main()
