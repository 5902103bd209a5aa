"""Additions to and corrections of moto, applied in-process before its server
is built. Each module patches one service (or one part of one); ``install``
applies them all once, in an order that lets later wrappers wrap earlier ones
(``lambda_logging`` after ``awslambda``, ``function_settings`` after
``lambda_logging``, ``lambda_versions`` last of Lambda's), and ``dispatch``
(the server's per-request work) after every response class has its methods.

moto's code is never copied: new operations are methods added to moto's
response classes, corrected behaviour wraps moto's own functions.
"""

from __future__ import annotations

from . import (
    acm,
    apigatewayv2,
    awslambda,
    dispatch,
    function_settings,
    iam,
    lambda_logging,
    lambda_versions,
    logs,
    route53,
    ssm,
)

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    for module in (
        apigatewayv2,
        awslambda,
        lambda_logging,
        function_settings,
        lambda_versions,
        logs,
        acm,
        iam,
        route53,
        ssm,
        dispatch,
    ):
        module.install()
    _installed = True
