"""The directory: registered actors with their folded names and aliases, and defined topics.

Its tables are SQLModel classes: each is at once the table (on the shared MetaData, so Alembic
sees one schema) and the typed row its queries read through a Session, converted to the
domain's ActorEntry / TopicEntry. Nothing here is on a hot path: the registry changes rarely
and is read a few times per page, so the ORM's cost does not show; appends write it with Core.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Field, Session, col, select

from stanceline.domain.directory import ActorEntry, TopicEntry
from stanceline.domain.events import RecordedEvent
from stanceline.domain.names import fold
from stanceline.domain.projections import retraction_target
from stanceline.domain.registry import (
    ACTOR_TYPES,
    TOPIC_TYPES,
    Entry,
    fold_actor,
    fold_topic,
    names_of,
)
from stanceline.store.dialect import Dialect
from stanceline.store.projections import event_refs
from stanceline.store.projections.base import AnyOf, Carries, OfType, Projection
from stanceline.store.projections.voids import voids
from stanceline.store.schema import TOPIC_REGISTRY, Record, events

RETRACTED = "event.retracted"


class ActorRow(Record, table=True):
    """One registered actor, as its remaining registry events say."""

    __tablename__ = "actors"

    actor: str = Field(primary_key=True, sa_type=sa.String(80))
    name: str = Field(sa_type=sa.String(300))
    kind: str = Field(sa_type=sa.String(20))
    # JSON lists, kept in registration order.
    aliases: str = Field(sa_type=sa.Text)
    members: str = Field(sa_type=sa.Text)
    represents: str | None = Field(default=None, sa_type=sa.String(80))
    position: int = Field(sa_type=sa.BigInteger)

    def entry(self) -> ActorEntry:
        """The domain's form."""
        return ActorEntry(actor=self.actor, name=self.name, kind=self.kind,
                          aliases=tuple(json.loads(self.aliases)), represents=self.represents,
                          members=tuple(json.loads(self.members)))


class AliasRow(Record, table=True):
    """A case- and accent-folded name or alias of an actor."""

    __tablename__ = "actor_aliases"

    alias: str = Field(primary_key=True, sa_type=sa.String(300))
    actor: str = Field(primary_key=True, sa_type=sa.String(80))


class TopicRow(Record, table=True):
    """One defined topic; `position` is its first definition's, which orders the list."""

    __tablename__ = "topics"

    topic: str = Field(primary_key=True, sa_type=sa.String(80))
    title: str = Field(sa_type=sa.String(300))
    description: str = Field(sa_type=sa.Text)
    position: int = Field(sa_type=sa.BigInteger)

    def entry(self) -> TopicEntry:
        """The domain's form."""
        return TopicEntry(topic=self.topic, title=self.title, description=self.description)


# The same tables for Core statements (SQLModel sets `__table__`; mypy does not see it).
actors: sa.Table = ActorRow.__table__  # type: ignore[attr-defined]
actor_aliases: sa.Table = AliasRow.__table__  # type: ignore[attr-defined]
topics: sa.Table = TopicRow.__table__  # type: ignore[attr-defined]

WANTS = AnyOf((OfType(ACTOR_TYPES | TOPIC_TYPES | {RETRACTED}), Carries("supersedes")))


def apply(conn: Connection, dialect: Dialect, new: Sequence[RecordedEvent]) -> None:
    """Recompute every actor and topic the events touch from what remains of their registry
    events (a registration, its updates, minus what is retracted or superseded), so appending
    and rebuilding agree whatever the order of corrections."""
    touched_actors: set[str] = set()
    touched_topics: set[str] = set()
    targets: list[str] = []
    for event in new:
        if event.type in ACTOR_TYPES:
            touched_actors.add(event.data["actor"])
        elif event.type in TOPIC_TYPES:
            touched_topics.add(event.data["topic"])
        if (aim := retraction_target(event)) is not None:
            targets.append(aim)
    if targets:
        aimed = conn.execute(sa.select(events.c.type, events.c.actor, events.c.topic)
                             .where(events.c.id.in_(targets)))
        for type_, actor, topic in aimed:
            if type_ in ACTOR_TYPES:
                touched_actors.add(actor)
            elif type_ in TOPIC_TYPES:
                touched_topics.add(topic)
    ordered = sorted(touched_actors)
    # In chunks: a batch may register thousands of actors, each recomputed set-wise.
    for start in range(0, len(ordered), dialect.id_chunk):
        _recompute_actors(conn, ordered[start:start + dialect.id_chunk])
    for topic in sorted(touched_topics):
        _recompute_topic(conn, topic)


