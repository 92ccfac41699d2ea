//! OCI Distribution registry client: references, auth challenges, push, pull, tag, copy.
