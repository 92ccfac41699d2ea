//! `bench_image`: images between the Docker daemon and a registry — dockwright against the
//! daemon's own export and load, `docker push`/`docker pull` and `skopeo copy docker-daemon:`,
//! in one run, printing wall times, the ratios issue 12 targets and the peak RSS of our side.
//!
//! `bench_image [--layers N] [--layer-mib M] [--rounds R]` (defaults 4 × 256 MiB: the 1 GiB
//! image of the issue, 3 rounds); `--layer-mib 8 --rounds 1` is a quick check. Needs `DOCKWRIGHT_TEST_DOCKER_HOST` (the daemon)
//! and `DOCKWRIGHT_TEST_REGISTRY` (an open loopback registry), the docker CLI, skopeo and
//! `/usr/bin/time`.
//!
//! What runs, in order (every push into a fresh repository, so nothing is skipped or mounted):
//! 1. a `docker save`-format archive of N random uncompressed layers is written to a temp dir
//!    and loaded (`/images/load`);
//! 2. R rounds of: **export** (`/images/get` of the image, streamed and dropped, swarm-client in
//!    a child process), then **our push** from the daemon (`dockwright::image::push_from_daemon`,
//!    default settings: uncompressed) — alternated, so both see the same machine;
//! 3. **docker push** (dockerd gzips the layers), **our gzip push** (`SaveCompression::gzip()`),
//!    **skopeo copy** `docker-daemon:IMAGE` → `docker://…` (its defaults: gzip), once each;
//! 4. the image is removed from the daemon; **docker pull** of what docker pushed;
//! 5. R rounds of: image removed, **our pull** into the daemon
//!    (`dockwright::image::pull_into_daemon`) of what our default push wrote, checked to give
//!    the same image ID; image removed, **load** of the archive (`/images/load`, child).
//!
//! Figures of repeated steps are medians (min–max shown); each of our steps runs in a child
//! process whose peak RSS `/usr/bin/time` reports. Every timed step starts after a `sync`.
//!
//! `bench_image --child archive PATH LAYERS MIB TAG` only writes such an archive (for experiments
//! by hand: `docker load -i PATH`).
//!
//! Everything created (the image and its tags in the daemon, the manifests and blob links in the
//! registry, the temp dir) is removed at the end, also when a step fails.

use registry_client::digest::Digester;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use examples::bench::{
    BoxResult as Res, Run, quiet, tar_header, tar_padding as pad, timed, unique_suffix,
    write_random_tar,
};

const USAGE: &str = "bench_image [--layers N] [--layer-mib M] [--rounds R]";

/// Writes a `docker save` archive of `layers` uncompressed layers, each a tar holding one file
/// of `size` random bytes, tagged `tag`. Returns the image ID (config digest).
fn write_archive(path: &Path, layers: usize, size: u64, tag: &str) -> Res<String> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos() as u64;
    // Each layer.tar: header, data, padding, two zero blocks.
    let layer_tar_size = 512 + size + pad(size) as u64 + 1024;
    let mut diff_ids = Vec::new();
    for i in 0..layers {
        out.write_all(&tar_header(&format!("layer{i}/layer.tar"), layer_tar_size)?)?;
        let mut d = Digester::sha256();
        let seed = seed.wrapping_add(i as u64 * 0x9e37_79b9);
        write_random_tar(&mut out, &format!("data{i}.bin"), size, seed, &mut |b| {
            d.update(b);
        })?;
        diff_ids.push(d.finish().to_string());
        // layer_tar_size is a multiple of 512: no padding of the outer entry.
    }
    let ids: Vec<String> = diff_ids.iter().map(|d| format!("\"{d}\"")).collect();
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","created":"2026-01-01T00:00:00Z","config":{{"Cmd":["/data0.bin"]}},"rootfs":{{"type":"layers","diff_ids":[{}]}},"history":[]}}"#,
        ids.join(",")
    );
    let config_digest = registry_client::digest::Digest::sha256_of(config.as_bytes());
    let config_name = format!("{}.json", config_digest.hex());
    let layer_paths: Vec<String> = (0..layers)
        .map(|i| format!("\"layer{i}/layer.tar\""))
        .collect();
    let manifest = format!(
        r#"[{{"Config":"{config_name}","RepoTags":["{tag}"],"Layers":[{}]}}]"#,
        layer_paths.join(",")
    );
    for (name, body) in [
        (config_name.as_str(), config.as_bytes()),
        ("manifest.json", manifest.as_bytes()),
    ] {
        out.write_all(&tar_header(name, body.len() as u64)?)?;
        out.write_all(body)?;
        out.write_all(&vec![0u8; pad(body.len() as u64)])?;
    }
    out.write_all(&[0u8; 1024])?;
    out.flush()?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(config_digest.to_string())
}

