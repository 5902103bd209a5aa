//! The JSON Schema of wsdeploy.yml, generated from the raw config types.
//!
//! `schemas/wsdeploy.schema.json` is a committed copy of this output; a test
//! fails when it is stale (regenerate with `wsdeploy schema > schemas/wsdeploy.schema.json`).
//! Draft-07, which the YAML language server and most editors understand.

use schemars::generate::SchemaSettings;

use crate::config::raw::RawConfig;

pub fn schema() -> serde_json::Value {
    let generator = SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<RawConfig>();
    serde_json::to_value(&schema).unwrap_or_default()
}

/// The schema as the committed file holds it: pretty JSON and a newline.
pub fn schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&schema()).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::config::raw::*;

    fn props(v: &serde_json::Value) -> BTreeSet<String> {
        v["properties"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The reader's key lists and the schema come from two places; this
    /// keeps them equal, so an editor never accepts a key the loader rejects
    /// or the other way round.
    #[test]
    fn reader_keys_match_the_schema() {
        let s = schema();
        let defs = &s["definitions"];
        let cases: &[(&str, &[&str])] = &[
            ("Api", RawApi::KEYS),
            ("Throttle", RawThrottle::KEYS),
            ("Logging", RawLogging::KEYS),
            ("AccessLogSettings", RawAccessLogSettings::KEYS),
            ("Defaults", RawDefaults::KEYS),
            ("Function", RawFunction::KEYS),
            ("Build", RawBuild::KEYS),
            ("Logs", RawLogs::KEYS),
            ("Vpc", RawVpc::KEYS),
            ("Statement", RawStatement::KEYS),
            ("RouteSettings", RawRouteSettings::KEYS),
            ("AuthorizerSettings", RawAuthorizerSettings::KEYS),
            ("DomainSettings", RawDomainSettings::KEYS),
        ];
        for (name, keys) in cases {
            let want: BTreeSet<String> = keys.iter().map(|k| (*k).to_owned()).collect();
            assert_eq!(props(&defs[*name]), want, "definition {name}");
            assert_eq!(
                defs[*name]["additionalProperties"], false,
                "{name} must reject unknown keys"
            );
        }
        let root: BTreeSet<String> = RawConfig::KEYS.iter().map(|k| (*k).to_owned()).collect();
        assert_eq!(props(&s), root);
        assert_eq!(s["additionalProperties"], false);
        let required: Vec<&str> = s["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        assert_eq!(required, ["app", "routes"]);
    }
}
