"""A plain boto3 script against the emulator: create an IAM role, then at once
a Lambda function using it. Under the ``realistic`` profile the first
CreateFunction fails with AWS's IAM-propagation error and a retry succeeds.

    tests/emulator/run --port 4566 --profile realistic &
    .venv/bin/python tests/emulator/examples/role_then_function.py http://127.0.0.1:4566
"""

from __future__ import annotations

import sys
import time
import uuid

import boto3
from botocore.exceptions import ClientError

ASSUME_ROLE = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)
EMPTY_ZIP = b"PK\x05\x06" + bytes(18)


def main(endpoint: str) -> int:
    session = boto3.Session(
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="example",
        region_name="us-east-1",
    )
    iam = session.client("iam", endpoint_url=endpoint)
    lambda_ = session.client("lambda", endpoint_url=endpoint)
    name = f"example-{uuid.uuid4().hex[:8]}"
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=ASSUME_ROLE)["Role"]
    started = time.monotonic()
    for attempt in range(1, 60):
        try:
            lambda_.create_function(
                FunctionName=name,
                Runtime="nodejs20.x",
                Handler="index.handler",
                Role=role["Arn"],
                Code={"ZipFile": EMPTY_ZIP},
            )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            message = error.response["Error"]["Message"]
            print(f"attempt {attempt}: {code}: {message}")
            if code != "InvalidParameterValueException":
                return 1
            time.sleep(0.5)
            continue
        print(f"attempt {attempt}: created {name} after {time.monotonic() - started:.1f} s")
        return 0
    return 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