/// Runs of one step: the median is the figure.
struct Series(Vec<Run>);

impl Series {
    fn sorted(&self) -> Vec<f64> {
        let mut t: Vec<f64> = self.0.iter().map(|r| r.secs).collect();
        t.sort_by(f64::total_cmp);
        t
    }

    fn median(&self) -> f64 {
        let t = self.sorted();
        match t.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => t[n / 2],
            n => (t[n / 2 - 1] + t[n / 2]) / 2.0,
        }
    }

    /// ` (min–max)` when there are several runs.
    fn spread(&self) -> String {
        let t = self.sorted();
        match (t.first(), t.last()) {
            (Some(a), Some(b)) if t.len() > 1 => format!(" ({a:.2}–{b:.2})"),
            _ => String::new(),
        }
    }

    fn rss_kib(&self) -> u64 {
        self.0.iter().map(|r| r.rss_kib).max().unwrap_or(0)
    }
}

impl From<Run> for Series {
    fn from(r: Run) -> Self {
        Self(vec![r])
    }
}

/// Removes, when dropped (so a failed run cleans up too): the image from the daemon (by ID,
/// forced: every tag), the manifests and blob links pushed to the registry, and (by its own
/// drop) the temp dir. A registry without delete support answers 405: ignored.
struct Cleanup {
    docker_host: String,
    docker_config: PathBuf,
    image_id: Option<String>,
    registry: String,
    repos: Vec<String>,
}

impl Cleanup {
    fn docker(&self) -> Command {
        docker_cmd(&self.docker_host, &self.docker_config)
    }

    /// `docker rmi -f ID` (every tag of it); quiet when it is not there.
    fn remove_image(&self) {
        if let Some(id) = &self.image_id {
            let _ = self.docker().args(["rmi", "-f", id]).output();
        }
    }

    /// DELETE of the repository's `bench` manifest and of each blob it names.
    fn delete_repo(&self, repo: &str) {
        let base = format!("http://{}/v2/{repo}", self.registry);
        let Ok(o) = Command::new("curl")
            .args(["-s", "-D", "/dev/stderr", "-H"])
            .arg("Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
            .arg(format!("{base}/manifests/bench"))
            .output()
        else {
            return;
        };
        let headers = String::from_utf8_lossy(&o.stderr);
        let Some(digest) = headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("docker-content-digest")
                .then(|| v.trim().to_owned())
        }) else {
            return;
        };
        let mut blobs = Vec::new();
        if let Ok(m) = serde_json::from_slice::<serde_json::Value>(&o.stdout) {
            let digest_of = |v: &serde_json::Value| v["digest"].as_str().map(ToOwned::to_owned);
            blobs.extend(digest_of(&m["config"]));
            if let Some(ls) = m["layers"].as_array() {
                blobs.extend(ls.iter().filter_map(digest_of));
            }
        }
        let delete = |url: String| {
            let _ = Command::new("curl")
                .args(["-s", "-o", "/dev/null", "-X", "DELETE"])
                .arg(url)
                .status();
        };
        delete(format!("{base}/manifests/{digest}"));
        for b in blobs {
            delete(format!("{base}/blobs/{b}"));
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.remove_image();
        for repo in &self.repos {
            self.delete_repo(repo);
        }
    }
}

