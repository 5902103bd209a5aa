// $connect: a client opens the WebSocket. Returning statusCode 200 accepts
// the connection; any other status refuses the handshake with that status
// (check a token from event.queryStringParameters here, for example).
import type { Result, WebSocketEvent } from "./types";

export const handler = async (event: WebSocketEvent): Promise<Result> => {
  console.log(`connected: ${event.requestContext.connectionId}`);
  return { statusCode: 200 };
};
