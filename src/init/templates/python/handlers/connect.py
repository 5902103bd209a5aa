"""$connect: a client opens the WebSocket.

Returning statusCode 200 accepts the connection; any other status refuses
the handshake with that status (check a token from
event["queryStringParameters"] here, for example).
"""


def handler(event, context):
    print(f"connected: {event['requestContext']['connectionId']}")
    return {"statusCode": 200}
