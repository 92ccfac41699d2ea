//! OCI Distribution registry client: references, auth challenges, push, pull, tag, copy.

pub mod digest;
pub mod image;
pub mod reference;
