"""Who may see and do what: roles and region/country scopes from the provider's claims.

No Streamlit here. The UI reads the signed-in user's claims, calls
:func:`identity_from_claims` once per session, and applies the scope once,
where the session's data is prepared (:func:`scope_frame`); paths that read
the store directly narrow their filter with :func:`scope_filter`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ocops.config import AuthSettings
from ocops.geo import CountryIndex
from ocops.ingest.normalise import Prepared
from ocops.ingest.report import RowError
from ocops.queries import Filter

ROLES: tuple[str, ...] = ("viewer", "analyst", "data officer", "admin")
RANK = {role: index for index, role in enumerate(ROLES)}
# What each permission needs at least.
PERMISSIONS = {"view": "viewer", "records": "analyst", "export": "analyst", "upload": "data officer",
               "audit": "admin"}
NO_COUNTRY = "---"  # a country code no record has: a filter that selects nothing


@dataclass(frozen=True)
class Scope:
    """The countries a user may see; ``countries`` None means every country."""

    countries: frozenset[str] | None = None
    labels: tuple[str, ...] = ()  # the regions and countries as the claims named them, for display

    @property
    def everything(self) -> bool:
        """Whether the scope is unrestricted."""
        return self.countries is None

    def allows(self, iso3: str) -> bool:
        """Whether records of ``iso3`` are in scope."""
        return self.countries is None or iso3 in self.countries

    def describe(self) -> str:
        """A short text for captions and the audit log."""
        return "all regions and countries" if self.everything else ", ".join(self.labels)


EVERYTHING = Scope()


@dataclass(frozen=True)
class Identity:
    """A signed-in user as ocops sees them: name, highest recognised role, scope."""

    user: str
    role: str | None
    scope: Scope | None
    signed_in_at: dt.datetime | None = None

    @property
    def allowed(self) -> bool:
        """Whether the user has a recognised role and a scope (else they see only a plain message)."""
        return self.role is not None and self.scope is not None

    def can(self, permission: str) -> bool:
        """Whether the role allows ``permission`` (view, records, export, upload, audit)."""
        return self.allowed and RANK[self.role or "viewer"] >= RANK[PERMISSIONS[permission]]

    def scope_text(self) -> str:
        """The scope in words ('no scope' when the claims named none)."""
        return "no scope" if self.scope is None else self.scope.describe()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the audit log."""
        return {"role": self.role, "scope": None if self.scope is None else self.scope.describe()}


def is_loopback(address: str | None) -> bool:
    """Whether a server bound to ``address`` is reachable only from this machine (unset: every interface)."""
    if not address:
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def refusal(address: str | None) -> str:
    """Why the app will not serve without sign-in on a non-loopback address, and what to do."""
    shown = address or "(unset: every interface)"
    return (f"ocops refuses to serve: no sign-in is configured and server.address is {shown}, which other "
            "machines can reach. Configure sign-in ([auth] in .streamlit/secrets.toml, see 'Deploying for a "
            "team' in the README) or start with --server.address 127.0.0.1 for use on this machine only.")


def local_identity(user: str) -> Identity:
    """The single person on their own machine when no sign-in is configured: everything allowed."""
    return Identity(user, "admin", EVERYTHING)


