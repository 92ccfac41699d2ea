//! What the benchmark programs (`src/bin/bench_*.rs`) share: random tar layers, timing a child
//! process with its peak RSS, and the busybox image pushed for the swarm benchmarks.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// The error of a benchmark step.
pub type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// A ustar header of a regular file `name` (at most 99 bytes) of `size` bytes, mode 0644.
///
/// # Errors
/// A name too long for the header.
pub fn tar_header(name: &str, size: u64) -> BoxResult<[u8; 512]> {
    let mut h = [0u8; 512];
    if name.len() > 99 {
        return Err(format!("tar name too long: {name}").into());
    }
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    Ok(h)
}

/// Zero bytes after `size` bytes of data to the next 512-byte block.
#[must_use]
pub fn tar_padding(size: u64) -> usize {
    ((512 - size % 512) % 512) as usize
}

/// Writes an uncompressed tar holding one file `name` of `size` pseudo-random bytes (seeded by
/// `seed`, incompressible) to `out`, passing every byte written to `seen` too (for its digest).
///
/// # Errors
/// The writer's.
pub fn write_random_tar(
    out: &mut impl Write,
    name: &str,
    size: u64,
    seed: u64,
    seen: &mut impl FnMut(&[u8]),
) -> BoxResult<()> {
    let mut put = |b: &[u8], out: &mut dyn Write| -> BoxResult<()> {
        seen(b);
        out.write_all(b)?;
        Ok(())
    };
    put(&tar_header(name, size)?, out)?;
    let mut x = seed | 1;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        for chunk in buf.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes());
        }
        let n = left.min(buf.len() as u64) as usize;
        put(&buf[..n], out)?;
        left -= n as u64;
    }
    put(&vec![0u8; tar_padding(size) + 1024], out)
}

/// One timed run of a child process.
#[derive(Debug)]
pub struct Run {
    /// Wall time.
    pub secs: f64,
    /// Peak RSS as `/usr/bin/time` reports it.
    pub rss_kib: u64,
    /// What the child printed.
    pub stdout: String,
}

/// Runs `cmd` under `/usr/bin/time`, returning its wall time, peak RSS and stdout; says on
/// stderr what runs and how long it took.
///
/// # Errors
/// A child that cannot start or exits non-zero (its output in the message).
pub fn timed(label: &str, cmd: &mut Command) -> BoxResult<Run> {
    let out = tempfile::NamedTempFile::new()?;
    let mut t = Command::new("/usr/bin/time");
    t.arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(out.path())
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => t.env(k, v),
            None => t.env_remove(k),
        };
    }
    eprintln!("  {label} …");
    let start = Instant::now();
    let o = checked(label, &mut t)?;
    let secs = start.elapsed().as_secs_f64();
    let rss_kib = std::fs::read_to_string(out.path())?
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    eprintln!("  {label}: {secs:.2} s");
    Ok(Run {
        secs,
        rss_kib,
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
    })
}

/// Runs `cmd` to its end; its output, or an error naming `label` with what it printed when it
/// exits non-zero.
fn checked(label: &str, cmd: &mut Command) -> BoxResult<std::process::Output> {
    let o = cmd.output()?;
    if !o.status.success() {
        return Err(format!(
            "{label} failed: {}{}",
            String::from_utf8_lossy(&o.stderr),
            String::from_utf8_lossy(&o.stdout)
        )
        .into());
    }
    Ok(o)
}

/// Runs a helper command whose time does not count; its stdout.
///
/// # Errors
/// A command that cannot start or exits non-zero.
pub fn quiet(label: &str, cmd: &mut Command) -> BoxResult<String> {
    Ok(String::from_utf8_lossy(&checked(label, cmd)?.stdout).into_owned())
}

/// A name part unique to this run (process ID and clock), for repositories and tags.
///
/// # Errors
/// A clock before 1970.
pub fn unique_suffix() -> BoxResult<String> {
    Ok(format!(
        "{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .subsec_nanos()
    ))
}

/// Builds the busybox image from the `busybox` binary and pushes it to `registry` as
/// `dockwright-bench/busybox:1`; returns the reference.
///
/// # Errors
/// No busybox binary, or the build or push failing.
pub async fn push_busybox(registry: &str, busybox: &Path) -> BoxResult<String> {
    if !busybox.exists() {
        return Err(format!("{} not found (install busybox-static)", busybox.display()).into());
    }
    let dir = tempfile::Builder::new().prefix("bench-").tempdir()?;
    let layout = dir.path().join("layout");
    let (b, l) = (busybox.to_owned(), layout.clone());
    tokio::task::spawn_blocking(move || example_images::busybox_image(&b).ref_name("1").build(&l))
        .await??;
    let reference = format!("{registry}/dockwright-bench/busybox:1");
    let loopback = registry.starts_with("127.") || registry.starts_with("localhost");
    let client = registry_client::Client::builder()
        .insecure(loopback)
        .build()?;
    client.push(&layout, &reference.parse()?).await?;
    Ok(reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_random_tar_reads_back_with_its_size() {
        let mut out = Vec::new();
        let mut n = 0usize;
        write_random_tar(&mut out, "data.bin", 1000, 7, &mut |b| n += b.len()).unwrap();
        assert_eq!(n, out.len());
        assert_eq!(out.len(), 512 + 1000 + 24 + 1024);
        assert_eq!(&out[..9], b"data.bin\0");
        assert_eq!(&out[124..135], format!("{:011o}", 1000).as_bytes());
        assert!(
            out[1512..].iter().all(|b| *b == 0),
            "padding and end blocks"
        );
        assert!(tar_header(&"x".repeat(100), 1).is_err());
    }
}
