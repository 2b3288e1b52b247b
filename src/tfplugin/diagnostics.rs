//! Diagnostics: the user-facing errors and warnings every protocol response carries.
//!
//! The rest of the provider uses [`Diagnostics`] as its one error channel: fallible methods
//! return `Result<T, Diagnostics>` (the error side holds at least one error, possibly warnings
//! too) and [`Diagnostic`] converts into [`Diagnostics`] so that `?` works on either.
//! Warnings that accompany a success are pushed to the call's context instead.

use std::fmt;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The operation failed.
    Error,
    /// The operation succeeded but the user should know something.
    Warning,
}

/// One step of an [`AttributePath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// An attribute of an object, or a nested block by name.
    Attribute(String),
    /// A key of a map (or of a map of nested blocks).
    Key(String),
    /// An index of a list (or of a list of nested blocks).
    Index(i64),
}

/// A path from the root of a configuration object to one of its parts, e.g.
/// `assume_role.role_arn` or `services[2]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AttributePath {
    steps: Vec<PathStep>,
}

impl AttributePath {
    /// The empty path: the whole object.
    pub fn root() -> Self {
        Self::default()
    }

    /// A path to a top-level attribute.
    pub fn attr(name: impl Into<String>) -> Self {
        Self::root().then_attr(name)
    }

    /// This path followed by an attribute (or nested block) name.
    #[must_use]
    pub fn then_attr(mut self, name: impl Into<String>) -> Self {
        self.steps.push(PathStep::Attribute(name.into()));
        self
    }

    /// This path followed by a list index.
    #[must_use]
    pub fn then_index(mut self, index: i64) -> Self {
        self.steps.push(PathStep::Index(index));
        self
    }

    /// This path followed by a map key.
    #[must_use]
    pub fn then_key(mut self, key: impl Into<String>) -> Self {
        self.steps.push(PathStep::Key(key.into()));
        self
    }

    /// The steps, root first.
    pub fn steps(&self) -> &[PathStep] {
        &self.steps
    }

    /// Builds a path from steps (root first).
    pub fn from_steps(steps: Vec<PathStep>) -> Self {
        Self { steps }
    }

    /// True for the root path.
    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }
}

impl fmt::Display for AttributePath {
    /// Terraform-like notation: `assume_role.role_arn`, `services[2]`, `tags["env"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => write!(f, "{name}")?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// One error or warning: a summary line, a detail paragraph, and optionally the attribute at
/// fault (Terraform then underlines it in the configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A short line naming what went wrong ("Invalid Endpoint URL").
    pub summary: String,
    /// What failed and what to do, with the original error at the end.
    pub detail: String,
    /// The attribute at fault, if one is.
    pub attribute: Option<AttributePath>,
}

impl Diagnostic {
    /// An error diagnostic.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    /// A warning diagnostic.
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(summary, detail)
        }
    }

    /// The same diagnostic, pointing at `path`.
    #[must_use]
    pub fn at(mut self, path: AttributePath) -> Self {
        self.attribute = Some(path);
        self
    }

    /// True for an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{level}: {}", self.summary)?;
        if let Some(path) = &self.attribute {
            write!(f, " (at {path})")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// An ordered collection of diagnostics. As the error type of `Result`, it holds at least one
/// error (see [`Diagnostics::into_result`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Adds an error.
    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::error(summary, detail));
    }

    /// Adds a warning.
    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::warning(summary, detail));
    }

    /// Appends all of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// True when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The diagnostics, in the order they were added.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    /// `Err(self)` when it holds an error, else `Ok(self)` (warnings only): the bridge from
    /// "collect everything" code to the `?` world.
    pub fn into_result(self) -> Result<Diagnostics, Diagnostics> {
        if self.has_errors() {
            Err(self)
        } else {
            Ok(self)
        }
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Self {
            items: vec![diagnostic],
        }
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Self {
            items: iter.into_iter().collect(),
        }
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.items.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_display_reads_like_terraform() {
        let p = AttributePath::attr("services").then_index(2);
        assert_eq!(p.to_string(), "services[2]");
        let p = AttributePath::attr("assume_role").then_attr("role_arn");
        assert_eq!(p.to_string(), "assume_role.role_arn");
        let p = AttributePath::attr("triggers").then_key("env");
        assert_eq!(p.to_string(), "triggers[\"env\"]");
    }

    #[test]
    fn into_result_splits_on_errors_only() {
        let mut d = Diagnostics::new();
        d.warning("careful", "");
        assert!(d.clone().into_result().is_ok());
        d.error("broken", "detail");
        let err = d.into_result().unwrap_err();
        assert_eq!(err.iter().count(), 2);
    }

    #[test]
    fn question_mark_converts_a_single_diagnostic() {
        fn fails() -> Result<(), Diagnostics> {
            Err(Diagnostic::error("Bad", "worse").at(AttributePath::attr("x")))?
        }
        let err = fails().unwrap_err();
        assert!(err.has_errors());
        assert_eq!(err.to_string(), "error: Bad (at x): worse");
    }
}
