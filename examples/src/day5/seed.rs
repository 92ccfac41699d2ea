//! The seed's fixed values and the types every step shares (the lowest module of day5).

use registry_client::Credentials;

/// Errors of `day5`: any SDK error, with a message saying which step failed.
pub type Error = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result of `day5`.
pub type Result<T = (), E = Error> = std::result::Result<T, E>;

/// The seed's NFS server (data only: never contacted).
pub const SEED_NFS_ADDR: &str = "192.168.1.220";
/// The Docker Hub namespace of the seed.
pub const NAMESPACE: &str = "dev1johndoe";
/// The text of the seed's index.html after John's change.
pub const WELCOME: &str = "Welcome to Johns Swarm environment";
/// Number of steps printed.
pub const STEPS: usize = 10;

/// The credentials of a fake-mode login.
pub(crate) fn fake_credentials(
    user: Option<String>,
    password: Option<String>,
) -> (String, Credentials, String) {
    let user = user.unwrap_or_else(|| NAMESPACE.to_owned());
    let password = password.unwrap_or_else(|| {
        let mut rng = fastrand::Rng::new();
        (0..24).map(|_| rng.alphanumeric()).collect()
    });
    (
        user.clone(),
        Credentials::basic(user, password.clone()),
        password,
    )
}
