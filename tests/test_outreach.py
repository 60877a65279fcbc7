"""The verification round: signed links (expiry, revocation, reuse, tampering), selection rules, the
messages written, an office's answer through review into the directory and onto the card, status, and
sending to a local SMTP server (aiosmtpd on 127.0.0.1) under the rate limit.
"""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import json
import shutil
import socket
from pathlib import Path

import pytest
from helpers import REPO, FakeClock, FakeTimer, run_cli

from finder import corrections, share
from finder import settings as _settings
from finder.errors import RateLimitedError
from finder.outreach import messages, plan, tokens
from finder.outreach.send import send_round
from finder.outreach.store import BAD_LINK_LIMITS, OFFICE_BY, LinkError, OutreachStore

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(REPO / "data", folder)
    return folder


@pytest.fixture
def world(tmp_path, data_dir):
    """A corrections store on a fake clock, its outreach store and an editor of a copy of the data."""
    clock = FakeClock(START)
    store = corrections.CorrectionStore(str(tmp_path / "c.sqlite"), clock=clock)
    outreach = OutreachStore(store)
    editor = corrections.DirectoryEditor(store, data_dir / "offices.csv", target="csv")
    yield clock, store, outreach, editor
    store.dispose()


def _rows(data_dir: Path) -> list[dict[str, str]]:
    return corrections.read_rows(data_dir / "offices.csv")[1]


def _one_link(outreach: OutreachStore, office_id: str, days: int = 60) -> str:
    _, minted = outreach.create_round([(office_id, "", "")], expires_at=START + dt.timedelta(days=days),
                                      by="test", rule={})  # fmt: skip
    return minted[office_id]


# ------------------------------------------------------------------------------------------ links
def test_link_is_random_signed_and_stored_only_as_hash(world, data_dir):
    _, store, outreach, _ = world
    office = _rows(data_dir)[0]["id"]
    token = _one_link(outreach, office)
    other = _one_link(outreach, office)
    assert token != other and tokens.looks_like_token(token)
    nonce = tokens._unb64(token.split(".")[0])
    assert len(nonce) * 8 >= 128
    [first, _second] = outreach.links()
    assert first.office_id == office and first.expires_at == START + dt.timedelta(days=60)
    with store._read() as session:
        stored = " ".join(str(v) for row in session.execute(
            __import__("sqlalchemy").text("SELECT * FROM outreach_links")) for v in row)  # fmt: skip
    assert token not in stored and tokens.token_hash(token) in stored
    assert outreach.check(token, client_key="a").office_id == office


def test_tampered_unknown_and_malformed_links_are_invalid(world, data_dir):
    _, _, outreach, _ = world
    token = _one_link(outreach, _rows(data_dir)[0]["id"])
    flipped = token[:3] + ("A" if token[3] != "A" else "B") + token[4:]
    mac_flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    for bad in (flipped, mac_flipped, tokens.mint(b"x" * 32, "abh-bautzen", 1, START).token, "", None,
                "x" * 10_000, "ü.ü", token + "."):  # fmt: skip
        with pytest.raises(LinkError) as info:
            outreach.check(bad, client_key=f"client-{id(bad)}")
        assert info.value.problem == "invalid"


def test_a_link_signed_with_another_secret_is_invalid(world, data_dir):
    _, store, outreach, _ = world
    token = _one_link(outreach, _rows(data_dir)[0]["id"])
    assert OutreachStore(store, secret="another secret of at least this length").links()  # same rows
    with pytest.raises(LinkError, match="invalid"):
        OutreachStore(store, secret="another secret of at least this length").check(token, client_key="a")


def test_expired_revoked_and_used_links(world, data_dir):
    clock, _, outreach, editor = world
    offices = [r["id"] for r in _rows(data_dir)[:3]]
    expiring = _one_link(outreach, offices[0], days=1)
    clock.advance(days=1)
    with pytest.raises(LinkError, match="expired"):
        outreach.check(expiring, client_key="a")
    revoked = _one_link(outreach, offices[1])
    assert outreach.revoke(offices[1]) == 1
    with pytest.raises(LinkError, match="revoked"):
        outreach.check(revoked, client_key="a")
    used = _one_link(outreach, offices[2])
    outreach.confirm(used, editor, client_key="a")
    for attempt in (lambda: outreach.check(used, client_key="a"),
                    lambda: outreach.confirm(used, editor, client_key="a"),
                    lambda: outreach.submit_changes(used, {"phone": "1"}, {}, summary="x", client_key="a")):  # fmt: skip
        with pytest.raises(LinkError, match="used"):
            attempt()
    assert outreach.revoke(offices[2]) == 0  # an answered link has nothing left to revoke


