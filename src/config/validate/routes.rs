//! `routes`: route keys, the function references routes (and the
//! authorizer) make: a name from `functions:`, a handler string (an
//! implicit function named after the route), inline settings or a Lambda
//! function ARN (an external function, see `external`).

use std::collections::BTreeMap;

use super::checks::is_function_key;
use super::external::is_arn_ref;
use super::{FnRef, Functions, MAX_ROUTES, Origin, Validator};
use crate::config::model::Route;
use crate::config::raw::{RawFunction, RawRoute};
use crate::config::read::{Keyed, S, child, shown_s};
use crate::diagnostic::did_you_mean;
use crate::names::implicit_function;

impl Validator<'_, '_, '_> {
    /// Checks every route and resolves its function into `fns`.
    pub(super) fn check_routes(
        &mut self,
        routes: &Keyed<RawRoute>,
        fns: &mut Functions,
    ) -> BTreeMap<String, Route> {
        if routes.len() > MAX_ROUTES {
            let (k, _) = &routes.entries[MAX_ROUTES];
            self.err_hint(
                k.pos,
                "routes",
                format!(
                    "{} routes; a WebSocket API can have at most {MAX_ROUTES}",
                    routes.len()
                ),
                "split the API, or route several actions to one key and dispatch in the function",
            );
        }
        routes
            .entries
            .iter()
            .filter_map(|(key, route)| {
                let route = self.check_route(key, route, fns)?;
                Some((key.value.clone(), route))
            })
            .collect()
    }

    fn check_route(
        &mut self,
        key: &S<String>,
        route: &RawRoute,
        fns: &mut Functions,
    ) -> Option<Route> {
        let path = child("routes", &key.value);
        let key_ok = self.check_route_key(key, &path);
        let (fref, return_response, throttle) = match route {
            RawRoute::Handler(h) => (Some(FnRef::String(h)), false, None),
            RawRoute::Settings(s) => (
                s.function.as_ref().map(FnRef::from),
                s.return_response.as_ref().is_some_and(|b| b.value),
                s.throttle
                    .as_ref()
                    .map(|t| self.check_throttle(t, &child(&path, "throttle"))),
            ),
        };
        let fref = fref?;
        let fn_path = match route {
            RawRoute::Handler(_) => path,
            RawRoute::Settings(_) => child(&path, "function"),
        };
        let handler_path = match &fref {
            FnRef::Inline(_) => child(&fn_path, "handler"),
            FnRef::String(_) => fn_path.clone(),
        };
        let origin = Origin {
            pos: key.pos,
            path: fn_path,
            handler_path,
        };
        let implicit = implicit_function(&key.value);
        let function = self.resolve_ref(fref, &implicit, key_ok, &origin, fns)?;
        Some(Route {
            key: key.value.clone(),
            function,
            return_response,
            throttle,
            integration_timeout_ms: None,
        })
    }

    fn check_route_key(&mut self, key: &S<String>, path: &str) -> bool {
        const RESERVED: [&str; 3] = ["$connect", "$disconnect", "$default"];
        let k = key.value.as_str();
        if RESERVED.contains(&k) {
            return true;
        }
        if k.starts_with('$') {
            let hint = match did_you_mean(k, RESERVED) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "the `$` keys are `$connect`, `$disconnect` and `$default`; custom keys do not start with `$`".to_owned(),
            };
            self.err_hint(
                key.pos,
                path,
                format!("`{k}` is not a route key: keys starting with `$` are reserved"),
                hint,
            );
            return false;
        }
        if k.is_empty()
            || k.chars().count() > 128
            || k.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            self.err_hint(
                key.pos,
                path,
                "invalid route key",
                "1 to 128 characters, no spaces",
            );
            return false;
        }
        true
    }

    /// Finds or makes the function a route or the authorizer refers to and
    /// returns its short name. A handler string or inline settings make an
    /// implicit function named `implicit`, unless `implicit_ok` is false
    /// (the route key was already reported).
    pub(super) fn resolve_ref(
        &mut self,
        fref: FnRef,
        implicit: &str,
        implicit_ok: bool,
        origin: &Origin,
        fns: &mut Functions,
    ) -> Option<String> {
        let inline;
        let body = match fref {
            FnRef::String(s) if fns.named.contains(&s.value) => {
                fns.used.insert(s.value.clone());
                // A named function that failed validation is not in the map;
                // its own errors were reported already.
                return Some(s.value.clone());
            }
            FnRef::String(s) if is_arn_ref(&s.value) => return self.external_ref(s, origin, fns),
            FnRef::String(s) if !s.value.contains('.') => {
                self.unknown_function(s, origin, &fns.named);
                return None;
            }
            FnRef::String(s) => {
                inline = RawFunction {
                    handler: Some(s.clone()),
                    ..RawFunction::default()
                };
                &inline
            }
            FnRef::Inline(f) => {
                self.check_function_fields(f, &origin.path);
                if self.arn_as_handler(f, origin) {
                    return None;
                }
                f
            }
        };
        if !implicit_ok || !self.check_implicit_name(implicit, origin, fns) {
            return None;
        }
        fns.taken.insert(implicit.to_owned());
        self.add_function(implicit, body, origin, fns);
        fns.resolved
            .contains_key(implicit)
            .then(|| implicit.to_owned())
    }

    /// `s` is neither a name from `functions:` nor a handler.
    fn unknown_function(&mut self, s: &S<String>, origin: &Origin, named: &[String]) {
        let hint = match did_you_mean(&s.value, named.iter().map(String::as_str)) {
            Some(n) if !s.interpolated => format!("did you mean the function `{n}`?"),
            _ if named.is_empty() => {
                "a handler is `path/to/file.export`, for example `src/connect.handler`".to_owned()
            }
            _ => format!(
                "a handler is `path/to/file.export`; the functions in `functions:` are: {}",
                named.join(", ")
            ),
        };
        self.err_hint(
            s.pos,
            &origin.path,
            format!(
                "{} names no function in `functions:` and is not a handler",
                shown_s(s)
            ),
            hint,
        );
    }

    /// An implicit function's name must suit Lambda and be free.
    fn check_implicit_name(&mut self, implicit: &str, origin: &Origin, fns: &Functions) -> bool {
        if !is_function_key(implicit) {
            self.err_hint(
                origin.pos,
                &origin.path,
                format!("the route key cannot name a function: `{implicit}` has characters Lambda does not allow in names"),
                "define the function in `functions:` and refer to it with `function: <name>`",
            );
            return false;
        }
        if !fns.taken.contains(implicit) {
            return true;
        }
        let (what, hint) = if fns.named.iter().any(|n| n == implicit) {
            (
                format!(
                    "this implicit function is named `{implicit}`, like `functions.{implicit}`"
                ),
                format!("write `function: {implicit}` to use the named one, or rename it"),
            )
        } else {
            (
                format!("two implicit functions would both be named `{implicit}`"),
                "give one of them a named function in `functions:`".to_owned(),
            )
        };
        self.err_hint(origin.pos, &origin.path, what, hint);
        false
    }
}
