//! Tests of the Python dependency install: pure ones (platform tags, command
//! lines, installer messages, normalisation) and ones that run pip against a
//! wheelhouse they build, never the network.

use std::collections::BTreeMap;
use std::io::Write as _;

use base64::Engine as _;
use zip::write::SimpleFileOptions;

use super::installer::find_on_path;
use super::normalize::record_path;
use super::*;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wsdeploy-py-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes `<name>-1.0-<tag>.whl` into `dir`, with a valid dist-info.
fn wheel(dir: &Path, name: &str, tag: &str, files: &[(&str, &str)]) {
    let dist_info = format!("{name}-1.0.dist-info");
    let purelib = tag.ends_with("-any");
    let mut all: Vec<(String, String)> = files
        .iter()
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect();
    all.push((
        format!("{dist_info}/METADATA"),
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"),
    ));
    all.push((
        format!("{dist_info}/WHEEL"),
        format!(
            "Wheel-Version: 1.0\nGenerator: wsdeploy-tests\nRoot-Is-Purelib: {purelib}\nTag: {tag}\n"
        ),
    ));
    let mut record = String::new();
    for (path, content) in &all {
        let digest = Sha256::digest(content.as_bytes());
        let hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        record.push_str(&format!("{path},sha256={hash},{}\n", content.len()));
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));
    all.push((format!("{dist_info}/RECORD"), record));
    let file = std::fs::File::create(dir.join(format!("{name}-1.0-{tag}.whl"))).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    for (path, content) in all {
        zip.start_file(path, SimpleFileOptions::default()).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

/// A wheelhouse with a platform wheel for each architecture (each says
/// which it is), a pure wheel (with bytecode and a data file) and a
/// macOS-only one.
fn wheelhouse(root: &Path) -> PathBuf {
    let dir = root.join("wheels");
    std::fs::create_dir_all(&dir).unwrap();
    let entry_points = (
        "fakepkg-1.0.dist-info/entry_points.txt",
        "[console_scripts]\nfakecli = fakepkg:main\n",
    );
    for arch in ["x86_64", "aarch64"] {
        let tag = format!("manylinux2014_{arch}");
        let init = format!("PLATFORM = '{tag}'\ndef main():\n    print(PLATFORM)\n");
        let files = [("fakepkg/__init__.py", init.as_str()), entry_points];
        wheel(&dir, "fakepkg", &format!("cp312-cp312-{tag}"), &files);
    }
    let pure = [
        ("purepkg/__init__.py", "X = 1\n"),
        (
            "purepkg/__pycache__/__init__.cpython-312.pyc",
            "not really bytecode",
        ),
        ("purepkg-1.0.data/data/share/purepkg/notes.txt", "notes\n"),
    ];
    wheel(&dir, "purepkg", "py3-none-any", &pure);
    let mac = [("localonly.py", "X = 1\n")];
    wheel(&dir, "localonly", "cp312-cp312-macosx_11_0_arm64", &mac);
    dir
}

/// Options that keep the installer off the network: the local wheelhouse only.
fn offline(wheels: &Path, installer: Installer) -> Options {
    let env = [
        ("PIP_NO_INDEX", OsString::from("1")),
        ("PIP_FIND_LINKS", wheels.into()),
        ("PIP_CONFIG_FILE", OsString::from("/dev/null")),
        ("UV_OFFLINE", OsString::from("1")),
        ("UV_FIND_LINKS", wheels.into()),
        ("UV_NO_CONFIG", OsString::from("1")),
        ("UV_PYTHON_DOWNLOADS", OsString::from("never")),
        ("UV_CACHE_DIR", wheels.join("../uv-cache").into()),
    ];
    Options {
        installer: Some(installer),
        env: env.into_iter().map(|(k, v)| (k.into(), v)).collect(),
    }
}

fn pip() -> Installer {
    Installer::Pip(PathBuf::from("python3"))
}

fn target(python: &str, arch: Arch) -> Target {
    Target {
        python: python.to_string(),
        arch,
    }
}

fn requirements(root: &Path, name: &str, text: &str) -> PathBuf {
    let path = root.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Every file and directory under `dir`, relative, with file contents.
fn tree(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Option<Vec<u8>>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                out.insert(format!("{rel}/"), None);
                walk(root, &path, out);
            } else {
                out.insert(rel, Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn runtime_python_reads_the_version() {
    assert_eq!(runtime_python("python3.12").as_deref(), Some("3.12"));
    assert_eq!(runtime_python("python3.9").as_deref(), Some("3.9"));
    assert_eq!(runtime_python("python3.14").as_deref(), Some("3.14"));
    for other in [
        "nodejs22.x",
        "python3",
        "python3.12.x",
        "python",
        "provided.al2023",
        "python3.a",
    ] {
        assert_eq!(runtime_python(other), None, "{other}");
    }
    assert_eq!(
        Target::new("python3.13", "arm64"),
        Some(target("3.13", Arch::Arm64))
    );
    assert_eq!(Target::new("python3.13", "aarch64"), None);
}

#[test]
fn platform_tags_stop_at_the_lambda_images_glibc() {
    let al2023 = target("3.12", Arch::X86_64).pip_platforms();
    assert_eq!(al2023[0], "manylinux_2_34_x86_64");
    assert_eq!(al2023[al2023.len() - 1], "manylinux1_x86_64");
    for tag in [
        "manylinux2014_x86_64",
        "manylinux_2_17_x86_64",
        "manylinux_2_28_x86_64",
        "manylinux2010_x86_64",
    ] {
        assert!(al2023.contains(&tag.to_string()), "{tag}");
    }
    let al2 = target("3.11", Arch::X86_64).pip_platforms();
    assert_eq!(al2[0], "manylinux_2_26_x86_64");
    assert!(!al2.contains(&"manylinux_2_28_x86_64".to_string()));
    let arm = target("3.13", Arch::Arm64).pip_platforms();
    assert_eq!(arm[0], "manylinux_2_34_aarch64");
    assert_eq!(
        arm[arm.len() - 2..],
        ["manylinux_2_17_aarch64", "manylinux2014_aarch64"]
    );
    assert_eq!(
        target("3.12", Arch::Arm64).uv_platform(),
        "aarch64-manylinux_2_34"
    );
    assert_eq!(
        target("3.10", Arch::X86_64).uv_platform(),
        "x86_64-manylinux_2_17"
    );
}

#[test]
fn pip_and_uv_command_lines() {
    let (req, dest) = (Path::new("/p/requirements.txt"), Path::new("/c/tmp"));
    let t = target("3.12", Arch::Arm64);
    let uv = Installer::Uv(PathBuf::from("uv")).args(req, &t, dest);
    let uv: Vec<&str> = uv.iter().map(|a| a.to_str().unwrap()).collect();
    assert_eq!(
        uv,
        [
            "pip",
            "install",
            "--python-platform",
            "aarch64-manylinux_2_34",
            "--python-version",
            "3.12",
            "--only-binary",
            ":all:",
            "--target",
            "/c/tmp",
            "-r",
            "/p/requirements.txt",
        ]
    );
    let pip = pip().args(req, &t, dest);
    let pip: Vec<&str> = pip.iter().map(|a| a.to_str().unwrap()).collect();
    assert_eq!(
        pip[..5],
        [
            "-m",
            "pip",
            "install",
            "--platform",
            "manylinux_2_34_aarch64"
        ]
    );
    let platforms = pip.iter().filter(|a| **a == "--platform").count();
    assert_eq!(platforms, t.pip_platforms().len());
    let tail = [
        "--python-version",
        "3.12",
        "--implementation",
        "cp",
        "--only-binary=:all:",
        "--no-compile",
        "--disable-pip-version-check",
        "--no-input",
        "--target",
        "/c/tmp",
        "-r",
        "/p/requirements.txt",
    ];
    assert_eq!(pip[pip.len() - tail.len()..], tail);
}

#[test]
fn each_architecture_gets_its_own_wheel() {
    let root = scratch("arch");
    let wheels = wheelhouse(&root);
    let req = requirements(&root, "requirements.txt", "fakepkg\npurepkg==1.0\n");
    for (arch, tag) in [
        (Arch::X86_64, "manylinux2014_x86_64"),
        (Arch::Arm64, "manylinux2014_aarch64"),
    ] {
        let t = target("3.12", arch);
        let got = install_with(&req, &t, &root.join("cache"), &offline(&wheels, pip())).unwrap();
        assert_eq!(got.installer, Some("pip"));
        let init = std::fs::read_to_string(got.dir.join("fakepkg/__init__.py")).unwrap();
        assert!(
            init.contains(&format!("PLATFORM = '{tag}'")),
            "{arch:?}: {init}"
        );
        let wheel = std::fs::read_to_string(got.dir.join("fakepkg-1.0.dist-info/WHEEL")).unwrap();
        assert!(
            wheel.contains(&format!("Tag: cp312-cp312-{tag}")),
            "{wheel}"
        );
        assert!(got.dir.join("purepkg/__init__.py").is_file());
    }
}

#[test]
fn a_requirement_with_only_a_macos_wheel_is_an_error_naming_it() {
    let root = scratch("macos");
    let wheels = wheelhouse(&root);
    let req = requirements(&root, "requirements.txt", "purepkg\nlocalonly\n");
    let cache = root.join("cache");
    let t = target("3.12", Arch::X86_64);
    let err = install_with(&req, &t, &cache, &offline(&wheels, pip())).unwrap_err();
    let PythonError::NoWheel { missing, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(
        missing,
        &[Missing {
            name: "localonly".into(),
            reason: MissingReason::NoWheelOrNotFound
        }]
    );
    let text = err.to_string();
    assert!(text.contains("`localonly`: no version has a manylinux wheel (glibc 2.34 or older) for x86_64 and CPython 3.12"), "{text}");
    assert!(
        text.contains("No matching distribution found for localonly"),
        "{text}"
    );
    // Nothing half-made is left for a later install to reuse.
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 0);
}

#[test]
fn two_installs_give_the_same_normalised_tree() {
    let root = scratch("same");
    let wheels = wheelhouse(&root);
    let req = requirements(&root, "requirements.txt", "fakepkg\npurepkg\n");
    let t = target("3.12", Arch::X86_64);
    let options = offline(&wheels, pip());
    let a = install_with(&req, &t, &root.join("cache-a"), &options)
        .unwrap()
        .dir;
    let b = install_with(&req, &t, &root.join("cache-b"), &options)
        .unwrap()
        .dir;
    let (ta, tb) = (tree(&a), tree(&b));
    assert_eq!(ta, tb);
    for path in ta.keys() {
        let forbidden = [
            "__pycache__",
            ".pyc",
            "/INSTALLER",
            "/REQUESTED",
            "direct_url.json",
            "bin/",
        ];
        assert!(!forbidden.iter().any(|f| path.contains(f)), "{path}");
    }
    assert!(
        ta.contains_key("share/purepkg/notes.txt"),
        "{:?}",
        ta.keys()
    );
    let record = std::fs::read_to_string(a.join("purepkg-1.0.dist-info/RECORD")).unwrap();
    assert_eq!(
        record.lines().map(record_path).collect::<Vec<_>>(),
        [
            "purepkg-1.0.dist-info/METADATA",
            "purepkg-1.0.dist-info/RECORD",
            "purepkg-1.0.dist-info/WHEEL",
            "purepkg/__init__.py",
            "share/purepkg/notes.txt",
        ]
    );
    assert!(!record.contains('\r'));
    let record = std::fs::read_to_string(a.join("fakepkg-1.0.dist-info/RECORD")).unwrap();
    assert!(
        !record.contains("bin/") && !record.contains("INSTALLER"),
        "{record}"
    );
}

#[test]
fn the_cache_is_reused_and_keyed_by_the_requirements() {
    let root = scratch("cache");
    let wheels = wheelhouse(&root);
    let cache = root.join("cache");
    let req = requirements(&root, "requirements.txt", "purepkg\n");
    let t = target("3.12", Arch::Arm64);
    let first = install_with(&req, &t, &cache, &offline(&wheels, pip())).unwrap();
    assert_eq!(first.installer, Some("pip"));
    // An installer that cannot run: the entry is reused without it.
    let broken = offline(&wheels, Installer::Pip(root.join("no-such-python")));
    let again = install_with(&req, &t, &cache, &broken).unwrap();
    assert_eq!(
        again,
        Installed {
            dir: first.dir.clone(),
            installer: None
        }
    );
    let other_arch = install_with(&req, &target("3.12", Arch::X86_64), &cache, &broken);
    assert!(matches!(other_arch, Err(PythonError::NoInstaller { .. })));
    std::fs::write(&req, "purepkg\nfakepkg\n").unwrap();
    let changed = install_with(&req, &t, &cache, &offline(&wheels, pip())).unwrap();
    assert_ne!(changed.dir, first.dir);
    assert!(changed.dir.join("fakepkg/__init__.py").is_file());
    assert!(first.dir.is_dir() && !first.dir.join("fakepkg").exists());
}

#[test]
fn a_file_of_comments_lists_no_requirements() {
    for text in [
        "",
        "\n\n",
        "# nothing yet\n",
        "  # indented\n\t\n",
        "\u{feff}# bom\r\n",
    ] {
        assert!(!lists_requirements(text.as_bytes()), "{text:?}");
    }
    for text in [
        "requests\n",
        "# a comment\nrequests==2.32.3  # pinned\n",
        "-r other.txt\n",
        "--index-url https://example.com/simple\n",
        "pkg@https://example.com/pkg.whl#sha256=00\n",
    ] {
        assert!(lists_requirements(text.as_bytes()), "{text:?}");
    }
}

#[test]
fn a_file_with_no_requirements_installs_nothing_and_runs_no_installer() {
    let root = scratch("empty");
    let req = requirements(&root, "requirements.txt", "# Add packages here.\n\n");
    // An installer that cannot run: it must not be needed.
    let options = Options {
        installer: Some(Installer::Pip(root.join("no-such-python"))),
        env: Vec::new(),
    };
    let t = target("3.13", Arch::Arm64);
    let got = install_with(&req, &t, &root.join("cache"), &options).unwrap();
    assert_eq!(got.installer, None);
    assert!(got.dir.is_dir());
    assert_eq!(std::fs::read_dir(&got.dir).unwrap().count(), 0);
    // Reused as any entry is.
    let again = install_with(&req, &t, &root.join("cache"), &options).unwrap();
    assert_eq!(again.dir, got.dir);
}

#[test]
fn no_installer_is_an_error_with_a_hint() {
    let root = scratch("none");
    let req = requirements(&root, "requirements.txt", "purepkg\n");
    let options = Options {
        installer: Some(Installer::Pip(root.join("python3"))),
        env: Vec::new(),
    };
    let err = install_with(
        &req,
        &target("3.12", Arch::X86_64),
        &root.join("c"),
        &options,
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, PythonError::NoInstaller { .. }), "{text}");
    assert!(text.contains("`uv` is not on PATH"), "{text}");
    assert!(text.contains("python3 -m ensurepip"), "{text}");
    let bad = install(&req, &target("3", Arch::X86_64), &root.join("c")).unwrap_err();
    assert!(matches!(bad, PythonError::BadTarget { .. }), "{bad}");
}

#[test]
fn installer_messages_name_the_missing_requirement() {
    let pip_says = "ERROR: Could not find a version that satisfies the requirement localonly==1.0 (from versions: none)\nERROR: No matching distribution found for localonly==1.0\n";
    let reason = MissingReason::NoWheelOrNotFound;
    assert_eq!(
        pip_missing(pip_says),
        [Missing {
            name: "localonly".into(),
            reason
        }]
    );
    let uv_says = "Using CPython 3.11.7 interpreter at: /usr/bin/python3\n\
        error: No solution found when resolving dependencies\n  \
        cause: Because localonly==1.0 has no wheels with a matching platform tag (e.g., `manylinux_2_34_aarch64`) and only localonly==1.0 is available, we can conclude that all versions of localonly cannot be used.\n         \
        And because you require localonly, we can conclude that your requirements are unsatisfiable.\n\n\
        hint: Wheels are available for `localonly` (v1.0) on the following platform: `macosx_11_0_arm64`\n";
    let reason = MissingReason::NoWheel;
    assert_eq!(
        uv_missing(uv_says),
        [Missing {
            name: "localonly".into(),
            reason
        }]
    );
    let uv_tty = "  × No solution found when resolving dependencies:\n  ╰─▶ torch<=2.4.1 has no wheels with a matching Python ABI tag (cp313)\n      and all versions of triton have no usable wheels, and nothere was not found in the package registry\n";
    let names: Vec<_> = uv_missing(uv_tty)
        .into_iter()
        .map(|m| (m.name, m.reason))
        .collect();
    assert_eq!(
        names,
        [
            ("torch".to_string(), MissingReason::NoWheel),
            ("triton".to_string(), MissingReason::NoWheel),
            ("nothere".to_string(), MissingReason::NotFound),
        ]
    );
    assert!(pip_missing("ERROR: Could not open requirements file").is_empty());
    assert!(uv_missing("error: Failed to fetch: `https://pypi.org/simple/x/`").is_empty());
}

/// What pip and uv wrote for the same wheel (as observed with pip 23.2
/// and uv 0.13), normalised to the same tree.
#[test]
fn pip_and_uv_trees_normalise_the_same() {
    let root = scratch("trees");
    let write = |dir: &Path, files: &[(&str, &str)]| {
        for (path, content) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
    };
    let common = [
        ("fakepkg/__init__.py", "X = 1\n"),
        ("fakepkg-1.0.dist-info/METADATA", "Name: fakepkg\n"),
        ("fakepkg-1.0.dist-info/WHEEL", "Tag: py3-none-any\n"),
        ("share/fakepkg/notes.txt", "notes\n"),
    ];
    let (pip_dir, uv_dir) = (root.join("pip"), root.join("uv"));
    write(&pip_dir, &common);
    write(&uv_dir, &common);
    write(
        &pip_dir,
        &[
            (
                "bin/fakecli",
                "#!/usr/local/bin/python3.11\n# pip's template\n",
            ),
            ("fakepkg/__pycache__/__init__.cpython-312.pyc", "bytecode"),
            ("fakepkg-1.0.dist-info/INSTALLER", "pip\n"),
            ("fakepkg-1.0.dist-info/REQUESTED", ""),
            ("fakepkg-1.0.dist-info/direct_url.json", "{}"),
            (
                "fakepkg-1.0.dist-info/RECORD",
                "../../bin/fakecli,sha256=P,40\r\n../../share/fakepkg/notes.txt,sha256=N,6\r\nfakepkg-1.0.dist-info/INSTALLER,sha256=I,4\r\nfakepkg-1.0.dist-info/METADATA,sha256=M,14\r\nfakepkg-1.0.dist-info/RECORD,,\r\nfakepkg-1.0.dist-info/REQUESTED,sha256=R,0\r\nfakepkg-1.0.dist-info/WHEEL,sha256=W,18\r\nfakepkg-1.0.dist-info/direct_url.json,sha256=D,2\r\nfakepkg/__init__.py,sha256=F,6\r\nfakepkg/__pycache__/__init__.cpython-312.pyc,,\r\n",
            ),
        ],
    );
    write(
        &uv_dir,
        &[
            (".lock", ""),
            (
                "bin/fakecli",
                "#!/home/me/.venv/bin/python\n# uv's template\n",
            ),
            ("fakepkg-1.0.dist-info/INSTALLER", "uv"),
            ("fakepkg-1.0.dist-info/REQUESTED", ""),
            ("fakepkg-1.0.dist-info/uv_cache.json", "{}"),
            (
                "fakepkg-1.0.dist-info/RECORD",
                "fakepkg/__init__.py,sha256=F,6\nbin/fakecli,sha256=U,44\nfakepkg-1.0.dist-info/INSTALLER,sha256=I2,2\nfakepkg-1.0.dist-info/METADATA,sha256=M,14\nfakepkg-1.0.dist-info/RECORD,,\nfakepkg-1.0.dist-info/REQUESTED,sha256=R,0\nfakepkg-1.0.dist-info/WHEEL,sha256=W,18\nfakepkg-1.0.dist-info/uv_cache.json,sha256=C,2\nshare/fakepkg/notes.txt,sha256=N,6\n",
            ),
        ],
    );
    normalize(&pip_dir).unwrap();
    normalize(&uv_dir).unwrap();
    let (tp, tu) = (tree(&pip_dir), tree(&uv_dir));
    assert_eq!(tp, tu);
    assert_eq!(
        tp.keys().collect::<Vec<_>>(),
        [
            "fakepkg-1.0.dist-info/",
            "fakepkg-1.0.dist-info/METADATA",
            "fakepkg-1.0.dist-info/RECORD",
            "fakepkg-1.0.dist-info/WHEEL",
            "fakepkg/",
            "fakepkg/__init__.py",
            "share/",
            "share/fakepkg/",
            "share/fakepkg/notes.txt",
        ]
    );
    assert_eq!(
        std::fs::read_to_string(pip_dir.join("fakepkg-1.0.dist-info/RECORD")).unwrap(),
        "fakepkg-1.0.dist-info/METADATA,sha256=M,14\nfakepkg-1.0.dist-info/RECORD,,\n\
         fakepkg-1.0.dist-info/WHEEL,sha256=W,18\nfakepkg/__init__.py,sha256=F,6\n\
         share/fakepkg/notes.txt,sha256=N,6\n"
    );
    assert_eq!(record_path("\"a,\"\"b\"\".py\",sha256=x,1"), "a,\"b\".py");
}

/// Runs only where `uv` is on PATH (it is not on the development machine).
#[test]
fn uv_installs_the_same_tree_as_pip() {
    let Some(uv) = find_on_path("uv") else {
        eprintln!("uv is not on PATH: uv_installs_the_same_tree_as_pip skipped");
        return;
    };
    let root = scratch("uv");
    let wheels = wheelhouse(&root);
    let req = requirements(&root, "requirements.txt", "fakepkg\npurepkg\n");
    let t = target("3.12", Arch::Arm64);
    let by_uv = install_with(
        &req,
        &t,
        &root.join("uv"),
        &offline(&wheels, Installer::Uv(uv.clone())),
    );
    let by_uv = by_uv.unwrap();
    assert_eq!(by_uv.installer, Some("uv"));
    let by_pip = install_with(&req, &t, &root.join("pip"), &offline(&wheels, pip())).unwrap();
    assert_eq!(tree(&by_uv.dir), tree(&by_pip.dir));
    let bad = requirements(&root, "bad.txt", "purepkg\nlocalonly\n");
    let err = install_with(
        &bad,
        &t,
        &root.join("uv"),
        &offline(&wheels, Installer::Uv(uv)),
    );
    let err = err.unwrap_err();
    assert!(
        matches!(&err, PythonError::NoWheel { missing, .. } if missing[0].name == "localonly"),
        "{err}"
    );
}
