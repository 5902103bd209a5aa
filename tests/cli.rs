//! The `wsdeploy` binary as a user runs it: exit codes, what goes to stdout
//! and stderr, JSON output, the schema command, and that no environment
//! value ever reaches the output.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn wsdeploy(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsdeploy"));
    cmd.current_dir(root())
        .args(args)
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("wsdeploy runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn validate_chat_prints_a_summary_and_exits_0() {
    let out = wsdeploy(&["validate", "-c", "fixtures/chat/wsdeploy.yml"], &[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("app chat, stage dev"), "{stdout}");
    assert!(
        stdout.contains("$connect") && stdout.contains("-> chat-dev-connect (nodejs20.x"),
        "{stdout}"
    );
    assert!(stdout.contains("env CONNECTIONS_TABLE"), "{stdout}");
    assert!(stdout.contains("sendMessage"), "{stdout}");
}

#[test]
fn validate_invalid_exits_1_with_file_line_column_on_stderr() {
    let out = wsdeploy(&["validate", "-c", "fixtures/invalid/unknown-key.yml"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "errors go to stderr only");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("fixtures/invalid/unknown-key.yml:5:1: error: unknown key `rotues`"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: did you mean `routes`?"), "{stderr}");
}

#[test]
fn every_invalid_fixture_exits_1_with_a_position() {
    for entry in std::fs::read_dir(root().join("fixtures/invalid")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yml") {
            continue;
        }
        let rel = format!(
            "fixtures/invalid/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        let out = wsdeploy(&["validate", "-c", &rel], &[]);
        assert_eq!(out.status.code(), Some(1), "{rel}");
        let stderr = text(&out.stderr);
        let prefix = format!("{rel}:");
        let positioned = stderr.lines().any(|l| {
            l.strip_prefix(&prefix)
                .is_some_and(|rest| rest.split(':').take(2).all(|n| n.parse::<u32>().is_ok()))
        });
        assert!(
            positioned,
            "{rel}: no file:line:column diagnostic in\n{stderr}"
        );
    }
}

#[test]
fn json_output_of_a_valid_config_masks_environment_values() {
    let secret = "tok-9f8e7d6c5b4a-do-not-print";
    let out = wsdeploy(
        &[
            "validate",
            "-c",
            "fixtures/chat/wsdeploy.yml",
            "--output",
            "json",
        ],
        &[("CHAT_TOKEN", secret)],
    );
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(!stdout.contains(secret) && !text(&out.stderr).contains(secret));
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is one JSON document");
    assert_eq!(v["valid"], true);
    assert_eq!(
        v["config"]["functions"]["authorizer"]["environment"]["CHAT_TOKEN"],
        "(sensitive)"
    );
    assert_eq!(v["config"]["routes"]["$connect"]["function"], "connect");
}

#[test]
fn json_output_of_an_invalid_config_lists_every_error() {
    let out = wsdeploy(
        &[
            "validate",
            "-c",
            "fixtures/invalid/many-errors.yml",
            "--output",
            "json",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["valid"], false);
    assert!(v["config"].is_null());
    let diags = v["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 5);
    assert_eq!(diags[0]["line"], 6);
    assert_eq!(diags[0]["column"], 6);
    assert_eq!(diags[0]["path"], "app");
    assert_eq!(diags[0]["severity"], "error");
    assert!(
        diags
            .iter()
            .all(|d| d["file"] == "fixtures/invalid/many-errors.yml")
    );
}

#[test]
fn interpolated_values_never_appear_in_errors() {
    let dir = tempdir();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("src/h.js"),
        "exports.handler = async () => ({});\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("wsdeploy.yml"),
        "app: leak\ndefaults:\n  function:\n    memorySize: ${env:LEAK_MEM}\n    runtime: ${env:LEAK_RT}\n    code: ${env:LEAK_CODE}\n    permissions:\n      - \"${env:LEAK_PERM} *\"\ndomain: ${env:LEAK_DOMAIN}\nroutes:\n  $default: src/h.handler\n",
    )
    .unwrap();
    let cfg = dir.join("wsdeploy.yml");
    let secret_mem = "hunter2-memory";
    let secret_rt = "hunter2-runtime";
    for format in ["text", "json"] {
        let out = wsdeploy(
            &["validate", "-c", cfg.to_str().unwrap(), "--output", format],
            &[
                ("LEAK_MEM", secret_mem),
                ("LEAK_RT", secret_rt),
                ("LEAK_CODE", "hunter2-code-dir"),
                ("LEAK_PERM", "hunter2perm"),
                ("LEAK_DOMAIN", "hunter2-.example.com"),
            ],
        );
        assert_eq!(out.status.code(), Some(1));
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(!all.contains("hunter2"), "an env value leaked:\n{all}");
        assert!(
            all.contains("memorySize") && all.contains("runtime"),
            "{all}"
        );
    }
}

#[test]
fn stage_and_region_flags_apply() {
    let out = wsdeploy(
        &[
            "validate",
            "-c",
            "fixtures/minimal/wsdeploy.yml",
            "--stage",
            "prod",
            "--region",
            "eu-west-1",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("stage prod, region eu-west-1"), "{stdout}");
    assert!(stdout.contains("minimal-prod-default"), "{stdout}");
    let out = wsdeploy(
        &[
            "validate",
            "-c",
            "fixtures/minimal/wsdeploy.yml",
            "--stage",
            "no spaces",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--stage"));
}

#[test]
fn usage_errors_exit_1_and_help_exits_0() {
    let out = wsdeploy(&["frobnicate"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let out = wsdeploy(&["--help"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    assert!(help.contains("validate") && help.contains("schema"));
}

#[test]
fn missing_config_is_a_clear_error() {
    let out = wsdeploy(&["validate", "-c", "does/not/exist.yml"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("does/not/exist.yml") && stderr.contains("no such file"),
        "{stderr}"
    );
}

#[test]
fn committed_schema_is_current() {
    let out = wsdeploy(&["schema"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let committed = std::fs::read_to_string(root().join("schemas/wsdeploy.schema.json")).unwrap();
    assert!(
        text(&out.stdout) == committed,
        "schemas/wsdeploy.schema.json is stale: run `cargo run -q -- schema > schemas/wsdeploy.schema.json`"
    );
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsdeploy-cli-{}-{}", std::process::id(), line!()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