def claim_values(claims: Mapping[str, Any], path: str) -> list[str]:
    """The values of a claim: a dotted path into nested objects; a list, or a text split on commas."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return []
        value = value[part]
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _role(claims: Mapping[str, Any], config: AuthSettings) -> str | None:
    mapping = {key.casefold(): role for key, role in config.role_values}
    roles = [mapping[value.casefold()] for value in claim_values(claims, config.roles_claim)
             if value.casefold() in mapping]
    return max(roles, key=RANK.__getitem__) if roles else None


def _scope(claims: Mapping[str, Any], config: AuthSettings, countries: CountryIndex) -> Scope | None:
    translate = {key.casefold(): value for key, value in config.scope_values}
    regions = {region.casefold(): region for region in countries.regions()}
    allowed: set[str] = set()
    labels: list[str] = []
    for claim in (config.regions_claim, config.countries_claim):
        for raw in claim_values(claims, claim):
            value = translate.get(raw.casefold(), raw)
            if value == config.all_value:
                return EVERYTHING
            if value.casefold() in regions:
                region = regions[value.casefold()]
                allowed.update(countries.iso3_in_regions([region]))
                labels.append(region)
                continue
            country = countries.resolve(value)
            if country is not None:
                allowed.add(country.iso3)
                labels.append(country.name)
    return Scope(frozenset(allowed), tuple(dict.fromkeys(labels))) if allowed else None


def identity_from_claims(claims: Mapping[str, Any], config: AuthSettings, countries: CountryIndex) -> Identity:
    """The role and scope the claims grant. An admin sees everything; unknown values are ignored."""
    user = str(claims.get(config.user_claim) or claims.get("sub") or "unknown")
    role = _role(claims, config)
    scope = EVERYTHING if role == "admin" else _scope(claims, config, countries)
    issued = claims.get("iat")
    signed_in = dt.datetime.fromtimestamp(float(issued), dt.UTC) if isinstance(issued, int | float) else None
    return Identity(user, role, scope, signed_in)


def session_expired(identity: Identity, config: AuthSettings, now: dt.datetime) -> bool:
    """Whether the sign-in is older than the configured maximum session age."""
    if identity.signed_in_at is None:
        return False
    return now - identity.signed_in_at > dt.timedelta(hours=config.session_max_age_hours)


def scope_frame(frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """The rows of the analytic frame in scope, categories pruned (so option lists hold only them)."""
    if scope.everything:
        return frame
    column = frame["country"]
    allowed = np.zeros(len(column.cat.categories) + 1, dtype=bool)
    allowed[:-1] = column.cat.categories.isin(sorted(scope.countries or ()))
    chosen = frame[allowed[column.cat.codes.to_numpy()]]
    pruned = {name: chosen[name].cat.remove_unused_categories() for name in chosen.columns
              if isinstance(chosen[name].dtype, pd.CategoricalDtype)}
    return chosen.assign(**pruned)


def scope_filter(flt: Filter, scope: Scope) -> Filter:
    """``flt`` narrowed to the scope, for paths that read the store directly (records, exports)."""
    if scope.everything:
        return flt
    allowed = scope.countries or frozenset()
    chosen = [iso3 for iso3 in flt.countries if iso3 in allowed] if flt.countries else sorted(allowed)
    return replace(flt, countries=tuple(chosen) or (NO_COUNTRY,))


def batch_countries(engine: Engine) -> dict[int, set[str]]:
    """The countries each batch wrote (its current records and the values it set that were replaced since)."""
    query = sa.text("SELECT DISTINCT batch_id, country FROM records "
                    "UNION SELECT DISTINCT batch_id, country FROM record_history")
    result: dict[int, set[str]] = {}
    with engine.connect() as conn:
        for batch_id, country in conn.execute(query):
            result.setdefault(int(batch_id), set()).add(str(country))
    return result


def visible_batches(batches: Iterable[dict[str, Any]], written: Mapping[int, set[str]],
                    scope: Scope) -> list[dict[str, Any]]:
    """The import history a scoped user sees: batches that wrote any in-scope country."""
    if scope.everything:
        return list(batches)
    return [b for b in batches if any(scope.allows(c) for c in written.get(int(b["batch_id"]), ()))]


def may_remove(batch_id: int, written: Mapping[int, set[str]], scope: Scope) -> bool:
    """A batch may be removed only by a user whose scope holds every country it wrote."""
    return scope.everything or all(scope.allows(c) for c in written.get(batch_id, ()))


def reject_out_of_scope(prepared: Prepared, scope: Scope) -> Prepared:
    """A data officer's import: valid rows whose country is outside the scope become rejected rows."""
    if scope.everything or not len(prepared.columns["country"]):
        return prepared
    codes = prepared.columns["country"]
    inside = np.fromiter((scope.allows(str(c)) for c in codes), dtype=bool, count=len(codes))
    if inside.all():
        return prepared
    column = prepared.matched.get("country", "country")
    names = prepared.columns.get("country_name", codes)
    errors = [RowError(int(row), column, str(name),
                       f"{name} is outside your scope ({scope.describe()}): only a user whose scope holds "
                       f"{name} can import this row.")
              for row, name in zip(prepared.columns["row"][~inside], names[~inside], strict=True)]
    return replace(prepared, columns={name: values[inside] for name, values in prepared.columns.items()},
                   errors=sorted([*prepared.errors, *errors], key=lambda e: e.row),
                   rejected=prepared.rejected + len(errors))
