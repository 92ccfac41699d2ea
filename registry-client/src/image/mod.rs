//! Local images: build an OCI image layout ([`ImageBuilder`]), read and write one
//! ([`OciLayout`]), and read a `docker save` archive ([`DockerArchive`]).
//!
//! Both readers present the same view, a [`LocalImage`]: the manifest as raw bytes (its digest is
//! the SHA-256 of exactly those bytes) plus a [`BlobLocation`] (file, offset, size, digest) for
//! the config and each layer, so a push can stream every blob from disk without loading it.
//!
//! ```no_run
//! use registry_client::image::{ImageBuilder, ImageConfig, Layer, OciLayout};
//! # fn main() -> Result<(), registry_client::image::ImageError> {
//! let built = ImageBuilder::new()
//!     .config(ImageConfig::new().cmd(["sh"]).env("PATH", "/bin"))
//!     .layer(
//!         Layer::new()
//!             .file("/bin/busybox", "bin/busybox")
//!             .symlink("bin/sh", "busybox"),
//!     )
//!     .ref_name("latest")
//!     .build("/tmp/busybox-oci")?;
//! println!("manifest {}", built.manifest_digest);
//! let image = OciLayout::open("/tmp/busybox-oci")?.image(Some("latest"))?;
//! assert_eq!(image.manifest.digest, built.manifest_digest);
//! # Ok(()) }
//! ```

mod archive;
mod builder;
mod layout;
pub(crate) mod legacy_id;
mod model;
pub(crate) mod tar_stream;

pub use archive::DockerArchive;
#[cfg(feature = "fuzzing")]
pub(crate) use archive::parse_save_manifest;
pub use builder::{BuiltImage, Compression, ImageBuilder, ImageConfig, Layer, LayerInfo};
pub use layout::{AsyncBlobWriter, BlobWriter, OciLayout};

/// A manifest as raw bytes: the same type the registry client sends and receives, so a built
/// or loaded image pushes without conversion.
pub use crate::manifests::RawManifest;
pub use model::{BlobLocation, ImageError, LocalArtifact, LocalImage, REF_NAME_ANNOTATION, Result};
pub(crate) use model::{DescDoc, ManifestDoc, host_arch, io_err, parse_digest, pick_platform};
pub use sdk_grammar::media_types;
