//! Contract tests of the image calls: the same test bodies, through the typed client, run on
//! the real dockerd of `scripts/test` (ignored by default) and on
//! `swarm_client::mock::MockSwarm`: build (the image holds the context `.dockerignore` left,
//! build args, labels, `--target`, the cache, quiet), list with filters, inspect, tag, remove
//! (its conflicts), prune, push and pull through a registry (in-stream failures as typed
//! errors: a missing tag, an unauthorised push), save and load (a cut archive fails inside
//! the stream). Any difference between the two is a failing test.
#![cfg(feature = "mock")]

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use common::images::{
    ImageGuard, absent, first_half, in_stream, load, saved, streamed, streamed_output,
    streamed_phases, write,
};
use common::{contract, env, unique};
use futures_util::StreamExt;
use sdk_core::{Credentials, RegistryAuth};
use swarm_client::Client;
use swarm_client::build::BuildOptions;
use swarm_client::images::{ListOptions, PruneOptions, PullOptions, PushOptions, RemoveOptions};
use swarm_client::mock::MockSwarm;
use swarm_client::progress::LayerPhase;
use swarm_client::{Error, StreamErrorKind};

/// The fake's htpasswd registry and its credentials.
const MOCK_AUTH_REGISTRY: &str = "127.0.0.1:5001";
const MOCK_USER: &str = "contract";
const MOCK_PASSWORD: &str = "contract-pw";

/// Where the test runs: the daemon, an open registry and an htpasswd one with its
/// credentials; images made on the real daemon are removed when it is dropped.
struct Target {
    client: Client,
    registry: String,
    auth_registry: String,
    user: String,
    password: String,
    guard: ImageGuard,
    _mock: Option<MockSwarm>,
}

impl Target {
    async fn real() -> Self {
        let host = env("DOCKWRIGHT_TEST_DOCKER_HOST");
        Self {
            client: Client::connect(&host).await.expect("connect"),
            registry: env("DOCKWRIGHT_TEST_REGISTRY"),
            auth_registry: env("DOCKWRIGHT_TEST_AUTH_REGISTRY"),
            user: env("DOCKWRIGHT_TEST_REGISTRY_USER"),
            password: env("DOCKWRIGHT_TEST_REGISTRY_PASSWORD"),
            guard: ImageGuard::on(Some(host)),
            _mock: None,
        }
    }

    async fn mock() -> Self {
        let m = MockSwarm::builder()
            .private_registry(MOCK_AUTH_REGISTRY, MOCK_USER, MOCK_PASSWORD)
            .start()
            .await;
        Self {
            client: Client::connect(&m.endpoint()).await.expect("connect"),
            registry: "127.0.0.1:5000".to_owned(),
            auth_registry: MOCK_AUTH_REGISTRY.to_owned(),
            user: MOCK_USER.to_owned(),
            password: MOCK_PASSWORD.to_owned(),
            guard: ImageGuard::on(None),
            _mock: Some(m),
        }
    }

    /// Remembers an image (name or ID) to remove from the real daemon at the end.
    fn made(&mut self, name: impl Into<String>) {
        self.guard.add(name);
    }

    /// Builds `dir` with `opts`: the image ID and the build's output lines.
    async fn build(&mut self, dir: &Path, opts: &BuildOptions) -> (String, Vec<String>) {
        let (out, lines) = streamed_output(self.client.build(dir, opts)).await;
        let id = out.expect("build").image_id.expect("image ID");
        self.made(id.clone());
        (id, lines)
    }

    /// The regular files of the image as `docker save` gives it (paths in the image).
    async fn files(&self, name: &str) -> BTreeSet<String> {
        files_of_archive(&saved(&self.client, &[name]).await.concat())
    }
}

