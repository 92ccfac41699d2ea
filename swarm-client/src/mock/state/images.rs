//! The daemon's image store and the registries it pushes to and pulls from, typed: each image
//! keeps its config blob as stored (its ID is that blob's digest, so a save and a load give
//! the same ID), the typed config read from it, and its layers' tars. Tags, digests, parents
//! and the refusals of remove follow dockerd's rules (`must be forced`, `cannot be forced`).

use super::model::State;
use crate::models::ImageDeleted;
use registry_client::digest::Digest;
use registry_client::reference::Reference;
use std::collections::BTreeSet;

pub(crate) use super::image_types::*;

impl State {
    /// Records an image event as dockerd does: `Actor.ID` is `id`, its `name` attribute
    /// `name` (the image ID for tag removals, deletes, loads and saves; the repository for
    /// pushes and pulls).
    pub(crate) fn image_event(&mut self, action: &str, id: &str, name: &str) {
        self.event(
            crate::models::EventType::Image,
            action,
            id,
            &[("name", name)],
        );
    }

    /// The index of the image `name` names: a full or short ID (with or without `sha256:`),
    /// a `name:tag` (tag `latest` when none) or a `name@digest`.
    pub(crate) fn find_image(&self, name: &str) -> Option<usize> {
        let hex = name.strip_prefix("sha256:").unwrap_or(name);
        let hexlike =
            !hex.is_empty() && hex.len() <= 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
        if let Some(r) = LocalRef::parse(name) {
            let full = r.to_string();
            if let Some(i) = self
                .images
                .iter()
                .position(|im| im.repo_tags.contains(&full) || im.repo_digests.contains(&full))
            {
                return Some(i);
            }
        }
        if hexlike {
            let hits: Vec<usize> = (0..self.images.len())
                .filter(|&i| {
                    let id = &self.images[i].id;
                    id.strip_prefix("sha256:").unwrap_or(id).starts_with(hex)
                })
                .collect();
            if let [only] = hits[..] {
                return Some(only);
            }
        }
        None
    }

    /// Whether another image is built on image `idx`.
    pub(crate) fn has_children(&self, idx: usize) -> bool {
        let id = &self.images[idx].id;
        self.images.iter().any(|i| &i.parent == id)
    }

    /// Whether a layer with `diff_id` is in the store.
    pub(crate) fn has_layer(&self, diff_id: &str) -> bool {
        self.images
            .iter()
            .any(|i| i.layers.iter().any(|l| l.diff_id == diff_id))
    }

    /// Stores `image` (merged with the stored one of the same ID); returns its index.
    pub(crate) fn insert_image(&mut self, image: ImageRecord) -> usize {
        if let Some(i) = self.images.iter().position(|i| i.id == image.id) {
            if self.images[i].build_key.is_none() {
                self.images[i].build_key = image.build_key;
            }
            return i;
        }
        self.images.push(image);
        self.images.len() - 1
    }

    /// Points `reference` (`name:tag`, familiar form) at image `idx`, taking it from the image
    /// that had it.
    pub(crate) fn tag_image(&mut self, idx: usize, reference: &LocalRef) {
        let full = reference.to_string();
        fn list(im: &mut ImageRecord, digest: bool) -> &mut Vec<String> {
            if digest {
                &mut im.repo_digests
            } else {
                &mut im.repo_tags
            }
        }
        let digest = reference.is_digest();
        for (i, im) in self.images.iter_mut().enumerate() {
            if i != idx {
                list(im, digest).retain(|t| t != &full);
            }
        }
        let now = crate::mock::stamps::now_str();
        let im = &mut self.images[idx];
        let l = list(im, digest);
        if !l.contains(&full) {
            l.push(full);
        }
        im.last_tag_time = now;
    }

    /// Sets the digest `repo@digest` on image `idx`, replacing an older digest of that repo.
    pub(crate) fn set_repo_digest(&mut self, idx: usize, repo: &str, digest: &str) {
        let im = &mut self.images[idx];
        im.repo_digests.retain(|d| repo_of(d) != repo);
        im.repo_digests.push(format!("{repo}@{digest}"));
    }

