//! The outputs of a deployed stage as text (`deploy`, `info`); JSON is the
//! `Outputs` type serialised.

use std::fmt::Write as _;

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
