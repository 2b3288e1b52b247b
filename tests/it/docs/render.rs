//! Markdown for registry pages, from `terraform providers schema -json` and a template.
//!
//! A template is Markdown with directives, each alone on its line:
//! - `{{ description }}`: the type's description from the schema;
//! - `{{ schema }}`: the argument and attribute reference (provider, resource, data source);
//! - `{{ function }}`: signature, arguments and return type (functions);
//! - `{{ example "PATH" }}` / `{{ shell "PATH" }}`: a file of the repository in a fenced block
//!   (`terraform` or `shell`), so examples are shown exactly as they are tested.
//!
//! The layout follows what the Terraform Registry renders and `tfplugindocs` writes: front
//! matter, `## Schema` with Required / Optional / Read-Only lists, and anchored
//! "Nested Schema for" sections for blocks, nested attributes and object-typed attributes.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value as Json;

/// What a page documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The provider (index page).
    Provider,
    /// A managed resource type.
    Resource,
    /// A data source.
    DataSource,
    /// A provider-defined function.
    Function,
    /// An action (Terraform 1.14+).
    Action,
    /// A list resource, for `terraform query` (Terraform 1.14+): its `config` block.
    ListResource,
}

/// One page to render: its subject, the subject's schema JSON, and the template text.
pub struct Page<'a> {
    /// What it documents.
    pub kind: Kind,
    /// Type or function name (`tagdeploy` for the provider).
    pub name: &'a str,
    /// The subject's entry of the schema JSON (a `{block, version}` schema, or a function).
    pub schema: &'a Json,
    /// The template text.
    pub template: &'a str,
}

/// Renders `page`; file directives are read relative to `root`. Errors name what is wrong.
pub fn render(page: &Page<'_>, root: &Path) -> Result<String, String> {
    let mut out = front_matter(page);
    for (n, line) in page.template.lines().enumerate() {
        let trimmed = line.trim();
        let Some(directive) = trimmed
            .strip_prefix("{{")
            .and_then(|rest| rest.strip_suffix("}}"))
            .map(str::trim)
        else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let at = |e: String| format!("line {}: {e}", n + 1);
        let (word, argument) = match directive.split_once(' ') {
            Some((word, arg)) => (word, Some(arg.trim().trim_matches('"'))),
            None => (directive, None),
        };
        match (word, argument) {
            ("description", None) => {
                out.push_str(&description(page).map_err(at)?);
                out.push('\n');
            }
            ("schema", None) => {
                let block = page
                    .schema
                    .get("block")
                    .ok_or_else(|| at(format!("{} has no block to document", page.name)))?;
                out.push_str(&schema_section(block));
            }
            ("function", None) => out.push_str(&function_section(page.name, page.schema)),
            ("example", Some(path)) => out.push_str(&fenced(root, path, "terraform").map_err(at)?),
            ("shell", Some(path)) => out.push_str(&fenced(root, path, "shell").map_err(at)?),
            _ => return Err(at(format!("unknown directive {{{{ {directive} }}}}"))),
        }
    }
    // One trailing newline, however the template ends.
    while out.ends_with("\n\n") {
        out.pop();
    }
    Ok(out)
}

fn description(page: &Page<'_>) -> Result<String, String> {
    let text = match page.kind {
        Kind::Function => page.schema["description"].as_str(),
        _ => page.schema["block"]["description"].as_str(),
    };
    match text {
        Some(t) if !t.is_empty() => Ok(t.to_owned()),
        _ => Err(format!("{} has no description in its schema", page.name)),
    }
}

fn front_matter(page: &Page<'_>) -> String {
    let title = match page.kind {
        Kind::Provider => format!("{} Provider", page.name),
        Kind::Resource => format!("{} Resource - tagdeploy", page.name),
        Kind::DataSource => format!("{} Data Source - tagdeploy", page.name),
        Kind::Function => format!("{} function - tagdeploy", page.name),
        Kind::Action => format!("{} Action - tagdeploy", page.name),
        Kind::ListResource => format!("{} List Resource - tagdeploy", page.name),
    };
    let summary = match page.kind {
        Kind::Function => page.schema["summary"].as_str().unwrap_or_default(),
        _ => page.schema["block"]["description"]
            .as_str()
            .unwrap_or_default(),
    };
    let mut out = format!("---\npage_title: \"{title}\"\nsubcategory: \"\"\ndescription: |-\n");
    for line in summary.lines() {
        let _ = writeln!(out, "  {line}");
    }
    out.push_str("---\n\n");
    out
}

