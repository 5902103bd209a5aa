"""Lambda versions, aliases, per-qualifier permissions and concurrency, as
AWS does them.

Versions (PublishVersion, CreateFunction/UpdateFunctionCode with Publish;
UpdateFunctionCode with Publish answers the new version):

- a version is published only when ``$LATEST`` changed (code or
  configuration) since the last one; otherwise the last version is returned
  (moto published a second version after the first whatever happened);
- numbers are never reused, a version has its own ``RevisionId`` and its own
  resource policy, and publishing gives ``$LATEST`` a new ``RevisionId``;
- ``CodeSha256`` other than ``$LATEST``'s → 400
  ``InvalidParameterValueException`` "CodeSHA256 (x) is different from
  current CodeSHA256 in $LATEST (y). Please try again with the CodeSHA256 in
  $LATEST."; another ``RevisionId`` → 412 ``PreconditionFailedException``.

Aliases: GetAlias and UpdateAlias answer 200 and DeleteAlias 204 (moto: 201);
UpdateAlias gives the alias a new ``RevisionId`` and refuses another one
(412). GetFunction / GetFunctionConfiguration through an alias (``Qualifier``
or ``name:live`` or the alias ARN) answer the alias ARN as ``FunctionArn``
and the version it points to as ``Version``.

Permissions: AddPermission, GetPolicy and RemovePermission keep one resource
policy per qualifier (the unqualified function, each version, each alias),
whether the qualifier comes as ``Qualifier`` or inside the function ARN; a
statement's ``Resource`` is the qualified ARN. moto kept one policy shared by
every version and ignored ``Qualifier`` in RemovePermission.

Reserved concurrency: GetFunction reports ``Concurrency`` also when it is 0.

Provisioned concurrency (moto answers 404): Put/Get/Delete
ProvisionedConcurrencyConfig and ListProvisionedConcurrencyConfigs on an
alias or a published version. ``Status`` is ``IN_PROGRESS`` (nothing
allocated) for the ``provisioned_ready_ms`` fault setting after each Put,
then ``READY`` with ``AllocatedProvisionedConcurrentExecutions`` and
``AvailableProvisionedConcurrentExecutions`` equal to the request; Put
always answers ``IN_PROGRESS``, as AWS does. Moving an alias to another
version starts the allocation again. Refused as AWS does (messages as
LocalStack recorded them): ``$LATEST`` or an alias of it ("Provisioned
Concurrency Configs cannot be applied to unpublished function versions."),
no qualifier on Get/Delete ("The function resource provided must be an alias
or a published version."), more than the function's reserved concurrency
across its configurations ("Requested Provisioned Concurrency should not be
greater than the reservedConcurrentExecution for function"), an alias whose
version has a configuration of its own and the reverse (409), fewer than 1
(``ValidationException``). Get without one → 404
``ProvisionedConcurrencyConfigNotFoundException`` "No Provisioned
Concurrency Config found for this function"; Delete is idempotent.
Deleting an alias, a version or the function drops its policies and
configurations.
"""

from __future__ import annotations

import copy
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from moto.awslambda import models, urls
from moto.awslambda.exceptions import (
    GenericResourcNotFound,
    InvalidParameterValueException,
    LambdaClientError,
    UnknownPolicyException,
    ValidationException,
)
from moto.awslambda.policy import Policy
from moto.awslambda.responses import LambdaResponse
from moto.utilities.utils import ARN_PARTITION_REGEX

from ..state import STATE
from .awslambda import PreconditionFailed, _revision

UNPUBLISHED = "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
NOT_A_QUALIFIER = "The function resource provided must be an alias or a published version."
OVER_RESERVED = (
    "Requested Provisioned Concurrency should not be greater than the "
    "reservedConcurrentExecution for function"
)


class ResourceConflict(LambdaClientError):
    code = 409

    def __init__(self, message: str) -> None:
        super().__init__("ResourceConflictException", message)


