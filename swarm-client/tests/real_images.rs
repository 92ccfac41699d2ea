//! Real-daemon tests of the image calls: build (the context equals the docker CLI's: same
//! layer digests as `DOCKER_BUILDKIT=0 docker build`), list, inspect, tag, remove, prune,
//! pull, push (failures inside the stream as typed errors), save and load (round trips with
//! `docker save`/`docker load`). Every image a test makes is removed by a Drop guard.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::images::{
    ImageGuard, absent, build_id, first_half, in_stream, load, streamed, streamed_output,
    streamed_phases, streamed_with, write,
};
use common::{env, image, manager, manager_host, unique};
use futures_util::StreamExt;
use sdk_core::{Credentials, RegistryAuth};
use swarm_client::build::BuildOptions;
use swarm_client::images::{ListOptions, PruneOptions, PullOptions, PushOptions, RemoveOptions};
use swarm_client::progress::{LayerPhase, ProgressEvent};
use swarm_client::{Client, Error, StreamErrorKind};

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(["-H", &manager_host()])
        .args(args)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("docker CLI");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A context that exercises docker's rules: exceptions into excluded directories, `**`,
/// `?`, character classes, a Dockerfile the patterns exclude, modes, symlinks, hard links,
/// empty directories and a path longer than 100 bytes.
fn tricky_context(dir: &Path) {
    write(
        dir,
        &[
            ("Dockerfile", "FROM scratch\nCOPY . /\n"),
            (
                ".dockerignore",
                "# generated and secret files\n*.log\n!keep.log\nbuild/*\n!build/app\n**/*.tmp\nsecret?.txt\ndocs/[a-c]*\n/vendor/\nDockerfile\n",
            ),
            ("a.log", "drop"),
            ("keep.log", "keep"),
            ("build/app", "binary"),
            ("build/other", "drop"),
            ("build/cache/x", "drop"),
            ("src/main.rs", "fn main() {}\n"),
            ("src/deep/x.tmp", "drop"),
            ("src/deep/y.txt", "keep"),
            ("secret1.txt", "drop"),
            ("secret10.txt", "keep: two characters"),
            ("docs/alpha.md", "drop"),
            ("docs/delta.md", "keep"),
            ("vendor/lib.rs", "drop"),
            ("bin/tool", "#!/bin/sh\n"),
        ],
    );
    std::fs::set_permissions(dir.join("bin/tool"), std::fs::Permissions::from_mode(0o751)).unwrap();
    std::fs::set_permissions(dir.join("keep.log"), std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink("../src/main.rs", dir.join("bin/link")).unwrap();
    std::fs::hard_link(dir.join("src/main.rs"), dir.join("src/hard.rs")).unwrap();
    std::fs::create_dir_all(dir.join("empty/dir")).unwrap();
    let long = format!("long/{}/{}", "d".repeat(60), "f".repeat(60));
    write(dir, &[(&long, "long path")]);
}

fn layers(id: &str) -> Vec<String> {
    serde_json::from_str(&docker(&[
        "image",
        "inspect",
        "--format",
        "{{json .RootFS.Layers}}",
        id,
    ]))
    .unwrap()
}

/// What the shell command `list` prints of an image's only layer: it runs where the image's
/// `docker save` archive is unpacked, the layer as `*/layer.tar`.
fn saved_layer(id: &str, list: &str) -> String {
    let d = tempfile::tempdir().unwrap();
    let tar = d.path().join("s.tar");
    docker(&["save", "-o", &tar.display().to_string(), id]);
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cd {} && tar -xf s.tar && {list}",
            d.path().display()
        ))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `tar -tv` of an image's only layer, for a readable failure.
fn layer_listing(id: &str) -> String {
    saved_layer(id, "tar -tvv --full-time --numeric-owner -f */layer.tar")
}

/// A test's start: a client of the manager, a guard of the images the test makes, a
/// directory for its build contexts.
async fn start() -> (Client, ImageGuard, tempfile::TempDir) {
    (
        manager().await,
        ImageGuard::new(),
        tempfile::tempdir().unwrap(),
    )
}

/// The busybox image of the test registry, pulled into the daemon: its reference.
async fn base_in_daemon(c: &Client) -> String {
    let base = image();
    streamed(c.image_pull(&base, &PullOptions::new()))
        .await
        .unwrap();
    base
}

