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
