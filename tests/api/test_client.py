"""The client against the real server: sign-in, the appointment flow, refresh, errors, paging."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta, timezone

import httpx
import pytest

from apptdesk.api import (
    ApiClient,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    RateLimited,
    ServerUnavailable,
    Unauthorized,
    ValidationFailed,
)
from apptdesk.domain import Action, AppointmentStatus, Relation, Role
from apptdesk.server.embedded import ServerThread
from tests.api.helpers import Recorder, later, run, sign_in
from tests.support import world
from tests.support.api import MutableClock

A = Action


def test_login_and_me(server: ServerThread) -> None:
    recorder = Recorder()

    async def scenario() -> None:
        async with recorder.attach(ApiClient(server.url)) as api:
            session = await sign_in(api, "p1")
            assert session.user.email == world.email("p1")
            assert session.user.role is Role.PROVIDER
            assert session.user.timezone == "America/New_York"
            assert session.tokens.expires_in == 15 * 60
            assert api.is_signed_in
            assert api.user == session.user
            me = await api.me()
            assert me == session.user
            assert recorder.tokens == [session.tokens.refresh_token]
            assert "apd_" not in repr(session)  # tokens stay out of reprs and so out of logs

    run(scenario())


def test_wrong_password_is_unauthorized_without_ending_a_session(server: ServerThread) -> None:
    recorder = Recorder()

    async def scenario() -> None:
        async with recorder.attach(ApiClient(server.url)) as api:
            with pytest.raises(Unauthorized) as caught:
                await api.login(world.email("r1"), "not-the-password")
            assert caught.value.user_message == "The email or password is not correct."
            assert not api.is_signed_in
            with pytest.raises(Unauthorized) as not_signed_in:
                await api.me()
            assert not_signed_in.value.user_message == "Please sign in first."

    run(scenario())
    assert recorder.ended == 0
    assert recorder.tokens == []


def test_full_flow_create_accept_reschedule_reaccept_complete(
    server: ServerThread, clock: MutableClock
) -> None:
    async def scenario() -> None:
        async with ApiClient(server.url) as r1, ApiClient(server.url) as p1:
            rita, paul = (await sign_in(r1, "r1")).user, (await sign_in(p1, "p1")).user

            cases = await r1.all_cases()
            assert [c.id for c in cases] == ["C-1"]
            assert cases[0].relation_for(rita) is Relation.PROPOSER
            assert cases[0].can_create(rita)

            created = await r1.create_appointment("C-1", later(clock), 45, "Discuss the MRI")
            assert created.status is AppointmentStatus.PENDING
            assert created.type is Role.REQUESTER
            assert created.duration_minutes == 45
            assert created.end - created.start == timedelta(minutes=45)
            assert created.start.utcoffset() == timedelta(0)
            assert created.timezone == "Europe/Berlin"  # the creator's zone
            assert created.awaiting == paul.as_person()
            assert created.is_awaiting(paul)
            assert created.other_party(rita) == paul.as_person()
            assert created.other_party(paul) == rita.as_person()
            assert created.relation_for(rita) is Relation.PROPOSER
            assert created.relation_for(paul) is Relation.COUNTERPART
            assert created.allowed_actions(rita, clock()) == {A.VIEW, A.EDIT, A.CANCEL}
            assert created.allowed_actions(paul, clock()) == {A.VIEW, A.ACCEPT, A.REJECT, A.CANCEL}
            assert (await r1.case("C-1")).pending_appointments == 1

            seen_by_paul = await p1.appointment(created.id)
            assert seen_by_paul == created
            assert created.etag == f'"{created.version}"'
            accepted = await p1.accept(seen_by_paul)
            assert accepted.status is AppointmentStatus.ACCEPTED
            assert accepted.awaiting is None
            assert accepted.version == created.version + 1
            assert accepted.allowed_actions(paul, clock()) == {A.VIEW, A.RESCHEDULE, A.CANCEL}
            assert accepted.allowed_actions(rita, clock()) == {A.VIEW, A.EDIT, A.RESCHEDULE, A.CANCEL}

            soon = later(clock, minutes=5)
            moved = await r1.update_appointment(await r1.appointment(created.id), start=soon)
            assert moved.status is AppointmentStatus.PENDING
            assert moved.start == soon
            assert moved.duration_minutes == 45
            assert moved.proposed_by == rita.as_person()
            assert moved.awaiting == paul.as_person()
            assert moved.purpose == "Discuss the MRI"

            reaccepted = await p1.accept(moved)
            assert reaccepted.status is AppointmentStatus.ACCEPTED
            assert A.COMPLETE not in reaccepted.allowed_actions(rita, clock())  # not started yet

            clock.advance(timedelta(minutes=10))
            assert A.COMPLETE in reaccepted.allowed_actions(rita, clock())
            completed = await r1.complete(reaccepted)
            assert completed.status is AppointmentStatus.COMPLETED
            assert completed.is_final
            assert completed.allowed_actions(rita, clock()) == {A.VIEW}

            history = await p1.history(completed)
            assert [e.action for e in history] == [
                "created",
                "accepted",
                "rescheduled",
                "accepted",
                "completed",
            ]
            assert history[0].actor == rita.as_person()
            assert history[0].from_status is None
            assert history[2].changes["start"][1] == soon.isoformat().replace("+00:00", "Z")
            assert history[-1].to_status is AppointmentStatus.COMPLETED

    run(scenario())


def test_edit_purpose_reject_and_cancel(server: ServerThread, clock: MutableClock) -> None:
    async def scenario() -> None:
        async with ApiClient(server.url) as r1, ApiClient(server.url) as p1:
            await sign_in(r1, "r1")
            await sign_in(p1, "p1")
            first = await p1.create_appointment("C-1", later(clock), purpose="Old", timezone="Asia/Tokyo")
            assert first.type is Role.PROVIDER
            assert first.timezone == "Asia/Tokyo"
            edited = await p1.update_appointment(first.id, version=first.version, purpose=None)
            assert edited.purpose is None
            assert edited.status is AppointmentStatus.PENDING
            rejected = await r1.reject(edited, "  Not a good day  ")
            assert rejected.status is AppointmentStatus.REJECTED
            assert rejected.reason == "Not a good day"

            second = await r1.create_appointment("C-1", later(clock, days=2))
            canceled = await r1.cancel(second.id)  # a bare id: no If-Match, no reason
            assert canceled.status is AppointmentStatus.CANCELED
            assert canceled.reason is None

    run(scenario())


def test_silent_refresh_when_the_access_token_expired(server: ServerThread, clock: MutableClock) -> None:
    recorder = Recorder()

    async def scenario() -> None:
        async with recorder.attach(ApiClient(server.url)) as api:
            session = await sign_in(api, "r1")
            clock.advance(timedelta(minutes=16))
            assert (await api.me()).id == session.user.id  # refused, refreshed, retried
            assert len(recorder.tokens) == 2
            assert recorder.tokens[1] not in (None, session.tokens.refresh_token)
            assert api.refresh_token == recorder.tokens[1]
            page = await api.appointments()  # and the new access token keeps working
            assert page.items == ()

    run(scenario())
    assert recorder.ended == 0


def test_session_end_raises_unauthorized_and_tells_the_app_once(
    server: ServerThread, clock: MutableClock
) -> None:
    recorder = Recorder()

    async def scenario() -> None:
        async with recorder.attach(ApiClient(server.url)) as api:
            await sign_in(api, "r1")
            clock.advance(timedelta(hours=13))
            with pytest.raises(Unauthorized) as caught:
                await api.me()
            assert caught.value.user_message == "Your session has ended. Please sign in again."
            assert not api.is_signed_in
            assert api.user is None
            with pytest.raises(Unauthorized):
                await api.cases()

    run(scenario())
    assert recorder.ended == 1
    assert recorder.tokens[-1] is None


def test_concurrent_calls_after_expiry_share_one_refresh(server: ServerThread, clock: MutableClock) -> None:
    refreshes: list[str] = []

    async def count(request: httpx.Request) -> None:
        if request.url.path.endswith("/auth/refresh"):
            refreshes.append(request.url.path)

    recorder = Recorder()

    async def scenario() -> None:
        api = recorder.attach(ApiClient(server.url, event_hooks={"request": [count]}))
        async with api:
            await sign_in(api, "r1")
            await api.create_appointment("C-1", later(clock))
            clock.advance(timedelta(minutes=16))
            results = await asyncio.gather(
                *(api.me() for _ in range(4)),
                *(api.appointments() for _ in range(4)),
                *(api.cases() for _ in range(4)),
            )
            assert len(results) == 12

    run(scenario())
    assert len(refreshes) == 1
    assert len(recorder.tokens) == 2
    assert recorder.ended == 0


def test_resume_from_a_stored_refresh_token_and_logout(server: ServerThread) -> None:
    stored: list[str | None] = []

    async def scenario() -> None:
        async with ApiClient(server.url) as first:
            first.on_tokens_changed = stored.append
            await sign_in(first, "p2")
        async with ApiClient(server.url) as second:
            second.on_tokens_changed = stored.append
            token = stored[-1]
            assert token is not None
            session = await second.resume(token)
            assert session.user.email == world.email("p2")
            assert (await second.me()).name == "Pia Outsider"
            kept = second.refresh_token
            await second.logout()
            assert not second.is_signed_in
            assert stored[-1] is None
            with pytest.raises(Unauthorized):
                await second.me()
        async with recorder.attach(ApiClient(server.url)) as third:
            assert kept is not None
            with pytest.raises(Unauthorized) as caught:  # logout ended the sign-in on the server too
                await third.resume(kept)
            assert "sign in again" in caught.value.user_message
            assert not third.is_signed_in

    recorder = Recorder()
    run(scenario())
    assert recorder.ended == 0  # nothing was signed in: not a session ending


def test_conflict_and_precondition_failed_have_plain_messages(
    server: ServerThread, clock: MutableClock
) -> None:
    async def scenario() -> None:
        async with ApiClient(server.url) as r1, ApiClient(server.url) as p1:
            await sign_in(r1, "r1")
            await sign_in(p1, "p1")
            created = await r1.create_appointment("C-1", later(clock))
            stale = await p1.appointment(created.id)
            edited = await r1.update_appointment(created, purpose="Bring the scans")

            with pytest.raises(PreconditionFailed) as stale_accept:
                await p1.accept(stale)  # the provider would accept what they no longer see
            error = stale_accept.value
            assert error.status == 412
            assert error.current_version == edited.version
            assert error.user_message.startswith("Someone else changed this appointment")
            with pytest.raises(PreconditionFailed):
                await r1.update_appointment(created, duration_minutes=60)

            accepted = await p1.accept(edited)
            with pytest.raises(Conflict) as twice:
                await p1.accept(accepted)
            assert twice.value.status == 409
            assert "cannot be accepted" in twice.value.detail
            assert "cannot be accepted" in twice.value.user_message
            assert "reload" in twice.value.user_message.lower()

    run(scenario())


def test_validation_errors_carry_the_servers_detail(server: ServerThread, clock: MutableClock) -> None:
    async def scenario() -> None:
        async with ApiClient(server.url) as api:
            await sign_in(api, "r1")
            with pytest.raises(ValidationFailed) as past:
                await api.create_appointment("C-1", later(clock, hours=-1))
            assert past.value.status == 422
            assert past.value.detail == "start: the appointment must start in the future."
            assert past.value.user_message == "Start time: the appointment must start in the future."
            assert past.value.field_errors == {"start": "the appointment must start in the future."}

            with pytest.raises(ValidationFailed) as short:
                await api.create_appointment("C-1", later(clock), duration_minutes=2)
            assert "duration_minutes" in short.value.field_errors
            assert short.value.user_message.startswith("Duration: ")

            with pytest.raises(ValidationFailed) as zone:
                await api.create_appointment("C-1", later(clock), timezone="Mars/Olympus")
            assert "Mars/Olympus" in zone.value.user_message

            with pytest.raises(ValidationFailed) as cursor:
                await api.appointments(cursor="garbage!")
            assert cursor.value.status == 400

            with pytest.raises(ValueError, match="timezone-aware"):
                await api.create_appointment("C-1", later(clock).replace(tzinfo=None))

    run(scenario())


def test_outsider_gets_not_found_and_admin_forbidden(server: ServerThread, clock: MutableClock) -> None:
    async def scenario() -> None:
        async with ApiClient(server.url) as r1, ApiClient(server.url) as r2, ApiClient(server.url) as admin:
            await sign_in(r1, "r1")
            await sign_in(r2, "r2")
            ada = (await sign_in(admin, "admin")).user
            created = await r1.create_appointment("C-1", later(clock))
            for call in (r2.appointment(created.id), r2.history(created.id), r2.accept(created.id)):
                with pytest.raises(NotFound) as hidden:
                    await call
                assert hidden.value.user_message.startswith("Appointment not found.")
            with pytest.raises(NotFound) as case:
                await r2.case("C-1")
            assert case.value.detail == "Case not found."
            with pytest.raises(NotFound):
                await r2.create_appointment("C-1", later(clock))

            seen = await admin.appointment(created.id)
            assert seen.relation_for(ada) is Relation.ADMIN
            assert seen.other_party(ada) is None
            assert seen.allowed_actions(ada) == {A.VIEW}
            with pytest.raises(Forbidden) as readonly:
                await admin.cancel(seen, "no")
            assert readonly.value.user_message == "Administrators have read-only access to appointments."

    run(scenario())


def test_pagination_and_filters(server: ServerThread, clock: MutableClock) -> None:
    async def scenario() -> None:
        async with ApiClient(server.url) as r1, ApiClient(server.url) as p1, ApiClient(server.url) as admin:
            await sign_in(r1, "r1")
            await sign_in(p1, "p1")
            await sign_in(admin, "admin")
            made = [
                await r1.create_appointment("C-1", later(clock, days=1 + i), purpose=f"Visit {i}")
                for i in range(7)
            ]
            await p1.accept(made[0])
            await p1.accept(made[1])

            first = await r1.appointments(limit=3)
            assert len(first.items) == 3
            assert first.next_cursor is not None
            assert not first.is_last
            second = await r1.appointments(limit=3, cursor=first.next_cursor)
            assert [a.id for a in first.items + second.items] == [a.id for a in made[:6]]

            everything = await r1.all_appointments(page_size=2)
            assert [a.id for a in everything] == [a.id for a in made]
            accepted = await r1.all_appointments(status=AppointmentStatus.ACCEPTED, page_size=1)
            assert [a.id for a in accepted] == [made[0].id, made[1].id]
            both = await r1.appointments(status=[AppointmentStatus.PENDING, AppointmentStatus.ACCEPTED])
            assert len(both.items) == 7
            found = await p1.appointments(q="visit 3")
            assert [a.id for a in found.items] == [made[3].id]

            # An aware datetime with a "+" offset must survive the query string.
            plus_two = timezone(timedelta(hours=2))
            window = await r1.appointments(
                date_from=made[2].start.astimezone(plus_two), date_to=made[4].start.astimezone(plus_two)
            )
            assert [a.id for a in window.items] == [made[2].id, made[3].id]
            by_day = await r1.appointments(date_from=date(2000, 1, 1), date_to=date(2000, 1, 2))
            assert by_day.items == ()

            in_case = await p1.case_appointments("C-1", status=AppointmentStatus.PENDING, limit=2)
            assert len(in_case.items) == 2
            assert in_case.next_cursor is not None
            assert (await admin.appointments(case_id="C-2")).items == ()

            admin_cases = await admin.all_cases(page_size=1)
            assert [c.id for c in admin_cases] == ["C-1", "C-2"]
            one = await admin.cases(limit=1)
            assert len(one.items) == 1
            assert one.next_cursor is not None
            assert (await r1.case("C-1")).pending_appointments == 5

    run(scenario())


def test_rate_limited_login_reports_retry_after(server: ServerThread) -> None:
    async def scenario() -> RateLimited:
        async with ApiClient(server.url) as api:
            for _ in range(10):
                try:
                    await api.login(world.email("r2"), "wrong")
                except RateLimited as exc:
                    return exc
                except Unauthorized:
                    continue
        raise AssertionError("never rate limited")

    error = run(scenario())
    assert error.status == 429
    assert error.retry_after is not None
    assert error.retry_after > 0
    assert "Too many failed sign-in attempts" in error.user_message


def test_stopped_server_is_server_unavailable(server: ServerThread) -> None:
    async def scenario() -> None:
        async with ApiClient(server.url) as api:
            await sign_in(api, "r1")
            server.stop()
            for call in (api.me(), api.appointments(), api.refresh()):
                with pytest.raises(ServerUnavailable) as caught:
                    await call
                assert caught.value.status is None
                assert caught.value.user_message.startswith("The server cannot be reached")
                assert not isinstance(caught.value, httpx.HTTPError)
            assert api.is_signed_in  # an unreachable server does not end the sign-in
            await api.logout()  # best effort: never raises

    run(scenario())


def test_no_tokens_or_passwords_in_logs(
    server: ServerThread, clock: MutableClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str | None] = []

    async def scenario() -> str:
        async with ApiClient(server.url) as api:
            api.on_tokens_changed = seen.append
            session = await sign_in(api, "r1")
            clock.advance(timedelta(minutes=16))
            await api.me()
            await api.logout()
            return session.tokens.access_token

    access = run(scenario())
    secrets = [world.PASSWORD, access, *(token for token in seen if token)]
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "/auth/refresh" in text  # the requests are logged
    for secret in secrets:
        assert secret not in text
