//! Image manifests: digests, media types, what ECR reads out of a manifest, and deterministic
//! generated manifests for world files.

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::world::ManifestFormat;

/// Docker image manifest v2 schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list (multi-arch).
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index (multi-arch).
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker v2 schema 1 (legacy, still accepted by ECR).
pub const DOCKER_V1: &str = "application/vnd.docker.distribution.manifest.v1+json";
/// Docker v2 schema 1, signed.
pub const DOCKER_V1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// `sha256:` + hex of the SHA-256 of exactly these bytes (ECR's image digest).
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Whether a string has the shape ECR accepts for a digest (`algorithm:hex`).
pub fn is_valid_digest(digest: &str) -> bool {
    match digest.split_once(':') {
        Some((alg, hex)) => {
            !alg.is_empty()
                && alg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_+.".contains(c))
                && !hex.is_empty()
                && hex.chars().all(|c| c.is_ascii_hexdigit())
        }
        None => false,
    }
}

/// What ECR learns from a manifest when it is pushed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestInfo {
    /// The effective media type.
    pub media_type: String,
    /// Digests of child manifests (manifest lists / OCI indexes only).
    pub children: Vec<String>,
    /// Sum of layer sizes (0 for indexes; the caller takes the children's maximum).
    pub size: i64,
    /// `config.mediaType`, reported as `artifactMediaType`.
    pub artifact_media_type: Option<String>,
}

impl ManifestInfo {
    /// True for manifest lists and OCI indexes.
    pub fn is_index(&self) -> bool {
        self.media_type == DOCKER_LIST || self.media_type == OCI_INDEX
    }
}

/// Reads a manifest the way ECR's PutImage does. `Err` carries the `InvalidParameterException`
/// message.
pub fn inspect(manifest: &str, declared: Option<&str>) -> Result<ManifestInfo, String> {
    let value: Value = serde_json::from_str(manifest).map_err(|_| {
        "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Invalid JSON syntax'"
            .to_string()
    })?;
    let Value::Object(obj) = value else {
        return Err(
            "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Invalid JSON syntax'"
                .to_string(),
        );
    };
    let in_body = obj.get("mediaType").and_then(Value::as_str);
    let declared = declared.filter(|d| !d.is_empty());
    let media_type = match (declared, in_body) {
        (Some(d), Some(b)) if d != b => {
            return Err(format!(
                "Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'Manifest media type {b} does not match the provided media type {d}'"
            ));
        }
        (Some(d), _) => d.to_string(),
        (None, Some(b)) => b.to_string(),
        (None, None) => {
            return Err(
                "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Manifest does not contain a mediaType and imageManifestMediaType was not provided'"
                    .to_string(),
            );
        }
    };
    let known = [
        DOCKER_MANIFEST,
        DOCKER_LIST,
        OCI_MANIFEST,
        OCI_INDEX,
        DOCKER_V1,
        DOCKER_V1_SIGNED,
    ];
    if !known.contains(&media_type.as_str()) {
        return Err(format!(
            "Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'Unsupported manifest media type {media_type}'"
        ));
    }
    let mut info = ManifestInfo {
        media_type,
        children: Vec::new(),
        size: 0,
        artifact_media_type: None,
    };
    if info.is_index() {
        let Some(list) = obj.get("manifests").and_then(Value::as_array) else {
            return Err(
                "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'manifests must be a list'"
                    .to_string(),
            );
        };
        for child in list {
            match child.get("digest").and_then(Value::as_str) {
                Some(d) if is_valid_digest(d) => info.children.push(d.to_string()),
                _ => {
                    return Err(
                        "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'manifests[].digest is not a valid digest'"
                            .to_string(),
                    );
                }
            }
        }
    } else {
        let layers = obj.get("layers").and_then(Value::as_array);
        info.size = layers
            .map(|l| {
                l.iter()
                    .filter_map(|x| x.get("size").and_then(Value::as_i64))
                    .sum()
            })
            .unwrap_or(0);
        info.artifact_media_type = obj
            .get("config")
            .and_then(|c| c.get("mediaType"))
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    Ok(info)
}

/// The blobs a single (non-index) manifest references and a registry must hold before it
/// accepts the manifest: its config and its layers, except foreign (non-distributable) layers,
/// which are pulled from their own URLs. Empty for indexes and for text that is not JSON.
pub fn referenced_blobs(manifest: &str) -> Vec<String> {
    let Ok(value) = serde_json::from_str::<Value>(manifest) else {
        return Vec::new();
    };
    let digest = |v: &Value| v.get("digest").and_then(Value::as_str).map(str::to_string);
    let mut out: Vec<String> = value.get("config").and_then(digest).into_iter().collect();
    for layer in value
        .get("layers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let media_type = layer.get("mediaType").and_then(Value::as_str).unwrap_or("");
        if media_type.contains("foreign") || media_type.contains("nondistributable") {
            continue;
        }
        if let Some(d) = digest(layer)
            && !out.contains(&d)
        {
            out.push(d);
        }
    }
    out
}

/// A generated image: its manifest text and media type, plus child manifests for an index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    /// Manifest bytes (as text).
    pub manifest: String,
    /// Its media type.
    pub media_type: String,
    /// Child manifests (text, media type), stored as untagged images before the index.
    pub children: Vec<(String, String)>,
}