fn fenced(root: &Path, path: &str, language: &str) -> Result<String, String> {
    let text =
        std::fs::read_to_string(root.join(path)).map_err(|e| format!("cannot read {path}: {e}"))?;
    Ok(format!("```{language}\n{}\n```\n", text.trim_end()))
}

/// `## Schema` for a block: its lists, then a nested section per block or object attribute.
pub fn schema_section(block: &Json) -> String {
    let mut out = String::from("## Schema\n\n");
    let mut nested = Vec::new();
    block_lists(block, "###", "", &mut out, &mut nested);
    // Nested sections may themselves have nested sections: render breadth first.
    let mut i = 0;
    while i < nested.len() {
        let item: Nested = nested[i].clone();
        let _ = write!(
            out,
            "<a id=\"{}\"></a>\n### Nested Schema for `{}`\n\n",
            item.anchor, item.path
        );
        match &item.content {
            NestedContent::Block(block) => {
                let mut lists = String::new();
                block_lists(
                    block,
                    "",
                    &format!("{}.", item.path),
                    &mut lists,
                    &mut nested,
                );
                out.push_str(&lists);
            }
            NestedContent::Object { fields, computed } => {
                let _ = write!(
                    out,
                    "{}:\n\n",
                    if *computed { "Read-Only" } else { "Optional" }
                );
                for (name, ty) in fields {
                    let _ = writeln!(out, "- `{name}` ({})", type_name(ty));
                }
                out.push('\n');
            }
        }
        i += 1;
    }
    out
}

#[derive(Clone)]
struct Nested {
    anchor: String,
    path: String,
    content: NestedContent,
}

#[derive(Clone)]
enum NestedContent {
    Block(Json),
    Object {
        fields: Vec<(String, Json)>,
        computed: bool,
    },
}

