"""The benchmark app for Chalice: the same three WebSocket handlers as
fixtures/bench (wsdeploy), with equivalent bodies.

$connect accepts, $default echoes the message back to the sender through the
management API, $disconnect does nothing.
"""

import boto3
from chalice import Chalice

app = Chalice(app_name="bench")
app.experimental_feature_flags.update(["WEBSOCKETS"])
app.websocket_api.session = boto3.session.Session()


@app.on_ws_connect()
def connect(event):
    print("connect", event.connection_id)


@app.on_ws_message()
def message(event):
    app.websocket_api.send(event.connection_id, event.body)


@app.on_ws_disconnect()
def disconnect(event):
    print("disconnect", event.connection_id)
