//! Reading a `docker save` archive for push: `manifest.json` names the config and layer files;
//! blobs are streamed straight from their offsets in the tar (never extracted or read whole).

use crate::digest::{Digest, Digester};
use crate::error::{Error, Result};
use crate::manifests::{DOCKER_MANIFEST, RawManifest};
use crate::push::{LocalBlob, LocalImage};
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

#[derive(serde::Deserialize)]
struct SaveEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

struct TarFile {
    offset: u64,
    size: u64,
}

fn normalize(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in Path::new(p).components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str().unwrap_or("")),
            Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    parts.join("/")
}

/// Reads a `docker save` archive (legacy layout or docker ≥ 25's OCI-in-tar) into a pushable
/// image with a Docker v2 manifest; layer digests are computed from the tar when their file name
/// does not carry one.
pub(crate) fn read_docker_archive(path: &Path, limit: u64) -> Result<LocalImage> {
    let bad = |reason: String| Error::Invalid {
        what: "docker archive",
        reason: format!("{}: {reason}", path.display()),
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io("opening", path, e))?;
    let mut ar = tar::Archive::new(file);
    let mut files: HashMap<String, TarFile> = HashMap::new();
    let mut links: HashMap<String, String> = HashMap::new();
    let mut manifest_json: Option<Vec<u8>> = None;
    for entry in ar.entries().map_err(|e| Error::io("reading", path, e))? {
        let mut entry = entry.map_err(|e| Error::io("reading", path, e))?;
        let name = normalize(
            &entry
                .path()
                .map_err(|e| Error::io("reading", path, e))?
                .to_string_lossy(),
        );
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            if let Ok(Some(target)) = entry.link_name() {
                let target = target.to_string_lossy().into_owned();
                let resolved = if kind.is_symlink() {
                    let parent = Path::new(&name)
                        .parent()
                        .map_or(String::new(), |p| p.to_string_lossy().into_owned());
                    normalize(&format!("{parent}/{target}"))
                } else {
                    normalize(&target)
                };
                links.insert(name, resolved);
            }
            continue;
        }
        if !kind.is_file() {
            continue;
        }
        if name == "manifest.json" {
            if entry.size() > limit {
                return Err(Error::ManifestTooLarge { limit });
            }
            let mut buf = Vec::new();
            entry
                .read_to_end(&mut buf)
                .map_err(|e| Error::io("reading", path, e))?;
            manifest_json = Some(buf);
            continue;
        }
        files.insert(
            name,
            TarFile {
                offset: entry.raw_file_position(),
                size: entry.size(),
            },
        );
    }
    let manifest_json = manifest_json.ok_or_else(|| bad("no manifest.json".into()))?;
    let entries: Vec<SaveEntry> =
        serde_json::from_slice(&manifest_json).map_err(|e| Error::Json {
            what: "manifest.json of the docker archive",
            source: e,
        })?;
    let entry = match entries.as_slice() {
        [one] => one,
        [] => return Err(bad("manifest.json lists no image".into())),
        _ => {
            return Err(bad(
                "manifest.json lists several images; save one image per archive".into(),
            ));
        }
    };
    let locate = |name: &str| -> Result<&TarFile> {
        let mut n = normalize(name);
        for _ in 0..16 {
            if let Some(f) = files.get(&n) {
                return Ok(f);
            }
            match links.get(&n) {
                Some(t) => n.clone_from(t),
                None => break,
            }
        }
        Err(bad(format!("{name:?} is not in the archive")))
    };
    let mut raw = std::fs::File::open(path).map_err(|e| Error::io("opening", path, e))?;
    let mut blob = |name: &str| -> Result<LocalBlob> {
        let f = locate(name)?;
        // blobs/sha256/<hex> carries its digest; anything else is hashed from the tar.
        let from_name = normalize(name)
            .strip_prefix("blobs/")
            .and_then(|r| r.split_once('/'))
            .and_then(|(alg, hex)| format!("{alg}:{hex}").parse::<Digest>().ok());
        let digest = match from_name {
            Some(d) => d,
            None => {
                raw.seek(SeekFrom::Start(f.offset))
                    .map_err(|e| Error::io("reading", path, e))?;
                let mut d = Digester::sha256();
                std::io::copy(&mut (&mut raw).take(f.size), &mut d)
                    .map_err(|e| Error::io("reading", path, e))?;
                d.finish()
            }
        };
        Ok(LocalBlob {
            digest,
            path: PathBuf::from(path),
            offset: f.offset,
            size: f.size,
        })
    };
    let config = blob(&entry.config)?;
    let layers = entry
        .layers
        .iter()
        .map(|l| blob(l))
        .collect::<Result<Vec<_>>>()?;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": config.size,
            "digest": config.digest.as_str(),
        },
        "layers": layers.iter().map(|l| serde_json::json!({
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar",
            "size": l.size,
            "digest": l.digest.as_str(),
        })).collect::<Vec<_>>(),
    });
    let bytes = serde_json::to_vec(&manifest).map_err(|e| Error::Json {
        what: "generated manifest",
        source: e,
    })?;
    let mut blobs = vec![config];
    for l in layers {
        if !blobs.iter().any(|b| b.digest == l.digest) {
            blobs.push(l);
        }
    }
    Ok(LocalImage {
        blobs,
        children: Vec::new(),
        top: RawManifest::from_bytes(bytes)?,
    })
}
