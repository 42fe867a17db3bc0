"""A local Apache Flink cluster and Beam's Flink job server for `make test-flink` and `make bench-scale`."""
