//! Shared code of the dockwright example programs: the `dockwright` CLI's commands live in
//! [`cli`], one module per area, so each binary stays a thin `main`.

#[doc(hidden)]
pub mod bench;
pub mod cli;
pub mod day5;
