//! Running the `wsdeploy` binary against an emulator, the way the
//! integration tests do: dummy credentials, the emulator's endpoint, and no
//! access to the developer's AWS configuration.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::emulator::{Emulator, REGION, unique_name};

/// The `wsdeploy` binary with an environment of its own: `PATH`, dummy
/// credentials, the emulator's region, no instance metadata and no AWS
/// files, nothing else of the developer's.
pub fn isolated() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wsdeploy"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    c
}

/// `wsdeploy <args> -c <config> --endpoint-url <emulator>`, not started.
pub fn command(em: &Emulator, config: &Path, args: &[&str]) -> Command {
    let mut c = isolated();
    c.args(args)
        .arg("-c")
        .arg(config)
        .arg("--endpoint-url")
        .arg(em.endpoint_url());
    // Apps copied out of the repository bundle with the repository's
    // esbuild (installed by `npm ci`).
    if let Ok(e) = wsdeploy::build::node::Esbuild::find(Path::new(env!("CARGO_MANIFEST_DIR"))) {
        c.env("ESBUILD_BINARY_PATH", e.path);
    }
    c
}

/// Runs wsdeploy to the end.
pub fn run(em: &Emulator, config: &Path, args: &[&str]) -> Output {
    command(em, config, args).output().expect("wsdeploy runs")
}

/// Exit code, stdout and stderr, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Asserts the run succeeded.
pub fn ok(o: Output) -> Output {
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    o
}

/// Copies a directory tree (a fixture into a scratch directory).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// A copy of fixtures/chat (five functions) in a scratch directory, its
/// app renamed to a name no other test uses (`<prefix>-…`): that name and
/// the copy's config.
pub fn chat_copy(prefix: &str) -> (String, PathBuf) {
    let name = unique_name(prefix);
    let dir = std::env::temp_dir().join(format!("wsdeploy-test-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/chat"),
        &dir,
    );
    let config = dir.join("wsdeploy.yml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("\napp: chat\n", &format!("\napp: {name}\n"));
    std::fs::write(&config, text).unwrap();
    (name, config)
}
