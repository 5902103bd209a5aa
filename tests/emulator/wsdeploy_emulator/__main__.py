"""Command line of the emulator: patch moto, serve it on 127.0.0.1 behind the
middleware, print ``listening http://127.0.0.1:PORT`` and then ``ready`` on
stdout once it answers HTTP.

Usage (normally through ``tests/emulator/run``):

    python -m wsdeploy_emulator --port PORT [--profile NAME] [--latency-ms N]
        [--page-size N|none] [--faults JSON] [--exit-on-stdin-eof]
        [--log-requests]

``--port 0`` picks a free port. ``--exit-on-stdin-eof`` makes the server stop
when its stdin closes, which is how a test process that dies (even by abort)
takes its emulator with it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import urllib.request
from typing import Any

from . import settings


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tests/emulator/run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--port", type=int, required=True, help="TCP port on 127.0.0.1; 0 = any free port"
    )
    parser.add_argument(
        "--profile", default="none", help=f"fault profile: {', '.join(settings.PROFILES)}"
    )
    parser.add_argument("--latency-ms", type=int, help="fixed delay added to every AWS request")
    parser.add_argument(
        "--page-size", help="largest page of list calls (default 2); 'none' = moto's own"
    )
    parser.add_argument("--faults", help="JSON object of fault settings applied over the profile")
    parser.add_argument(
        "--exit-on-stdin-eof", action="store_true", help="stop when stdin is closed"
    )
    parser.add_argument("--log-requests", action="store_true", help="log every request on stderr")
    return parser.parse_args(argv)


def _launch_settings(args: argparse.Namespace) -> dict[str, Any]:
    update: dict[str, Any] = {"profile": args.profile}
    if args.faults:
        extra = json.loads(args.faults)
        if not isinstance(extra, dict):
            raise settings.SettingsError("--faults must be a JSON object")
        update.update(extra)
    if args.latency_ms is not None:
        update["latency_ms"] = args.latency_ms
    if args.page_size is not None:
        update["page_size"] = None if args.page_size.lower() == "none" else int(args.page_size)
    return settings.apply_update(settings.DEFAULTS, update)


def _watch_stdin() -> None:
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    try:
        launch = _launch_settings(args)
    except (ValueError, settings.SettingsError) as error:
        print(f"wsdeploy emulator: {error}", file=sys.stderr)
        return 2
    if args.exit_on_stdin_eof:
        threading.Thread(target=_watch_stdin, name="stdin-watch", daemon=True).start()

    # Imported late: importing moto takes most of the start-up time, and the
    # patches must be applied before moto builds its per-service apps.
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from . import classify, patches
    from .middleware import EmulatorMiddleware
    from .state import STATE

    patches.install()
    STATE.set_launch(launch)
    dispatcher = DomainDispatcherApplication(create_backend_app)
    for backend in ("apigateway", "apigatewayv2", "lambda", "iam", "sts", "route53", "acm", "logs"):
        dispatcher.app_instances[backend] = dispatcher.create_app(backend)
    for model in ("apigatewayv2", "lambda", "route53"):
        classify._router(model)

    log_requests = args.log_requests

    class Handler(MotoRequestHandler):
        def log_request(self, *rest: Any, **kwargs: Any) -> None:
            if log_requests:
                super().log_request(*rest, **kwargs)

    server = make_server(
        "127.0.0.1",
        args.port,
        EmulatorMiddleware(dispatcher),
        threaded=True,
        request_handler=Handler,
    )
    port = server.server_port
    os.environ["MOTO_PORT"] = str(port)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threading.Thread(target=server.serve_forever, name="server", daemon=True).start()

    url = f"http://127.0.0.1:{port}"
    with urllib.request.urlopen(f"{url}/_wsdeploy/faults", timeout=30) as answer:
        answer.read()
    print(f"listening {url}", flush=True)
    print("ready", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
