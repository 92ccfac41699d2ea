//! `bench_registry`: times push and pull of a generated image against `$DOCKWRIGHT_TEST_REGISTRY`
//! with dockwright, `skopeo copy --preserve-digests` and raw parallel curl, printing wall time,
//! MB/s, peak RSS (each tool runs as a child under `/usr/bin/time`) and ratios.
//!
//! `bench_registry [--layers N] [--size-mib M]` (defaults 4 × 256 MiB: the 1 GiB image of
//! DESIGN.md); `--layers 2 --size-mib 4` is a smoke run.

use registry_client::digest::Digester;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use examples::bench::{BoxResult as Res, Run, timed, unique_suffix, write_random_tar};

struct Layer {
    path: PathBuf,
    digest: String,
    size: u64,
}

/// One uncompressed tar holding a file of `size` random bytes.
fn write_layer(dir: &Path, idx: usize, size: u64, seed: u64) -> Res<Layer> {
    let tmp = dir.join(format!("layer{idx}.tmp"));
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
    let mut d = Digester::sha256();
    write_random_tar(&mut f, &format!("data{idx}.bin"), size, seed, &mut |b| {
        d.update(b)
    })?;
    f.flush()?;
    drop(f);
    let digest = d.finish();
    let total = std::fs::metadata(&tmp)?.len();
    let path = dir.join("blobs/sha256").join(digest.hex());
    std::fs::rename(&tmp, &path)?;
    Ok(Layer {
        path,
        digest: digest.to_string(),
        size: total,
    })
}

fn put_blob(dir: &Path, bytes: &[u8]) -> Res<String> {
    let d = registry_client::digest::Digest::sha256_of(bytes);
    std::fs::write(dir.join("blobs/sha256").join(d.hex()), bytes)?;
    Ok(d.to_string())
}

/// Writes the bench image as an OCI layout; returns its layers and the manifest digest.
fn build_image(dir: &Path, layers: usize, size: u64) -> Res<(Vec<Layer>, String)> {
    std::fs::create_dir_all(dir.join("blobs/sha256"))?;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos() as u64;
    let ls: Vec<Layer> = (0..layers)
        .map(|i| write_layer(dir, i, size, seed.wrapping_add(i as u64 * 0x9e37_79b9)))
        .collect::<Res<_>>()?;
    let diff_ids: Vec<String> = ls.iter().map(|l| format!("\"{}\"", l.digest)).collect();
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[{}]}},"config":{{}}}}"#,
        diff_ids.join(",")
    );
    let cd = put_blob(dir, config.as_bytes())?;
    let layer_descs: Vec<String> = ls
        .iter()
        .map(|l| {
            format!(
                r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{}","size":{}}}"#,
                l.digest, l.size
            )
        })
        .collect();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{cd}","size":{}}},"layers":[{}]}}"#,
        config.len(),
        layer_descs.join(",")
    );
    let md = put_blob(dir, manifest.as_bytes())?;
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)?;
    std::fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{md}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"bench"}}}}]}}"#,
            manifest.len()
        ),
    )?;
    Ok((ls, md))
}

/// Deletes what the benchmark pushed (manifests, then blob links) when dropped, so that a failed
/// run cleans up too. Registries without delete support answer 405: ignored.
struct Cleanup {
    reg: String,
    manifests: Vec<(String, String)>,
    blobs: Vec<(String, String)>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let delete = |what: &str, repo: &str, digest: &str| {
            let _ = Command::new("curl")
                .args(["-s", "-o", "/dev/null", "-X", "DELETE"])
                .arg(format!("http://{}/v2/{repo}/{what}/{digest}", self.reg))
                .status();
        };
        for (repo, digest) in &self.manifests {
            delete("manifests", repo, digest);
        }
        for (repo, digest) in &self.blobs {
            delete("blobs", repo, digest);
        }
    }
}

/// Runs one `( … ) &` job per line and waits for each, so that any failure fails the script.
fn parallel(jobs: &[String]) -> Command {
    let mut script = String::from("pids=()\n");
    for j in jobs {
        script.push_str(&format!("( {j} ) & pids+=($!)\n"));
    }
    script.push_str("for p in \"${pids[@]}\"; do wait \"$p\"; done\n");
    sh(&script)
}

fn sh(script: &str) -> Command {
    let mut c = Command::new("bash");
    c.arg("-euo").arg("pipefail").arg("-c").arg(script);
    c
}