def test_guessing_links_is_rate_limited_per_address(world):
    _, _, outreach, _ = world
    limit = BAD_LINK_LIMITS[0][0]
    for _ in range(limit):
        with pytest.raises(LinkError):
            outreach.check(tokens.mint(b"k" * 32, "x", 1, START).token, client_key="guesser")
    with pytest.raises(RateLimitedError):
        outreach.check(tokens.mint(b"k" * 32, "x", 1, START).token, client_key="guesser")
    with pytest.raises(LinkError):  # another address is not affected
        outreach.check("nonsense", client_key="someone else")


# ------------------------------------------------------------------------------------------ selection
def test_selection_rules(world, data_dir):
    _, store, _outreach, _ = world
    settings = _settings.load().with_(data_dir=data_dir, corrections_db=store.url)
    offices = corrections.load_directory(settings, store)
    today = START.date()
    closed = set(offices.loc[offices["status"] == "closed", "id"])
    every = plan.select_offices(offices, plan.Rule(everything=True), today=today)
    assert len(every) == len(offices) - len(closed) and not closed & set(every["id"])
    no_phone = plan.select_offices(offices, plan.Rule(missing=("phone",)), today=today)
    assert set(no_phone["id"]) == set(offices.loc[offices["phone"].str.strip() == "", "id"]) - closed
    leipzig_mbe = plan.select_offices(offices, plan.Rule(districts=("Leipzig",), kinds=("MBE",)), today=today)
    assert (
        len(leipzig_mbe)
        and set(leipzig_mbe["district"]) == {"Leipzig"}
        and set(leipzig_mbe["kind"]) == {"MBE"}
    )
    old = plan.select_offices(offices, plan.Rule(older_than_months=24), today=today)
    undated = set(offices.loc[offices["source_date"].str.strip() == "", "id"]) - closed
    assert undated <= set(old["id"])
    fresh_ids = {r["id"] for r in offices.to_dict("records") if r["source_date"].startswith("2026")}
    assert not fresh_ids & set(old["id"])
    first = every.iloc[0]["id"]
    assert first not in set(
        plan.select_offices(offices, plan.Rule(everything=True), today=today, exclude={first})["id"]
    )
    row = every.iloc[0].to_dict()
    assert row["missing"] == ";".join(plan.missing_fields(row))


# ------------------------------------------------------------------------------------------ command line
@pytest.fixture
def cli_env(monkeypatch, tmp_path, data_dir):
    db = tmp_path / "cli.sqlite"
    monkeypatch.setenv("FINDER_DATA_DIR", str(data_dir))
    monkeypatch.setenv("FINDER_CORRECTIONS_DB", str(db))
    monkeypatch.setenv("FINDER_PUBLIC_URL", "https://finder.example/sachsen")
    for name in ("SMTP_HOST", "SMTP_FROM", "OUTREACH_SECRET"):
        monkeypatch.delenv(f"FINDER_{name}", raising=False)
    return data_dir, db


def test_plan_writes_messages_csv_eml_and_letters(cli_env, tmp_path, capsys):
    data_dir, _ = cli_env
    out = tmp_path / "round"
    code, stdout, _ = run_cli(["outreach", "plan", "--district", "Leipzig", "--missing", "languages",
                               "--output", str(out)], capsys)  # fmt: skip
    assert code == 0
    with (out / "messages.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    expected = [r for r in _rows(data_dir) if r["district"] == "Leipzig" and not r["languages"].strip()
                and r["status"] != "closed"]  # fmt: skip
    assert f"planned {len(rows)} offices" in stdout and len(rows) == len(expected)
    assert list(rows[0]) == ["id", "name", "email", "link", "expires", "missing"]
    assert [r["id"] for r in rows] == [r["id"] for r in expected]
    for row in rows:
        assert row["link"].startswith("https://finder.example/sachsen/verify?token=")
        assert "languages" in row["missing"].split(";")
        assert row["expires"] == (dt.datetime.now(dt.UTC) + dt.timedelta(days=60)).date().isoformat()
    with_email = {r["id"] for r in expected if r["email"].strip()}
    assert with_email and {p.stem for p in out.glob("*.eml")} == with_email
    office = next(r for r in rows if r["id"] in with_email)
    message = email.message_from_bytes(
        (out / f"{office['id']}.eml").read_bytes(), policy=email.policy.default
    )
    source = next(r for r in expected if r["id"] == office["id"])
    assert message["To"] == messages.first_email(source["email"]) and "Eintrag" in message["Subject"]
    body = message.get_content()
    assert office["link"] in body and source["name"] in body and "Sprachen der Beratung" in body
    letters = (out / "letters.html").read_text(encoding="utf-8")
    assert letters.count('class="letter"') == len(rows) and letters.count("<svg") == len(rows)
    assert "src=" not in letters and "http" not in letters.replace(office["link"], "").split("<body>")[0]
    assert (out / "messages.csv").stat().st_mode & 0o077 == 0


