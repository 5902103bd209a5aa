// The parts of API Gateway's WebSocket events that these handlers use. For
// every field, `npm install --save-dev @types/aws-lambda` and use its
// APIGatewayProxyWebsocketEventV2 instead.
export interface WebSocketEvent {
  requestContext: {
    routeKey: string;
    eventType: "CONNECT" | "MESSAGE" | "DISCONNECT";
    connectionId: string;
    /** On DISCONNECT: the close code (1000 normal, 1001 going away, ...). */
    disconnectStatusCode?: number;
  };
  /** On MESSAGE: the message, as text. */
  body?: string;
  /** On CONNECT, when the URL has a query string. */
  queryStringParameters?: Record<string, string>;
}

/** A handler's answer: the status, and for a two-way route the body sent back. */
export interface Result {
  statusCode: number;
  body?: string;
}
