//! The load balancer of the day-5 workflow as a library: a swarm service's running tasks
//! become an nginx upstream ([`Backends`], [`Balancer`]), applied to nginx here or in a task
//! ([`LocalNginx`], [`TaskNginx`]), and kept in line as tasks come and go ([`LbWatcher`]).

mod backends;
mod balancer;
mod target;
mod watcher;

pub use backends::{Backends, PortRule, port_for_slot, published_port};
pub use balancer::{Balancer, Rendered};
pub use target::{ApplyTarget, LocalNginx, TaskNginx};
pub use watcher::{Cause, Kept, LbWatcher, LbWatcherBuilder, Report};
