//! nginx upstream/server load-balancer config: typed model, render, parse, validate; optional atomic apply and reload.
