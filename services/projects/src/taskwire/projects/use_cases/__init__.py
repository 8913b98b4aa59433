"""What the projects service does, one module per group: plain functions that take the unit of
work (or a read connection) and plain values, apply the domain's rules and the store's SQL, and
answer states or raise problems. The routes in `api/` only translate HTTP to them and back."""
