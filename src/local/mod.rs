//! `wsdeploy dev`: the app served on this machine as API Gateway would
//! serve it (the contract's dev.md).
//!
//! - `invoke`: what the gateway asks of the handlers, and how that fails;
//! - `runtime`: warm worker processes behind a local Lambda Runtime API;
//! - `gateway`: the WebSocket endpoint and `@connections`;
//! - `serve`: the config turned into both, started on one listener;
//! - `reload`: watching the code and the config, replacing what changed.

pub mod gateway;
pub mod invoke;
pub mod reload;
pub mod runtime;
pub mod serve;
