//! A Lambda authorizer's answer: `principalId`, the IAM `policyDocument`
//! and the `context` map, read strictly (anything else is a malformed
//! answer, which API Gateway turns into a 500), and the policy decided for
//! the `$connect` method ARN as IAM decides it: an explicit `Deny` wins,
//! then an `Allow`, else the request is denied. `*` and `?` in a Resource
//! or an Action match as IAM matches them (Actions in any case).

use serde_json::{Map, Value};

/// The action a WebSocket `$connect` needs.
const INVOKE: &str = "execute-api:Invoke";

/// What the policy says about one method ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// A `Deny` statement matched.
    ExplicitDeny,
    /// No statement allowed it.
    ImplicitDeny,
}

/// One policy statement.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    allow: bool,
    actions: Vec<String>,
    resources: Vec<String>,
}

/// An authorizer's answer, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    statements: Vec<Statement>,
    /// `requestContext.authorizer`: the context's keys and `principalId`.
    pub authorizer: Map<String, Value>,
}

impl Answer {
    /// Reads an authorizer's answer; the error says what is malformed.
    pub fn parse(answer: &Value) -> Result<Answer, String> {
        let Value::Object(answer) = answer else {
            return Err(format!("the answer is not an object: {answer}"));
        };
        let principal = match answer.get("principalId") {
            Some(Value::String(id)) => id.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err("`principalId` is missing or not a string".into()),
        };
        let Some(Value::Object(document)) = answer.get("policyDocument") else {
            return Err("`policyDocument` is missing or not an object".into());
        };
        let statements = match document.get("Statement") {
            Some(Value::Array(list)) => list.iter().map(statement).collect::<Result<_, _>>()?,
            Some(one @ Value::Object(_)) => vec![statement(one)?],
            _ => return Err("`policyDocument.Statement` is missing".into()),
        };
        let mut authorizer = context(answer.get("context"))?;
        authorizer.insert("principalId".into(), Value::String(principal));
        Ok(Answer {
            statements,
            authorizer,
        })
    }

    /// Whether the policy allows `execute-api:Invoke` on `arn`.
    pub fn decide(&self, arn: &str) -> Decision {
        let applies = |s: &&Statement| {
            s.actions
                .iter()
                .any(|a| matches(&a.to_ascii_lowercase(), &INVOKE.to_ascii_lowercase()))
                && s.resources.iter().any(|r| matches(r, arn))
        };
        let applying: Vec<&Statement> = self.statements.iter().filter(applies).collect();
        if applying.iter().any(|s| !s.allow) {
            Decision::ExplicitDeny
        } else if applying.is_empty() {
            Decision::ImplicitDeny
        } else {
            Decision::Allow
        }
    }
}

/// One statement: `Effect` (`Allow` or `Deny`), `Action` and `Resource`
/// (a string or a list of strings).
fn statement(value: &Value) -> Result<Statement, String> {
    let Value::Object(s) = value else {
        return Err(format!("a statement is not an object: {value}"));
    };
    let allow = match s.get("Effect").and_then(Value::as_str) {
        Some(e) if e.eq_ignore_ascii_case("allow") => true,
        Some(e) if e.eq_ignore_ascii_case("deny") => false,
        _ => {
            return Err(format!(
                "a statement's `Effect` is not Allow or Deny: {value}"
            ));
        }
    };
    Ok(Statement {
        allow,
        actions: strings(s.get("Action"), "Action")?,
        resources: strings(s.get("Resource"), "Resource")?,
    })
}

fn strings(value: Option<&Value>, key: &str) -> Result<Vec<String>, String> {
    let bad = || format!("a statement's `{key}` is not a string or a list of strings");
    match value {
        Some(Value::String(one)) => Ok(vec![one.clone()]),
        Some(Value::Array(list)) => list
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
            .collect(),
        _ => Err(bad()),
    }
}

