//! What the docker CLI does through the Engine API around its flags: the API version check
//! of the flags given, name → ID lookups of secrets, configs and networks, the image's tag
//! and digest (with the platforms it supports), registry credentials, and the create or update
//! call itself.

use registry_client::reference::Reference;
use sdk_core::{DockerConfig, RegistryAuth};

use super::error::{FlagsError, check_versions};
use super::ids::{ObjectIds, ObjectNames};
use super::{CreateFlags, UpdateFlags, table};
use crate::Client;
use crate::services::{CreateOptions, Created, RegistryAuthFrom, UpdateOptions};
use crate::spec::{Platform, ServiceSpec};

/// The docker client library's `imageWithDigestString`: `image` (tag kept) pinned to `digest`,
/// unless it has a digest already or is no valid reference.
fn image_with_digest(image: &str, digest: &str) -> String {
    match (
        Reference::parse(image),
        digest.parse::<registry_client::digest::Digest>(),
    ) {
        (Ok(r), Ok(d)) if r.digest().is_none() => r.with_digest(d).familiar(),
        _ => image.to_owned(),
    }
}

/// The docker client library's warning when the digest cannot be recorded.
fn digest_warning(image: &str) -> String {
    format!(
        "image {image} could not be accessed on a registry to record\nits digest. Each node will access {image} independently,\npossibly leading to different nodes running different\nversions of the image.\n"
    )
}

/// `X-Registry-Auth` for `image` from the docker config (the CLI's
/// `RetrieveAuthTokenFromImage`).
fn registry_auth(config: Option<&DockerConfig>, image: &str) -> Result<RegistryAuth, FlagsError> {
    let config = config.ok_or(FlagsError::NeedsDockerConfig)?;
    let r = Reference::parse(image).map_err(|e| FlagsError::InvalidImage {
        image: image.to_owned(),
        reason: e.to_string(),
    })?;
    let registry = r.domain().to_owned();
    config
        .registry_auth(&registry)
        .map_err(|source| FlagsError::RegistryAuth { registry, source })
}

impl Client {
    /// Pins the image of `spec` to the digest the registry has for it, and records the
    /// platforms the image supports in the spec's placement, as the docker client's
    /// `QueryRegistry` does for `service create`/`update` and `stack deploy` (`--resolve-image`):
    /// `image:tag` becomes `image:tag@sha256:…` (familiar form), `arm` architectures are left
    /// out as the CLI leaves them out.
    ///
    /// Returns the docker CLI's warning text when the registry could not be asked (the spec
    /// is then left as it was: each node resolves the tag itself).
    pub async fn pin_image(
        &self,
        spec: &mut ServiceSpec,
        auth: Option<&RegistryAuth>,
    ) -> Option<String> {
        let mut warnings = Vec::new();
        pin_image(self, spec, auth, &mut warnings).await;
        warnings.pop()
    }
}

/// The image pinned to its digest and the platforms it supports, or the CLI's warning.
async fn pin_image(
    client: &Client,
    spec: &mut ServiceSpec,
    auth: Option<&RegistryAuth>,
    warnings: &mut Vec<String>,
) {
    let image = spec
        .container()
        .map(|c| c.image.clone())
        .unwrap_or_default();
    match client.distribution_inspect(&image, auth).await {
        Ok(d) => {
            spec.container_mut().image = image_with_digest(&image, &d.digest);
            if !d.platforms.is_empty() {
                let p = spec
                    .task_template
                    .placement
                    .get_or_insert_with(Default::default);
                p.platforms = d
                    .platforms
                    .into_iter()
                    .map(|mut p| {
                        // The CLI leaves `arm` out: nodes report `armv7l` and would not match.
                        if p.architecture.eq_ignore_ascii_case("arm") {
                            p.architecture.clear();
                        }
                        Platform {
                            architecture: p.architecture,
                            os: p.os,
                            ..Platform::default()
                        }
                    })
                    .collect();
            }
        }
        Err(_) => warnings.push(digest_warning(&image)),
    }
}

