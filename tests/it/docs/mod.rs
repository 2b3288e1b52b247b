//! The registry docs under `docs/` are generated: the provider's own schema (as
//! `terraform providers schema -json` reports it from the built provider), the prose in
//! `templates/`, and the files under `examples/`. This test regenerates them and fails when the
//! committed ones differ; with `TAGDEPLOY_UPDATE_DOCS=1` (what `make docs` sets) it writes them.
//!
//! Why a test and not a separate tool: generating needs the built provider, a Terraform and a
//! workspace wired to a filesystem mirror, which the test harness already has.

mod render;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::support::repo_root;
use crate::support::terraform::{Terraform, Workspace, required_providers};
use render::{Kind, Page};

/// Every page: template (under `templates/`), output (under `docs/`), what it documents.
const PAGES: [(&str, &str, Kind, &str); 9] = [
    ("index.md.tmpl", "index.md", Kind::Provider, "tagdeploy"),
    (
        "resources/prod_tag.md.tmpl",
        "resources/prod_tag.md",
        Kind::Resource,
        "tagdeploy_prod_tag",
    ),
    (
        "resources/release.md.tmpl",
        "resources/release.md",
        Kind::Resource,
        "tagdeploy_release",
    ),
    (
        "data-sources/release_status.md.tmpl",
        "data-sources/release_status.md",
        Kind::DataSource,
        "tagdeploy_release_status",
    ),
    (
        "data-sources/task_digests.md.tmpl",
        "data-sources/task_digests.md",
        Kind::DataSource,
        "tagdeploy_task_digests",
    ),
    (
        "data-sources/image.md.tmpl",
        "data-sources/image.md",
        Kind::DataSource,
        "tagdeploy_image",
    ),
    (
        "functions/parse_image_uri.md.tmpl",
        "functions/parse_image_uri.md",
        Kind::Function,
        "parse_image_uri",
    ),
    (
        "actions/redeploy.md.tmpl",
        "actions/redeploy.md",
        Kind::Action,
        "tagdeploy_redeploy",
    ),
    (
        "list-resources/prod_tag.md.tmpl",
        "list-resources/prod_tag.md",
        Kind::ListResource,
        "tagdeploy_prod_tag",
    ),
];

/// Where each kind of page finds its subject in the schema JSON.
const GROUPS: [(&str, Kind); 5] = [
    ("resource_schemas", Kind::Resource),
    ("data_source_schemas", Kind::DataSource),
    ("functions", Kind::Function),
    ("action_schemas", Kind::Action),
    ("list_resource_schemas", Kind::ListResource),
];

/// The provider's schema as Terraform reports it (`provider_schemas.<source>`).
pub fn provider_schema(tf: &Terraform) -> Json {
    let ws = Workspace::new(tf, "docs-schema", &required_providers());
    ws.init();
    ws.provider_schema()
}

/// The generated docs, by path under `docs/`.
pub fn generate(schema: &Json, root: &Path) -> Result<BTreeMap<PathBuf, String>, Vec<String>> {
    let mut problems = Vec::new();
    // Every type and function the provider serves must have a page.
    // (A list resource shares its resource's name: the kind tells the pages apart.)
    let documented: Vec<(Kind, &str)> = PAGES.iter().map(|p| (p.2, p.3)).collect();
    for (group, kind) in GROUPS {
        for name in schema[group].as_object().into_iter().flat_map(|m| m.keys()) {
            if !documented.contains(&(kind, name.as_str())) {
                problems.push(format!(
                    "{name} ({group}) has no page in docs: add a template for it"
                ));
            }
        }
    }
    let mut pages = BTreeMap::new();
    for (template, output, kind, name) in PAGES {
        let subject = match kind {
            Kind::Provider => &schema["provider"],
            Kind::Resource => &schema["resource_schemas"][name],
            Kind::DataSource => &schema["data_source_schemas"][name],
            Kind::Function => &schema["functions"][name],
            Kind::Action => &schema["action_schemas"][name],
            Kind::ListResource => &schema["list_resource_schemas"][name],
        };
        if subject.is_null() {
            problems.push(format!("{name}: not in the provider's schema"));
            continue;
        }
        let path = root.join("templates").join(template);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                problems.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let page = Page {
            kind,
            name,
            schema: subject,
            template: &text,
        };
        match render::render(&page, root) {
            Ok(markdown) => {
                pages.insert(PathBuf::from(output), markdown);
            }
            Err(e) => problems.push(format!("templates/{template}: {e}")),
        }
    }
    if problems.is_empty() {
        Ok(pages)
    } else {
        Err(problems)
    }
}

