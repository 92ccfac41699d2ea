//! `/images/…` and `/build`: list (filters `dangling`, `label`, `reference`, `before`,
//! `since`), inspect, tag, remove, prune, pull (`/images/create`), push, save (`/images/get`),
//! load, build; and `GET /distribution/{image}/json`. Pull, push, load and build answer `200`
//! with a stream of JSON messages whose failures come inside it (`errorDetail`), worded as
//! dockerd 20.10 words them; what dockerd refuses before its stream (an unknown manifest on
//! pull, a build without its Dockerfile) is refused here before it too.

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::{Value, json};

use sdk_core::test_server::{Request, streamed};

use crate::mock::config::{PullAuth, Settings};
use crate::mock::filters::Filters;
use crate::mock::shared::Shared;
use crate::mock::state::{
    BuildRequest, BuildResult, ImageRecord, ImageRefusal, LocalRef, State, read_archive, repo_of,
    write_archive,
};
use crate::mock::wire::{self, Refused, Reply};

/// `GET /distribution/{image}/json`: a configured digest, else the digest the fake's registry
/// holds for a pushed image.
pub(crate) fn distribution(shared: &Arc<Shared>, image: &str) -> Reply {
    let pushed = LocalRef::parse(image).and_then(|r| {
        shared
            .lock()
            .registries
            .tags
            .get(&r.to_string())
            .map(|i| i.digest.clone())
    });
    match shared.cfg.image_digest(image).map(str::to_owned).or(pushed) {
        Some(digest) => wire::json(
            StatusCode::OK,
            &json!({
                "Descriptor": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": 0},
                "Platforms": [{"architecture": "amd64", "os": "linux"}],
            }),
        ),
        None => wire::error(
            StatusCode::FORBIDDEN,
            &format!("Error response from daemon: manifest unknown: {image}"),
        ),
    }
}

/// A reply streaming `messages` one JSON line each, as dockerd flushes them.
fn progress(messages: Vec<Value>) -> Reply {
    let chunks = messages.into_iter().map(|m| {
        let mut line = serde_json::to_vec(&m).unwrap_or_default();
        line.push(b'\n');
        Ok::<_, io::Error>(Bytes::from(line))
    });
    wire::streaming(
        streamed(futures_util::stream::iter(chunks)),
        "application/json",
    )
}

fn status(text: impl Into<String>) -> Value {
    json!({ "status": text.into() })
}

fn layer_status(text: &str, id: &str) -> Value {
    json!({ "status": text, "progressDetail": {}, "id": id })
}

fn layer_progress(text: &str, id: &str, current: i64, total: i64) -> Value {
    json!({
        "status": text,
        "progressDetail": {"current": current, "total": total},
        "progress": format!("[==================================================>]  {current}B/{total}B"),
        "id": id,
    })
}

fn failure(message: &str) -> Value {
    json!({ "errorDetail": { "message": message }, "error": message })
}

fn short(digest: &str) -> &str {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    hex.get(..12).unwrap_or(hex)
}

/// The credentials of an `X-Registry-Auth` header.
fn header_auth(req: &Request) -> Option<PullAuth> {
    let h = req.header("x-registry-auth")?;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(h.trim().trim_end_matches('='))
        .ok()?;
    let v: Value = serde_json::from_slice(&raw).ok()?;
    auth_of(&v)
}

fn auth_of(v: &Value) -> Option<PullAuth> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    v.is_object().then(|| PullAuth {
        username: text("username"),
        password: text("password"),
    })
}

/// The credentials an `X-Registry-Config` header (a build's) has for the host of `repo`.
fn build_auth(req: &Request, repo: &str) -> Option<PullAuth> {
    let h = req.header("x-registry-config")?;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(h.trim().trim_end_matches('='))
        .ok()?;
    let v: Value = serde_json::from_slice(&raw).ok()?;
    let host = repo.split('/').next().unwrap_or("");
    v.get(host).and_then(auth_of)
}