/// A `docker service create` ready to send: the spec, the options (registry credentials), and
/// warnings the CLI prints (the image could not be pinned).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PreparedCreate {
    /// The spec the docker CLI sends.
    pub spec: ServiceSpec,
    /// Registry credentials to send with it (`--with-registry-auth`).
    pub options: CreateOptions,
    /// Warnings to print (stderr in the CLI).
    pub warnings: Vec<String>,
}

/// What a `docker service update` did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Updated {
    /// The service's ID.
    pub id: String,
    /// The daemon's warnings and the CLI's own (the image could not be pinned).
    pub warnings: Vec<String>,
}

impl Client {
    /// Looks up the IDs of secrets (exact name), configs (exact name) and networks (name or ID,
    /// swarm scope), as the docker CLI does before it sends a service spec.
    ///
    /// # Errors
    /// [`FlagsError::NotFound`] (`secret not found: NAME`, `config not found: NAME`, the
    /// daemon's `network NAME not found`); [`FlagsError::Api`] for other API errors.
    pub async fn lookup_object_ids(&self, names: &ObjectNames) -> Result<ObjectIds, FlagsError> {
        let not_found = |e: crate::Error| match e {
            crate::Error::NotFound { message, .. } => FlagsError::NotFound(message),
            e => FlagsError::Api(e),
        };
        let mut ids = ObjectIds::default();
        for n in &names.secrets {
            let id = self.secret_id(n).await.map_err(not_found)?;
            ids.secrets.insert(n.clone(), id);
        }
        for n in &names.configs {
            let id = self.config_id(n).await.map_err(not_found)?;
            ids.configs.insert(n.clone(), id);
        }
        for n in &names.networks {
            let id = self.network_id(n).await.map_err(not_found)?;
            ids.networks.insert(n.clone(), id);
        }
        Ok(ids)
    }

    /// `docker service create ARGS…` (`args` exactly as they follow `service create`): parses
    /// them as the docker CLI does, checks the flags against this daemon's API version,
    /// [prepares](CreateFlags::prepare) the spec and creates the service. Returns the parsed
    /// flags (the caller decides on `--detach`/`--quiet`) and the daemon's reply, with the
    /// CLI's own warnings added.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = swarm_client::Client::from_env().await?;
    /// let config = sdk_core::DockerConfig::load()?;
    /// let (flags, created) = client
    ///     .service_create_from_args(
    ///         ["--name", "web", "--replicas", "3", "--with-registry-auth", "registry.example/web:1"],
    ///         Some(&config),
    ///     )
    ///     .await?;
    /// println!("{}", created.id);
    /// # let _ = flags; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`CreateFlags::parse`] (where a flag the daemon is too old for was given before
    /// the parse error, that is reported instead, as by the CLI) and [`CreateFlags::prepare`];
    /// [`FlagsError::Api`] when the daemon refuses the spec.
    pub async fn service_create_from_args<I, S>(
        &self,
        args: I,
        docker_config: Option<&DockerConfig>,
    ) -> Result<(CreateFlags, Created), FlagsError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let args: Vec<String> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let (flags, _, parsed) = CreateFlags::parse_partial(&args, &[]);
        if let Err(e) = parsed {
            check_versions(table::CREATE, &flags.changed(), self.api_version())?;
            return Err(e);
        }
        let prepared = flags.prepare(self, docker_config).await?;
        let mut created = self
            .service_create(&prepared.spec, &prepared.options)
            .await?;
        created.warnings.extend(prepared.warnings);
        Ok((flags, created))
    }

    /// `docker service update ARGS…` (`args` exactly as they follow `service update`, the
    /// service among them): parses them as the docker CLI does and [sends](UpdateFlags::send)
    /// the update.
    ///
    /// # Errors
    /// As [`UpdateFlags::parse`] (a too-new flag given before a parse error is reported
    /// instead, as by the CLI) and [`UpdateFlags::send`].
    pub async fn service_update_from_args<I, S>(
        &self,
        args: I,
        docker_config: Option<&DockerConfig>,
    ) -> Result<(UpdateFlags, Updated), FlagsError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let args: Vec<String> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let (flags, _, parsed) = UpdateFlags::parse_partial(&args, &[]);
        if let Err(e) = parsed {
            check_versions(table::UPDATE, &flags.changed(), self.api_version())?;
            return Err(e);
        }
        let updated = flags.send(self, docker_config).await?;
        Ok((flags, updated))
    }
}

