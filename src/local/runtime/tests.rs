//! The pool against real `node` and `python3`: handlers answer, workers
//! stay warm, overlapping invocations start more workers up to the cap,
//! reload, shutdown. (Failures are in `tests_failures`.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::worker::process_exists;
use super::{FunctionSpec, Pool, PoolOptions, Stream};
use crate::local::invoke::Invoke;

/// A fresh directory with `files` written in it.
pub(super) fn fixture(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsdeploy-rt-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, text).unwrap();
    }
    dir
}

pub(super) fn spec(name: &str, runtime: &str, handler: &str, root: &Path) -> FunctionSpec {
    FunctionSpec {
        name: name.to_owned(),
        function_name: format!("app-dev-{name}"),
        runtime: runtime.to_owned(),
        handler: handler.to_owned(),
        task_root: root.to_owned(),
        environment: BTreeMap::from([("GREETING".to_owned(), "hello".to_owned())]),
        timeout: Duration::from_secs(5),
        memory_size: 256,
        python_path: Vec::new(),
    }
}

/// Output lines collected by `on_output`.
pub(super) type Lines = Arc<Mutex<Vec<(String, Stream, String)>>>;

pub(super) fn options() -> (PoolOptions, Lines) {
    let lines: Lines = Arc::default();
    let sink = lines.clone();
    let opts = PoolOptions {
        on_output: Arc::new(move |name, stream, line| {
            sink.lock()
                .unwrap()
                .push((name.to_owned(), stream, line.to_owned()))
        }),
        stop_grace: Duration::from_millis(500),
        ..PoolOptions::default()
    };
    (opts, lines)
}

const NODE_CONTEXT: &str = r#"
export const handler = async (event, context) => ({
  event,
  greeting: process.env.GREETING,
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  memory: context.memoryLimitInMB,
  requestId: context.awsRequestId,
  arn: context.invokedFunctionArn,
  remaining: context.getRemainingTimeInMillis(),
  env: Object.keys(process.env).sort(),
});
"#;

const CJS_CALLBACK: &str = r#"
exports.handler = (event, context, callback) => {
  setTimeout(() => callback(null, { cjs: true, n: event.n + 1, id: context.awsRequestId }), 10);
};
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_esm_and_commonjs_handlers_answer_with_lambdas_context() {
    let root = fixture(
        "node",
        &[
            ("src/esm.mjs", NODE_CONTEXT),
            ("src/cb.cjs", CJS_CALLBACK),
            (
                "plain.js",
                "module.exports.main = async (e) => ({ plain: e.n * 2 });",
            ),
        ],
    );
    let specs = vec![
        spec("esm", "nodejs22.x", "src/esm.handler", &root),
        spec("cb", "nodejs20.x", "src/cb.handler", &root),
        spec("plain", "nodejs22.x", "plain.main", &root),
    ];
    let pool = Pool::start(specs, options().0).await.unwrap();
    let out = pool.invoke("esm", json!({"a": 1})).await.unwrap();
    assert_eq!(out["event"], json!({"a": 1}));
    assert_eq!(out["greeting"], "hello");
    assert_eq!(out["functionName"], "app-dev-esm");
    assert_eq!(out["functionVersion"], "$LATEST");
    assert_eq!(out["memory"], "256");
    assert_eq!(out["requestId"].as_str().unwrap().len(), 36);
    assert_eq!(
        out["arn"],
        "arn:aws:lambda:us-east-1:000000000000:function:app-dev-esm"
    );
    let remaining = out["remaining"].as_u64().unwrap();
    assert!((4000..=5000).contains(&remaining), "remaining {remaining}");
    let env: BTreeSet<&str> = out["env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let expected = BTreeSet::from([
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_RUNTIME_API",
        "GREETING",
        "LAMBDA_TASK_ROOT",
        "PATH",
        "_HANDLER",
    ]);
    assert_eq!(env, expected, "nothing of dev's environment leaks");
    let out = pool.invoke("cb", json!({"n": 41})).await.unwrap();
    assert_eq!(
        (out["cjs"].clone(), out["n"].clone()),
        (json!(true), json!(42))
    );
    assert_eq!(
        pool.invoke("plain", json!({"n": 4})).await.unwrap(),
        json!({"plain": 8})
    );
    pool.shutdown().await;
}

const PYTHON_HANDLER: &str = r#"
import os
import helper

