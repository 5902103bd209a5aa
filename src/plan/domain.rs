//! Planning a custom domain: the ACM certificate wsdeploy requests (or the
//! configured one), the API Gateway domain name, this stage's API mapping
//! and the Route 53 alias records. The domain name, its records and its
//! certificate are shared by the apps mapped on the domain; they go with
//! the last mapping.

use crate::state::{Domain, State};

use super::diff::{action, change};
use super::{Action, Change, Field, Op, Resource};

pub(super) fn plan_domains(desired: &State, observed: &State, out: &mut Vec<Action>) {
    for (name, want) in &desired.domains {
        let have = observed.domains.get(name);
        if want.certificate.managed {
            out.extend(certificate(name, have));
        }
        out.extend(domain_name(name, want, have));
        out.extend(mapping(name, want, have));
        out.extend(records(name, want, have));
    }
    for (name, have) in &observed.domains {
        if !desired.domains.contains_key(name) {
            plan_domain_removal(name, have, out);
        }
    }
}

/// The certificate wsdeploy requests: request it, wait for its validation,
/// or replace it when ACM gave up on it.
fn certificate(name: &str, have: Option<&Domain>) -> Option<Action> {
    let r = Resource::Certificate(name.to_owned());
    let cert = have
        .map(|h| &h.certificate)
        .filter(|c| c.managed && c.arn.is_some());
    match cert.and_then(|c| c.status.as_deref()) {
        None => Some(action(
            Op::Create,
            r,
            vec![Change {
                field: Field::Validation,
                old: None,
                new: Some("DNS".to_owned()),
                sensitive: false,
            }],
        )),
        Some("ISSUED") => None,
        Some("PENDING_VALIDATION") => Some(Action {
            op: Op::Update,
            resource: r,
            changes: vec![],
            reason: Some("waiting for DNS validation".to_owned()),
            widens: Vec::new(),
        }),
        Some(status) => Some(Action {
            op: Op::Replace,
            resource: r,
            changes: vec![],
            reason: Some(format!(
                "the certificate is {status}{}",
                cert.and_then(|c| c.reason.as_deref())
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            )),
            widens: Vec::new(),
        }),
    }
}

/// The API Gateway domain name: create it, or point it at the configured
/// certificate, or at the one wsdeploy requested once that one exists.
fn domain_name(name: &str, want: &Domain, have: Option<&Domain>) -> Option<Action> {
    let r = Resource::DomainName(name.to_owned());
    let Some(h) = have.filter(|h| h.exists) else {
        return Some(action(Op::Create, r, vec![]));
    };
    let target = if !want.certificate.managed {
        Some(&want.certificate.arn)
    } else if h.certificate.managed && h.certificate.arn.is_some() {
        Some(&h.certificate.arn)
    } else {
        None
    };
    let target = target.filter(|t| **t != h.domain_certificate_arn)?;
    Some(action(
        Op::Update,
        r,
        change(
            Field::Certificate,
            h.domain_certificate_arn.clone(),
            target.clone(),
        )
        .into_iter()
        .collect(),
    ))
}

/// A mapping key as the plan shows it.
fn path_text(m: Option<&String>) -> Option<String> {
    m.map(|k| {
        if k.is_empty() {
            "(root)".to_owned()
        } else {
            format!("/{k}")
        }
    })
}

/// This stage's API mapping on the domain.
fn mapping(name: &str, want: &Domain, have: Option<&Domain>) -> Option<Action> {
    let r = Resource::ApiMapping(name.to_owned());
    match have.and_then(|h| h.mapping.as_ref()) {
        None => Some(action(
            Op::Create,
            r,
            change(Field::Path, None, path_text(want.mapping.as_ref()))
                .into_iter()
                .collect(),
        )),
        Some(k) if Some(k) != want.mapping.as_ref() => Some(action(
            Op::Update,
            r,
            change(
                Field::Path,
                path_text(Some(k)),
                path_text(want.mapping.as_ref()),
            )
            .into_iter()
            .collect(),
        )),
        Some(_) => None,
    }
}

/// The alias records, when wsdeploy manages the domain's DNS.
fn records(name: &str, want: &Domain, have: Option<&Domain>) -> Option<Action> {
    let r = Resource::DnsRecords(name.to_owned());
    let have_records = have.is_some_and(|h| h.records);
    if want.records && !have_records {
        Some(action(
            Op::Create,
            r,
            change(Field::Zone, None, want.zone.clone())
                .into_iter()
                .collect(),
        ))
    } else if !want.records && have_records {
        Some(action(Op::Delete, r, vec![]))
    } else {
        None
    }
}

/// A domain the config no longer has: this stage's mapping goes; the
/// shared parts go with the last mapping.
fn plan_domain_removal(name: &str, have: &Domain, out: &mut Vec<Action>) {
    let delete = |r: fn(String) -> Resource| action(Op::Delete, r(name.to_owned()), vec![]);
    if have.mapping.is_some() {
        out.push(delete(Resource::ApiMapping));
    }
    if have.other_mappings > 0 {
        return;
    }
    if have.records {
        out.push(delete(Resource::DnsRecords));
    }
    if have.exists {
        out.push(delete(Resource::DomainName));
    }
    if have.certificate.managed && have.certificate.arn.is_some() {
        out.push(delete(Resource::Certificate));
    }
}
