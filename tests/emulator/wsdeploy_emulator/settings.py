"""Fault settings: their names, types and defaults, the named profiles, and the
validation of partial updates sent to ``POST /_wsdeploy/faults``.

Invariant: a settings dict always holds every key of ``DEFAULTS`` with a value
of the declared type; nothing else.
"""

from __future__ import annotations

from typing import Any

# name -> (type, default, description). ``None`` is allowed where the type is
# a tuple that contains ``type(None)``.
FIELDS: dict[str, tuple[Any, Any, str]] = {
    "latency_ms": (int, 0, "fixed delay added to every AWS request"),
    "iam_propagation_s": (
        float,
        0.0,
        "Lambda rejects a role younger than this (CreateFunction, "
        "UpdateFunctionConfiguration naming a Role)",
    ),
    "lambda_pending_ms": (int, 0, "a new function stays State=Pending this long"),
    "lambda_update_ms": (
        int,
        0,
        "after an update, LastUpdateStatus=InProgress this long",
    ),
    "provisioned_ready_ms": (
        int,
        0,
        "after PutProvisionedConcurrencyConfig (or an alias moving), Status=IN_PROGRESS "
        "this long, then READY",
    ),
    "quotas": (bool, False, "enforce the control-plane quotas below"),
    "apigw_rate": (float, 10.0, "API Gateway requests per second (token bucket)"),
    "apigw_burst": (int, 40, "API Gateway bucket size"),
    "deployment_interval_s": (float, 5.0, "at most one CreateDeployment per interval"),
    "domain_interval_s": (
        float,
        30.0,
        "at most one Create/Update/DeleteDomainName per interval",
    ),
    "route53_rate": (float, 10.0, "Route 53 requests per second (token bucket)"),
    "route53_burst": (int, 50, "Route 53 bucket size"),
    "logs_filter_rate": (
        int,
        5,
        "CloudWatch Logs FilterLogEvents calls per second per region (no burst: "
        "at most this many in any one-second window)",
    ),
    "throttle_rate": (float, 0.0, "probability that any AWS request is throttled"),
    "conflict_rate": (
        float,
        0.0,
        "probability that a mutating API Gateway request fails with "
        "ConflictException (concurrent modification)",
    ),
    "acm_pending_s": (float, 0.0, "certificates stay PENDING_VALIDATION this long"),
    "acm_record_delay_s": (
        float,
        0.0,
        "DescribeCertificate omits the validation ResourceRecord this long",
    ),
    "route53_pending_s": (float, 0.0, "record changes stay PENDING this long"),
    "page_size": (
        (int, type(None)),
        2,
        "largest page returned by paginated list calls; null = moto's own",
    ),
    "events_page_size": (
        (int, type(None)),
        None,
        "largest page of FilterLogEvents; null = moto's own (10,000 events)",
    ),
    "seed": ((int, type(None)), None, "seed of the random faults; null = random"),
    "stale_revisions": (
        int,
        0,
        "refuse this many of the next Lambda updates that name a RevisionId "
        "with PreconditionFailedException, as if another run had just updated "
        "the function",
    ),
    "freeze_after_mutations": (
        (int, type(None)),
        None,
        "crash tests: let this many mutating requests through, then hold every "
        "further mutating request until the setting changes, and answer it 503 "
        "without touching state; null = off",
    ),
}

DEFAULTS: dict[str, Any] = {name: spec[1] for name, spec in FIELDS.items()}

PROFILES: dict[str, dict[str, Any]] = {
    # Nothing fails, nothing waits. Pages stay small so pagination is tested.
    "none": {},
    # AWS's control-plane quotas only.
    "quotas": {"quotas": True},
    # A plausible day on AWS: slow IAM, Lambda state transitions, quotas at
    # their real values, some throttling, slow certificates and DNS.
    "realistic": {
        "iam_propagation_s": 3.0,
        "lambda_pending_ms": 500,
        "lambda_update_ms": 500,
        "quotas": True,
        "throttle_rate": 0.05,
        "acm_pending_s": 5.0,
        "acm_record_delay_s": 1.0,
        "route53_pending_s": 2.0,
    },
}


class SettingsError(ValueError):
    """A fault update that names an unknown key, profile, or a wrong type."""


def _coerce(name: str, value: Any) -> Any:
    kind = FIELDS[name][0]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if value is None and type(None) in kinds:
        return None
    if bool in kinds:
        if isinstance(value, bool):
            return value
        raise SettingsError(f"`{name}` must be true or false, not {value!r}")
    if isinstance(value, bool):
        raise SettingsError(f"`{name}` must be a number, not {value!r}")
    if float in kinds and isinstance(value, (int, float)):
        value = float(value)
    elif int in kinds and isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, kinds):
        names = " or ".join(k.__name__ for k in kinds if k is not type(None))
        raise SettingsError(f"`{name}` must be {names}, not {value!r}")
    if isinstance(value, (int, float)) and value < 0:
        raise SettingsError(f"`{name}` must not be negative")
    if name in ("throttle_rate", "conflict_rate") and value > 1:
        raise SettingsError(f"`{name}` is a probability between 0 and 1")
    if name in ("page_size", "events_page_size") and value == 0:
        raise SettingsError(f"`{name}` must be at least 1 (or null)")
    return value


def profile(name: str) -> dict[str, Any]:
    """The full settings of a named profile."""
    if name not in PROFILES:
        known = ", ".join(sorted(PROFILES))
        raise SettingsError(f"unknown profile `{name}` (known: {known})")
    merged = dict(DEFAULTS)
    merged.update(PROFILES[name])
    return merged


def apply_update(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Return ``current`` changed by a partial ``update``.

    ``{"profile": NAME}`` first replaces everything with that profile; the
    other keys of the same update then apply on top of it.
    """
    if not isinstance(update, dict):
        raise SettingsError("the fault settings must be a JSON object")
    result = dict(current)
    if "profile" in update:
        result = profile(str(update["profile"]))
    unknown = sorted(k for k in update if k != "profile" and k not in FIELDS)
    if unknown:
        known = ", ".join(sorted(FIELDS))
        raise SettingsError(f"unknown fault setting(s) {unknown} (known: {known})")
    for name, value in update.items():
        if name != "profile":
            result[name] = _coerce(name, value)
    return result
