//! docs/ci.md, checked: its GitHub Actions workflow and GitLab pipeline
//! parse as YAML, have what the guide says they have (OIDC, the plan with
//! `diff --exit-code` in the job summary, the deploy with
//! `--outputs-file`, the outputs handed on), and every wsdeploy command in
//! them is one the binary accepts. And the credentials path the GitLab job
//! relies on (a web identity token file and a role, no keys) works against
//! the emulator's STS.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use serde_json::Value;
use support::Emulator;
use support::cli::text;
use support::emulator::REGION;
use wsdeploy::cli::Cli;

fn guide() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ci.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fenced blocks of `lang` in a Markdown text.
fn blocks(markdown: &str, lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.trim_start() == format!("```{lang}") => current = Some(String::new()),
            Some(b) if line.trim_start() == "```" => {
                out.push(std::mem::take(b));
                current = None;
            }
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
            None => {}
        }
    }
    out
}

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text)
        .unwrap_or_else(|e| panic!("invalid YAML in docs/ci.md: {e}\n{text}"))
}

/// The workflow and the pipeline of the guide.
fn documents() -> (Value, Value) {
    let docs: Vec<Value> = blocks(&guide(), "yaml").iter().map(|b| yaml(b)).collect();
    let github = docs
        .iter()
        .find(|d| d.get("jobs").is_some())
        .expect("a GitHub workflow");
    let gitlab = docs
        .iter()
        .find(|d| d.get("stages").is_some())
        .expect("a GitLab pipeline");
    (github.clone(), gitlab.clone())
}

/// Every shell line of the document's `run:` and `script:` entries.
fn shell_lines(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("run", Value::String(s)) => out.extend(s.lines().map(str::to_owned)),
                    ("script" | "before_script" | "after_script", Value::Array(lines)) => {
                        out.extend(lines.iter().filter_map(|l| l.as_str().map(str::to_owned)))
                    }
                    _ => shell_lines(x, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|x| shell_lines(x, out)),
        _ => {}
    }
}

/// The words of a wsdeploy command in a shell line, up to a redirection or
/// the end of the command; variables stand for a value.
fn wsdeploy_words(line: &str) -> Option<Vec<String>> {
    let start = line.find("wsdeploy ")?;
    let rest = &line[start..];
    // Only a command: at the start of the line or after a shell operator
    // (not `cargo install ... wsdeploy`, a path, or words in an echo).
    let before = line[..start].trim_end();
    let after_operator = ["&&", "||", "|", ";", "(", "then", "do", "-"]
        .iter()
        .any(|s| before.ends_with(s));
    if !(before.is_empty() || after_operator) {
        return None;
    }
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    for c in rest.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, ' ') => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (None, '>' | '|' | ';' | '&' | ')') => break,
            (None, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    Some(
        words
            .into_iter()
            .map(|w| if w.starts_with('$') { "x".into() } else { w })
            .collect(),
    )
}

#[test]
fn every_wsdeploy_command_in_the_guide_is_one_wsdeploy_accepts() {
    let (github, gitlab) = documents();
    let mut lines = Vec::new();
    shell_lines(&github, &mut lines);
    shell_lines(&gitlab, &mut lines);
    let commands: Vec<Vec<String>> = lines.iter().filter_map(|l| wsdeploy_words(l)).collect();
    assert!(commands.len() >= 4, "{commands:?}");
    for words in &commands {
        if let Err(e) = Cli::try_parse_from(words) {
            panic!(
                "docs/ci.md runs `{}`, which wsdeploy refuses:\n{e}",
                words.join(" ")
            );
        }
    }
    // And the prose's one-liners.
    for line in guide().lines().filter(|l| l.contains("`wsdeploy ")) {
        for part in line.split('`').skip(1).step_by(2) {
            if let Some(words) = wsdeploy_words(part)
                && words.len() > 1
                && !part.contains("...")
            {
                Cli::try_parse_from(&words).unwrap_or_else(|e| {
                    panic!("docs/ci.md names `{part}`, which wsdeploy refuses:\n{e}")
                });
            }
        }
    }
}

fn all_lines(v: &Value) -> String {
    let mut lines = Vec::new();
    shell_lines(v, &mut lines);
    lines.join("\n")
}

