//! The Lambda runtimes wsdeploy accepts, as of November 2026.
//!
//! A runtime AWS has retired (new functions can no longer be created with
//! it) is an error that names the replacement. Keep this table in step with
//! AWS's "Lambda runtimes" page; docs/config.md lists it too.

/// What a runtime's handler files look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Node,
    Python,
    Ruby,
    Java,
    DotNet,
    /// OS-only runtime: the code ships its own `bootstrap`.
    Provided,
}

pub const SUPPORTED: &[(&str, Family)] = &[
    ("nodejs24.x", Family::Node),
    ("nodejs22.x", Family::Node),
    ("nodejs20.x", Family::Node),
    ("python3.14", Family::Python),
    ("python3.13", Family::Python),
    ("python3.12", Family::Python),
    ("python3.11", Family::Python),
    ("python3.10", Family::Python),
    ("ruby3.4", Family::Ruby),
    ("ruby3.3", Family::Ruby),
    ("java25", Family::Java),
    ("java21", Family::Java),
    ("java17", Family::Java),
    ("java11", Family::Java),
    ("java8.al2", Family::Java),
    ("dotnet10", Family::DotNet),
    ("dotnet8", Family::DotNet),
    ("provided.al2023", Family::Provided),
    ("provided.al2", Family::Provided),
];

/// Retired runtimes and what to use instead.
const RETIRED: &[(&str, &str)] = &[
    ("nodejs18.x", "nodejs22.x"),
    ("nodejs16.x", "nodejs22.x"),
    ("nodejs14.x", "nodejs22.x"),
    ("nodejs12.x", "nodejs22.x"),
    ("nodejs10.x", "nodejs22.x"),
    ("nodejs", "nodejs22.x"),
    ("python3.9", "python3.13"),
    ("python3.8", "python3.13"),
    ("python3.7", "python3.13"),
    ("python3.6", "python3.13"),
    ("python2.7", "python3.13"),
    ("ruby3.2", "ruby3.4"),
    ("ruby2.7", "ruby3.4"),
    ("java8", "java21"),
    ("dotnet6", "dotnet8"),
    ("dotnet7", "dotnet8"),
    ("dotnetcore3.1", "dotnet8"),
    ("go1.x", "provided.al2023"),
    ("provided", "provided.al2023"),
];

pub fn family(runtime: &str) -> Option<Family> {
    SUPPORTED
        .iter()
        .find(|(n, _)| *n == runtime)
        .map(|(_, f)| *f)
}

pub fn replacement(runtime: &str) -> Option<&'static str> {
    RETIRED.iter().find(|(n, _)| *n == runtime).map(|(_, r)| *r)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    SUPPORTED.iter().map(|(n, _)| *n)
}
