//! External functions: a function reference (a route's value or
//! `function:`, `authorizer.function`) that is a Lambda function ARN names
//! a function deployed elsewhere. wsdeploy does not package, change or
//! delete it, so it takes no settings; it goes into `Config::externals`,
//! keyed by the ARN as written, and makes no implicit function.
//!
//! An ARN is checked as AWS would refuse it: API Gateway invokes a Lambda
//! function in its own region only (another account is possible, with
//! the function's resource policy, which wsdeploy writes).

use super::checks::parse_function_arn;
use super::{Functions, Origin, Validator};
use crate::config::model::External;
use crate::config::raw::RawFunction;
use crate::config::read::{S, child, shown_s};

/// How a Lambda function ARN is written, for hints.
const FUNCTION_ARN_SHAPE: &str =
    "arn:aws:lambda:<region>:<account>:function:<name>, optionally with `:<version or alias>`";

/// Whether a function reference is meant as an ARN (and so is checked as
/// one).
pub(super) fn is_arn_ref(s: &str) -> bool {
    s.starts_with("arn:")
}

impl Validator<'_, '_, '_> {
    /// The external function an ARN reference names, added to `fns`; its
    /// ARN is the reference. `None` after reporting why it cannot be one.
    pub(super) fn external_ref(
        &mut self,
        s: &S<String>,
        origin: &Origin,
        fns: &mut Functions,
    ) -> Option<String> {
        let Some(arn) = parse_function_arn(&s.value) else {
            self.err_hint(
                s.pos,
                &origin.path,
                format!("{} is not a Lambda function ARN", shown_s(s)),
                FUNCTION_ARN_SHAPE,
            );
            return None;
        };
        if let Some(region) = self.region.clone().filter(|r| r != arn.region) {
            let function = if s.interpolated {
                "the interpolated function is in another region".to_owned()
            } else {
                format!("function `{}` is in `{}`", arn.name, arn.region)
            };
            self.err_hint(
                s.pos,
                &origin.path,
                format!("{function}, but the API is in `{region}`"),
                "API Gateway invokes Lambda functions in its own region only: use a function in the API's region, or deploy the API in the function's",
            );
            return None;
        }
        let external = External {
            arn: s.value.clone(),
            name: arn.name.to_owned(),
            region: arn.region.to_owned(),
            account: arn.account.to_owned(),
        };
        fns.externals.insert(s.value.clone(), external);
        Some(s.value.clone())
    }

    /// A function body whose `handler` is an ARN: an external function
    /// written with settings, which it cannot take. Reported at the
    /// handler; true when it is one (the body is not merged then).
    pub(super) fn arn_as_handler(&mut self, f: &RawFunction, origin: &Origin) -> bool {
        let Some(h) = f.handler.as_ref().filter(|h| is_arn_ref(&h.value)) else {
            return false;
        };
        let hint = if origin.path.starts_with("functions.") {
            "refer to a function deployed elsewhere by its ARN where it is used (`function: arn:aws:lambda:...` in the route or the authorizer); wsdeploy does not package or change it"
        } else {
            "write the ARN as the whole reference (`function: arn:aws:lambda:...`), without settings: wsdeploy does not package or change a function deployed elsewhere"
        };
        self.err_hint(
            h.pos,
            &child(origin.body_path(), "handler"),
            "a Lambda function ARN names an external function, which takes no settings",
            hint,
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::config::model::{Authorizer, External};
    use crate::config::validate::test_support::{at, error, outcome, outcome_in, valid};

    const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:existing";

    #[test]
    fn an_arn_names_an_external_function() {
        let yaml =
            format!("app: demo\nroutes:\n  $default: {ARN}\n  legacy:\n    function: {ARN}:live\n");
        let c = valid(&yaml);
        assert_eq!(c.routes["$default"].function, ARN);
        assert!(c.is_external(ARN));
        assert_eq!(
            c.externals[ARN],
            External {
                arn: ARN.to_owned(),
                name: "existing".to_owned(),
                region: "us-east-1".to_owned(),
                account: "123456789012".to_owned(),
            }
        );
        // A qualifier is part of the reference: another key.
        let live = format!("{ARN}:live");
        assert_eq!(c.routes["legacy"].function, live);
        assert_eq!(c.externals[&live].name, "existing");
        // No implicit function is made for them.
        assert!(c.functions.is_empty(), "{:?}", c.functions.keys());
        assert!(!c.is_external("default"));
    }

    #[test]
    fn an_external_function_does_not_take_an_implicit_name() {
        let yaml =
            format!("app: demo\nroutes:\n  $connect: {ARN}\n  connect: src/handler.connect\n");
        let c = valid(&yaml);
        assert_eq!(c.routes["connect"].function, "connect");
        assert_eq!(c.routes["$connect"].function, ARN);
    }

    #[test]
    fn the_authorizer_may_be_external() {
        let yaml = format!(
            "app: demo\nroutes:\n  $connect: src/handler.connect\nauthorizer:\n  function: {ARN}:3\n"
        );
        let c = valid(&yaml);
        match c.authorizer {
            Some(Authorizer::Lambda { function, .. }) => {
                assert_eq!(function, format!("{ARN}:3"));
                assert!(c.externals.contains_key(&function));
            }
            other => panic!("{other:?}"),
        }
        assert!(!c.functions.contains_key("authorizer"));
    }

    #[test]
    fn an_arn_in_another_region_is_an_error() {
        let other = "arn:aws:lambda:eu-west-1:123456789012:function:existing";
        let yaml = format!("app: demo\nroutes:\n  $default: {other}\n");
        let e = error(&yaml);
        assert_eq!(e.path, "routes.$default");
        assert_eq!(at(&e), (3, 13));
        assert_eq!(
            e.message,
            "function `existing` is in `eu-west-1`, but the API is in `us-east-1`"
        );
        assert!(
            e.hint
                .unwrap()
                .starts_with("API Gateway invokes Lambda functions in its own region only")
        );
        // The file's own region counts too; with none known, nothing to compare.
        let yaml_eu = format!("app: demo\nregion: eu-west-1\nroutes:\n  $default: {other}\n");
        assert!(outcome_in(&yaml_eu, None, "").errors.is_empty());
        assert!(outcome_in(&yaml, None, "").errors.is_empty());
    }

    #[test]
    fn another_account_is_allowed() {
        let yaml = "app: demo\nroutes:\n  $default: arn:aws:lambda:us-east-1:210987654321:function:theirs\n";
        let c = valid(yaml);
        assert_eq!(
            c.externals.values().next().map(|e| e.account.as_str()),
            Some("210987654321")
        );
    }

    #[test]
    fn an_arn_that_is_not_a_function_is_an_error() {
        for bad in [
            "arn:aws:lambda:us-east-1:123456789012:layer:common:3",
            "arn:aws:lambda:us-east-1:123456789012:function:a:b:c",
            "arn:aws:states:us-east-1:123456789012:stateMachine:x",
        ] {
            let e = error(&format!(
                "app: demo\nroutes:\n  $default:\n    function: {bad}\n"
            ));
            assert_eq!(e.path, "routes.$default.function");
            assert_eq!(e.message, format!("`{bad}` is not a Lambda function ARN"));
        }
    }

    #[test]
    fn an_external_function_takes_no_settings() {
        let e = error(&format!(
            "app: demo\nroutes:\n  $default:\n    function:\n      handler: {ARN}\n      timeout: 10\n"
        ));
        assert_eq!(e.path, "routes.$default.function.handler");
        assert_eq!(at(&e), (5, 16));
        assert_eq!(
            e.message,
            "a Lambda function ARN names an external function, which takes no settings"
        );
        let e = error(&format!(
            "app: demo\nfunctions:\n  legacy:\n    handler: {ARN}\nroutes:\n  $default: src/handler.message\n"
        ));
        assert_eq!(e.path, "functions.legacy.handler");
        assert!(
            e.hint
                .unwrap()
                .starts_with("refer to a function deployed elsewhere by its ARN")
        );
        // `functions:` entries are settings, not references.
        let o = outcome(&format!(
            "app: demo\nfunctions:\n  legacy: {ARN}\nroutes:\n  $default: legacy\n"
        ));
        assert_eq!(o.errors[0].path, "functions.legacy");
        assert_eq!(
            o.errors[0].message,
            "an entry of `functions:` is a function's settings, not an ARN"
        );
    }

    #[test]
    fn an_interpolated_arn_is_never_quoted() {
        let yaml = "app: demo\nroutes:\n  $default: ${env:SECRET}\n";
        for secret in [
            "arn:aws:lambda:eu-west-3:123456789012:function:secretfn",
            "arn:aws:lambda:us-east-1:123456789012:layer:secretlayer:1",
        ] {
            let o = outcome_in(yaml, Some("us-east-1"), secret);
            assert_eq!(o.errors.len(), 1, "{:#?}", o.errors);
            let e = &o.errors[0];
            let text = format!("{} {}", e.message, e.hint.as_deref().unwrap_or(""));
            for part in ["secretfn", "secretlayer", "eu-west-3"] {
                assert!(!text.contains(part), "{text}");
            }
        }
        let o = outcome_in(yaml, Some("us-east-1"), ARN);
        assert!(o.errors.is_empty(), "{:#?}", o.errors);
    }
}
