"""HTTP service of quyhoach: OGC APIs, statistics and maps."""
