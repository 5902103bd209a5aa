#![allow(dead_code, unused_imports)]
//! Helpers shared by the integration test binaries (`mod support;`).
//!
//! - [`cli`]: run the wsdeploy binary against an emulator;
//! - [`emulator`]: start the local AWS (moto + wsdeploy's patches and faults),
//!   point the AWS SDK at it, read its call log, change its faults.
//!
//! Every test binary compiles its own copy of this module and uses only part
//! of it, hence `dead_code` and `unused_imports` are allowed here.

pub mod cli;
pub mod emulator;

pub use emulator::{Call, Emulator, EmulatorOptions, unique_name};
