//! wsdeploy: deploys AWS API Gateway WebSocket APIs and the Lambda functions
//! behind them from one YAML file, by direct API calls.
//!
//! The pipeline: `config` parses and validates wsdeploy.yml into a resolved
//! model; `render` turns diagnostics into text or JSON; `schema` generates
//! the JSON Schema from the config types; `cli` wires commands to them.

// Nothing that came over the network (or from the user) may panic: the
// library never unwraps. Unit tests may.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod aws;
pub mod cli;
pub mod commands;
pub mod config;
pub mod desired;
pub mod diagnostic;
pub mod names;
pub mod output;
pub mod package;
pub mod plan;
pub mod render;
pub mod schema;
pub mod state;
