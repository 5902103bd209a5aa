// wsdeploy dev: the Node.js runtime shim. It does what Lambda's Node.js
// runtime does, in small: load the handler named by _HANDLER from
// LAMBDA_TASK_ROOT, then loop on the Runtime API at AWS_LAMBDA_RUNTIME_API
// (`next`, then `response` or `error`). An import failure is reported to
// `init/error` and ends the process.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const API = process.env.AWS_LAMBDA_RUNTIME_API;
const ROOT = process.env.LAMBDA_TASK_ROOT;
const HANDLER = process.env._HANDLER || '';
const PREFIX = '/2018-06-01/runtime';
// One connection, kept alive; no timeout, since `next` long-polls.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const [host, port] = API.split(':');

function request(method, urlPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port: Number(port), method, path: PREFIX + urlPath, agent, headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function errorBody(err) {
  if (err instanceof Error) {
    return {
      errorType: err.name || 'Error',
      errorMessage: err.message,
      trace: String(err.stack || '').split('\n'),
    };
  }
  let message;
  try {
    message = typeof err === 'string' ? err : JSON.stringify(err);
  } catch {
    message = String(err);
  }
  return { errorType: typeof err, errorMessage: String(message), trace: [] };
}

function post(urlPath, payload, errorType) {
  const body = JSON.stringify(payload);
  const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
  if (errorType) headers['Lambda-Runtime-Function-Error-Type'] = errorType;
  return request('POST', urlPath, body, headers);
}

class InitError extends Error {
  constructor(type, message) {
    super(message);
    this.name = type;
  }
}

async function loadHandler() {
  // "src/connect.handler": the module "src/connect", the export "handler"
  // (dots after the first one walk into nested objects, as Lambda's do).
  const slash = HANDLER.lastIndexOf('/');
  const dir = HANDLER.slice(0, slash + 1);
  const base = HANDLER.slice(slash + 1);
  const dot = base.indexOf('.');
  if (dot <= 0) throw new InitError('Runtime.MalformedHandlerName', `Bad handler ${HANDLER}`);
  const moduleName = dir + base.slice(0, dot);
  const exportPath = base.slice(dot + 1).split('.');
  const file = ['.mjs', '.cjs', '.js']
    .map((ext) => path.resolve(ROOT, moduleName + ext))
    .find((f) => fs.existsSync(f));
  if (!file) {
    throw new InitError('Runtime.ImportModuleError', `Error: Cannot find module '${moduleName}'`);
  }
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (err) {
    if (err instanceof SyntaxError) {
      throw new InitError('Runtime.UserCodeSyntaxError', `${err.name}: ${err.message}`);
    }
    throw err;
  }
  let fn = exportPath.reduce((o, k) => (o == null ? undefined : o[k]), mod);
  if (fn === undefined && mod.default != null) {
    fn = exportPath.reduce((o, k) => (o == null ? undefined : o[k]), mod.default);
  }
  if (typeof fn !== 'function') {
    throw new InitError('Runtime.HandlerNotFound', `${moduleName}.${exportPath.join('.')} is undefined or not exported`);
  }
  return fn;
}

function makeContext(headers) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  const name = process.env.AWS_LAMBDA_FUNCTION_NAME;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION || '$LATEST',
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'wsdeploy-dev',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

// Async handlers, handlers that return a plain value, and callback-style
// `(event, context, callback)` handlers all settle one promise.
function call(fn, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (failed, value) => {
      if (settled) return;
      settled = true;
      if (failed) reject(value);
      else resolve(value);
    };
    const callback = (err, result) => (err != null ? settle(true, err) : settle(false, result));
    context.done = callback;
    context.succeed = (result) => settle(false, result);
    context.fail = (err) => settle(true, err ?? new Error('handled'));
    let returned;
    try {
      returned = fn(event, context, callback);
    } catch (err) {
      settle(true, err);
      return;
    }
    if (returned && typeof returned.then === 'function') {
      returned.then((v) => settle(false, v), (e) => settle(true, e));
    } else if (fn.length < 3) {
      settle(false, returned);
    }
  });
}

async function main() {
  let fn;
  try {
    fn = await loadHandler();
  } catch (err) {
    const body = errorBody(err);
    console.error(`${body.errorType}: ${body.errorMessage}`);
    await post('/init/error', body, body.errorType).catch(() => {});
    process.exit(1);
  }
  for (;;) {
    const next = await request('GET', '/invocation/next');
    if (next.status !== 200) throw new Error(`runtime API: next answered ${next.status}`);
    const id = next.headers['lambda-runtime-aws-request-id'];
    let body;
    try {
      const result = await call(fn, JSON.parse(next.body), makeContext(next.headers));
      body = JSON.stringify(result === undefined ? null : result);
    } catch (err) {
      const e = errorBody(err);
      console.error(`ERROR ${e.errorType}: ${e.errorMessage}`);
      await post(`/invocation/${id}/error`, e, e.errorType);
      continue;
    }
    await request('POST', `/invocation/${id}/response`, body, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
    });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
