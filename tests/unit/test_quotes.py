"""Quotes are checked after normalising typography; a refused one is shown its closest passage."""

from __future__ import annotations

from stanceline.domain.quotes import closest_passage, normalise, quote_in

TEXT = ("On January 6, UK Prime Minister Keir Starmer stated that the UK and France are "
        "prepared to establish military hubs in Ukraine in the event of a genuine ceasefire "
        "in Russia\u2019s war against Ukraine.\n\nPoland \u2014 for its part \u2014 ruled it out.")


def test_typography_and_case_do_not_matter() -> None:
    assert quote_in("in Russia's war against   Ukraine", TEXT)
    assert quote_in("POLAND - for its part - ruled it out", TEXT)
    assert normalise("A\u00a0\u201cB\u201d\n") == 'a "b"'


def test_words_do_matter() -> None:
    assert not quote_in("Poland will gladly send 50,000 troops tomorrow.", TEXT)
    assert not quote_in("", TEXT)


def test_the_closest_passage_is_from_the_text() -> None:
    passage = closest_passage("Starmer said the UK and France are ready to set up hubs", TEXT)
    assert passage in " ".join(TEXT.split())
    assert "Starmer" in passage
