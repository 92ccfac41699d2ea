//! Shared errors, credentials, docker config.json, X-Registry-Auth, HTTP transport and retry policy for the dockwright crates.