impl CreateFlags {
    /// Refuses flags that need a newer Engine API than `version`, with the docker CLI's
    /// message (`"--oom-score-adj" requires API version 1.46, but the Docker daemon API version
    /// is 1.41`, one line per flag).
    ///
    /// # Errors
    /// [`FlagsError::UnsupportedByDaemon`].
    pub fn check_api_version(&self, version: crate::ApiVersion) -> Result<(), FlagsError> {
        check_versions(table::CREATE, &self.changed(), version)
    }

    /// Everything the docker CLI does before it sends `service create`, through `client`: the
    /// API version check, the spec's own checks, the lookups of secrets, configs and networks,
    /// registry credentials for the image from `docker_config` (`--with-registry-auth`), and
    /// the image pinned to its digest with the platforms it supports (unless
    /// `--no-resolve-image`; a warning when the registry cannot tell).
    ///
    /// # Errors
    /// [`FlagsError::UnsupportedByDaemon`]; what [`to_spec_with`](Self::to_spec_with)
    /// refuses; [`FlagsError::NotFound`] for a name that does not exist;
    /// [`FlagsError::NeedsDockerConfig`], [`FlagsError::InvalidImage`] and
    /// [`FlagsError::RegistryAuth`] for `--with-registry-auth`; [`FlagsError::Api`].
    pub async fn prepare(
        &self,
        client: &Client,
        docker_config: Option<&DockerConfig>,
    ) -> Result<PreparedCreate, FlagsError> {
        self.check_api_version(client.api_version())?;
        // The CLI's own checks come before its lookups.
        self.build(&ObjectIds::default(), false)?;
        let ids = client.lookup_object_ids(&self.object_names()).await?;
        let mut spec = self.to_spec_with(&ids)?;
        let mut options = CreateOptions::new();
        let mut auth = None;
        if self.common.with_registry_auth == Some(true) {
            let a = registry_auth(docker_config, &self.image)?;
            options = options.registry_auth(a.clone());
            auth = Some(a);
        }
        let mut warnings = Vec::new();
        if self.common.no_resolve_image != Some(true) {
            pin_image(client, &mut spec, auth.as_ref(), &mut warnings).await;
        }
        Ok(PreparedCreate {
            spec,
            options,
            warnings,
        })
    }
}

impl UpdateFlags {
    /// Refuses flags that need a newer Engine API than `version`, with the docker CLI's
    /// message.
    ///
    /// # Errors
    /// [`FlagsError::UnsupportedByDaemon`].
    pub fn check_api_version(&self, version: crate::ApiVersion) -> Result<(), FlagsError> {
        check_versions(table::UPDATE, &self.changed(), version)
    }