/// `POST /build`.
pub(crate) fn build(shared: &Arc<Shared>, req: &Request) -> Reply {
    // dockerd answers 400 when `labels` or `buildargs` is not JSON.
    let json_map = |name: &str| -> Result<Option<Value>, Refused> {
        match req.query_param(name) {
            None => Ok(None),
            Some(s) if s.is_empty() => Ok(None),
            Some(s) => serde_json::from_str(&s).map(Some).map_err(|e| {
                Refused::new(StatusCode::BAD_REQUEST, format!("invalid {name} JSON: {e}"))
            }),
        }
    };
    let labels: BTreeMap<String, String> = match json_map("labels") {
        Ok(v) => v
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default(),
        Err(r) => return r.reply(),
    };
    let build_args: BTreeMap<String, Option<String>> = match json_map("buildargs") {
        Ok(v) => v
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default(),
        Err(r) => return r.reply(),
    };
    let mut tags = Vec::new();
    for (k, v) in req.query_pairs() {
        if k == "t" {
            match LocalRef::parse(&v) {
                Some(r) if !r.is_digest() => tags.push(r),
                _ => {
                    return wire::error(
                        StatusCode::BAD_REQUEST,
                        &format!("invalid reference format: {v}"),
                    );
                }
            }
        }
    }
    let br = BuildRequest {
        context: req.body.clone(),
        dockerfile: req.query_param("dockerfile").unwrap_or_default(),
        tags,
        labels,
        build_args,
        target: req.query_param("target").filter(|t| !t.is_empty()),
        no_cache: req.query_bool("nocache"),
        pull: req.query_bool("pull"),
        quiet: req.query_bool("q"),
    };
    let cfg = &shared.cfg;
    let result = shared.lock().build(&br, |repo| {
        cfg.pull_denied(&format!("{repo}:x"), build_auth(req, repo).as_ref())
    });
    match result {
        BuildResult::Refused(code, message) => wire::error(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            &message,
        ),
        BuildResult::Stream(messages) => progress(messages),
    }
}

/// `/images/…` (`rest` is the path after `images`).
pub(crate) fn handle(shared: &Arc<Shared>, req: &Request, rest: &[&str]) -> Reply {
    let cfg = &shared.cfg;
    let mut st = shared.lock();
    match (&req.method, rest) {
        (&Method::GET, ["json"]) => list(&st, req),
        (&Method::POST, ["create"]) => pull(cfg, &mut st, req),
        (&Method::GET, ["get"]) => {
            let names: Vec<String> = req
                .query_pairs()
                .into_iter()
                .filter(|(k, _)| k == "names")
                .map(|(_, v)| v)
                .collect();
            save(&mut st, &names)
        }
        (&Method::POST, ["load"]) => load(&mut st, req),
        (&Method::POST, ["prune"]) => prune(&mut st, req),
        (&Method::GET, [name @ .., "get"]) if !name.is_empty() => save(&mut st, &[name.join("/")]),
        (&Method::GET, [name @ .., "json"]) if !name.is_empty() => {
            let name = name.join("/");
            match st.find_image(&name) {
                Some(i) => wire::json(StatusCode::OK, &inspect(&st.images[i])),
                None => wire::error(
                    StatusCode::NOT_FOUND,
                    &format!("no such image: {name}: No such image: {name}"),
                ),
            }
        }
        (&Method::POST, [name @ .., "tag"]) if !name.is_empty() => {
            tag(&mut st, req, &name.join("/"))
        }
        (&Method::POST, [name @ .., "push"]) if !name.is_empty() => {
            push(cfg, &mut st, req, &name.join("/"))
        }
        (&Method::DELETE, name) if !name.is_empty() => {
            let name = name.join("/");
            match st.remove_image(
                &name,
                wire::flag(req.query_param("force")),
                wire::flag(req.query_param("noprune")),
            ) {
                Ok(gone) => wire::json(StatusCode::OK, &gone),
                Err(r) => refused(&r),
            }
        }
        _ => wire::page_not_found(),
    }
}

/// dockerd's words for a refused image operation.
fn refused(r: &ImageRefusal) -> Reply {
    match r {
        ImageRefusal::NoSuchImage(name) => {
            wire::error(StatusCode::NOT_FOUND, &format!("No such image: {name}"))
        }
        ImageRefusal::MustForce(id) => wire::error(
            StatusCode::CONFLICT,
            &format!(
                "conflict: unable to delete {id} (must be forced) - image is referenced in multiple repositories"
            ),
        ),
        ImageRefusal::HasChildren(id) => wire::error(
            StatusCode::CONFLICT,
            &format!(
                "conflict: unable to delete {id} (cannot be forced) - image has dependent child images"
            ),
        ),
    }
}

