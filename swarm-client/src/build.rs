//! `POST /build` (`DOCKER_BUILDKIT=0 docker build`): the classic builder, fed the build context
//! the docker CLI would send ([`crate::build_context`]), with its common flags.
//!
//! ```no_run
//! # async fn demo(client: swarm_client::Client) -> swarm_client::Result<()> {
//! use swarm_client::build::BuildOptions;
//!
//! // docker build -t web:1 --build-arg VERSION=1 --label team=web -f web/Dockerfile web
//! let opts = BuildOptions::new()
//!     .tag("web:1")
//!     .build_arg("VERSION", Some("1"))
//!     .label("team", "web")
//!     .dockerfile("web/Dockerfile");
//! let outcome = client.build("web", &opts).await?.finish().await?;
//! println!("built {:?}", outcome.image_id); // a failing RUN step is an Err, not a success
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use bytes::Bytes;
use futures_util::Stream;
use reqwest::Method;
use sdk_core::RegistryAuth;

use crate::build_context::BuildContext;
use crate::client::{Client, Req};
use crate::error::{Error, Result};
use crate::progress::ProgressStream;

/// Options of [`Client::build`] (`docker build`'s common flags).
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct BuildOptions {
    tags: Vec<String>,
    dockerfile: Option<PathBuf>,
    build_args: BTreeMap<String, Option<String>>,
    labels: BTreeMap<String, String>,
    target: Option<String>,
    network_mode: Option<String>,
    no_cache: bool,
    pull: bool,
    quiet: bool,
    rm: bool,
    force_rm: bool,
    platform: Option<String>,
    registry_auths: Vec<RegistryAuth>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            tags: Vec::new(),
            dockerfile: None,
            build_args: BTreeMap::new(),
            labels: BTreeMap::new(),
            target: None,
            network_mode: None,
            no_cache: false,
            pull: false,
            quiet: false,
            rm: true,
            force_rm: false,
            platform: None,
            registry_auths: Vec::new(),
        }
    }
}

impl BuildOptions {
    /// docker's defaults: untagged, `Dockerfile` in the context, intermediate containers
    /// removed after a successful build (`--rm`).
    pub fn new() -> Self {
        Self::default()
    }

    /// `-t NAME[:TAG]`; repeatable.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// `-f PATH`: the Dockerfile, relative to the current directory (as with the CLI); one
    /// outside the context is sent under a random name.
    pub fn dockerfile(mut self, path: impl Into<PathBuf>) -> Self {
        self.dockerfile = Some(path.into());
        self
    }

    /// `--build-arg KEY=VALUE`, or `--build-arg KEY` with `None` (the daemon then uses the
    /// `ARG`'s default; the CLI fills the value from its environment first when set there).
    pub fn build_arg(mut self, key: impl Into<String>, value: Option<&str>) -> Self {
        self.build_args.insert(key.into(), value.map(str::to_owned));
        self
    }

    /// `--label KEY=VALUE`; repeatable.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// `--target STAGE`.
    pub fn target(mut self, stage: impl Into<String>) -> Self {
        self.target = Some(stage.into());
        self
    }

    /// `--network MODE` of the `RUN` steps (`default`, `host`, `none`, a network name).
    pub fn network_mode(mut self, mode: impl Into<String>) -> Self {
        self.network_mode = Some(mode.into());
        self
    }

    /// `--no-cache`.
    pub fn no_cache(mut self, no_cache: bool) -> Self {
        self.no_cache = no_cache;
        self
    }

    /// `--pull`: always try to pull newer base images.
    pub fn pull(mut self, pull: bool) -> Self {
        self.pull = pull;
        self
    }

    /// `-q`: the daemon sends only the image ID.
    pub fn quiet(mut self, quiet: bool) -> Self {
        self.quiet = quiet;
        self
    }

    /// `--rm` (default true): remove intermediate containers after a successful build.
    pub fn rm(mut self, rm: bool) -> Self {
        self.rm = rm;
        self
    }

