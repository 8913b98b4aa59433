"""What the tasks service does, one module per group: plain functions that take the database
(a single statement, a unit of work or a read connection), the directory and plain values, apply
the domain's rules and the store's SQL, and answer tasks or raise problems. The routes in `api/`
only translate HTTP to them and back."""