def _remaining(conn: Connection,
               where: Sequence[sa.ColumnElement[bool] | sa.TextClause]) -> list[Entry]:
    not_voided = ~sa.exists(sa.select(voids.c.target).where(voids.c.target == events.c.id))
    rows = conn.execute(sa.select(events.c.type, events.c.data, events.c.position)
                        .where(*where, not_voided).order_by(events.c.position))
    return [Entry(r.type, json.loads(r.data), int(r.position)) for r in rows]


def _recompute_actors(conn: Connection, ids: Sequence[str]) -> None:
    # event_refs names every actor an event registers: no scan of the log.
    refs = event_refs.event_refs
    naming = sa.select(refs.c.position).where(refs.c.actor.in_(ids))
    by_actor: dict[str, list[Entry]] = {}
    for entry in _remaining(conn, [events.c.position.in_(naming),
                                   events.c.type.in_(sorted(ACTOR_TYPES)),
                                   events.c.actor.in_(ids)]):
        by_actor.setdefault(str(entry.data["actor"]), []).append(entry)
    conn.execute(actors.delete().where(actors.c.actor.in_(ids)))
    conn.execute(actor_aliases.delete().where(actor_aliases.c.actor.in_(ids)))
    rows: list[dict[str, object]] = []
    names: list[dict[str, str]] = []
    for actor, entries in by_actor.items():
        found = fold_actor(entries)
        if found is None:
            continue
        rows.append({"actor": actor, "name": found.name, "kind": found.kind,
                     "aliases": json.dumps(list(found.aliases), ensure_ascii=False),
                     "members": json.dumps(list(found.members)),
                     "represents": found.represents, "position": entries[0].position})
        names += [{"alias": n, "actor": actor}
                  for n in sorted({fold(n) for n in names_of(found)} - {""})]
    if rows:
        conn.execute(actors.insert(), rows)
        conn.execute(actor_aliases.insert(), names)


def _recompute_topic(conn: Connection, topic: str) -> None:
    # The same condition as the partial index ix_events_topic_registry, so it is used.
    entries = _remaining(conn, [TOPIC_REGISTRY, events.c.topic == topic])
    conn.execute(topics.delete().where(topics.c.topic == topic))
    found = fold_topic(entries)
    if found is None:
        return
    entry, first = found
    conn.execute(topics.insert().values(topic=topic, title=entry.title,
                                        description=entry.description, position=first))


def choices(conn: Connection) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Every actor with its name and aliases, and every topic with its title (for
    suggestions)."""
    found = {a.actor: (a.name, *a.aliases) for a in list_actors(conn)}
    return found, {t.topic: (t.title,) for t in list_topics(conn)}


def list_actors(conn: Connection, q: str | None = None) -> list[ActorEntry]:
    """The actor directory by kind and name; `q` matches names and aliases, ignoring case
    and accents."""
    found = select(ActorRow)
    if q:
        matching = select(AliasRow.actor).where(col(AliasRow.alias).like(f"%{fold(q)}%"))
        found = found.where(col(ActorRow.actor).in_(matching))
    with Session(conn) as session:
        rows = session.exec(found.order_by(col(ActorRow.kind), col(ActorRow.name))).all()
        return [row.entry() for row in rows]


def get_actor(conn: Connection, actor: str) -> ActorEntry | None:
    """One registered actor."""
    with Session(conn) as session:
        row = session.get(ActorRow, actor)
        return None if row is None else row.entry()


def resolve(conn: Connection, name: str) -> list[str]:
    """The actor ids a name or alias stands for (exact after folding)."""
    with Session(conn) as session:
        return sorted(session.exec(select(AliasRow.actor)
                                   .where(AliasRow.alias == fold(name))).all())


def list_topics(conn: Connection) -> list[TopicEntry]:
    """Every defined topic, in order of first definition."""
    with Session(conn) as session:
        rows = session.exec(select(TopicRow).order_by(col(TopicRow.position))).all()
        return [row.entry() for row in rows]


PROJECTION = Projection("directory", (actors, actor_aliases, topics), WANTS, apply)
