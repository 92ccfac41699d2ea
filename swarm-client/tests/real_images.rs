//! Real-daemon tests of the image calls: build (the context equals the docker CLI's: same
//! layer digests as `DOCKER_BUILDKIT=0 docker build`), list, inspect, tag, remove, prune,
//! pull, push (failures inside the stream as typed errors), save and load (round trips with
//! `docker save`/`docker load`). Every image a test makes is removed by a Drop guard.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::{env, image, manager, manager_host, unique};
use futures_util::StreamExt;
use sdk_core::{Credentials, RegistryAuth};
use swarm_client::build::BuildOptions;
use swarm_client::images::{ListOptions, PruneOptions, PullOptions, PushOptions, RemoveOptions};
use swarm_client::progress::{LayerPhase, ProgressEvent};
use swarm_client::{Error, StreamErrorKind};

/// Removes images (names or IDs) with the docker CLI when dropped.
struct ImageGuard(Vec<String>);

impl ImageGuard {
    fn new() -> Self {
        Self(Vec::new())
    }
    fn add(&mut self, name: impl Into<String>) {
        self.0.push(name.into());
    }
}

impl Drop for ImageGuard {
    fn drop(&mut self) {
        for name in self.0.iter().rev() {
            let _ = Command::new("docker")
                .args(["-H", &manager_host(), "rmi", "-f", name])
                .output();
        }
    }
}

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
    let w = |p: &str, content: &str| {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    };
    w("Dockerfile", "FROM scratch\nCOPY . /\n");
    w(
        ".dockerignore",
        "# generated and secret files\n*.log\n!keep.log\nbuild/*\n!build/app\n**/*.tmp\nsecret?.txt\ndocs/[a-c]*\n/vendor/\nDockerfile\n",
    );
    w("a.log", "drop");
    w("keep.log", "keep");
    w("build/app", "binary");
    w("build/other", "drop");
    w("build/cache/x", "drop");
    w("src/main.rs", "fn main() {}\n");
    w("src/deep/x.tmp", "drop");
    w("src/deep/y.txt", "keep");
    w("secret1.txt", "drop");
    w("secret10.txt", "keep: two characters");
    w("docs/alpha.md", "drop");
    w("docs/delta.md", "keep");
    w("vendor/lib.rs", "drop");
    w("bin/tool", "#!/bin/sh\n");
    std::fs::set_permissions(dir.join("bin/tool"), std::fs::Permissions::from_mode(0o751)).unwrap();
    std::fs::set_permissions(dir.join("keep.log"), std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink("../src/main.rs", dir.join("bin/link")).unwrap();
    std::fs::hard_link(dir.join("src/main.rs"), dir.join("src/hard.rs")).unwrap();
    std::fs::create_dir_all(dir.join("empty/dir")).unwrap();
    let long = format!("long/{}/{}", "d".repeat(60), "f".repeat(60));
    w(&long, "long path");
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

/// `tar -tv` of an image's only layer, for a readable failure.
fn layer_listing(id: &str) -> String {
    let d = tempfile::tempdir().unwrap();
    let tar = d.path().join("s.tar");
    docker(&["save", "-o", &tar.display().to_string(), id]);
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cd {0} && tar -xf s.tar && tar -tvv --full-time --numeric-owner -f */layer.tar",
            d.path().display()
        ))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn build_context_equals_the_docker_clis() {
    let c = manager().await;
    let mut guard = ImageGuard::new();
    let dir = tempfile::tempdir().unwrap();
    tricky_context(dir.path());

    let theirs = docker(&[
        "build",
        "-q",
        "--no-cache",
        &dir.path().display().to_string(),
    ]);
    guard.add(&theirs);
    let ours = c
        .build(dir.path(), &BuildOptions::new().no_cache(true))
        .await
        .unwrap()
        .finish()
        .await
        .unwrap()
        .image_id
        .expect("image ID");
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
    let save = tempfile::tempdir().unwrap();
    let tar = save.path().join("s.tar");
    docker(&["save", "-o", &tar.display().to_string(), &ours]);
    let listing = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cd {0} && tar -xf s.tar && tar -tf */layer.tar | sort",
            save.path().display()
        ))
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
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
    let c = manager().await;
    let mut guard = ImageGuard::new();
    let dir = tempfile::tempdir().unwrap();
    let w = |p: &str, content: &str| {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    };
    w("Dockerfile", "FROM scratch\nCOPY . /\n");
    w(".dockerignore", "build\n!build/out/app\n");
    w("build/out/app", "binary");
    w("build/out/other", "drop");
    w("src/a", "a");
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
    let theirs = docker(&[
        "build",
        "-q",
        "--no-cache",
        &dir.path().display().to_string(),
    ]);
    guard.add(&theirs);
    let ours = c
        .build(dir.path(), &BuildOptions::new().no_cache(true))
        .await
        .unwrap()
        .finish()
        .await
        .unwrap()
        .image_id
        .unwrap();
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
    let c = manager().await;
    let mut guard = ImageGuard::new();
    // The busybox image in the daemon (pulled from the test registry).
    let base = image();
    c.image_pull(&base, &PullOptions::new())
        .await
        .unwrap()
        .finish()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
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
    let mut steps = Vec::new();
    let out = c
        .build(
            dir.path(),
            &BuildOptions::new()
                .tag(&tag)
                .dockerfile(&df)
                .build_arg("GREETING", Some("hello"))
                .label("dockwright.test", "build")
                .target("final")
                .network_mode("none")
                .no_cache(true),
        )
        .await
        .unwrap()
        .finish_with(|e| {
            if let ProgressEvent::Output(s) = e {
                steps.push(s.clone());
            }
        })
        .await
        .unwrap();
    let id = out.image_id.expect("image ID");
    let inspect = c.image_inspect(&tag).await.unwrap();
    assert_eq!(inspect.id, id);
    // The untagged `first` stage (the final stage's base) goes too.
    guard.0.insert(0, inspect.parent.clone());
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
    let err = c
        .build(
            dir.path(),
            &BuildOptions::new().network_mode("none").force_rm(true),
        )
        .await
        .unwrap()
        .finish()
        .await
        .unwrap_err();
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
    let mut outputs = Vec::new();
    let out = c
        .build(dir.path(), &BuildOptions::new().quiet(true))
        .await
        .unwrap()
        .finish_with(|e| outputs.push(e.clone()))
        .await
        .unwrap();
    let qid = out.image_id.expect("quiet build ID");
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
    let c = manager().await;
    let mut guard = ImageGuard::new();
    let dir = tempfile::tempdir().unwrap();
    let label = unique("prune");
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM scratch\nLABEL dockwright.test={label}\nCOPY Dockerfile /\n"),
    )
    .unwrap();
    let id = c
        .build(dir.path(), &BuildOptions::new())
        .await
        .unwrap()
        .finish()
        .await
        .unwrap()
        .image_id
        .unwrap();
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
    guard.0.insert(0, inspect.parent.clone());
    assert_eq!(inspect.root_fs.layers.len(), 1);
    assert!(
        c.image_inspect("swarmclient-images/absent:1")
            .await
            .unwrap_err()
            .is_not_found()
    );
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
    let did = c
        .build(dir.path(), &BuildOptions::new().tag(&t))
        .await
        .unwrap()
        .finish()
        .await
        .unwrap()
        .image_id
        .unwrap();
    guard.add(&did);
    // Rebuilding the tag onto another image leaves the first one dangling.
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM scratch\nLABEL dockwright.test={label}-e\nCOPY Dockerfile /e\n"),
    )
    .unwrap();
    let eid = c
        .build(dir.path(), &BuildOptions::new().tag(&t))
        .await
        .unwrap()
        .finish()
        .await
        .unwrap()
        .image_id
        .unwrap();
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
    assert!(c.image_inspect(&did).await.unwrap_err().is_not_found());
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
    let mut phases = Vec::new();
    let pulled = c
        .image_pull(&base, &PullOptions::new())
        .await
        .unwrap()
        .finish_with(|e| {
            if let ProgressEvent::Layer(l) = e {
                phases.push(l.phase.clone());
            }
        })
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
    let mut pushed_phases = Vec::new();
    let out = c
        .image_push(&target, &PushOptions::new())
        .await
        .unwrap()
        .finish_with(|e| {
            if let ProgressEvent::Layer(l) = e {
                pushed_phases.push(l.phase.clone());
            }
        })
        .await
        .unwrap();
    let p = out.pushed.expect("aux result");
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
    let err = c
        .image_push(
            &format!("{registry}/swarmclient-images/absent-{}:1", unique("x")),
            &PushOptions::new(),
        )
        .await
        .unwrap()
        .finish()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InStream {
                kind: StreamErrorKind::NotFound,
                ..
            }
        ),
        "{err:?}"
    );

    // An htpasswd registry: without credentials, and with a wrong password, the stream fails
    // unauthorised; with the right ones the push succeeds.
    let private = format!("{auth_registry}/swarmclient-images/{}:1", unique("auth"));
    c.image_tag(&base, &private).await.unwrap();
    guard.add(&private);
    let err = c
        .image_push(&private, &PushOptions::new())
        .await
        .unwrap()
        .finish()
        .await
        .unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    let user = env("DOCKWRIGHT_TEST_REGISTRY_USER");
    let wrong = RegistryAuth::new(Credentials::basic(&user, "wrong"), &auth_registry);
    let err = c
        .image_push(&private, &PushOptions::new().registry_auth(wrong))
        .await
        .unwrap()
        .finish()
        .await
        .unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    let right = RegistryAuth::new(
        Credentials::basic(&user, env("DOCKWRIGHT_TEST_REGISTRY_PASSWORD")),
        &auth_registry,
    );
    let out = c
        .image_push(&private, &PushOptions::new().registry_auth(right.clone()))
        .await
        .unwrap()
        .finish()
        .await
        .unwrap();
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
    c.image_pull(&private, &PullOptions::new().registry_auth(right))
        .await
        .unwrap()
        .finish()
        .await
        .unwrap();
}

