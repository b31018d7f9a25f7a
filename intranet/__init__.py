"""Tongbao intranet: `create_app(config)` builds the WSGI application."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from flask import Flask

from .config import REPO_ROOT, Config


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    app = Flask(
        __name__,
        template_folder=str(REPO_ROOT / "templates"),
        static_folder=str(REPO_ROOT / "static"),
        instance_path=str(config.instance_path),
    )
    app.config.from_mapping(config.flask_settings())
    app.extensions["tongbao_config"] = config
    config.instance_path.mkdir(parents=True, exist_ok=True)
    if config.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # behind a reverse proxy: the client address (rate limits, audit) comes from X-Forwarded-For
        n = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    from . import edge, i18n, limits, security, templating
    from .extensions import csrf, db, login_manager

    db.init_app(app)
    limits.init_app(app)  # first: a client over a limit is refused before anything else runs
    edge.init_app(app)  # then control characters, oversized or too deeply nested API bodies
    csrf.init_app(app)
    login_manager.init_app(app)
    security.init_headers(app, https=config.secure_cookies)
    i18n.init_app(app)
    templating.init_app(app)
    _register_template_context(app)

    from . import models  # noqa: F401  (one metadata for Alembic)
    from .database import init_engine_events

    init_engine_events(app)
    _init_tasks(app)
    _register_blueprints(app)
    limits.limit_views(app)  # each app's own limiter, on the views that declare limits
    _register_errors(app)

    from .commands import register_commands

    register_commands(app)
    if Path(sys.argv[0]).name == "flask":  # plain `flask --app intranet db …` uses the plugin group
        from .extensions import ensure_migrate

        ensure_migrate(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from .api.token_views import bp as api_tokens_bp
    from .api.views import bp as api_bp
    from .audit.views import bp as audit_bp
    from .auth.account_views import bp as accounts_bp
    from .auth.views import bp as auth_bp
    from .certificates.api import bp as api_certificates_bp
    from .certificates.views import bp as certificates_bp
    from .consultations import staff_views as consultation_staff_views  # noqa: F401  (routes on its blueprint)
    from .consultations import views as consultation_views  # noqa: F401
    from .consultations.blueprint import bp as consultations_bp
    from .credit_reports.api import bp as api_credit_reports_bp
    from .credit_reports.views import bp as credit_reports_bp
    from .dashboards.views import bp as dashboards_bp
    from .districts.views import bp as districts_bp
    from .enterprises.colleague_views import bp as colleagues_bp
    from .enterprises.views import bp as preferences_bp
    from .exports.views import bp as exports_bp
    from .losses import staff_views, views  # noqa: F401  (their routes are on the losses blueprint)
    from .losses.api import bp as api_losses_bp
    from .losses.blueprint import bp as losses_bp
    from .main.views import bp as main_bp
    from .notices.api import bp as api_notices_bp
    from .notices.views import bp as notices_bp
    from .outbox.views import bp as outbox_bp
    from .policies.views import bp as policies_bp
    from .portal.views import bp as portal_bp
    from .programmes.views import bp as programmes_bp
    from .reminders.urgent_views import bp as urgent_notices_bp
    from .roster.import_views import bp as roster_import_bp
    from .roster.public_views import bp as roster_public_bp
    from .roster.views import bp as roster_bp
    from .shortlinks.views import bp as shortlinks_bp
    from .workdays.views import bp as workdays_bp

    for blueprint in (
        main_bp,
        auth_bp,
        accounts_bp,
        colleagues_bp,
        audit_bp,
        roster_public_bp,
        roster_bp,
        roster_import_bp,
        programmes_bp,
        districts_bp,
        workdays_bp,
        portal_bp,
        policies_bp,
        certificates_bp,
        api_bp,
        api_tokens_bp,
        api_certificates_bp,
        api_losses_bp,
        api_credit_reports_bp,
        api_notices_bp,
        outbox_bp,
        preferences_bp,
        losses_bp,
        credit_reports_bp,
        consultations_bp,
        notices_bp,
        dashboards_bp,
        exports_bp,
        shortlinks_bp,
        urgent_notices_bp,
    ):
        app.register_blueprint(blueprint)


def _register_template_context(app: Flask) -> None:
    """What every page's layout shows from the features: the navigation and the site's programme."""
    from .main.navigation import nav_items, staff_cards
    from .programmes.service import current_programme
    from .site import ICP_LOOKUP
    from .site import footer as site_footer

    app.jinja_env.globals.update(nav_items=nav_items, staff_cards=staff_cards, site_footer=site_footer)
    app.jinja_env.globals["icp_lookup"] = ICP_LOOKUP

    @app.context_processor
    def site_context() -> dict[str, Any]:
        return {"site_programme": current_programme()}


def _init_tasks(app: Flask) -> None:
    """The task queue, and each feature's handlers (registered here, from the top, so that the
    queue, a foundation module, never imports a feature)."""
    from .certificates.bulk import issue_and_certify
    from .exports import jobs as exports
    from .policies import queries as policy_queries
    from .policies.bulk import KIND as ISSUE_POLICY
    from .roster import invitations
    from .roster.importing import jobs as import_jobs
    from .tasks import queue, service

    queue.init_app(app, service.execute)
    service.register(app, ISSUE_POLICY, issue_and_certify)
    app.extensions["tongbao_worker_warmups"] = [lambda: importlib.import_module("intranet.certificates.render")]
    service.register(app, invitations.KIND, invitations.invite_task)
    app.extensions[invitations.HOLDERS] = policy_queries.holders  # who claimed gets no invitation
    service.register(app, import_jobs.CHECK, import_jobs.check_task)
    service.register(app, import_jobs.APPLY, import_jobs.apply_task)
    service.register(app, exports.KIND, exports.build)


def _register_errors(app: Flask) -> None:
    from .error_pages import register

    register(app)
