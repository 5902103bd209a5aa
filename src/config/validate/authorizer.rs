//! `authorizer`: IAM, or a Lambda REQUEST authorizer on `$connect` with its
//! function, name and identity sources.

use super::checks::{is_authorizer_name, is_identity_source};
use super::{DEFAULT_IDENTITY_SOURCE, FnRef, Functions, Origin, Validator};
use crate::config::model::Authorizer;
use crate::config::node::Pos;
use crate::config::raw::{AuthorizerType, RawAuthorizer, RawAuthorizerSettings, RawConfig};
use crate::config::read::{S, index, shown_s};

impl Validator<'_, '_, '_> {
    /// Checks the authorizer and resolves its function into `fns`.
    pub(super) fn check_authorizer(
        &mut self,
        a: &RawAuthorizer,
        raw: &RawConfig,
        fns: &mut Functions,
    ) -> Option<Authorizer> {
        let (pos, kind, settings) = match a {
            RawAuthorizer::Shorthand(t) => (t.pos, t.value, None),
            RawAuthorizer::Settings(s) => (
                s.kind.as_ref().map_or(Pos::START, |k| k.pos),
                s.kind.as_ref().map_or(AuthorizerType::Lambda, |k| k.value),
                Some(s),
            ),
        };
        let connect = raw.routes.get("$connect").is_some();
        if !connect {
            self.err_hint(
                raw.authorizer_pos,
                "authorizer",
                "an authorizer needs a `$connect` route",
                "a WebSocket API authorizes when a client connects, on `$connect`: add a `$connect` route",
            );
        }
        match (kind, settings) {
            (AuthorizerType::Iam, None) => Some(Authorizer::Iam),
            (AuthorizerType::Iam, Some(s)) => {
                self.check_iam_settings(s, pos);
                Some(Authorizer::Iam)
            }
            (AuthorizerType::Lambda, None) => {
                self.err_hint(
                    pos,
                    "authorizer",
                    "a lambda authorizer needs a function",
                    "write `authorizer: { function: src/authorizer.handler }`",
                );
                None
            }
            (AuthorizerType::Lambda, Some(s)) => {
                let authorizer = self.check_lambda_authorizer(s, pos, fns)?;
                connect.then_some(authorizer)
            }
        }
    }

    /// `type: iam` takes none of the Lambda authorizer's settings.
    fn check_iam_settings(&mut self, s: &RawAuthorizerSettings, pos: Pos) {
        if let Some(i) = &s.identity_source {
            let p = i.first().map_or(pos, |n| n.pos);
            self.err(
                p,
                "authorizer.identitySource",
                "`identitySource` applies only to a lambda authorizer",
            );
        }
        if let Some(n) = &s.name {
            self.err(
                n.pos,
                "authorizer.name",
                "`name` applies only to a lambda authorizer",
            );
        }
        if s.function.is_some() {
            self.err(
                pos,
                "authorizer.function",
                "`function` applies only to a lambda authorizer",
            );
        }
    }

    fn check_lambda_authorizer(
        &mut self,
        s: &RawAuthorizerSettings,
        pos: Pos,
        fns: &mut Functions,
    ) -> Option<Authorizer> {
        let sources = self.identity_sources(s.identity_source.as_deref(), pos);
        let name = self.authorizer_name(s.name.as_ref());
        let Some(fref) = &s.function else {
            self.err_hint(
                pos,
                "authorizer",
                "a lambda authorizer needs a `function`",
                "add `function: src/authorizer.handler`",
            );
            return None;
        };
        let fref = FnRef::from(fref);
        let handler_path = match &fref {
            FnRef::Inline(_) => "authorizer.function.handler".to_owned(),
            FnRef::String(_) => "authorizer.function".to_owned(),
        };
        let origin = Origin {
            pos,
            path: "authorizer.function".to_owned(),
            handler_path,
        };
        let function = self.resolve_ref(fref, "authorizer", true, &origin, fns)?;
        Some(Authorizer::Lambda {
            name,
            function,
            identity_sources: sources?,
        })
    }

    /// The identity sources, `None` when one is invalid (or the list is
    /// empty).
    fn identity_sources(&mut self, list: Option<&[S<String>]>, pos: Pos) -> Option<Vec<String>> {
        match list {
            None => Some(vec![DEFAULT_IDENTITY_SOURCE.to_owned()]),
            Some([]) => {
                self.err(
                    pos,
                    "authorizer.identitySource",
                    "`identitySource` is empty",
                );
                None
            }
            Some(list) => {
                let mut ok = true;
                for (i, src) in list.iter().enumerate() {
                    ok &= self.check_identity_source(src, &index("authorizer.identitySource", i));
                }
                ok.then(|| list.iter().map(|s| s.value.clone()).collect())
            }
        }
    }

    fn check_identity_source(&mut self, src: &S<String>, path: &str) -> bool {
        let v = src.value.as_str();
        let ok = is_identity_source(v);
        if !ok {
            let hint = if let Some(rest) = v.strip_prefix("$request.") {
                format!("WebSocket APIs name identity sources `route.request.{rest}`")
            } else {
                "use `route.request.header.<Name>` or `route.request.querystring.<name>`".to_owned()
            };
            self.err_hint(
                src.pos,
                path,
                format!("{} is not a WebSocket identity source", shown_s(src)),
                hint,
            );
        }
        ok
    }

    fn authorizer_name(&mut self, name: Option<&S<String>>) -> String {
        let Some(n) = name else {
            return format!("{}-{}-authorizer", self.app, self.stage);
        };
        if !is_authorizer_name(&n.value) {
            self.err_hint(
                n.pos,
                "authorizer.name",
                "invalid authorizer name",
                "letters, digits, `-`, `_` and `.`, at most 128 characters",
            );
        }
        n.value.clone()
    }
}
