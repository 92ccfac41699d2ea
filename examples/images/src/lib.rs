//! Ready-made images built from host binaries: a busybox image and an nginx image (the images
//! the dockwright tests and the day5 program run as swarm services).
//!
//! ```no_run
//! # fn main() -> Result<(), registry_client::image::ImageError> {
//! let busybox = example_images::busybox_image("/bin/busybox").ref_name("latest").build("/tmp/bb")?;
//! let nginx = example_images::nginx_image_from_host("/usr/sbin/nginx", "/bin/busybox")?
//!     .ref_name("latest")
//!     .build("/tmp/nginx-oci")?;
//! # let _ = (busybox, nginx); Ok(()) }
//! ```

use registry_client::image::{ImageBuilder, ImageConfig, ImageError, Layer, Result};
use std::path::{Path, PathBuf};

/// The busybox applets linked in `bin/` by [`busybox_layer`].
pub const BUSYBOX_APPLETS: &[&str] = &[
    "sh", "httpd", "sleep", "cat", "echo", "ls", "env", "mkdir", "wget", "true", "false", "kill",
    "ps", "rm",
];

/// `PATH` set in the preset images.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A layer holding `bin/busybox` (from `busybox`, e.g. `/bin/busybox` of busybox-static) and
/// symlinks `bin/<applet>` → `busybox` for [`BUSYBOX_APPLETS`], plus `tmp` (1777).
pub fn busybox_layer(busybox: impl AsRef<Path>) -> Layer {
    let mut layer = Layer::new()
        .file_with_mode(busybox.as_ref(), "bin/busybox", 0o755)
        .mkdir("tmp", 0o1777);
    for applet in BUSYBOX_APPLETS {
        layer = layer.symlink(format!("bin/{applet}"), "busybox");
    }
    layer
}

/// The busybox image: one uncompressed [`busybox_layer`], `PATH` set, `Cmd ["sh"]`.
/// Add `.ref_name(..)` and call `.build(dir)`.
pub fn busybox_image(busybox: impl AsRef<Path>) -> ImageBuilder {
    ImageBuilder::new()
        .config(ImageConfig::new().env("PATH", DEFAULT_PATH).cmd(["sh"]))
        .layer(busybox_layer(busybox))
}

/// The nginx.conf of [`nginx_image`] when none is given: runs as root with the pid in
/// `/run/nginx.pid`, logs to the container's stdout/stderr, and includes
/// `/etc/nginx/conf.d/*.conf` inside `http {}` (mount or write the upstream/server config there).
pub const DEFAULT_NGINX_CONF: &str = "user root;
worker_processes 1;
pid /run/nginx.pid;
error_log /dev/stderr notice;

events {
    worker_connections 512;
}

