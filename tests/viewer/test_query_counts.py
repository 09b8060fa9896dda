"""The list and the incident page run a fixed number of queries, whatever the data size."""

from __future__ import annotations

from testkit import bulk
from testkit.sql_count import queries_for


def test_query_counts_do_not_grow_with_the_data(make_app, seed, database) -> None:
    small_big = bulk.populate(database, incidents=600, timeline=20)
    app = make_app()
    small = {
        path: len(queries_for(app, path))
        for path in (
            "/",
            f"/incidents/{small_big}",
            "/api/incidents",
            f"/api/incidents/{small_big}",
            "/?q=database&status=open&page=2",
        )
    }

    with seed.bound():
        database.execute_sql("DELETE FROM timeline_event")
        database.execute_sql("DELETE FROM incident")
        database.execute_sql("DELETE FROM slack_user")
    big_number = bulk.populate(database)
    large = {
        "/": len(queries_for(app, "/")),
        f"/incidents/{small_big}": len(queries_for(app, f"/incidents/{big_number}")),
        "/api/incidents": len(queries_for(app, "/api/incidents")),
        f"/api/incidents/{small_big}": len(queries_for(app, f"/api/incidents/{big_number}")),
        "/?q=database&status=open&page=2": len(queries_for(app, "/?q=database&status=open&page=2")),
    }
    assert large == small
    # The list: a count, a page and one look-up of names. The incident: the row, its
    # timeline, names and channels.
    assert large["/"] == 3
    assert large[f"/incidents/{small_big}"] == 6
