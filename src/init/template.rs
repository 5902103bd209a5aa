//! The templates: for each, the files it writes, in the order they are
//! listed, read from `templates/<template>/` at compile time. `__APP__` in
//! a file becomes the app's name; `wsdeploy.schema.json` is what
//! `wsdeploy schema` prints, so an editor that follows the config's first
//! line checks it against this very version.

use super::File;

/// The language of the handlers `init` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Template {
    /// JavaScript (ESM) handlers, bundled with esbuild.
    Node,
    /// TypeScript handlers, bundled with esbuild.
    #[default]
    Typescript,
    /// Python handlers, with a requirements.txt.
    Python,
}

/// Replaced by the app's name.
const APP: &str = "__APP__";
/// Where the config's first line points the editor.
pub const SCHEMA_FILE: &str = "wsdeploy.schema.json";

/// A template's files: where each is written, and its text.
type Files = &'static [(&'static str, &'static str)];

const NODE: Files = &[
    ("wsdeploy.yml", include_str!("templates/node/wsdeploy.yml")),
    ("package.json", include_str!("templates/node/package.json")),
    (".gitignore", include_str!("templates/node/gitignore")),
    (
        "src/connect.mjs",
        include_str!("templates/node/src/connect.mjs"),
    ),
    (
        "src/disconnect.mjs",
        include_str!("templates/node/src/disconnect.mjs"),
    ),
    (
        "src/default.mjs",
        include_str!("templates/node/src/default.mjs"),
    ),
    ("src/echo.mjs", include_str!("templates/node/src/echo.mjs")),
];

const TYPESCRIPT: Files = &[
    (
        "wsdeploy.yml",
        include_str!("templates/typescript/wsdeploy.yml"),
    ),
    (
        "package.json",
        include_str!("templates/typescript/package.json"),
    ),
    (
        "tsconfig.json",
        include_str!("templates/typescript/tsconfig.json"),
    ),
    (".gitignore", include_str!("templates/typescript/gitignore")),
    (
        "src/types.ts",
        include_str!("templates/typescript/src/types.ts"),
    ),
    (
        "src/connect.ts",
        include_str!("templates/typescript/src/connect.ts"),
    ),
    (
        "src/disconnect.ts",
        include_str!("templates/typescript/src/disconnect.ts"),
    ),
    (
        "src/default.ts",
        include_str!("templates/typescript/src/default.ts"),
    ),
    (
        "src/echo.ts",
        include_str!("templates/typescript/src/echo.ts"),
    ),
];

const PYTHON: Files = &[
    (
        "wsdeploy.yml",
        include_str!("templates/python/wsdeploy.yml"),
    ),
    (
        "requirements.txt",
        include_str!("templates/python/requirements.txt"),
    ),
    (".gitignore", include_str!("templates/python/gitignore")),
    (
        "handlers/connect.py",
        include_str!("templates/python/handlers/connect.py"),
    ),
    (
        "handlers/disconnect.py",
        include_str!("templates/python/handlers/disconnect.py"),
    ),
    (
        "handlers/default.py",
        include_str!("templates/python/handlers/default.py"),
    ),
    (
        "handlers/echo.py",
        include_str!("templates/python/handlers/echo.py"),
    ),
];

impl Template {
    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Template::Node => "node",
            Template::Typescript => "typescript",
            Template::Python => "python",
        }
    }

    /// Its handlers need `npm install` (esbuild) before they build.
    pub fn uses_npm(self) -> bool {
        matches!(self, Template::Node | Template::Typescript)
    }

    fn files(self) -> Files {
        match self {
            Template::Node => NODE,
            Template::Typescript => TYPESCRIPT,
            Template::Python => PYTHON,
        }
    }
}

/// The files of `template` for the app `app`: the config first, then the
/// schema it points at, then the rest.
pub fn render(template: Template, app: &str) -> Vec<File> {
    let mut files: Vec<File> = template
        .files()
        .iter()
        .map(|(path, text)| File {
            path,
            contents: text.replace(APP, app),
        })
        .collect();
    files.insert(
        1,
        File {
            path: SCHEMA_FILE,
            contents: crate::schema::schema_text(),
        },
    );
    files
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    const ALL: [Template; 3] = [Template::Node, Template::Typescript, Template::Python];

    #[test]
    fn every_template_names_the_app_and_points_at_its_schema() {
        for t in ALL {
            let files = render(t, "my-app");
            assert_eq!(files[0].path, "wsdeploy.yml");
            let config = &files[0].contents;
            assert!(
                config.starts_with("# yaml-language-server: $schema=./wsdeploy.schema.json\n"),
                "{config}"
            );
            assert!(config.contains("\napp: my-app\n"), "{config}");
            assert_eq!(files[1].path, SCHEMA_FILE);
            assert!(files.iter().all(|f| !f.contents.contains(APP)), "{t:?}");
            let paths: BTreeSet<_> = files.iter().map(|f| f.path).collect();
            assert_eq!(paths.len(), files.len(), "{t:?}: a path twice");
            for route in ["$connect", "$disconnect", "$default", "echo"] {
                assert!(config.contains(&format!("\n  {route}:")), "{t:?} {route}");
            }
        }
    }

    #[test]
    fn npm_templates_pin_the_esbuild_of_the_repository() {
        let ours: serde_json::Value =
            serde_json::from_str(include_str!("../../package.json")).unwrap();
        let esbuild = &ours["devDependencies"]["esbuild"];
        for t in ALL.into_iter().filter(|t| t.uses_npm()) {
            let files = render(t, "my-app");
            let package = files.iter().find(|f| f.path == "package.json").unwrap();
            let v: serde_json::Value = serde_json::from_str(&package.contents).unwrap();
            assert_eq!(&v["devDependencies"]["esbuild"], esbuild, "{t:?}");
            assert_eq!(v["private"], true);
            assert_eq!(v["name"], "my-app");
        }
    }
}
