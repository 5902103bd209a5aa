"""Additions to and corrections of moto, applied in-process before its server
is built. Each module patches one service; ``install`` applies them all once.

moto's code is never copied: new operations are methods added to moto's
response classes, corrected behaviour wraps moto's own functions.
"""

from __future__ import annotations

from . import acm, apigatewayv2, awslambda, iam, logs, route53

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    for module in (apigatewayv2, awslambda, logs, acm, iam, route53):
        module.install()
    _installed = True
