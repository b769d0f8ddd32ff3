select version from stats_version