def test_plan_needs_a_rule_and_skips_offices_with_a_live_link(cli_env, tmp_path, capsys):
    code, _, err = run_cli(["outreach", "plan", "--output", str(tmp_path / "x")], capsys)
    assert code == 2 and "--all" in err
    run_cli(["outreach", "plan", "--kind", "PSZ", "--output", str(tmp_path / "a")], capsys)
    code, stdout, _ = run_cli(["outreach", "plan", "--kind", "PSZ", "--output", str(tmp_path / "b")], capsys)
    assert code == 0 and stdout.startswith("planned 0 offices") and "still hold a link" in stdout
    code, stdout, _ = run_cli(["outreach", "revoke", "psz-leipzig-refugio"], capsys)
    assert code == 0


def test_status_json_and_send_refused_without_smtp(cli_env, tmp_path, capsys):
    run_cli(["outreach", "plan", "--kind", "PSZ", "--output", str(tmp_path / "a")], capsys)
    code, stdout, _ = run_cli(["outreach", "status", "--format", "json"], capsys)
    data = json.loads(stdout)
    assert code == 0 and data["offices"] and {o["state"] for o in data["offices"]} == {"planned"}
    assert set(data["offices"][0]) >= {"id", "state", "sent", "answered", "confirmed"}
    total = data["coverage"][-1]
    assert total["district"] == "(all)" and 0 <= total["share_languages_stated"] <= 1
    assert {"share_confirmed_12m", "share_languages_stated"} <= set(total)
    code, _, err = run_cli(["outreach", "send", "--round", "1"], capsys)
    assert code == 2 and "FINDER_SMTP_HOST" in err
    code, stdout, _ = run_cli(["report", "--format", "json"], capsys)
    reach = json.loads(stdout)["outreach"]
    assert code == 0 and reach["confirmed_by_office_12m"] == 0 and reach["offices"] == total["offices"]
    assert reach["languages_stated"] == total["languages_stated"]


# ------------------------------------------------------------------------------------------ answers
def test_answer_accepted_as_a_whole_reaches_the_card(world, data_dir):
    _, store, outreach, editor = world
    row = next(r for r in _rows(data_dir) if not r["languages"] and r["city"] and r["status"] != "closed")
    token = _one_link(outreach, row["id"])
    hours = "Mo,We 09:00-12:00; Th 13:00-18:00; PH off"
    answer = outreach.submit_changes(
        token, {"opening_hours": "Mo, Mi 9-12; Do 13-18", "opening_hours_osm": hours, "languages": "ar;fa"},
        {"step_free": "ja", "note": "<b>neu</b>"}, summary="hours and languages", client_key="office",
    )  # fmt: skip
    [suggestion] = store.suggestions("open")
    assert suggestion.id == answer.suggestion_id and suggestion.office_id == row["id"]
    assert editor.row(row["id"])["languages"] == row["languages"]  # nothing changes before a review
    change = outreach.accept(answer.id, editor, by="anna")
    new = editor.row(row["id"])
    assert (new["languages"], new["opening_hours_osm"]) == ("ar;fa", hours)
    assert "stufenloser Zugang: ja" in new["notes"] and "<b>neu</b>" not in new["notes"]
    assert outreach.answer(answer.id).extra["note"] == "<b>neu</b>"  # kept for the team, as text
    assert change.action == "accept" and store.suggestion(answer.suggestion_id).status == "accepted"
    settings = _settings.load().with_(data_dir=data_dir, corrections_db=store.url)
    offices = corrections.load_directory(settings, store)
    loaded = offices[offices["id"] == row["id"]].iloc[0]
    assert (loaded["confirmed"], loaded["confirmed_by"]) == (START.date().isoformat(), "office")
    card = share.office_card(loaded, "en", today=START.date())
    assert f"confirmed by the office on {START:%B} {START.day}, {START.year}" in card.dates_text
    # Reverting the accepted change takes the office's confirmation back as well.
    editor.revert(change.id, by="anna")
    assert row["id"] not in outreach.office_confirmations()


