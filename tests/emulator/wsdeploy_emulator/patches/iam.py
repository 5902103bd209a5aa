"""IAM ListRolePolicies with Marker/MaxItems pagination (moto returns every
name in one page and ignores both)."""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.iam.responses import IamResponse


def list_role_policies(self: IamResponse) -> ActionResult:
    names = list(self.backend.list_role_policies(self._get_param("RoleName")))
    start = int(self._get_param("Marker") or 0)
    size = int(self._get_param("MaxItems") or 100)
    end = start + size
    result: dict[str, object] = {"PolicyNames": names[start:end], "IsTruncated": end < len(names)}
    if end < len(names):
        result["Marker"] = str(end)
    return ActionResult(result)


def install() -> None:
    IamResponse.list_role_policies = list_role_policies
