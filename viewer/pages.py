"""The HTML pages for people: the incident list, one incident, its review draft, and /healthz."""

from __future__ import annotations

from functools import partial

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    get_template_attribute,
    jsonify,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from models import SEVERITIES, TimelineEvent
from models.fields import utcnow
from viewer import (
    audit,
    followups,
    http_cache,
    milestones,
    mrkdwn,
    present,
    queries,
    rendered,
    review,
    search,
    timeline_view,
)
from viewer import filters as list_filters
from viewer.auth import audience, current_user
from viewer.config import MAX_PAGE_SIZE, Settings
from viewer.database import database_of
from viewer.templating import settings
from viewer.timeline_view import ShownEvent

bp = Blueprint("pages", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    database_of(current_app).execute_sql("SELECT 1")
    return jsonify({"status": "ok"}), 200


def read_filters() -> list_filters.ListFilters:
    return list_filters.parse(
        request.args, per_page=settings().page_size, max_per_page=MAX_PAGE_SIZE
    )


@bp.get("/")
def index() -> str:
    config = settings()
    filters = read_filters()
    page = queries.list_incidents(filters, config.zone, audience=audience())
    now = utcnow()
    matched = search.reasons(filters.text, page.incidents) if filters.text else {}
    rows = []
    for incident in page.incidents:
        seconds, ongoing = milestones.duration_seconds(incident, now)
        rows.append(
            (incident, page.person(incident.lead_id), seconds, ongoing, matched.get(incident.id))
        )

    def page_url(number: int) -> str:
        # mypy cannot tell the str-valued query args never include url_for's `_external`.
        return url_for("pages.index", **filters.query_args(page=number))  # type: ignore[arg-type]

    return render_template(
        "index.html",
        page=page,
        rows=rows,
        filters=filters,
        page_url=page_url,
        status_choices=list_filters.STATUS_CHOICES,
        severities=SEVERITIES,
        api_url=url_for("api.list_incidents", **filters.query_args()),  # type: ignore[arg-type]
    )


def names_for(detail: queries.IncidentDetail) -> mrkdwn.Names:
    return mrkdwn.Names(
        users=detail.names,
        channels=detail.channels,
        channel_url=partial(present.slack_channel_url, settings().slack_workspace_url),
    )


def not_found_reason(number: int, seen_by: queries.Audience) -> str:
    """Why a number shows nothing, in words that say what would help, without saying whether
    a private incident of that number exists: links to private incidents are posted in
    Slack, and whoever follows one should learn what they need to see it."""
    if seen_by.show_private:
        return f"There is no incident {number}."
    if settings().auth.mode == "none":
        return (
            f"There is no incident {number}, or it is private: this viewer has no sign-in, "
            "so it shows no private incidents (its operators can add sign-in, or set "
            "VIEWER_SHOW_PRIVATE where everyone who reaches it may see them)."
        )
    if seen_by.user_id is None and seen_by.email is None:
        return (
            f"There is no incident {number}, or it is private: a private incident is shown "
            "to the members of its Slack channel, and this viewer does not know who you are "
            "in Slack."
        )
    return (
        f"There is no incident {number}, or it is private and you are not in its Slack "
        "channel: ask someone in the channel to add you, then reload this page."
    )


def load_or_404(number: int) -> queries.IncidentDetail:
    """One incident for the page, the review or the API; a private one is shown only once
    its view is in the audit log (if that cannot be written, the view fails: 503)."""
    seen_by = audience()
    detail = queries.load_incident(number, audience=seen_by)
    if detail is None:
        abort(404, not_found_reason(number, seen_by))
    if detail.incident.is_private:
        audit.record_view(detail.incident, current_user())
        http_cache.shown_private()
    return detail


def shown_files(files: object) -> list[dict[str, str]]:
    """Attached files with a name and a safe link; anything malformed is skipped."""
    shown = []
    for item in files if isinstance(files, list) else []:
        if not isinstance(item, dict):
            continue
        name = str(item.get("name") or "Unnamed file")
        url = mrkdwn.safe_url(str(item.get("url") or ""))
        shown.append({"name": name, "url": url or ""})
    return shown


def _entries(
    detail: queries.IncidentDetail, names: mrkdwn.Names, config: Settings
) -> list[ShownEvent]:
    """Every entry's HTML, from what was rendered before where nothing it shows changed."""
    here = url_for("pages.incident", number=detail.incident.id)
    page = rendered.digest(
        detail.names, detail.channels, config.slack_workspace_url, config.timezone, here
    )
    entry = get_template_attribute("_entry.html", "entry")
    zone = config.zone
    out = []
    for event in detail.timeline:
        group = timeline_view.group_of(str(event.kind))
        key = (
            event.id,
            event.kind,
            event.occurred_at,
            event.text,
            event.edited_at,
            event.deleted_at,
            event.author_id,
            event.author_name,
            event.added_by_id,
            repr(event.files),
            event.permalink,
            page,
        )

        def render(event: TimelineEvent = event, group: str = group) -> Markup:
            author, adder = detail.author(event), detail.person(event.added_by_id)
            return Markup(
                entry(
                    event,
                    group,
                    mrkdwn.to_html(event.text, names),
                    shown_files(event.files),
                    mrkdwn.safe_url(event.permalink or ""),
                    here,
                    present.clock(event.occurred_at, zone),
                    author.name if author else "",
                    adder.name if adder else "",
                    # A deleted message's edits are gone with its words.
                    present.format_time(event.edited_at, zone)
                    if event.edited_at and not event.deleted_at
                    else "",
                    present.format_time(event.deleted_at, zone) if event.deleted_at else "",
                    present.format_time(event.occurred_at, zone),
                )
            )

        out.append(ShownEvent(event, rendered.kept(key, render)))
    return out


# max: a larger number names no row (404), not a value the database refuses (500)
@bp.get("/incidents/<int(max=9223372036854775807):number>")
def incident(number: int) -> str:
    config = settings()
    detail = load_or_404(number)
    names = names_for(detail)
    events = _entries(detail, names, config)
    choice = timeline_view.Choice.of(request.args)
    days = timeline_view.days(events, choice, config.zone)
    times = milestones.times_of(detail.incident)
    seconds, ongoing = milestones.duration_seconds(detail.incident, utcnow())
    return render_template(
        "incident.html",
        detail=detail,
        incident=detail.incident,
        total=len(events),
        counts=timeline_view.counts(events),
        groups=timeline_view.GROUPS,
        choice=choice,
        days=days,
        shown=sum(len(day.entries) for day in days),
        latest=events[-1].event.id if events else None,
        times=times,
        spans=milestones.spans_of(times),
        duration=(seconds, ongoing),
        channel_url=present.slack_channel_url(
            config.slack_workspace_url, detail.incident.channel_id
        ),
        next_update=milestones.next_update_due(detail.incident, config.update_minutes),
        now=utcnow(),
        followups=[followups.shown(a, detail.names, config.zone, utcnow()) for a in detail.actions],
        summary_html=mrkdwn.to_html(detail.incident.summary, names),
        impact_html=mrkdwn.to_html(detail.incident.impact, names),
    )


@bp.get("/incidents/<int(max=9223372036854775807):number>/review.md")
def review_markdown(number: int) -> Response:
    detail = load_or_404(number)
    text = review.render(detail, names_for(detail), settings().zone, utcnow())
    # Werkzeug 3 has no Response.charset; it adds "; charset=utf-8" to text/* by itself.
    response = Response(text, mimetype="text/markdown")
    response.headers["Content-Disposition"] = f'attachment; filename="incident-{number}-review.md"'
    return response
