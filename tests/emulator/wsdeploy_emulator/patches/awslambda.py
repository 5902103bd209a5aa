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

And RevisionId, as on AWS: every code or configuration update gives the
function a new revision, and an update that names a RevisionId other than
the current one is refused with PreconditionFailedException (HTTP 412).
moto's functions have no revision and ignore the parameter.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from moto.awslambda import models, policy
from moto.awslambda.exceptions import LambdaClientError

from ..state import STATE

_original_create_function = models.LambdaBackend.create_function
_original_get_configuration = models.LambdaFunction.get_configuration
_original_update_configuration = models.LambdaFunction.update_configuration
_original_update_function_code = models.LambdaFunction.update_function_code
_original_backend_update_code = models.LambdaBackend.update_function_code
_original_backend_update_configuration = models.LambdaBackend.update_function_configuration


class PreconditionFailed(LambdaClientError):
    code = 412

    def __init__(self) -> None:
        super().__init__(
            "PreconditionFailedException",
            "The Revision Id provided does not match the latest Revision Id. "
            "Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
        )


def _revision(function: models.LambdaFunction) -> str:
    """The function's current revision (moto's functions have none)."""
    revision = getattr(function, "wsdeploy_revision", None)
    if revision is None:
        revision = str(uuid.uuid4())
        function.wsdeploy_revision = revision
    return revision


def _conditional(original: Any) -> Any:
    """Wraps a backend update: checks RevisionId first, then gives the
    function a new revision."""

    def update(
        self: models.LambdaBackend, function_name: str, qualifier: str, body: dict[str, Any]
    ) -> Any:
        function = self.get_function(function_name, qualifier)
        wanted = body.get("RevisionId")
        if wanted and wanted != _revision(function):
            raise PreconditionFailed()
        answer = original(self, function_name, qualifier, body)
        if not body.get("DryRun"):
            function.wsdeploy_revision = str(uuid.uuid4())
            if isinstance(answer, dict):
                answer["RevisionId"] = function.wsdeploy_revision
        return answer

    return update


def _create_function(self: models.LambdaBackend, spec: dict[str, Any]) -> models.LambdaFunction:
    function = _original_create_function(self, spec)
    STATE.function_created(function.function_name)
    return function


def _get_configuration(self: models.LambdaFunction, on_create: bool = False) -> dict[str, Any]:
    config = _original_get_configuration(self, on_create)
    # AWS reports the revision with every configuration.
    config["RevisionId"] = _revision(self)
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
    models.LambdaBackend.update_function_code = _conditional(_original_backend_update_code)
    models.LambdaBackend.update_function_configuration = _conditional(
        _original_backend_update_configuration
    )
    policy.Policy.add_statement = _add_statement
    models.LambdaBackend.create_function = _create_function
    models.LambdaFunction.get_configuration = _get_configuration
    models.LambdaFunction.update_configuration = _update_configuration
    models.LambdaFunction.update_function_code = _update_function_code
