//! `domain`: the custom domain's name, hosted zone, API mapping path,
//! certificate and `external` DNS. Needs the region (a WebSocket custom
//! domain is regional, and so is its certificate).

use super::Validator;
use super::checks::{check_domain_name, is_mapping_path, parse_acm_arn};
use crate::config::model::Domain;
use crate::config::raw::{RawDomain, RawDomainSettings};
use crate::config::read::S;
use crate::names::default_zone;

impl Validator<'_, '_, '_> {
    /// The custom domain, `None` when it is invalid (after reporting) or
    /// has no name (reported when it was read).
    pub(super) fn check_domain(&mut self, d: &RawDomain) -> Option<Domain> {
        let owned;
        let (s, name_path) = match d {
            RawDomain::Name(n) => {
                owned = RawDomainSettings {
                    name: Some(n.clone()),
                    ..Default::default()
                };
                (&owned, "domain")
            }
            RawDomain::Settings(s) => (s, "domain.name"),
        };
        let name = s.name.as_ref()?;
        let lower = name.value.to_ascii_lowercase();
        let mut ok = self.check_name(name, &lower, name_path);
        let hosted_zone = match &s.hosted_zone {
            Some(z) => {
                let (zone, zone_ok) = self.hosted_zone(z, name, &lower, ok);
                ok &= zone_ok;
                zone
            }
            None => default_zone(&lower),
        };
        let path = s.path.as_ref().filter(|p| !p.value.is_empty()).map(|p| {
            ok &= self.check_mapping_path(p);
            p.value.clone()
        });
        if let Some(arn) = &s.certificate_arn {
            ok &= self.check_certificate(arn);
        }
        ok &= self.check_external(s, name);
        ok.then(|| Domain {
            name: lower,
            hosted_zone,
            path,
            certificate_arn: s.certificate_arn.as_ref().map(|a| a.value.clone()),
            external: s.external.as_ref().is_some_and(|b| b.value),
        })
    }

    fn check_name(&mut self, name: &S<String>, lower: &str, path: &str) -> bool {
        let Err(why) = check_domain_name(lower, true) else {
            return true;
        };
        let why = if name.interpolated {
            "see the rules below".to_owned()
        } else {
            why
        };
        self.err_hint(
            name.pos,
            path,
            format!("invalid domain name: {why}"),
            "for example `ws.example.com` or `*.example.com`",
        );
        false
    }

    /// The hosted zone, lowercase and without a final `.`, and whether it
    /// is valid. It must contain the domain, which is checked only when
    /// the domain name is valid (`name_ok`).
    fn hosted_zone(
        &mut self,
        z: &S<String>,
        name: &S<String>,
        lower: &str,
        name_ok: bool,
    ) -> (String, bool) {
        let zl = z.value.trim_end_matches('.').to_ascii_lowercase();
        if let Err(why) = check_domain_name(&zl, false) {
            // `why` may quote a label.
            let msg = if z.interpolated {
                "invalid hosted zone name (interpolated)".to_owned()
            } else {
                format!("invalid hosted zone name: {why}")
            };
            self.err(z.pos, "domain.hostedZone", msg);
            return (zl, false);
        }
        if name_ok && lower != zl && !lower.ends_with(&format!(".{zl}")) {
            let msg = if name.interpolated || z.interpolated {
                "the domain name is not inside the hosted zone".to_owned()
            } else {
                format!("`{lower}` is not inside the hosted zone `{zl}`")
            };
            self.err_hint(
                z.pos,
                "domain.hostedZone",
                msg,
                "the hosted zone must be the domain or one of its parents",
            );
            return (zl, false);
        }
        (zl, true)
    }

    fn check_mapping_path(&mut self, p: &S<String>) -> bool {
        let v = &p.value;
        if is_mapping_path(v) {
            return true;
        }
        let hint = if v.starts_with('/') && p.interpolated {
            "write it without the leading `/`".to_owned()
        } else if v.starts_with('/') {
            format!(
                "write it without the leading `/`: `{}`",
                v.trim_start_matches('/')
            )
        } else if v.contains('/') {
            "WebSocket APIs take a single-level mapping such as `v1`".to_owned()
        } else {
            "letters, digits and `-._~`, at most 128 characters".to_owned()
        };
        self.err_hint(p.pos, "domain.path", "invalid API mapping path", hint);
        false
    }

    /// An ACM certificate ARN in the API's region (when it is known).
    fn check_certificate(&mut self, arn: &S<String>) -> bool {
        let Some(cert_region) = parse_acm_arn(&arn.value) else {
            self.err_hint(
                arn.pos,
                "domain.certificateArn",
                "not an ACM certificate ARN",
                "arn:aws:acm:<region>:<account>:certificate/<id>",
            );
            return false;
        };
        let Some(region) = self.region.clone().filter(|r| r != cert_region) else {
            return true;
        };
        self.err_hint(
            arn.pos,
            "domain.certificateArn",
            format!("the certificate is in `{cert_region}` but the API is in `{region}`"),
            "a WebSocket custom domain is regional: its certificate must be in the API's region",
        );
        false
    }

    /// `external: true` needs a certificate and has no hosted zone.
    fn check_external(&mut self, s: &RawDomainSettings, name: &S<String>) -> bool {
        if !s.external.as_ref().is_some_and(|b| b.value) {
            return true;
        }
        let mut ok = true;
        if s.certificate_arn.is_none() {
            let pos = s.external.as_ref().map_or(name.pos, |b| b.pos);
            self.err_hint(
                pos,
                "domain.external",
                "`external: true` needs `certificateArn`",
                "wsdeploy can only validate a certificate through Route 53; issue one in ACM yourself and give its ARN",
            );
            ok = false;
        }
        if let Some(z) = &s.hosted_zone {
            self.err(
                z.pos,
                "domain.hostedZone",
                "`hostedZone` has no meaning with `external: true`",
            );
            ok = false;
        }
        ok
    }
}
