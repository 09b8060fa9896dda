"""Log lines: JSON with the incident number, and never a token or password."""

from __future__ import annotations

import json
import logging

from incident_common.logs import configure_logging


def test_json_lines_carry_extras_and_scrub_secrets(capsys) -> None:
    configure_logging("json", secrets=("sign-me-not",))
    log = logging.getLogger("test.logs")
    log.info(
        "declared with xoxb-123-456-abcdef via postgresql://bot:hunter2@db/inc",
        extra={"incident": 42},
    )
    log.warning("secret is sign-me-not")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["incident"] == 42
    assert lines[0]["level"] == "info"
    text = json.dumps(lines)
    assert "xoxb-123" not in text and "hunter2" not in text and "sign-me-not" not in text
    assert "postgresql://bot:***@db/inc" in lines[0]["message"]
    logging.getLogger().handlers.clear()


def test_text_format_is_readable(capsys) -> None:
    configure_logging("text")
    logging.getLogger("test.logs").info("hello", extra={"incident": 7})
    line = capsys.readouterr().err.strip()
    assert line.endswith("test.logs: hello [incident=7]")
    logging.getLogger().handlers.clear()