#[test]
fn the_github_workflow_plans_pull_requests_and_deploys_main_with_oidc() {
    let (github, _) = documents();
    assert_eq!(
        github["permissions"]["id-token"], "write",
        "OIDC needs id-token: write"
    );
    let jobs = github["jobs"].as_object().unwrap();
    let plan = all_lines(&jobs["plan"]);
    assert!(
        jobs["plan"]["if"]
            .as_str()
            .unwrap()
            .contains("pull_request")
    );
    assert!(plan.contains("wsdeploy diff --exit-code"), "{plan}");
    assert!(
        plan.contains("GITHUB_STEP_SUMMARY"),
        "the plan goes to the job summary"
    );
    assert!(
        plan.contains("^IAM: "),
        "IAM-widening changes are called out"
    );
    let deploy = &jobs["deploy"];
    assert!(deploy["if"].as_str().unwrap().contains("refs/heads/main"));
    let deploy_lines = all_lines(deploy);
    assert!(
        deploy_lines.contains("wsdeploy deploy")
            && deploy_lines.contains("--outputs-file outputs.json")
    );
    assert!(
        deploy_lines.contains("GITHUB_OUTPUT"),
        "the outputs are handed on"
    );
    assert!(deploy["outputs"]["url"].is_string());
    let uses_credentials = |job: &Value| {
        job["steps"].as_array().unwrap().iter().any(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("aws-actions/configure-aws-credentials"))
                && s["with"]["role-to-assume"].is_string()
        })
    };
    assert!(uses_credentials(&jobs["plan"]) && uses_credentials(deploy));
    let later = jobs
        .values()
        .find(|j| j["needs"] == "deploy")
        .expect("a later job uses the outputs");
    assert!(all_lines(later).contains("needs.deploy.outputs.url"));
}

#[test]
fn the_gitlab_pipeline_does_the_same_with_id_tokens() {
    let (_, gitlab) = documents();
    assert_eq!(
        gitlab["default"]["id_tokens"]["AWS_ID_TOKEN"]["aud"],
        "sts.amazonaws.com"
    );
    assert!(gitlab["variables"]["AWS_WEB_IDENTITY_TOKEN_FILE"].is_string());
    let plan = &gitlab["plan"];
    assert!(all_lines(plan).contains("wsdeploy diff --exit-code"));
    assert_eq!(plan["allow_failure"]["exit_codes"], serde_json::json!([2]));
    assert!(plan["variables"]["AWS_ROLE_ARN"].is_string());
    let deploy = &gitlab["deploy"];
    assert!(all_lines(deploy).contains("--outputs-file outputs.json"));
    assert_eq!(deploy["artifacts"]["reports"]["dotenv"], "deploy.env");
    assert!(all_lines(&gitlab["smoke-test"]).contains("$WSDEPLOY_URL"));
}

/// The GitLab job's credentials: no keys, only `AWS_ROLE_ARN` and a token
/// file. wsdeploy's SDK exchanges the token with STS
/// (AssumeRoleWithWebIdentity, here the emulator's: AWS_ENDPOINT_URL sends
/// every client there, the credentials' own STS client included) and uses
/// what it gets for its reads.
#[test]
fn a_web_identity_token_file_and_a_role_are_credentials_enough() {
    let em = Emulator::shared();
    let dir = std::env::temp_dir().join(format!("wsdeploy-ci-guide-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let token = dir.join("token");
    std::fs::write(
        &token,
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcm9qZWN0X3BhdGg6ZyJ9.c2ln",
    )
    .unwrap();
    let config = dir.join("wsdeploy.yml");
    std::fs::write(
        &config,
        "app: ciguide\nroutes:\n  $default: src/default.handler\n",
    )
    .unwrap();
    let before = em.calls().len();
    let out = Command::new(env!("CARGO_BIN_EXE_wsdeploy"))
        .args(["info", "--output", "json", "-c"])
        .arg(&config)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_ENDPOINT_URL", em.endpoint_url())
        .env(
            "AWS_ROLE_ARN",
            "arn:aws:iam::123456789012:role/wsdeploy-plan",
        )
        .env("AWS_ROLE_SESSION_NAME", "ci")
        .env("AWS_WEB_IDENTITY_TOKEN_FILE", &token)
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .unwrap();
    // Never deployed: `info` got as far as reading AWS, with credentials.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "NotDeployed", "{}", text(&out));
    let calls = em.calls();
    let ops: Vec<&str> = calls[before..]
        .iter()
        .map(|c| c.operation.as_str())
        .collect();
    assert!(ops.contains(&"AssumeRoleWithWebIdentity"), "{ops:?}");
    let _ = std::fs::remove_dir_all(PathBuf::from(&dir));
}