/// `docker build -q --no-cache DIR` on the manager, the classic builder: the image ID.
fn docker_build(dir: &Path) -> String {
    docker(&["build", "-q", "--no-cache", &dir.display().to_string()])
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn build_context_equals_the_docker_clis() {
    let (c, mut guard, dir) = start().await;
    tricky_context(dir.path());

    let theirs = docker_build(dir.path());
    guard.add(&theirs);
    let ours = build_id(&c, dir.path(), &BuildOptions::new().no_cache(true)).await;
    guard.add(&ours);
    if layers(&ours) != layers(&theirs) {
        panic!(
            "layer digests differ\nours:\n{}\ntheirs:\n{}",
            layer_listing(&ours),
            layer_listing(&theirs)
        );
    }

    // What the layer holds: the exceptions, not the excluded files; no Dockerfile (excluded,
    // so the daemon drops it after using it).
    let listing = saved_layer(&ours, "tar -tf */layer.tar | sort");
    for want in [
        "keep.log",
        "build/app",
        "src/deep/y.txt",
        "secret10.txt",
        "docs/delta.md",
        "bin/link",
        "src/hard.rs",
        "empty/dir/",
    ] {
        assert!(
            listing.lines().any(|l| l == want),
            "{want} missing:\n{listing}"
        );
    }
    for gone in [
        "a.log",
        "build/other",
        "build/cache/x",
        "src/deep/x.tmp",
        "secret1.txt",
        "docs/alpha.md",
        "vendor/lib.rs",
        "Dockerfile",
    ] {
        assert!(
            !listing.lines().any(|l| l == gone),
            "{gone} sent:\n{listing}"
        );
    }
}

/// A directory that a pattern excludes and an exception reaches into is walked but not sent:
/// the daemon creates it when it unpacks the context, with the time of unpacking. So the two
/// builds' layers differ exactly there (the mtime of `build/` and `build/out/`), and nowhere
/// else.
#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn excluded_directories_reached_by_an_exception_are_not_sent() {
    let (c, mut guard, dir) = start().await;
    write(
        dir.path(),
        &[
            ("Dockerfile", "FROM scratch\nCOPY . /\n"),
            (".dockerignore", "build\n!build/out/app\n"),
            ("build/out/app", "binary"),
            ("build/out/other", "drop"),
            ("src/a", "a"),
        ],
    );
    let ctx = swarm_client::build_context::BuildContext::from_dir(dir.path(), None).unwrap();
    assert_eq!(
        ctx.paths().collect::<Vec<_>>(),
        [
            ".dockerignore",
            "Dockerfile",
            "build/out/app",
            "src",
            "src/a"
        ]
    );
    // Unpacked a second later than the files were made, the implicit directories' times differ
    // from the real ones in both builds alike.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let theirs = docker_build(dir.path());
    guard.add(&theirs);
    let ours = build_id(&c, dir.path(), &BuildOptions::new().no_cache(true)).await;
    guard.add(&ours);
    let strip = |listing: String| -> Vec<String> {
        listing
            .lines()
            .map(|l| {
                if l.ends_with(" build/") || l.ends_with(" build/out/") {
                    // permissions, owner, size, name; not the time of unpacking
                    let f: Vec<&str> = l.split_whitespace().collect();
                    format!("{} {} {} {}", f[0], f[1], f[2], f[5])
                } else {
                    l.to_owned()
                }
            })
            .collect()
    };
    assert_eq!(strip(layer_listing(&ours)), strip(layer_listing(&theirs)));
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn build_options_and_failures() {
    let (c, mut guard, dir) = start().await;
    let base = base_in_daemon(&c).await;
    let df = dir.path().join("build.Dockerfile");
    std::fs::write(
        &df,
        format!(
            "FROM {base} AS first\nARG GREETING=unset\nRUN echo \"$GREETING\" > /greeting\n\
             FROM first AS final\nRUN cat /greeting > /copy\nFROM final AS never\nRUN false\n"
        ),
    )
    .unwrap();
    let tag = format!("swarmclient-images/{}:1", unique("opts"));
    guard.add(&tag);
    let opts = BuildOptions::new()
        .tag(&tag)
        .dockerfile(&df)
        .build_arg("GREETING", Some("hello"))
        .label("dockwright.test", "build")
        .target("final")
        .network_mode("none")
        .no_cache(true);
    let (out, steps) = streamed_output(c.build(dir.path(), &opts)).await;
    let id = out.unwrap().image_id.expect("image ID");
    let inspect = c.image_inspect(&tag).await.unwrap();
    assert_eq!(inspect.id, id);
    // The untagged `first` stage (the final stage's base) goes too.
    guard.add_base(inspect.parent.clone());
    assert_eq!(inspect.config.labels["dockwright.test"], "build");
    assert!(steps.iter().any(|s| s.contains("Step 1/")), "{steps:?}");
    assert!(
        !steps.iter().any(|s| s.contains("RUN false")),
        "target stops at final"
    );
    // The build arg reached the RUN step: run the image and read the file.
    let got = docker(&["run", "--rm", "--network", "none", &tag, "cat", "/copy"]);
    assert_eq!(got, "hello");

    // A failing step is a typed error, not a success.
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {base}\nRUN exit 3\n"),
    )
    .unwrap();
    let opts = BuildOptions::new().network_mode("none").force_rm(true);
    let err = streamed(c.build(dir.path(), &opts)).await.unwrap_err();
    match &err {
        Error::InStream { kind, code, .. } => {
            assert_eq!(*kind, StreamErrorKind::BuildStep, "{err}");
            assert_eq!(*code, Some(3), "{err}");
        }
        e => panic!("{e:?}"),
    }
    // No Dockerfile: refused before anything is sent.
    let empty = tempfile::tempdir().unwrap();
    let err = c
        .build(empty.path(), &BuildOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BuildContext { .. }), "{err:?}");
    // -q: the daemon sends only the ID.
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nLABEL q=1\n").unwrap();
    let quiet = BuildOptions::new().quiet(true);
    let (out, outputs) = streamed_with(c.build(dir.path(), &quiet), |e| Some(e.clone())).await;
    let qid = out.unwrap().image_id.expect("quiet build ID");
    guard.add(&qid);
    assert!(
        outputs
            .iter()
            .all(|e| !matches!(e, ProgressEvent::Output(s) if s.contains("Step"))),
        "{outputs:?}"
    );
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn list_inspect_tag_remove_prune() {
    let (c, mut guard, dir) = start().await;
    let label = unique("prune");
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM scratch\nLABEL dockwright.test={label}\nCOPY Dockerfile /\n"),
    )
    .unwrap();
    let id = build_id(&c, dir.path(), &BuildOptions::new()).await;
    guard.add(&id);
    let name = format!("swarmclient-images/{}", unique("tag"));
    c.image_tag(&id, &format!("{name}:a")).await.unwrap();
    c.image_tag(&format!("{name}:a"), &format!("{name}:b"))
        .await
        .unwrap();
    guard.add(format!("{name}:a"));
    guard.add(format!("{name}:b"));

    let listed = c
        .image_list(&ListOptions::new().filter("reference", &name))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].id, id);
    let mut tags = listed[0].repo_tags.clone();
    tags.sort();
    assert_eq!(tags, [format!("{name}:a"), format!("{name}:b")]);
    let labelled = c
        .image_list(&ListOptions::new().filter("label", format!("dockwright.test={label}")))
        .await
        .unwrap();
    assert_eq!(labelled.len(), 1);

    let inspect = c.image_inspect(&format!("{name}:b")).await.unwrap();
    assert_eq!(inspect.id, id);
    // The LABEL step's image, kept below by --no-prune.
    guard.add_base(inspect.parent.clone());
    assert_eq!(inspect.root_fs.layers.len(), 1);
    assert!(absent(&c, "swarmclient-images/absent:1").await);
    let err = c
        .image_tag(&id, &format!("{name}@sha256:{}", "a".repeat(64)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");

    // Removing one tag untags only; a conflict without force when the ID names two tags.
    let gone = c
        .image_remove(&format!("{name}:a"), &RemoveOptions::new())
        .await
        .unwrap();
    assert_eq!(
        gone[0].untagged.as_deref(),
        Some(format!("{name}:a").as_str())
    );
    assert!(gone.iter().all(|d| d.deleted.is_none()));
    c.image_tag(&id, &format!("{name}:c")).await.unwrap();
    guard.add(format!("{name}:c"));
    let err = c
        .image_remove(&id, &RemoveOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    c.image_remove(&format!("{name}:b"), &RemoveOptions::new())
        .await
        .unwrap();
    c.image_remove(&format!("{name}:c"), &RemoveOptions::new().no_prune(true))
        .await
        .unwrap();

    // Now dangling? It had tags only; removing the last tag deleted it. Build a dangling one
    // and prune it by its label only (other tests' images stay).
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM scratch\nLABEL dockwright.test={label}-d\nCOPY Dockerfile /d\n"),
    )
    .unwrap();
    let t = format!("{name}:dangling");
    let did = build_id(&c, dir.path(), &BuildOptions::new().tag(&t)).await;
    guard.add(&did);
    // Rebuilding the tag onto another image leaves the first one dangling.
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM scratch\nLABEL dockwright.test={label}-e\nCOPY Dockerfile /e\n"),
    )
    .unwrap();
    let eid = build_id(&c, dir.path(), &BuildOptions::new().tag(&t)).await;
    guard.add(&eid);
    let pruned = c
        .image_prune(&PruneOptions::new().filter("label", format!("dockwright.test={label}-d")))
        .await
        .unwrap();
    assert!(
        pruned
            .images_deleted
            .iter()
            .any(|d| d.deleted.as_deref() == Some(did.as_str())),
        "{pruned:?}"
    );
    assert!(absent(&c, &did).await);
    assert_eq!(c.image_inspect(&t).await.unwrap().id, eid);
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn pull_and_push_with_in_stream_failures() {
    let c = manager().await;
    let mut guard = ImageGuard::new();
    let registry = env("DOCKWRIGHT_TEST_REGISTRY");
    let auth_registry = env("DOCKWRIGHT_TEST_AUTH_REGISTRY");
    let base = image();

    // Pull: typed per-layer events and the digest.
    let pulled = streamed(c.image_pull(&base, &PullOptions::new()))
        .await
        .unwrap();
    assert!(
        pulled
            .digest
            .as_deref()
            .is_some_and(|d| d.starts_with("sha256:"))
    );
    // An image that does not exist: dockerd 20.10 refuses before streaming.
    let err = c
        .image_pull(
            &format!("{registry}/swarmclient-images/absent:1"),
            &PullOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");

    // Push to the open registry under a new name: per-layer events, the pushed digest.
    let target = format!("{registry}/swarmclient-images/{}:1", unique("push"));
    c.image_tag(&base, &target).await.unwrap();
    guard.add(&target);
    let (out, pushed_phases) = streamed_phases(c.image_push(&target, &PushOptions::new())).await;
    let p = out.unwrap().pushed.expect("aux result");
    assert_eq!(p.tag, "1");
    assert!(p.digest.starts_with("sha256:"));
    assert!(
        pushed_phases.contains(&LayerPhase::Preparing),
        "{pushed_phases:?}"
    );
    assert!(
        pushed_phases.iter().any(LayerPhase::is_done),
        "{pushed_phases:?}"
    );

    // A missing local tag fails inside the stream.
    let missing = format!("{registry}/swarmclient-images/absent-{}:1", unique("x"));
    let err = streamed(c.image_push(&missing, &PushOptions::new()))
        .await
        .unwrap_err();
    assert!(in_stream(&err, StreamErrorKind::NotFound), "{err:?}");

    // An htpasswd registry: without credentials, and with a wrong password, the stream fails
    // unauthorised; with the right ones the push succeeds.
    let private = format!("{auth_registry}/swarmclient-images/{}:1", unique("auth"));
    c.image_tag(&base, &private).await.unwrap();
    guard.add(&private);
    let err = streamed(c.image_push(&private, &PushOptions::new()))
        .await
        .unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    let user = env("DOCKWRIGHT_TEST_REGISTRY_USER");
    let wrong = RegistryAuth::new(Credentials::basic(&user, "wrong"), &auth_registry);
    let err = streamed(c.image_push(&private, &PushOptions::new().registry_auth(wrong)))
        .await
        .unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    let right = RegistryAuth::new(
        Credentials::basic(&user, env("DOCKWRIGHT_TEST_REGISTRY_PASSWORD")),
        &auth_registry,
    );
    let opts = PushOptions::new().registry_auth(right.clone());
    let out = streamed(c.image_push(&private, &opts)).await.unwrap();
    assert!(out.pushed.is_some());
    // And pulling it back needs them too.
    c.image_remove(&private, &RemoveOptions::new())
        .await
        .unwrap();
    let err = c.image_pull(&private, &PullOptions::new()).await;
    assert!(
        match &err {
            Err(e) => e.to_string().contains("no basic auth credentials"),
            Ok(_) => false,
        },
        "{err:?}"
    );
    streamed(c.image_pull(&private, &PullOptions::new().registry_auth(right)))
        .await
        .unwrap();
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn save_and_load_round_trips_with_the_docker_cli() {
    let (c, mut guard, dir) = start().await;
    let base = base_in_daemon(&c).await;
    let name = format!("swarmclient-images/{}", unique("save"));
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {base}\nRUN echo saved > /saved\n"),
    )
    .unwrap();
    let opts = BuildOptions::new()
        .tag(format!("{name}:1"))
        .network_mode("none");
    let built = build_id(&c, dir.path(), &opts).await;
    guard.add(format!("{name}:1"));
    guard.add(&built);
    c.image_tag(&base, &format!("{name}:base")).await.unwrap();
    guard.add(format!("{name}:base"));

    // dockwright save (two images, one archive) → docker load.
    let ours = dir.path().join("ours.tar");
    let mut f = tokio::fs::File::create(&ours).await.unwrap();
    let n = c
        .image_save(&[&format!("{name}:1"), &format!("{name}:base")])
        .await
        .unwrap()
        .write_to(&mut f)
        .await
        .unwrap();
    assert!(n > 1024);
    let before = c.image_inspect(&format!("{name}:base")).await.unwrap().id;
    c.image_remove(&format!("{name}:1"), &RemoveOptions::new())
        .await
        .unwrap();
    c.image_remove(&format!("{name}:base"), &RemoveOptions::new())
        .await
        .unwrap();
    let loaded = docker(&["load", "-i", &ours.display().to_string()]);
    assert!(loaded.contains(&format!("{name}:1")), "{loaded}");
    assert_eq!(
        c.image_inspect(&format!("{name}:1")).await.unwrap().id,
        built
    );
    assert_eq!(
        c.image_inspect(&format!("{name}:base")).await.unwrap().id,
        before
    );

    // docker save → dockwright load (streamed from the file), then from a byte stream.
    let theirs = dir.path().join("theirs.tar");
    docker(&[
        "save",
        "-o",
        &theirs.display().to_string(),
        &format!("{name}:1"),
    ]);
    c.image_remove(&format!("{name}:1"), &RemoveOptions::new())
        .await
        .unwrap();
    let out = streamed(c.image_load_file(&theirs, false)).await.unwrap();
    assert_eq!(out.loaded, [format!("{name}:1")]);
    assert_eq!(
        c.image_inspect(&format!("{name}:1")).await.unwrap().id,
        built
    );
    // Our own save loads back through our own load, as a stream straight from the daemon.
    c.image_tag(&built, &format!("{name}:2")).await.unwrap();
    guard.add(format!("{name}:2"));
    let export = c.image_save(&[&format!("{name}:2")]).await.unwrap();
    c.image_remove(&format!("{name}:2"), &RemoveOptions::new())
        .await
        .unwrap();
    let chunks: Vec<bytes::Bytes> = export.map(|c| c.unwrap()).collect().await;
    let out = load(&c, chunks, true).await.unwrap();
    assert_eq!(out.loaded, [format!("{name}:2")]);

    // A truncated archive: the daemon's failure is a typed error, nothing loaded.
    let bytes = std::fs::read(&theirs).unwrap();
    let err = load(&c, first_half(&bytes), false).await.unwrap_err();
    assert!(matches!(err, Error::InStream { .. }), "{err:?}");
    assert!(c.image_save(&[]).await.is_err());
    assert!(
        c.image_save(&["swarmclient-images/absent:1"])
            .await
            .unwrap_err()
            .is_not_found()
    );
}