def handler(event, context):
    return {
        "event": event,
        "helper": helper.VALUE,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory": context.memory_limit_in_mb,
        "request_id": context.aws_request_id,
        "arn": context.invoked_function_arn,
        "remaining": context.get_remaining_time_in_millis(),
        "env": sorted(os.environ),
        "cwd": os.getcwd(),
    }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_handler_answers_with_its_requirements_importable() {
    let root = fixture(
        "python",
        &[
            ("app/handler.py", PYTHON_HANDLER),
            ("deps/helper.py", "VALUE = 'from deps'\n"),
        ],
    );
    let mut s = spec("py", "python3.12", "handler.handler", &root.join("app"));
    s.python_path = vec![root.join("deps")];
    s.timeout = Duration::from_secs(3);
    let pool = Pool::start(vec![s], options().0).await.unwrap();
    let out = pool.invoke("py", json!({"x": [1, 2]})).await.unwrap();
    assert_eq!(out["event"], json!({"x": [1, 2]}));
    assert_eq!(out["helper"], "from deps");
    assert_eq!(out["function_name"], "app-dev-py");
    assert_eq!(out["function_version"], "$LATEST");
    assert_eq!(out["memory"], "256");
    assert_eq!(out["request_id"].as_str().unwrap().len(), 36);
    assert!(
        out["arn"]
            .as_str()
            .unwrap()
            .ends_with(":function:app-dev-py")
    );
    let remaining = out["remaining"].as_u64().unwrap();
    assert!((2000..=3000).contains(&remaining), "remaining {remaining}");
    assert_eq!(out["cwd"], root.join("app").display().to_string());
    let env: Vec<&str> = out["env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for name in &env {
        assert!(
            name.starts_with("AWS_LAMBDA_")
                || ["GREETING", "LAMBDA_TASK_ROOT", "PATH", "PYTHONPATH", "_HANDLER"].contains(name)
                // set by the interpreter or a launcher in front of it
                // (pyenv's shims are bash scripts)
                || ["LC_CTYPE", "PWD", "SHLVL"].contains(name)
                || name.contains("PYENV_"),
            "unexpected variable {name}"
        );
    }
    pool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_invocation_reuses_the_warm_worker() {
    let root = fixture(
        "warm",
        &[
            (
                "count.mjs",
                "let n = 0;\nexport const handler = async () => ({ n: ++n, pid: process.pid });\n",
            ),
            (
                "count.py",
                "n = 0\ndef handler(e, c):\n    global n\n    n += 1\n    return n\n",
            ),
        ],
    );
    let specs = vec![
        spec("node", "nodejs22.x", "count.handler", &root),
        spec("py", "python3.12", "count.handler", &root),
    ];
    let pool = Pool::start(specs, options().0).await.unwrap();
    assert_eq!(pool.workers()["node"], (0, 0), "no worker before first use");
    let first = pool.invoke("node", json!({})).await.unwrap();
    let second = pool.invoke("node", json!({})).await.unwrap();
    assert_eq!(
        (first["n"].clone(), second["n"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(first["pid"], second["pid"]);
    let pid = first["pid"].as_u64().unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    assert_eq!(
        fields[2],
        pid.to_string(),
        "the worker leads its own process group"
    );
    assert_eq!(pool.invoke("py", json!({})).await.unwrap(), json!(1));
    assert_eq!(pool.invoke("py", json!({})).await.unwrap(), json!(2));
    assert_eq!(pool.workers()["node"], (0, 1));
    assert_eq!(pool.workers()["py"], (0, 1));
    pool.shutdown().await;
}

const SLOW: &str = r#"
export const handler = async (event) => {
  await new Promise((r) => setTimeout(r, event.ms));
  return process.pid;
};
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_invocations_start_more_workers_up_to_the_cap() {
    let root = fixture("overlap", &[("slow.mjs", SLOW)]);
    let (mut opts, _) = options();
    opts.max_workers_per_function = 3;
    let pool = Pool::start(
        vec![spec("slow", "nodejs22.x", "slow.handler", &root)],
        opts,
    )
    .await
    .unwrap();
    let started = Instant::now();
    let calls = (0..5).map(|_| pool.invoke("slow", json!({"ms": 600})));
    let results = futures_util::future::join_all(calls).await;
    let pids: BTreeSet<u64> = results
        .iter()
        .map(|r| r.as_ref().unwrap().as_u64().unwrap())
        .collect();
    assert_eq!(
        pids.len(),
        3,
        "three workers for five overlapping invocations, cap 3"
    );
    // Five 600 ms invocations on three workers: two rounds.
    assert!(
        started.elapsed() >= Duration::from_millis(1200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(pool.workers()["slow"], (0, 3));
    pool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provided_bootstrap_runs_unmodified() {
    let bootstrap = r#"#!/usr/bin/env python3
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
while True:
    with opener.open(api + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        deadline = int(r.headers["Lambda-Runtime-Deadline-Ms"])
        trace = r.headers["Lambda-Runtime-Trace-Id"]
        event = json.load(r)
    body = json.dumps({"echo": event, "handler": os.environ["_HANDLER"],
                       "deadline": deadline, "trace": trace}).encode()
    opener.open(urllib.request.Request(api + rid + "/response", data=body, method="POST")).read()
"#;
    let root = fixture("provided", &[("bootstrap", bootstrap)]);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        root.join("bootstrap"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let pool = Pool::start(
        vec![spec("rs", "provided.al2023", "bootstrap", &root)],
        options().0,
    )
    .await
    .unwrap();
    let out = pool.invoke("rs", json!({"hi": true})).await.unwrap();
    assert_eq!(out["echo"], json!({"hi": true}));
    assert_eq!(out["handler"], "bootstrap");
    assert!(out["trace"].as_str().unwrap().starts_with("Root=1-"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let left = out["deadline"].as_u64().unwrap() as i64 - now.as_millis() as i64;
    assert!((3000..=5000).contains(&left), "deadline in {left} ms");
    assert_eq!(pool.invoke("rs", json!(2)).await.unwrap()["echo"], json!(2));
    assert_eq!(pool.workers()["rs"], (0, 1));
    pool.shutdown().await;
}

const SPAWNS: &str = r#"
import { spawn } from 'node:child_process';
export const handler = async (event) => {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  if (event.ms) await new Promise((r) => setTimeout(r, event.ms));
  return [process.pid, child.pid];
};
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_leaves_no_process_behind_busy_workers_included() {
    let root = fixture(
        "shutdown",
        &[
            ("spawns.mjs", SPAWNS),
            (
                "py.py",
                "import os\ndef handler(e, c):\n    return [os.getpid()]\n",
            ),
        ],
    );
    let specs = vec![
        spec("node", "nodejs22.x", "spawns.handler", &root),
        spec("py", "python3.12", "py.handler", &root),
    ];
    let pool = Pool::start(specs, options().0).await.unwrap();
    let mut pids: Vec<u64> = Vec::new();
    for (name, event) in [("node", json!({})), ("py", json!({}))] {
        let out = pool.invoke(name, event).await.unwrap();
        pids.extend(out.as_array().unwrap().iter().filter_map(Value::as_u64));
    }
    // One more, busy when shutdown comes.
    let busy = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.invoke("node", json!({"ms": 30_000})).await })
    };
    while pool.workers()["node"] != (1, 0) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await; // let it take the event
    let started = Instant::now();
    pool.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let busy = busy.await.unwrap();
    assert!(
        matches!(busy, Err(crate::local::invoke::InvokeError::Crashed(_))),
        "{busy:?}"
    );
    assert_eq!(pids.len(), 3);
    for pid in pids {
        assert!(!process_exists(pid as u32), "process {pid} is still there");
    }
    assert_eq!(pool.workers()["node"], (0, 0));
    let late = pool.invoke("py", json!({})).await;
    assert!(
        matches!(late, Err(crate::local::invoke::InvokeError::Crashed(_))),
        "{late:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_runs_new_code_on_new_workers_while_old_invocations_finish() {
    let root = fixture(
        "replace",
        &[
            (
                "v1.mjs",
                "export const handler = async (e) => { await new Promise((r) => setTimeout(r, e.ms)); return 'v1'; };",
            ),
            ("v2.mjs", "export const handler = async () => 'v2';"),
        ],
    );
    let pool = Pool::start(
        vec![spec("f", "nodejs22.x", "v1.handler", &root)],
        options().0,
    )
    .await
    .unwrap();
    assert_eq!(
        pool.invoke("f", json!({"ms": 0})).await.unwrap(),
        json!("v1")
    );
    let in_flight = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.invoke("f", json!({"ms": 500})).await })
    };
    while pool.workers()["f"] != (1, 0) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    pool.replace(spec("f", "nodejs22.x", "v2.handler", &root))
        .await;
    assert_eq!(pool.invoke("f", json!({})).await.unwrap(), json!("v2"));
    assert_eq!(in_flight.await.unwrap().unwrap(), json!("v1"));
    assert_eq!(pool.workers()["f"], (0, 1), "the old worker is not kept");
    pool.shutdown().await;
}