    /// `docker service update` through `client`: the API version check, the service read,
    /// `--rollback` (alone, or with `-d`/`-q`) as a server-side rollback; else the lookups,
    /// [`apply`](Self::apply), the new image pinned to its digest (`--image` without
    /// `--no-resolve-image`), registry credentials from `docker_config`
    /// (`--with-registry-auth`; otherwise the daemon reuses the spec's), and the update at the
    /// version read.
    ///
    /// # Errors
    /// [`FlagsError::UnsupportedByDaemon`]; `other flags may not be combined with --rollback`;
    /// what [`apply`](Self::apply) refuses; [`FlagsError::NotFound`]; the registry credential
    /// errors; [`FlagsError::Api`] (an unknown service, "update out of sequence" when another
    /// client updated it in between, the daemon refusing the spec).
    pub async fn send(
        &self,
        client: &Client,
        docker_config: Option<&DockerConfig>,
    ) -> Result<Updated, FlagsError> {
        self.check_api_version(client.api_version())?;
        let service = client.service_inspect(&self.service).await?;
        if self.rollback == Some(true) {
            let others = self
                .changed()
                .into_iter()
                .any(|f| !matches!(f.as_str(), "rollback" | "detach" | "quiet"));
            if others {
                return Err(FlagsError::Rejected(
                    "other flags may not be combined with --rollback".into(),
                ));
            }
            let s = client.service_rollback(&service.id).await?;
            return Ok(Updated {
                id: s.id,
                warnings: Vec::new(),
            });
        }
        let mut spec = service.spec.clone();
        // The CLI's own checks come before its lookups.
        self.apply(&mut spec.clone(), &ObjectIds::default())
            .or_else(|e| match e {
                FlagsError::NeedsLookup { .. } => Ok(()),
                e => Err(e),
            })?;
        let ids = client.lookup_object_ids(&self.object_names()).await?;
        self.apply(&mut spec, &ids)?;
        let mut options = UpdateOptions::new();
        let mut auth = None;
        if self.common.with_registry_auth == Some(true) {
            // The image before the client library tags it: the new one, else the current one.
            let image = self
                .image
                .clone()
                .unwrap_or_else(|| service.image().to_owned());
            let a = registry_auth(docker_config, &image)?;
            options = options.registry_auth(a.clone());
            auth = Some(a);
        } else {
            options = options.registry_auth_from(RegistryAuthFrom::Spec);
        }
        let mut warnings = Vec::new();
        if self.image.is_some() && self.common.no_resolve_image != Some(true) {
            pin_image(client, &mut spec, auth.as_ref(), &mut warnings).await;
        }
        let mut daemon = client
            .service_update_spec(&service.id, service.version.index, &spec, &options)
            .await?;
        daemon.extend(warnings);
        Ok(Updated {
            id: service.id,
            warnings: daemon,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::ids::tag_name_only;

    #[test]
    fn images_are_tagged_and_pinned_like_the_docker_client() {
        assert_eq!(tag_name_only("nginx"), "nginx:latest");
        assert_eq!(tag_name_only("docker.io/library/nginx"), "nginx:latest");
        assert_eq!(tag_name_only("index.docker.io/me/web:1"), "me/web:1");
        assert_eq!(
            tag_name_only("127.0.0.1:5000/absent/x"),
            "127.0.0.1:5000/absent/x:latest"
        );
        let d = "sha256:a8e1e0e72249c63c6d7d24bc6383ae9fb8cc53e08790a0fb0ee74f9e9a75ece2";
        assert_eq!(tag_name_only(&format!("nginx@{d}")), format!("nginx@{d}"));
        // Not a reference: sent as it is (the daemon says what is wrong).
        assert_eq!(tag_name_only("Nginx"), "Nginx");
        assert_eq!(tag_name_only("a//b"), "a//b");
        assert_eq!(
            image_with_digest("nginx:latest", d),
            format!("nginx:latest@{d}")
        );
        assert_eq!(
            image_with_digest(&format!("nginx@{d}"), "sha256:00"),
            format!("nginx@{d}")
        );
        assert!(digest_warning("x:1").starts_with("image x:1 could not be accessed"));
    }

    #[test]
    fn registry_auth_needs_a_config_and_a_valid_image() {
        assert!(matches!(
            registry_auth(None, "nginx"),
            Err(FlagsError::NeedsDockerConfig)
        ));
        let config = DockerConfig::parse("/nonexistent/config.json", "{}").unwrap();
        assert!(matches!(
            registry_auth(Some(&config), "a//b"),
            Err(FlagsError::InvalidImage { .. })
        ));
        let a = registry_auth(Some(&config), "127.0.0.1:5000/x:1").unwrap();
        assert_eq!(a.server_address(), "127.0.0.1:5000");
    }
}
