//! One worker's Runtime API spoken to over raw HTTP/1.1: the headers of
//! `next`, the status codes and bodies of `response`, `error` and
//! `init/error`, and the requests it refuses.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, watch};

use super::api::{self, Job, MAX_PAYLOAD, Outcome};

/// (status, lower-cased head, body) of one request on its own connection.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} /2018-06-01/runtime{path} HTTP/1.1\r\nhost: w\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    // A refused body may be cut short by the server: ignore write errors.
    let _ = stream.write_all(body).await;
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out).await;
    let out = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    (
        head[9..12].parse().unwrap(),
        head.to_lowercase(),
        body.to_owned(),
    )
}

fn header<'a>(head: &'a str, name: &str) -> &'a str {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no {name} in {head}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_response_and_error_as_the_emulator_answers_them() {
    let (jobs, jobs_rx) = mpsc::channel(1);
    let (death, mut died) = watch::channel(None);
    let arn = "arn:aws:lambda:us-east-1:000000000000:function:f";
    let server = api::serve(jobs_rx, arn.to_owned(), death).await.unwrap();
    let addr = server.addr;

    // The delivered sender is dropped with `job`: the event would not be
    // handed out, so keep it alive here.
    let (delivered_tx, delivered_rx) = oneshot::channel();
    let (reply, outcome) = oneshot::channel();
    let next = tokio::spawn(http(addr, "GET", "/invocation/next", &[], b""));
    let event = Job {
        event: br#"{"a":1}"#.to_vec(),
        timeout: Duration::from_secs(3),
        delivered: delivered_tx,
        reply,
    };
    jobs.send(event).await.unwrap();
    let (status, head, body) = next.await.unwrap();
    assert!(delivered_rx.await.is_ok());
    assert_eq!((status, body.as_str()), (200, r#"{"a":1}"#));
    let id = header(&head, "lambda-runtime-aws-request-id").to_owned();
    assert_eq!(id.len(), 36);
    assert_eq!(header(&head, "lambda-runtime-invoked-function-arn"), arn);
    assert!(header(&head, "lambda-runtime-trace-id").starts_with("root=1-"));
    assert_eq!(header(&head, "content-type"), "application/json");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let deadline: i64 = header(&head, "lambda-runtime-deadline-ms").parse().unwrap();
    assert!(
        (2500..=3000).contains(&(deadline - now)),
        "{}",
        deadline - now
    );

    let (status, _, body) = http(addr, "GET", "/invocation/next", &[], b"").await;
    assert_eq!(status, 403, "next while an invocation is in flight");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["errorType"],
        "InvalidStateTransition"
    );
    let (status, _, body) = http(addr, "POST", "/invocation/not-it/response", &[], b"{}").await;
    assert_eq!(
        (status, serde_json::from_str::<Value>(&body).unwrap()),
        (
            400,
            json!({"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"})
        )
    );

    let error = br#"{"errorMessage":"boom","errorType":"Oops","stackTrace":[]}"#;
    let path = format!("/invocation/{id}/error");
    let (status, _, body) = http(
        addr,
        "POST",
        &path,
        &[("lambda-runtime-function-error-type", "Unhandled")],
        error,
    )
    .await;
    assert_eq!((status, body.as_str()), (202, r#"{"status":"OK"}"#));
    match outcome.await.unwrap() {
        Outcome::Error {
            error_type,
            message,
        } => assert_eq!((error_type.as_str(), message.as_str()), ("Oops", "boom")),
        other => panic!("{other:?}"),
    }
    let (status, _, _) = http(addr, "POST", &path, &[], error).await;
    assert_eq!(status, 400, "a second answer for the same request");

    let (status, _, body) = http(
        addr,
        "POST",
        "/init/error",
        &[("lambda-runtime-function-error-type", "Runtime.X")],
        b"not json",
    )
    .await;
    assert_eq!((status, body.as_str()), (202, r#"{"status":"OK"}"#));
    died.wait_for(Option::is_some).await.unwrap();
    assert_eq!(
        died.borrow().clone(),
        Some("Runtime.X: not json".to_owned())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_are_json_text_or_too_large() {
    let (jobs, jobs_rx) = mpsc::channel(1);
    let (death, _died) = watch::channel(None);
    let server = api::serve(jobs_rx, "arn".to_owned(), death).await.unwrap();
    let answer = async |body: &[u8]| {
        let (delivered, delivered_rx) = oneshot::channel();
        let (reply, outcome) = oneshot::channel();
        let next = tokio::spawn(http(server.addr, "GET", "/invocation/next", &[], b""));
        jobs.send(Job {
            event: b"{}".to_vec(),
            timeout: Duration::from_secs(3),
            delivered,
            reply,
        })
        .await
        .unwrap();
        let (_, head, _) = next.await.unwrap();
        drop(delivered_rx);
        let id = header(&head, "lambda-runtime-aws-request-id").to_owned();
        let (status, _, _) = http(
            server.addr,
            "POST",
            &format!("/invocation/{id}/response"),
            &[],
            body,
        )
        .await;
        (status, outcome.await.unwrap())
    };
    let (status, outcome) = answer(br#"{"ok":[1]}"#).await;
    assert!(status == 202 && matches!(outcome, Outcome::Response(v) if v == json!({"ok": [1]})));
    let (_, outcome) = answer(b"plain text").await;
    assert!(matches!(outcome, Outcome::Response(Value::String(s)) if s == "plain text"));
    let (_, outcome) = answer(b"").await;
    assert!(matches!(outcome, Outcome::Response(Value::Null)));
    let (status, outcome) = answer(&vec![b' '; MAX_PAYLOAD + 1]).await;
    assert_eq!(status, 413);
    assert!(
        matches!(outcome, Outcome::Error { error_type, .. } if error_type == "Function.ResponseSizeTooLarge")
    );
}
