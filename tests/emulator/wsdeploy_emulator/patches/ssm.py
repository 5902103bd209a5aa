"""SSM Parameter Store: what a SecureString reads as without decryption.

moto keeps a SecureString as ``kms:<key id>:<plain text>`` and answers that
string when ``WithDecryption`` is false or absent, so the secret leaks to a
caller that forgot to decrypt. AWS answers the KMS ciphertext, base64: an
opaque string that contains nothing of the value. Here it is a stable
stand-in for one (the same for a given parameter version, different for
every value, key and version). With ``WithDecryption=true`` moto already
answers the value exactly as stored.

Verified unchanged in moto: GetParameters with up to 10 names (more →
``ValidationException``), names that do not exist listed in
``InvalidParameters``, String and SecureString values, GetParameter.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from moto.ssm import models

_original_response_object = models.Parameter.response_object


def ciphertext(parameter: models.Parameter) -> str:
    seed = f"{parameter.keyid}\0{parameter.name}\0{parameter.version}\0{parameter.value}"
    digest = hashlib.sha256(seed.encode()).digest()
    # KMS ciphertext blobs start with the same few header bytes; the rest is
    # the (here: derived) encrypted payload.
    blob = b"\x01\x02\x02\x00\x78" + digest + hashlib.sha256(digest).digest()
    return base64.b64encode(blob).decode()


def _response_object(
    self: models.Parameter, decrypt: bool = False, region: str | None = None
) -> dict[str, Any]:
    answer = _original_response_object(self, decrypt, region)
    if self.parameter_type == "SecureString" and not decrypt:
        answer["Value"] = ciphertext(self)
    return answer


def install() -> None:
    models.Parameter.response_object = _response_object
