"""A sample plugin using the config-section, plan-check, lifecycle and resource-backend hooks."""

import attrs

from muskox import hookimpl
from muskox.config import setting
from muskox.model.operations import Operation
from muskox.plan.checks import CheckFinding
from muskox.plugin.interfaces import ResourceBackend

EVENTS: list = []


@attrs.frozen(kw_only=True)
class SampleSection:
    token: str = setting("", "an API token", secret=True)
    retries: int = setting(3, "how often to retry")
    channels: list[str] = setting([], "where to post")
    enabled: bool = setting(False, "on or off")


@hookimpl
def muskox_register_config_sections(register):
    register("sample_section", SampleSection)


@hookimpl
def muskox_check_plan(plan):
    found = [CheckFinding.warning("sample_seen", f"{len(plan.operations)} operation(s)")]
    if any(getattr(op, "table", None) == "forbidden" for op in plan.operations):
        found.append(CheckFinding.error("sample_forbidden", "table 'forbidden' may not change", "forbidden"))
    return found


@hookimpl
def muskox_apply_started(run):
    EVENTS.append(("started", run.label, len(run.operations)))


@hookimpl
def muskox_operation_applied(run, event):
    EVENTS.append(("applied", event.index, event.outcome, event.error))
    raise RuntimeError("the audit sink is down")  # must never change the migration's outcome


@hookimpl
def muskox_apply_finished(run, result):
    EVENTS.append(("finished", result.outcome))


@attrs.frozen(kw_only=True)
class PokeDns(Operation):
    backend = "dns"  # type: ignore[assignment]
    name: str

    def subject(self):
        return (None, self.name)

    def describe(self):
        return f"Poking DNS record '{self.name}'"


class DnsBackend(ResourceBackend):
    applied: list = []

    @classmethod
    def from_config(cls, config):
        return cls()

    def apply(self, operation):
        DnsBackend.applied.append(operation.name)

    def close(self):
        DnsBackend.applied.append("closed")


@hookimpl
def muskox_register_resource_backends(register):
    register("dns", DnsBackend)


@hookimpl
def muskox_register_operations(register):
    register("PokeDns", PokeDns)
