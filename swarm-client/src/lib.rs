//! Docker Engine API client for Swarm: swarm, nodes, services, tasks, convergence, updates.