/// The regular files of every layer of a `docker save` archive.
fn files_of_archive(tar_bytes: &[u8]) -> BTreeSet<String> {
    let mut outer = tar::Archive::new(tar_bytes);
    let mut out = BTreeSet::new();
    for e in outer.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().to_string_lossy().into_owned();
        if !path.ends_with("/layer.tar") {
            continue;
        }
        let mut layer = Vec::new();
        e.read_to_end(&mut layer).unwrap();
        for f in tar::Archive::new(&layer[..]).entries().unwrap() {
            let f = f.unwrap();
            if f.header().entry_type().is_file() {
                out.insert(f.path().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out
}

/// Writes a context whose image holds one file, `/f`, with `text`.
fn one_file(dir: &Path, text: &str) {
    write(
        dir,
        &[("Dockerfile", "FROM scratch\nCOPY f /\n"), ("f", text)],
    );
}

/// Build, inspect, list, tag, the cache, quiet, remove (and its conflict), save and load.
async fn build_and_round_trip(mut t: Target) {
    let dir = tempfile::tempdir().unwrap();
    let stamp = unique("ctx");
    write(
        dir.path(),
        &[
            (
                "Dockerfile",
                "FROM scratch\nARG WHO=nobody\nLABEL who=$WHO\nCOPY . /ctx/\n",
            ),
            (".dockerignore", "**/*.log\n.dockerignore\n"),
            ("a.txt", &stamp),
            ("sub/b.txt", "b"),
            ("skip.log", "no"),
            ("sub/skip.log", "no"),
        ],
    );
    let name = format!("contract-images/{stamp}");
    let opts = BuildOptions::new()
        .tag(format!("{name}:1"))
        .build_arg("WHO", Some("me"))
        .build_arg("UNUSED", Some("x"))
        .label("dockwright.test", &stamp);
    let (id, lines) = t.build(dir.path(), &opts).await;
    assert!(
        lines
            .iter()
            .any(|l| l == "[Warning] One or more build-args [UNUSED] were not consumed\n"),
        "{lines:?}"
    );
    t.made(format!("{name}:1"));
    // ARG is a step; the labels option is dockerd's extra last step.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Step 1/5 : FROM scratch")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l == &format!("Step 5/5 : LABEL dockwright.test={stamp}")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("Successfully built ")),
        "{lines:?}"
    );
    // The image holds what .dockerignore left (the Dockerfile too, not .dockerignore).
    let files = t.files(&format!("{name}:1")).await;
    let want: BTreeSet<String> = ["ctx/Dockerfile", "ctx/a.txt", "ctx/sub/b.txt"]
        .map(str::to_owned)
        .into();
    assert_eq!(files, want);
    let inspect = t.client.image_inspect(&format!("{name}:1")).await.unwrap();
    assert_eq!(inspect.id, id);
    assert_eq!(inspect.repo_tags, [format!("{name}:1")]);
    assert_eq!(inspect.config.labels["who"], "me");
    assert_eq!(inspect.config.labels["dockwright.test"], stamp);
    assert_eq!(inspect.root_fs.layers.len(), 1);
    // The same build again comes from the cache.
    let (again, lines) = t.build(dir.path(), &opts).await;
    assert_eq!(again, id);
    assert!(lines.iter().any(|l| l.contains("Using cache")), "{lines:?}");
    // Quiet: only the ID.
    let (quiet, lines) = t.build(dir.path(), &opts.clone().quiet(true)).await;
    assert_eq!(quiet, id);
    assert!(lines.iter().all(|l| !l.contains("Step")), "{lines:?}");

    // Tags in two repositories: list shows both, removal by ID needs force.
    let other = format!("contract-images/{stamp}-other:2");
    t.client
        .image_tag(&format!("{name}:1"), &other)
        .await
        .unwrap();
    t.made(other.clone());
    let listed = t
        .client
        .image_list(&ListOptions::new().filter("label", format!("dockwright.test={stamp}")))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let mut tags = listed[0].repo_tags.clone();
    tags.sort();
    let mut want = [format!("{name}:1"), other.clone()];
    want.sort();
    assert_eq!(tags, want);
    let by_ref = t
        .client
        .image_list(&ListOptions::new().filter("reference", &name))
        .await
        .unwrap();
    assert_eq!(by_ref.len(), 1);
    assert_eq!(by_ref[0].repo_tags, [format!("{name}:1")]);
    let err = t
        .client
        .image_remove(&id, &RemoveOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    assert!(err.to_string().contains("must be forced"), "{err}");

    // Save, remove both tags (the last one deletes the image), load back: the same ID.
    let archive = saved(&t.client, &[&format!("{name}:1")]).await;
    let gone = t
        .client
        .image_remove(&other, &RemoveOptions::new())
        .await
        .unwrap();
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].untagged.as_deref(), Some(other.as_str()));
    let gone = t
        .client
        .image_remove(&format!("{name}:1"), &RemoveOptions::new())
        .await
        .unwrap();
    assert!(
        gone.iter()
            .any(|d| d.deleted.as_deref() == Some(id.as_str())),
        "{gone:?}"
    );
    assert!(absent(&t.client, &id).await);
    let out = load(&t.client, archive.clone(), false).await.unwrap();
    assert_eq!(out.loaded, [format!("{name}:1")]);
    assert_eq!(
        t.client
            .image_inspect(&format!("{name}:1"))
            .await
            .unwrap()
            .id,
        id
    );
    // A cut archive fails inside the stream.
    let err = load(&t.client, first_half(&archive.concat()), false)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InStream { .. }), "{err:?}");
    assert!(
        t.client
            .image_save(&["contract-images/absent:1"])
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(absent(&t.client, "contract-images/absent:1").await);
}

