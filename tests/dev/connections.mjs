// The JavaScript SDK v3 against `wsdeploy dev`'s @connections.
//
//   node connections.mjs ENDPOINT OPEN_ID CLOSED_ID
//
// Prints one JSON object: what each call gave.
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
} from "@aws-sdk/client-apigatewaymanagementapi";

const [endpoint, openId, closedId] = process.argv.slice(2);
const client = new ApiGatewayManagementApiClient({ endpoint, maxAttempts: 1 });
const result = {};
await client.send(new PostToConnectionCommand({ ConnectionId: openId, Data: "from the sdk" }));
result.post = "ok";
const got = await client.send(new GetConnectionCommand({ ConnectionId: openId }));
result.get = {
  hasConnectedAt: got.ConnectedAt instanceof Date && got.LastActiveAt instanceof Date,
  sourceIp: got.Identity?.SourceIp,
};
try {
  await client.send(
    new PostToConnectionCommand({ ConnectionId: openId, Data: "x".repeat(128 * 1024 + 1) }),
  );
  result.tooLarge = "accepted";
} catch (e) {
  result.tooLarge = e instanceof PayloadTooLargeException ? e.$metadata.httpStatusCode : String(e);
}
try {
  await client.send(new PostToConnectionCommand({ ConnectionId: closedId, Data: "late" }));
  result.gone = "accepted";
} catch (e) {
  result.gone = e instanceof GoneException ? "GoneException" : `${e.name}: ${e.message}`;
}
console.log(JSON.stringify(result));