fn main() -> Res<()> {
    let mut layers = 4usize;
    let mut size_mib = 256u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--layers" => layers = args.next().ok_or("--layers N")?.parse()?,
            "--size-mib" => size_mib = args.next().ok_or("--size-mib M")?.parse()?,
            other => {
                return Err(
                    format!("unknown argument {other:?} (use --layers N --size-mib M)").into(),
                );
            }
        }
    }
    let reg = std::env::var("DOCKWRIGHT_TEST_REGISTRY")
        .map_err(|_| "DOCKWRIGHT_TEST_REGISTRY is not set (host:port of a loopback registry)")?;
    let dw = std::env::current_exe()?.with_file_name("dockwright");
    if !dw.exists() {
        return Err(format!(
            "{} not found: build the dockwright binary too",
            dw.display()
        )
        .into());
    }
    let work = tempfile::tempdir()?;
    let img = work.path().join("image");
    eprintln!(
        "building {layers} × {size_mib} MiB image in {}",
        img.display()
    );
    let (ls, manifest_digest) = build_image(&img, layers, size_mib << 20)?;
    let total: u64 = ls.iter().map(|l| l.size).sum();
    let suffix = unique_suffix()?;
    let repo = |tool: &str| format!("regclient-bench-{suffix}/{tool}");
    let config_digest = {
        let m = std::fs::read(
            img.join("blobs/sha256")
                .join(manifest_digest.trim_start_matches("sha256:")),
        )?;
        let v: serde_json::Value = serde_json::from_slice(&m)?;
        v["config"]["digest"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let mut cleanup = Cleanup {
        reg: reg.clone(),
        manifests: Vec::new(),
        blobs: Vec::new(),
    };
    for tool in ["dw", "skopeo", "curl"] {
        if tool != "curl" {
            cleanup
                .manifests
                .push((repo(tool), manifest_digest.clone()));
            cleanup.blobs.push((repo(tool), config_digest.clone()));
        }
        for l in &ls {
            cleanup.blobs.push((repo(tool), l.digest.clone()));
        }
    }
    let home = work.path().join("home");
    std::fs::create_dir_all(&home)?;

    // push
    let dw_push = timed(
        "dockwright push",
        Command::new(&dw)
            .args(["push", "-q"])
            .arg(&img)
            .arg(format!("{reg}/{}:bench", repo("dw")))
            .env("DOCKER_CONFIG", &home),
    )?;
    let sk_push = timed(
        "skopeo push",
        Command::new("skopeo")
            .args([
                "copy",
                "-q",
                "--preserve-digests",
                "--dest-tls-verify=false",
            ])
            .arg(format!("oci:{}:bench", img.display()))
            .arg(format!("docker://{reg}/{}:bench", repo("skopeo")))
            .env("HOME", &home),
    )?;
    let jobs: Vec<String> = ls
        .iter()
        .map(|l| {
            format!(
                "loc=$(curl -sSf -X POST -D - -o /dev/null http://{reg}/v2/{r}/blobs/uploads/ | tr -d '\\r' | sed -n 's/^[Ll]ocation: //p'); \
                 case \"$loc\" in http*) ;; *) loc=http://{reg}$loc;; esac; \
                 case \"$loc\" in *\\?*) sep='&';; *) sep='?';; esac; \
                 curl -sSf -o /dev/null -T {p} -H 'Content-Type: application/octet-stream' \"$loc${{sep}}digest={d}\"",
                r = repo("curl"),
                p = l.path.display(),
                d = l.digest
            )
        })
        .collect();
    let curl_push = timed("curl push", &mut parallel(&jobs))?;

    // pull
    let out_dw = work.path().join("pull-dw");
    let dw_pull = timed(
        "dockwright pull",
        Command::new(&dw)
            .args(["pull", "-q"])
            .arg(format!("{reg}/{}:bench", repo("dw")))
            .arg(&out_dw)
            .env("DOCKER_CONFIG", &home),
    )?;
    let out_sk = work.path().join("pull-skopeo");
    let sk_pull = timed(
        "skopeo pull",
        Command::new("skopeo")
            .args(["copy", "-q", "--src-tls-verify=false"])
            .arg(format!("docker://{reg}/{}:bench", repo("skopeo")))
            .arg(format!("oci:{}:bench", out_sk.display()))
            .env("HOME", &home),
    )?;
    let out_curl = work.path().join("pull-curl");
    std::fs::create_dir_all(&out_curl)?;
    let jobs: Vec<String> = ls
        .iter()
        .enumerate()
        .map(|(i, l)| {
            format!(
                "curl -sSf -o {}/l{i} http://{reg}/v2/{}/blobs/{}",
                out_curl.display(),
                repo("curl"),
                l.digest
            )
        })
        .collect();
    let curl_pull = timed("curl pull", &mut parallel(&jobs))?;
    for (i, l) in ls.iter().enumerate() {
        if std::fs::metadata(out_curl.join(format!("l{i}")))?.len() != l.size {
            return Err(format!("curl pull: layer {i} has the wrong size").into());
        }
    }

    // dockwright's pull must be byte-identical
    for l in &ls {
        let got = out_dw
            .join("blobs/sha256")
            .join(l.digest.trim_start_matches("sha256:"));
        if std::fs::metadata(&got)?.len() != l.size {
            return Err(format!("dockwright pull: {} has the wrong size", got.display()).into());
        }
    }

    let mb = total as f64 / 1e6;
    println!(
        "image: {layers} layers × {size_mib} MiB = {:.1} MB, registry {reg}",
        mb
    );
    println!(
        "{:<18} {:>8} {:>10} {:>10}",
        "tool", "wall s", "MB/s", "peak RSS"
    );
    let row = |name: &str, r: &Run| {
        println!(
            "{name:<18} {:>8.2} {:>10.1} {:>7.1} MiB",
            r.secs,
            mb / r.secs,
            r.rss_kib as f64 / 1024.0
        );
    };
    row("push dockwright", &dw_push);
    row("push skopeo", &sk_push);
    row("push raw curl", &curl_push);
    row("pull dockwright", &dw_pull);
    row("pull skopeo", &sk_pull);
    row("pull raw curl", &curl_pull);
    println!(
        "ratios: push dockwright/curl {:.2} (target ≤ 1.2), dockwright/skopeo {:.2}; pull dockwright/skopeo {:.2} (target ≤ 0.5), dockwright/curl {:.2}",
        dw_push.secs / curl_push.secs,
        dw_push.secs / sk_push.secs,
        dw_pull.secs / sk_pull.secs,
        dw_pull.secs / curl_pull.secs
    );
    println!(
        "peak RSS dockwright: push {:.1} MiB, pull {:.1} MiB (target ≤ 64)",
        dw_push.rss_kib as f64 / 1024.0,
        dw_pull.rss_kib as f64 / 1024.0
    );
    if cfg!(debug_assertions) {
        println!(
            "note: a debug build (unoptimised sha256 and gzip): a smoke run, not figures; \
             build with --release for the targets"
        );
    }
    Ok(())
}
