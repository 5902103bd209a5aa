//! A run reads the system's trust store only when a request can use it: a
//! run whose every request goes to a plain-HTTP endpoint (a local
//! emulator) reads none, with the endpoint given by `--endpoint-url` or by
//! `AWS_ENDPOINT_URL`; a run against an HTTPS endpoint reads it.
//!
//! The trust store is watched through `SSL_CERT_FILE`, which the TLS
//! client reads instead of the system's bundle: it names a FIFO, and a
//! thread opening the FIFO for writing gets through only once a process
//! opens it for reading.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A loopback server that answers every request with 403 and no body: an
/// error the SDK does not retry, so a run ends at its first answer.
fn refusing_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buffer = [0u8; 8192];
                let _ = stream.read(&mut buffer);
                let _ = stream.write_all(
                    b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
            });
        }
    });
    port
}

/// A FIFO in a scratch directory, and a thread that opens it for writing:
/// the thread finishes once some process has opened it for reading.
fn watched_trust_store(name: &str) -> (PathBuf, JoinHandle<()>) {
    let dir = std::env::temp_dir().join(format!("wsdeploy-trust-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("bundle.pem");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", fifo.display());
    let path = fifo.clone();
    let writer = std::thread::spawn(move || {
        drop(std::fs::OpenOptions::new().write(true).open(&path));
    });
    (fifo, writer)
}

/// Lets a writer still waiting on the FIFO through (by opening it for
/// reading here) and waits for it.
fn release(fifo: &Path, writer: JoinHandle<()>) {
    if !writer.is_finished() {
        drop(std::fs::File::open(fifo));
    }
    writer.join().unwrap();
    let _ = std::fs::remove_dir_all(fifo.parent().unwrap());
}

/// `wsdeploy info` with the given endpoint flag and variables, its trust
/// store being `fifo`.
fn info(flag: Option<&str>, vars: &[(&str, &str)], fifo: &Path) -> Child {
    let mut c = support::cli::isolated();
    c.current_dir(root())
        .args([
            "info",
            "-c",
            "fixtures/chat/wsdeploy.yml",
            "--output",
            "json",
        ])
        .env("SSL_CERT_FILE", fifo)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(url) = flag {
        c.args(["--endpoint-url", url]);
    }
    for (k, v) in vars {
        c.env(k, v);
    }
    c.spawn().expect("wsdeploy starts")
}

/// Waits for `child` at most `limit`; kills it and fails if it is not done.
fn finish(mut child: Child, limit: Duration, what: &str) -> std::process::Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{what}: still running after {limit:?} (waiting on the trust store?)\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_run_against_a_plain_http_endpoint_reads_no_trust_store() {
    let port = refusing_server();
    let url = format!("http://127.0.0.1:{port}");
    for (what, flag, vars) in [
        ("--endpoint-url", Some(url.as_str()), vec![]),
        (
            "AWS_ENDPOINT_URL",
            None,
            vec![("AWS_ENDPOINT_URL", url.as_str())],
        ),
    ] {
        let (fifo, writer) = watched_trust_store(if flag.is_some() { "flag" } else { "env" });
        let out = finish(info(flag, &vars, &fifo), Duration::from_secs(60), what);
        let stdout = String::from_utf8_lossy(&out.stdout);
        // It got as far as AWS's answer (the 403), which it reports.
        assert_eq!(out.status.code(), Some(1), "{what}: {stdout}");
        assert!(stdout.contains("\"error\""), "{what}: {stdout}");
        assert!(
            !writer.is_finished(),
            "{what}: the run opened its trust store"
        );
        release(&fifo, writer);
    }
}

#[test]
fn a_run_against_an_https_endpoint_reads_the_trust_store() {
    // The check above is only as good as this one: the FIFO does see a run
    // that loads its trust store.
    let port = refusing_server();
    let url = format!("https://127.0.0.1:{port}");
    let (fifo, writer) = watched_trust_store("https");
    let mut child = info(Some(&url), &[], &fifo);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !writer.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let opened = writer.is_finished();
    let _ = child.kill();
    let _ = child.wait();
    release(&fifo, writer);
    assert!(opened, "an HTTPS run never opened SSL_CERT_FILE");
}