class ProvisionedConfigNotFound(LambdaClientError):
    code = 404

    def __init__(self) -> None:
        super().__init__(
            "ProvisionedConcurrencyConfigNotFoundException",
            "No Provisioned Concurrency Config found for this function",
        )


@dataclass
class Provisioned:
    requested: int
    ready_at: float
    last_modified: str

    def restart(self) -> None:
        self.ready_at = time.monotonic() + STATE.fault("provisioned_ready_ms") / 1000.0
        self.last_modified = _now()

    def view(self) -> dict[str, Any]:
        ready = time.monotonic() >= self.ready_at
        allocated = self.requested if ready else 0
        return {
            "RequestedProvisionedConcurrentExecutions": self.requested,
            "AvailableProvisionedConcurrentExecutions": allocated,
            "AllocatedProvisionedConcurrentExecutions": allocated,
            "Status": "READY" if ready else "IN_PROGRESS",
            "LastModified": self.last_modified,
        }


@dataclass
class Extras:
    """What a function has besides moto's model: the resource policies of its
    versions and aliases, and its provisioned concurrency configurations,
    both by qualifier."""

    policies: dict[str, Policy] = field(default_factory=dict)
    provisioned: dict[str, Provisioned] = field(default_factory=dict)


class _Qualified:
    """The parent of a qualified resource policy (moto's Policy reads its
    ``function_arn`` for the statements' Resource)."""

    def __init__(self, arn: str) -> None:
        self.function_arn = arn


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def _extras(backend: models.LambdaBackend, name: str) -> Extras:
    table = backend.__dict__.setdefault("wsdeploy_extras", {})
    return table.setdefault(name, Extras())


def _split(identifier: str, qualifier: str | None) -> tuple[str, str | None]:
    """(function name, qualifier or None) of a name, ``name:qualifier`` or
    ARN and an explicit Qualifier. ``$LATEST`` is the unqualified function."""
    if re.match(ARN_PARTITION_REGEX, identifier):
        rest = identifier.split(":function:", 1)[-1]
        name, _, in_name = rest.partition(":")
    else:
        name, _, in_name = identifier.partition(":")
    found = in_name or qualifier or None
    return name, None if found == "$LATEST" else found


def _unqualified_arn(backend: models.LambdaBackend, name: str) -> str:
    return models.make_function_arn(backend.region_name, backend.account_id, name)


def _aliases(backend: models.LambdaBackend, name: str) -> dict[str, models.LambdaAlias]:
    return backend._lambdas._get_function_aliases(name)


# -- versions ---------------------------------------------------------------------


def _publish_version(
    self: models.LambdaStorage, name_or_arn: str, description: str = ""
) -> models.LambdaFunction:
    function = self.get_function_by_name_or_arn_forbid_qualifier(name_or_arn)
    versions = self._functions[function.function_name]["versions"]
    if versions and getattr(function, "wsdeploy_published_revision", None) == _revision(function):
        return versions[-1]
    number = getattr(function, "wsdeploy_last_version", len(versions)) + 1
    version = copy.copy(function)
    version.set_version(number)
    if description:
        version.description = description
    version.policy = Policy(version)
    version.wsdeploy_revision = str(uuid.uuid4())
    version.code_or_config_updated = False
    versions.append(version)
    self._arns[version.function_arn] = version
    function.wsdeploy_last_version = number
    function.code_or_config_updated = False
    # AWS gives $LATEST a new revision when it is published.
    function.wsdeploy_revision = str(uuid.uuid4())
    function.wsdeploy_published_revision = function.wsdeploy_revision
    return version


def _updating_code(original: Any) -> Any:
    """UpdateFunctionCode with ``Publish``: the update, then PublishVersion,
    answered with the new version (moto published, then updated the version
    once more, so ``$LATEST`` looked changed since it)."""

    def update_function_code(
        self: models.LambdaBackend, function_name: str, qualifier: str, body: dict[str, Any]
    ) -> Any:
        if not body.get("Publish") or body.get("DryRun"):
            return original(self, function_name, qualifier, body)
        original(self, function_name, qualifier, {**body, "Publish": False})
        return self.publish_version(function_name).get_configuration()

    return update_function_code