#[tokio::test]
#[ignore = "needs real servers: run scripts/test"]
async fn save_and_load_round_trips_with_the_docker_cli() {
    let c = manager().await;
    let mut guard = ImageGuard::new();
    let base = image();
    c.image_pull(&base, &PullOptions::new())
        .await
        .unwrap()
        .finish()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let name = format!("swarmclient-images/{}", unique("save"));
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {base}\nRUN echo saved > /saved\n"),
    )
    .unwrap();
    let built = c
        .build(
            dir.path(),
            &BuildOptions::new()
                .tag(format!("{name}:1"))
                .network_mode("none"),
        )
        .await
        .unwrap()
        .finish()
        .await
        .unwrap()
        .image_id
        .unwrap();
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
    let mut events = Vec::new();
    let out = c
        .image_load_file(&theirs, false)
        .await
        .unwrap()
        .finish_with(|e| events.push(e.clone()))
        .await
        .unwrap();
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
    let out = c
        .image_load(
            futures_util::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>)),
            true,
        )
        .await
        .unwrap()
        .finish()
        .await
        .unwrap();
    assert_eq!(out.loaded, [format!("{name}:2")]);

    // A truncated archive: the daemon's failure is a typed error, nothing loaded.
    let bytes = std::fs::read(&theirs).unwrap();
    let cut = bytes::Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
    let err = c
        .image_load(
            futures_util::stream::iter([Ok::<_, std::io::Error>(cut)]),
            false,
        )
        .await
        .unwrap()
        .finish()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InStream { .. }), "{err:?}");
    assert!(c.image_save(&[]).await.is_err());
    assert!(
        c.image_save(&["swarmclient-images/absent:1"])
            .await
            .unwrap_err()
            .is_not_found()
    );
}