/// `GET /images/{name}/json`.
fn inspect(im: &ImageRecord) -> Value {
    json!({
        "Id": im.id,
        "RepoTags": im.repo_tags,
        "RepoDigests": im.repo_digests,
        "Parent": im.parent,
        "Comment": "",
        "Created": im.config.created,
        "Container": "",
        "ContainerConfig": {},
        "DockerVersion": im.config.extra.get("docker_version").cloned().unwrap_or(json!("")),
        "Author": im.config.author,
        "Config": im.config.config,
        "Architecture": im.config.architecture,
        "Os": im.config.os,
        "Size": im.size(),
        "VirtualSize": im.size(),
        "GraphDriver": {"Data": null, "Name": "mock"},
        "RootFS": {"Type": "layers", "Layers": im.config.rootfs.diff_ids},
        "Metadata": {"LastTagTime": im.last_tag_time},
    })
}

/// Whether `name` (a familiar `repo:tag`) matches a `reference` filter pattern, as dockerd
/// matches it (the familiar name, or name and tag).
fn reference_matches(pattern: &str, tag: &str) -> bool {
    let repo = repo_of(tag);
    glob_path(pattern, repo) || glob_path(pattern, tag)
}

/// Go's `path.Match` for `*` and `?` (neither crosses `/`).
fn glob_path(pat: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some(b'*'), _) => {
                go(&p[1..], n) || (n.first().is_some_and(|c| *c != b'/') && go(p, &n[1..]))
            }
            (Some(b'?'), Some(c)) if *c != b'/' => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    go(pat.as_bytes(), name.as_bytes())
}

/// `GET /images/json`.
fn list(st: &State, req: &Request) -> Reply {
    let f = match Filters::from_request(req) {
        Ok(f) => f,
        Err(e) => return wire::error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let all = wire::flag(req.query_param("all"));
    let created_of = |name: &str| st.find_image(name).map(|i| st.images[i].created_secs());
    let mut bounds = Vec::new();
    for (key, before) in [("before", true), ("since", false)] {
        if let Some(v) = f.get(key) {
            for name in v {
                match created_of(name) {
                    Some(t) => bounds.push((before, t)),
                    None => {
                        return wire::error(
                            StatusCode::NOT_FOUND,
                            &format!("No such image: {name}"),
                        );
                    }
                }
            }
        }
    }
    let dangling = f
        .get("dangling")
        .map(|v| v.iter().any(|d| d == "true" || d == "1"));
    let mut out = Vec::new();
    for (i, im) in st.images.iter().enumerate().rev() {
        if !f.labels(&im.config.config.labels) {
            continue;
        }
        if bounds.iter().any(|&(before, t)| {
            if before {
                im.created_secs() >= t
            } else {
                im.created_secs() <= t
            }
        }) {
            continue;
        }
        if let Some(d) = dangling
            && d != im.is_dangling()
        {
            continue;
        }
        let mut tags = im.repo_tags.clone();
        let mut digests = im.repo_digests.clone();
        if let Some(patterns) = f.get("reference") {
            tags.retain(|t| patterns.iter().any(|p| reference_matches(p, t)));
            digests.retain(|d| patterns.iter().any(|p| glob_path(p, repo_of(d))));
            if tags.is_empty() && digests.is_empty() {
                continue;
            }
        }
        let (tags, digests) = if im.is_dangling() {
            if !all && st.has_children(i) {
                continue;
            }
            (json!(["<none>:<none>"]), json!(["<none>@<none>"]))
        } else {
            let or_null = |v: Vec<String>| if v.is_empty() { Value::Null } else { json!(v) };
            (or_null(tags), or_null(digests))
        };
        let labels = &im.config.config.labels;
        out.push(json!({
            "Containers": -1,
            "Created": im.created_secs(),
            "Id": im.id,
            "Labels": if labels.is_empty() { Value::Null } else { json!(labels) },
            "ParentId": im.parent,
            "RepoDigests": digests,
            "RepoTags": tags,
            "SharedSize": -1,
            "Size": im.size(),
            "VirtualSize": im.size(),
        }));
    }
    wire::json(StatusCode::OK, &out)
}

/// `POST /images/{name}/tag?repo=&tag=`.
fn tag(st: &mut State, req: &Request, name: &str) -> Reply {
    let Some(i) = st.find_image(name) else {
        return wire::error(StatusCode::NOT_FOUND, &format!("No such image: {name}"));
    };
    let repo = req.query_param("repo").unwrap_or_default();
    let tag = req
        .query_param("tag")
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "latest".to_owned());
    match LocalRef::parse(&format!("{repo}:{tag}")) {
        Some(r) if !repo.is_empty() && !r.is_digest() => {
            st.tag_image(i, &r);
            let id = st.images[i].id.clone();
            st.image_event("tag", &id, &r.to_string());
            wire::empty(StatusCode::CREATED)
        }
        _ => wire::error(
            StatusCode::BAD_REQUEST,
            &format!("invalid reference format: {repo}:{tag}"),
        ),
    }
}

