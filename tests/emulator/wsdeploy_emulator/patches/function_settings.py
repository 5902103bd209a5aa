"""Lambda function settings beyond the basics: ``TracingConfig``,
``EphemeralStorage``, ``KMSKeyArn``, ``VpcConfig`` (and ``Description``,
which moto already keeps).

moto 5.2 accepts them on CreateFunction but ignores ``TracingConfig``,
``EphemeralStorage`` and ``KMSKeyArn`` in UpdateFunctionConfiguration, and
checks nothing. Here, as on AWS:

- every configuration moto returns carries them (CreateFunction,
  GetFunction, GetFunctionConfiguration, ListFunctions, the updates, and
  published versions, which keep the settings they were published with);
- ``TracingConfig.Mode`` is ``Active`` or ``PassThrough`` (default), and
  ``EphemeralStorage.Size`` 512..10240 (default 512); other values are a
  ``ValidationException`` in AWS's "1 validation error detected" form;
- ``KMSKeyArn: ""`` on update goes back to Lambda's default key (absent);
- ``VpcConfig`` with subnets is answered with a ``VpcId`` (derived from the
  subnets: no EC2 is emulated); an update with empty lists takes the
  function out of its VPC and is answered
  ``{"SubnetIds": [], "SecurityGroupIds": [], "VpcId": ""}``; a function
  never in a VPC has no ``VpcConfig``;
- Lambda checks the execution role before it accepts a VPC or active
  tracing (on CreateFunction, and on UpdateFunctionConfiguration naming
  ``VpcConfig``, ``TracingConfig`` or a new ``Role``):
  ``ec2:CreateNetworkInterface``, ``ec2:DescribeNetworkInterfaces``,
  ``ec2:DeleteNetworkInterface`` for a VPC, ``xray:PutTraceSegments`` for
  ``Active`` tracing; without them, ``InvalidParameterValueException`` "The
  provided execution role does not have permissions to call
  CreateNetworkInterface on EC2" / "... to call PutTraceSegments on XRAY"
  (AWS's messages as CloudFormation and SDK users report them). The role's
  inline and attached managed policies count (``patches.iam.allows``). A
  refused request creates or changes nothing.
"""

from __future__ import annotations

import hashlib
from typing import Any

from moto.awslambda import models
from moto.awslambda.exceptions import InvalidParameterValueException, ValidationException

from . import iam

TRACING_MODES = ("Active", "PassThrough")
ENI_ACTIONS = ("CreateNetworkInterface", "DescribeNetworkInterfaces", "DeleteNetworkInterface")
NO_PERMISSION = "The provided execution role does not have permissions to call {} on {}"


def _validate(spec: dict[str, Any]) -> None:
    mode = (spec.get("TracingConfig") or {}).get("Mode")
    if mode is not None and mode not in TRACING_MODES:
        raise ValidationException(
            mode,
            "tracingConfig.mode",
            f"Member must satisfy enum value set: [{', '.join(TRACING_MODES)}]",
        )
    storage = spec.get("EphemeralStorage")
    if storage is not None:
        size = storage.get("Size")
        if not isinstance(size, int) or size < 512:
            raise ValidationException(
                size, "ephemeralStorage.size", "Member must have value greater than or equal to 512"
            )
        if size > 10240:
            raise ValidationException(
                size, "ephemeralStorage.size", "Member must have value less than or equal to 10240"
            )


def _in_vpc(vpc: dict[str, Any] | None) -> bool:
    return bool(vpc and vpc.get("SubnetIds"))


def _check_role(
    account_id: str, role_arn: Any, vpc: dict[str, Any] | None, tracing: str | None
) -> None:
    """What Lambda checks with the execution role before it accepts a VPC
    or active tracing. An unknown role is left to moto's own check."""
    if not isinstance(role_arn, str) or not (_in_vpc(vpc) or tracing == "Active"):
        return
    role = iam.find_role(account_id, role_arn)
    if role is None:
        return
    if _in_vpc(vpc):
        for action in ENI_ACTIONS:
            if not iam.allows(role, f"ec2:{action}"):
                raise InvalidParameterValueException(NO_PERMISSION.format(action, "EC2"))
    if tracing == "Active" and not iam.allows(role, "xray:PutTraceSegments"):
        raise InvalidParameterValueException(NO_PERMISSION.format("PutTraceSegments", "XRAY"))


