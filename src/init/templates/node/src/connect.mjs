// $connect: a client opens the WebSocket. Returning statusCode 200 accepts
// the connection; any other status refuses the handshake with that status
// (check a token from event.queryStringParameters here, for example).
export const handler = async (event) => {
  console.log(`connected: ${event.requestContext.connectionId}`);
  return { statusCode: 200 };
};
