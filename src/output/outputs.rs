//! The outputs of a deployed stage as text (`deploy`, `info`); JSON is the
//! `Outputs` type serialised, on stdout or in the file `--outputs-file`
//! names.

use std::fmt::Write as _;
use std::path::Path;

use crate::pipeline::outputs::Outputs;

pub fn text(o: &Outputs) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "url: {}", o.url);
    let _ = writeln!(s, "managementEndpoint: {}", o.management_endpoint);
    if let Some(d) = &o.custom_domain_url {
        let _ = writeln!(s, "customDomainUrl: {d}");
    }
    if let Some(t) = &o.custom_domain_target {
        let _ = writeln!(
            s,
            "customDomainTarget: {t}  (point a CNAME for the domain at it)"
        );
    }
    let _ = writeln!(s, "functions:");
    for (k, arn) in &o.functions {
        let _ = writeln!(s, "  {k}: {arn}");
    }
    s
}

/// Writes the outputs to `path` as JSON, the document `info --output json`
/// prints, for a later step of a CI job. Missing directories are made. The
/// file is written beside its final name and renamed over it, so a reader
/// never sees half of it.
pub fn write_file(path: &Path, o: &Outputs) -> std::io::Result<()> {
    let mut value = serde_json::to_value(o).map_err(std::io::Error::other)?;
    super::secrets::mask_json(&mut value);
    let mut text = serde_json::to_string_pretty(&value).map_err(std::io::Error::other)?;
    text.push('\n');
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let partial = path.with_file_name(format!(".{name}.{}.partial", std::process::id()));
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&partial);
    })
}