/// The Required / Optional / Read-Only lists of one block. Top-level lists get `###` headings;
/// nested ones a plain "Required:" line, as the registry shows them.
fn block_lists(
    block: &Json,
    heading: &str,
    prefix: &str,
    out: &mut String,
    sections: &mut Vec<Nested>,
) {
    let mut groups: [(&str, Vec<String>); 3] = [
        ("Required", Vec::new()),
        ("Optional", Vec::new()),
        ("Read-Only", Vec::new()),
    ];
    if let Some(attributes) = block["attributes"].as_object() {
        for (name, attribute) in attributes {
            let flag = |k: &str| attribute[k].as_bool().unwrap_or(false);
            let group = if flag("required") {
                0
            } else if flag("optional") {
                1
            } else {
                2
            };
            let path = format!("{prefix}{name}");
            let nested = &attribute["nested_type"];
            let kind = if nested.is_object() {
                nested_type_name(nested)
            } else {
                type_name(&attribute["type"])
            };
            let mut line = format!("- `{name}` ({kind}");
            if flag("sensitive") {
                line.push_str(", Sensitive");
            }
            if flag("deprecated") {
                line.push_str(", Deprecated");
            }
            line.push(')');
            if let Some(text) = attribute["description"].as_str().filter(|t| !t.is_empty()) {
                line.push(' ');
                line.push_str(text);
            }
            if nested.is_object() {
                // A nested attribute: its members, documented like a block's attributes.
                let anchor = format!("nestedatt--{}", path.replace('.', "--"));
                let _ = write!(line, " (see [below for nested schema](#{anchor}))");
                sections.push(Nested {
                    anchor,
                    path: path.clone(),
                    content: NestedContent::Block(serde_json::json!({
                        "attributes": nested["attributes"].clone()
                    })),
                });
            } else if let Some(fields) = object_fields(&attribute["type"]) {
                let anchor = format!("nestedatt--{}", path.replace('.', "--"));
                let _ = write!(line, " (see [below for nested schema](#{anchor}))");
                sections.push(Nested {
                    anchor,
                    path: path.clone(),
                    content: NestedContent::Object {
                        fields,
                        computed: group == 2,
                    },
                });
            }
            groups[group].1.push(line);
        }
    }
    if let Some(blocks) = block["block_types"].as_object() {
        for (name, nested_block) in blocks {
            let min = nested_block["min_items"].as_i64().unwrap_or(0);
            let max = nested_block["max_items"].as_i64().unwrap_or(0);
            let group = usize::from(min == 0);
            let path = format!("{prefix}{name}");
            let anchor = format!("nestedblock--{}", path.replace('.', "--"));
            let mut line = format!(
                "- `{name}` (Block{}, {}",
                match nested_block["nesting_mode"].as_str() {
                    Some("list") => " List",
                    Some("set") => " Set",
                    _ => "",
                },
                if group == 0 { "Required" } else { "Optional" }
            );
            if max > 0 && nested_block["nesting_mode"] != "single" {
                let _ = write!(line, ", Max: {max}");
            }
            line.push(')');
            if let Some(text) = nested_block["block"]["description"]
                .as_str()
                .filter(|t| !t.is_empty())
            {
                line.push(' ');
                line.push_str(text);
            }
            let _ = write!(line, " (see [below for nested schema](#{anchor}))");
            groups[group].1.push(line);
            sections.push(Nested {
                anchor,
                path,
                content: NestedContent::Block(nested_block["block"].clone()),
            });
        }
    }
    for (title, lines) in &groups {
        if lines.is_empty() {
            continue;
        }
        if heading.is_empty() {
            let _ = write!(out, "{title}:\n\n");
        } else {
            let _ = write!(out, "{heading} {title}\n\n");
        }
        for line in lines {
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
    }
}

/// The fields of an object type, or of the object inside a list/set/map type.
fn object_fields(ty: &Json) -> Option<Vec<(String, Json)>> {
    let parts = ty.as_array()?;
    match parts.first()?.as_str()? {
        "object" => Some(
            parts
                .get(1)?
                .as_object()?
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        "list" | "set" | "map" => object_fields(parts.get(1)?),
        _ => None,
    }
}

/// A nested attribute's kind as the registry names it: `Attributes`, `Attributes List`,
/// `Attributes Set`, `Attributes Map`.
pub fn nested_type_name(nested: &Json) -> String {
    match nested["nesting_mode"].as_str() {
        Some("list") => "Attributes List",
        Some("set") => "Attributes Set",
        Some("map") => "Attributes Map",
        _ => "Attributes",
    }
    .to_owned()
}

/// A cty type as the registry names it: `String`, `List of String`, `List of Object`…
pub fn type_name(ty: &Json) -> String {
    if let Some(primitive) = ty.as_str() {
        return match primitive {
            "string" => "String",
            "bool" => "Boolean",
            "number" => "Number",
            "dynamic" => "Dynamic",
            other => other,
        }
        .to_owned();
    }
    let parts = ty.as_array().map(Vec::as_slice).unwrap_or_default();
    match (parts.first().and_then(Json::as_str), parts.get(1)) {
        (Some("list"), Some(inner)) => format!("List of {}", type_name(inner)),
        (Some("set"), Some(inner)) => format!("Set of {}", type_name(inner)),
        (Some("map"), Some(inner)) => format!("Map of {}", type_name(inner)),
        (Some("object"), _) => "Object".to_owned(),
        (Some("tuple"), _) => "Tuple".to_owned(),
        _ => ty.to_string(),
    }
}

/// A cty type in Terraform's type-constraint syntax: `object({ digest = string, … })`.
pub fn type_expression(ty: &Json) -> String {
    if let Some(primitive) = ty.as_str() {
        return primitive.to_owned();
    }
    let parts = ty.as_array().map(Vec::as_slice).unwrap_or_default();
    match (parts.first().and_then(Json::as_str), parts.get(1)) {
        (Some(kind @ ("list" | "set" | "map")), Some(inner)) => {
            format!("{kind}({})", type_expression(inner))
        }
        (Some("object"), Some(Json::Object(fields))) => format!(
            "object({{ {} }})",
            fields
                .iter()
                .map(|(k, v)| format!("{k} = {}", type_expression(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => ty.to_string(),
    }
}

/// Signature, arguments and return type of a function.
pub fn function_section(name: &str, function: &Json) -> String {
    let parameters = function["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let signature = parameters
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["name"].as_str().unwrap_or("?"),
                type_expression(&p["type"])
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = String::from("## Signature\n\n");
    let _ = write!(
        out,
        "```text\n{name}({signature}) {}\n```\n\n## Arguments\n\n",
        type_name(&function["return_type"]).to_lowercase()
    );
    for (i, p) in parameters.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. `{}` ({}) {}",
            i + 1,
            p["name"].as_str().unwrap_or("?"),
            type_name(&p["type"]),
            p["description"].as_str().unwrap_or_default()
        );
    }
    let _ = write!(
        out,
        "\n## Return Type\n\n```text\n{}\n```\n",
        type_expression(&function["return_type"])
    );
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn types_are_named_like_the_registry_names_them() {
        assert_eq!(type_name(&json!("bool")), "Boolean");
        assert_eq!(type_name(&json!(["set", "string"])), "Set of String");
        assert_eq!(
            type_name(&json!(["list", ["object", {"a": "string"}]])),
            "List of Object"
        );
        assert_eq!(
            type_expression(&json!(["object", {"a": "string", "b": ["list", "number"]}])),
            "object({ a = string, b = list(number) })"
        );
    }

    #[test]
    fn schema_groups_attributes_and_links_nested_schemas() {
        let block = json!({
            "attributes": {
                "name": {"type": "string", "required": true, "description": "The name."},
                "mode": {"type": "string", "optional": true, "computed": true, "description": "A mode."},
                "items": {"type": ["list", ["object", {"id": "string"}]], "computed": true},
            },
            "block_types": {
                "timeouts": {"nesting_mode": "single", "block": {
                    "description": "Timeouts.",
                    "attributes": {"create": {"type": "string", "optional": true}}
                }}
            }
        });
        let text = schema_section(&block);
        let expected = "## Schema\n\n### Required\n\n- `name` (String) The name.\n\n### Optional\n\n- `mode` (String) A mode.\n- `timeouts` (Block, Optional) Timeouts. (see [below for nested schema](#nestedblock--timeouts))\n\n### Read-Only\n\n- `items` (List of Object) (see [below for nested schema](#nestedatt--items))\n\n<a id=\"nestedatt--items\"></a>\n### Nested Schema for `items`\n\nRead-Only:\n\n- `id` (String)\n\n<a id=\"nestedblock--timeouts\"></a>\n### Nested Schema for `timeouts`\n\nOptional:\n\n- `create` (String)\n\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn nested_attributes_list_their_members_with_descriptions() {
        let block = json!({
            "attributes": {
                "images": {
                    "nested_type": {
                        "nesting_mode": "map",
                        "attributes": {
                            "repository": {"type": "string", "required": true, "description": "The repository."},
                            "digest": {"type": "string", "computed": true, "description": "The digest."},
                        }
                    },
                    "required": true,
                    "description": "Images by name."
                },
            }
        });
        let text = schema_section(&block);
        let expected = "## Schema\n\n### Required\n\n- `images` (Attributes Map) Images by name. (see [below for nested schema](#nestedatt--images))\n\n<a id=\"nestedatt--images\"></a>\n### Nested Schema for `images`\n\nRequired:\n\n- `repository` (String) The repository.\n\nRead-Only:\n\n- `digest` (String) The digest.\n\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn unknown_directives_and_missing_files_are_errors() {
        let schema = json!({"block": {"description": "D."}});
        let page = |template| Page {
            kind: Kind::Resource,
            name: "x",
            schema: &schema,
            template,
        };
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(
            render(&page("{{ nope }}"), root)
                .unwrap_err()
                .contains("unknown directive")
        );
        assert!(
            render(&page("{{ example \"no/such.tf\" }}"), root)
                .unwrap_err()
                .contains("no/such.tf")
        );
        let ok = render(&page("# x\n\n{{ description }}\n"), root).unwrap();
        assert!(
            ok.starts_with("---\npage_title: \"x Resource - tagdeploy\""),
            "{ok}"
        );
        assert!(ok.ends_with("# x\n\nD.\n"), "{ok}");
    }
}
