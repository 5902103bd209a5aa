"""IAM completed for per-function roles.

- ListRolePolicies with Marker/MaxItems pagination (moto returns every name in
  one page and ignores both).
- AWS managed policies (``arn:aws:iam::aws:policy/...``) exist, as on AWS:
  moto knows them only when told to load all ~1,600 at start-up, so each is
  made from moto's own copy of AWS's documents the first time a request names
  it (AttachRolePolicy, DetachRolePolicy, GetPolicy, GetPolicyVersion,
  PutRolePermissionsBoundary, CreateRole with a PermissionsBoundary). An ARN
  that is not one of them stays unknown: ``NoSuchEntity``.
- A permissions boundary must name an existing managed policy (CreateRole,
  PutRolePermissionsBoundary): ``NoSuchEntity`` "Scope ARN: <arn> does not
  exist or is not attachable." (AWS's message; moto accepted any ARN).
- ``allows(role, action)``: whether a role's policies let it call an action,
  for the Lambda checks that AWS makes with the execution role (VPC access,
  active tracing). Inline and attached managed policies are read, an explicit
  Deny wins, and a permissions boundary must allow the action too. Resources
  and conditions are not evaluated: a statement that names the action
  applies.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any
from urllib.parse import unquote

from moto.core.responses import ActionResult
from moto.iam import models
from moto.iam.exceptions import NotFoundException
from moto.iam.responses import IamResponse

AWS_POLICY = re.compile(r"^arn:aws:iam::aws:policy(/(?:[^/]+/)*)([^/]+)$")


def list_role_policies(self: IamResponse) -> ActionResult:
    names = list(self.backend.list_role_policies(self._get_param("RoleName")))
    start = int(self._get_param("Marker") or 0)
    size = int(self._get_param("MaxItems") or 100)
    end = start + size
    result: dict[str, object] = {"PolicyNames": names[start:end], "IsTruncated": end < len(names)}
    if end < len(names):
        result["Marker"] = str(end)
    return ActionResult(result)


# -- AWS managed policies ---------------------------------------------------------


@functools.cache
def _aws_policy_data() -> dict[str, Any]:
    # Parsed once, on first use: most runs never name a managed policy.
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)


def ensure_aws_policy(backend: models.IAMBackend, arn: str | None) -> None:
    """Makes the AWS managed policy ``arn`` known to moto, if it is one."""
    if not arn or arn in backend.managed_policies:
        return
    match = AWS_POLICY.match(arn)
    if not match:
        return
    path, name = match.groups()
    data = _aws_policy_data().get(name)
    if data is None or data.get("Path", "/") != path:
        return
    policy = models.AWSManagedPolicy.from_data(
        name, backend.account_id, backend.region_name, data
    )
    backend.aws_managed_policies.append(policy)
    backend.managed_policies[policy.arn] = policy


def _check_boundary(backend: models.IAMBackend, arn: str | None) -> None:
    if not arn:
        return
    ensure_aws_policy(backend, arn)
    if arn not in backend.managed_policies:
        raise NotFoundException(f"Scope ARN: {arn} does not exist or is not attachable.")


_original_attach = models.IAMBackend.attach_role_policy
_original_detach = models.IAMBackend.detach_role_policy
_original_get_policy = models.IAMBackend.get_policy
_original_get_policy_version = models.IAMBackend.get_policy_version
_original_put_boundary = models.IAMBackend.put_role_permissions_boundary
_original_create_role = models.IAMBackend.create_role


def _attach_role_policy(self: models.IAMBackend, policy_arn: str, role_name: str) -> None:
    ensure_aws_policy(self, policy_arn)
    _original_attach(self, policy_arn, role_name)


def _detach_role_policy(self: models.IAMBackend, policy_arn: str, role_name: str) -> None:
    ensure_aws_policy(self, policy_arn)
    _original_detach(self, policy_arn, role_name)


def _get_policy(self: models.IAMBackend, policy_arn: str) -> Any:
    ensure_aws_policy(self, policy_arn)
    return _original_get_policy(self, policy_arn)


def _get_policy_version(self: models.IAMBackend, policy_arn: str, version_id: str) -> Any:
    ensure_aws_policy(self, policy_arn)
    return _original_get_policy_version(self, policy_arn, version_id)


def _put_role_permissions_boundary(
    self: models.IAMBackend, role_name: str, permissions_boundary: str
) -> None:
    self.get_role(role_name)
    _check_boundary(self, permissions_boundary)
    _original_put_boundary(self, role_name, permissions_boundary)


def _create_role(self: models.IAMBackend, *args: Any, **kwargs: Any) -> Any:
    boundary = kwargs.get("permissions_boundary")
    if boundary is None and len(args) > 3:
        boundary = args[3]
    if boundary and self.policy_arn_regex.match(boundary):
        _check_boundary(self, boundary)
    return _original_create_role(self, *args, **kwargs)


# -- evaluating a role's permissions ------------------------------------------------


@functools.cache
def _action_pattern(pattern: str) -> re.Pattern[str]:
    # IAM action patterns: case-insensitive, `*` any run, `?` one character.
    regex = "".join(
        ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern
    )
    return re.compile(f"^{regex}$", re.IGNORECASE)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _statements(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            try:
                document = json.loads(unquote(document))
            except ValueError:
                return []
    if not isinstance(document, dict):
        return []
    return [s for s in _as_list(document.get("Statement")) if isinstance(s, dict)]


def _names(statement: dict[str, Any], action: str) -> bool:
    if "Action" in statement:
        return any(_action_pattern(str(p)).match(action) for p in _as_list(statement["Action"]))
    if "NotAction" in statement:
        return not any(
            _action_pattern(str(p)).match(action) for p in _as_list(statement["NotAction"])
        )
    return False


def _verdict(documents: list[Any], action: str) -> str | None:
    """"Deny", "Allow" or None (implicitly denied) for ``action``."""
    verdict = None
    for document in documents:
        for statement in _statements(document):
            if not _names(statement, action):
                continue
            if statement.get("Effect") == "Deny":
                return "Deny"
            if statement.get("Effect") == "Allow":
                verdict = "Allow"
    return verdict


def _default_document(policy: Any) -> Any:
    for version in getattr(policy, "versions", []):
        if version.version_id == policy.default_version_id:
            return version.document
    return None


def find_role(account_id: str, role_arn: str) -> Any:
    """The role with that ARN, or None."""
    partition = role_arn.split(":")[1] if role_arn.count(":") >= 5 else "aws"
    backend = models.iam_backends[account_id][partition]
    try:
        return backend.get_role_by_arn(role_arn)
    except NotFoundException:
        return None


def allows(role: Any, action: str) -> bool:
    """Whether ``role``'s identity policies, within its permissions boundary,
    allow ``action`` (e.g. ``ec2:CreateNetworkInterface``)."""
    documents = list(role.policies.values())
    documents += [_default_document(p) for p in role.managed_policies.values()]
    if _verdict(documents, action) != "Allow":
        return False
    boundary_arn = getattr(role, "permissions_boundary_arn", None)
    if boundary_arn:
        backend = models.iam_backends[role.account_id][role.partition]
        ensure_aws_policy(backend, boundary_arn)
        boundary = backend.managed_policies.get(boundary_arn)
        if boundary is None or _verdict([_default_document(boundary)], action) != "Allow":
            return False
    return True


def install() -> None:
    IamResponse.list_role_policies = list_role_policies
    models.IAMBackend.attach_role_policy = _attach_role_policy
    models.IAMBackend.detach_role_policy = _detach_role_policy
    models.IAMBackend.get_policy = _get_policy
    models.IAMBackend.get_policy_version = _get_policy_version
    models.IAMBackend.put_role_permissions_boundary = _put_role_permissions_boundary
    models.IAMBackend.create_role = _create_role
