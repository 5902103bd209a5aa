//! Building function packages (the contract's build.md), through the
//! binary: `wsdeploy package` on the bundling fixture and on scratch
//! projects, the bundles run with `node`, determinism, the cache, bad
//! input; and against the emulator, which functions a change uploads.

mod support;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::cli::{self, copy_dir, ok, text};
use support::{Emulator, unique_name};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The repository's esbuild (installed by `npm ci`).
fn esbuild() -> PathBuf {
    wsdeploy::build::node::Esbuild::find(&root())
        .expect("esbuild is installed: run `npm ci`")
        .path
}

/// `wsdeploy <args>` offline, with the repository's esbuild unless
/// `with_esbuild` is false.
fn wsdeploy(args: &[&str], with_esbuild: bool) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wsdeploy"));
    c.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    if with_esbuild {
        c.env("ESBUILD_BINARY_PATH", esbuild());
    }
    c.output().expect("wsdeploy runs")
}

/// A copy of a fixture in a scratch directory.
fn copy_of(fixture: &str, tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsdeploy-build-{}", unique_name(tag)));
    copy_dir(&root().join("fixtures").join(fixture), &dir);
    // A copied cache would hide what this test is about.
    let _ = std::fs::remove_dir_all(dir.join(".wsdeploy"));
    dir
}

/// Runs `package` for the project in `dir`; returns the manifest's
/// functions by name.
fn package(dir: &Path, with_esbuild: bool) -> BTreeMap<String, serde_json::Value> {
    let out = out_of(dir);
    let o = wsdeploy(
        &[
            "package",
            "-c",
            dir.join("wsdeploy.yml").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--output",
            "json",
        ],
        with_esbuild,
    );
    let o = ok(o);
    let manifest: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest, written, "stdout is manifest.json");
    manifest["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap().to_owned(), f.clone()))
        .collect()
}

/// Where `package` writes for the project in `dir`: beside it, not in the
/// code it packages.
fn out_of(dir: &Path) -> PathBuf {
    let name = dir.file_name().unwrap().to_string_lossy();
    dir.with_file_name(format!("{name}-out"))
}

fn zip_bytes(dir: &Path, function: &str) -> Vec<u8> {
    std::fs::read(out_of(dir).join(format!("{function}.zip"))).unwrap()
}

/// Unzips a package into a directory under `target/`, so that Node finds
/// the repository's `node_modules` above it.
fn unzip(bytes: &[u8], tag: &str) -> PathBuf {
    let dir = root()
        .join("target")
        .join("build-tests")
        .join(unique_name(tag));
    let mut a = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    for i in 0..a.len() {
        let mut f = a.by_index(i).unwrap();
        let path = dir.join(f.name().unwrap().as_ref());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        std::fs::write(path, data).unwrap();
    }
    dir
}