/// A missing Dockerfile and an unknown instruction are refused before the stream; a COPY of
/// a missing file fails inside it; `--target` stops at its stage.
async fn build_failures_and_target(mut t: Target) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("a.txt", "a")]);
    // A raw context without its Dockerfile (the directory form refuses before sending).
    let mut tar = tar::Builder::new(Vec::new());
    tar.append_dir_all(".", dir.path()).unwrap();
    let body = bytes::Bytes::from(tar.into_inner().unwrap());
    let err = t
        .client
        .build_tar(
            futures_util::stream::iter([Ok::<_, std::io::Error>(body)]),
            "Dockerfile",
            &BuildOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("Cannot locate specified Dockerfile: Dockerfile"),
        "{err}"
    );
    let err = t
        .client
        .build(dir.path(), &BuildOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BuildContext { .. }), "{err:?}");

    write(dir.path(), &[("Dockerfile", "FROM scratch\nBOGUS x\n")]);
    let err = t
        .client
        .build(dir.path(), &BuildOptions::new())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("dockerfile parse error line 2: unknown instruction: BOGUS"),
        "{err}"
    );

    for (dockerfile, target, message) in [
        ("LABEL a=b\n", None, "no build stage in current context"),
        (
            "ENV A=1\nFROM scratch\n",
            None,
            "no build stage in current context",
        ),
        (
            "FROM scratch AS one\nLABEL a=b\n",
            Some("nope"),
            "failed to reach build target nope in Dockerfile",
        ),
    ] {
        write(dir.path(), &[("Dockerfile", dockerfile)]);
        let mut opts = BuildOptions::new();
        if let Some(target) = target {
            opts = opts.target(target);
        }
        let err = t.client.build(dir.path(), &opts).await.unwrap_err();
        match &err {
            Error::Api {
                status: 400,
                message: m,
                ..
            } => assert_eq!(m, message),
            e => panic!("{dockerfile:?}: {e:?}"),
        }
    }

    write(
        dir.path(),
        &[("Dockerfile", "FROM scratch\nCOPY nothere.txt /\n")],
    );
    let err = streamed(t.client.build(dir.path(), &BuildOptions::new()))
        .await
        .unwrap_err();
    match &err {
        Error::InStream { message, .. } => assert!(
            message.starts_with(
                "COPY failed: file not found in build context or excluded by .dockerignore: stat nothere.txt"
            ),
            "{message}"
        ),
        e => panic!("{e:?}"),
    }

    // A base image no registry has: the pull fails inside the build's stream.
    let absent = format!("{}/contract-images/{}:1", t.registry, unique("absent"));
    write(dir.path(), &[("Dockerfile", &format!("FROM {absent}\n"))]);
    let err = streamed(t.client.build(dir.path(), &BuildOptions::new()))
        .await
        .unwrap_err();
    match &err {
        Error::InStream { kind, message, .. } => {
            assert_eq!(*kind, StreamErrorKind::NotFound, "{err}");
            assert_eq!(
                message,
                &format!("manifest for {absent} not found: manifest unknown: manifest unknown")
            );
        }
        e => panic!("{e:?}"),
    }

    write(
        dir.path(),
        &[(
            "Dockerfile",
            "FROM scratch AS one\nCOPY a.txt /one\nFROM one AS two\nCOPY a.txt /two\nFROM scratch AS never\nCOPY nothere /\n",
        )],
    );
    let tag = format!("contract-images/{}:target", unique("t"));
    let (id, lines) = t
        .build(dir.path(), &BuildOptions::new().tag(&tag).target("two"))
        .await;
    t.made(tag.clone());
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Step 4/4 : COPY a.txt /two")),
        "{lines:?}"
    );
    assert_eq!(t.files(&id).await, ["one", "two"].map(str::to_owned).into());
    assert_eq!(
        t.client
            .image_inspect(&tag)
            .await
            .unwrap()
            .root_fs
            .layers
            .len(),
        2
    );
}

