//! Manifests and indexes: GET/HEAD/PUT/DELETE by tag or digest, kept as raw bytes (re-serialising
//! changes the digest), size-limited, digest-checked.

use crate::auth::Scope;
use crate::client::Client;
use crate::digest::{Digest, Digester};
use crate::error::{Error, Result, redact_url};
use crate::reference::Reference;
use crate::request::{Req, ReqBody, api_error};
use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::header;
use reqwest::{Method, StatusCode};

use sdk_grammar::media_types::MANIFEST_ACCEPT as ACCEPT;
pub use sdk_grammar::media_types::{
    DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST,
};

/// A manifest or index exactly as received (or to be sent).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RawManifest {
    /// The bytes.
    pub bytes: Bytes,
    /// The media type (from `Content-Type`, else the JSON's `mediaType`).
    pub media_type: String,
    /// The digest of the bytes.
    pub digest: Digest,
}

/// A parsed manifest: an image manifest or an index / manifest list.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ParsedManifest {
    /// OCI image manifest or Docker v2 manifest.
    Image(Box<oci_spec::image::ImageManifest>),
    /// OCI index or Docker manifest list.
    Index(Box<oci_spec::image::ImageIndex>),
}

/// What a HEAD on a manifest says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ManifestHead {
    /// `Docker-Content-Digest`, when sent.
    pub digest: Option<Digest>,
    /// `Content-Type`.
    pub media_type: Option<String>,
    /// `Content-Length`.
    pub size: Option<u64>,
}

impl RawManifest {
    /// Wraps bytes with a known media type; the digest is computed (SHA-256). Nothing is
    /// checked: [`parse`](Self::parse) says whether they are a manifest.
    ///
    /// ```
    /// use registry_client::manifests::RawManifest;
    /// let m = RawManifest::new(&b"{}"[..], "application/vnd.oci.image.manifest.v1+json");
    /// assert_eq!(m.digest.to_string(), "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    /// ```
    pub fn new(bytes: impl Into<Bytes>, media_type: impl Into<String>) -> Self {
        let bytes = bytes.into();
        Self {
            digest: Digest::sha256_of(&bytes),
            bytes,
            media_type: media_type.into(),
        }
    }

    /// Wraps bytes to send; the digest is computed (SHA-256) and the media type taken from the
    /// JSON's `mediaType`, or guessed (`manifests` → index, else OCI manifest).
    ///
    /// # Errors
    /// [`Error::InvalidManifest`] when the bytes are not a JSON object.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Result<Self> {
        let bytes = bytes.into();
        let media_type = sniff_media_type(&bytes)?;
        Ok(Self {
            digest: Digest::sha256_of(&bytes),
            bytes,
            media_type,
        })
    }

    /// Whether this is an index / manifest list.
    #[must_use]
    pub fn is_index(&self) -> bool {
        self.media_type == OCI_INDEX || self.media_type == DOCKER_MANIFEST_LIST
    }

    /// Parses the bytes into oci-spec types.
    ///
    /// # Errors
    /// [`Error::InvalidManifest`] for JSON that is not a manifest or index.
    pub fn parse(&self) -> Result<ParsedManifest> {
        let bad = |e: serde_json::Error| Error::InvalidManifest {
            reason: format!("{} ({}): {e}", self.media_type, self.digest),
        };
        if self.is_index() {
            serde_json::from_slice(&self.bytes)
                .map(|i| ParsedManifest::Index(Box::new(i)))
                .map_err(bad)
        } else {
            serde_json::from_slice(&self.bytes)
                .map(|m| ParsedManifest::Image(Box::new(m)))
                .map_err(bad)
        }
    }
}

impl ParsedManifest {
    /// The image manifest, if this is one (not an index).
    #[must_use]
    pub fn as_image(&self) -> Option<&oci_spec::image::ImageManifest> {
        match self {
            Self::Image(m) => Some(m),
            Self::Index(_) => None,
        }
    }

    /// The index / manifest list, if this is one.
    #[must_use]
    pub fn as_index(&self) -> Option<&oci_spec::image::ImageIndex> {
        match self {
            Self::Index(i) => Some(i),
            Self::Image(_) => None,
        }
    }
}