/// Loads `module` from `dir` the way Lambda's Node.js runtime does (ESM
/// import; it loads CommonJS too), calls `handler(event)` and returns what
/// it resolved to.
fn run_handler(dir: &Path, module: &str, event: &str) -> serde_json::Value {
    let script = format!(
        "import({module:?}).then(m => m.handler({event})).then(r => process.stdout.write(JSON.stringify(r)))"
    );
    let out = Command::new("node")
        .current_dir(dir)
        .args(["--input-type=module", "-e", &script])
        .output()
        .expect("node runs");
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn bundles_run_in_node_and_answer() {
    let dir = copy_of("bundle", "run");
    let fns = package(&dir, true);
    let files = |f: &str| fns[f]["files"].clone();
    assert_eq!(
        files("bundle-dev-greet"),
        serde_json::json!(["src/greet.mjs"])
    );
    assert_eq!(
        files("bundle-dev-count"),
        serde_json::json!(["src/count.mjs"])
    );
    assert_eq!(
        files("bundle-dev-legacy"),
        serde_json::json!(["src/legacy.cjs"])
    );
    assert_eq!(
        files("bundle-dev-mapped"),
        serde_json::json!(["src/greet.mjs", "src/greet.mjs.map"])
    );
    assert!(
        fns["bundle-dev-greet"]["tool"]
            .as_str()
            .is_some_and(|t| t.starts_with("esbuild ")),
        "{:?}",
        fns["bundle-dev-greet"]
    );
    assert_eq!(fns["bundle-dev-legacy"]["architecture"], "arm64");

    let event = r#"{"body": "{\"name\":\"ann\"}"}"#;
    let greet = unzip(&zip_bytes(&dir, "bundle-dev-greet"), "greet");
    assert_eq!(
        run_handler(&greet, "./src/greet.mjs", event),
        serde_json::json!({"statusCode": 200, "body": "HELLO ANN!"})
    );
    let count = unzip(&zip_bytes(&dir, "bundle-dev-count"), "count");
    assert_eq!(
        run_handler(&count, "./src/count.mjs", r#"{"body": "abc"}"#)["body"],
        "8"
    );
    let legacy = unzip(&zip_bytes(&dir, "bundle-dev-legacy"), "legacy");
    assert_eq!(
        run_handler(&legacy, "./src/legacy.cjs", r#"{"body": "21"}"#)["body"],
        "42 b.txt"
    );
    // Minified, with a source map that names the project's files relative
    // to the bundle.
    let mapped = unzip(&zip_bytes(&dir, "bundle-dev-mapped"), "mapped");
    assert_eq!(
        run_handler(&mapped, "./src/greet.mjs", event)["body"],
        "HELLO ANN!"
    );
    let map: serde_json::Value =
        serde_json::from_slice(&std::fs::read(mapped.join("src/greet.mjs.map")).unwrap()).unwrap();
    assert_eq!(
        map["sources"],
        serde_json::json!(["lib/shared.ts", "greet.ts"])
    );
}

#[test]
fn the_chat_fixture_bundles_each_handler_alone() {
    let dir = copy_of("chat", "chat");
    let fns = package(&dir, true);
    assert_eq!(fns.len(), 5);
    for (name, f) in &fns {
        let files = f["files"].as_array().unwrap();
        assert_eq!(files.len(), 1, "{name}: one bundle, nothing else: {f}");
        assert!(files[0].as_str().unwrap().ends_with(".mjs"), "{f}");
    }
    // The AWS SDK stays out of the bundle: the runtime has it.
    let connect = unzip(&zip_bytes(&dir, "chat-dev-connect"), "connect");
    let code = std::fs::read_to_string(connect.join("src/connect.mjs")).unwrap();
    assert!(code.contains("from \"@aws-sdk/client-dynamodb\""), "{code}");
    let auth = unzip(&zip_bytes(&dir, "chat-dev-authorizer"), "auth");
    let answer = run_handler(
        &auth,
        "./src/authorizer.mjs",
        r#"{"methodArn": "arn:x", "queryStringParameters": {"token": "nope"}}"#,
    );
    assert_eq!(answer["policyDocument"]["Statement"][0]["Effect"], "Deny");
}

#[test]
fn a_shared_module_changes_exactly_the_packages_that_import_it() {
    let dir = copy_of("bundle", "shared");
    let before = package(&dir, true);
    let shared = dir.join("src/lib/shared.ts");
    let code = std::fs::read_to_string(&shared).unwrap();
    std::fs::write(&shared, code.replace("\"hello\"", "\"hi\"")).unwrap();
    let after = package(&dir, true);
    let changed: Vec<&str> = before
        .keys()
        .filter(|f| before[*f]["sha256"] != after[*f]["sha256"])
        .map(String::as_str)
        .collect();
    assert_eq!(
        changed,
        ["bundle-dev-count", "bundle-dev-greet", "bundle-dev-mapped"]
    );
}

#[test]
fn the_same_inputs_give_the_same_bytes_in_another_directory_and_after_a_touch() {
    let a = copy_of("bundle", "det-a");
    let b = copy_of("bundle", "det-b");
    let pa = package(&a, true);
    let pb = package(&b, true);
    assert_eq!(pa, pb, "manifests from two directories");
    for f in pa.keys() {
        assert_eq!(zip_bytes(&a, f), zip_bytes(&b, f), "{f}");
    }
    // A file rewritten with the same content: the same package again.
    let greet = a.join("src/greet.ts");
    std::fs::write(&greet, std::fs::read(&greet).unwrap()).unwrap();
    std::fs::remove_dir_all(out_of(&a)).unwrap();
    assert_eq!(package(&a, true), pa);
    // And built from scratch, without the cache.
    std::fs::remove_dir_all(a.join(".wsdeploy")).unwrap();
    assert_eq!(package(&a, true), pa);
}

/// A scratch project with one function whose handler is `src/<file>`.
fn scratch(tag: &str, file: &str, code: &str, build: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsdeploy-build-{}", unique_name(tag)));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src").join(file), code).unwrap();
    let module = file.rsplit_once('.').unwrap().0;
    std::fs::write(
        dir.join("wsdeploy.yml"),
        format!(
            "app: scratch\nregion: us-east-1\ndefaults:\n  function:\n    runtime: nodejs22.x\n{build}routes:\n  $default: src/{module}.handler\n"
        ),
    )
    .unwrap();
    dir
}

fn package_fails(dir: &Path, with_esbuild: bool) -> String {
    let o = wsdeploy(
        &[
            "package",
            "-c",
            dir.join("wsdeploy.yml").to_str().unwrap(),
            "--out",
            out_of(dir).to_str().unwrap(),
        ],
        with_esbuild,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_typescript_syntax_error_keeps_esbuilds_file_line_column() {
    let dir = scratch(
        "syntax",
        "bad.ts",
        "export const handler = async () => {\n  const x: number = ;\n};\n",
        "",
    );
    let err = package_fails(&dir, true);
    assert!(err.contains("src/bad.ts:2:"), "{err}");
    assert!(err.contains("building `scratch-dev-default`"), "{err}");
}

#[test]
fn esbuild_missing_is_an_error_with_the_install_hint() {
    let dir = scratch("noesbuild", "a.ts", "export const handler = () => 1;\n", "");
    let err = package_fails(&dir, false);
    assert!(err.contains("esbuild was not found"), "{err}");
    assert!(err.contains("npm install --save-dev esbuild"), "{err}");
}

#[test]
fn a_missing_export_is_an_error_that_names_it() {
    let dir = scratch("export", "a.ts", "export const handle = () => 1;\n", "");
    let err = package_fails(&dir, true);
    assert!(
        err.contains("has no export `handler` (it exports: handle)"),
        "{err}"
    );
}

/// A package with a native binding (`binding.node`) and one dependency.
fn native_package(dir: &Path) {
    let pkg = dir.join("node_modules/fakenative");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        pkg.join("package.json"),
        r#"{"name":"fakenative","version":"1.0.0","main":"index.js","dependencies":{"fakedep":"1.0.0"}}"#,
    )
    .unwrap();
    std::fs::write(
        pkg.join("index.js"),
        "module.exports = require('./binding.node');\n",
    )
    .unwrap();
    std::fs::write(pkg.join("binding.node"), b"\x7fELF not really").unwrap();
    let dep = dir.join("node_modules/fakedep");
    std::fs::create_dir_all(&dep).unwrap();
    std::fs::write(
        dep.join("package.json"),
        r#"{"name":"fakedep","version":"1.0.0"}"#,
    )
    .unwrap();
    std::fs::write(dep.join("index.js"), "module.exports = 1;\n").unwrap();
}

#[test]
fn a_native_module_is_shipped_by_install_and_refused_without_it() {
    let code = "import native from \"fakenative\";\nexport const handler = () => native;\n";
    let dir = scratch("native", "a.ts", code, "");
    native_package(&dir);
    let err = package_fails(&dir, true);
    assert!(err.contains(".node"), "esbuild's message: {err}");
    assert!(err.contains("build.install"), "the hint: {err}");

    let dir = scratch(
        "install",
        "a.ts",
        code,
        "    build:\n      install: [fakenative]\n",
    );
    native_package(&dir);
    let fns = package(&dir, true);
    let files: Vec<&str> = fns["scratch-dev-default"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "node_modules/fakedep/index.js",
            "node_modules/fakedep/package.json",
            "node_modules/fakenative/binding.node",
            "node_modules/fakenative/index.js",
            "node_modules/fakenative/package.json",
            "src/a.mjs",
        ]
    );
    let bundle = unzip(&zip_bytes(&dir, "scratch-dev-default"), "install");
    let code = std::fs::read_to_string(bundle.join("src/a.mjs")).unwrap();
    assert!(
        code.contains("from \"fakenative\""),
        "left external: {code}"
    );
}

#[test]
fn unbundled_code_ships_as_it_is() {
    let dir = scratch(
        "plain",
        "a.mjs",
        "export const handler = () => 1;\n",
        "    build:\n      bundle: false\n",
    );
    std::fs::write(dir.join("src/extra.txt"), "x").unwrap();
    let fns = package(&dir, false);
    // The whole code directory, but never the config file itself.
    assert_eq!(
        fns["scratch-dev-default"]["files"],
        serde_json::json!(["src/a.mjs", "src/extra.txt"])
    );
}

/// pip reading only the wheels that tests/emulator/setup downloaded.
fn offline_pip(c: &mut Command) -> &mut Command {
    c.env("PIP_NO_INDEX", "1")
        .env("PIP_FIND_LINKS", root().join(".venv/wheelhouse"))
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
    for keep in ["HOME", "PYENV_ROOT"] {
        if let Some(v) = std::env::var_os(keep) {
            c.env(keep, v);
        }
    }
    c
}

/// `package` of a Python project, offline.
fn package_python(dir: &Path) -> BTreeMap<String, serde_json::Value> {
    let out = out_of(dir);
    let mut c = Command::new(env!("CARGO_BIN_EXE_wsdeploy"));
    c.args(["package", "-c"])
        .arg(dir.join("wsdeploy.yml"))
        .arg("--out")
        .arg(&out)
        .args(["--output", "json"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    let o = ok(offline_pip(&mut c).output().unwrap());
    let manifest: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    manifest["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap().to_owned(), f.clone()))
        .collect()
}

#[test]
fn python_requirements_are_installed_for_each_functions_architecture() {
    let dir = copy_of("python", "py");
    let fns = package_python(&dir);
    let files = |f: &str| -> Vec<String> {
        fns[f]["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_owned())
            .collect()
    };
    let (x86, arm) = (files("pyapp-dev-echo"), files("pyapp-dev-echoArm"));
    for f in [&x86, &arm] {
        assert!(f.contains(&"handlers/echo.py".to_owned()), "{f:?}");
        assert!(f.contains(&"simplejson/__init__.py".to_owned()), "{f:?}");
        assert!(
            !f.iter()
                .any(|n| n.ends_with(".pyc") || n.contains("__pycache__")),
            "{f:?}"
        );
        assert!(!f.iter().any(|n| n.ends_with("/INSTALLER")), "{f:?}");
    }
    assert!(
        x86.iter().any(|n| n.ends_with("x86_64-linux-gnu.so")),
        "{x86:?}"
    );
    assert!(!x86.iter().any(|n| n.contains("aarch64")), "{x86:?}");
    assert!(
        arm.iter().any(|n| n.ends_with("aarch64-linux-gnu.so")),
        "{arm:?}"
    );
    // The wheel's own record of its platform.
    let wheel = |bytes: &[u8]| -> String {
        let mut a = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let name = (0..a.len())
            .map(|i| a.by_index(i).unwrap().name().unwrap().into_owned())
            .find(|n| n.ends_with(".dist-info/WHEEL"))
            .unwrap();
        let mut text = String::new();
        a.by_name(&name).unwrap().read_to_string(&mut text).unwrap();
        text
    };
    assert!(wheel(&zip_bytes(&dir, "pyapp-dev-echo")).contains("manylinux2014_x86_64"));
    assert!(wheel(&zip_bytes(&dir, "pyapp-dev-echoArm")).contains("manylinux2014_aarch64"));
    // A second package reuses the installed requirements and the zip.
    let again = package_python(&dir);
    assert_eq!(again, fns);
}

#[test]
fn a_requirement_with_no_manylinux_wheel_is_an_error_naming_it() {
    let dir = copy_of("python", "pybad");
    std::fs::write(
        dir.join("requirements.txt"),
        "simplejson==3.20.1
nosuchwheel==1.0
",
    )
    .unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_wsdeploy"));
    c.args(["package", "-c"])
        .arg(dir.join("wsdeploy.yml"))
        .arg("--out")
        .arg(out_of(&dir))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    let o = offline_pip(&mut c).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("`nosuchwheel`"), "{err}");
    assert!(err.contains("manylinux"), "{err}");
}

/// Against the emulator: a change to the chat app's shared module uploads
/// the code of exactly the functions that import it, and a deploy right
/// after a deploy writes nothing.
#[test]
fn deploy_uploads_exactly_the_functions_a_change_reaches() {
    let em = Emulator::start();
    let dir = copy_of("chat", "deploy");
    let config = dir.join("wsdeploy.yml");
    let name = unique_name("bchat");
    let yml = std::fs::read_to_string(&config)
        .unwrap()
        .replace("app: chat", &format!("app: {name}"));
    std::fs::write(&config, yml).unwrap();
    ok(cli::run(&em, &config, &["deploy"]));
    em.clear_calls();
    ok(cli::run(&em, &config, &["deploy"]));
    let writes: Vec<String> = em
        .calls()
        .into_iter()
        .filter(|c| c.mutating && c.service != "logs")
        .map(|c| c.operation)
        .collect();
    assert!(
        writes.is_empty(),
        "a second deploy writes nothing: {writes:?}"
    );

    // Change what both importers of the shared module use.
    let lib = dir.join("src/lib/chat.ts");
    let code = std::fs::read_to_string(&lib).unwrap();
    let code = code
        .replace("MAX_TEXT_LENGTH = 2000", "MAX_TEXT_LENGTH = 1000")
        .replace("MAX_NAME_LENGTH = 32", "MAX_NAME_LENGTH = 16");
    std::fs::write(&lib, code).unwrap();
    let out = cli::run(&em, &config, &["diff"]);
    let plan = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut changed: Vec<&str> = plan
        .lines()
        .filter_map(|l| l.trim().strip_prefix("~ code "))
        .map(|l| l.split_whitespace().next().unwrap_or(l))
        .collect();
    changed.sort();
    assert_eq!(
        changed,
        [
            format!("{name}-dev-connect"),
            format!("{name}-dev-sendMessage")
        ],
        "{plan}"
    );
    em.clear_calls();
    ok(cli::run(&em, &config, &["deploy"]));
    let uploads = em
        .calls()
        .into_iter()
        .filter(|c| c.operation == "UpdateFunctionCode")
        .count();
    assert_eq!(uploads, 2);
    ok(cli::run(&em, &config, &["remove", "--yes"]));
}

/// Both fixtures deploy, and what Lambda reports as each function's
/// `CodeSha256` is the `sha256` of `package`'s manifest.
#[tokio::test(flavor = "multi_thread")]
async fn lambda_runs_the_packages_the_manifest_describes() {
    let em = Emulator::shared();
    let lambda = aws_sdk_lambda::Client::new(&em.sdk_config());
    for (fixture, python) in [("chat", false), ("python", true)] {
        let dir = copy_of(fixture, fixture);
        let config = dir.join("wsdeploy.yml");
        let name = unique_name("pkg");
        let yml = std::fs::read_to_string(&config).unwrap();
        let app_line = yml.lines().find(|l| l.starts_with("app:")).unwrap();
        std::fs::write(&config, yml.replace(app_line, &format!("app: {name}"))).unwrap();
        let manifest = if python {
            package_python(&dir)
        } else {
            package(&dir, true)
        };
        let mut deploy = cli::command(em, &config, &["deploy"]);
        if python {
            offline_pip(&mut deploy);
        }
        ok(deploy.output().unwrap());
        for (function, entry) in &manifest {
            let live = lambda
                .get_function()
                .function_name(function)
                .send()
                .await
                .unwrap();
            let c = live.configuration().unwrap();
            assert_eq!(c.code_sha256(), entry["sha256"].as_str(), "{function}");
            assert_eq!(c.code_size(), entry["size"].as_i64().unwrap(), "{function}");
            let arch = c.architectures()[0].as_str();
            assert_eq!(arch, entry["architecture"].as_str().unwrap(), "{function}");
        }
        let mut remove = cli::command(em, &config, &["remove", "--yes"]);
        ok(remove.output().unwrap());
    }
}

/// `--verbose` says which tool built each package, and which came from
/// the cache.
#[test]
fn verbose_names_the_bundler_and_the_cache() {
    let dir = copy_of("bundle", "verbose");
    let args = |_: ()| {
        vec![
            "package".to_owned(),
            "-v".to_owned(),
            "-c".to_owned(),
            dir.join("wsdeploy.yml").to_string_lossy().into_owned(),
            "--out".to_owned(),
            out_of(&dir).to_string_lossy().into_owned(),
        ]
    };
    let run = || {
        let a = args(());
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        let o = ok(wsdeploy(&refs, true));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let first = run();
    assert!(
        first.contains("built bundle-dev-greet with esbuild 0."),
        "{first}"
    );
    assert!(!first.contains("(cached)"), "{first}");
    let second = run();
    assert!(
        second.contains("built bundle-dev-greet with esbuild 0.") && second.contains("(cached)"),
        "{second}"
    );
}

/// Two runs building one project at once (a deploy while dev serves it)
/// both succeed, with the same packages.
#[test]
fn two_builds_of_one_project_at_once_both_succeed() {
    let dir = copy_of("bundle", "concurrent");
    let config = dir.join("wsdeploy.yml");
    let runs: Vec<_> = (0..2)
        .map(|i| {
            let config = config.clone();
            let out = dir.with_file_name(format!(
                "{}-concurrent-out-{i}",
                dir.file_name().unwrap().to_string_lossy()
            ));
            std::thread::spawn(move || {
                let o = wsdeploy(
                    &[
                        "package",
                        "-c",
                        config.to_str().unwrap(),
                        "--out",
                        out.to_str().unwrap(),
                    ],
                    true,
                );
                (ok(o), out)
            })
        })
        .collect();
    let outs: Vec<PathBuf> = runs.into_iter().map(|r| r.join().unwrap().1).collect();
    let read = |out: &Path| std::fs::read(out.join("bundle-dev-greet.zip")).unwrap();
    assert_eq!(read(&outs[0]), read(&outs[1]));
}