def test_everything_correct_is_a_confirmation_at_once(world, data_dir):
    _, _store, outreach, editor = world
    office = _rows(data_dir)[5]["id"]
    change = outreach.confirm(_one_link(outreach, office), editor, client_key="office")
    assert (change.action, change.by) == ("confirm", OFFICE_BY)
    assert outreach.office_confirmations() == {office: START}
    [item] = outreach.answers()
    assert (item.kind, item.status) == ("confirm", "accepted")
    states = plan.office_states(outreach.links(), outreach.answers(), START, {})
    assert [(s["id"], s["state"], s["confirmed"]) for s in states] == [(office, "confirmed", "2026-12-01")]


def test_rejected_answer_changes_nothing(world, data_dir):
    _, _store, outreach, editor = world
    row = _rows(data_dir)[7]
    answer = outreach.submit_changes(_one_link(outreach, row["id"]), {"phone": "0351 999"}, {}, summary="p",
                                     client_key="office")  # fmt: skip
    outreach.reject(answer.id, by="anna")
    assert editor.row(row["id"])["phone"] == row["phone"] and outreach.office_confirmations() == {}
    states = plan.office_states(outreach.links(), outreach.answers(), START, {})
    assert states[0]["state"] == "rejected"


# ------------------------------------------------------------------------------------------ sending
class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # aiosmtpd's start-up check connects to the port: it must be a real one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_local_smtp_server_receives_exactly_the_planned_messages(cli_env, tmp_path, capsys, smtp_server):
    inbox, port = smtp_server
    out = tmp_path / "round"
    run_cli(["outreach", "plan", "--district", "Dresden", "--output", str(out)], capsys)
    planned = {p.stem: email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
               for p in out.glob("*.eml")}  # fmt: skip
    assert len(planned) >= 3
    settings = _settings.load().with_(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
                                      smtp_from="team@beratungsfinder.example", smtp_per_minute=30)  # fmt: skip
    store = corrections.CorrectionStore(settings.corrections_db)
    outreach = OutreachStore(store)
    timer = FakeTimer()
    try:
        result = send_round(outreach, 1, settings, clock=timer.clock, sleep=timer.sleep)
        assert (result.sent, result.failed) == (len(planned), 0)
        received = {}
        for rcpt, content in inbox.messages:
            message = email.message_from_bytes(content, policy=email.policy.default)
            received[message["X-Beratungsfinder-Office"]] = (rcpt, message)
        assert set(received) == set(planned)
        for office_id, (rcpt, message) in received.items():
            assert rcpt == [planned[office_id]["To"]] and message["From"] == "team@beratungsfinder.example"
            assert message.get_content().replace("\r\n", "\n") == planned[office_id].get_content()
        # The rate limit: 30 a minute is one every 2 s; the fake clock only moves when the sender waits.
        assert len(timer.sleeps) == len(planned) - 1 and all(s == pytest.approx(2.0) for s in timer.sleeps)
        log = outreach.send_log(1)
        assert len(log) == len(planned) and {e["outcome"] for e in log} == {"sent"}
        assert all(link.sent_at is not None for link in outreach.links(1) if link.email)
        again = send_round(outreach, 1, settings, clock=timer.clock, sleep=timer.sleep)
        assert again.sent == 0 and len(inbox.messages) == len(planned)
    finally:
        store.dispose()


def test_send_command_uses_the_smtp_settings(cli_env, tmp_path, capsys, smtp_server, monkeypatch):
    inbox, port = smtp_server
    run_cli(["outreach", "plan", "--kind", "ABH", "--output", str(tmp_path / "round")], capsys)
    planned = len(list((tmp_path / "round").glob("*.eml")))
    for name, value in {"HOST": "127.0.0.1", "PORT": str(port), "STARTTLS": "0", "PER_MINUTE": "6000",
                        "FROM": "team@beratungsfinder.example"}.items():  # fmt: skip
        monkeypatch.setenv(f"FINDER_SMTP_{name}", value)
    code, stdout, _ = run_cli(["outreach", "send", "--round", "1"], capsys)
    assert code == 0 and stdout.startswith(f"round 1: {planned} sent, 0 failed")
    assert planned and len(inbox.messages) == planned
    code, stdout, _ = run_cli(["outreach", "status", "--format", "json"], capsys)
    states = [o["state"] for o in json.loads(stdout)["offices"]]
    assert states.count("sent") == planned
