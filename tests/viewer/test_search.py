"""Search finds an incident by its number, its channel, a person in it, or words in its
title, summary, impact or timeline (the database's full-text index), and says where."""

from __future__ import annotations

import re

from tests.viewer.factories import T0


def _found(client, query: str) -> dict[int, str]:
    html = client.get("/", query_string={"q": query}).get_data(as_text=True)
    rows = re.findall(r'<td data-label="Number">(\d+)</td>(.*?)</tr>', html, re.S)
    return {
        int(n): " ".join(re.findall(r'class="small matched">Matched: ([^<]*)<', rest))
        for n, rest in rows
    }


def _world(seed):
    seed.user("UPRIYA", "Priya 🌻", real_name="Priya Sharma")
    seed.user("UOMAR", "omar.k", real_name="Omar Khalid")
    seed.user("UDANA", "dana")
    payments = seed.incident(
        title="Card payments failing",
        reporter_id="UPRIYA",
        channel_id="C0PAY",
        channel_name="inc-payments-eu",
    )
    queue = seed.incident(
        title="Queue backlog", lead_id="UOMAR", channel_id="C0Q", channel_name="inc-queue"
    )
    quiet = seed.incident(title="Disk alert", channel_id="C0DISK", channel_name="inc-disk")
    seed.event(
        quiet, text="The *kafka* consumer lag recovered after the restart", author_id="UDANA"
    )
    seed.member("C0Q", "UDANA")
    gone = seed.event(payments, text="the password is swordfish", deleted_at=T0)
    assert gone.id
    return payments, queue, quiet


def test_by_number_with_or_without_its_prefix(client, seed) -> None:
    _, queue, _ = _world(seed)
    for query in (str(queue.id), f"inc-{queue.id}", f"INC-{queue.id}"):
        found = _found(client, query)
        assert queue.id in found and "number" in found[queue.id], query


def test_by_channel_name_and_by_person_in_any_role(client, seed) -> None:
    payments, queue, quiet = _world(seed)
    assert "channel name" in _found(client, "payments-eu")[payments.id]
    by_reporter = _found(client, "priya")
    assert list(by_reporter) == [payments.id]
    assert "person: Priya 🌻 (reporter)" in by_reporter[payments.id]
    assert "person: omar.k (lead)" in _found(client, "Omar Khalid")[queue.id]
    # Dana is in the queue incident's channel and wrote on the disk one's timeline.
    dana = _found(client, "dana")
    assert set(dana) == {queue.id, quiet.id}
    assert "(in its channel)" in dana[queue.id] and "(on its timeline)" in dana[quiet.id]


def test_by_words_in_the_timeline_and_the_title_as_prefixes(client, seed) -> None:
    payments, _, quiet = _world(seed)
    found = _found(client, "kafka lag")
    assert list(found) == [quiet.id] and found[quiet.id] == "timeline"
    assert "title, summary or impact" in _found(client, "pay fail")[payments.id]
    assert _found(client, "kafka unrelated") == {}  # every word is needed
    # A deleted message keeps no words to be found by.
    assert _found(client, "swordfish") == {}


def test_the_api_says_where_each_result_matched(client, seed) -> None:
    _, queue, _ = _world(seed)
    body = client.get("/api/incidents", query_string={"q": f"inc-{queue.id}"}).get_json()
    [item] = [i for i in body["items"] if i["number"] == queue.id]
    assert item["matched"] == ["number"]
    assert "matched" not in client.get("/api/incidents").get_json()["items"][0]


def test_the_incident_with_that_number_comes_first(client, seed) -> None:
    made = [
        seed.incident(title=f"Alert {n}", channel_name=f"inc-{n}", channel_id=f"C{n:04d}")
        for n in range(1, 60)
    ]
    target = made[4]  # number 5: "5" is also in the channel names inc-15, inc-50 …
    for query in (str(target.id), f"inc-{target.id}", f"#{target.id}"):
        found = list(_found(client, query))
        assert found[0] == target.id, (query, found[:5])
    # The others still match, by channel name, after it.
    assert len(_found(client, str(target.id))) > 1


def test_a_channel_or_person_written_as_in_slack(client, seed) -> None:
    payments, queue, _ = _world(seed)
    assert "channel name" in _found(client, "#inc-payments-eu")[payments.id]
    assert list(_found(client, "@priya")) == [payments.id]
    assert "person: omar.k (lead)" in _found(client, "@omar.k")[queue.id]
