//! The pool when handlers fail: errors, timeouts, import failures, crashes,
//! floods of output, runtimes dev does not run.

use std::time::{Duration, Instant};

use serde_json::json;

use super::tests::{fixture, options, spec};
use super::{MAX_LINE, Pool, Stream};
use crate::local::invoke::{Invoke, InvokeError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thrown_error_is_a_handler_error_and_the_worker_stays() {
    let root = fixture(
        "throws",
        &[
            (
                "t.mjs",
                "export const handler = async () => { throw new TypeError('bad input'); };",
            ),
            (
                "s.mjs",
                "export const handler = async () => { throw 'plain string'; };",
            ),
            ("t.py", "def handler(e, c):\n    raise ValueError('nope')\n"),
        ],
    );
    let specs = vec![
        spec("node", "nodejs22.x", "t.handler", &root),
        spec("str", "nodejs22.x", "s.handler", &root),
        spec("py", "python3.12", "t.handler", &root),
    ];
    let pool = Pool::start(specs, options().0).await.unwrap();
    let handler = |t: &str, m: &str| InvokeError::Handler {
        error_type: t.into(),
        message: m.into(),
    };
    assert_eq!(
        pool.invoke("node", json!({})).await,
        Err(handler("TypeError", "bad input"))
    );
    assert_eq!(
        pool.invoke("str", json!({})).await,
        Err(handler("string", "plain string"))
    );
    assert_eq!(
        pool.invoke("py", json!({})).await,
        Err(handler("ValueError", "nope"))
    );
    assert_eq!(
        pool.invoke("py", json!({})).await,
        Err(handler("ValueError", "nope"))
    );
    assert_eq!(pool.workers()["node"], (0, 1));
    assert_eq!(pool.workers()["py"], (0, 1));
    pool.shutdown().await;
}

const HANGS: &str = r#"
export const handler = async (event) => {
  // A pending timer keeps Node's event loop alive, as a slow call would.
  if (event.hang) await new Promise(() => setInterval(() => {}, 1000));
  return process.pid;
};
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_past_its_timeout_is_killed_and_the_next_runs_on_a_new_worker() {
    let root = fixture("hangs", &[("h.mjs", HANGS)]);
    let mut s = spec("h", "nodejs22.x", "h.handler", &root);
    s.timeout = Duration::from_secs(1);
    let pool = Pool::start(vec![s], options().0).await.unwrap();
    let first = pool.invoke("h", json!({})).await.unwrap().as_u64().unwrap();
    let started = Instant::now();
    let hung = pool.invoke("h", json!({"hang": true})).await;
    let took = started.elapsed();
    assert_eq!(hung, Err(InvokeError::Timeout(Duration::from_secs(1))));
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    assert_eq!(pool.workers()["h"], (0, 0));
    let next = pool.invoke("h", json!({})).await.unwrap().as_u64().unwrap();
    assert_ne!(first, next, "a new worker");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !super::worker::process_exists(first as u32),
        "the hung worker was killed"
    );
    assert_eq!(pool.workers()["h"], (0, 1));
    pool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_fails_at_import_crashes_with_the_message() {
    let root = fixture(
        "syntax",
        &[
            ("bad.mjs", "export const handler = async () => {;\n"),
            ("bad.py", "def handler(e, c)\n    return 1\n"),
            ("missing.py", "import not_a_module_anywhere\n"),
            ("noexport.mjs", "export const other = 1;\n"),
        ],
    );
    let specs = vec![
        spec("node", "nodejs22.x", "bad.handler", &root),
        spec("py", "python3.12", "bad.handler", &root),
        spec("missing", "python3.12", "missing.handler", &root),
        spec("noexport", "nodejs22.x", "noexport.handler", &root),
        spec("nofile", "nodejs22.x", "nowhere.handler", &root),
    ];
    let pool = Pool::start(specs, options().0).await.unwrap();
    let crashed = |r: Result<_, InvokeError>| match r {
        Err(InvokeError::Crashed(message)) => message,
        other => panic!("expected a crash: {other:?}"),
    };
    let node = crashed(pool.invoke("node", json!({})).await);
    assert!(
        node.starts_with("Runtime.UserCodeSyntaxError: SyntaxError"),
        "{node}"
    );
    let py = crashed(pool.invoke("py", json!({})).await);
    assert!(
        py.starts_with("Runtime.UserCodeSyntaxError: Syntax error in module 'bad'"),
        "{py}"
    );
    let missing = crashed(pool.invoke("missing", json!({})).await);
    assert!(
        missing.contains("No module named 'not_a_module_anywhere'"),
        "{missing}"
    );
    let noexport = crashed(pool.invoke("noexport", json!({})).await);
    assert!(
        noexport.starts_with("Runtime.HandlerNotFound"),
        "{noexport}"
    );
    let nofile = crashed(pool.invoke("nofile", json!({})).await);
    assert!(nofile.contains("Cannot find module 'nowhere'"), "{nofile}");
    for counts in pool.workers().values() {
        assert_eq!(*counts, (0, 0));
    }
    pool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_dies_mid_invocation_crashes_with_what_it_printed_last() {
    let dies =
        "export const handler = async () => { console.error('going down'); process.exit(3); };";
    let root = fixture(
        "dies",
        &[
            ("d.mjs", dies),
            ("ok.mjs", "export const handler = async () => 1;"),
        ],
    );
    let pool = Pool::start(
        vec![spec("d", "nodejs22.x", "d.handler", &root)],
        options().0,
    )
    .await
    .unwrap();
    let Err(InvokeError::Crashed(message)) = pool.invoke("d", json!({})).await else {
        panic!("expected a crash");
    };
    assert!(message.contains("exited with status 3"), "{message}");
    assert!(message.contains("going down"), "{message}");
    assert_eq!(pool.workers()["d"], (0, 0));
    pool.replace(spec("d", "nodejs22.x", "ok.handler", &root))
        .await;
    assert_eq!(pool.invoke("d", json!({})).await, Ok(json!(1)));
    pool.shutdown().await;
}

const FLOOD: &str = r#"
export const handler = async () => {
  process.stdout.write('x'.repeat(5 * 1024 * 1024) + '\n');
  for (let i = 0; i < 2000; i++) console.error(`line ${i}`);
  return 'ok';
};
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_printing_megabytes_still_answers_with_its_lines_cut() {
    let root = fixture("flood", &[("f.mjs", FLOOD)]);
    let (opts, lines) = options();
    let pool = Pool::start(vec![spec("f", "nodejs22.x", "f.handler", &root)], opts)
        .await
        .unwrap();
    assert_eq!(pool.invoke("f", json!({})).await, Ok(json!("ok")));
    let done = Instant::now();
    let arrived = |lines: &[(String, Stream, String)]| {
        lines.iter().any(|l| l.2 == "line 1999") && lines.iter().any(|l| l.1 == Stream::Stdout)
    };
    while !arrived(&lines.lock().unwrap()) {
        assert!(
            done.elapsed() < Duration::from_secs(5),
            "the last line never arrived"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let lines = lines.lock().unwrap().clone();
    let long = lines.iter().find(|l| l.1 == Stream::Stdout).unwrap();
    assert_eq!(long.0, "f");
    assert!(long.2.len() < MAX_LINE + 64, "{} bytes", long.2.len());
    assert!(long.2.ends_with(&format!(
        " … [{} more bytes cut]",
        5 * 1024 * 1024 - MAX_LINE
    )));
    let stderr = lines.iter().filter(|l| l.1 == Stream::Stderr).count();
    assert_eq!(stderr, 2000);
    pool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_functions_and_runtimes_are_refused() {
    let root = fixture("refused", &[]);
    let pool = Pool::start(vec![spec("j", "java21", "x.Handler", &root)], options().0)
        .await
        .unwrap();
    assert_eq!(
        pool.invoke("j", json!({})).await,
        Err(InvokeError::Unsupported("java21".into()))
    );
    assert_eq!(
        pool.invoke("nope", json!({})).await,
        Err(InvokeError::NoFunction("nope".into()))
    );
    // A route's external function (its ARN) answers as a failed invocation.
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:existing";
    assert_eq!(
        pool.invoke(arn, json!({})).await,
        Err(InvokeError::External(arn.into()))
    );
    assert_eq!(pool.workers()["j"], (0, 0));
    pool.shutdown().await;
}