/// The operations timed in child processes (so `/usr/bin/time` sees only their memory).
async fn child(args: &[String]) -> Res<()> {
    if let [op, path, layers, mib, tag] = args
        && op == "archive"
    {
        // For experiments by hand: the bench's archive, written and not loaded.
        let id = write_archive(
            Path::new(path),
            layers.parse()?,
            mib.parse::<u64>()? << 20,
            tag,
        )?;
        println!("{id}");
        return Ok(());
    }
    let host = std::env::var("DOCKWRIGHT_TEST_DOCKER_HOST")?;
    let engine = swarm_client::Client::connect(&host).await?;
    match args {
        [op, image] if op == "export" => {
            use futures_util::StreamExt as _;
            let start = Instant::now();
            let mut s = engine.image_save(&[image.as_str()]).await?;
            let mut n = 0u64;
            let mut first = None;
            while let Some(chunk) = s.next().await {
                n += chunk?.len() as u64;
                first.get_or_insert_with(|| start.elapsed());
            }
            // The bytes, and the wait for the first of them (dockerd 20.10 writes the whole
            // export to a temp dir before it sends anything).
            println!("{n} {:.2}", first.unwrap_or_default().as_secs_f64());
        }
        [op, file] if op == "load" => {
            let out = engine
                .image_load_file(Path::new(file), true)
                .await?
                .finish()
                .await?;
            println!("{:?}", out.loaded);
        }
        [op, image, target, compression] if op == "push" => {
            // Each layer's start and end on stderr (shown when the child is run by hand).
            let start = Instant::now();
            let sink = registry_client::progress::ProgressSink::callback(move |e| {
                use registry_client::progress::ProgressKind as K;
                if matches!(e.kind, K::Started | K::Done | K::Skipped | K::Mounted) {
                    eprintln!(
                        "{:8.3} s {:?} {} ({} bytes)",
                        start.elapsed().as_secs_f64(),
                        e.kind,
                        e.digest,
                        e.bytes
                    );
                }
            });
            let registry = registry_client::Client::builder().progress(sink).build()?;
            let mut opts = registry_client::save_push::SavePushOptions::new();
            // For experiments by hand: `BENCH_SPILL_LIMIT=0` uploads one layer at a time.
            if let Ok(limit) = std::env::var("BENCH_SPILL_LIMIT") {
                opts = opts.spill_limit(limit.parse()?);
            }
            if compression == "gzip" {
                opts = opts.compression(registry_client::save_push::SaveCompression::gzip());
            }
            let r = dockwright::image::push_from_daemon(
                &engine,
                &registry,
                image,
                &target.parse()?,
                &opts,
            )
            .await?;
            println!(
                "{} uploaded={} skipped={} mounted={} bytes={}",
                r.digest, r.uploaded, r.skipped, r.mounted, r.bytes
            );
        }
        [op, reference] if op == "pull" => {
            let registry = registry_client::Client::builder().build()?;
            let p = dockwright::image::pull_into_daemon(
                &registry,
                &engine,
                &reference.parse()?,
                &registry_client::save_pull::ArchiveOptions::new(),
            )
            .await?;
            println!("{}", p.image_id);
        }
        other => return Err(format!("bad child arguments {other:?}").into()),
    }
    Ok(())
}

