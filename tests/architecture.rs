//! The shape of `src/`, checked: imports between source files run one way
//! (no cycle, a folder's `mod.rs` and the files of that folder aside), no
//! source file is over 1,000 lines and no function over 100 (tables are
//! data, not functions, and are not counted).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every source file by its module path (`crate::aws::observe`).
fn modules() -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&src(), &mut files);
    files
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "main.rs"))
        .map(|p| {
            let rel = p.strip_prefix(src()).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            let mut path = vec!["crate".to_owned()];
            path.extend(parts);
            (path.join("::"), p)
        })
        .collect()
}

/// The code of a file without comments.
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Paths a file names: `crate::...` and `super::...` anywhere, with `use`
/// groups (`use crate::a::{b, c::d}`) expanded.
fn paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let rest: String = bytes[i..bytes.len().min(i + 7)].iter().collect();
        let boundary = i == 0
            || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_' || bytes[i - 1] == ':');
        if boundary && (rest.starts_with("crate::") || rest.starts_with("super::")) {
            let (tree, end) = read_tree(&bytes, i);
            expand(&tree, &mut out);
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// Reads a path with optional `{...}` groups starting at `i`; returns its
/// text and where it ends.
fn read_tree(s: &[char], mut i: usize) -> (String, usize) {
    let mut t = String::new();
    let mut depth = 0;
    while i < s.len() {
        let c = s[i];
        if c == '{' {
            depth += 1;
        } else if c == '}' {
            if depth == 0 {
                break;
            }
            depth -= 1;
        } else if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':') {
            break;
        }
        if !c.is_whitespace() {
            t.push(c);
        }
        i += 1;
        if depth == 0 && c == '}' {
            break;
        }
    }
    (t, i)
}

fn expand(tree: &str, out: &mut Vec<String>) {
    let Some(open) = tree.find('{') else {
        out.push(tree.trim_end_matches("::").to_owned());
        return;
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.len() - 1];
    let mut depth = 0;
    let mut start = 0;
    let mut items = Vec::new();
    for (k, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    for item in items.into_iter().filter(|s| !s.is_empty()) {
        let item = item.split(" as ").next().unwrap_or(item);
        if item == "self" {
            out.push(prefix.trim_end_matches("::").to_owned());
        } else {
            expand(&format!("{prefix}{item}"), out);
        }
    }
}

/// The file a path lands in: its longest prefix that is a module.
fn resolve(path: &str, from: &str, mods: &BTreeMap<String, PathBuf>) -> Option<String> {
    let mut segs: Vec<&str> = path.split("::").collect();
    let mut base: Vec<&str> = from.split("::").collect();
    let mut absolute: Vec<String> = Vec::new();
    if segs[0] == "super" {
        while segs.first() == Some(&"super") {
            segs.remove(0);
            base.pop();
        }
        absolute.extend(base.iter().map(|s| s.to_string()));
    }
    absolute.extend(segs.iter().map(|s| s.to_string()));
    (1..=absolute.len())
        .rev()
        .map(|n| absolute[..n].join("::"))
        .find(|m| mods.contains_key(m))
}

/// The files of a folder may use what their `mod.rs` holds (the folder's
/// shared types); the other way is an edge like any other.
fn exempt(from: &str, to: &str) -> bool {
    from.rsplit_once("::").map(|(p, _)| p) == Some(to)
}

/// Paths that start at a child module a file declares (`mod api;` then
/// `api::read_api`), made absolute.
fn child_paths(code: &str, module: &str) -> Vec<String> {
    let children: Vec<String> = code
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix("pub ").unwrap_or(l);
            let rest = rest.strip_prefix("pub(crate) ").unwrap_or(rest);
            rest.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_owned)
        })
        .collect();
    let mut out = Vec::new();
    for child in children {
        let needle = format!("{child}::");
        for (i, _) in code.match_indices(&needle) {
            let before = code[..i].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            out.push(format!("{module}::{child}"));
        }
    }
    out
}

#[test]
fn imports_between_source_files_have_no_cycle() {
    let mods = modules();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, file) in &mods {
        let text = code(&std::fs::read_to_string(file).unwrap());
        let children = child_paths(&text, m);
        for p in paths(&text).into_iter().chain(children) {
            if let Some(to) = resolve(&p, m, &mods)
                && &to != m
                && to != "crate"
                && !exempt(m, &to)
            {
                edges.entry(m.clone()).or_default().insert(to);
            }
        }
    }
    // Every cycle shows up as a path back to its start.
    let mut cycles = Vec::new();
    for start in mods.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, trail)) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                if next == start {
                    cycles.push(trail.join(" -> ") + " -> " + start);
                } else if seen.insert(next.clone()) {
                    let mut t = trail.clone();
                    t.push(next.clone());
                    stack.push((next.clone(), t));
                }
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn no_source_file_over_1000_lines_and_no_function_over_100() {
    let mut long = Vec::new();
    for file in modules().values() {
        let text = std::fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        if lines.len() > 1000 {
            long.push(format!("{}: {} lines", file.display(), lines.len()));
        }
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim_start();
            let is_fn = [
                "fn ",
                "pub fn ",
                "async fn ",
                "pub async fn ",
                "pub(crate) fn ",
                "pub(super) fn ",
                "pub(crate) async fn ",
                "pub(super) async fn ",
            ]
            .iter()
            .any(|p| t.starts_with(p));
            if !is_fn || t.ends_with(';') {
                continue;
            }
            let indent = line.len() - t.len();
            let close = format!("{}}}", " ".repeat(indent));
            let end = lines[i + 1..]
                .iter()
                .position(|l| l.trim_end() == close)
                .map_or(lines.len(), |k| i + 1 + k);
            if end - i + 1 > 100 {
                long.push(format!(
                    "{}:{}: a function of {} lines",
                    file.display(),
                    i + 1,
                    end - i + 1
                ));
            }
        }
    }
    assert!(long.is_empty(), "too long:\n{}", long.join("\n"));
}
