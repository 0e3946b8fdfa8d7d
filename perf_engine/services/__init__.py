"""Site services: the policy that needs Frappe (which site, which records, who is notified).

Each module here reads the site's settings and connections through `adapter` and
`settings`, calls the framework-free core, and stores or returns what it found; `api/`,
`tasks/`, `commands.py` and the public facades (`perf_engine.cache`, `perf_engine.jobs`)
only call into these modules.
"""