fn main() -> Res<()> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) == Some("--child") {
        // For experiments by hand: `BENCH_WORKERS=N` sets the runtime's worker threads.
        let mut rt = tokio::runtime::Builder::new_multi_thread();
        if let Ok(n) = std::env::var("BENCH_WORKERS") {
            rt.worker_threads(n.parse()?);
        }
        return rt.enable_all().build()?.block_on(child(&argv[1..]));
    }
    let mut layers = 4usize;
    let mut layer_mib = 256u64;
    let mut rounds = 3usize;
    let mut args = argv.into_iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--layers" => layers = args.next().ok_or(USAGE)?.parse()?,
            "--layer-mib" => layer_mib = args.next().ok_or(USAGE)?.parse()?,
            "--rounds" => rounds = args.next().ok_or(USAGE)?.parse()?,
            other => return Err(format!("unknown argument {other:?} ({USAGE})").into()),
        }
    }
    if layers == 0 || layer_mib == 0 || rounds == 0 {
        return Err(format!("layers, their size and rounds must be positive ({USAGE})").into());
    }
    let docker_host = std::env::var("DOCKWRIGHT_TEST_DOCKER_HOST")
        .map_err(|_| "DOCKWRIGHT_TEST_DOCKER_HOST is not set (the daemon's endpoint)")?;
    let reg = std::env::var("DOCKWRIGHT_TEST_REGISTRY")
        .map_err(|_| "DOCKWRIGHT_TEST_REGISTRY is not set (host:port of a loopback registry)")?;
    let me = std::env::current_exe()?;
    let work = tempfile::Builder::new().prefix("bench-image-").tempdir()?;
    let home = work.path().join("home");
    std::fs::create_dir_all(&home)?;
    let suffix = unique_suffix()?;
    let image = format!("imgbench-{suffix}:src");
    let repo = |tool: &str| format!("imgbench-{suffix}/{tool}");
    let target = |tool: &str| format!("{reg}/{}:bench", repo(tool));
    let mut cleanup = Cleanup {
        docker_host: docker_host.clone(),
        docker_config: home.clone(),
        image_id: None,
        registry: reg.clone(),
        repos: ["docker", "dwgz", "skopeo"]
            .iter()
            .map(|t| repo(t))
            .chain((0..rounds).map(|r| repo(&format!("dw{r}"))))
            .collect(),
    };
    let docker = || docker_cmd(&docker_host, &home);
    let ours = |args: &[&str]| {
        let mut c = Command::new(&me);
        c.arg("--child")
            .args(args)
            .env("DOCKWRIGHT_TEST_DOCKER_HOST", &docker_host)
            .env("DOCKER_CONFIG", &home);
        c
    };

    let archive = work.path().join("image.tar");
    eprintln!(
        "writing a {layers} × {layer_mib} MiB docker-archive in {}",
        archive.display()
    );
    let image_id = write_archive(&archive, layers, layer_mib << 20, &image)?;
    cleanup.image_id = Some(image_id.clone());
    let archive_bytes = std::fs::metadata(&archive)?.len();

    let load_archive = || ours(&["load", &archive.display().to_string()]);
    settled("first load (/images/load)", &mut load_archive())?;
    let (mut export, mut dw_push) = (Series(Vec::new()), Series(Vec::new()));
    let mut export_ttfb = Vec::new();
    let mut exported = 0u64;
    for r in 0..rounds {
        let e = settled("export (/images/get)", &mut ours(&["export", &image]))?;
        let mut out = e.stdout.split_whitespace();
        exported = out.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        export_ttfb.push(out.next().and_then(|n| n.parse().ok()).unwrap_or(0.0));
        export.0.push(e);
        let target_r = target(&format!("dw{r}"));
        dw_push.0.push(settled(
            "dockwright push",
            &mut ours(&["push", &image, &target_r, "none"]),
        )?);
    }
    export_ttfb.sort_by(f64::total_cmp);
    let export_ttfb = export_ttfb[export_ttfb.len() / 2];
    quiet(
        "docker tag",
        docker().args(["tag", &image, &target("docker")]),
    )?;
    let docker_push: Series = settled(
        "docker push",
        docker().args(["push", "-q", &target("docker")]),
    )?
    .into();
    quiet("docker rmi", docker().args(["rmi", &target("docker")]))?;
    let dw_push_gz: Series = settled(
        "dockwright push (gzip)",
        &mut ours(&["push", &image, &target("dwgz"), "gzip"]),
    )?
    .into();
    let skopeo: Series = settled(
        "skopeo copy",
        Command::new("skopeo")
            .args(["copy", "-q", "--dest-tls-verify=false", "--src-daemon-host"])
            .arg(&docker_host)
            .arg(format!("docker-daemon:{image}"))
            .arg(format!("docker://{}", target("skopeo")))
            .env("HOME", &home),
    )?
    .into();

    cleanup.remove_image();
    let docker_pull: Series = settled(
        "docker pull",
        docker().args(["pull", "-q", &target("docker")]),
    )?
    .into();
    let (mut dw_pull, mut load) = (Series(Vec::new()), Series(Vec::new()));
    let pulled = target("dw0");
    for _ in 0..rounds {
        cleanup.remove_image();
        let p = settled("dockwright pull", &mut ours(&["pull", &pulled]))?;
        let pulled_id = p.stdout.trim().to_owned();
        if pulled_id != image_id {
            return Err(format!("dockwright pull loaded {pulled_id}, expected {image_id}").into());
        }
        // The pulled image is what was loaded: same ID, tagged with the registry reference.
        let held = quiet(
            "docker image inspect",
            docker().args(["image", "inspect", "-f", "{{.Id}}", &pulled]),
        )?;
        if held.trim() != image_id {
            return Err(format!("the daemon holds {} as {pulled}", held.trim()).into());
        }
        dw_pull.0.push(p);
        cleanup.remove_image();
        load.0
            .push(settled("load (/images/load)", &mut load_archive())?);
    }
    std::fs::remove_file(&archive)?;

    let mb = archive_bytes as f64 / 1e6;
    println!(
        "image: {layers} layers × {layer_mib} MiB random, uncompressed (archive {mb:.1} MB, export {:.1} MB); \
         daemon {docker_host}, registry {reg} (loopback); each push to a fresh repository",
        exported as f64 / 1e6
    );
    println!(
        "{:<40} {:>8} {:>10} {:>10}  runs (min–max)",
        "step", "wall s", "MB/s", "peak RSS"
    );
    let row = |name: &str, r: &Series, ours: bool| {
        let rss = if ours {
            format!("{:>6.1} MiB", r.rss_kib() as f64 / 1024.0)
        } else {
            String::new()
        };
        let secs = r.median();
        println!(
            "{name:<40} {secs:>8.2} {:>10.1} {rss:>10}  {}{}",
            mb / secs,
            r.0.len(),
            r.spread()
        );
    };
    row("daemon load (/images/load)", &load, false);
    row("daemon export (/images/get)", &export, false);
    println!(
        "  of which {export_ttfb:.2} s before its first byte (dockerd writes the export to a temp dir first), {:.2} s streaming",
        export.median() - export_ttfb
    );
    row("docker push (gzip)", &docker_push, false);
    row("docker pull", &docker_pull, false);
    row("skopeo copy docker-daemon: (gzip)", &skopeo, false);
    row("dockwright push from daemon", &dw_push, true);
    row("dockwright push from daemon, gzip", &dw_push_gz, true);
    row("dockwright pull into daemon", &dw_pull, true);
    let ratio = |a: &Series, b: &Series| a.median() / b.median();
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    let r1 = ratio(&dw_push, &export);
    let r2 = ratio(&dw_push_gz, &docker_push);
    let r3 = ratio(&dw_pull, &load);
    let r4 = ratio(&dw_pull, &docker_pull);
    println!("ratios:");
    println!(
        "  push / export          {r1:.2}  (target ≤ 1.15: {})",
        verdict(r1 <= 1.15)
    );
    println!(
        "  push / docker push     {:.2}  (≈ 0.6 expected)",
        ratio(&dw_push, &docker_push)
    );
    println!(
        "  gzip push / docker push {r2:.2} (target ≤ 0.8: {})",
        verdict(r2 <= 0.8)
    );
    println!(
        "  pull / load            {r3:.2}  (target ≤ 1.15: {})",
        verdict(r3 <= 1.15)
    );
    println!(
        "  pull / docker pull     {r4:.2}  (target ≤ 0.9: {})",
        verdict(r4 <= 0.9)
    );
    println!(
        "  push / skopeo copy     {:.2}, gzip push / skopeo copy {:.2}",
        ratio(&dw_push, &skopeo),
        ratio(&dw_push_gz, &skopeo)
    );
    let peak = [&dw_push, &dw_push_gz, &dw_pull]
        .iter()
        .map(|r| r.rss_kib())
        .max()
        .unwrap_or(0) as f64
        / 1024.0;
    println!(
        "  peak RSS of ours       {peak:.1} MiB (target ≤ 64: {})",
        verdict(peak <= 64.0)
    );
    println!(
        "our reports: push {}; gzip push {}",
        dw_push.0.last().map_or("", |r| r.stdout.trim()),
        dw_push_gz.0.last().map_or("", |r| r.stdout.trim())
    );
    if cfg!(debug_assertions) {
        println!(
            "note: a debug build (unoptimised sha256 and gzip): a smoke run, not figures; \
             build with --release for the targets"
        );
    }
    drop(cleanup);
    Ok(())
}

/// [`timed`] after `sync`: the dirty pages of the step before (each push writes the export
/// and the registry's copy, 2 GiB) are written back before the clock starts, so no step pays
/// for the one before it.
fn settled(label: &str, cmd: &mut Command) -> Res<Run> {
    quiet("sync", &mut Command::new("sync"))?;
    timed(label, cmd)
}

/// The docker CLI against `host`, with its own (empty) config dir.
fn docker_cmd(host: &str, config: &Path) -> Command {
    let mut c = Command::new("docker");
    c.env("DOCKER_HOST", host).env("DOCKER_CONFIG", config);
    c
}