/// Push and pull through a registry, with failures inside the stream as typed errors.
async fn push_and_pull(mut t: Target) {
    let dir = tempfile::tempdir().unwrap();
    let stamp = unique("push");
    one_file(dir.path(), &stamp);
    let target = format!("{}/contract-images/{stamp}:1", t.registry);
    let (id, _) = t.build(dir.path(), &BuildOptions::new().tag(&target)).await;
    t.made(target.clone());
    let (out, phases) = streamed_phases(t.client.image_push(&target, &PushOptions::new())).await;
    let pushed = out.unwrap().pushed.expect("aux result");
    assert_eq!(pushed.tag, "1");
    assert!(pushed.digest.starts_with("sha256:"));
    assert!(phases.contains(&LayerPhase::Preparing), "{phases:?}");
    assert!(phases.iter().any(LayerPhase::is_done), "{phases:?}");
    let inspect = t.client.image_inspect(&target).await.unwrap();
    assert_eq!(
        inspect.repo_digests,
        [format!(
            "{}/contract-images/{stamp}@{}",
            t.registry, pushed.digest
        )]
    );
    // Again: the registry has the layer.
    let again = streamed(t.client.image_push(&target, &PushOptions::new()))
        .await
        .unwrap();
    assert_eq!(again.pushed.map(|p| p.digest), Some(pushed.digest.clone()));
    assert_eq!(again.layers_present, 1);

    // A tag the daemon does not have fails inside the stream.
    let absent_tag = format!("{}/contract-images/absent-{stamp}:1", t.registry);
    let err = streamed(t.client.image_push(&absent_tag, &PushOptions::new()))
        .await
        .unwrap_err();
    assert!(in_stream(&err, StreamErrorKind::NotFound), "{err:?}");
    assert!(
        err.to_string()
            .contains("An image does not exist locally with the tag"),
        "{err}"
    );

    // Pull it back after removing it: the same image and digest; then it is up to date.
    t.client
        .image_remove(&target, &RemoveOptions::new())
        .await
        .unwrap();
    assert!(absent(&t.client, &id).await);
    let (out, pulled_phases) =
        streamed_phases(t.client.image_pull(&target, &PullOptions::new())).await;
    assert_eq!(out.unwrap().digest.as_deref(), Some(pushed.digest.as_str()));
    assert!(
        pulled_phases.contains(&LayerPhase::PullComplete),
        "{pulled_phases:?}"
    );
    assert_eq!(t.client.image_inspect(&target).await.unwrap().id, id);
    let out = streamed(t.client.image_pull(&target, &PullOptions::new()))
        .await
        .unwrap();
    assert_eq!(
        out.status,
        Some(format!("Status: Image is up to date for {target}"))
    );
    // An unknown manifest: dockerd 20.10 refuses before its stream.
    let err = t
        .client
        .image_pull(&absent_tag, &PullOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("manifest unknown"), "{err}");

    // An htpasswd registry: unauthorised without credentials, pushed with them; a pull
    // without them is refused.
    let private = format!("{}/contract-images/{stamp}:1", t.auth_registry);
    t.client.image_tag(&target, &private).await.unwrap();
    t.made(private.clone());
    let err = streamed(t.client.image_push(&private, &PushOptions::new()))
        .await
        .unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    let right = RegistryAuth::new(
        Credentials::basic(&t.user, t.password.clone()),
        &t.auth_registry,
    );
    let out = streamed(
        t.client
            .image_push(&private, &PushOptions::new().registry_auth(right)),
    )
    .await
    .unwrap();
    assert!(out.pushed.is_some());
    t.client
        .image_remove(&private, &RemoveOptions::new())
        .await
        .unwrap();
    let err = t
        .client
        .image_pull(&private, &PullOptions::new())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no basic auth credentials"),
        "{err}"
    );
}