    /// `--force-rm`: remove intermediate containers even after a failed build.
    pub fn force_rm(mut self, force_rm: bool) -> Self {
        self.force_rm = force_rm;
        self
    }

    /// `--platform os/arch`.
    pub fn platform(mut self, platform: impl Into<String>) -> Self {
        self.platform = Some(platform.into());
        self
    }

    /// Credentials for a registry a `FROM` pulls from (`X-Registry-Config`); repeatable.
    pub fn registry_auth(mut self, auth: RegistryAuth) -> Self {
        self.registry_auths.push(auth);
        self
    }

    /// The `-f` path, if any.
    #[must_use]
    pub fn dockerfile_path(&self) -> Option<&Path> {
        self.dockerfile.as_deref()
    }

    /// The query of `POST /build` with `dockerfile` the name inside the context.
    fn query(&self, dockerfile: &str) -> Result<Vec<(&'static str, String)>> {
        let mut q: Vec<(&'static str, String)> =
            self.tags.iter().map(|t| ("t", t.clone())).collect();
        if self.quiet {
            q.push(("q", "1".to_owned()));
        }
        if self.no_cache {
            q.push(("nocache", "1".to_owned()));
        }
        q.push(("rm", if self.rm { "1" } else { "0" }.to_owned()));
        if self.force_rm {
            q.push(("forcerm", "1".to_owned()));
        }
        if self.pull {
            q.push(("pull", "1".to_owned()));
        }
        q.push((
            "networkmode",
            self.network_mode
                .clone()
                .unwrap_or_else(|| "default".to_owned()),
        ));
        q.push(("dockerfile", dockerfile.to_owned()));
        if let Some(t) = &self.target {
            q.push(("target", t.clone()));
        }
        q.push(("buildargs", json("build args", &self.build_args)?));
        q.push(("labels", json("labels", &self.labels)?));
        if let Some(p) = &self.platform {
            q.push(("platform", p.to_ascii_lowercase()));
        }
        q.push(("version", "1".to_owned()));
        Ok(q)
    }

    /// `X-Registry-Config`: base64url JSON of `{server: auth config}` (`{}` when none).
    fn registry_config(&self) -> Result<String> {
        let mut map = serde_json::Map::new();
        for auth in &self.registry_auths {
            let raw = base64::engine::general_purpose::URL_SAFE
                .decode(auth.encode())
                .map_err(|e| Error::InvalidArgument {
                    what: "registry auth",
                    message: e.to_string(),
                })?;
            let v: serde_json::Value =
                serde_json::from_slice(&raw).map_err(|source| Error::Encode {
                    what: "registry auth",
                    source,
                })?;
            map.insert(auth.server_address().to_owned(), v);
        }
        let bytes = serde_json::to_vec(&map).map_err(|source| Error::Encode {
            what: "registry config",
            source,
        })?;
        Ok(base64::engine::general_purpose::URL_SAFE.encode(bytes))
    }
}

fn json<T: serde::Serialize>(what: &'static str, v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|source| Error::Encode { what, source })
}

/// A `--build-arg` value as the docker CLI reads it: `KEY=VALUE`, or `KEY` alone — then the
/// value of `KEY` in `env` when set there, else no value (the `ARG`'s default applies).
///
/// ```
/// use swarm_client::build::parse_build_arg;
/// let env = |k: &str| (k == "HOME").then(|| "/root".to_owned());
/// assert_eq!(parse_build_arg("A=1=2", env), ("A".to_owned(), Some("1=2".to_owned())));
/// assert_eq!(parse_build_arg("HOME", env), ("HOME".to_owned(), Some("/root".to_owned())));
/// assert_eq!(parse_build_arg("UNSET", env), ("UNSET".to_owned(), None));
/// ```
pub fn parse_build_arg(
    spec: &str,
    env: impl Fn(&str) -> Option<String>,
) -> (String, Option<String>) {
    match spec.split_once('=') {
        Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
        None => (spec.to_owned(), env(spec)),
    }
}

/// A `--label` value as the docker CLI reads it: `KEY=VALUE`, or `KEY` (empty value).
#[must_use]
pub fn parse_label(spec: &str) -> (String, String) {
    let (k, v) = crate::args::split_key_value(spec);
    (k.to_owned(), v.to_owned())
}

impl Client {
    /// `docker build [OPTIONS] DIR`: prepares the context like the docker CLI
    /// ([`BuildContext::from_dir`] with the options' `-f`), streams it as a tar while the
    /// daemon reads it, and returns the build's progress; [`ProgressStream::finish`] gives the
    /// image ID, or the failing step as [`Error::InStream`].
    ///
    /// # Errors
    /// [`Error::BuildContext`] / [`Error::Io`] for the context (before anything is sent); API
    /// errors before the stream; build failures as stream items.
    pub async fn build(
        &self,
        context_dir: impl AsRef<Path>,
        opts: &BuildOptions,
    ) -> Result<ProgressStream> {
        let dir = context_dir.as_ref().to_owned();
        let dockerfile = opts.dockerfile.clone();
        let ctx = tokio::task::spawn_blocking(move || {
            BuildContext::from_dir(&dir, dockerfile.as_deref())
        })
        .await
        .map_err(|e| Error::InvalidArgument {
            what: "build context",
            message: format!("the context task failed: {e}"),
        })??;
        self.build_context(ctx, opts).await
    }

