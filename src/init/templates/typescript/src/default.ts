// $default: a message whose "action" names no route, or that is not JSON.
// The route is two-way (returnResponse in wsdeploy.yml): the body returned
// here is sent back to the client, telling it what it can send.
import type { Result } from "./types";

const ACTIONS = ["echo"];

export const handler = async (): Promise<Result> => {
  return {
    statusCode: 200,
    body: JSON.stringify({
      error: "unknown action",
      actions: ACTIONS,
      example: { action: "echo", message: "hello" },
    }),
  };
};