/// Dangling images, list filters and prune (scoped by label so other images stay).
async fn list_filters_and_prune(mut t: Target) {
    let dir = tempfile::tempdir().unwrap();
    let stamp = unique("prune");
    let tag = format!("contract-images/{stamp}:1");
    let label = format!("dockwright.test={stamp}");
    let mut ids = Vec::new();
    for n in ["1", "2"] {
        one_file(dir.path(), n);
        let (id, _) = t
            .build(
                dir.path(),
                &BuildOptions::new()
                    .tag(&tag)
                    .label("dockwright.test", &stamp),
            )
            .await;
        ids.push(id);
    }
    t.made(tag.clone());
    let ours = |dangling: &str| {
        ListOptions::new()
            .filter("dangling", dangling)
            .filter("label", &label)
    };
    let dangling = t.client.image_list(&ours("true")).await.unwrap();
    assert_eq!(dangling.len(), 1, "{dangling:?}");
    assert_eq!(dangling[0].id, ids[0]);
    assert_eq!(dangling[0].repo_tags, ["<none>:<none>"]);
    let tagged = t.client.image_list(&ours("false")).await.unwrap();
    assert_eq!(tagged.len(), 1);
    assert_eq!(tagged[0].id, ids[1]);
    assert_eq!(tagged[0].size, 1);

    let report = t
        .client
        .image_prune(&PruneOptions::new().filter("label", &label))
        .await
        .unwrap();
    let deleted: Vec<&str> = report
        .images_deleted
        .iter()
        .filter_map(|d| d.deleted.as_deref())
        .collect();
    // (dockerd also deletes the build's intermediate images under it; the fake keeps none)
    assert!(deleted.contains(&ids[0].as_str()), "{report:?}");
    assert!(!deleted.contains(&ids[1].as_str()), "{report:?}");
    assert!(absent(&t.client, &ids[0]).await);
    let report = t
        .client
        .image_prune(&PruneOptions::new().all(true).filter("label", &label))
        .await
        .unwrap();
    assert_eq!(
        report.images_deleted[0].untagged.as_deref(),
        Some(tag.as_str())
    );
    assert!(
        report
            .images_deleted
            .iter()
            .any(|d| d.deleted.as_deref() == Some(ids[1].as_str())),
        "{report:?}"
    );
    let left = t
        .client
        .image_list(&ListOptions::new().filter("label", &label))
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}

/// Seconds since the epoch, now.
fn now_secs() -> u64 {
    let now = std::time::SystemTime::now();
    now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// Removes `names` in order (untags, and deletes an image with its last tag).
async fn remove(c: &Client, names: &[&str]) {
    for name in names {
        c.image_remove(name, &RemoveOptions::new()).await.unwrap();
    }
}

/// The image events of tag, push, save, remove, load and pull, as dockerd records them.
async fn image_events(mut t: Target) {
    let dir = tempfile::tempdir().unwrap();
    let stamp = unique("ev");
    one_file(dir.path(), &stamp);
    // Whole seconds: `since` and `until` are seconds on both.
    let since = now_secs();
    let repo = format!("{}/contract-images/{stamp}", t.registry);
    let a = format!("{repo}:1");
    let b = format!("contract-images/{stamp}-b:2");
    let (id, _) = t.build(dir.path(), &BuildOptions::new().tag(&a)).await;
    t.made(a.clone());
    t.client.image_tag(&a, &b).await.unwrap();
    t.made(b.clone());
    streamed(t.client.image_push(&a, &PushOptions::new()))
        .await
        .unwrap();
    let archive = saved(&t.client, &[&b]).await;
    remove(&t.client, &[&b, &a]).await;
    load(&t.client, archive, true).await.unwrap();
    streamed(t.client.image_pull(&a, &PullOptions::new()))
        .await
        .unwrap();
    remove(&t.client, &[&b, &a]).await;
    let until = now_secs() + 1;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let events: Vec<swarm_client::models::Event> = t
        .client
        .events(
            &swarm_client::events::EventFilter::new()
                .kind("image")
                .since(since.to_string())
                .until(until.to_string()),
        )
        .await
        .unwrap()
        .map(|e| e.unwrap())
        .collect()
        .await;
    // Other tests' images may come and go meanwhile: only ours.
    let ours: Vec<(String, String, String)> = events
        .into_iter()
        .filter(|e| e.actor.id == id || e.actor.id.starts_with(&repo))
        .map(|e| {
            let name = e.actor.attributes.get("name").cloned().unwrap_or_default();
            (e.action, e.actor.id, name)
        })
        .collect();
    let ev = |action: &str, actor: &str, name: &str| {
        (action.to_owned(), actor.to_owned(), name.to_owned())
    };
    assert_eq!(
        ours,
        [
            ev("tag", &id, &a),
            ev("tag", &id, &b),
            ev("push", &a, &repo),
            ev("save", &id, &id),
            ev("untag", &id, &id),
            ev("untag", &id, &id),
            ev("delete", &id, &id),
            ev("load", &id, &id),
            ev("pull", &a, &repo),
            ev("untag", &id, &id),
            ev("untag", &id, &id),
            ev("delete", &id, &id),
        ]
    );
}

contract!(build_round_trip_contract, build_and_round_trip);
contract!(build_failures_contract, build_failures_and_target);
contract!(push_pull_contract, push_and_pull);
contract!(prune_contract, list_filters_and_prune);
contract!(image_events_contract, image_events);
