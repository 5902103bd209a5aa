"""ACM certificate validation on the emulator's clock.

An Amazon-issued certificate stays ``PENDING_VALIDATION`` for
``acm_pending_s`` (moto: a fixed 60 s from an environment variable), then
becomes ``ISSUED``. For the first ``acm_record_delay_s`` DescribeCertificate
lists DomainValidationOptions without their ResourceRecord, as AWS does for a
few seconds after RequestCertificate.
"""

from __future__ import annotations

from typing import Any

from moto.acm import models
from moto.core.utils import utcnow

from ..state import STATE


def _age_s(bundle: models.CertBundle) -> float:
    return (utcnow() - bundle.created_at).total_seconds()


def _check(self: models.CertBundle) -> None:
    if self._not_valid_after(self._cert) <= utcnow():
        self.status = "EXPIRED"
        return
    if (
        self.type == "AMAZON_ISSUED"
        and self.status == "PENDING_VALIDATION"
        and _age_s(self) >= STATE.fault("acm_pending_s")
    ):
        self.status = "ISSUED"


_original_describe = models.CertBundle.describe


def _describe(self: models.CertBundle) -> dict[str, Any]:
    result = _original_describe(self)
    if self.status == "PENDING_VALIDATION" and _age_s(self) < STATE.fault("acm_record_delay_s"):
        for option in result["Certificate"].get("DomainValidationOptions", []):
            option.pop("ResourceRecord", None)
    return result


def install() -> None:
    models.CertBundle.check = _check
    models.CertBundle.describe = _describe