http {
    access_log /dev/stdout;
    include /etc/nginx/conf.d/*.conf;
}
";

/// Host files that make up the nginx image.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NginxImageFiles {
    /// The nginx binary (e.g. `/usr/sbin/nginx`), stored at `usr/sbin/nginx`.
    pub nginx: PathBuf,
    /// A static busybox, for `sh` and friends.
    pub busybox: PathBuf,
    /// Shared libraries (absolute paths, stored at the same paths), e.g. from [`parse_ldd`];
    /// include the dynamic loader (`/lib64/ld-linux-x86-64.so.2`).
    pub libraries: Vec<PathBuf>,
    /// Content of `/etc/nginx/nginx.conf`.
    pub nginx_conf: String,
}

impl NginxImageFiles {
    /// Files for the given binaries and libraries, with [`DEFAULT_NGINX_CONF`].
    #[must_use]
    pub fn new(
        nginx: impl Into<PathBuf>,
        busybox: impl Into<PathBuf>,
        libraries: Vec<PathBuf>,
    ) -> Self {
        Self {
            nginx: nginx.into(),
            busybox: busybox.into(),
            libraries,
            nginx_conf: DEFAULT_NGINX_CONF.to_owned(),
        }
    }

    /// Replaces the nginx.conf content.
    #[must_use]
    pub fn nginx_conf(mut self, conf: impl Into<String>) -> Self {
        self.nginx_conf = conf.into();
        self
    }
}

/// Parses `ldd`'s output into the absolute paths of the libraries (and the loader) it lists.
/// `linux-vdso.so.1` and other entries without a path are skipped.
///
/// # Errors
/// [`ImageError::Ldd`] when a library is `not found`, or the output says the file is not a
/// dynamic executable.
pub fn parse_ldd(output: &str) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = Vec::new();
    for line in output.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.contains("not a dynamic executable") {
            return Err(ImageError::Ldd(line.to_owned()));
        }
        let candidate = if let Some((lib, rest)) = line.split_once("=>") {
            let rest = rest.trim();
            if rest.starts_with("not found") {
                return Err(ImageError::Ldd(format!("library {} not found", lib.trim())));
            }
            rest.split_whitespace().next()
        } else {
            line.split_whitespace().next()
        };
        if let Some(p) = candidate.filter(|p| p.starts_with('/')) {
            let p = PathBuf::from(p);
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// Runs `ldd BINARY` and parses its output with [`parse_ldd`].
///
/// # Errors
/// [`ImageError::Ldd`] when `ldd` cannot run or fails.
pub fn ldd(binary: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
    let binary = binary.as_ref();
    let out = std::process::Command::new("ldd")
        .arg(binary)
        .output()
        .map_err(|e| ImageError::Ldd(format!("cannot run ldd: {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(ImageError::Ldd(format!(
            "ldd {} failed: {}{}",
            binary.display(),
            stdout.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    parse_ldd(&stdout)
}

/// The nginx image: one uncompressed layer with the nginx binary, its libraries, busybox (with
/// `sh`), a root-only `/etc/passwd` and `/etc/group`, `/etc/nginx/nginx.conf`, an empty
/// `/etc/nginx/conf.d`, and the directories nginx writes to; command `nginx -g 'daemon off;'`.
pub fn nginx_image(files: &NginxImageFiles) -> ImageBuilder {
    let mut layer = busybox_layer(&files.busybox)
        .file_with_mode(&files.nginx, "usr/sbin/nginx", 0o755)
        .bytes(
            "etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
            0o644,
        )
        .bytes("etc/group", "root:x:0:\nnogroup:x:65534:\n", 0o644)
        .bytes("etc/nginx/nginx.conf", files.nginx_conf.clone(), 0o644)
        .mkdir("etc/nginx/conf.d", 0o755)
        .mkdir("run", 0o755)
        .mkdir("root", 0o700)
        .mkdir("var/log/nginx", 0o755)
        .mkdir("var/lib/nginx", 0o755)
        .mkdir("var/cache/nginx", 0o755);
    for lib in &files.libraries {
        let dest = lib.to_string_lossy().into_owned();
        layer = layer.file(lib, dest);
    }
    ImageBuilder::new()
        .config(
            ImageConfig::new()
                .env("PATH", DEFAULT_PATH)
                .cmd(["nginx", "-g", "daemon off;"])
                .expose("80/tcp")
                .stop_signal("SIGQUIT"),
        )
        .layer(layer)
}

/// [`nginx_image`] from the host: `ldd nginx` for the libraries (plus
/// `/lib64/ld-linux-x86-64.so.2` when it exists and ldd did not list it).
///
/// # Errors
/// [`ImageError::Ldd`] when ldd fails or a library is missing.
pub fn nginx_image_from_host(
    nginx: impl AsRef<Path>,
    busybox: impl AsRef<Path>,
) -> Result<ImageBuilder> {
    let mut libs = ldd(nginx.as_ref())?;
    let loader = PathBuf::from("/lib64/ld-linux-x86-64.so.2");
    if loader.exists() && !libs.contains(&loader) {
        libs.push(loader);
    }
    Ok(nginx_image(&NginxImageFiles::new(
        nginx.as_ref(),
        busybox.as_ref(),
        libs,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldd_output_parsed() {
        let out = "\tlinux-vdso.so.1 (0x00007ffc0d1f3000)
\tlibcrypt.so.1 => /lib/x86_64-linux-gnu/libcrypt.so.1 (0x00007f1a2c5e2000)
\tlibpcre2-8.so.0 => /lib/x86_64-linux-gnu/libpcre2-8.so.0 (0x00007f1a2c548000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f1a2c367000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f1a2c8a1000)
";
        assert_eq!(
            parse_ldd(out).unwrap(),
            vec![
                PathBuf::from("/lib/x86_64-linux-gnu/libcrypt.so.1"),
                PathBuf::from("/lib/x86_64-linux-gnu/libpcre2-8.so.0"),
                PathBuf::from("/lib/x86_64-linux-gnu/libc.so.6"),
                PathBuf::from("/lib64/ld-linux-x86-64.so.2"),
            ]
        );
    }

    #[test]
    fn ldd_missing_library_is_an_error() {
        let out = "\tlibfoo.so.1 => not found\n\tlibc.so.6 => /lib/libc.so.6 (0x1)\n";
        let err = parse_ldd(out).unwrap_err();
        assert!(err.to_string().contains("libfoo.so.1"), "{err}");
        assert!(parse_ldd("\tnot a dynamic executable\n").is_err());
    }
}
