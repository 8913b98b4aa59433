"""What the tasks service knows of the projects service: the replica of its data this service
needs (`rows`, kept from its events by `consumer`, as `taskwire.tasks.handlers` says), what a
status change does to the board (`board`), the directory serving the replica from memory
(`directory`, kept honest by `invalidation`), and the read-through when the replica lags
(`projects_client`)."""
