//! Hostile and broken input: each case ends in a clear error, never a
//! panic or a hang. A watchdog thread turns a hang into a failure (it is a
//! guard, not a speed target: the budget is generous).

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use wsdeploy::config::{LoadOptions, Loaded, load};

const WATCHDOG: Duration = Duration::from_secs(60);

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsdeploy-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Loads `path` on another thread and fails the test if it takes longer
/// than the watchdog or panics.
fn load_guarded(path: &Path) -> Loaded {
    let path = path.to_path_buf();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let lookup = |_: &str| None;
        let loaded = load(
            &path,
            &LoadOptions {
                stage: None,
                region: None,
                env_region: None,
                env: &lookup,
            },
        );
        let _ = tx.send(loaded);
    });
    rx.recv_timeout(WATCHDOG)
        .expect("the loader hung or panicked")
}

fn errors(l: &Loaded) -> Vec<String> {
    l.diagnostics
        .items
        .iter()
        .map(|d| d.message.clone())
        .collect()
}

fn assert_error(bytes: &[u8], name: &str, needle: &str) {
    let path = scratch(name);
    std::fs::write(&path, bytes).unwrap();
    let l = load_guarded(&path);
    assert!(l.config.is_none(), "{name} should not load");
    let msgs = errors(&l);
    assert!(
        msgs.iter().any(|m| m.contains(needle)),
        "{name}: expected an error containing {needle:?}, got {msgs:?}"
    );
}

#[test]
fn empty_file() {
    assert_error(b"", "empty.yml", "the file is empty");
    assert_error(b"# only a comment\n\n", "comment.yml", "the file is empty");
}

#[test]
fn non_utf8() {
    let path = scratch("latin1.yml");
    std::fs::write(&path, b"app: chat\nroutes:\n  $default: caf\xe9.handler\n").unwrap();
    let l = load_guarded(&path);
    let d = &l.diagnostics.items[0];
    assert!(d.message.contains("not valid UTF-8"));
    let pos = d.pos.expect("the position of the bad byte");
    assert_eq!((pos.line, pos.column), (3, 16));
}

#[test]
fn binary_file() {
    let mut bytes = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
    bytes.extend((0..4096u32).map(|i| (i * 31 % 251) as u8));
    assert_error(&bytes, "binary.yml", "binary");
}

#[test]
fn ten_megabyte_file() {
    let mut text = String::from("app: big\nroutes:\n  $default: src/a.handler\ntags:\n");
    let mut i = 0;
    while text.len() < 10 * 1024 * 1024 {
        text.push_str(&format!("  t{i}: {}\n", "x".repeat(100)));
        i += 1;
    }
    assert_error(text.as_bytes(), "big.yml", "at most");
}

#[test]
fn deeply_nested_flow_and_block_yaml() {
    let flow = format!(
        "app: deep\nroutes: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let path = scratch("deep-flow.yml");
    std::fs::write(&path, flow).unwrap();
    let l = load_guarded(&path);
    assert!(l.config.is_none() && !l.diagnostics.items.is_empty());

    let mut block = String::from("app: deep\nroutes:\n");
    for depth in 1..2000 {
        block.push_str(&" ".repeat(depth));
        block.push_str("a:\n");
    }
    let path = scratch("deep-block.yml");
    std::fs::write(&path, block).unwrap();
    let l = load_guarded(&path);
    assert!(l.config.is_none() && !l.diagnostics.items.is_empty());
}

#[test]
fn billion_laughs() {
    let mut text = String::from(
        "app: lol\nx0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        text.push_str(&format!("x{i}: &a{i} [{}]\n", vec![prev; 10].join(",")));
    }
    text.push_str("routes:\n  $default: src/a.handler\n");
    assert_error(text.as_bytes(), "lol.yml", "anchors and aliases");
}

#[test]
fn duplicate_keys() {
    assert_error(
        b"app: a\napp: b\nroutes:\n  $default: src/a.handler\n",
        "dup.yml",
        "duplicate key `app`",
    );
}

#[test]
fn a_directory_instead_of_a_file() {
    let dir = scratch("a-directory");
    std::fs::create_dir_all(&dir).unwrap();
    let l = load_guarded(&dir);
    assert!(
        errors(&l).iter().any(|m| m.contains("directory")),
        "{:?}",
        errors(&l)
    );
}

#[test]
fn yaml_that_is_not_a_mapping() {
    assert_error(
        b"- app: chat\n",
        "list.yml",
        "expected a mapping at the top level",
    );
    assert_error(
        b"just a string\n",
        "scalar.yml",
        "expected a mapping at the top level",
    );
    assert_error(b"app: a\n---\napp: b\n", "multi.yml", "");
}

#[test]
fn tabs_get_a_hint() {
    let path = scratch("tabs.yml");
    std::fs::write(&path, "app: chat\nroutes:\n\t$default: src/a.handler\n").unwrap();
    let l = load_guarded(&path);
    assert!(l.config.is_none());
    assert!(
        l.diagnostics
            .items
            .iter()
            .any(|d| d.hint.as_deref().is_some_and(|h| h.contains("tabs")))
    );
}