/// The digest of a descriptor, as a typed [`Digest`].
pub(crate) fn descriptor_digest(d: &oci_spec::image::Descriptor) -> Result<Digest> {
    let s: &str = d.digest().as_ref();
    s.parse::<Digest>().map_err(|e| Error::Invalid {
        what: "digest",
        reason: format!("{s:?}: {e}"),
    })
}

/// Adds the config and layers of `m` to `out` (digest and size), each digest once.
pub(crate) fn add_blobs(
    out: &mut Vec<(Digest, u64)>,
    m: &oci_spec::image::ImageManifest,
) -> Result<()> {
    for d in std::iter::once(m.config()).chain(m.layers().iter()) {
        let digest = descriptor_digest(d)?;
        if !out.iter().any(|(x, _)| *x == digest) {
            out.push((digest, d.size()));
        }
    }
    Ok(())
}

fn sniff_media_type(bytes: &[u8]) -> Result<String> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| Error::InvalidManifest {
            reason: format!("not JSON: {e}"),
        })?;
    let obj = v.as_object().ok_or_else(|| Error::InvalidManifest {
        reason: "not a JSON object".into(),
    })?;
    if let Some(mt) = obj.get("mediaType").and_then(|m| m.as_str()) {
        return Ok(mt.to_owned());
    }
    Ok(if obj.contains_key("manifests") {
        OCI_INDEX
    } else {
        OCI_MANIFEST
    }
    .to_owned())
}

impl Client {
    /// A request on `/v2/<repo>/manifests/<digest, else tag, else latest>`.
    fn manifest_req(&self, method: Method, reference: &Reference, scope: Scope) -> Result<Req> {
        let url = self.repo_url(
            reference.api_host(),
            reference.path(),
            &format!("manifests/{}", reference.manifest_reference()),
        )?;
        Ok(Req::new(method, reference.api_host(), url, vec![scope]))
    }

