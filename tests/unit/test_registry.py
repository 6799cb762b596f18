"""A new service is a new provider module plus one registry line: nothing in the core changes.

The test registers a third service, defined here, that makes a secret another service's
resource consumes; plan and apply work across all of them through the registry alone.
"""

from __future__ import annotations

import asyncio
import sys
import types

from karto_smtp.engine.address import Address
from karto_smtp.engine.executor import execute
from karto_smtp.engine.plan import ConfigRef, PlanOptions
from karto_smtp.engine.planner import plan
from karto_smtp.engine.provider import Desired
from karto_smtp.engine.resource import Credential, CredentialName, Resource
from karto_smtp.providers import registry
from tests.unit.engine.fakes import App, Relay, Service


class _Keys:
    name = "keys"
    title = "Keys"

    def __init__(self) -> None:
        self.service = Service()

    def desired(self, loaded, environ):
        address = Address("keys", "api_key", "sending")
        credential = Credential(
            id=f"{address}.password",
            label="the sending key",
            value=None,
            producer=address,
            name=CredentialName("keys", "sending"),
        )
        resource = Resource(address=address, label="key sending", secrets={"password": credential})
        return Desired([resource], [credential])

    def open(self, loaded, environ):
        return Relay(self.service)


class _Sites:
    name = "sites"
    title = "Sites"

    def __init__(self) -> None:
        self.service = Service()

    def desired(self, loaded, environ):
        resource = Resource(
            address=Address("sites", "site", "shop"),
            label="site shop",
            fields={"host": "smtp.keys.example"},
            secrets={"password": CredentialName("keys", "sending")},
        )
        return Desired([resource], [])

    def open(self, loaded, environ):
        return App(self.service)


def test_a_service_added_by_one_registry_line_plans_and_applies(monkeypatch):
    keys, sites = _Keys(), _Sites()
    for name, factory in (("keys", keys), ("sites", sites)):
        module = types.ModuleType(f"tests_fake_{name}")
        module.factory = factory
        monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(
        registry, "SERVICES", {"keys": "tests_fake_keys", "sites": "tests_fake_sites"}
    )
    state = registry.desired_state(loaded=None, environ={})
    providers = registry.open_providers(None, {}, ["keys", "sites"])
    planned = asyncio.run(
        plan(state, providers, ConfigRef(path="k.yaml", digest="0"), PlanOptions())
    )
    assert [h.decision for h in planned.plan.handoffs] == ["create"]
    asyncio.run(execute(planned, providers))
    secret = keys.service.objects["sending"]["password"]
    assert sites.service.objects["shop"]["password"] == secret
