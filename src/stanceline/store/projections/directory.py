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
from stanceline.store.dialect import Dialect
from stanceline.store.projections.base import OfType, Projection
from stanceline.store.schema import Record

ACTOR_REGISTERED = "actor.registered"
TOPIC_DEFINED = "topic.defined"


class ActorRow(Record, table=True):
    """One registered actor, as its latest registration says."""

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

WANTS = OfType(frozenset({ACTOR_REGISTERED, TOPIC_DEFINED}))


def apply(conn: Connection, dialect: Dialect, new: Sequence[RecordedEvent]) -> None:
    """A registration replaces the actor's row and names; a redefinition keeps the topic's
    place (topics list in order of first definition)."""
    for event in new:
        data = event.data
        if event.type == ACTOR_REGISTERED:
            actor = data["actor"]
            conn.execute(actors.delete().where(actors.c.actor == actor))
            conn.execute(actor_aliases.delete().where(actor_aliases.c.actor == actor))
            conn.execute(actors.insert().values(
                actor=actor, name=data["name"], kind=data["kind"],
                aliases=json.dumps(data["aliases"], ensure_ascii=False),
                members=json.dumps(data["members"]), represents=data["represents"],
                position=event.position))
            names = {fold(n) for n in (actor, data["name"], *data["aliases"])} - {""}
            conn.execute(actor_aliases.insert(),
                         [{"alias": n, "actor": actor} for n in sorted(names)])
        else:
            first = conn.execute(sa.select(topics.c.position)
                                 .where(topics.c.topic == data["topic"])).scalar()
            conn.execute(topics.delete().where(topics.c.topic == data["topic"]))
            conn.execute(topics.insert().values(topic=data["topic"], title=data["title"],
                                                description=data["description"],
                                                position=first or event.position))


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
