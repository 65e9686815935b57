"""`make bench`: load the running service with wrk and compare it with its limits."""