/// The `context` map: string, number and boolean values (a null is left
/// out; an object or a list is malformed, as API Gateway says).
fn context(value: Option<&Value>) -> Result<Map<String, Value>, String> {
    let map = match value {
        None | Some(Value::Null) => return Ok(Map::new()),
        Some(Value::Object(map)) => map,
        Some(other) => return Err(format!("`context` is not an object: {other}")),
    };
    let mut out = Map::new();
    for (key, value) in map {
        match value {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                out.insert(key.clone(), value.clone());
            }
            Value::Null => {}
            Value::Array(_) | Value::Object(_) => {
                return Err(format!(
                    "`context.{key}` is not a string, number or boolean"
                ));
            }
        }
    }
    Ok(out)
}

/// IAM's wildcard match: `*` any run of characters (`/` and `:`
/// included), `?` exactly one.
pub fn matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    // The last `*` seen, and where in `text` its run ends so far.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/dev/$connect";

    fn policy(effect: &str, action: Value, resource: Value) -> Value {
        json!({"principalId": "me", "policyDocument": {"Version": "2012-10-17",
            "Statement": [{"Effect": effect, "Action": action, "Resource": resource}]}})
    }

    fn decide(answer: Value) -> Decision {
        Answer::parse(&answer).unwrap().decide(ARN)
    }

    #[test]
    fn wildcards_match_as_iam_does() {
        assert!(matches("*", ARN));
        assert!(matches("arn:aws:execute-api:*:*:abc123defg/*", ARN));
        assert!(matches("arn:aws:execute-api:eu-west-?:*/dev/$connect", ARN));
        assert!(matches("a*b*c", "aXXbYbc"));
        assert!(!matches("arn:aws:execute-api:us-east-1:*", ARN));
        assert!(!matches(
            "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod/*",
            ARN
        ));
        assert!(!matches("a?", "a"));
        assert!(matches("", ""));
        assert!(!matches("", "a"));
    }

    #[test]
    fn allow_deny_and_actions() {
        assert_eq!(
            decide(policy("Allow", json!("execute-api:Invoke"), json!(ARN))),
            Decision::Allow
        );
        assert_eq!(
            decide(policy("Allow", json!("execute-api:*"), json!(["x", "*"]))),
            Decision::Allow
        );
        assert_eq!(
            decide(policy("Allow", json!(["*"]), json!("arn:*"))),
            Decision::Allow
        );
        assert_eq!(
            decide(policy("Allow", json!("EXECUTE-API:invoke"), json!(ARN))),
            Decision::Allow
        );
        assert_eq!(
            decide(policy("Allow", json!("s3:*"), json!("*"))),
            Decision::ImplicitDeny
        );
        assert_eq!(
            decide(policy("Allow", json!("*"), json!("arn:x"))),
            Decision::ImplicitDeny
        );
        assert_eq!(
            decide(policy("Deny", json!("*"), json!("*"))),
            Decision::ExplicitDeny
        );
        let both = json!({"principalId": "me", "policyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": ARN}]}});
        assert_eq!(decide(both), Decision::ExplicitDeny);
        let single = json!({"principalId": "me", "policyDocument": {"Statement":
            {"Effect": "Allow", "Action": "*", "Resource": "*"}}});
        assert_eq!(decide(single), Decision::Allow);
    }

    #[test]
    fn malformed_answers_and_the_context() {
        for bad in [
            json!("Allow"),
            json!({"policyDocument": {"Statement": []}}),
            json!({"principalId": "me"}),
            json!({"principalId": "me", "policyDocument": {"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}}),
            json!({"principalId": "me", "policyDocument": {"Statement": [{"Effect": "Allow", "Resource": "*"}]}}),
            json!({"principalId": "me", "policyDocument": {"Statement": []}, "context": {"a": {"b": 1}}}),
            json!({"principalId": "me", "policyDocument": {"Statement": []}, "context": [1]}),
        ] {
            assert!(Answer::parse(&bad).is_err(), "{bad}");
        }
        let answer = json!({"principalId": "user-1", "policyDocument": {"Statement": []},
            "context": {"s": "x", "n": 3, "b": true, "gone": null}});
        let read = Answer::parse(&answer).unwrap();
        assert_eq!(
            Value::Object(read.authorizer),
            json!({"principalId": "user-1", "s": "x", "n": 3, "b": true})
        );
    }
}
