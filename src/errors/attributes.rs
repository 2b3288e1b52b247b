//! Which attribute of a Terraform type holds each thing an error can be about.

use crate::tfplugin::diagnostics::AttributePath;

/// Where a Terraform type keeps each thing an error can be about. Unset entries mean the type
/// has no such attribute: the diagnostic then points at nothing and the hint names the thing
/// in words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes {
    pub(super) repository: Option<AttributePath>,
    pub(super) registry_id: Option<AttributePath>,
    pub(super) image_tag: Option<AttributePath>,
    pub(super) image_digest: Option<AttributePath>,
    pub(super) environment_tag: Option<AttributePath>,
    pub(super) cluster: Option<AttributePath>,
    pub(super) services: Option<AttributePath>,
    pub(super) container: Option<AttributePath>,
    pub(super) pause_hook_action: Option<AttributePath>,
    pub(super) timeouts: Option<AttributePath>,
}

impl Attributes {
    /// No attributes yet.
    pub fn new() -> Attributes {
        Attributes::default()
    }

    /// The ECR repository.
    #[must_use]
    pub fn repository(mut self, path: AttributePath) -> Self {
        self.repository = Some(path);
        self
    }

    /// The registry (account) id of the repository.
    #[must_use]
    pub fn registry_id(mut self, path: AttributePath) -> Self {
        self.registry_id = Some(path);
        self
    }

    /// The tag an image is looked up by (a release tag, or the data source's `tag`).
    #[must_use]
    pub fn image_tag(mut self, path: AttributePath) -> Self {
        self.image_tag = Some(path);
        self
    }

    /// The digest an image is looked up by.
    #[must_use]
    pub fn image_digest(mut self, path: AttributePath) -> Self {
        self.image_digest = Some(path);
        self
    }

    /// The environment tag that is moved.
    #[must_use]
    pub fn environment_tag(mut self, path: AttributePath) -> Self {
        self.environment_tag = Some(path);
        self
    }

    /// The ECS cluster.
    #[must_use]
    pub fn cluster(mut self, path: AttributePath) -> Self {
        self.cluster = Some(path);
        self
    }

    /// The ECS service(s).
    #[must_use]
    pub fn services(mut self, path: AttributePath) -> Self {
        self.services = Some(path);
        self
    }

    /// The container reported on.
    #[must_use]
    pub fn container(mut self, path: AttributePath) -> Self {
        self.container = Some(path);
        self
    }

    /// What to do with PAUSE lifecycle hooks.
    #[must_use]
    pub fn pause_hook_action(mut self, path: AttributePath) -> Self {
        self.pause_hook_action = Some(path);
        self
    }

    /// How long the operation may take.
    #[must_use]
    pub fn timeouts(mut self, path: AttributePath) -> Self {
        self.timeouts = Some(path);
        self
    }
}
