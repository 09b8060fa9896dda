"""The read-only web viewer of incidents: `create_app` builds it from settings."""

from __future__ import annotations

import os

from flask import Flask

from viewer.config import Settings

SETTINGS_KEY = "viewer.settings"
DATABASE_KEY = "viewer.database"


def create_app(settings: Settings | None = None) -> Flask:
    """Build the viewer. Settings come from the environment unless given.

    The shared model database is pointed at a read-only connection to DATABASE_URL, so a
    process that runs the viewer cannot write through the models, whatever the code asks.
    The one write it makes, a row in the audit log for each view of a private incident,
    goes through a second connection of its own (viewer.audit).
    """
    from models import init_database
    from viewer import (
        actions_page,
        api,
        audit,
        auth,
        database,
        errors,
        guard,
        http_cache,
        metrics,
        old_links,
        pages,
        stats_page,
        templating,
    )

    settings = settings or Settings.from_env(os.environ)
    app = Flask(__name__)
    # Only GET (and HEAD) are served; OPTIONS too answers 405 rather than a list of methods.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[SETTINGS_KEY] = settings
    app.extensions[DATABASE_KEY] = init_database(settings.database_url, readonly=True)

    audit.register(app, settings.audit_url)

    # Order matters: before_request hooks run as registered. Time everything (405s too),
    # refuse other methods, send strangers to sign in, and only then touch the database.
    metrics.register(app)
    guard.register(app)
    auth.register(app)
    database.register(app)
    templating.register(app)
    errors.register(app)
    http_cache.register(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(stats_page.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(old_links.bp)
    app.register_blueprint(actions_page.bp)
    return app