def _vpc_id(subnets: list[str]) -> str:
    return "vpc-" + hashlib.sha256(",".join(sorted(subnets)).encode()).hexdigest()[:17]


def vpc_config(function: models.LambdaFunction) -> dict[str, Any] | None:
    """A function's VpcConfig as Lambda reports it (None: never in a VPC)."""
    vpc = function._vpc_config
    if vpc is None:
        return None
    if not _in_vpc(vpc):
        return {"SubnetIds": [], "SecurityGroupIds": [], "VpcId": ""}
    return {
        "SubnetIds": list(vpc.get("SubnetIds") or []),
        "SecurityGroupIds": list(vpc.get("SecurityGroupIds") or []),
        "VpcId": _vpc_id(vpc["SubnetIds"]),
    }


def _creating(original: Any) -> Any:
    def init(
        self: models.LambdaFunction,
        account_id: str,
        spec: dict[str, Any],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        # Checked first: a refused function is not created.
        _validate(spec)
        tracing = (spec.get("TracingConfig") or {}).get("Mode")
        _check_role(account_id, spec.get("Role"), spec.get("VpcConfig"), tracing)
        original(self, account_id, spec, *args, **kwargs)
        self.tracing_config = {"Mode": tracing or "PassThrough"}
        self.kms_key_arn = spec.get("KMSKeyArn") or None
        if not _in_vpc(self._vpc_config):
            self._vpc_config = None

    return init


def _updating(original: Any) -> Any:
    def update(self: models.LambdaFunction, updates: dict[str, Any]) -> dict[str, Any]:
        _validate(updates)
        role = updates.get("Role") or self.role
        vpc = updates["VpcConfig"] if "VpcConfig" in updates else self._vpc_config
        tracing = (updates.get("TracingConfig") or {}).get("Mode") or self.tracing_config.get(
            "Mode"
        )
        role_changed = "Role" in updates
        _check_role(
            self.account_id,
            role,
            vpc if role_changed or "VpcConfig" in updates else None,
            tracing if role_changed or "TracingConfig" in updates else None,
        )
        original(self, updates)
        if "VpcConfig" in updates:
            given = updates["VpcConfig"] or {}
            if _in_vpc(given):
                self._vpc_config = {
                    "SubnetIds": list(given.get("SubnetIds") or []),
                    "SecurityGroupIds": list(given.get("SecurityGroupIds") or []),
                }
            elif self._vpc_config is not None:
                self._vpc_config = {"SubnetIds": [], "SecurityGroupIds": []}
        if (updates.get("TracingConfig") or {}).get("Mode"):
            self.tracing_config = {"Mode": updates["TracingConfig"]["Mode"]}
        if updates.get("EphemeralStorage") is not None:
            self.ephemeral_storage = updates["EphemeralStorage"]["Size"]
        if "KMSKeyArn" in updates:
            self.kms_key_arn = updates["KMSKeyArn"] or None
        return self.get_configuration()

    return update


def _reporting(original: Any) -> Any:
    def get_configuration(self: models.LambdaFunction, on_create: bool = False) -> dict[str, Any]:
        config = original(self, on_create)
        config["VpcConfig"] = vpc_config(self)
        if config["VpcConfig"] is None:
            del config["VpcConfig"]
        config["TracingConfig"] = {"Mode": (self.tracing_config or {}).get("Mode", "PassThrough")}
        if not self.kms_key_arn:
            config.pop("KMSKeyArn", None)
        return config

    return get_configuration


def install() -> None:
    """Installed after ``lambda_logging``, whose wrappers these wrap."""
    models.LambdaFunction.__init__ = _creating(models.LambdaFunction.__init__)
    models.LambdaFunction.update_configuration = _updating(
        models.LambdaFunction.update_configuration
    )
    models.LambdaFunction.get_configuration = _reporting(models.LambdaFunction.get_configuration)