    /// `DELETE /images/{name}`: what was untagged and deleted, in dockerd's order.
    pub(crate) fn remove_image(
        &mut self,
        name: &str,
        force: bool,
        no_prune: bool,
    ) -> Result<Vec<ImageDeleted>, ImageRefusal> {
        let idx = self
            .find_image(name)
            .ok_or_else(|| ImageRefusal::NoSuchImage(name.to_owned()))?;
        let mut out = Vec::new();
        let by_ref = LocalRef::parse(name).filter(|r| {
            let full = r.to_string();
            let im = &self.images[idx];
            im.repo_tags.contains(&full) || im.repo_digests.contains(&full)
        });
        if let Some(r) = by_ref {
            let full = r.to_string();
            let im = &mut self.images[idx];
            im.repo_tags.retain(|t| t != &full);
            im.repo_digests.retain(|t| t != &full);
            out.push(untagged(&full));
            let id = im.id.clone();
            self.image_event("untag", &id, &id);
            let im = &mut self.images[idx];
            // A repository left with digests only loses them too.
            if !r.is_digest() && !im.repo_tags.iter().any(|t| repo_of(t) == r.repo) {
                let gone: Vec<String> = im
                    .repo_digests
                    .iter()
                    .filter(|d| repo_of(d) == r.repo)
                    .cloned()
                    .collect();
                im.repo_digests.retain(|d| repo_of(d) != r.repo);
                out.extend(gone.iter().map(|d| untagged(d)));
            }
            if !self.images[idx].is_dangling() || self.has_children(idx) {
                return Ok(out);
            }
        } else {
            let im = &self.images[idx];
            let repos: BTreeSet<&str> = im
                .repo_tags
                .iter()
                .chain(&im.repo_digests)
                .map(|t| repo_of(t))
                .collect();
            if self.has_children(idx) {
                return Err(ImageRefusal::HasChildren(im.short_id()));
            }
            if repos.len() > 1 && !force {
                return Err(ImageRefusal::MustForce(im.short_id()));
            }
            self.untag_all(idx, &mut out);
        }
        self.delete_chain(idx, no_prune, &mut out);
        Ok(out)
    }

    /// Removes every reference of image `idx` (an `untag` event per tag).
    fn untag_all(&mut self, idx: usize, out: &mut Vec<ImageDeleted>) {
        let im = &mut self.images[idx];
        let id = im.id.clone();
        let tags: Vec<String> = im.repo_tags.drain(..).collect();
        let digests: Vec<String> = im.repo_digests.drain(..).collect();
        for t in &tags {
            out.push(untagged(t));
            self.image_event("untag", &id, &id);
        }
        out.extend(digests.iter().map(|d| untagged(d)));
    }

    /// Deletes image `idx` and, unless `no_prune`, its untagged parents nothing else uses.
    fn delete_chain(&mut self, idx: usize, no_prune: bool, out: &mut Vec<ImageDeleted>) {
        let im = self.images.remove(idx);
        self.image_event("delete", &im.id, &im.id);
        out.push(ImageDeleted {
            untagged: None,
            deleted: Some(im.id.clone()),
        });
        if no_prune || im.parent.is_empty() {
            return;
        }
        if let Some(p) = self.images.iter().position(|i| i.id == im.parent)
            && self.images[p].is_dangling()
            && !self.has_children(p)
        {
            self.delete_chain(p, no_prune, out);
        }
    }

    /// `POST /images/prune`: removes dangling images (every image without children when
    /// `all`) that `keep` does not protect; what was removed and the bytes freed.
    pub(crate) fn prune_images(
        &mut self,
        all: bool,
        keep: impl Fn(&ImageRecord) -> bool,
    ) -> (Vec<ImageDeleted>, u64) {
        let mut out = Vec::new();
        let mut freed = 0u64;
        loop {
            let next = (0..self.images.len()).find(|&i| {
                let im = &self.images[i];
                (all || im.is_dangling()) && !self.has_children(i) && !keep(im)
            });
            let Some(i) = next else { break };
            self.untag_all(i, &mut out);
            let layers: Vec<(String, i64)> = self.images[i]
                .layers
                .iter()
                .map(|l| (l.diff_id.clone(), l.size))
                .collect();
            let mut deleted = Vec::new();
            self.delete_chain(i, true, &mut deleted);
            out.extend(deleted);
            for (diff_id, size) in layers {
                if !self.has_layer(&diff_id) {
                    freed += u64::try_from(size).unwrap_or(0);
                }
            }
        }
        (out, freed)
    }
}

/// A pull that failed: the status dockerd answers before its stream, and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PullFailure {
    pub(crate) status: u16,
    pub(crate) message: String,
}

/// A pull from the fake's registries.
#[derive(Debug, Clone)]
pub(crate) struct Pulled {
    /// The stored image.
    pub(crate) index: usize,
    /// `(diff ID, bytes)` of the layers the store did not have.
    pub(crate) new_layers: Vec<(String, i64)>,
    /// The manifest digest.
    pub(crate) digest: String,
    /// Whether the reference already named this image.
    pub(crate) up_to_date: bool,
}

/// A layer a push handled: `(diff ID, whether the repository had it, bytes)`.
pub(crate) type PushedLayer = (String, bool, i64);

/// A manifest (`application/vnd.docker.distribution.manifest.v2+json`) of `config_json` and
/// `layers` (uncompressed tars, as the fake keeps them).
fn manifest_of(config_json: &[u8], layers: &[LayerRecord]) -> Vec<u8> {
    let v = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": config_json.len(),
            "digest": Digest::sha256_of(config_json).to_string(),
        },
        "layers": layers.iter().map(|l| serde_json::json!({
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar",
            "size": l.tar.len(),
            "digest": l.diff_id,
        })).collect::<Vec<_>>(),
    });
    serde_json::to_vec(&v).unwrap_or_default()
}

