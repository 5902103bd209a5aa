"""Lambda function states, as AWS reports them.

A new function is ``State=Pending`` (``StateReasonCode=Creating``) for
``lambda_pending_ms``; after UpdateFunctionCode or UpdateFunctionConfiguration
``LastUpdateStatus=InProgress`` for ``lambda_update_ms``. The clocks live in
``state.STATE``; this module starts them when moto creates or updates a
function and shows them in every configuration moto returns (CreateFunction,
GetFunction, GetFunctionConfiguration, ListFunctions, the update calls).
Refusing calls made inside those windows is the middleware's job.

Also: AddPermission with a StatementId already in the function's policy is a
ResourceConflictException, as on AWS (moto appends a second statement).
"""

from __future__ import annotations

import json
import time
from typing import Any

from moto.awslambda import models, policy
from moto.awslambda.exceptions import LambdaClientError

from ..state import STATE

_original_create_function = models.LambdaBackend.create_function
_original_get_configuration = models.LambdaFunction.get_configuration
_original_update_configuration = models.LambdaFunction.update_configuration
_original_update_function_code = models.LambdaFunction.update_function_code


def _create_function(self: models.LambdaBackend, spec: dict[str, Any]) -> models.LambdaFunction:
    function = _original_create_function(self, spec)
    STATE.function_created(function.function_name)
    return function


def _get_configuration(self: models.LambdaFunction, on_create: bool = False) -> dict[str, Any]:
    config = _original_get_configuration(self, on_create)
    clock = STATE.function_clock(self.function_name)
    if clock is None:
        return config
    now = time.monotonic()
    if now < clock.pending_until:
        config["State"] = "Pending"
        config["StateReason"] = "The function is being created."
        config["StateReasonCode"] = "Creating"
    if now < clock.update_until:
        config["LastUpdateStatus"] = "InProgress"
        config["LastUpdateStatusReason"] = "The function is being created."
        config["LastUpdateStatusReasonCode"] = "Creating"
    return config


def _update_configuration(
    self: models.LambdaFunction, config_updates: dict[str, Any]
) -> dict[str, Any]:
    _original_update_configuration(self, config_updates)
    STATE.function_updated(self.function_name)
    return self.get_configuration()


def _update_function_code(
    self: models.LambdaFunction, updated_spec: dict[str, Any]
) -> dict[str, Any]:
    _original_update_function_code(self, updated_spec)
    if not updated_spec.get("DryRun"):
        STATE.function_updated(self.function_name)
    return self.get_configuration()


class StatementExists(LambdaClientError):
    code = 409

    def __init__(self, sid: str) -> None:
        super().__init__(
            "ResourceConflictException",
            f"The statement id ({sid}) provided already exists. Please provide a new "
            "statement id, or remove the existing statement.",
        )


_original_add_statement = policy.Policy.add_statement


def _add_statement(self: policy.Policy, raw: str, qualifier: str | None = None) -> Any:
    try:
        sid = json.loads(raw).get("StatementId")
    except (ValueError, AttributeError):
        sid = None
    if sid and any(s.get("Sid") == sid for s in self.statements):
        raise StatementExists(sid)
    return _original_add_statement(self, raw, qualifier)


def install() -> None:
    policy.Policy.add_statement = _add_statement
    models.LambdaBackend.create_function = _create_function
    models.LambdaFunction.get_configuration = _get_configuration
    models.LambdaFunction.update_configuration = _update_configuration
    models.LambdaFunction.update_function_code = _update_function_code
