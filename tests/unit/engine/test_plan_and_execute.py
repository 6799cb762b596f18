"""The engine end to end over in-memory services: plans, ordering, hand-offs, failures.

Every scenario ends by asserting the final state of both services: either every site holds
the relay user's current password, or the next plan proposes a change that one apply fixes.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from karto_smtp.engine.address import Address
from karto_smtp.engine.executor import Outcome, StopRequest, execute
from karto_smtp.engine.plan import Action, HandoffDecision
from karto_smtp.engine.planner import DesiredState
from karto_smtp.engine.resource import Ensure, Resource
from karto_smtp.errors import ConfigError
from karto_smtp.secrets import Secret
from tests.unit.engine.fakes import World, make, site, state, user


def run(coroutine):
    return asyncio.run(coroutine)


def apply(world: World, desired: DesiredState, **kwargs):
    planned = run(make(world, desired, **kwargs))
    return planned, run(execute(planned, world.providers()))


def two_sites() -> DesiredState:
    return state(user("karto", note="Auth mail"), site("a", "karto"), site("b", "karto"))


def converged(world: World, *sites: str) -> bool:
    password = world.password("karto")
    return password is not None and all(world.site_password(s) == password for s in sites)


def next_plan_changes(world: World, desired: DesiredState) -> bool:
    return run(make(world, desired)).plan.summary.has_changes


def test_first_apply_makes_one_password_and_hands_it_to_every_site():
    world = World()
    planned, result = apply(world, two_sites())
    assert [c.action for c in planned.plan.changes] == [Action.CREATE] * 3
    assert result.status == "success"
    assert converged(world, "a", "b")
    assert not next_plan_changes(world, two_sites())


def test_the_producer_is_written_before_any_consumer():
    world = World()
    apply(world, two_sites())
    writers = [(w[0], w[1]) for w in world.relay.writes + world.app.writes]
    assert writers[0] == ("POST", "karto")
    order = [w for w in (world.relay.writes + world.app.writes)]
    assert order[0][1] == "karto"


def test_a_wiped_site_is_repaired_for_every_site_at_once():
    world = World()
    apply(world, two_sites())
    world.app.objects["b"].pop("password")
    planned = run(make(world, two_sites()))
    handoff = planned.plan.handoffs[0]
    assert handoff.decision is HandoffDecision.REPAIR
    assert [c.receives for c in handoff.consumers] == [True, True]
    assert planned.plan.drift == [
        'app.site["b"]: no longer holds the password of relay user karto that karto-smtp handed to it'
    ]
    run(execute(planned, world.providers()))
    assert converged(world, "a", "b")
    assert not next_plan_changes(world, two_sites())


def test_a_failed_consumer_write_leaves_a_plan_that_one_apply_fixes():
    world = World()
    world.app.fail["b"] = "refuse"
    _, result = apply(world, two_sites())
    assert result.status == "partial"
    assert [d.missed for d in result.deliveries] == [['app.site["b"]']]
    assert result.warnings == [
        'the password of relay user karto was set on relay.user["karto"] but did not reach '
        'app.site["b"]; `karto-smtp plan` shows the repair and one `karto-smtp apply` makes it'
    ]
    assert not converged(world, "a", "b")
    planned = run(make(world, two_sites()))
    assert planned.plan.handoffs[0].decision is HandoffDecision.REPAIR
    run(execute(planned, world.providers()))
    assert converged(world, "a", "b")


def test_a_failed_producer_write_delivers_nothing_and_changes_nothing():
    world = World()
    apply(world, two_sites())
    before = (world.password("karto"), world.site_password("a"), world.site_password("b"))
    world.relay.fail["karto"] = "refuse"
    planned, result = apply(world, two_sites(), rotate=["karto"])
    assert [r.outcome for r in result.results] == [
        Outcome.FAILED,
        Outcome.NOT_ATTEMPTED,
        Outcome.NOT_ATTEMPTED,
    ]
    assert (world.password("karto"), world.site_password("a"), world.site_password("b")) == before
    assert not next_plan_changes(world, two_sites())


def test_a_producer_write_that_ran_but_lost_its_answer_is_seen_by_the_next_plan():
    world = World()
    apply(world, two_sites())
    world.relay.fail["karto"] = "lost-answer"
    apply(world, two_sites(), rotate=["karto"])
    assert not converged(world, "a", "b")
    planned = run(make(world, two_sites()))
    assert planned.plan.handoffs[0].decision is HandoffDecision.REPAIR
    run(execute(planned, world.providers()))
    assert converged(world, "a", "b")


def test_a_hand_made_setup_is_taken_over_once():
    world = World()
    world.relay.objects["karto"] = {"note": "made by hand", "password": "typed"}
    world.app.objects["a"] = {"host": "relay.example", "password": "typed "}
    desired = state(user("karto", note="made by hand"), site("a", "karto"))
    planned = run(make(world, desired))
    assert planned.plan.handoffs[0].decision is HandoffDecision.TAKE_OVER
    assert planned.plan.changes[0].reasons[0].startswith("take-over: ")
    run(execute(planned, world.providers()))
    assert converged(world, "a")
    assert not next_plan_changes(world, desired)


def test_two_concurrent_applies_never_leave_a_split_the_next_plan_calls_clean():
    """Run A sets the producer, run B does everything, then A delivers its older value."""
    world = World()
    apply(world, two_sites())
    run_a = run(make(world, two_sites(), rotate=["karto"]))
    run_b = run(make(world, two_sites(), rotate=["karto"]))

    async def race():
        b_done = asyncio.Event()
        app_type = type(world.providers()["app"])

        class Slow(app_type):
            async def send(self, request, resource):
                await b_done.wait()
                return await super().send(request, resource)

        providers_a = world.providers()
        providers_a["app"] = Slow(world.app)
        task_a = asyncio.create_task(execute(run_a, providers_a))
        await asyncio.sleep(0)
        while not world.relay.writes:
            await asyncio.sleep(0)
        result_b = await execute(run_b, world.providers())
        b_done.set()
        return await task_a, result_b

    result_a, result_b = run(race())
    assert result_b.status == "success"
    assert result_a.status == "error"
    assert result_a.warnings == [
        "relay user karto changed while this apply ran (another apply, or a person, set a new "
        "password): run `karto-smtp plan`; it shows what to repair"
    ]
    assert not converged(world, "a", "b")
    repair = run(make(world, two_sites()))
    assert repair.plan.handoffs[0].decision is HandoffDecision.REPAIR
    run(execute(repair, world.providers()))
    assert converged(world, "a", "b")
    assert not next_plan_changes(world, two_sites())


def test_a_record_replaced_during_the_run_is_reported():
    world = World()
    apply(world, two_sites())
    planned = run(make(world, two_sites(), rotate=["karto"]))

    class Meddling(type(world.providers()["app"])):
        async def send(self, request, resource):
            found = await super().send(request, resource)
            world.relay.objects["karto"]["note"] = "Auth mail [karto-smtp:1 @=000000000000]"
            return found

    providers = world.providers()
    providers["app"] = Meddling(world.app)
    result = run(execute(planned, providers))
    assert result.status == "error"
    assert result.warnings[-1].startswith("relay user karto changed while this apply ran")
    assert next_plan_changes(world, two_sites())


def test_the_records_are_read_back_once_per_service_however_many_were_written():
    world = World()
    desired = state(user("karto"), user("news"), site("a", "karto"), site("b", "news"))
    planned = run(make(world, desired))
    reads_before = world.relay.reads
    result = run(execute(planned, world.providers()))
    assert result.status == "success"
    assert world.relay.reads - reads_before == 1
    assert world.site_password("a") == world.password("karto") is not None
    assert world.site_password("b") == world.password("news") is not None
    assert not next_plan_changes(world, desired)


def test_a_known_password_is_compared_and_only_missing_sites_receive_it():
    world = World()
    secret = Secret("from-the-vault-1")
    desired = state(
        user("karto", password=secret, generated=False), site("a", "karto"), site("b", "karto")
    )
    apply(world, desired)
    assert world.password("karto") == "from-the-vault-1"
    assert converged(world, "a", "b")
    world.app.objects["b"]["password"] = "typed by hand"
    world.relay.writes.clear()
    planned, _ = apply(world, desired)
    assert planned.plan.handoffs[0].decision is HandoffDecision.DELIVER
    assert world.relay.writes == []
    assert converged(world, "a", "b")


def test_a_masked_site_never_loops():
    world = World()
    apply(world, two_sites())
    world.app.masked = True
    planned = run(make(world, two_sites()))
    assert not planned.plan.summary.has_changes
    notes = [n for c in planned.plan.changes for n in c.notes]
    assert len(notes) == 2 and all("cannot tell whether it holds" in n for n in notes)


def test_a_write_the_service_did_not_keep_is_reported_unverified():
    world = World()

    class Forgetful(type(world.providers()["app"])):
        async def send(self, request, resource):
            request = dataclasses.replace(
                request, body={k: v for k, v in request.body.items() if k != "host"}
            )
            return await super().send(request, resource)

    desired = two_sites()
    planned = run(make(world, desired))
    providers = world.providers()
    providers["app"] = Forgetful(world.app)
    result = run(execute(planned, providers))
    assert result.result_for('app.site["a"]').outcome is Outcome.UNVERIFIED
    assert result.result_for('app.site["a"]').message == "it shows host = None"
    assert result.status == "partial"
    assert next_plan_changes(world, desired)


def test_an_unexpected_error_in_a_write_surfaces_as_itself():
    world = World()

    class Broken(type(world.providers()["app"])):
        async def send(self, request, resource):
            raise RuntimeError("the provider broke")

    planned = run(make(world, two_sites()))
    providers = world.providers()
    providers["app"] = Broken(world.app)
    with pytest.raises(RuntimeError, match="the provider broke"):
        run(execute(planned, providers))
    # The app holds no site and so no password: the next plan still shows the work.
    assert world.app.objects == {}
    assert next_plan_changes(world, two_sites())


def test_a_stop_request_finishes_a_started_hand_off_and_skips_the_rest():
    world = World()
    apply(world, two_sites())
    desired = two_sites()
    desired.resources.append(
        Resource(address=Address("app", "site", "other"), label="site other", fields={"host": "x"})
    )
    planned = run(make(world, desired, rotate=["karto"]))
    stop = StopRequest()

    class Stopping(type(world.providers()["relay"])):
        async def send(self, request, resource):
            found = await super().send(request, resource)
            stop.request("SIGINT")
            return found

    providers = world.providers()
    providers["relay"] = Stopping(world.relay)
    # "other" has no dependency: it would start at once, so hold it behind the producer.
    planned.plan.changes[-1].depends_on.append('relay.user["karto"]')
    result = run(execute(planned, providers, stop=stop))
    assert result.interrupted == "SIGINT"
    assert result.result_for('app.site["a"]').outcome is Outcome.APPLIED
    assert result.result_for('app.site["b"]').outcome is Outcome.APPLIED
    assert result.result_for('app.site["other"]').outcome is Outcome.NOT_ATTEMPTED
    assert converged(world, "a", "b")


def test_order_comes_from_declared_dependencies_and_deletes_go_last():
    world = World()
    world.relay.objects["old"] = {"note": "x"}
    sender = Resource(address=Address("relay", "sender", "s"), label="sender s")
    relay_user, credential = user("karto", depends_on=[sender.address])
    gone, _ = user("old", generated=False, ensure=Ensure.ABSENT)
    desired = state((site("a", "karto")), (gone, None), (relay_user, credential), (sender, None))
    planned = run(make(world, desired))
    assert [c.address for c in planned.plan.actionable] == [
        'relay.sender["s"]',
        'relay.user["karto"]',
        'app.site["a"]',
        'relay.user["old"]',
    ]


def test_targets_are_checked_before_reading_and_pull_in_the_whole_hand_off():
    world = World()
    with pytest.raises(ConfigError, match="--target nothing matches nothing in karto.yaml"):
        run(make(world, two_sites(), targets=["nothing"]))
    assert world.relay.reads == world.app.reads == 0
    planned = run(make(world, two_sites(), targets=['app.site["a"]']))
    assert {c.address for c in planned.plan.changes} == {
        'relay.user["karto"]',
        'app.site["a"]',
        'app.site["b"]',
    }


def test_rotating_an_unknown_name_fails_before_any_read():
    world = World()
    with pytest.raises(ConfigError, match=r"--rotate-password nobody: .*\(known: karto\)"):
        run(make(world, two_sites(), rotate=["nobody"]))
    assert world.relay.reads == 0


def test_plan_requests_hold_placeholders_never_values():
    world = World()
    planned = run(make(world, two_sites()))
    bodies = [r.body for c in planned.plan.changes for r in c.requests]
    assert bodies[0] == {
        "note": "Auth mail [karto-smtp hand-off record, made at apply]",
        "password": {"$secret": 'relay.user["karto"].password'},
    }
    assert bodies[1] == {
        "host": "relay.example",
        "password": {"$secret": 'relay.user["karto"].password'},
    }


def test_an_object_that_is_due_plans_an_update_and_stays_unverified_until_settled():
    world = World()
    world.relay.objects["karto"] = {"note": "x", "pending": True}

    class Pending(type(world.providers()["relay"])):
        def due(self, resource, live):
            stored = world.relay.objects.get(resource.address.key, {})
            return ["pending: the service has not checked it yet"] if stored.get("pending") else []

    desired = state(user("karto", note="x", generated=False))
    providers = world.providers()
    providers["relay"] = Pending(world.relay)
    planned = run(plan_with(providers, desired))
    assert [(c.action, c.reasons) for c in planned.plan.actionable] == [
        (Action.UPDATE, ["pending: the service has not checked it yet"])
    ]
    result = run(execute(planned, providers))
    assert result.results[0].outcome is Outcome.UNVERIFIED
    assert result.results[0].message == "pending: the service has not checked it yet"
    world.relay.objects["karto"]["pending"] = False
    assert not run(plan_with(providers, desired)).plan.summary.has_changes


async def plan_with(providers, desired):
    from karto_smtp.engine.plan import PlanOptions
    from karto_smtp.engine.planner import plan
    from tests.unit.engine.fakes import CONFIG

    return await plan(desired, providers, CONFIG, PlanOptions())
