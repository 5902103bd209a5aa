"""$disconnect: the connection closed, whoever closed it.

The client, an idle timeout or a DELETE on @connections. Clean up after
the connection here; nothing is sent back.
"""


def handler(event, context):
    ctx = event["requestContext"]
    print(f"disconnected: {ctx['connectionId']} ({ctx.get('disconnectStatusCode')})")
    return {"statusCode": 200}