    /// `POST /build` of a prepared [`BuildContext`] (streamed as it is written).
    ///
    /// # Errors
    /// As [`Client::build`].
    pub async fn build_context(
        &self,
        ctx: BuildContext,
        opts: &BuildOptions,
    ) -> Result<ProgressStream> {
        let dockerfile = ctx.dockerfile().to_owned();
        self.build_tar(ctx.into_stream(), &dockerfile, opts).await
    }

    /// `POST /build` of a context tar from any byte stream (`docker build - < ctx.tar`);
    /// `dockerfile` is the Dockerfile's path inside it. The options' `-f` is not used here.
    ///
    /// # Errors
    /// API errors before the stream; build failures as stream items.
    pub async fn build_tar<S, E>(
        &self,
        context: S,
        dockerfile: &str,
        opts: &BuildOptions,
    ) -> Result<ProgressStream>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    {
        let req = Req::new(Method::POST, "/build")
            .query(&opts.query(dockerfile)?)
            .headers(&[("X-Registry-Config", opts.registry_config()?)])
            .stream_body(reqwest::Body::wrap_stream(context), "application/x-tar");
        self.progress(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_like_the_cli() {
        let q = BuildOptions::new()
            .tag("web:1")
            .tag("web:latest")
            .build_arg("A", Some("1"))
            .build_arg("B", None)
            .label("team", "web")
            .target("final")
            .no_cache(true)
            .pull(true)
            .quiet(true)
            .network_mode("host")
            .query("sub/Dockerfile")
            .unwrap();
        let get = |k: &str| {
            q.iter()
                .filter(|(n, _)| *n == k)
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(get("t"), ["web:1", "web:latest"]);
        assert_eq!(get("buildargs"), [r#"{"A":"1","B":null}"#]);
        assert_eq!(get("labels"), [r#"{"team":"web"}"#]);
        assert_eq!(get("dockerfile"), ["sub/Dockerfile"]);
        assert_eq!(get("target"), ["final"]);
        assert_eq!(get("networkmode"), ["host"]);
        assert_eq!(get("rm"), ["1"]);
        assert_eq!(get("nocache"), ["1"]);
        assert_eq!(get("pull"), ["1"]);
        assert_eq!(get("q"), ["1"]);
        assert_eq!(BuildOptions::new().registry_config().unwrap(), "e30=");
    }
}
