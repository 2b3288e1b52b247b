//! How a deployment resolves a container image to a digest: once, against the emulated ECR or
//! the world's external images, as ECS has done since 2024.

use crate::ecr::Ecr;

use super::model::ExternalImage;
use super::task::ResolvedContainer;

/// Splits `registry/repo[:tag][@digest]` for an ECR registry host.
fn parse_ecr_reference(image: &str) -> Option<(String, String, Option<String>, Option<String>)> {
    let (host, rest) = image.split_once('/')?;
    let mut parts = host.split('.');
    let account = parts.next()?;
    if parts.next()? != "dkr" || parts.next()? != "ecr" {
        return None;
    }
    let _region = parts.next()?;
    if parts.next()? != "amazonaws" {
        return None;
    }
    let (name_tag, digest) = match rest.split_once('@') {
        Some((n, d)) => (n, Some(d.to_string())),
        None => (rest, None),
    };
    // A ':' after the last '/' separates the tag.
    let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match name_tag[last_slash..].find(':') {
        Some(i) => (
            &name_tag[..last_slash + i],
            Some(name_tag[last_slash + i + 1..].to_string()),
        ),
        None => (name_tag, None),
    };
    Some((account.to_string(), repo.to_string(), tag, digest))
}

/// Resolves an image reference to a digest against the emulated ECR (or the world's external
/// images), as a new deployment does once per container.
pub fn resolve_image(
    name: &str,
    image: &str,
    ecr: &Ecr,
    external: &[ExternalImage],
    account: &str,
) -> ResolvedContainer {
    let not_found = || {
        format!(
            "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref {image}: {image}: not found"
        )
    };
    let unhealthy = || {
        "CannotStartContainerError: Error response from daemon: failed to create task for container: the image is marked unhealthy in the emulator world".to_string()
    };
    // What the image found (digest, alarms it trips, healthy) makes of the container.
    let record = |mut out: ResolvedContainer, found: Option<(&String, &Vec<String>, bool)>| {
        match found {
            Some((digest, alarms, healthy)) => {
                out.digest = Some(digest.clone());
                out.alarms = alarms.clone();
                if !healthy {
                    out.failure = Some(unhealthy());
                }
            }
            None => out.failure = Some(not_found()),
        }
        out
    };
    let out = ResolvedContainer {
        name: name.to_string(),
        image: image.to_string(),
        digest: None,
        failure: None,
        alarms: Vec::new(),
    };
    if let Some((acct, repo_name, tag, digest)) = parse_ecr_reference(image)
        && acct == account
    {
        let found = ecr
            .repository(&repo_name)
            .and_then(|repo| match (&digest, &tag) {
                (Some(d), _) => repo.by_digest(d),
                (None, Some(t)) => repo.by_tag(t),
                (None, None) => repo.by_tag("latest"),
            });
        let found = found.map(|i| (&i.digest, &i.alarms, i.healthy));
        return record(out, found);
    }
    let found = external
        .iter()
        .find(|e| e.image == image)
        .map(|e| (&e.digest, &e.alarms, e.healthy));
    record(out, found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_references_parse() {
        let r = parse_ecr_reference("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:prod")
            .unwrap();
        assert_eq!(
            r,
            (
                "123456789012".into(),
                "team/app".into(),
                Some("prod".into()),
                None
            )
        );
        let r = parse_ecr_reference("123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:ab")
            .unwrap();
        assert_eq!(r.1, "app");
        assert_eq!(r.3.as_deref(), Some("sha256:ab"));
        assert!(parse_ecr_reference("nginx:latest").is_none());
        assert!(parse_ecr_reference("docker.io/library/nginx:1").is_none());
    }
}
