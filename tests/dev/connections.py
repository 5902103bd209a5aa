"""boto3's apigatewaymanagementapi against `wsdeploy dev`'s @connections.

    connections.py ENDPOINT OPEN_ID CLOSED_ID

Prints one JSON object: what each call gave.
"""

import json
import sys

import boto3
from botocore.config import Config

endpoint, open_id, closed_id = sys.argv[1:4]
client = boto3.client(
    "apigatewaymanagementapi",
    endpoint_url=endpoint,
    config=Config(retries={"max_attempts": 1}),
)
result = {}
client.post_to_connection(ConnectionId=open_id, Data=b"from the sdk")
result["post"] = "ok"
got = client.get_connection(ConnectionId=open_id)
result["get"] = {
    "hasConnectedAt": got.get("ConnectedAt") is not None and got.get("LastActiveAt") is not None,
    "sourceIp": got["Identity"]["SourceIp"],
}
try:
    client.post_to_connection(ConnectionId=open_id, Data=b"x" * (128 * 1024 + 1))
    result["tooLarge"] = "accepted"
except client.exceptions.PayloadTooLargeException as e:
    result["tooLarge"] = e.response["ResponseMetadata"]["HTTPStatusCode"]
try:
    client.post_to_connection(ConnectionId=closed_id, Data=b"late")
    result["gone"] = "accepted"
except client.exceptions.GoneException:
    result["gone"] = "GoneException"
print(json.dumps(result))
