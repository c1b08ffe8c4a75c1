"""E-mail through a local SMTP server: Japanese text that decodes, one thread per incident."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from collector.notify.testing import (
    NIGHT,
    SmtpSink,
    add_contact,
    enqueue,
    incident,
    notice_rows,
    run_pass,
)
from uplink.faults import free_port


def test_japanese_notice_arrives_decodable(app: FastAPI, smtp: SmtpSink) -> None:
    add_contact(app, smtp.url("soumu@tanaka.example"))
    enqueue(app, incident())
    assert run_pass(app).sent == 1
    [message] = smtp.messages()
    assert message["To"] == "soumu@tanaka.example"
    assert str(message["Subject"]).startswith("[yamori #42] 【重要度：高】")
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert "このパソコンをネットワークから外してください" in body
    assert "対象の機器（社内）: 192.168.1.23" in body
    assert "最初の検知: 2024-05-01 02:13:00 JST" in body


def test_raw_message_is_7bit_safe(app: FastAPI, smtp: SmtpSink) -> None:
    add_contact(app, smtp.url("soumu@tanaka.example"))
    enqueue(app, incident())
    run_pass(app)
    [raw] = smtp.raw
    assert raw.isascii()  # Japanese travels encoded (RFC 2047 subject, quoted-printable body)


def test_update_replies_in_the_incidents_thread(app: FastAPI, smtp: SmtpSink) -> None:
    add_contact(app, smtp.url("soumu@tanaka.example"))
    enqueue(app, incident())
    run_pass(app)
    later = NIGHT + timedelta(minutes=30)
    enqueue(app, incident(count=50), "update", now=later)
    run_pass(app, now=later)
    first, update = smtp.messages()
    root = "<yamori-incident-42@yamori.invalid>"
    assert first["References"] == root and first["In-Reply-To"] is None
    assert update["References"] == root and update["In-Reply-To"] == root
    assert str(update["Subject"]).startswith("[yamori #42] 続報")
    assert "50 回" in update.get_content()
    assert len({first["Message-ID"], update["Message-ID"]}) == 2


def test_english_contact_gets_english(app: FastAPI, smtp: SmtpSink) -> None:
    add_contact(app, smtp.url("boss@tanaka.example"), lang="en")
    enqueue(app, incident())
    run_pass(app)
    [message] = smtp.messages()
    assert "Disconnect this PC from the network" in message.get_content()


def test_unreachable_smtp_server_is_a_logged_failed_attempt(app: FastAPI) -> None:
    add_contact(app, f"mailto://127.0.0.1:{free_port()}?from=y@example.jp&to=a@example.jp"
                     "&mode=insecure")
    enqueue(app, incident())
    assert run_pass(app).retried == 1
    [notice] = notice_rows(app)
    assert notice.attempts == 1 and notice.last_error