def publish_version(self: LambdaResponse) -> Any:
    identifier = unquote(self.path.split("/")[-2])
    body = json.loads(self.body or "{}")
    function = self.backend._lambdas.get_function_by_name_or_arn_forbid_qualifier(identifier)
    wanted_sha = body.get("CodeSha256")
    if wanted_sha and wanted_sha != function.code_sha_256:
        raise InvalidParameterValueException(
            f"CodeSHA256 ({wanted_sha}) is different from current CodeSHA256 in $LATEST "
            f"({function.code_sha_256}). Please try again with the CodeSHA256 in $LATEST."
        )
    if body.get("RevisionId") and body["RevisionId"] != _revision(function):
        raise PreconditionFailed()
    version = self.backend.publish_version(identifier, body.get("Description") or "")
    return 201, {"status": 201}, json.dumps(version.get_configuration())


# -- aliases ----------------------------------------------------------------------


def _alias_path(response: LambdaResponse) -> tuple[str, str]:
    parts = response.path.split("/")
    return unquote(parts[-3]), unquote(parts[-1])


def get_alias(self: LambdaResponse) -> Any:
    function_name, alias_name = _alias_path(self)
    alias = self.backend.get_alias(name=alias_name, function_name=function_name)
    return 200, {}, json.dumps(alias.to_json())


def update_alias(self: LambdaResponse) -> Any:
    function_name, alias_name = _alias_path(self)
    params = json.loads(self.body or "{}")
    alias = self.backend.get_alias(name=alias_name, function_name=function_name)
    if params.get("RevisionId") and params["RevisionId"] != alias.revision_id:
        raise PreconditionFailed()
    before = alias.function_version
    alias = self.backend.update_alias(
        name=alias_name,
        function_name=function_name,
        function_version=params.get("FunctionVersion"),
        description=params.get("Description"),
        routing_config=params.get("RoutingConfig"),
    )
    alias.revision_id = str(uuid.uuid4())
    name, _ = _split(function_name, None)
    provisioned = _extras(self.backend, name).provisioned.get(alias_name)
    if provisioned is not None and alias.function_version != before:
        # The new version's execution environments are provisioned anew.
        provisioned.restart()
    return 200, {}, json.dumps(alias.to_json())


def delete_alias(self: LambdaResponse) -> Any:
    function_name, alias_name = _alias_path(self)
    self.backend.delete_alias(name=alias_name, function_name=function_name)
    name, _ = _split(function_name, None)
    extras = _extras(self.backend, name)
    extras.policies.pop(alias_name, None)
    extras.provisioned.pop(alias_name, None)
    return 204, {"status": 204}, ""


# -- GetFunction / GetFunctionConfiguration through an alias -----------------------


def _qualified_view(
    backend: models.LambdaBackend, identifier: str, qualifier: str | None, config: dict[str, Any]
) -> None:
    name, found = _split(identifier, qualifier)
    if found and found in _aliases(backend, name):
        config["FunctionArn"] = f"{_unqualified_arn(backend, name)}:{found}"


