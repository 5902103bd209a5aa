"""Route 53 as AWS pages and propagates it.

- ListHostedZonesByName: zones in ASCII order of their reversed labels,
  starting at DNSName (and HostedZoneId), MaxItems per page with
  NextDNSName/NextHostedZoneId. moto returns only exact name matches, which
  hides the classic bug of taking the first zone returned without comparing
  its name.
- ChangeResourceRecordSets: every change gets its own id and stays
  ``PENDING`` for ``route53_pending_s`` before GetChange reports ``INSYNC``
  (moto: one fixed id, always INSYNC).
"""

from __future__ import annotations

import string
import time
from typing import Any

from moto.core.responses import ActionResult
from moto.moto_api._internal import mock_random as random
from moto.route53.responses import Route53

from ..state import STATE


def _order(name: str) -> str:
    return ".".join(reversed(name.rstrip(".").lower().split(".")))


def list_hosted_zones_by_name(self: Route53) -> ActionResult:
    dns_name = self._get_param("DNSName")
    zone_id = self._get_param("HostedZoneId")
    max_items = int(self._get_param("MaxItems") or 100)
    zones = sorted(self.backend.zones.values(), key=lambda z: (_order(z.name), z.resource_id))
    if dns_name:
        start = (_order(dns_name), (zone_id or "").split("/")[-1])
        zones = [z for z in zones if (_order(z.name), z.resource_id) >= start]
    page, rest = zones[:max_items], zones[max_items:]
    result: dict[str, Any] = {
        "HostedZones": page,
        "IsTruncated": bool(rest),
        "MaxItems": max_items,
    }
    if dns_name:
        result["DNSName"] = dns_name
    if zone_id:
        result["HostedZoneId"] = zone_id
    if rest:
        result["NextDNSName"] = rest[0].name
        result["NextHostedZoneId"] = rest[0].resource_id
    return ActionResult(result)


_original_change_record_sets = Route53.change_resource_record_sets


def change_resource_record_sets(self: Route53) -> ActionResult:
    result = _original_change_record_sets(self)
    info = result.result["ChangeInfo"]  # type: ignore[index]
    change_id = "C" + "".join(
        random.choice(string.ascii_uppercase + string.digits) for _ in range(13)
    )
    pending = STATE.fault("route53_pending_s")
    with STATE.lock:
        STATE.changes_insync_at[change_id] = time.monotonic() + pending
    info["Id"] = f"/change/{change_id}"
    info["Status"] = "PENDING" if pending > 0 else "INSYNC"
    return result


_original_get_change = Route53.get_change


def get_change(self: Route53) -> ActionResult:
    result = _original_get_change(self)
    info = result.result["ChangeInfo"]  # type: ignore[index]
    change_id = str(info["Id"]).split("/")[-1]
    with STATE.lock:
        insync_at = STATE.changes_insync_at.get(change_id)
    info["Id"] = f"/change/{change_id}"
    if insync_at is not None and time.monotonic() < insync_at:
        info["Status"] = "PENDING"
    return result


def install() -> None:
    Route53.list_hosted_zones_by_name = list_hosted_zones_by_name
    Route53.change_resource_record_sets = change_resource_record_sets
    Route53.get_change = get_change
