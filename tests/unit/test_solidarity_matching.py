"""The ranking of offers for a need: pure, no database."""

from portal.solidarity.matching import NeedFacts, OfferFacts, rank


def offer(id, kinds=(1,), days=(1,), bands=("afternoon",), districts=("M2",), languages=("it",), load=0):
    return OfferFacts(id, frozenset(kinds), frozenset(days), frozenset(bands), frozenset(districts),
                      frozenset(languages), load)


NEED = NeedFacts(kind=1, weekdays=frozenset({1, 3}), time_bands=frozenset({"afternoon"}), district="M2",
                 language="ar")


def test_offers_without_the_kind_of_help_are_no_candidates():
    assert rank(NEED, [offer(1, kinds=(2,))]) == []


def test_district_then_language_then_shared_times_decide_the_order():
    ranked = rank(NEED, [
        offer(1, districts=("M9",), languages=("ar",), days=(1, 3)),  # 2 + 2 + 1 = 5
        offer(2, days=(1, 3)),  # 3 + 2 + 1 = 6
        offer(3, days=(5,), bands=("evening",), districts=("M9",)),  # 0
        offer(4, languages=("it", "ar"), days=(1, 3)),  # 3 + 2 + 2 + 1 = 8
    ])
    assert [f.offer_id for f in ranked] == [4, 2, 1, 3]
    assert ranked[0].same_district and ranked[0].same_language and ranked[0].shared_days == (1, 3)
    assert ranked[-1].score == 0


def test_ties_go_to_the_less_busy_volunteer_then_the_older_offer():
    ranked = rank(NEED, [offer(5, load=1), offer(7), offer(6)])
    assert [f.offer_id for f in ranked] == [6, 7, 5]
