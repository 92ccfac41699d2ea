//! `docker save` archives: written from stored images (`manifest.json`, `repositories`, the
//! config blob as `<id>.json`, each layer as `<diff id>/layer.tar`) and read back, each layer
//! checked against the config's diff IDs, as dockerd's load does.

use std::collections::BTreeMap;
use std::io::Read;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::images::{ImageRecord, LayerRecord};

/// dockerd's words for an archive it cannot read.
pub(crate) const BAD_TAR: &str = "Error processing tar file(exit status 1): unexpected EOF";

/// One entry of `manifest.json`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ManifestEntry {
    config: String,
    #[serde(default, deserialize_with = "crate::serde_util::null_as_default")]
    repo_tags: Vec<String>,
    layers: Vec<String>,
}

fn hex(id: &str) -> &str {
    id.strip_prefix("sha256:").unwrap_or(id)
}

fn append(b: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) {
    let mut h = tar::Header::new_ustar();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    // Paths here are short hex names; a failure would only drop the entry.
    let _ = b.append_data(&mut h, path, data);
}

/// A `docker save` tar of `images`, each with the tags it is saved under.
pub(crate) fn write_archive(images: &[(&ImageRecord, Vec<String>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut manifest = Vec::new();
    let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut written = std::collections::HashSet::new();
    for (im, tags) in images {
        let config = format!("{}.json", hex(&im.id));
        if written.insert(config.clone()) {
            append(&mut b, &config, &im.config_json);
        }
        let mut layers = Vec::new();
        for l in &im.layers {
            let path = format!("{}/layer.tar", hex(&l.diff_id));
            if written.insert(path.clone()) {
                append(&mut b, &format!("{}/VERSION", hex(&l.diff_id)), b"1.0");
                append(&mut b, &path, &l.tar);
            }
            layers.push(path);
        }
        for t in tags {
            if let Some((repo, tag)) = t.rsplit_once(':')
                && let Some(top) = im.layers.last()
            {
                repositories
                    .entry(repo.to_owned())
                    .or_default()
                    .insert(tag.to_owned(), hex(&top.diff_id).to_owned());
            }
        }
        manifest.push(ManifestEntry {
            config,
            repo_tags: tags.clone(),
            layers,
        });
    }
    append(
        &mut b,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap_or_default(),
    );
    append(
        &mut b,
        "repositories",
        &serde_json::to_vec(&repositories).unwrap_or_default(),
    );
    b.into_inner().unwrap_or_default()
}

/// A layer as dockerd keeps it: gzipped layers (what a registry serves) are unpacked.
fn uncompressed(layer: &Bytes) -> Result<Bytes, String> {
    if !layer.starts_with(&[0x1f, 0x8b]) {
        return Ok(layer.clone());
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&layer[..])
        .read_to_end(&mut out)
        .map_err(|_| BAD_TAR.to_owned())?;
    Ok(Bytes::from(out))
}

/// An image read from an archive, with the tags its manifest gives it.
#[derive(Debug)]
pub(crate) struct LoadedImage {
    pub(crate) image: ImageRecord,
    pub(crate) tags: Vec<String>,
}

/// Reads a `docker save` tar: dockerd's message when it is cut or not a tar, or when a
/// layer does not match its config.
pub(crate) fn read_archive(bytes: &[u8]) -> Result<Vec<LoadedImage>, String> {
    // A complete tar ends with two zero blocks; anything else was cut.
    if bytes.len() < 1024
        || !bytes.len().is_multiple_of(512)
        || bytes[bytes.len() - 1024..].iter().any(|b| *b != 0)
    {
        return Err(BAD_TAR.to_owned());
    }
    let mut files: BTreeMap<String, Bytes> = BTreeMap::new();
    let mut a = tar::Archive::new(bytes);
    for e in a.entries().map_err(|_| BAD_TAR.to_owned())? {
        let mut e = e.map_err(|_| BAD_TAR.to_owned())?;
        if !e.header().entry_type().is_file() {
            continue;
        }
        let path = e
            .path()
            .map_err(|_| BAD_TAR.to_owned())?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).map_err(|_| BAD_TAR.to_owned())?;
        files.insert(path, Bytes::from(data));
    }
    let manifest = files.get("manifest.json").ok_or_else(|| {
        "open /var/lib/docker/tmp/docker-import/repositories: no such file or directory".to_owned()
    })?;
    let entries: Vec<ManifestEntry> =
        serde_json::from_slice(manifest).map_err(|e| format!("invalid manifest.json: {e}"))?;
    let mut out = Vec::new();
    for m in entries {
        let config = files
            .get(&m.config)
            .ok_or_else(|| format!("open {}: no such file or directory", m.config))?;
        let mut layers = Vec::new();
        for l in &m.layers {
            let tar = files
                .get(l)
                .ok_or_else(|| format!("open {l}: no such file or directory"))?;
            layers.push(LayerRecord::new(uncompressed(tar)?));
        }
        let image = ImageRecord::new(config.clone(), layers)?;
        out.push(LoadedImage {
            image,
            tags: m.repo_tags,
        });
    }
    Ok(out)
}
