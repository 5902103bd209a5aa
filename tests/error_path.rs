//! The one error path: every command that talks to AWS, run against an
//! endpoint that refuses connections, prints one JSON document with an
//! `error` object under `--output json` (and the error on stderr as text)
//! and exits 1.

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A loopback port nothing listens on: bound, then closed.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn wsdeploy(args: &[&str], endpoint: &str) -> Output {
    support::cli::isolated()
        .current_dir(root())
        .args(args)
        .args([
            "-c",
            "fixtures/chat/wsdeploy.yml",
            "--endpoint-url",
            endpoint,
        ])
        .output()
        .expect("wsdeploy runs")
}

#[test]
fn every_aws_command_prints_one_json_error_document_when_aws_cannot_be_reached() {
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let commands: [&[&str]; 6] = [
        &["remove", "--yes"],
        &["info"],
        &["unlock"],
        &["diff"],
        &["deploy"],
        &["logs"],
    ];
    // In parallel: each waits out the SDK's retries of a refused connection.
    let runs: Vec<_> = commands
        .iter()
        .map(|args| {
            let endpoint = endpoint.clone();
            let mut args = args.to_vec();
            args.extend(["--output", "json"]);
            let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            std::thread::spawn(move || {
                let refs: Vec<&str> = args.iter().map(String::as_str).collect();
                (args.join(" "), wsdeploy(&refs, &endpoint))
            })
        })
        .collect();
    for run in runs {
        let (what, out) = run.join().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {stdout}\n{stderr}");
        let doc: serde_json::Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{what}: stdout is not one JSON document ({e}): {stdout}"));
        let error = &doc["error"];
        assert!(error.is_object(), "{what}: {doc}");
        assert!(error["code"].is_string(), "{what}: {doc}");
        assert!(
            error["hint"]
                .as_str()
                .is_some_and(|h| h.contains("did not answer")),
            "{what}: the hint says AWS did not answer: {doc}"
        );
        assert!(stderr.contains("error: "), "{what}: {stderr}");
    }
}

#[test]
fn an_invalid_config_is_one_json_error_document_with_its_diagnostics() {
    let out = Command::new(env!("CARGO_BIN_EXE_wsdeploy"))
        .current_dir(root())
        .args([
            "remove",
            "--yes",
            "--output",
            "json",
            "-c",
            "fixtures/invalid/bad-app-name.yml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "InvalidConfig");
    assert!(!doc["diagnostics"].as_array().unwrap().is_empty(), "{doc}");
}
