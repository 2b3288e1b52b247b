//! Blobs (layers and image configs) in a repository, and the ECR API calls that upload them:
//! BatchCheckLayerAvailability, InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload. The
//! registry API (`crate::registry`) stores blobs through the same functions, so a blob pushed
//! either way satisfies PutImage's `LayersNotFoundException` check.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::manifest;
use crate::protocol::{AwsError, RequestContext};

use super::Handler;
use super::model::{Ecr, Repository, Upload};

/// ECR's upload part size hint (`partSize`), bytes.
const PART_SIZE: i64 = 10 << 20;

/// The layer operations.
pub(super) const OPERATIONS: &[(&str, Handler)] = &[
    ("BatchCheckLayerAvailability", |ecr, r| {
        check_availability(ecr, r.input()?, r.ctx)
    }),
    ("InitiateLayerUpload", |ecr, r| {
        let input: InitiateIn = r.input()?;
        let index = ecr.index_of(input.registry_id.as_deref(), &input.repository_name, r.ctx)?;
        let id = ecr.start_upload(index);
        Ok(json!({ "uploadId": id, "partSize": PART_SIZE }))
    }),
    ("UploadLayerPart", |ecr, r| {
        upload_part(ecr, r.input()?, r.ctx)
    }),
    ("CompleteLayerUpload", |ecr, r| {
        complete(ecr, r.input()?, r.ctx)
    }),
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckIn {
    registry_id: Option<String>,
    repository_name: String,
    layer_digests: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InitiateIn {
    registry_id: Option<String>,
    repository_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UploadPartIn {
    registry_id: Option<String>,
    repository_name: String,
    upload_id: String,
    part_first_byte: i64,
    part_last_byte: i64,
    layer_part_blob: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompleteIn {
    registry_id: Option<String>,
    repository_name: String,
    upload_id: String,
    layer_digests: Vec<String>,
}

/// Why a blob upload could not be finished.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    /// No upload with that id in that repository.
    #[error("upload {0} does not exist")]
    UnknownUpload(String),
    /// The bytes received do not hash to the digest the client claimed.
    #[error("the uploaded content has digest {actual}, not {claimed}")]
    DigestMismatch {
        /// What the client said.
        claimed: String,
        /// What the bytes are.
        actual: String,
    },
    /// The claimed digest is not `algorithm:hex`.
    #[error("'{0}' is not a valid digest")]
    InvalidDigest(String),
}

impl Repository {
    /// The blobs `manifest` references that this repository does not hold. Always empty for
    /// repositories that skip the check (seeded by a world file).
    pub fn missing_blobs(&self, manifest: &str) -> Vec<String> {
        if !self.check_layers {
            return Vec::new();
        }
        manifest::referenced_blobs(manifest)
            .into_iter()
            .filter(|d| !self.blobs.contains_key(d))
            .collect()
    }
}

/// The image-config label that makes tasks of an image fail to start in the emulator (as
/// `healthy: false` does in a world file), so one pushed image fails here as its broken command
/// fails on AWS.
pub const FAILS_TO_START_LABEL: &str = "org.tagdeploy.emulator.fails-to-start";

impl Repository {
    /// Whether tasks of `manifest` start: false when its config blob, pushed to this repository,
    /// carries [`FAILS_TO_START_LABEL`] = `"true"`.
    pub fn starts(&self, manifest: &str) -> bool {
        let config = serde_json::from_str::<Value>(manifest)
            .ok()
            .and_then(|m| {
                m.pointer("/config/digest")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .and_then(|d| self.blobs.get(&d))
            .and_then(|b| serde_json::from_slice::<Value>(b).ok());
        let label = config
            .as_ref()
            .and_then(|c| c.pointer("/config/Labels"))
            .and_then(|l| l.get(FAILS_TO_START_LABEL))
            .and_then(Value::as_str);
        label != Some("true")
    }
}

impl Ecr {
    /// Starts a blob upload into repository `index`; returns its id.
    pub fn start_upload(&mut self, index: usize) -> String {
        self.upload_seq += 1;
        let repository = self.repositories[index].name.clone();
        let id = manifest::digest_of(format!("upload:{repository}:{}", self.upload_seq).as_bytes());
        // A UUID-shaped id, like ECR's and the distribution reference implementation's.
        let hex = &id["sha256:".len()..];
        let id = format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        );
        self.uploads.insert(
            id.clone(),
            Upload {
                repository,
                data: Vec::new(),
            },
        );
        id
    }

    /// The upload `id` of repository `repository`, to append to.
    pub fn upload_mut(&mut self, repository: &str, id: &str) -> Option<&mut Upload> {
        self.uploads
            .get_mut(id)
            .filter(|u| u.repository == repository)
    }

    /// Finishes upload `id`: its bytes must hash to `digest`. Stores the blob and returns its size.
    pub fn finish_upload(
        &mut self,
        repository: &str,
        id: &str,
        digest: &str,
    ) -> Result<usize, UploadError> {
        if !manifest::is_valid_digest(digest) {
            return Err(UploadError::InvalidDigest(digest.to_string()));
        }
        let upload = self
            .upload_mut(repository, id)
            .ok_or_else(|| UploadError::UnknownUpload(id.to_string()))?;
        let actual = manifest::digest_of(&upload.data);
        if actual != digest {
            // The upload stays open, as in the distribution spec: the client may retry.
            return Err(UploadError::DigestMismatch {
                claimed: digest.to_string(),
                actual,
            });
        }
        let Some(upload) = self.uploads.remove(id) else {
            return Err(UploadError::UnknownUpload(id.to_string()));
        };
        let size = upload.data.len();
        if let Some(repo) = self.repositories.iter_mut().find(|r| r.name == repository) {
            repo.blobs
                .insert(digest.to_string(), Bytes::from(upload.data));
        }
        Ok(size)
    }
}

fn check_availability(ecr: &Ecr, input: CheckIn, ctx: &RequestContext) -> Result<Value, AwsError> {
    let index = ecr.index_of(input.registry_id.as_deref(), &input.repository_name, ctx)?;
    if input.layer_digests.is_empty() || input.layer_digests.len() > 100 {
        return Err(AwsError::invalid(
            "1 validation error detected: Value at 'layerDigests' failed to satisfy constraint: Member must have length between 1 and 100",
        ));
    }
    let repo = &ecr.repositories[index];
    let mut layers = Vec::new();
    let mut failures = Vec::new();
    for digest in &input.layer_digests {
        if !manifest::is_valid_digest(digest) {
            failures.push(json!({ "layerDigest": digest, "failureCode": "InvalidLayerDigest", "failureReason": "Invalid layer digest" }));
            continue;
        }
        match repo.blobs.get(digest) {
            Some(blob) => layers.push(json!({
                "layerDigest": digest,
                "layerAvailability": "AVAILABLE",
                "layerSize": blob.len(),
            })),
            None => failures.push(json!({ "layerDigest": digest, "failureCode": "MissingLayerDigest", "failureReason": "Layer not found" })),
        }
    }
    Ok(json!({ "layers": layers, "failures": failures }))
}

fn upload_part(
    ecr: &mut Ecr,
    input: UploadPartIn,
    ctx: &RequestContext,
) -> Result<Value, AwsError> {
    let index = ecr.index_of(input.registry_id.as_deref(), &input.repository_name, ctx)?;
    let name = ecr.repositories[index].name.clone();
    let bytes = STANDARD
        .decode(input.layer_part_blob.as_bytes())
        .map_err(|e| {
            AwsError::client(
                "SerializationException",
                format!("layerPartBlob is not base64: {e}"),
            )
        })?;
    let upload = ecr.upload_mut(&name, &input.upload_id).ok_or_else(|| {
        AwsError::client(
            "UploadNotFoundException",
            format!("The upload with id '{}' does not exist", input.upload_id),
        )
    })?;
    let expected_first = upload.data.len() as i64;
    let expected_last = expected_first + bytes.len() as i64 - 1;
    if input.part_first_byte != expected_first || input.part_last_byte != expected_last {
        return Err(AwsError::client(
            "InvalidLayerPartException",
            format!(
                "The layer part must start at byte {expected_first} and end at byte {expected_last} (got {}-{})",
                input.part_first_byte, input.part_last_byte
            ),
        ));
    }
    upload.data.extend_from_slice(&bytes);
    Ok(json!({
        "registryId": ctx.account,
        "repositoryName": name,
        "uploadId": input.upload_id,
        "lastByteReceived": expected_last,
    }))
}

fn complete(ecr: &mut Ecr, input: CompleteIn, ctx: &RequestContext) -> Result<Value, AwsError> {
    let index = ecr.index_of(input.registry_id.as_deref(), &input.repository_name, ctx)?;
    let name = ecr.repositories[index].name.clone();
    let [digest] = &input.layer_digests[..] else {
        return Err(AwsError::invalid(
            "Invalid parameter at 'layerDigests': exactly one digest is expected",
        ));
    };
    if ecr.repositories[index].blobs.contains_key(digest) {
        ecr.uploads.remove(&input.upload_id);
        return Err(AwsError::client(
            "LayerAlreadyExistsException",
            format!("The layer '{digest}' already exists in the repository with name '{name}'"),
        ));
    }
    match ecr.finish_upload(&name, &input.upload_id, digest) {
        Ok(_) => Ok(json!({
            "registryId": ctx.account,
            "repositoryName": name,
            "uploadId": input.upload_id,
            "layerDigest": digest,
        })),
        Err(UploadError::UnknownUpload(id)) => Err(AwsError::client(
            "UploadNotFoundException",
            format!("The upload with id '{id}' does not exist"),
        )),
        Err(e @ (UploadError::DigestMismatch { .. } | UploadError::InvalidDigest(_))) => {
            Err(AwsError::client("InvalidLayerException", e.to_string()))
        }
    }
}