    /// GETs a manifest or index by the reference's digest, else tag, else `latest`.
    ///
    /// # Errors
    /// [`Error::ManifestTooLarge`] over the limit (on `Content-Length` and while reading);
    /// [`Error::DigestMismatch`] when the bytes do not match the requested digest or
    /// `Docker-Content-Digest`; API errors (`MANIFEST_UNKNOWN`…).
    pub async fn get_manifest(&self, reference: &Reference) -> Result<RawManifest> {
        let req = self
            .manifest_req(Method::GET, reference, Scope::pull(reference.path()))?
            .header(header::ACCEPT, ACCEPT)?;
        let resp = self.send(&req).await?;
        let endpoint = redact_url(resp.url());
        let limit = self.inner.manifest_limit;
        if resp.content_length().is_some_and(|l| l > limit) {
            return Err(Error::ManifestTooLarge { limit });
        }
        let header_digest = docker_content_digest(&resp, &endpoint)?;
        let content_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_owned())
            .filter(|v| !v.is_empty() && v != "application/json" && v != "text/plain");
        let mut body = Vec::new();
        let mut stream = sdk_core::body::idle_stream(resp, self.inner.idle);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| Error::body("manifest", &endpoint, e))?;
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(Error::ManifestTooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        let bytes = Bytes::from(body);
        let digest = match reference.digest() {
            Some(want) => check_digest(&bytes, want)?,
            None => Digest::sha256_of(&bytes),
        };
        if let Some(h) = header_digest {
            check_digest(&bytes, &h)?;
        }
        let media_type = match content_type {
            Some(ct) => ct,
            None => sniff_media_type(&bytes)?,
        };
        Ok(RawManifest {
            bytes,
            media_type,
            digest,
        })
    }

    /// HEADs a manifest: `None` on 404.
    ///
    /// # Errors
    /// Transport and API errors other than 404.
    pub async fn head_manifest(&self, reference: &Reference) -> Result<Option<ManifestHead>> {
        let req = self
            .manifest_req(Method::HEAD, reference, Scope::pull(reference.path()))?
            .header(header::ACCEPT, ACCEPT)?;
        let resp = self.send_raw(&req).await?;
        let endpoint = redact_url(resp.url());
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !resp.status().is_success() {
            return Err(api_error(resp, "HEAD", &endpoint, self.inner.idle).await);
        }
        Ok(Some(ManifestHead {
            digest: docker_content_digest(&resp, &endpoint)?,
            media_type: resp
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            size: crate::blobs::content_length(&resp),
        }))
    }

    /// PUTs a manifest under the reference's tag (or digest). Returns the manifest's digest.
    ///
    /// # Errors
    /// API errors (`MANIFEST_INVALID`, `MANIFEST_BLOB_UNKNOWN`…); [`Error::DigestMismatch`] when
    /// the registry reports another digest, or the reference's digest differs from the bytes'.
    pub async fn put_manifest(
        &self,
        reference: &Reference,
        manifest: &RawManifest,
    ) -> Result<Digest> {
        if let Some(d) = reference.digest() {
            check_digest(&manifest.bytes, d)?;
        }
        let req = self
            .manifest_req(Method::PUT, reference, Scope::push(reference.path()))?
            .header(header::CONTENT_TYPE, &manifest.media_type)?
            .body(ReqBody::Bytes(manifest.bytes.clone()))
            .no_follow();
        let resp = self.send(&req).await?;
        let endpoint = redact_url(resp.url());
        if let Some(h) = docker_content_digest(&resp, &endpoint)?
            && h.algorithm() == manifest.digest.algorithm()
            && h != manifest.digest
        {
            return Err(Error::DigestMismatch {
                expected: manifest.digest.clone(),
                actual: h,
            });
        }
        Ok(manifest.digest.clone())
    }

    /// DELETEs a manifest; the reference must carry a digest (registries refuse deletes by tag).
    ///
    /// # Errors
    /// [`Error::Invalid`] without a digest; API errors (`UNSUPPORTED` when deletes are disabled;
    /// `MANIFEST_UNKNOWN`, except when it answers a retry after a lost reply: the earlier
    /// attempt deleted it, so the call succeeds and a tracing event says so).
    pub async fn delete_manifest(&self, reference: &Reference) -> Result<()> {
        if reference.digest().is_none() {
            return Err(Error::Invalid {
                what: "reference",
                reason: format!("{reference}: deleting a manifest needs a digest"),
            });
        }
        // With a digest, the URL names the digest (never the tag).
        let req = self.manifest_req(Method::DELETE, reference, Scope::delete(reference.path()))?;
        self.send_delete(&req).await
    }

    /// Deletes the manifest a reference names, as `skopeo delete` does: a tag (or no tag:
    /// `latest`) is first resolved to the digest of the manifest's bytes, which is then deleted
    /// by digest (every tag naming it goes too; blobs stay until the registry's garbage
    /// collection). Returns the deleted digest.
    ///
    /// # Errors
    /// As [`Client::get_manifest`] (`MANIFEST_UNKNOWN` for an unknown tag) and
    /// [`Client::delete_manifest`] (`UNSUPPORTED` when the registry has deletes disabled).
    pub async fn delete_image(&self, reference: &Reference) -> Result<Digest> {
        let digest = match reference.digest() {
            Some(d) => d.clone(),
            None => self.get_manifest(reference).await?.digest,
        };
        let by_digest = reference.without_tag().with_digest(digest.clone());
        self.delete_manifest(&by_digest).await?;
        Ok(digest)
    }
}

fn docker_content_digest(resp: &reqwest::Response, endpoint: &str) -> Result<Option<Digest>> {
    match resp.headers().get("docker-content-digest") {
        None => Ok(None),
        Some(v) => {
            let s = v
                .to_str()
                .map_err(|_| Error::protocol(endpoint, "non-ASCII Docker-Content-Digest"))?;
            s.trim().parse::<Digest>().map(Some).map_err(|e| {
                Error::protocol(endpoint, format!("bad Docker-Content-Digest {s:?}: {e}"))
            })
        }
    }
}

fn check_digest(bytes: &[u8], want: &Digest) -> Result<Digest> {
    let mut d = Digester::new(want.algorithm());
    d.update(bytes);
    let got = d.finish();
    if &got == want {
        Ok(got)
    } else {
        Err(Error::DigestMismatch {
            expected: want.clone(),
            actual: got,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_type_sniffing() {
        let m = RawManifest::from_bytes(&br#"{"schemaVersion":2,"manifests":[]}"#[..]).unwrap();
        assert_eq!(m.media_type, OCI_INDEX);
        assert!(m.is_index());
        let m = RawManifest::from_bytes(
            &br#"{"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}"#[..],
        )
        .unwrap();
        assert_eq!(m.media_type, DOCKER_MANIFEST);
        assert!(RawManifest::from_bytes(&b"[1]"[..]).is_err());
        assert!(RawManifest::from_bytes(&b"nope"[..]).is_err());
    }
}