/// The Markdown files under `dir`, relative to it.
fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path.strip_prefix(dir).expect("under dir").to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// The first line where two texts differ, for the failure message.
fn first_difference(committed: &str, generated: &str) -> String {
    let mut a = committed.lines();
    let mut b = generated.lines();
    for n in 1.. {
        match (a.next(), b.next()) {
            (None, None) => return "(only line endings differ)".to_owned(),
            (x, y) if x == y => {}
            (x, y) => {
                return format!(
                    "line {n}:\n  committed: {}\n  generated: {}",
                    x.unwrap_or("(end of file)"),
                    y.unwrap_or("(end of file)")
                );
            }
        }
    }
    unreachable!("the loop returns")
}

/// The fenced `terraform` and `hcl` blocks of `markdown`.
fn hcl_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line == "```terraform" || line == "```hcl" => current = Some(String::new()),
            Some(_) if line == "```" => blocks.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

/// Every HCL snippet of the generated pages (examples, and those written in the templates) is
/// `terraform fmt`-clean, like the example files.
fn assert_snippets_formatted(tf: &Terraform, pages: &BTreeMap<PathBuf, String>) {
    let ws = Workspace::new(tf, "docs-snippets", &required_providers());
    let dir = ws.work_dir().join("snippets");
    std::fs::create_dir_all(&dir).expect("create snippets dir");
    let mut count = 0;
    for (path, text) in pages {
        for (i, block) in hcl_blocks(text).iter().enumerate() {
            count += 1;
            let name = format!("{}-{i}.tf", path.display()).replace('/', "_");
            std::fs::write(dir.join(name), block).expect("write snippet");
        }
    }
    assert!(count >= 10, "only {count} HCL snippets found in the docs");
    ws.assert_formatted(
        &dir,
        "the snippets come from templates/ and examples/: fix them there",
    );
}

#[test]
fn committed_docs_match_the_schema_templates_and_examples() {
    let root = repo_root();
    let tf = Terraform::v1_15();
    let schema = provider_schema(&tf);
    let pages = generate(&schema, &root).unwrap_or_else(|problems| {
        panic!("the docs cannot be generated:\n{}", problems.join("\n"))
    });
    assert_snippets_formatted(&tf, &pages);
    let docs = root.join("docs");
    let update = std::env::var_os("TAGDEPLOY_UPDATE_DOCS").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (path, text) in &pages {
        let target = docs.join(path);
        let committed = std::fs::read_to_string(&target).unwrap_or_default();
        if committed == *text {
            continue;
        }
        if update {
            std::fs::create_dir_all(target.parent().expect("docs/ has a parent"))
                .expect("create docs dir");
            std::fs::write(&target, text).expect("write docs page");
            eprintln!("wrote docs/{}", path.display());
        } else {
            stale.push(format!(
                "docs/{} differs from what the schema, templates/ and examples/ generate; {}",
                path.display(),
                first_difference(&committed, text)
            ));
        }
    }
    // Pages in the registry's type directories must all be generated; other files in docs/
    // (e.g. the benchmark report) are not registry pages and are left alone.
    let registry_dirs = [
        "resources",
        "data-sources",
        "functions",
        "actions",
        "list-resources",
    ];
    for extra in markdown_files(&docs) {
        let in_registry_dir = extra
            .components()
            .next()
            .is_some_and(|c| registry_dirs.iter().any(|d| c.as_os_str() == *d));
        if in_registry_dir && !pages.contains_key(&extra) {
            if update {
                std::fs::remove_file(docs.join(&extra)).expect("remove stale docs page");
                eprintln!("removed docs/{}", extra.display());
            } else {
                stale.push(format!(
                    "docs/{} is not generated from any template (remove it, or add it to PAGES)",
                    extra.display()
                ));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "the committed docs are out of date. Regenerate them with `make docs` and commit docs/.\n\n{}",
        stale.join("\n\n")
    );
}
