"""SSM Parameter Store against the emulator with plain boto3 (the Rust crate
has no SSM client): String and SecureString parameters read back with
GetParameters, with and without decryption, missing names, the batch limit.
`tests/testbed_functions.rs` runs it; it also runs by hand:

    tests/emulator/run --port 4566 &
    .venv/bin/python tests/emulator/examples/ssm_parameters.py http://127.0.0.1:4566 /demo

Prints one JSON object: `{"checked": N, "problems": [...]}`, and exits 1 when
a problem was found.
"""

from __future__ import annotations

import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def main(endpoint: str, prefix: str) -> int:
    ssm = boto3.client(
        "ssm",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="example",
        config=Config(retries={"max_attempts": 1}),
    )
    problems: list[str] = []
    checked = 0

    def check(what: str, got: object, want: object) -> None:
        nonlocal checked
        checked += 1
        if got != want:
            problems.append(f"{what}: got {got!r}, want {want!r}")

    plain = f"{prefix}/table"
    secret = f"{prefix}/token"
    keyed = f"{prefix}/keyed"
    missing = f"{prefix}/missing"
    secret_value = "s3cr3t = ünïcode & spaces\nsecond line"
    ssm.put_parameter(Name=plain, Value="connections", Type="String")
    ssm.put_parameter(Name=secret, Value=secret_value, Type="SecureString")
    ssm.put_parameter(Name=keyed, Value="k", Type="SecureString", KeyId="alias/wsdeploy")

    got = ssm.get_parameters(Names=[plain, secret, keyed, missing], WithDecryption=True)
    values = {p["Name"]: (p["Type"], p["Value"], p["Version"]) for p in got["Parameters"]}
    check("decrypted values", values, {
        plain: ("String", "connections", 1),
        secret: ("SecureString", secret_value, 1),
        keyed: ("SecureString", "k", 1),
    })
    check("missing names", got["InvalidParameters"], [missing])

    # Without decryption a SecureString is ciphertext, never the value;
    # a String is itself.
    for decryption in ({"WithDecryption": False}, {}):
        got = ssm.get_parameters(Names=[plain, secret], **decryption)
        values = {p["Name"]: p["Value"] for p in got["Parameters"]}
        check(f"String {decryption}", values.get(plain), "connections")
        hidden = values.get(secret, "")
        check(f"SecureString hidden {decryption}", "s3cr3t" in hidden or secret_value in hidden,
              False)
        check(f"SecureString is base64 {decryption}", bool(hidden) and hidden.isascii(), True)
        check(f"no missing names {decryption}", got["InvalidParameters"], [])

    # A new value is a new version, decrypted as stored.
    ssm.put_parameter(Name=secret, Value="rotated", Type="SecureString", Overwrite=True)
    got = ssm.get_parameters(Names=[secret], WithDecryption=True)["Parameters"][0]
    check("overwritten", (got["Value"], got["Version"]), ("rotated", 2))

    # At most 10 names per call.
    try:
        ssm.get_parameters(Names=[f"{prefix}/n{i}" for i in range(11)])
        check("11 names refused", "accepted", "ValidationException")
    except ClientError as error:
        check("11 names refused", error.response["Error"]["Code"], "ValidationException")
    got = ssm.get_parameters(Names=[f"{prefix}/n{i}" for i in range(10)])
    check("10 names", len(got["InvalidParameters"]), 10)

    print(json.dumps({"checked": checked, "problems": problems}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "/example"))
