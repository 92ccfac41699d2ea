//! `--real`: the images built by the Docker daemon (`docker build`, the Engine's `/build` of
//! swarm-client) and pushed from it (`dockwright::image::push_from_daemon`: the daemon's export
//! streamed into the registry), as the workshop does with `docker build` and `docker push`.
//!
//! Nothing can be pulled from outside here, so each Dockerfile starts `FROM scratch` and `ADD`s
//! a root filesystem tar (as the official busybox image is built), written by the daemon-free
//! layer builder from the host's busybox and nginx; the web image then `COPY`s its
//! `index.html` on top, as the workshop's Dockerfile does.

use std::path::{Path, PathBuf};
use std::process::Command;

use registry_client::push::PushReport;
use registry_client::reference::Reference;
use registry_client::save_push::SavePushOptions;
use swarm_client::build::BuildOptions;
use swarm_client::images::RemoveOptions;

use super::Args;
use super::output::Out;
use super::seed::{Result, WELCOME};

const WEB_DOCKERFILE: &str = r#"FROM scratch
ADD rootfs.tar /
COPY index.html /usr/share/nginx/html/index.html
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EXPOSE 80/tcp
CMD ["httpd", "-f", "-p", "80", "-h", "/usr/share/nginx/html"]
"#;

const LB_DOCKERFILE: &str = r#"FROM scratch
ADD rootfs.tar /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EXPOSE 80/tcp
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
"#;

/// The images built in the daemon (tags), removed again by [`DaemonImages::remove`] — or, if
/// day5 ends without reaching it, with the docker CLI when this is dropped.
pub(crate) struct DaemonImages {
    engine: swarm_client::Client,
    docker_host: String,
    /// `johns_nginx_<suffix>:1.0`.
    pub(crate) web: String,
    /// `nginx_lb_<suffix>:2.0`.
    pub(crate) lb: String,
    built: Vec<String>,
}

impl Drop for DaemonImages {
    fn drop(&mut self) {
        if !self.built.is_empty() {
            let _ = Command::new("docker")
                .args(["-H", &self.docker_host, "image", "rm"])
                .args(&self.built)
                .output();
        }
    }
}

impl DaemonImages {
    /// `docker push` of a built image to `target`, from the daemon.
    pub(crate) async fn push(
        &self,
        registry: &registry_client::Client,
        image: &str,
        target: &Reference,
    ) -> Result<PushReport> {
        Ok(dockwright::image::push_from_daemon(
            &self.engine,
            registry,
            image,
            target,
            &SavePushOptions::new(),
        )
        .await?)
    }

    /// `docker image rm` of what was built (the layers the registry holds stay there).
    pub(crate) async fn remove(mut self, out: &Out) -> Result {
        if self.built.is_empty() {
            return Ok(());
        }
        out.cmd(&format!("docker image rm {}", self.built.join(" ")));
        let mut first_err = None;
        for tag in std::mem::take(&mut self.built) {
            if let Err(e) = self.engine.image_remove(&tag, &RemoveOptions::new()).await {
                first_err.get_or_insert_with(|| format!("removing the image {tag}: {e}"));
            }
        }
        first_err.map_or(Ok(()), |e| Err(e.into()))
    }

    /// Forgets the built images (`--keep`: they stay in the daemon).
    pub(crate) fn keep(mut self, out: &Out) {
        for tag in std::mem::take(&mut self.built) {
            out.info(&format!(
                "--keep: {tag} left in the daemon (docker image rm {tag})"
            ));
        }
    }
}

/// The build contexts: `rootfs.tar` (one layer of the daemon-free builder), the Dockerfile and,
/// for the web image, `index.html`.
fn write_contexts(busybox: &Path, nginx: &Path, dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let web = dir.join("johns_nginx");
    let lb = dir.join("nginx_lb");
    let layers = dir.join("layers");
    for (ctx, image) in [
        (&web, example_images::busybox_image(busybox)),
        (&lb, example_images::nginx_image_from_host(nginx, busybox)?),
    ] {
        std::fs::create_dir_all(ctx)?;
        let built = image.build(&layers)?;
        let [layer] = built.layers.as_slice() else {
            return Err(format!(
                "the root filesystem of {} has {} layers, expected one",
                ctx.display(),
                built.layers.len()
            )
            .into());
        };
        let blob = layers.join("blobs").join("sha256").join(layer.digest.hex());
        std::fs::copy(&blob, ctx.join("rootfs.tar"))?;
    }
    std::fs::remove_dir_all(&layers)?;
    std::fs::write(web.join("Dockerfile"), WEB_DOCKERFILE)?;
    std::fs::write(web.join("index.html"), format!("<h1>{WELCOME}</h1>\n"))?;
    std::fs::write(lb.join("Dockerfile"), LB_DOCKERFILE)?;
    Ok((web, lb))
}

/// `docker build -t johns_nginx_<suffix>:1.0` and `-t nginx_lb_<suffix>:2.0` in the daemon of
/// `engine` (`docker_host`, for the cleanup of last resort).
pub(crate) async fn build(
    engine: &swarm_client::Client,
    docker_host: &str,
    args: &Args,
    suffix: &str,
    out: &Out,
) -> Result<DaemonImages> {
    let mut images = DaemonImages {
        engine: engine.clone(),
        docker_host: docker_host.to_owned(),
        web: format!("johns_nginx_{suffix}:1.0"),
        lb: format!("nginx_lb_{suffix}:2.0"),
        built: Vec::new(),
    };
    let tmp = tempfile::Builder::new().prefix("day5-build-").tempdir()?;
    let (web_ctx, lb_ctx) = {
        let (busybox, nginx, dir) = (
            args.busybox.clone(),
            args.nginx.clone(),
            tmp.path().to_owned(),
        );
        tokio::task::spawn_blocking(move || write_contexts(&busybox, &nginx, &dir)).await??
    };
    for (tag, ctx, what) in [
        (images.web.clone(), web_ctx, "busybox httpd + index.html"),
        (
            images.lb.clone(),
            lb_ctx,
            "nginx + its libraries (ldd) + busybox",
        ),
    ] {
        out.cmd(&format!(
            "docker build -t {tag} {}   # {what}",
            ctx.display()
        ));
        for line in std::fs::read_to_string(ctx.join("Dockerfile"))?.lines() {
            out.info(&format!("  {line}"));
        }
        let outcome = engine
            .build(&ctx, &BuildOptions::new().tag(tag.clone()))
            .await
            .map_err(|e| format!("docker build -t {tag}: {e}"))?
            .finish()
            .await
            .map_err(|e| format!("docker build -t {tag}: {e}"))?;
        images.built.push(tag.clone());
        let inspect = engine.image_inspect(&tag).await?;
        if let Some(id) = &outcome.image_id
            && !inspect.id.starts_with(id.as_str())
            && !id.starts_with(inspect.id.as_str())
        {
            return Err(format!("built {id} but {tag} is {}", inspect.id).into());
        }
        out.info(&format!(
            "Successfully built {} and tagged {tag} ({} layers, {:.1} MB)",
            swarm_client::images::short_id(&inspect.id, false),
            inspect.root_fs.layers.len(),
            inspect.size as f64 / 1e6
        ));
    }
    Ok(images)
}
