//! `routes`: route keys, the function references routes (and the
//! authorizer) make: a name from `functions:`, a handler string (an
//! implicit function named after the route), inline settings or a Lambda
//! function ARN (an external function, see `external`), and the routes'
//! integration timeouts, which must agree for one function.

use std::collections::BTreeMap;

use super::checks::is_function_key;
use super::external::is_arn_ref;
use super::{FnRef, Functions, MAX_ROUTES, Origin, Validator};
use crate::config::model::Route;
use crate::config::raw::{RawFunction, RawRoute};
use crate::config::read::{Keyed, S, child, shown_s};
use crate::diagnostic::did_you_mean;
use crate::names::implicit_function;

/// The integration timeouts API Gateway allows for a WebSocket API, in ms.
pub const MIN_INTEGRATION_TIMEOUT: i64 = 50;
pub const MAX_INTEGRATION_TIMEOUT: i64 = 29_000;

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
        let resolved: BTreeMap<String, Route> = routes
            .entries
            .iter()
            .filter_map(|(key, route)| {
                let route = self.check_route(key, route, fns)?;
                Some((key.value.clone(), route))
            })
            .collect();
        self.check_timeouts_agree(routes, &resolved);
        resolved
    }

    fn check_route(
        &mut self,
        key: &S<String>,
        route: &RawRoute,
        fns: &mut Functions,
    ) -> Option<Route> {
        let path = child("routes", &key.value);
        let key_ok = self.check_route_key(key, &path);
        let (fref, return_response, throttle, timeout) = match route {
            RawRoute::Handler(h) => (Some(FnRef::String(h)), false, None, None),
            RawRoute::Settings(s) => (
                s.function.as_ref().map(FnRef::from),
                s.return_response.as_ref().is_some_and(|b| b.value),
                s.throttle
                    .as_ref()
                    .map(|t| self.check_throttle(t, &child(&path, "throttle"))),
                s.integration_timeout.as_ref().and_then(|t| {
                    self.check_integration_timeout(t, &child(&path, "integrationTimeout"))
                }),
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
            integration_timeout_ms: timeout,
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

    /// An `integrationTimeout` in milliseconds, if API Gateway allows it
    /// for a WebSocket API.
    fn check_integration_timeout(&mut self, t: &S<i64>, path: &str) -> Option<u32> {
        if (MIN_INTEGRATION_TIMEOUT..=MAX_INTEGRATION_TIMEOUT).contains(&t.value) {
            return u32::try_from(t.value).ok();
        }
        let ms = if t.interpolated {
            "(interpolated)".to_owned()
        } else {
            format!("{} ms", t.value)
        };
        self.err_hint(
            t.pos,
            path,
            format!("integration timeout {ms} is out of range"),
            "API Gateway allows 50 to 29000 ms for a WebSocket API (29000 when not set)",
        );
        None
    }

    /// Routes that share a function share its integration: the timeouts
    /// they give it must be equal. Reported at the second one, naming the
    /// first.
    fn check_timeouts_agree(&mut self, raw: &Keyed<RawRoute>, routes: &BTreeMap<String, Route>) {
        let mut first: BTreeMap<&str, (&str, &S<i64>)> = BTreeMap::new();
        for (key, route) in &raw.entries {
            let (RawRoute::Settings(s), Some(r)) = (route, routes.get(&key.value)) else {
                continue;
            };
            let (Some(t), Some(_)) = (&s.integration_timeout, r.integration_timeout_ms) else {
                continue;
            };
            let Some((other, was)) = first.get(r.function.as_str()).copied() else {
                first.insert(&r.function, (&key.value, t));
                continue;
            };
            if was.value == t.value {
                continue;
            }
            let ms = |t: &S<i64>| match t.interpolated {
                true => "(interpolated)".to_owned(),
                false => format!("{} ms", t.value),
            };
            let function = match is_arn_ref(&r.function) {
                true => "the external function".to_owned(),
                false => format!("function `{}`", r.function),
            };
            self.err_hint(
                t.pos,
                &child(&child("routes", &key.value), "integrationTimeout"),
                format!(
                    "route `{}` gives {function} an integration timeout of {}, but route `{other}` gives it {}",
                    key.value,
                    ms(t),
                    ms(was)
                ),
                "routes that share a function share its integration, and so its timeout: give them the same `integrationTimeout`, or set it on one of them only",
            );
        }
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

#[cfg(test)]
mod tests {
    use crate::config::validate::test_support::{at, error, valid};

    #[test]
    fn the_integration_timeout_is_50_to_29000_ms() {
        for ok in [50, 10000, 29000] {
            let c = valid(&format!(
                "app: demo\nroutes:\n  $default:\n    function: src/handler.message\n    integrationTimeout: {ok}\n"
            ));
            assert_eq!(c.routes["$default"].integration_timeout_ms, Some(ok));
            assert_eq!(c.integration_timeout_ms("default"), Some(ok));
        }
        for bad in [49, 29001] {
            let e = error(&format!(
                "app: demo\nroutes:\n  $default:\n    function: src/handler.message\n    integrationTimeout: {bad}\n"
            ));
            assert_eq!(e.path, "routes.$default.integrationTimeout");
            assert_eq!(at(&e), (5, 25));
            assert_eq!(
                e.message,
                format!("integration timeout {bad} ms is out of range")
            );
        }
        let c = valid("app: demo\nroutes:\n  $default: src/handler.message\n");
        assert_eq!(c.routes["$default"].integration_timeout_ms, None);
        assert_eq!(c.integration_timeout_ms("default"), None);
    }

    #[test]
    fn routes_that_share_a_function_give_it_one_timeout() {
        let yaml = |a: u32, b: u32| {
            format!(
                "app: demo\nfunctions:\n  ws:\n    handler: src/handler.message\nroutes:\n  first:\n    function: ws\n    integrationTimeout: {a}\n  $default: ws\n  second:\n    function: ws\n    integrationTimeout: {b}\n"
            )
        };
        let c = valid(&yaml(5000, 5000));
        assert_eq!(c.integration_timeout_ms("ws"), Some(5000));
        // A route that gives none takes the others' value.
        assert_eq!(c.routes["$default"].integration_timeout_ms, None);
        let e = error(&yaml(5000, 6000));
        assert_eq!(e.path, "routes.second.integrationTimeout");
        assert_eq!(at(&e), (12, 25));
        assert_eq!(
            e.message,
            "route `second` gives function `ws` an integration timeout of 6000 ms, but route `first` gives it 5000 ms"
        );
    }

    #[test]
    fn routes_of_one_external_function_agree_too() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:existing";
        let e = error(&format!(
            "app: demo\nroutes:\n  a:\n    function: {arn}\n    integrationTimeout: 100\n  b:\n    function: {arn}\n    integrationTimeout: 200\n"
        ));
        assert_eq!(
            e.message,
            "route `b` gives the external function an integration timeout of 200 ms, but route `a` gives it 100 ms"
        );
        // Different functions: independent.
        valid(
            "app: demo\nroutes:\n  a:\n    function: src/handler.message\n    integrationTimeout: 100\n  b:\n    function: src/handler.connect\n    integrationTimeout: 200\n",
        );
    }
}
