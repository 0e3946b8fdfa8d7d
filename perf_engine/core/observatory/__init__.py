"""The database observatory: what MariaDB runs now for a site, who blocks whom, what costs the most, the last deadlocks."""
