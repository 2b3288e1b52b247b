//! List resources (Terraform 1.14+): what `terraform query` lists, and what its
//! `-generate-config-out` turns into `import` and `resource` blocks. One module per type, each
//! named after the managed resource type it lists and answering with that type's identity.
//!
//! - [`prod_tag`]: `list "tagdeploy_prod_tag"`, every environment tag in the registry.

pub mod prod_tag;