def _get_function(original: Any) -> Any:
    def handler(self: LambdaResponse) -> str:
        answer = json.loads(original(self))
        identifier = unquote(self.path.rsplit("/", 1)[-1])
        qualifier = self._get_param("Qualifier", None)
        _qualified_view(self.backend, identifier, qualifier, answer["Configuration"])
        name, _ = _split(identifier, None)
        reserved = self.backend.get_function(name).reserved_concurrency
        if reserved is not None:
            answer["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
        return json.dumps(answer)

    return handler


def _get_function_configuration(original: Any) -> Any:
    def handler(self: LambdaResponse) -> str:
        answer = json.loads(original(self))
        identifier = unquote(self.path.rsplit("/", 2)[-2])
        _qualified_view(self.backend, identifier, self._get_param("Qualifier", None), answer)
        return json.dumps(answer)

    return handler


# -- resource policies per qualifier ------------------------------------------------


def _policy(
    backend: models.LambdaBackend, name: str, qualifier: str | None, create: bool
) -> Policy | None:
    """The resource policy of the function or one of its qualifiers (which
    must exist)."""
    function = backend.get_function(name, qualifier)
    if qualifier is None:
        return backend.get_function(name).policy
    policies = _extras(backend, name).policies
    if qualifier not in policies and create:
        arn = f"{_unqualified_arn(backend, function.function_name)}:{qualifier}"
        policies[qualifier] = Policy(_Qualified(arn))  # type: ignore[arg-type]
    return policies.get(qualifier)


def _add_permission(
    self: models.LambdaBackend, function_name: str, qualifier: str | None, raw: str
) -> dict[str, Any]:
    name, found = _split(function_name, qualifier)
    policy = _policy(self, name, found, create=True)
    assert policy is not None
    statement, _ = policy.add_statement(raw)
    return statement


def _get_policy(
    self: models.LambdaBackend, function_name: str, qualifier: str | None = None
) -> str:
    name, found = _split(function_name, qualifier)
    policy = _policy(self, name, found, create=False)
    if policy is None:
        raise GenericResourcNotFound()
    return policy.wire_format()


def remove_permission(self: LambdaResponse) -> Any:
    parts = self.path.split("/")
    identifier = unquote(parts[-3])
    statement_id = unquote(parts[-1].split("?")[0])
    revision = self.querystring.get("RevisionId", [""])[0]
    qualifier = self.querystring.get("Qualifier", [None])[0]
    name, found = _split(identifier, qualifier)
    policy = _policy(self.backend, name, found, create=False)
    if policy is None:
        raise UnknownPolicyException()
    policy.del_statement(statement_id, revision)
    return 204, {"status": 204}, "{}"


# -- deletion ------------------------------------------------------------------------

def _deleting(original: Any) -> Any:
    def delete_function(
        self: models.LambdaBackend, function_name: str, qualifier: str | None = None
    ) -> None:
        name, found = _split(function_name, qualifier)
        original(self, function_name, qualifier)
        table = self.__dict__.setdefault("wsdeploy_extras", {})
        if found is None:
            table.pop(name, None)
        elif name in table:
            table[name].policies.pop(found, None)
            table[name].provisioned.pop(found, None)

    return delete_function


def _creating(original: Any) -> Any:
    def create_function(self: models.LambdaBackend, spec: dict[str, Any]) -> Any:
        # A new function of an old name starts with nothing of the old one.
        self.__dict__.setdefault("wsdeploy_extras", {}).pop(str(spec.get("FunctionName")), None)
        return original(self, spec)

    return create_function


# -- provisioned concurrency ---------------------------------------------------------


def _provisioned_target(
    response: LambdaResponse, refuse_latest: str
) -> tuple[models.LambdaBackend, str, str]:
    """(backend, function name, qualifier) of a provisioned-concurrency call;
    the qualifier exists and is an alias or a published version."""
    identifier = unquote(response.path.split("/")[-2])
    qualifier = response.querystring.get("Qualifier", [None])[0]
    backend = response.backend
    name, found = _split(identifier, qualifier)
    if found is None:
        raise InvalidParameterValueException(refuse_latest)
    backend.get_function(name, found)  # ResourceNotFoundException if missing
    return backend, name, found


def _alias_version(backend: models.LambdaBackend, name: str, qualifier: str) -> str | None:
    alias = _aliases(backend, name).get(qualifier)
    return None if alias is None else str(alias.function_version)


def put_provisioned_concurrency_config(self: LambdaResponse) -> Any:
    body = json.loads(self.body or "{}")
    requested = body.get("ProvisionedConcurrentExecutions")
    if not isinstance(requested, int) or requested < 1:
        raise ValidationException(
            requested,
            "provisionedConcurrentExecutions",
            "Member must have value greater than or equal to 1",
        )
    backend, name, qualifier = _provisioned_target(self, UNPUBLISHED)
    configs = _extras(backend, name).provisioned
    target_version = _alias_version(backend, name, qualifier)
    if target_version is not None:
        if target_version == "$LATEST":
            raise InvalidParameterValueException(UNPUBLISHED)
        if target_version in configs:
            raise ResourceConflict(
                "Alias can't be used for Provisioned Concurrency configuration on an already "
                "Provisioned version"
            )
    elif any(
        _alias_version(backend, name, other) == qualifier for other in configs if other != qualifier
    ):
        raise ResourceConflict("Version is pointed by a Provisioned Concurrency alias")
    reserved = backend.get_function(name).reserved_concurrency
    others = sum(c.requested for q, c in configs.items() if q != qualifier)
    if reserved is not None and others + requested > int(reserved):
        raise InvalidParameterValueException(OVER_RESERVED)
    config = configs.get(qualifier)
    if config is None:
        config = configs[qualifier] = Provisioned(requested, 0.0, "")
    config.requested = requested
    config.restart()
    answer = {
        "RequestedProvisionedConcurrentExecutions": requested,
        "AvailableProvisionedConcurrentExecutions": 0,
        "AllocatedProvisionedConcurrentExecutions": 0,
        "Status": "IN_PROGRESS",
        "LastModified": config.last_modified,
    }
    return 202, {"status": 202}, json.dumps(answer)


def get_provisioned_concurrency_config(self: LambdaResponse) -> Any:
    backend, name, qualifier = _provisioned_target(self, NOT_A_QUALIFIER)
    config = _extras(backend, name).provisioned.get(qualifier)
    if config is None:
        raise ProvisionedConfigNotFound()
    return 200, {}, json.dumps(config.view())


def delete_provisioned_concurrency_config(self: LambdaResponse) -> Any:
    backend, name, qualifier = _provisioned_target(self, NOT_A_QUALIFIER)
    _extras(backend, name).provisioned.pop(qualifier, None)
    return 204, {"status": 204}, ""


def list_provisioned_concurrency_configs(self: LambdaResponse) -> Any:
    identifier = unquote(self.path.split("/")[-2])
    name, _ = _split(identifier, None)
    self.backend.get_function(name)
    arn = _unqualified_arn(self.backend, name)
    items = [
        {"FunctionArn": f"{arn}:{qualifier}", **config.view()}
        for qualifier, config in _extras(self.backend, name).provisioned.items()
    ]
    return 200, {}, json.dumps({"ProvisionedConcurrencyConfigs": items})


# -- installation ------------------------------------------------------------------------

_FUNCTION = r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)"
NEW_URL_PATHS = {_FUNCTION + "/provisioned-concurrency/?$": LambdaResponse.dispatch}

