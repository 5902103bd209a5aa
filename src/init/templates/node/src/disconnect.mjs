// $disconnect: the connection closed, whoever closed it (the client, an
// idle timeout, a DELETE on @connections). Clean up after the connection
// here; nothing is sent back.
export const handler = async (event) => {
  const { connectionId, disconnectStatusCode } = event.requestContext;
  console.log(`disconnected: ${connectionId} (${disconnectStatusCode})`);
  return { statusCode: 200 };
};
