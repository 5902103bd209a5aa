//! wsdeploy: deploys AWS API Gateway WebSocket APIs and the Lambda functions
//! behind them from one YAML file, by direct API calls.
//!
//! The pipeline reads off the module names, and imports run one way:
//! `config` (wsdeploy.yml → a validated model) → `desired` (the resources
//! a config wants, in `state`'s terms) → `plan` (pure: desired against
//! observed) → `aws` (observe live state, apply a plan, the lock) →
//! `pipeline` (plan, lock, apply; prints nothing) → `commands` (one file
//! per command) → `output` (every print). Beside them: `names` (every
//! derived name, ARN and URL), `build` (function packages), `logs` (what `wsdeploy logs`
//! reads, pure), `init` (a new app from a template), `schema` (the JSON Schema),
//! `cli` (flags). docs/architecture.md draws it.

// Nothing that came over the network (or from the user) may panic: the
// library never unwraps. Unit tests may.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod aws;
pub mod build;
pub mod cli;
pub mod commands;
pub mod config;
pub mod desired;
pub mod diagnostic;
pub mod init;
pub mod local;
pub mod logs;
pub mod names;
pub mod output;
pub mod pipeline;
pub mod plan;
pub mod schema;
pub mod state;