impl State {
    /// Pulls `r` from the fake's registries into the store (`denied`: the registry wants
    /// credentials the request did not bring).
    pub(crate) fn pull_from_registry(
        &mut self,
        r: &LocalRef,
        denied: bool,
    ) -> Result<Pulled, PullFailure> {
        if denied {
            let (host, path) = Reference::parse(&r.repo)
                .map(|p| (p.domain().to_owned(), p.path().to_owned()))
                .unwrap_or_default();
            let what = r.suffix.trim_start_matches([':', '@']);
            return Err(PullFailure {
                status: 500,
                message: format!(
                    "Head \"http://{host}/v2/{path}/manifests/{what}\": no basic auth credentials"
                ),
            });
        }
        let found = if r.is_digest() {
            let digest = &r.suffix[1..];
            self.registries
                .tags
                .iter()
                .find(|(k, v)| repo_of(k) == r.repo && v.digest == digest)
                .map(|(_, v)| v.clone())
        } else {
            self.registries.tags.get(&r.to_string()).cloned()
        };
        let Some(remote) = found else {
            return Err(PullFailure {
                status: 404,
                message: format!("manifest for {r} not found: manifest unknown: manifest unknown"),
            });
        };
        let new_layers = remote
            .layers
            .iter()
            .filter(|l| !self.has_layer(&l.diff_id))
            .map(|l| (l.diff_id.clone(), i64::try_from(l.tar.len()).unwrap_or(0)))
            .collect();
        let image = ImageRecord::new(remote.config_json.clone(), remote.layers.clone()).map_err(
            |message| PullFailure {
                status: 500,
                message,
            },
        )?;
        let before = self
            .find_image(&r.to_string())
            .map(|i| self.images[i].id.clone());
        let up_to_date = before.as_deref() == Some(image.id.as_str());
        let index = self.insert_image(image);
        if !r.is_digest() {
            self.tag_image(index, r);
        }
        self.set_repo_digest(index, &r.repo, &remote.digest);
        self.image_event("pull", &r.to_string(), &r.repo);
        Ok(Pulled {
            index,
            new_layers,
            digest: remote.digest,
            up_to_date,
        })
    }

    /// Pushes the stored `repo:tag` to the fake's registries: the layers (and whether the
    /// repository had each), the manifest digest and size; dockerd's in-stream message when
    /// the daemon has no such tag.
    pub(crate) fn push_to_registry(
        &mut self,
        repo: &str,
        tag: &str,
    ) -> Result<(Vec<PushedLayer>, String, usize), String> {
        let full = format!("{repo}:{tag}");
        let idx = self
            .images
            .iter()
            .position(|i| i.repo_tags.contains(&full))
            .ok_or_else(|| format!("An image does not exist locally with the tag: {repo}"))?;
        let im = &self.images[idx];
        let manifest = manifest_of(&im.config_json, &im.layers);
        let digest = Digest::sha256_of(&manifest).to_string();
        let mut layers = Vec::new();
        for l in &im.layers {
            let had = !self
                .registries
                .blobs
                .insert((repo.to_owned(), l.diff_id.clone()));
            layers.push((
                l.diff_id.clone(),
                had,
                i64::try_from(l.tar.len()).unwrap_or(0),
            ));
        }
        let remote = RemoteImage {
            digest: digest.clone(),
            config_json: im.config_json.clone(),
            layers: im.layers.clone(),
        };
        self.registries.tags.insert(full, remote);
        self.set_repo_digest(idx, repo, &digest);
        self.image_event("push", &format!("{repo}:{tag}"), repo);
        Ok((layers, digest, manifest.len()))
    }
}

fn untagged(reference: &str) -> ImageDeleted {
    ImageDeleted {
        untagged: Some(reference.to_owned()),
        deleted: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_times() {
        let r = LocalRef::parse("docker.io/library/busybox").unwrap();
        assert_eq!(r.to_string(), "busybox:latest");
        let r = LocalRef::parse("127.0.0.1:5000/web:1").unwrap();
        assert_eq!(r.repo, "127.0.0.1:5000/web");
        assert_eq!(repo_of("127.0.0.1:5000/web:1"), "127.0.0.1:5000/web");
        assert_eq!(repo_of("127.0.0.1:5000/web"), "127.0.0.1:5000/web");
        assert_eq!(repo_of("web@sha256:ab"), "web");
        assert_eq!(parse_rfc3339_secs("1970-01-02T00:00:01.5Z"), Some(86_401));
        assert_eq!(
            parse_rfc3339_secs("2026-12-06T11:24:03.080890124Z"),
            Some(1_796_556_243)
        );
    }
}
