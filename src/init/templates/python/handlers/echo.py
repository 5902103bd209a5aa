"""echo: a message {"action": "echo", ...}.

The route is two-way (returnResponse in wsdeploy.yml): the body returned
here is sent back to the client, here the message exactly as it came.
"""


def handler(event, context):
    return {"statusCode": 200, "body": event.get("body") or ""}