NEW_HANDLERS = {
    "publish_version": publish_version,
    "get_alias": get_alias,
    "update_alias": update_alias,
    "delete_alias": delete_alias,
    "remove_permission": remove_permission,
    "put_provisioned_concurrency_config": put_provisioned_concurrency_config,
    "get_provisioned_concurrency_config": get_provisioned_concurrency_config,
    "delete_provisioned_concurrency_config": delete_provisioned_concurrency_config,
    "list_provisioned_concurrency_configs": list_provisioned_concurrency_configs,
}


def install() -> None:
    urls.url_paths.update(NEW_URL_PATHS)
    for name, handler in NEW_HANDLERS.items():
        setattr(LambdaResponse, name, handler)
    LambdaResponse.get_function = _get_function(LambdaResponse.get_function)
    LambdaResponse.get_function_configuration = _get_function_configuration(
        LambdaResponse.get_function_configuration
    )
    models.LambdaStorage.publish_version = _publish_version
    models.LambdaBackend.update_function_code = _updating_code(
        models.LambdaBackend.update_function_code
    )
    models.LambdaBackend.add_permission = _add_permission
    models.LambdaBackend.get_policy = _get_policy
    models.LambdaBackend.delete_function = _deleting(models.LambdaBackend.delete_function)
    models.LambdaBackend.create_function = _creating(models.LambdaBackend.create_function)