/// A fake blob descriptor derived from a seed: a digest and a plausible size.
fn blob(seed: &str, label: &str) -> (String, u64) {
    let hash = Sha256::digest(format!("{seed}/{label}").as_bytes());
    let size =
        1_000 + u64::from(u32::from_be_bytes([hash[0], hash[1], hash[2], hash[3]]) % 30_000_000);
    (format!("sha256:{}", hex::encode(hash)), size)
}

fn single(seed: &str, format: ManifestFormat, layers: u32) -> (String, String) {
    let (media_type, config_type, layer_type) = match format {
        ManifestFormat::Docker => (
            DOCKER_MANIFEST,
            "application/vnd.docker.container.image.v1+json",
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
        ),
        ManifestFormat::Oci => (
            OCI_MANIFEST,
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.oci.image.layer.v1.tar+gzip",
        ),
    };
    let (config_digest, config_size) = blob(seed, "config");
    let config_size = config_size % 20_000 + 500;
    let layer_entries: Vec<String> = (0..layers)
        .map(|i| {
            let (d, s) = blob(seed, &format!("layer{i}"));
            format!(
                "      {{\n         \"mediaType\": \"{layer_type}\",\n         \"size\": {s},\n         \"digest\": \"{d}\"\n      }}"
            )
        })
        .collect();
    // Laid out like the Docker client writes manifests (3-space indent, this member order).
    let text = format!(
        "{{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"{media_type}\",\n   \"config\": {{\n      \"mediaType\": \"{config_type}\",\n      \"size\": {config_size},\n      \"digest\": \"{config_digest}\"\n   }},\n   \"layers\": [\n{}\n   ]\n}}",
        layer_entries.join(",\n")
    );
    (text, media_type.to_string())
}

fn platform_json(platform: &str) -> String {
    let mut parts = platform.split('/');
    let os = parts.next().unwrap_or("linux");
    let arch = parts.next().unwrap_or("amd64");
    match parts.next() {
        Some(variant) => format!(
            "{{\n            \"architecture\": \"{arch}\",\n            \"os\": \"{os}\",\n            \"variant\": \"{variant}\"\n         }}"
        ),
        None => format!(
            "{{\n            \"architecture\": \"{arch}\",\n            \"os\": \"{os}\"\n         }}"
        ),
    }
}

/// Generates a deterministic manifest (or index with children) from a seed.
pub fn generate(
    seed: &str,
    format: ManifestFormat,
    platforms: &[String],
    index: bool,
    layers: u32,
) -> Generated {
    if !index {
        let (manifest, media_type) = single(seed, format, layers);
        return Generated {
            manifest,
            media_type,
            children: Vec::new(),
        };
    }
    let platforms: Vec<String> = if platforms.is_empty() {
        vec!["linux/amd64".to_string()]
    } else {
        platforms.to_vec()
    };
    let children: Vec<(String, String)> = platforms
        .iter()
        .map(|p| single(&format!("{seed}/{p}"), format, layers))
        .collect();
    let entries: Vec<String> = children
        .iter()
        .zip(&platforms)
        .map(|((text, mt), p)| {
            format!(
                "      {{\n         \"mediaType\": \"{mt}\",\n         \"size\": {},\n         \"digest\": \"{}\",\n         \"platform\": {}\n      }}",
                text.len(),
                digest_of(text.as_bytes()),
                platform_json(p)
            )
        })
        .collect();
    let media_type = match format {
        ManifestFormat::Docker => DOCKER_LIST,
        ManifestFormat::Oci => OCI_INDEX,
    };
    let manifest = format!(
        "{{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"{media_type}\",\n   \"manifests\": [\n{}\n   ]\n}}",
        entries.join(",\n")
    );
    Generated {
        manifest,
        media_type: media_type.to_string(),
        children,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_sha256_of_exact_bytes() {
        assert_eq!(
            digest_of(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_ne!(digest_of(b"{}"), digest_of(b"{ }"));
    }

    #[test]
    fn generated_manifests_parse_and_differ_by_seed() {
        let a = generate("a", ManifestFormat::Docker, &[], false, 2);
        let b = generate("b", ManifestFormat::Docker, &[], false, 2);
        assert_ne!(a.manifest, b.manifest);
        let info = inspect(&a.manifest, None).unwrap();
        assert_eq!(info.media_type, DOCKER_MANIFEST);
        assert!(info.size > 0);
        let idx = generate(
            "m",
            ManifestFormat::Oci,
            &["linux/amd64".into(), "linux/arm64/v8".into()],
            true,
            1,
        );
        let info = inspect(&idx.manifest, None).unwrap();
        assert!(info.is_index());
        assert_eq!(info.children.len(), 2);
        assert_eq!(info.children[1], digest_of(idx.children[1].0.as_bytes()));
    }

    #[test]
    fn media_type_rules() {
        assert!(inspect("{\"schemaVersion\":2}", None).is_err());
        assert!(inspect("{\"schemaVersion\":2}", Some(OCI_MANIFEST)).is_ok());
        assert!(
            inspect(
                &format!("{{\"mediaType\":\"{DOCKER_MANIFEST}\"}}"),
                Some(OCI_MANIFEST)
            )
            .is_err()
        );
        assert!(inspect("not json", Some(OCI_MANIFEST)).is_err());
        assert!(inspect("{}", Some("text/plain")).is_err());
    }
}