/// `POST /images/prune` (filters `dangling`, `label`, `label!`, `until`).
fn prune(st: &mut State, req: &Request) -> Reply {
    let f = match Filters::from_request(req) {
        Ok(f) => f,
        Err(e) => return wire::error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let all = f
        .get("dangling")
        .is_some_and(|v| v.iter().any(|d| d == "false" || d == "0"));
    let until = f
        .get("until")
        .and_then(|v| v.first())
        .and_then(|u| until_secs(u));
    let not_labels: Vec<String> = f.get("label!").map(<[String]>::to_vec).unwrap_or_default();
    let (deleted, freed) = st.prune_images(all, |im| {
        let labels = &im.config.config.labels;
        !f.labels(labels)
            || (!not_labels.is_empty() && crate::mock::filters::labels_match(labels, &not_labels))
            || until.is_some_and(|u| im.created_secs() >= u)
    });
    wire::json(
        StatusCode::OK,
        &json!({
            "ImagesDeleted": if deleted.is_empty() { Value::Null } else { json!(deleted) },
            "SpaceReclaimed": freed,
        }),
    )
}

/// An `until` value as Unix seconds: a timestamp, or a duration before now (`24h`).
fn until_secs(v: &str) -> Option<i64> {
    if let Ok(secs) = v.split('.').next().unwrap_or(v).parse::<i64>() {
        return Some(secs);
    }
    let nanos = sdk_grammar::go::parse_duration(v).ok()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    i64::try_from(now.as_secs())
        .ok()
        .map(|n| n - nanos / 1_000_000_000)
}

/// `POST /images/create?fromImage=&tag=` (`docker pull`).
fn pull(cfg: &Settings, st: &mut State, req: &Request) -> Reply {
    let Some(from) = req.query_param("fromImage").filter(|f| !f.is_empty()) else {
        return wire::error(
            StatusCode::BAD_REQUEST,
            "the fake daemon imports nothing: fromImage is required",
        );
    };
    let tag = req.query_param("tag").filter(|t| !t.is_empty());
    let name = match &tag {
        Some(t) if t.contains(':') => format!("{from}@{t}"),
        Some(t) => format!("{from}:{t}"),
        None => from.clone(),
    };
    let Some(r) = LocalRef::parse(&name) else {
        return wire::error(
            StatusCode::BAD_REQUEST,
            &format!("invalid reference format: {name}"),
        );
    };
    let denied = cfg.pull_denied(&r.to_string(), header_auth(req).as_ref());
    let pulled = match st.pull_from_registry(&r, denied) {
        Ok(p) => p,
        Err(f) => {
            return wire::error(
                StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                &f.message,
            );
        }
    };
    let path = registry_client::reference::Reference::parse(&r.repo)
        .map(|p| p.path().to_owned())
        .unwrap_or_default();
    let mut out = vec![json!({
        "status": format!("Pulling from {path}"),
        "id": r.suffix.trim_start_matches([':', '@']),
    })];
    for (diff_id, size) in &pulled.new_layers {
        let id = short(diff_id);
        out.push(layer_status("Pulling fs layer", id));
        out.push(layer_progress("Downloading", id, *size, *size));
        out.push(layer_status("Verifying Checksum", id));
        out.push(layer_status("Download complete", id));
        out.push(layer_progress("Extracting", id, *size, *size));
        out.push(layer_status("Pull complete", id));
    }
    out.push(status(format!("Digest: {}", pulled.digest)));
    out.push(status(if pulled.up_to_date {
        format!("Status: Image is up to date for {r}")
    } else {
        format!("Status: Downloaded newer image for {r}")
    }));
    progress(out)
}

/// `POST /images/{name}/push?tag=` (every tag of the repository without `tag`).
fn push(cfg: &Settings, st: &mut State, req: &Request, name: &str) -> Reply {
    let Some(r) = LocalRef::parse(name).filter(|r| !r.is_digest()) else {
        return wire::error(
            StatusCode::BAD_REQUEST,
            &format!("invalid reference format: {name}"),
        );
    };
    let repo = r.repo;
    let tags: Vec<String> = match req.query_param("tag").filter(|t| !t.is_empty()) {
        Some(t) => vec![t],
        None => {
            let mut t: Vec<String> = st
                .images
                .iter()
                .flat_map(|i| i.repo_tags.iter())
                .filter(|t| repo_of(t) == repo)
                .map(|t| t[repo.len() + 1..].to_owned())
                .collect();
            t.sort();
            t
        }
    };
    let mut out = vec![status(format!("The push refers to repository [{repo}]"))];
    if tags.is_empty() {
        out.push(failure(&format!(
            "An image does not exist locally with the tag: {repo}"
        )));
        return progress(out);
    }
    let auth = header_auth(req);
    for tag in tags {
        let full = format!("{repo}:{tag}");
        let Some(idx) = st.images.iter().position(|i| i.repo_tags.contains(&full)) else {
            out.push(failure(&format!(
                "An image does not exist locally with the tag: {repo}"
            )));
            return progress(out);
        };
        for l in &st.images[idx].layers {
            out.push(layer_status("Preparing", short(&l.diff_id)));
        }
        if cfg.pull_denied(&full, auth.as_ref()) {
            let message = if auth.as_ref().and_then(|a| a.username.as_ref()).is_some() {
                "unauthorized: authentication required"
            } else {
                "no basic auth credentials"
            };
            out.push(failure(message));
            return progress(out);
        }
        let (layers, digest, size) = match st.push_to_registry(&repo, &tag) {
            Ok(p) => p,
            Err(e) => {
                out.push(failure(&e));
                return progress(out);
            }
        };
        for (diff_id, had, bytes) in layers {
            let id = short(&diff_id);
            if had {
                out.push(layer_status("Layer already exists", id));
            } else {
                out.push(layer_progress("Pushing", id, bytes, bytes));
                out.push(layer_status("Pushed", id));
            }
        }
        out.push(status(format!("{tag}: digest: {digest} size: {size}")));
        out.push(json!({
            "progressDetail": {},
            "aux": {"Tag": tag, "Digest": digest, "Size": size},
        }));
    }
    progress(out)
}

/// `GET /images/get?names=…` (`docker save`).
fn save(st: &mut State, names: &[String]) -> Reply {
    let mut picked: Vec<(&ImageRecord, Vec<String>)> = Vec::new();
    for n in names {
        let Some(i) = st.find_image(n) else {
            return wire::error(StatusCode::NOT_FOUND, "reference does not exist");
        };
        let im = &st.images[i];
        let tag = LocalRef::parse(n)
            .map(|r| r.to_string())
            .filter(|t| im.repo_tags.contains(t));
        match picked.iter_mut().find(|(p, _)| p.id == im.id) {
            Some((_, tags)) => tags.extend(tag),
            None => picked.push((im, tag.into_iter().collect())),
        }
    }
    let tar = write_archive(&picked);
    let ids: Vec<String> = picked.iter().map(|(im, _)| im.id.clone()).collect();
    for id in ids {
        st.image_event("save", &id, &id);
    }
    sdk_core::test_server::response(
        StatusCode::OK,
        &[
            ("Api-Version", wire::API_VERSION.to_owned()),
            ("Content-Type", "application/x-tar".to_owned()),
        ],
        tar,
    )
}

/// `POST /images/load?quiet=`.
fn load(st: &mut State, req: &Request) -> Reply {
    let quiet = wire::flag(req.query_param("quiet"));
    let images = match read_archive(&req.body) {
        Ok(i) => i,
        Err(e) => return progress(vec![failure(&e)]),
    };
    let mut out = Vec::new();
    for loaded in images {
        if !quiet {
            for l in &loaded.image.layers {
                if !st.has_layer(&l.diff_id) {
                    out.push(layer_progress(
                        "Loading layer",
                        short(&l.diff_id),
                        l.size,
                        l.size,
                    ));
                }
            }
        }
        let id = loaded.image.id.clone();
        let idx = st.insert_image(loaded.image);
        st.image_event("load", &id, &id);
        let mut tagged = false;
        for t in &loaded.tags {
            if let Some(r) = LocalRef::parse(t) {
                st.tag_image(idx, &r);
                out.push(json!({"stream": format!("Loaded image: {r}\n")}));
                tagged = true;
            }
        }
        if !tagged {
            out.push(json!({"stream": format!("Loaded image ID: {id}\n")}));
        }
    }
    progress(out)
}
